#!/usr/bin/env python3
# tests/fuzz/vol_seed.py IMG - an NTFS image as fuzz_ntfs.c's whole-volume
# input (vol_check): a u32 number of sectors, then pieces (u32 first sector,
# u16 count, u8 mode: 0 bytes follow, 1 one byte fills them, 2 the $UpCase
# table the harness builds). Zero sectors are left out, and MFT records not
# in use. At most 64 KiB.
import struct
import sys

d = bytearray(open(sys.argv[1], 'rb').read())
S = 512
n = len(d) // S
ZERO = bytes(S)

# MFT records not in use (ntfs-3g formats them ahead) are left out: zeros
for i in range(0, len(d) - 1024, S):
    if d[i:i + 4] == b'FILE' and not d[i + 0x16] & 1:
        d[i:i + 1024] = bytes(1024)
d = bytes(d)


def sec(i):
    return d[i * S:(i + 1) * S]


# $UpCase: 128 KiB whose first units are 0, 1, 2, 3 and whose 'a' is 'A'
up = d.find(b'\x00\x00\x01\x00\x02\x00\x03\x00')
while up >= 0 and (up % S or d[up + 2 * ord('a'):up + 2 * ord('a') + 2] != b'A\x00'):
    up = d.find(b'\x00\x00\x01\x00\x02\x00\x03\x00', up + 1)
up_at = up // S if up >= 0 else -1

out = bytearray(struct.pack('<I', n))
i = 0
while i < n:
    s = sec(i)
    if i == up_at:
        out += struct.pack('<IHB', i, 256, 2)
        i += 256
    elif s == ZERO:
        i += 1
    elif len(set(s)) == 1:
        j = i
        while j < n and j != up_at and sec(j) == s:
            j += 1
        out += struct.pack('<IHB', i, j - i, 1) + s[:1]
        i = j
    else:
        j = i
        while j < n and j != up_at and sec(j) != ZERO and len(set(sec(j))) > 1 and j - i < 65535:
            j += 1
        out += struct.pack('<IHB', i, j - i, 0) + d[i * S:j * S]
        i = j
if len(out) > 65536:
    sys.exit('vol_seed.py: %d bytes, more than 64 KiB' % len(out))
sys.stdout.buffer.write(out)

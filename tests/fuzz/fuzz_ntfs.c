/*
 * fuzz_ntfs.c - the parsers the checker runs on untrusted sectors: the
 * boot sector (nb_parse and its words), MFT records (the whole pass-3
 * walk; the judge of two $MFTMirr copies; fix's unfixup, which must give
 * a record that passes its fixups again), index blocks (the pass-6 walk), runlists and update sequence
 * fixups, BCD device elements, FAT boot sectors, MBRs (boot code
 * classified, a table that lost its signature judged), and a whole $MFT of
 * records (the passes that cross records: attribute lists, the pieces of
 * attributes in extension records, $MFT's own pieces, folders and links),
 * and a whole volume as `winrescue check` reads it (nc_check on a
 * descriptor: every pass, every size the volume gives; see vol_check).
 * The first byte of an input picks the parser.
 *
 * LLVMFuzzerTestOneInput is libFuzzer's entry point (make fuzz builds it
 * with clang -fsanitize=fuzzer when clang is there). Without libFuzzer,
 * main() below is a small AFL-style driver for make check: every corpus
 * file as it is, then N mutants of them (bit flips, interesting values,
 * truncation) from a fixed seed, under ASan/UBSan.
 */
#include "probes/bcd.h"
#include "probes/disk_layout.h"
#include "probes/mbr.h"
#include "probes/ntfs_boot.h"
#include "probes/ntfs_check.h"
#include "probes/ntfs_layout.h"
#include "probes/winreg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sys/stat.h>	/* before any ntfs-3g header */
#include <ntfs-3g/types.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VOL_MAX_SECTORS 32768	/* 16 MiB */

/*
 * A whole volume from a compact description (an NTFS image is mostly
 * zeros): a u32 number of 512-byte sectors (128 to VOL_MAX_SECTORS), then
 * pieces, each a u32 first sector, a u16 count and a mode: 0 count sectors
 * of bytes follow (as many as the input still has), 1 one byte follows and
 * fills them, 2 the 128 KiB $UpCase table libntfs-3g builds (Windows'
 * own). Checked as `winrescue check` checks a volume, on a memory file.
 */
static void vol_check(const uint8_t *data, size_t size)
{
	static ntfschar *upcase;
	struct nc_report rep;
	uint64_t sectors;
	int fd, rc;

	if (size < 4)
		return;
	sectors = nl_le32(data);
	sectors = sectors < 128 ? 128 : sectors > VOL_MAX_SECTORS ? VOL_MAX_SECTORS : sectors;
	if ((fd = memfd_create("fuzzvol", MFD_CLOEXEC)) < 0)
		return;
	if (ftruncate(fd, (off_t)(sectors * 512)) < 0) {
		close(fd);
		return;
	}
	for (size_t p = 4; p + 7 <= size;) {
		uint64_t at = nl_le32(data + p), n = nl_le16(data + p + 4);
		uint8_t mode = data[p + 6] % 3;
		p += 7;
		if (at >= sectors)
			at = at % sectors;
		if (n > sectors - at)
			n = sectors - at;
		if (mode == 0) {
			size_t len = size - p < n * 512 ? size - p : (size_t)(n * 512);
			if (pwrite(fd, data + p, len, (off_t)(at * 512)) < 0)
				break;
			p += len;
		} else if (mode == 1 && p < size) {
			uint8_t sec[512];
			memset(sec, data[p++], sizeof(sec));
			for (uint64_t k = 0; k < n; k++)
				if (pwrite(fd, sec, sizeof(sec), (off_t)((at + k) * 512)) < 0)
					break;
		} else if (mode == 2) {
			if (!upcase) {
				upcase = calloc(65536, sizeof(*upcase));
				ntfs_upcase_table_build(upcase, 65536 * sizeof(*upcase));
			}
			size_t len = sectors - at < 256 ? (size_t)(sectors - at) * 512 : 131072;
			if (pwrite(fd, upcase, len, (off_t)(at * 512)) < 0)
				break;
		}
	}
	rc = nc_check(fd, 0, sectors * 512, "(fuzz)", NULL, &rep);
	if (rep.nfindings > NC_MAX_FINDINGS || rep.passes_done > NC_PASSES || rc > 0 ||
	    (rc < 0 && !rep.op_error))
		abort();
	nc_report_free(&rep);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_report rep;
	uint8_t *buf;
	size_t n;

	if (size < 1)
		return 0;
	const uint8_t kind = data[0] % 9;
	data++;
	size--;
	switch (kind) {
	case 0: {	/* boot sector: both copies, as nb_examine judges them */
		uint8_t a[512] = { 0 }, b[512] = { 0 };
		struct nb_geometry g;
		memcpy(a, data, size < 512 ? size : 512);
		if (size > 512)
			memcpy(b, data + 512, size - 512 < 512 ? size - 512 : 512);
		unsigned p = nb_parse(a, &g) | nb_differing(a, b);
		for (unsigned bit = 0; bit < NB_NPROBLEMS; bit++)
			if (p & (1u << bit)) {
				free(nb_problem_words(1u << bit, a));
				free(nb_problem_value(1u << bit, b));
			}
		break;
	}
	case 1:		/* an MFT record of 512, 1024, 2048 or 4096 bytes */
	case 2:		/* an index block */
		n = size >= 4096 ? 4096 : size >= 2048 ? 2048 : size >= 1024 ? 1024 : 512;
		buf = calloc(1, n);
		memcpy(buf, data, size < n ? size : n);
		memset(&rep, 0, sizeof(rep));
		if (kind == 2) {
			nc_check_index_buf(buf, (uint32_t)n, 0, &rep);
			nc_report_free(&rep);
			free(buf);
			break;
		}
		{
			/* the raw copy, for the judge of $MFTMirr copies and fix's edits */
			uint8_t *raw = calloc(1, n), *ed = calloc(1, n);
			uint32_t vlen;
			memcpy(raw, buf, n);
			nc_check_record_buf(buf, (uint32_t)n, 70, 1u << 20, &rep);
			nc_report_free(&rep);
			for (uint32_t r = 0; r < 4; r++)
				nc_mirr_judge(raw, buf, (uint32_t)n, r, 1u << 20);
			memcpy(ed, raw, n);
			if (nb_fixup(ed, (uint32_t)n) == NB_FIXUP_OK) {
				uint8_t *v = nc_resident_value(ed, (uint32_t)n, NL_AT_VOLUME_INFORMATION, &vlen);
				if (v && (v < ed || v + vlen > ed + n))
					abort();	/* a value outside the record */
				/* fix's write path: protect again, and it must check again */
				nb_unfixup(ed, (uint32_t)n);
				if (nb_fixup(ed, (uint32_t)n) != NB_FIXUP_OK)
					abort();
			}
			free(raw);
			free(ed);
		}
		free(buf);
		break;
	case 3: {	/* a runlist, then fixups of a 1024-byte record */
		struct nc_run *runs = NULL;
		size_t nruns = 0;
		nc_decode_runs(data, size, 0, 1u << 20, &runs, &nruns);
		free(runs);
		buf = calloc(1, 1024);
		memcpy(buf, data, size < 1024 ? size : 1024);
		nb_fixup(buf, 1024);
		nb_record_sane(buf, 1024);
		free(buf);
		break;
	}
	case 4: {	/* a BCD device element (11000001, 21000001), a MountedDevices value */
		struct bcd_device d;
		char t[37];
		struct win_letter l;
		if (!bcd_decode_device(data, size, &d)) {
			bcd_guid_text(d.part_guid, t);
			/* fix-boot's encoder on the same bytes: a copy, rewritten, must decode to it */
			uint8_t *c = malloc(size ? size : 1);
			struct bcd_device want = { .kind = (size & 1) ? BCD_DEV_MBR : BCD_DEV_GPT,
						   .part_offset = 0x100000, .disk_signature = 0x5cbea03e };
			struct bcd_device back;
			memcpy(want.part_guid, t, 16);
			memcpy(c, data, size);
			if (!bcd_encode_device(c, size, &want) &&
			    (bcd_decode_device(c, size, &back) || back.kind != want.kind ||
			     (want.kind == BCD_DEV_MBR ? back.disk_signature != want.disk_signature ||
			      back.part_offset != want.part_offset
						       : memcmp(back.part_guid, want.part_guid, 16) != 0)))
				abort();
			free(c);
		}
		if (winreg_decode_letter(data, size, &l))	/* MountedDevices */
			free(l.device);
		break;
	}
	case 7:		/* an $MFT: 1024-byte records, each at its own number */
		nc_check_mft_buf(data, size, 1024, &rep);
		if (rep.nfindings > NC_MAX_FINDINGS || rep.passes_done > NC_PASSES)
			abort();
		nc_report_free(&rep);
		break;
	case 8:		/* a whole volume, as check reads it */
		vol_check(data, size);
		break;
	case 5: {	/* a FAT boot sector (fix-boot --rewrite-bcd on the ESP) */
		uint8_t bs[FAT_BPB_SIZE] = { 0 };
		struct fat_geometry g;
		memcpy(bs, data, size < sizeof(bs) ? size : sizeof(bs));
		if (!fat_geometry(bs, &g) && (!g.cluster_bytes || g.data_start < 512 || !g.clusters))
			abort();
		break;
	}
	case 6: {	/* an MBR: its boot code, its entries for a disk of some size */
		uint8_t s0[MBR_SECTOR] = { 0 };
		struct mbr_entry e[4];
		uint64_t sectors = size >= 4 ? nl_le32(data) : 0;
		memcpy(s0, data, size < sizeof(s0) ? size : sizeof(s0));
		enum mbr_code c = mbr_classify(s0);
		if (c == MBR_CODE_UNREAD || !*mbr_code_name(c) || !*mbr_code_words(c))
			abort();
		if (mbr_entries_fit(s0, sectors, e))
			for (int i = 0; i < 4; i++)
				if (e[i].type && (uint64_t)e[i].lba + e[i].sectors > sectors)
					abort();
		break;
	}
	}
	return 0;
}

#ifndef WR_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void mutate(uint8_t *d, size_t *len)
{
	static const uint32_t interesting[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
						0x10000, 0x7fffffff, 0x80000000u, 0xffffffffu };
	int k = 1 + (int)(next() % 8);

	while (k-- && *len > 1) {
		size_t at = 1 + next() % (*len - 1);	/* byte 0 picks the parser: keep it */
		switch (next() % 5) {
		case 0: d[at] ^= (uint8_t)(1u << (next() % 8)); break;
		case 1: d[at] = (uint8_t)next(); break;
		case 2: {
			uint32_t v = interesting[next() % (sizeof(interesting) / sizeof(interesting[0]))];
			for (int i = 0; i < 4 && at + (size_t)i < *len; i++)
				d[at + (size_t)i] = (uint8_t)(v >> (8 * i));
			break;
		}
		case 3: d[at] = (uint8_t)(d[at] + 1 + next() % 16); break;
		case 4: if (next() % 8 == 0) *len = at; break;
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long iters = 10000;
	uint8_t **seed = NULL;
	size_t *slen = NULL, nseed = 0;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		iters = strtoul(argv[2], NULL, 10);
		i = 3;
	}
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *d = malloc(65536);
		size_t n = f ? fread(d, 1, 65536, f) : 0;
		if (f)
			fclose(f);
		if (!n) {
			fprintf(stderr, "fuzz_ntfs: cannot read %s\n", argv[i]);
			free(d);
			return 2;
		}
		seed = realloc(seed, (nseed + 1) * sizeof(*seed));
		slen = realloc(slen, (nseed + 1) * sizeof(*slen));
		seed[nseed] = d;
		slen[nseed++] = n;
		LLVMFuzzerTestOneInput(d, n);
	}
	if (!nseed) {
		fprintf(stderr, "usage: fuzz_ntfs [-n ITERATIONS] CORPUS-FILE...\n");
		return 2;
	}
	uint8_t *m = malloc(65536);
	for (unsigned long it = 0; it < iters; it++) {
		size_t s = next() % nseed, len = slen[s];
		memcpy(m, seed[s], len);
		mutate(m, &len);
		LLVMFuzzerTestOneInput(m, len);
	}
	printf("fuzz_ntfs: %zu seeds, %lu mutants, no crash\n", nseed, iters);
	free(m);
	for (size_t k = 0; k < nseed; k++)
		free(seed[k]);
	free(seed);
	free(slen);
	return 0;
}
#endif

#!/usr/bin/env bash
# tests/integration/list.sh - `winrescue list` against real loop devices.
#
# Builds synthetic Windows disks with tests/integration/disks.sh (a BIOS/MBR
# system disk, a UEFI/GPT system disk, a data disk, a disk whose MBR
# signature collides with the BIOS disk's, and a disk with one small NTFS
# volume per state: dirty, hibernated, fast-restart, unclean, clean journal,
# $MFTMirr mismatch, damaged backup boot sector, hostile label, healthy),
# proves each state is real with ntfs-3g's own tools, attaches everything,
# then checks `winrescue list --json` and `winrescue list` against lsblk,
# blkid -p, sfdisk and the boot sectors, and checks that listing wrote
# nothing (sha256 of every image before and after).
#
# Needs root, loop devices, FUSE and the fixtures ($WINRESCUE_FIXTURES).
# Run: tests/integration/list.sh   (WR_BIN=path/to/winrescue to override)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/disks.sh"

wr_require_root_loop_fuse
wr_require_fixtures

wr_require_tools jq sfdisk losetup partx lsblk blkid mkntfs ntfs-3g ntfsfix ntfslabel \
	ntfsinfo mkfs.vfat mmd mcopy xz sha256sum fuser od dd


[ -x "$WR_BIN" ] || wr_bail "$WR_BIN not built (run 'make all')"
if [ ! -x "$WR_NTFS_STATE" ]; then
	make -C "$WR_ROOT" --no-print-directory build/tests/ntfs-state >/dev/null ||
		wr_bail "cannot build $WR_NTFS_STATE"
fi

# ---------------------------------------------------------------------------
# Build and attach
# ---------------------------------------------------------------------------
SIG=0x1234abcd
wr_tmpdir_to T
IMGS=(bios uefi data collision states)
make_bios_disk "$T/bios.img" "$SIG" || wr_bail "make_bios_disk"
make_uefi_disk "$T/uefi.img" || wr_bail "make_uefi_disk"
make_data_disk "$T/data.img" || wr_bail "make_data_disk"
make_collision_disk "$T/collision.img" "$SIG" || wr_bail "make_collision_disk"
make_states_disk "$T/states.img" || wr_bail "make_states_disk"
ok "disk images built"

declare -A DISK
for i in "${IMGS[@]}"; do
	wr_attach_to "DISK[$i]" "$T/$i.img" || wr_bail "attach $i.img"
done
BIOS=${DISK[bios]} UEFI=${DISK[uefi]} DATA=${DISK[data]}
COLL=${DISK[collision]} STATES=${DISK[states]}
declare -A SP	# state name -> partition node
for i in "${!WR_STATES[@]}"; do
	SP[${WR_STATES[$i]}]=$(_wrd_part "$STATES" $((i + 1))) || wr_bail "no node for ${WR_STATES[$i]}"
done
for d in "$BIOS" "$UEFI" "$DATA" "$COLL"; do
	for n in 1 2 3 4; do
		[ -e "/sys/class/block/$(basename "$d")/$(basename "$d")p$n" ] && _wrd_part "$d" $n >/dev/null
	done
done
echo "# bios=$BIOS uefi=$UEFI data=$DATA collision=$COLL states=$STATES"

# ---------------------------------------------------------------------------
# Prove the states are real, from outside winrescue
# ---------------------------------------------------------------------------
XMNT=$T/xmnt
mkdir -p "$XMNT"
# try_ntfs3g DEV OPTS: mount attempt; sets XC_OUT (messages), XC_RC and
# XC_MODE ("", "ro" or "rw": how it ended up mounted); never leaves a mount.
try_ntfs3g() {
	wr_cleanup_add "umount '$XMNT'"
	XC_OUT=$(ntfs-3g ${2:+-o "$2"} "$1" "$XMNT" 2>&1)
	XC_RC=$?
	XC_MODE=$(awk -v m="$XMNT" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts)
	if [ -n "$XC_MODE" ]; then
		wr_umount "$XMNT" || wr_bail "cannot unmount $XMNT"
	else
		wr_cleanup_forget "umount '$XMNT'"
	fi
}

try_ntfs3g "${SP[fast-restart]}" norecover
expect_match "ntfs-3g on fast-restart volume: Windows cache message" \
	'Metadata kept in Windows cache, refused to mount' "$XC_OUT"
[ "$XC_MODE" != rw ] && ok "ntfs-3g refused read-write on fast-restart volume" ||
	nok "ntfs-3g mounted the fast-restart volume read-write"

try_ntfs3g "${SP[unclean]}" norecover
expect_match "ntfs-3g on unclean volume: unclean message" \
	'The disk contains an unclean file system' "$XC_OUT"
if printf '%s' "$XC_OUT" | grep -q 'Windows cache'; then
	nok "unclean volume judged fast-restart by ntfs-3g"
else
	ok "unclean volume not judged fast-restart by ntfs-3g"
fi
[ "$XC_MODE" != rw ] && ok "ntfs-3g refused read-write on unclean volume" ||
	nok "ntfs-3g mounted the unclean volume read-write"

try_ntfs3g "${SP[hibernated]}" ""
expect_match "ntfs-3g on hibernated volume: hibernated message" \
	'Windows is hibernated, refused to mount' "$XC_OUT"
[ "$XC_MODE" != rw ] && ok "ntfs-3g refused read-write on hibernated volume" ||
	nok "ntfs-3g mounted the hibernated volume read-write"

try_ntfs3g "${SP[mftmirr]}" ro
expect_match "ntfs-3g on mftmirr volume: mismatch message" \
	'\$MFTMirr does not match \$MFT' "$XC_OUT"
expect_eq "ntfs-3g refused the mftmirr volume even read-only" "" "$XC_MODE"
[ "$XC_RC" != 0 ] && ok "ntfs-3g exit status on the mftmirr volume is non-zero" ||
	nok "ntfs-3g exited 0 on the mftmirr volume"

out=$(ntfsinfo -m "${SP[dirty]}" 2>&1)
expect_match "ntfsinfo refuses the dirty volume" 'Volume is scheduled for check' "$out"
out=$(ntfsinfo -f -m "${SP[dirty]}" 2>/dev/null)
expect_match "ntfsinfo -f shows the dirty flag" 'Volume Flags: 0x0*1 DIRTY' "$out"
out=$(ntfsinfo -m "${SP[healthy]}" 2>&1)
expect_match "ntfsinfo: healthy volume not dirty" 'Volume Flags: 0x0000' "$out"

out=$(ntfsfix -n "${SP[bootsector]}" 2>&1)
expect_match "ntfsfix -n: backup boot sector BAD" 'alternate boot sector\.\.\. BAD' "$out"
out=$(ntfsfix -n "${SP[healthy]}" 2>&1)
expect_match "ntfsfix -n: healthy backup boot sector OK" 'alternate boot sector\.\.\. OK' "$out"

expect_eq "ntfs-3g judges healthy \$LogFile" "empty -" "$("$WR_NTFS_STATE" "${SP[healthy]}" logfile show)"
expect_eq "ntfs-3g judges clean-logfile \$LogFile" "clean 1.1" "$("$WR_NTFS_STATE" "${SP[clean-logfile]}" logfile show)"
expect_eq "ntfs-3g judges unclean \$LogFile" "unclean 1.1" "$("$WR_NTFS_STATE" "${SP[unclean]}" logfile show)"
expect_eq "ntfs-3g judges fast-restart \$LogFile" "fast-restart 2.0" "$("$WR_NTFS_STATE" "${SP[fast-restart]}" logfile show)"
expect_eq "dirty flag per libntfs-3g" "dirty" "$("$WR_NTFS_STATE" "${SP[dirty]}" dirty show)"

# ---------------------------------------------------------------------------
# Run winrescue list (after hashing every image)
# ---------------------------------------------------------------------------
# hash_images VAR: sha256 of every image (in parallel) into the assoc. array VAR
hash_images() {
	local -n _h=$1
	local sum path
	sync
	while read -r sum path; do
		path=${path#\*}
		_h[$(basename "$path" .img)]=$sum
	done < <(for i in "${IMGS[@]}"; do printf '%s\0' "$T/$i.img"; done |
		xargs -0 -n 1 -P 4 sha256sum)
}
declare -A SUM SUM2
hash_images SUM

J=$T/list.json
TXT=$T/list.txt
# this suite's own disks and the machine's (the rescue system's [RESCUE]):
# others attached beside (another suite, a `make demo`) are neither read nor
# counted among the findings
OWN=$( (wr_own_disks "$T"; wr_system_disks) | tr '\n' ' ')
# shellcheck disable=SC2086
"$WR_BIN" list --json $OWN >"$J" 2>"$T/list-json.err"
rc=$?
expect_eq "winrescue list --json exit status" 0 "$rc"
# shellcheck disable=SC2086
"$WR_BIN" list $OWN >"$TXT" 2>"$T/list-text.err"
rc=$?
expect_eq "winrescue list exit status" 0 "$rc"
if jq -e . "$J" >/dev/null 2>&1; then
	ok "list --json output is valid JSON"
else
	sed -n 1,20p "$J" "$T/list-json.err" | sed 's/^/# /'
	wr_bail "list --json output is not valid JSON"
fi
# From here on, J holds only our disks (and every finding): quicker to query.
JALL=$J
J=$T/mine.json
jq --argjson ps "$(printf '%s\n' "${DISK[@]}" | jq -R . | jq -s .)" \
	'.disks |= map(select(.path as $p | $ps | index($p)))' "$JALL" >"$J" ||
	wr_bail "cannot filter the JSON output"
expect_eq "schema name" winrescue "$(jq -r '.schema.name' "$J")"
expect_eq "schema major version" 1 "$(jq -r '.schema.version[0]' "$J")"
expect_eq "JSON is one document" 1 "$(jq -s length "$JALL")"

# jq helpers: jdisk PATH FILTER / jpart PATH FILTER print FILTER applied to
# the disk / partition with that path ("null" for null, "MISSING(n)" unless
# exactly one matches). Plain field paths (.a.b) come from a cache filled by
# one jq run per device; anything else runs jq.
JQDEF='def s: if . == null then "null" else tostring end;'
JQ_DISK='[.disks[] | select(.path == $p)]'
JQ_PART='[.disks[].partitions[] | select(.path == $p)]'
declare -A JC
jload() {
	[ -n "${JC[$2|@count]+x}" ] && return 0
	eval "$(jq -r --arg p "$2" "$JQDEF $1"' as $m
		| "JC[\("\($p)|@count" | @sh)]=\($m | length)",
		  ($m[0] // {} | paths(type != "object" and type != "array") as $q
		   | "JC[\("\($p)|." + ($q | map(tostring) | join(".")) | @sh)]=\(getpath($q) | s | @sh)")' "$J")"
}
jget() {
	local sel=$1 path=$2 filter=$3 n
	if [[ $filter =~ ^(\.[a-z_]+)+$ ]]; then
		jload "$sel" "$path"
		n=${JC[$path|@count]:-0}
		if [ "$n" != 1 ]; then
			echo "MISSING($n)"
			return
		fi
		if [ -n "${JC[$path|$filter]+x}" ]; then
			printf '%s\n' "${JC[$path|$filter]}"
			return
		fi
	fi
	jq -r --arg p "$path" "$JQDEF $sel"' | if length == 1 then .[0] | ('"$filter"') | s else "MISSING(\(length))" end' "$J"
}
jdisk() { jget "$JQ_DISK" "$1" "$2"; }
jpart() { jget "$JQ_PART" "$1" "$2"; }
# fill the cache here: jdisk/jpart mostly run in $(...) subshells
for i in "${IMGS[@]}"; do
	jload "$JQ_DISK" "${DISK[$i]}"
	for p in $(lsblk -nlo NAME,TYPE "${DISK[$i]}" | awk '$2 == "part" { print "/dev/" $1 }'); do
		jload "$JQ_PART" "$p"
	done
done
# codes of the findings about DEV, sorted, space separated
jcodes() { jq -r --arg d "$1" '[.findings[] | select(.device == $d) | .code] | unique | join(" ")' "$J"; }

# ---------------------------------------------------------------------------
# Disks: roles, table, identity
# ---------------------------------------------------------------------------
# udev-style blkid properties of DEV into the associative array BK
# (the *_ENC values are \xNN-encoded by blkid; decode them)
declare -A BK
blkid_props() {
	local line k v
	BK=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		k=${line%%=*} v=${line#*=}
		case $k in
		*_ENC | ID_PART_ENTRY_NAME) v=$(printf '%b' "$v") ;;
		esac
		BK[$k]=$v
	done < <(blkid -p -o udev "$1" 2>/dev/null)
}
bk() { [ -n "${BK[$1]+x}" ] && printf '%s' "${BK[$1]}" || printf null; }

for i in "${IMGS[@]}"; do
	d=${DISK[$i]}
	blkid_props "$d"
	expect_eq "$i disk ($d) listed" 1 "$(jq --arg p "$d" '[.disks[] | select(.path == $p)] | length' "$J")"
	expect_eq "$i disk size" "$(lsblk -ndbo SIZE "$d" | tr -d ' ')" "$(jdisk "$d" .size)"
	expect_eq "$i disk majmin" "$(lsblk -ndo MAJ:MIN "$d" | tr -d ' ')" "$(jdisk "$d" .majmin)"
	expect_eq "$i disk name" "$(basename "$d")" "$(jdisk "$d" .name)"
	expect_eq "$i disk pttype" "$(bk ID_PART_TABLE_TYPE)" "$(jdisk "$d" .pttype)"
	expect_eq "$i disk ptuuid" "$(bk ID_PART_TABLE_UUID)" "$(jdisk "$d" .ptuuid)"
	expect_eq "$i disk loop_backing" "$(losetup -nO BACK-FILE "$d" | sed 's/ *$//')" "$(jdisk "$d" .loop_backing)"
	expect_eq "$i disk transport" virtual "$(jdisk "$d" .transport)"
	expect_eq "$i disk log_sec" "$(blockdev --getss "$d")" "$(jdisk "$d" .log_sec)"
	expect_eq "$i disk error" null "$(jdisk "$d" .error)"
	expect_eq "$i disk partition count" "$(lsblk -nlo TYPE "$d" | grep -c part)" "$(jdisk "$d" '.partitions | length')"
done
expect_eq "bios disk pttype" dos "$(jdisk "$BIOS" .pttype)"
expect_eq "bios disk ptuuid is the MBR signature" 1234abcd "$(jdisk "$BIOS" .ptuuid)"
expect_eq "collision disk ptuuid is the same signature" 1234abcd "$(jdisk "$COLL" .ptuuid)"
expect_eq "uefi disk pttype" gpt "$(jdisk "$UEFI" .pttype)"

expect_eq "bios disk role" system "$(jdisk "$BIOS" .role)"
expect_eq "uefi disk role" system "$(jdisk "$UEFI" .role)"
expect_eq "data disk role" data "$(jdisk "$DATA" .role)"
expect_eq "collision disk role" data "$(jdisk "$COLL" .role)"
expect_eq "states disk role" data "$(jdisk "$STATES" .role)"

# The disk under / (following partitions and dm/md slaves) is the rescue disk.
root_disk() {
	local mm p s
	mm=$(mountpoint -d / 2>/dev/null) || return 1
	[ -e "/sys/dev/block/$mm" ] || return 1
	p=$(readlink -f "/sys/dev/block/$mm")
	while :; do
		[ -e "$p/partition" ] && p=$(dirname "$p")
		s=$(ls "$p/slaves" 2>/dev/null | head -n 1)
		[ -n "$s" ] || break
		p=$(readlink -f "$p/slaves/$s")
	done
	basename "$p"
}
if rd=$(root_disk) && [ -n "$rd" ]; then
	expect_eq "root disk /dev/$rd role" rescue \
		"$("$WR_BIN" list --json "/dev/$rd" 2>/dev/null | jq -r --arg n "$rd" '[.disks[] | select(.name == $n) | .role] | .[0] // "MISSING"')"
else
	echo "# / is not on a block device here: rescue-disk role not checked"
fi
for i in "${IMGS[@]}"; do
	[ "$(jdisk "${DISK[$i]}" .role)" != rescue ] && ok "$i disk is not rescue" || nok "$i disk marked rescue"
done

# ---------------------------------------------------------------------------
# Partitions: compare with lsblk (size, start), blkid -p (fs, table entry)
# and sfdisk (attributes)
# ---------------------------------------------------------------------------
ALLPARTS=()
for i in "${IMGS[@]}"; do
	d=${DISK[$i]}
	dump=$(sfdisk -d "$d")
	while read -r name <&3; do
		p=/dev/$name
		ALLPARTS+=("$p")
		blkid_props "$p"
		what="$i $p"
		# the references themselves must have seen the partition
		[ -n "${BK[ID_PART_ENTRY_TYPE]:-}" ] && ok "$what: blkid -p reads its table entry" ||
			nok "$what: blkid -p does not see a partition table entry"
		if [ "${BK[ID_PART_ENTRY_TYPE]:-}" != "${WR_GUID_MSR,,}" ]; then
			[ -n "${BK[ID_FS_TYPE]:-}" ] && ok "$what: blkid -p sees its filesystem" ||
				nok "$what: blkid -p sees no filesystem"
		fi
		expect_eq "$what listed once" 1 "$(jq --arg p "$p" '[.disks[].partitions[] | select(.path == $p)] | length' "$J")"
		expect_eq "$what on its disk" "$d" \
			"$(jq -r --arg p "$p" '[.disks[] | select(any(.partitions[]; .path == $p)) | .path] | join(",")' "$J")"
		expect_eq "$what size" "$(lsblk -ndbo SIZE "$p" | tr -d ' ')" "$(jpart "$p" .size)"
		expect_eq "$what start" "$(($(lsblk -ndo START "$p") * 512))" "$(jpart "$p" .start)"
		expect_eq "$what majmin" "$(lsblk -ndo MAJ:MIN "$p" | tr -d ' ')" "$(jpart "$p" .majmin)"
		expect_eq "$what number" "$(bk ID_PART_ENTRY_NUMBER)" "$(jpart "$p" .number)"
		expect_eq "$what parttype" "$(bk ID_PART_ENTRY_TYPE)" "$(jpart "$p" .parttype)"
		expect_eq "$what partuuid" "$(bk ID_PART_ENTRY_UUID)" "$(jpart "$p" .partuuid)"
		expect_eq "$what partlabel" "$(bk ID_PART_ENTRY_NAME)" "$(jpart "$p" .partlabel)"
		expect_eq "$what fstype" "$(bk ID_FS_TYPE)" "$(jpart "$p" .fstype)"
		expect_eq "$what label" "$(bk ID_FS_LABEL_ENC)" "$(jpart "$p" .label)"
		expect_eq "$what uuid" "$(bk ID_FS_UUID_ENC)" "$(jpart "$p" .uuid)"
		expect_eq "$what fsversion" "$(bk ID_FS_VERSION)" "$(jpart "$p" .fsversion)"
		expect_eq "$what usage" "$(bk ID_FS_USAGE)" "$(jpart "$p" .usage)"
		flags=${BK[ID_PART_ENTRY_FLAGS]:-0}
		if [ "$(bk ID_PART_ENTRY_SCHEME)" = dos ]; then
			boot=$(((flags & 0x80) != 0))
		else
			boot=$(((flags & 0x4) != 0))
		fi
		[ "$boot" = 1 ] && boot=true || boot=false
		expect_eq "$what bootable" "$boot" "$(jpart "$p" .bootable)"
		attrs=$(printf '%s\n' "$dump" | awk -v n="$(bk ID_PART_ENTRY_NUMBER)" -F'[ :]+' \
			'$1 ~ "[^0-9]" n "$" { if (match($0, /attrs="[^"]*"/)) print substr($0, RSTART + 7, RLENGTH - 8) }')
		expect_eq "$what attrs (sfdisk)" "${attrs:-null}" "$(jpart "$p" .attrs)"
		expect_eq "$what not mounted" 0 "$(jpart "$p" '.mountpoints | length')"
		expect_eq "$what not in use" false "$(jpart "$p" .in_use)"
		expect_eq "$what error" null "$(jpart "$p" .error)"
	done 3< <(lsblk -nlo NAME,TYPE "$d" | awk '$2 == "part" { print $1 }')
done

# Roles of the partitions
expect_eq "bios p1 role" boot "$(jpart "${BIOS}p1" .role)"
expect_eq "bios p2 role" windows "$(jpart "${BIOS}p2" .role)"
expect_eq "uefi p1 role" esp "$(jpart "${UEFI}p1" .role)"
expect_eq "uefi p2 role" msr "$(jpart "${UEFI}p2" .role)"
expect_eq "uefi p3 role" windows "$(jpart "${UEFI}p3" .role)"
expect_eq "uefi p4 role" recovery "$(jpart "${UEFI}p4" .role)"
expect_eq "data p1 role" data "$(jpart "${DATA}p1" .role)"
expect_eq "collision p1 role" data "$(jpart "${COLL}p1" .role)"
for st in "${WR_STATES[@]}"; do
	[ "$st" = mftmirr ] && continue	# libntfs-3g cannot open it: contents unknown
	expect_eq "$st volume role" data "$(jpart "${SP[$st]}" .role)"
done
expect_eq "bios p1 bootable (active)" true "$(jpart "${BIOS}p1" .bootable)"
expect_eq "bios p2 not bootable" false "$(jpart "${BIOS}p2" .bootable)"
expect_eq "bios p1 parttype" 0x7 "$(jpart "${BIOS}p1" .parttype)"
expect_eq "bios p1 partuuid" 1234abcd-01 "$(jpart "${BIOS}p1" .partuuid)"
expect_eq "uefi p1 partlabel" "EFI system partition" "$(jpart "${UEFI}p1" .partlabel)"
expect_eq "uefi p2 fstype (MSR has none)" null "$(jpart "${UEFI}p2" .fstype)"
expect_eq "uefi p2 ntfs" null "$(jpart "${UEFI}p2" .ntfs)"
expect_eq "uefi p1 ntfs (FAT ESP)" null "$(jpart "${UEFI}p1" .ntfs)"

# Unallocated space: every free region libfdisk (sfdisk -F) reports
for i in data collision; do
	d=${DISK[$i]}
	n=0
	while read -r fs _ fn _ <&3; do
		n=$((n + 1))
		expect_eq "$i free region $((fs * 512))+$((fn * 512)) in unallocated" 1 \
			"$(jq --argjson s $((fs * 512)) --argjson z $((fn * 512)) --arg p "$d" \
				'[.disks[] | select(.path == $p) | .unallocated[] | select(.start == $s and .size == $z)] | length' "$J")"
	done 3< <(sfdisk -F "$d" | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $1, $2, $3 }')
	[ $n -gt 0 ] && ok "$i disk has free space per sfdisk -F" || nok "$i disk: sfdisk -F found no free space"
done

# ---------------------------------------------------------------------------
# NTFS volumes: the boot sector, the contents, the states
# ---------------------------------------------------------------------------
NTFS_PARTS=("${BIOS}p1" "${BIOS}p2" "${UEFI}p3" "${UEFI}p4" "${DATA}p1" "${COLL}p1")
for st in "${WR_STATES[@]}"; do NTFS_PARTS+=("${SP[$st]}"); done
declare -A STATE_OF
for st in "${WR_STATES[@]}"; do STATE_OF[${SP[$st]}]=$st; done

for p in "${NTFS_PARTS[@]}"; do
	st=${STATE_OF[$p]:-}
	what="ntfs $p${st:+ ($st)}"
	blkid_props "$p"
	bps=$(ntfs_le "$p" 11 2)
	spc=$(ntfs_le "$p" 13 1)
	[ "$spc" -gt 128 ] && spc=$((1 << (256 - spc)))
	cs=$((bps * spc))
	cpm=$(ntfs_le "$p" 64 1)
	if [ "$cpm" -gt 127 ]; then mrs=$((1 << (256 - cpm))); else mrs=$((cpm * cs)); fi
	nsec=$(ntfs_le "$p" 40 8)
	serial=$(od -An -v -t x8 -j 72 -N 8 "$p" | tr -d ' \n')
	expect_eq "$what has an ntfs object" object "$(jpart "$p" '.ntfs | type')"
	expect_eq "$what sector_size" "$bps" "$(jpart "$p" .ntfs.sector_size)"
	expect_eq "$what cluster_size" "$cs" "$(jpart "$p" .ntfs.cluster_size)"
	expect_eq "$what mft_record_size" "$mrs" "$(jpart "$p" .ntfs.mft_record_size)"
	expect_eq "$what size (boot sector)" "$((nsec * bps))" "$(jpart "$p" .ntfs.size)"
	expect_eq "$what serial (boot sector)" "$serial" "$(jpart "$p" .ntfs.serial)"
	expect_eq "$what serial = blkid uuid" "$(bk ID_FS_UUID | tr A-F a-f)" "$(jpart "$p" .ntfs.serial)"

	# every state field; the defaults are those of a healthy volume
	dirty=false hib=false magic=null log=empty logver=null mirr=true bs=true codes=""
	case $st in
	dirty) dirty=true codes=ntfs-dirty ;;
	hibernated) hib=true magic=hibr codes=ntfs-hibernated ;;
	fast-restart) log=fast-restart logver=2.0 codes=ntfs-fast-restart ;;
	unclean) log=unclean logver=1.1 codes=ntfs-unclean-log ;;
	clean-logfile) log=clean logver=1.1 ;;
	mftmirr) mirr=false codes=ntfs-mftmirr-mismatch ;;
	bootsector) bs=false codes=ntfs-bootsector-mismatch ;;
	esac
	expect_eq "$what mftmirr_ok" "$mirr" "$(jpart "$p" .ntfs.mftmirr_ok)"
	expect_eq "$what bootsector_ok" "$bs" "$(jpart "$p" .ntfs.bootsector_ok)"
	if [ "$st" = mftmirr ]; then
		expect_match "$what mftmirr_detail says something" '.' "$(jpart "$p" '.ntfs.mftmirr_detail // ""')"
		got=$(jcodes "$p")
		case " $got " in
		*" ntfs-mftmirr-mismatch "*) ok "$what finding ntfs-mftmirr-mismatch" ;;
		*) nok "$what finding ntfs-mftmirr-mismatch: got '$got'" ;;
		esac
		extra=$(printf '%s\n' $got | grep '^ntfs-' | grep -Exv 'ntfs-mftmirr-mismatch|ntfs-unreadable' | tr '\n' ' ')
		expect_eq "$what no other ntfs-* findings" "" "$extra"
		continue
	fi
	[ "$st" = bootsector ] &&
		expect_match "$what bootsector_detail says something" '.' "$(jpart "$p" '.ntfs.bootsector_detail // ""')"
	expect_eq "$what opened" true "$(jpart "$p" .ntfs.opened)"
	expect_eq "$what ntfs error" null "$(jpart "$p" .ntfs.error)"
	expect_eq "$what version" 3.1 "$(jpart "$p" .ntfs.version)"
	expect_eq "$what label = blkid" "$(bk ID_FS_LABEL_ENC)" "$(jpart "$p" .ntfs.label)"
	expect_eq "$what free is a number <= size" true \
		"$(jpart "$p" '(.ntfs.free | type) == "number" and .ntfs.free <= .ntfs.size and .ntfs.free > 0')"
	expect_eq "$what dirty" "$dirty" "$(jpart "$p" .ntfs.dirty)"
	expect_eq "$what hibernated" "$hib" "$(jpart "$p" .ntfs.hibernated)"
	expect_eq "$what hiberfil_magic" "$magic" "$(jpart "$p" .ntfs.hiberfil_magic)"
	expect_eq "$what logfile" "$log" "$(jpart "$p" .ntfs.logfile)"
	expect_eq "$what logfile_version" "$logver" "$(jpart "$p" .ntfs.logfile_version)"
	expect_eq "$what ntfs-* findings" "$codes" "$(jcodes "$p" | tr ' ' '\n' | grep '^ntfs-' | tr '\n' ' ' | sed 's/ $//')"
done

# Severities of the state findings, as documented
for pair in ntfs-dirty:warning ntfs-hibernated:error ntfs-fast-restart:warning \
	ntfs-unclean-log:warning ntfs-mftmirr-mismatch:error ntfs-bootsector-mismatch:warning \
	signature-collision:error; do
	c=${pair%%:*} sev=${pair#*:}
	expect_eq "$c severity" "$sev" "$(jq -r --arg c "$c" '[.findings[] | select(.code == $c) | .severity] | unique | join(",")' "$J")"
done
expect_eq "every finding has a documented code" "" \
	"$(jq -r '.findings[].code' "$J" | grep -Exv 'signature-collision|duplicate-serial|ntfs-dirty|ntfs-hibernated|ntfs-fast-restart|ntfs-unclean-log|ntfs-mftmirr-mismatch|ntfs-bootsector-mismatch|ntfs-unreadable|bitlocker-locked|no-windows-disk|multiple-windows|probe-error|pt-warning' | sort -u | tr '\n' ' ')"
expect_eq "every finding has a message and an action" 0 \
	"$(jq '[.findings[] | select((.message | type) != "string" or (.action | type) != "string")] | length' "$J")"

# Windows contents (case-insensitive lookup: the BIOS disk's C: has odd case)
expect_eq "bios p1 bootmgr" true "$(jpart "${BIOS}p1" .ntfs.bootmgr)"
expect_eq "bios p1 bcd" true "$(jpart "${BIOS}p1" .ntfs.bcd)"
expect_eq "bios p1 windows" false "$(jpart "${BIOS}p1" .ntfs.windows)"
expect_eq "bios p2 windows (windows/system32/CONFIG/system)" true "$(jpart "${BIOS}p2" .ntfs.windows)"
expect_eq "bios p2 bootmgr" false "$(jpart "${BIOS}p2" .ntfs.bootmgr)"
expect_eq "uefi p3 windows" true "$(jpart "${UEFI}p3" .ntfs.windows)"
expect_eq "uefi p4 windows" false "$(jpart "${UEFI}p4" .ntfs.windows)"
expect_eq "data p1 windows" false "$(jpart "${DATA}p1" .ntfs.windows)"
expect_eq "healthy volume windows" false "$(jpart "${SP[healthy]}" .ntfs.windows)"

# What C:'s SYSTEM hive says (the fixtures' Windows 7 hive; its values read
# from the hive's raw bytes): the windows object of the volume (schema 1.4)
expect_eq "bios p2 windows: computer, control sets, last shutdown" \
	"WKS-WIN732BITA 1 2 2012-04-04T01:58:40Z false false null" \
	"$(jpart "${BIOS}p2" '"\(.windows.computer_name) \(.windows.current_control_set) \(.windows.last_known_good) \(.windows.last_shutdown) \(.windows.control_set_missing) \(.windows.hive_dirty) \(.windows.fast_startup)"')"
expect_eq "bios p2 windows: C: by MBR signature and offset, not attached here" "mbr 5cbea03e 1048576 null" \
	"$(jpart "${BIOS}p2" '.windows.drive_letters[] | select(.letter == "C:") | "\(.kind) \(.disk_signature) \(.offset) \(.present)"')"
expect_eq "bios p2 windows: its CD-ROM letter as a device path" device \
	"$(jpart "${BIOS}p2" '.windows.drive_letters[] | select(.letter == "D:") | .kind')"
# System Reserved's \Boot\BCD (the fixtures' real UEFI store): decoded, its
# devices GPT GUIDs that no disk here has
expect_eq "bios p1 bcd_store: every object, no error" "null 17" \
	"$(jpart "${BIOS}p1" '"\(.bcd_store.error) \(.bcd_store.entries | length)"')"
expect_eq "bios p1 bcd_store: the boot manager's default is the Windows 10 loader" "Windows 10" \
	"$(jq -r --arg p "${BIOS}p1" '.disks[].partitions[]? | select(.path == $p) | .bcd_store.entries as $e
		| ($e[] | select(.type == "0x10100002") | .default) as $d | $e[] | select(.id == $d) | .description' "$J")"
expect_eq "bios p1 bcd_store: Windows 10's osdevice (GPT GUIDs, not among the disks)" \
	"gpt 8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b 0b2394a9-095e-487d-8d48-719ecd4d78ca null \\Windows\\system32\\winload.efi \\Windows" \
	"$(jq -r --arg p "${BIOS}p1" '.disks[].partitions[]? | select(.path == $p) | .bcd_store.entries[]
		| select(.description == "Windows 10") | "\(.osdevice.kind) \(.osdevice.partuuid) \(.osdevice.ptuuid) \(.osdevice.present) \(.path) \(.systemroot)"' "$J")"
expect_eq "no bcd_store where there is no \\Boot\\BCD" null "$(jpart "${BIOS}p2" .bcd_store)"
expect_eq "no windows object where there is no Windows" "null null" \
	"$(jpart "${BIOS}p1" .windows) $(jpart "${DATA}p1" .windows)"

# The hostile label: raw in JSON (JSON escapes it), never raw on a terminal
expect_eq "hostile label in JSON (partition)" "$WR_EVIL_LABEL" "$(jpart "${SP[evil-label]}" .label)"
expect_eq "hostile label in JSON (ntfs)" "$WR_EVIL_LABEL" "$(jpart "${SP[evil-label]}" .ntfs.label)"
if grep -q $'\e' "$JALL"; then nok "raw ESC byte in the JSON output"; else ok "no raw ESC byte in the JSON output"; fi

# ---------------------------------------------------------------------------
# Snapshot-wide findings
# ---------------------------------------------------------------------------
coll_text=$(jq -r '.findings[] | select(.code == "signature-collision") | "\(.device // "")\n\(.message // "")"' "$J")
for d in "$BIOS" "$COLL"; do
	if printf '%s\n' "$coll_text" | grep -Fqw -- "$d"; then
		ok "signature-collision names $d"
	else
		nok "signature-collision does not name $d: '$coll_text'"
	fi
done
for d in "$UEFI" "$DATA" "$STATES"; do
	if printf '%s\n' "$coll_text" | grep -Fqw -- "$d"; then
		nok "signature-collision names $d, which has no collision"
	else
		ok "signature-collision leaves $d alone"
	fi
done
dup=$(jq -r '.findings[] | select(.code == "duplicate-serial") | "\(.device // "") \(.message // "")"' "$J")
bad=""
for p in "${NTFS_PARTS[@]}"; do
	printf '%s\n' "$dup" | grep -Fqw -- "$p" && bad+="$p "
done
expect_eq "no duplicate-serial about our volumes (serials are unique)" "" "$bad"
expect_eq "multiple-windows raised (BIOS and UEFI Windows)" 1 \
	"$(jq '[.findings[] | select(.code == "multiple-windows")] | length | if . > 0 then 1 else 0 end' "$J")"
expect_eq "no no-windows-disk finding" 0 "$(jq '[.findings[] | select(.code == "no-windows-disk")] | length' "$J")"

# ---------------------------------------------------------------------------
# Text view
# ---------------------------------------------------------------------------
# text_has WHAT REGEX: like expect_match on the text view, without dumping it
text_has() {
	if grep -Eq -- "$2" "$TXT"; then ok "$1"; else nok "$1: /$2/ not found in the text view (WR_KEEP=DIR keeps it)"; fi
}
text_has "text view: what C:'s SYSTEM hive says" "Windows on ${BIOS}p2: computer WKS-WIN732BITA, last shut down 2012-04-04"
text_has "text view: C: not among the disks" "C: MBR disk 5cbea03e, partition at 1.0 MiB: not among the disks"
text_has "text view: the boot configuration's default entry" "Boot configuration on ${BIOS}p1: default \"Windows 10\","
text_has "text view has a [SYSTEM] marker" '\[SYSTEM\]'
text_has "text view has a [RESCUE] marker" '\[RESCUE\]'
for c in signature-collision ntfs-dirty ntfs-hibernated ntfs-fast-restart ntfs-unclean-log \
	ntfs-mftmirr-mismatch ntfs-bootsector-mismatch; do
	text_has "text view shows $c" "$c"
done
for i in "${IMGS[@]}"; do
	text_has "text view shows the $i disk" "$(basename "${DISK[$i]}")([^0-9p]|$)"
done
if grep -q $'\e' "$TXT"; then nok "raw ESC byte in the text view"; else ok "no raw ESC byte in the text view"; fi
if tr -d '\n\t' <"$TXT" | grep -q '[[:cntrl:]]'; then
	nok "control characters in the text view: $(tr -d '\n\t' <"$TXT" | grep -o '[[:cntrl:]]' | od -An -c | head -n 1)"
else
	ok "no control characters in the text view"
fi
text_has "text view shows the hostile label, made harmless" 'EVIL'

# ---------------------------------------------------------------------------
# Probing inside winrescue (0, for debugging), in one probe process (1, as on
# a one-CPU machine) and in parallel ones gives the same inventory, byte for
# byte (the disks cross a pipe between processes)
# ---------------------------------------------------------------------------
OWN2=$( (wr_own_disks "$T"; wr_system_disks) | tr '\n' ' ')
for jobs in 0 1 3 ""; do
	# shellcheck disable=SC2086
	WINRESCUE_PROBE_JOBS=$jobs "$WR_BIN" list --json $OWN2 >"$T/jobs$jobs.json" 2>"$T/jobs$jobs.err"
	expect_eq "WINRESCUE_PROBE_JOBS=$jobs: exit status" 0 "$?"
	expect_eq "WINRESCUE_PROBE_JOBS=$jobs: nothing on stderr" "" "$(cat "$T/jobs$jobs.err")"
done
for jobs in 1 3 ""; do
	if cmp -s "$T/jobs0.json" "$T/jobs$jobs.json"; then
		ok "WINRESCUE_PROBE_JOBS=0 and =${jobs:-(default)} give the same JSON ($(jq '.disks | length' "$T/jobs0.json") disks)"
	else
		nok "WINRESCUE_PROBE_JOBS=0 and =${jobs:-(default)} differ: $(diff <(jq -S . "$T/jobs0.json") <(jq -S . "$T/jobs$jobs.json") | head -5 | tr '\n' '|')"
	fi
done

# ---------------------------------------------------------------------------
# Drive letters matched to what is attached: a disk with the MBR signature and
# partition offset of C:'s letter; a volume whose SYSTEM hive is damaged
# ---------------------------------------------------------------------------
truncate -s 24M "$T/letter.img"
printf 'label: dos\nlabel-id: 0x5cbea03e\nstart=2048, size=8MiB, type=7\nsize=8MiB, type=7\n' |
	sfdisk -q "$T/letter.img" || nok "letter.img table"
wr_attach_to LETTER "$T/letter.img" || wr_bail "attach letter.img"
_wrd_mkntfs "$(_wrd_part "$LETTER" 2)" broken >/dev/null || nok "mkntfs letter p2"
_wrd_fill_broken_hive() {
	mkdir -p "$1/Windows/System32/config" && _wrd_hive corrupted_system_hive >"$1/Windows/System32/config/SYSTEM"
}
_wrd_populate "$(_wrd_part "$LETTER" 2)" "$T/letter.img" _wrd_fill_broken_hive || nok "letter p2 hive"
# shellcheck disable=SC2046
"$WR_BIN" list --json $(wr_own_disks "$T") >"$T/letter.json" 2>/dev/null
expect_eq "C:'s letter names the attached partition with its signature and offset" "${LETTER}p1" \
	"$(jq -r --arg p "${BIOS}p2" '.disks[].partitions[]? | select(.path == $p) | .windows.drive_letters[] | select(.letter == "C:") | .present' "$T/letter.json")"
expect_eq "a damaged SYSTEM hive: said in words, no other field" \
	"\\Windows\\System32\\config\\SYSTEM cannot be read as a registry hive (damaged) null" \
	"$(jq -r --arg p "${LETTER}p2" '.disks[].partitions[]? | select(.path == $p) | "\(.windows.error) \(.windows.computer_name)"' "$T/letter.json")"
wr_release "$LETTER"
# a GPT disk with the BCD's disk and partition GUIDs: its osdevice is present
truncate -s 24M "$T/bcdgpt.img"
printf 'label: gpt\nlabel-id: 0b2394a9-095e-487d-8d48-719ecd4d78ca\nstart=2048, size=16MiB, uuid=8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b\n' |
	sfdisk -q "$T/bcdgpt.img" || nok "bcdgpt.img table"
wr_attach_to BCDGPT "$T/bcdgpt.img" || wr_bail "attach bcdgpt.img"
# shellcheck disable=SC2046
"$WR_BIN" list --json $(wr_own_disks "$T") >"$T/bcdgpt.json" 2>/dev/null
expect_eq "the BCD's osdevice names the attached partition with its GUIDs" "${BCDGPT}p1" \
	"$(jq -r --arg p "${BIOS}p1" '.disks[].partitions[]? | select(.path == $p) | .bcd_store.entries[] | select(.description == "Windows 10") | .osdevice.present' "$T/bcdgpt.json")"
wr_release "$BCDGPT"

# ---------------------------------------------------------------------------
# Listing wrote nothing and left nothing behind
# ---------------------------------------------------------------------------
hash_images SUM2
for i in "${IMGS[@]}"; do
	expect_eq "$i.img unchanged by listing (sha256)" "${SUM[$i]:-none}" "${SUM2[$i]:-none}"
done
left=""
for p in "${DISK[@]}" "${ALLPARTS[@]}"; do
	awk -v d="$p" '$1 == d { found = 1 } END { exit !found }' /proc/mounts && left+="$p "
done
expect_eq "nothing of ours mounted after listing" "" "$left"

if [ "$WR_FAILED" != 0 ]; then
	echo "# winrescue stderr (json run):"
	sed 's/^/#   /' "$T/list-json.err" | head -n 20
	if [ -n "${WR_KEEP:-}" ]; then
		cp "$JALL" "$TXT" "$WR_KEEP"/ 2>/dev/null && echo "# outputs copied to $WR_KEEP"
	fi
fi
wr_finish

/*
 * wire.c: a probed disk survives the trip from a probe worker to the parent
 * unchanged (the JSON of both is the same), every owned field is freed
 * (ASan/LeakSanitizer), and a short message of any length rebuilds a disk
 * that is safe to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/output.h"
#include "lib/util.h"
#include "probes/probes.h"

static void fill_usage(struct usage *u, const char *tag)
{
	strv_add(&u->mountpoints, &u->nmountpoints, tag);
	strv_add(&u->mountpoints, &u->nmountpoints, "/mnt/second");
	strv_add(&u->holders, &u->nholders, "dm-0");
	u->mounted_rw = true;
}

static struct ntfs_state *full_ntfs(const char *label)
{
	struct ntfs_state *st = xcalloc(1, sizeof(*st));

	st->error = xstrdup("the NTFS metadata is inconsistent");
	st->library_message = xstrdup("Failed to load $UpCase");
	st->label = xstrdup(label);
	st->mftmirr_detail = xstrdup("$MFTMirr record 2 differs");
	st->bootsector_detail = xstrdup("the backup boot sector is damaged");
	st->opened = true;
	st->major_ver = 3;
	st->minor_ver = 1;
	st->cluster_size = 4096;
	st->serial = 0x1234abcd5678ef00ULL;
	st->total = 40ULL << 30;
	st->free = 12ULL << 30;
	st->free_known = true;
	st->dirty = TRI_YES;
	st->hibernated = TRI_NO;
	memcpy(st->hiberfil_magic, "hibr", 5);
	st->logfile = NTFS_LOGFILE_FAST_RESTART;
	st->logfile_ver_major = 2;
	st->mftmirr_ok = TRI_NO;
	st->bootsector_ok = TRI_NO;
	st->has_windows = true;
	return st;
}

static void fill_volume(struct volume *v, const char *label)
{
	v->fstype = xstrdup("ntfs");
	v->label = xstrdup(label);
	v->uuid = xstrdup("2EE7F5057668E1EF");
	v->version = xstrdup("3.1");
	v->usage = xstrdup("filesystem");
	v->fs_error = xstrdup("ambivalent");
	v->ntfs = full_ntfs(label);
	fill_usage(&v->use, "/mnt/win");
}

/* A disk with every pointer field set. */
static struct disk *full_disk(void)
{
	struct disk *d = xcalloc(1, sizeof(*d));

	d->name = xstrdup("vdb");
	d->path = xstrdup("/dev/vdb");
	d->major = 252;
	d->minor = 16;
	d->size = 40ULL << 30;
	d->log_sector = d->phys_sector = 512;
	d->model = xstrdup("QEMU HARDDISK");
	d->vendor = xstrdup("QEMU");
	d->serial = xstrdup("SER-1");
	d->transport = xstrdup("virtio");
	d->loop_backing = xstrdup("/var/tmp/windows.img");
	d->pttype = xstrdup("gpt");
	d->ptuuid = xstrdup("b3c4d5e6-0000-4000-8000-000000000001");
	strv_add(&d->pt_warnings, &d->npt_warnings, "The backup GPT table is corrupt");
	d->nparts = 2;
	d->parts = xcalloc(2, sizeof(*d->parts));
	for (size_t i = 0; i < d->nparts; i++) {
		struct partition *p = &d->parts[i];
		p->name = xasprintf("vdb%zu", i + 1);
		p->path = xasprintf("/dev/vdb%zu", i + 1);
		p->number = i + 1;
		p->start = (i + 1) << 20;
		p->size = 1ULL << 30;
		p->parttype = xstrdup("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7");
		p->parttype_name = xstrdup("Microsoft basic data");
		p->partuuid = xasprintf("00000000-0000-4000-8000-00000000000%zu", i);
		p->partlabel = xstrdup("Basic data partition");
		p->attrs = xstrdup("RequiredPartition");
		p->error = xstrdup("cannot read the partition");
		p->role = PART_ROLE_WINDOWS;
		fill_volume(&p->vol, i ? "DATA" : "Windows");
	}
	d->nfree = 1;
	d->free = xcalloc(1, sizeof(*d->free));
	d->free[0].start = 3ULL << 30;
	d->free[0].size = 1ULL << 30;
	fill_volume(&d->vol, "WHOLE");
	d->vol_role = PART_ROLE_DATA;
	d->role = DISK_ROLE_SYSTEM;
	d->role_reason = xstrdup("holds Windows");
	d->error = xstrdup("cannot open /dev/vdb");
	return d;
}

static char *json_of(struct disk *d)
{
	struct inventory inv = { .disks = d, .ndisks = 1 };
	return output_json(&inv);
}

static void test_round_trip(void **state)
{
	struct disk *d = full_disk(), got;
	struct wire_buf b = { 0 };
	const unsigned char *pos;
	char *want, *have;

	(void)state;
	wire_put_disk(&b, d);
	wire_put_disk(&b, d);	/* two in a row, as a worker sends them */
	pos = b.data;
	for (int i = 0; i < 2; i++) {
		assert_true(wire_get_disk(&pos, b.data + b.len, &got));
		want = json_of(d);
		have = json_of(&got);
		assert_string_equal(have, want);
		/* nothing is shared with the sender's blocks */
		assert_ptr_not_equal(got.parts, d->parts);
		assert_ptr_not_equal(got.parts[1].vol.ntfs, d->parts[1].vol.ntfs);
		assert_string_equal(got.parts[1].vol.ntfs->library_message, "Failed to load $UpCase");
		assert_string_equal(got.vol.use.holders[0], "dm-0");
		free(want);
		free(have);
		disk_free_fields(&got);
	}
	assert_ptr_equal(pos, b.data + b.len);
	disk_free_fields(d);
	free(d);
	free(b.data);
}

static void test_short_input(void **state)
{
	struct disk *d = full_disk(), got;
	struct wire_buf b = { 0 };

	(void)state;
	wire_put_disk(&b, d);
	/* every cut: refused, and what was rebuilt can be freed (ASan) */
	for (size_t len = 0; len < b.len; len++) {
		const unsigned char *pos = b.data;
		assert_false(wire_get_disk(&pos, b.data + len, &got));
		disk_free_fields(&got);
	}
	disk_free_fields(d);
	free(d);
	free(b.data);
}

static void test_free_nulls(void **state)
{
	struct disk d;

	(void)state;
	memset(&d, 0, sizeof(d));
	disk_free_fields(&d);	/* an unprobed disk: nothing to free, no crash */
	assert_null(d.parts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_short_input),
		cmocka_unit_test(test_free_nulls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

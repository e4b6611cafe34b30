/*
 * fsprobe.c - what a range of a disk holds, through libblkid's low-level
 * probe on a read-only descriptor (no cache file, no udev).
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <blkid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *lookup(blkid_probe pr, const char *name)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v && *v)
		return xstrdup(v);
	return NULL;
}

/* One libblkid pass over the probe's range; -errno on an I/O error. */
static int probe_pass(blkid_probe pr, struct volume *v, char **pttype)
{
	int rc;

	errno = 0;
	rc = blkid_do_safeprobe(pr);
	if (rc == 1 && errno == ENOMEM) {
		/* a prober ran out of memory (a crafted NTFS boot sector asks for
		 * gigabytes) and libblkid went on as if nothing were there */
		v->fs_error = xstrdup(probe_errno_words(-ENOMEM));
	} else if (rc == -2) {
		v->fs_error = xstrdup("more than one filesystem signature found; "
				      "the content cannot be told for sure");
	} else if (rc < 0) {
		return -(errno ? errno : EIO);	/* an I/O error: the caller owns it */
	} else if (rc == 0) {
		v->fstype = lookup(pr, "TYPE");
		v->label = lookup(pr, "LABEL");
		v->uuid = lookup(pr, "UUID");
		v->version = lookup(pr, "VERSION");
		v->usage = lookup(pr, "USAGE");
		if (pttype)
			*pttype = lookup(pr, "PTTYPE");
	}
	return 0;
}

static blkid_probe new_probe(int fd, uint64_t off, uint64_t size, int *ret)
{
	blkid_probe pr = blkid_new_probe();

	*ret = 0;
	if (!pr) {
		*ret = -ENOMEM;
		return NULL;
	}
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) != 0) {
		*ret = -(errno ? errno : EIO);
		blkid_free_probe(pr);
		return NULL;
	}
	return pr;
}

int fsprobe_table(int fd, uint64_t size, struct volume *v, char **pttype)
{
	int ret;
	blkid_probe pr = new_probe(fd, 0, size, &ret);

	if (!pr)
		return ret;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, 0);
	ret = probe_pass(pr, v, pttype);
	blkid_free_probe(pr);
	return ret;
}

/*
 * libblkid runs these probers on whole disks only: on a partition device
 * they return "not found" at once (S_ISREG || blkid_probe_is_wholedisk).
 * We probe partitions through the whole disk's descriptor, where libblkid
 * cannot tell, so we leave them out ourselves and a partition is probed
 * as `blkid -p /dev/sdXN` probes it (the firmware RAID formats keep their
 * metadata at the end of the whole disk, not of a partition).
 */
static const char *const wholedisk_only[] = {
	"adaptec_raid_member", "hpt37x_raid_member", "hpt45x_raid_member", "isw_raid_member",
	"jmicron_raid_member", "lsi_mega_raid_member", "nvidia_raid_member",
	"promise_fasttrack_raid_member", "silicon_medley_raid_member", "via_raid_member",
	NULL,
};

int fsprobe_volume(int fd, uint64_t off, uint64_t size, enum fsprobe_range what,
		   struct volume *v)
{
	static const char *const hybrid[] = { "iso9660", "udf", NULL };
	int ret;
	blkid_probe pr = new_probe(fd, off, size, &ret);

	if (!pr)
		return ret;
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
					      BLKID_SUBLKS_TYPE | BLKID_SUBLKS_VERSION |
					      BLKID_SUBLKS_USAGE);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_enable_partitions(pr, 0);
	if (what == FSPROBE_HYBRID)
		blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, (char **)hybrid);
	else if (what == FSPROBE_PARTITION)
		blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_NOTIN, (char **)wholedisk_only);
	ret = probe_pass(pr, v, NULL);
	blkid_free_probe(pr);
	return ret;
}

/*
 * ptable.c - the partition table through libfdisk, opened read-only on a
 * descriptor the caller opened O_RDONLY. libfdisk's warnings come through
 * its ask callback and are kept on the disk, never printed.
 */
#include "probes/probes.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <libfdisk.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int ask_cb(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
	struct disk *d = data;
	const char *msg;
	char *s;

	(void)cxt;
	switch (fdisk_ask_get_type(ask)) {
	case FDISK_ASKTYPE_WARN:
	case FDISK_ASKTYPE_WARNX:
		msg = fdisk_ask_print_get_mesg(ask);
		if (msg && *msg) {
			s = xstrdup(msg);
			str_trim(s);
			if (!strv_contains(d->pt_warnings, d->npt_warnings, s))
				strv_add(&d->pt_warnings, &d->npt_warnings, s);
			free(s);
		}
		return 0;
	case FDISK_ASKTYPE_INFO:
		return 0;
	default:
		/* read-only: nothing may ask a question */
		return -EINVAL;
	}
}

static char *lower(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static struct partition *find_or_add(struct disk *d, size_t number)
{
	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].number == number)
			return &d->parts[i];
	d->parts = xrealloc(d->parts, d->nparts + 1, sizeof(*d->parts));
	memset(&d->parts[d->nparts], 0, sizeof(*d->parts));
	d->parts[d->nparts].number = number;
	return &d->parts[d->nparts++];
}

int ptable_probe(struct disk *d, int fd)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_table *tb = NULL, *ftb = NULL;
	struct fdisk_iter *itr = NULL;
	struct fdisk_partition *pa;
	unsigned long ss;
	char *id = NULL;
	int rc;
	bool dos;

	if (!cxt)
		return -ENOMEM;
	fdisk_set_ask(cxt, ask_cb, d);
	/* list-only, like fdisk -l: no second blkid scan for "collisions" */
	fdisk_enable_listonly(cxt, 1);
	rc = fdisk_assign_device_by_fd(cxt, fd, d->path, 1);
	if (rc) {
		fdisk_unref_context(cxt);
		return rc < 0 ? rc : -EIO;
	}
	if (!fdisk_has_label(cxt))
		goto out;

	d->pttype = xstrdup(fdisk_label_get_name(fdisk_get_label(cxt, NULL)));
	dos = strcmp(d->pttype, "dos") == 0;
	if (fdisk_get_disklabel_id(cxt, &id) == 0 && id) {
		d->ptuuid = lower(xstrdup(str_starts_with(id, "0x") ? id + 2 : id));
		free(id);
	}
	ss = fdisk_get_sector_size(cxt);

	itr = fdisk_new_iter(FDISK_ITER_FORWARD);
	if (fdisk_get_partitions(cxt, &tb) == 0) {
		while (fdisk_table_next_partition(tb, itr, &pa) == 0) {
			struct fdisk_parttype *t;
			struct partition *p;
			const char *s;

			if (!fdisk_partition_is_used(pa) || !fdisk_partition_has_partno(pa))
				continue;
			p = find_or_add(d, fdisk_partition_get_partno(pa) + 1);
			/* a hostile table's sectors may not fit in bytes: never wrapped */
			uint64_t st = fdisk_partition_has_start(pa) ? (uint64_t)fdisk_partition_get_start(pa) : 0;
			uint64_t sz = fdisk_partition_has_size(pa) ? (uint64_t)fdisk_partition_get_size(pa) : 0;
			if (st > UINT64_MAX / ss || sz > UINT64_MAX / ss || st * ss > UINT64_MAX - sz * ss) {
				free(p->error);
				p->error = xasprintf("the partition table places it beyond any disk (sector "
						     "%" PRIu64 ", %" PRIu64 " sectors)", st, sz);
				continue;
			}
			p->start = st * ss;
			p->size = sz * ss;
			t = fdisk_partition_get_type(pa);
			if (t) {
				if (dos)
					p->parttype = xasprintf("0x%x", fdisk_parttype_get_code(t));
				else if ((s = fdisk_parttype_get_string(t)))
					p->parttype = lower(xstrdup(s));
				if ((s = fdisk_parttype_get_name(t)) && *s)
					p->parttype_name = xstrdup(s);
			}
			if ((s = fdisk_partition_get_name(pa)) && *s)
				p->partlabel = xstrdup(s);
			/* for dos, libfdisk reports the boot flag as "80": that is `bootable` */
			if (!dos && (s = fdisk_partition_get_attrs(pa)) && *s)
				p->attrs = xstrdup(s);
			if ((s = fdisk_partition_get_uuid(pa)) && *s)
				p->partuuid = lower(xstrdup(s));
			else if (dos && d->ptuuid)
				p->partuuid = xasprintf("%s-%02zx", d->ptuuid, p->number);
			p->bootable = fdisk_partition_is_bootable(pa) == 1;
			p->container = fdisk_partition_is_container(pa) == 1;
		}
	}
	fdisk_reset_iter(itr, FDISK_ITER_FORWARD);
	if (fdisk_get_freespaces(cxt, &ftb) == 0) {
		while (fdisk_table_next_partition(ftb, itr, &pa) == 0) {
			if (!fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
				continue;
			d->free = xrealloc(d->free, d->nfree + 1, sizeof(*d->free));
			d->free[d->nfree].start = (uint64_t)fdisk_partition_get_start(pa) * ss;
			d->free[d->nfree].size = (uint64_t)fdisk_partition_get_size(pa) * ss;
			d->nfree++;
		}
	}
	sysfs_sort_partitions(d);
	/* libfdisk falls back to the protective MBR when no GPT header is valid */
	for (size_t i = 0; dos && i < d->nparts; i++)
		if (d->parts[i].parttype && strcmp(d->parts[i].parttype, "0xee") == 0) {
			const char *w = "the disk has a GPT protective MBR but neither the primary "
					"nor the backup GPT header is valid";
			if (!strv_contains(d->pt_warnings, d->npt_warnings, w))
				strv_add(&d->pt_warnings, &d->npt_warnings, w);
			break;
		}
out:
	fdisk_free_iter(itr);
	fdisk_unref_table(tb);
	fdisk_unref_table(ftb);
	fdisk_unref_context(cxt);
	return 0;
}

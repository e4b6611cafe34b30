/*
 * The rules of the action layer on snapshots built here: which volume a
 * name means (system, labels, disk:N/part:M, ambiguity), the refusals of
 * mount on every NTFS state, the ntfs3 / ntfs-3g choice from captured
 * /proc/filesystems, default mount points, and the audit record format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "actions/action.h"
#include "actions/mount.h"
#include "lib/util.h"

/* /proc/filesystems of this project's development machine (6.18, no ntfs3, no vfat) */
static const char fs_dev[] =
	"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tcgroup\nnodev\tcgroup2\n"
	"nodev\tcpuset\nnodev\tdevtmpfs\nnodev\tbinfmt_misc\nnodev\tdebugfs\n"
	"nodev\ttracefs\nnodev\tsecurityfs\nnodev\tsockfs\nnodev\tbpf\nnodev\tpipefs\n"
	"nodev\tramfs\nnodev\thugetlbfs\nnodev\tdevpts\n\text3\n\text2\n\text4\n"
	"\tsquashfs\n\tfuseblk\nnodev\tfuse\nnodev\tfusectl\nnodev\toverlay\n\txfs\n"
	"\terofs\nnodev\tmqueue\n\tbtrfs\nnodev\tpstore\n";
/* a Debian 6.12 rescue kernel after `modprobe ntfs3 vfat` */
static const char fs_ntfs3[] =
	"nodev\tsysfs\nnodev\ttmpfs\nnodev\tbdev\nnodev\tproc\nnodev\tcgroup\n"
	"nodev\tcgroup2\nnodev\tdevtmpfs\nnodev\tdebugfs\nnodev\tsecurityfs\n"
	"nodev\tsockfs\nnodev\tpipefs\nnodev\tramfs\nnodev\tdevpts\n\text3\n\text2\n"
	"\text4\nnodev\tmqueue\n\tvfat\n\tntfs3\n\tfuseblk\nnodev\tfuse\nnodev\tfusectl\n";

static struct partition *add_part(struct disk *d, const char *name, size_t num,
				  const char *fstype, const char *label, enum part_role role)
{
	struct partition *p;

	d->parts = xrealloc(d->parts, d->nparts + 1, sizeof(*p));
	p = &d->parts[d->nparts++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->path = xasprintf("/dev/%s", name);
	p->number = num;
	p->major = 8;
	p->minor = (unsigned)(d->nparts + 16 * d->minor);
	p->size = 100ULL << 20;
	p->vol.fstype = xstrdup(fstype);
	p->vol.label = xstrdup(label);
	p->vol.usage = xstrdup(fstype ? "filesystem" : NULL);
	p->role = role;
	if (fstype && strcmp(fstype, "ntfs") == 0) {
		struct ntfs_state *n = xcalloc(1, sizeof(*n));
		n->label = xstrdup(label);
		n->hibernated = TRI_NO;
		n->dirty = TRI_NO;
		n->logfile = NTFS_LOGFILE_CLEAN;
		n->mftmirr_ok = TRI_YES;
		n->bootsector_ok = TRI_YES;
		n->opened = true;
		p->vol.ntfs = n;
	}
	return p;
}

static struct disk *add_disk(struct inventory *inv, const char *name, enum disk_role role)
{
	struct disk *d;

	inv->disks = xrealloc(inv->disks, inv->ndisks + 1, sizeof(*d));
	d = &inv->disks[inv->ndisks++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->path = xasprintf("/dev/%s", name);
	d->number = inv->ndisks - 1;	/* the whole machine's list: its place in it */
	d->major = 8;
	d->minor = (unsigned)(inv->ndisks * 16);
	d->size = 1ULL << 30;
	d->role = role;
	return d;
}

/* Disk 0 rescue (sda1 at /), Disk 1 BIOS Windows, Disk 2 UEFI Windows, Disk 3 data. */
static struct inventory *sample(void)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	struct disk *d;
	struct partition *p;

	d = add_disk(inv, "sda", DISK_ROLE_RESCUE);
	d->role_reason = xstrdup("/ (/dev/sda1) is on this disk");
	p = add_part(d, "sda1", 1, "ext4", "rescue", PART_ROLE_OTHER);
	strv_add(&p->vol.use.mountpoints, &p->vol.use.nmountpoints, "/");

	d = add_disk(inv, "sdb", DISK_ROLE_SYSTEM);
	add_part(d, "sdb1", 1, "ntfs", "System Reserved", PART_ROLE_BOOT);
	add_part(d, "sdb2", 2, "ntfs", "Windows", PART_ROLE_WINDOWS);

	d = add_disk(inv, "sdc", DISK_ROLE_SYSTEM);
	add_part(d, "sdc1", 1, "vfat", "SYSTEM", PART_ROLE_ESP);
	add_part(d, "sdc2", 2, NULL, NULL, PART_ROLE_MSR);
	add_part(d, "sdc3", 3, "ntfs", "WINDOWS", PART_ROLE_WINDOWS);
	add_part(d, "sdc4", 4, "BitLocker", NULL, PART_ROLE_BITLOCKER);
	free(inv->disks[2].parts[3].vol.usage);
	inv->disks[2].parts[3].vol.usage = xstrdup("crypto");

	d = add_disk(inv, "sdd", DISK_ROLE_DATA);
	p = add_part(d, "sdd1", 1, "ntfs", "Data", PART_ROLE_DATA);
	strv_add(&p->vol.use.mountpoints, &p->vol.use.nmountpoints, "/mnt/winrescue/Data");
	add_part(d, "sdd2", 2, "ext4", "linuxdata", PART_ROLE_OTHER);
	return inv;
}

static int resolve(const struct inventory *inv, const char *spec, struct vol_ref *v,
		   size_t *ncand)
{
	char *err = NULL, **cand = NULL;
	size_t n = 0;
	int rc = target_resolve(inv, spec, v, &err, &cand, &n);

	if (rc == ACT_OK)
		assert_null(err);
	else
		assert_non_null(err);
	free(err);
	strv_free(cand, n);
	if (ncand)
		*ncand = n;
	return rc;
}

static void test_names(void **state)
{
	struct inventory *inv = sample();
	struct vol_ref v;
	size_t n;

	(void)state;
	/* two Windows disks: "system" is ambiguous and lists both */
	assert_int_equal(resolve(inv, "system", &v, &n), ACT_USAGE);
	assert_int_equal(n, 2);
	/* the label "Windows" exactly: one; ignoring case it would be two */
	assert_int_equal(resolve(inv, "Windows", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdb2");
	assert_int_equal(resolve(inv, "windows", &v, &n), ACT_USAGE);
	assert_int_equal(n, 2);
	assert_int_equal(resolve(inv, "data", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdd1");
	/* device paths and kernel names */
	assert_int_equal(resolve(inv, "/dev/sdc3", &v, NULL), ACT_OK);
	assert_int_equal(v.disk_index, 2);
	assert_int_equal(v.part->number, 3);
	assert_int_equal(resolve(inv, "sdc3", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdc3");
	assert_int_equal(resolve(inv, "/dev/sdz9", &v, &n), ACT_USAGE);
	assert_int_equal(n, 0);
	/* a whole disk with partitions is not a volume */
	assert_int_equal(resolve(inv, "/dev/sdb", &v, NULL), ACT_USAGE);
	/* disk:N/part:M as `list` numbers them */
	assert_int_equal(resolve(inv, "disk:1/part:2", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdb2");
	assert_int_equal(resolve(inv, "disk:1", &v, NULL), ACT_USAGE);
	assert_int_equal(resolve(inv, "disk:7/part:1", &v, NULL), ACT_USAGE);
	assert_int_equal(resolve(inv, "disk:1/part:x", &v, NULL), ACT_USAGE);
	/* a mount point */
	assert_int_equal(resolve(inv, "/mnt/winrescue/Data", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdd1");
	assert_int_equal(resolve(inv, "", &v, NULL), ACT_USAGE);
	assert_int_equal(resolve(inv, "nothing-like-it", &v, NULL), ACT_USAGE);
	inventory_free(inv);

	/* one Windows disk: "system" is its Windows volume */
	inv = sample();
	inv->disks[2].role = DISK_ROLE_DATA;
	assert_int_equal(resolve(inv, "system", &v, NULL), ACT_OK);
	assert_string_equal(v.path, "/dev/sdb2");
	inventory_free(inv);
}

/* mount's verdict on v with rw/discard; the refusal code or "ok". */
static const char *verdict(const struct vol_ref *v, const struct inventory *inv, bool rw,
			   bool discard, int *status)
{
	static char code[64];
	struct action_opts o = { .rw = rw, .discard_hibernation = discard };
	struct refusal r;

	if (!mount_refused(inv, v, &o, &r)) {
		*status = ACT_OK;
		return "ok";
	}
	assert_non_null(r.message);
	assert_non_null(r.next);
	/* the sentence names the device */
	assert_non_null(strstr(r.message, v->path));
	*status = r.status;
	snprintf(code, sizeof(code), "%s", r.code);
	refusal_free(&r);
	return code;
}

static void expect(struct inventory *inv, const char *spec, bool rw, bool discard,
		   const char *code, int status)
{
	struct vol_ref v;
	int st;

	assert_int_equal(resolve(inv, spec, &v, NULL), ACT_OK);
	assert_string_equal(verdict(&v, inv, rw, discard, &st), code);
	assert_int_equal(st, status);
}

static struct ntfs_state *ntfs_of(struct inventory *inv, size_t di, size_t pi)
{
	return inv->disks[di].parts[pi].vol.ntfs;
}

static void test_mount_rules(void **state)
{
	struct inventory *inv = sample();
	struct ntfs_state *w = ntfs_of(inv, 1, 1);

	(void)state;
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	expect(inv, "sdb2", true, false, "ok", ACT_OK);
	/* dirty: read-write all the same (with a warning in the plan) */
	w->dirty = TRI_YES;
	expect(inv, "sdb2", true, false, "ok", ACT_OK);
	/* hibernated: read-only yes, read-write only when the loss is accepted */
	w->hibernated = TRI_YES;
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	expect(inv, "sdb2", true, false, "hibernated", ACT_REFUSED);
	expect(inv, "sdb2", true, true, "ok", ACT_OK);
	w->hibernated = TRI_UNKNOWN;
	expect(inv, "sdb2", true, false, "hibernation-unknown", ACT_REFUSED);
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	w->hibernated = TRI_NO;
	/* Fast Startup: the same */
	w->logfile = NTFS_LOGFILE_FAST_RESTART;
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	expect(inv, "sdb2", true, false, "fast-startup", ACT_REFUSED);
	expect(inv, "sdb2", true, true, "ok", ACT_OK);
	/* an unclean journal: no discarding makes it safe */
	w->logfile = NTFS_LOGFILE_UNCLEAN;
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	expect(inv, "sdb2", true, false, "unclean-journal", ACT_REFUSED);
	expect(inv, "sdb2", true, true, "unclean-journal", ACT_REFUSED);
	w->logfile = NTFS_LOGFILE_UNKNOWN;
	expect(inv, "sdb2", true, false, "journal-unknown", ACT_REFUSED);
	w->logfile = NTFS_LOGFILE_EMPTY;
	expect(inv, "sdb2", true, false, "ok", ACT_OK);
	/* damage of every kind */
	w->mftmirr_ok = TRI_NO;
	expect(inv, "sdb2", true, false, "damaged", ACT_REFUSED);
	expect(inv, "sdb2", true, true, "damaged", ACT_REFUSED);
	expect(inv, "sdb2", false, false, "ok", ACT_OK);
	w->mftmirr_ok = TRI_UNKNOWN;
	expect(inv, "sdb2", true, false, "damaged", ACT_REFUSED);
	w->mftmirr_ok = TRI_YES;
	w->bootsector_ok = TRI_UNKNOWN;	/* an old backup may sit outside the volume: not damage */
	expect(inv, "sdb2", true, false, "ok", ACT_OK);
	w->bootsector_ok = TRI_NO;
	expect(inv, "sdb2", true, false, "damaged", ACT_REFUSED);
	w->bootsector_ok = TRI_YES;
	w->error = xstrdup("the $MFT cannot be read (Input/output error)");
	expect(inv, "sdb2", true, false, "damaged", ACT_REFUSED);
	expect(inv, "sdb2", false, false, "ok", ACT_OK);

	/* whatever the mode */
	expect(inv, "sda1", false, false, "rescue-disk", ACT_REFUSED);
	expect(inv, "sdd1", false, false, "already-mounted", ACT_REFUSED);
	expect(inv, "sdc4", false, false, "bitlocker-locked", ACT_REFUSED);
	expect(inv, "sdc2", false, false, "no-filesystem", ACT_FAILED);
	expect(inv, "sdc1", true, false, "ok", ACT_OK);
	inv->disks[3].parts[1].vol.use.swap = true;
	expect(inv, "sdd2", false, false, "in-use", ACT_REFUSED);
	inv->disks[3].parts[1].vol.use.swap = false;
	strv_add(&inv->disks[3].parts[1].vol.use.holders, &inv->disks[3].parts[1].vol.use.nholders,
		 "dm-0");
	expect(inv, "sdd2", false, false, "in-use", ACT_REFUSED);
	/* a regular file where the node should be */
	inv->disks[1].parts[0].error = xstrdup("/dev/sdb1 is not a block device (a regular file "
					       "stands in its place)");
	expect(inv, "sdb1", false, false, "not-block-device", ACT_REFUSED);
	inventory_free(inv);
}

static void method(const char *spec, bool rw, bool discard, const char *fs, const char *ntfs_3g,
		   enum mount_driver drv, const char *options, bool dirty)
{
	struct inventory *inv = sample();
	struct action_opts o = { .rw = rw, .discard_hibernation = discard };
	struct mount_method m;
	struct vol_ref v;

	ntfs_of(inv, 1, 1)->dirty = dirty ? TRI_YES : TRI_NO;
	assert_int_equal(resolve(inv, spec, &v, NULL), ACT_OK);
	mount_method_choose(&v, &o, fs, ntfs_3g, &m);
	assert_int_equal(m.driver, drv);
	if (options)
		assert_string_equal(m.options, options);
	else
		assert_non_null(m.why_none);
	mount_method_free(&m);
	inventory_free(inv);
}

static void test_drivers(void **state)
{
	(void)state;
	/* ntfs3 listed: the kernel's driver, force only for a dirty read-write mount */
	method("sdb2", false, false, fs_ntfs3, "/usr/bin/ntfs-3g", DRV_NTFS3,
	       "ro,nodev,nosuid,noexec,uid=0,gid=0,umask=077", false);
	method("sdb2", true, false, fs_ntfs3, "/usr/bin/ntfs-3g", DRV_NTFS3,
	       "rw,nodev,nosuid,noexec,uid=0,gid=0,umask=077,windows_names", false);
	method("sdb2", true, false, fs_ntfs3, NULL, DRV_NTFS3,
	       "rw,nodev,nosuid,noexec,uid=0,gid=0,umask=077,windows_names,force", true);
	/* not listed: ntfs-3g, which must never reset a journal by itself */
	method("sdb2", false, false, fs_dev, "/usr/bin/ntfs-3g", DRV_NTFS_3G,
	       "ro,nodev,nosuid,noexec,uid=0,gid=0,umask=077", false);
	method("sdb2", true, false, fs_dev, "/usr/bin/ntfs-3g", DRV_NTFS_3G,
	       "rw,nodev,nosuid,noexec,uid=0,gid=0,umask=077,windows_names,norecover", true);
	/* discarding hibernation is ntfs-3g's remove_hiberfile, even beside ntfs3 */
	method("sdb2", true, true, fs_ntfs3, "/usr/bin/ntfs-3g", DRV_NTFS_3G,
	       "rw,nodev,nosuid,noexec,uid=0,gid=0,umask=077,windows_names,norecover,remove_hiberfile", false);
	method("sdb2", true, true, fs_ntfs3, NULL, DRV_NONE, NULL, false);
	method("sdb2", false, false, fs_dev, NULL, DRV_NONE, NULL, false);
	method("sdb2", false, false, "", NULL, DRV_NONE, NULL, false);
	/* "fuseblk" or "ntfs" on a line must not read as ntfs3 */
	method("sdb2", false, false, "\tntfs\n\tfuseblk\n\tntfs3x\n", "/bin/ntfs-3g", DRV_NTFS_3G,
	       "ro,nodev,nosuid,noexec,uid=0,gid=0,umask=077", false);
	/* others through the kernel; read-only replays no journal; FAT has no owners: root's */
	method("sdc1", false, false, fs_ntfs3, NULL, DRV_KERNEL,
	       "ro,nodev,nosuid,noexec,uid=0,gid=0,umask=077", false);
	method("sdc1", true, false, fs_ntfs3, NULL, DRV_KERNEL,
	       "rw,nodev,nosuid,noexec,uid=0,gid=0,umask=077", false);
	method("sdd2", false, false, fs_dev, NULL, DRV_KERNEL,
	       "ro,nodev,nosuid,noexec,noload", false);
	method("sdd2", true, false, fs_dev, NULL, DRV_KERNEL, "rw,nodev,nosuid,noexec", false);
}

static void test_default_dir(void **state)
{
	struct inventory *inv = sample();
	struct vol_ref v;
	char *d;

	(void)state;
	assert_int_equal(resolve(inv, "sdd1", &v, NULL), ACT_OK);
	d = mount_default_dir(&v, inv);
	assert_string_equal(d, "/mnt/winrescue/Data");
	free(d);
	/* "Windows" and "WINDOWS": Windows labels ignore case, so the name is added */
	assert_int_equal(resolve(inv, "sdb2", &v, NULL), ACT_OK);
	d = mount_default_dir(&v, inv);
	assert_string_equal(d, "/mnt/winrescue/Windows-sdb2");
	free(d);
	assert_int_equal(resolve(inv, "sdb1", &v, NULL), ACT_OK);
	d = mount_default_dir(&v, inv);
	assert_string_equal(d, "/mnt/winrescue/System_Reserved");
	free(d);
	/* hostile and empty labels */
	free(inv->disks[3].parts[1].vol.label);
	inv->disks[3].parts[1].vol.label = xstrdup("../a/b\x1b[1m");
	assert_int_equal(resolve(inv, "sdd2", &v, NULL), ACT_OK);
	d = mount_default_dir(&v, inv);
	assert_string_equal(d, "/mnt/winrescue/_._a_b_[1m");
	free(d);
	assert_int_equal(resolve(inv, "sdc2", &v, NULL), ACT_OK);
	d = mount_default_dir(&v, inv);
	assert_string_equal(d, "/mnt/winrescue/sdc2");
	free(d);
	inventory_free(inv);
}

static struct json_object *last_record(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	struct json_object *o;

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		free(last);
		last = xstrdup(line);
	}
	fclose(f);
	free(line);
	assert_non_null(last);
	assert_non_null(strchr(last, '\n'));
	o = json_tokener_parse(last);
	free(last);
	assert_non_null(o);
	return o;
}

static const char *jget(struct json_object *o, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	static char out[512];

	for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (*k >= '0' && *k <= '9')
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else
			o = json_object_object_get(o, k);
	}
	free(copy);
	snprintf(out, sizeof(out), "%s", o ? json_object_get_string(o) : "(null)");
	return out;
}

static void test_audit(void **state)
{
	char dir[] = "/tmp/winrescue-unit-audit.XXXXXX", *log, *err = NULL;
	struct job job = { 0 };
	struct vol_ref v;
	struct json_object *o;

	(void)state;
	assert_non_null(mkdtemp(dir));
	log = xasprintf("%s/sub/audit.jsonl", dir);
	job.act = &action_mount;
	job.inv = sample();
	job.spec = xstrdup("Windows");
	job.log_path = xstrdup(log);
	job.opts.rw = true;
	assert_int_equal(resolve(job.inv, "sdb2", &v, NULL), ACT_OK);
	job.targets = xcalloc(1, sizeof(v));
	job.targets[0] = v;
	job.ntargets = 1;
	job_plan_step(&job, "Mount /dev/sdb2 read-write at /mnt/winrescue/Windows");
	job.plan.loss = xstrdup("nothing \"quoted\"\nand a newline");

	/* the plan: one line, every field, the directory made */
	assert_int_equal(audit_record(&job, "plan", &err), 0);
	o = last_record(log);
	assert_string_equal(jget(o, "event"), "plan");
	assert_string_equal(jget(o, "action"), "mount");
	assert_string_equal(jget(o, "risk"), "mounts");
	assert_string_equal(jget(o, "spec"), "Windows");
	assert_string_equal(jget(o, "targets.0.device"), "/dev/sdb2");
	assert_string_equal(jget(o, "targets.0.disk"), "/dev/sdb");
	assert_string_equal(jget(o, "targets.0.label"), "Windows");
	assert_string_equal(jget(o, "options.rw"), "true");
	assert_string_equal(jget(o, "plan.steps.0"),
			    "Mount /dev/sdb2 read-write at /mnt/winrescue/Windows");
	assert_string_equal(jget(o, "plan.loss"), "nothing \"quoted\"\nand a newline");
	assert_int_equal(strlen(jget(o, "time")), strlen("2026-12-02T10:12:03.123Z"));
	assert_true(jget(o, "time")[10] == 'T');
	char *id = xstrdup(jget(o, "id"));
	json_object_put(o);

	/* the result: same id */
	job_result(&job, ACT_OK, "mounted", NULL, "Mounted /dev/sdb2 read-write.");
	struct mount_record *m = job_add_mount(&job);
	m->device = xstrdup("/dev/sdb2");
	m->mountpoint = xstrdup("/mnt/winrescue/Windows");
	m->driver = xstrdup("ntfs-3g");
	m->rw = m->mounted = true;
	m->rw_requested = TRI_YES;
	assert_int_equal(audit_record(&job, "result", &err), 0);
	o = last_record(log);
	assert_string_equal(jget(o, "event"), "result");
	assert_string_equal(jget(o, "id"), id);
	assert_string_equal(jget(o, "status"), "0");
	assert_string_equal(jget(o, "code"), "mounted");
	assert_string_equal(jget(o, "mounts.0.mode"), "rw");
	assert_string_equal(jget(o, "mounts.0.driver"), "ntfs-3g");
	json_object_put(o);
	free(id);

	/* what the TUI's log screen shows */
	const struct audit_entry *e;
	size_t n = audit_session(&e);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].event, "plan");
	assert_string_equal(e[1].text, "Mounted /dev/sdb2 read-write.");
	assert_string_equal(e[1].target, "/dev/sdb2");
	audit_session_free();

	/* never on a disk being rescued: the log's directory on Disk 3's volume */
	strv_add(&job.inv->disks[3].parts[1].vol.use.mountpoints,
		 &job.inv->disks[3].parts[1].vol.use.nmountpoints, dir);
	assert_int_equal(audit_record(&job, "result", &err), -1);
	assert_non_null(strstr(err, "which is not the rescue system's disk"));
	assert_non_null(strstr(err, "/dev/sdd2"));
	free(err);
	err = NULL;

	/* a log that cannot be written: refused, with the path in the reason */
	free(job.log_path);
	job.log_path = xstrdup("/proc/winrescue-cannot/audit.jsonl");
	assert_int_equal(audit_record(&job, "plan", &err), -1);
	assert_non_null(strstr(err, "/proc/winrescue-cannot"));
	free(err);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(log);
	job_free(&job);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mount_rules),
		cmocka_unit_test(test_drivers),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

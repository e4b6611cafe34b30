/*
 * undo_file.c - writing and reading undo files (see undo.h for the layout).
 * Everything here is about the file; which ranges to save and when to
 * restore them is the actions' business (fix.c, undo.c).
 */
#include "actions/undo.h"
#include "lib/jsonutil.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define EXT_HEADER 32

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int undo_hash_range(int fd, uint64_t off, uint64_t len, uint64_t *hash)
{
	uint8_t *buf = xcalloc(1, CHUNK);
	uint64_t h = HASH64_INIT;
	int rc = 0;

	for (uint64_t done = 0; done < len && !rc;) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		if (!(rc = pread_all(fd, buf, n, off + done)))
			h = hash64(buf, n, h);
		done += n;
	}
	free(buf);
	*hash = h;
	return rc;
}

/* undo_begin(), for a volume at offset in the image file image (IMAGE:N; NULL: a device). */
static int begin_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		    const char *device, uint64_t device_size, const char *job_id, const char *image,
		    uint64_t offset, const struct undo_range *r, size_t n, char **err)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char stamp[32], created[32];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t bytes = 0;
	int e;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if ((e = mkdir_p(dir, 0700)) < 0) {
		*err = xasprintf("cannot make the undo directory %s: %s", dir, strerror(-e));
		json_object_put(o);
		json_object_put(a);
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* a name any shell and scp take as it is: "disk.img:2" is named "disk.img-2" */
	char *name = xstrdup(devname);
	for (char *c = name; *c; c++)
		if (*c == ':' || *c == '/' || *c == ' ')
			*c = '-';
	/* one per second and device is the norm; a suffix when two meet */
	for (int i = 0; i < 100 && w->fd < 0; i++) {
		free(w->path);
		w->path = i ? xasprintf("%s/%s-%s-%s-%d.undo", dir, stamp, name, action, i)
			    : xasprintf("%s/%s-%s-%s.undo", dir, stamp, name, action);
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd < 0 && errno != EEXIST)
			break;
	}
	free(name);
	if (w->fd < 0) {
		*err = xasprintf("cannot create an undo file in %s: %s", dir, strerror(errno));
		free(w->path);
		w->path = NULL;
		json_object_put(o);
		json_object_put(a);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_new_object();
		json_add(x, "offset", json_object_new_int64((int64_t)r[i].off));
		json_add(x, "length", json_object_new_int64((int64_t)r[i].len));
		json_add(x, "what", json_str(r[i].what));
		json_object_array_add(a, x);
		bytes += r[i].len;
	}
	json_add(o, "action", json_str(action));
	json_add(o, "device", json_str(device));
	json_add(o, "device_size", json_object_new_int64((int64_t)device_size));
	if (image) {
		/* the ranges are the volume's; it starts offset bytes into image */
		json_add(o, "image", json_str(image));
		json_add(o, "offset", json_object_new_int64((int64_t)offset));
	}
	json_add(o, "created", json_str(created));
	json_add(o, "job", json_str(job_id));
	json_add(o, "extents", json_object_new_int64((int64_t)n));
	json_add(o, "bytes", json_object_new_int64((int64_t)bytes));
	json_add(o, "ranges", a);
	const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	e = write_full(w->fd, UNDO_MAGIC, strlen(UNDO_MAGIC));
	if (!e)
		e = write_full(w->fd, js, strlen(js));
	if (!e)
		e = write_full(w->fd, "\n", 1);
	json_object_put(o);
	if (e) {
		*err = xasprintf("cannot write the undo file %s: %s", w->path, strerror(-e));
		undo_abort(w);
		return -1;
	}
	w->expected = n;
	w->base = offset;
	return 0;
}

int undo_begin(struct undo_writer *w, const char *dir, const char *devname, const char *action,
	       const char *device, uint64_t device_size, const char *job_id,
	       const struct undo_range *r, size_t n, char **err)
{
	return begin_at(w, dir, devname, action, device, device_size, job_id, NULL, 0, r, n, err);
}

int undo_add(struct undo_writer *w, int devfd, const struct undo_range *r, uint64_t *old_hash,
	     char **err)
{
	uint8_t hdr[EXT_HEADER], *buf;
	off_t at = lseek(w->fd, 0, SEEK_CUR);
	uint64_t h = HASH64_INIT;
	int e = 0;

	/* the old hash goes into the header once the bytes are read: room first */
	memset(hdr, 0, sizeof(hdr));
	if ((e = write_full(w->fd, hdr, sizeof(hdr)))) {
		*err = xasprintf("cannot write the undo file %s: %s", w->path, strerror(-e));
		return -1;
	}
	buf = xcalloc(1, CHUNK);
	for (uint64_t done = 0; done < r->len && !e;) {
		size_t n = r->len - done < CHUNK ? (size_t)(r->len - done) : CHUNK;
		if ((e = pread_all(devfd, buf, n, w->base + r->off + done))) {
			*err = xasprintf("cannot read bytes %llu-%llu (%s) to save them: %s",
					 (unsigned long long)(r->off + done),
					 (unsigned long long)(r->off + done + n - 1), r->what, strerror(-e));
			break;
		}
		h = hash64(buf, n, h);
		if ((e = write_full(w->fd, buf, n)))
			*err = xasprintf("cannot write the undo file %s: %s", w->path, strerror(-e));
		done += n;
	}
	free(buf);
	if (e)
		return -1;
	put64(hdr, r->off);
	put64(hdr + 8, r->len);
	put64(hdr + 16, h);
	put64(hdr + 24, r->new_hash);
	if (pwrite(w->fd, hdr, sizeof(hdr), at) != (ssize_t)sizeof(hdr)) {
		*err = xasprintf("cannot write the undo file %s: %s", w->path, strerror(errno));
		return -1;
	}
	*old_hash = h;
	w->written++;
	return 0;
}

int undo_finish(struct undo_writer *w, char **err)
{
	char *dir = xstrdup(w->path);
	int e = write_full(w->fd, UNDO_END, strlen(UNDO_END)), dfd;

	if (!e && w->written != w->expected)
		e = -EINVAL;
	if (!e && fsync(w->fd) < 0)
		e = -errno;
	/* the name must survive a power cut too: its directory, and that one's
	 * (mkdir_p may have just made it) */
	for (int level = 0; !e && level < 2; level++) {
		char *d = dirname(dir);
		if ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			e = -errno;
			break;
		}
		if (fsync(dfd) < 0)
			e = -errno;
		close(dfd);
		memmove(dir, d, strlen(d) + 1);
	}
	free(dir);
	if (e) {
		*err = xasprintf("cannot complete the undo file %s: %s", w->path, strerror(-e));
		return -1;
	}
	close(w->fd);
	w->fd = -1;
	return 0;
}

void undo_abort(struct undo_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->path)
		unlink(w->path);
	free(w->path);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? xstrdup(json_object_get_string(v)) : NULL;
}

static bool jint(struct json_object *o, const char *k, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

int undo_open(const char *path, struct undo_file *u, char **err)
{
	char magic[sizeof(UNDO_MAGIC) - 1], end[sizeof(UNDO_END) - 1], *line = NULL;
	size_t cap = 0;
	uint64_t n = 0, pos, size;
	struct json_object *o = NULL;
	struct stat st;
	FILE *f = NULL;
	int fd;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->path = xstrdup(path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		*err = xasprintf("%s cannot be read: %s", path, strerror(errno));
		goto fail;
	}
	u->fd = fd;
	size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode) || pread_all(fd, magic, sizeof(magic), 0) ||
	    memcmp(magic, UNDO_MAGIC, sizeof(magic)) != 0) {
		*err = xasprintf("%s is not a winrescue undo file", path);
		goto fail;
	}
	/* the JSON line: read through a stream on a duplicate */
	int fd2 = dup(fd);
	ssize_t ll = -1;
	if (fd2 >= 0 && !(f = fdopen(fd2, "r")))
		close(fd2);
	if (!f || fseeko(f, (off_t)sizeof(magic), SEEK_SET) ||
	    (ll = getline(&line, &cap, f)) <= 0 || strlen(line) != (size_t)ll ||
	    !(o = json_tokener_parse(line)) || !json_object_is_type(o, json_type_object)) {
		*err = xasprintf("%s is damaged: its header cannot be read", path);
		goto fail;
	}
	pos = sizeof(magic) + (uint64_t)ll;
	u->action = jstr(o, "action");
	u->device = jstr(o, "device");
	u->image = jstr(o, "image");
	if (!jint(o, "offset", &u->offset))
		u->offset = 0;
	u->base = u->offset;
	u->created = jstr(o, "created");
	u->job = jstr(o, "job");
	if (!u->action || !u->device || !jint(o, "device_size", &u->device_size) ||
	    !jint(o, "extents", &n) || n > size / EXT_HEADER) {
		*err = xasprintf("%s is damaged: its header lacks the device or the extents", path);
		goto fail;
	}
	u->ext = xcalloc(n ? (size_t)n : 1, sizeof(*u->ext));
	for (uint64_t i = 0; i < n; i++) {
		uint8_t h[EXT_HEADER];
		struct undo_extent *x = &u->ext[i];
		if (pos + EXT_HEADER > size || pread_all(fd, h, sizeof(h), pos)) {
			*err = xasprintf("%s is incomplete (extent %llu of %llu is missing): the "
					 "action it belongs to stopped before writing anything",
					 path, (unsigned long long)i + 1, (unsigned long long)n);
			goto fail;
		}
		x->off = get64(h);
		x->len = get64(h + 8);
		x->old_hash = get64(h + 16);
		x->new_hash = get64(h + 24);
		x->data_pos = pos + EXT_HEADER;
		if (x->len > size - x->data_pos || x->off + x->len < x->off ||
		    x->off + x->len > u->device_size) {
			*err = xasprintf("%s is incomplete or damaged at extent %llu", path,
					 (unsigned long long)i + 1);
			goto fail;
		}
		pos = x->data_pos + x->len;
		u->bytes += x->len;
		u->n++;
	}
	if (pos + sizeof(end) != size || pread_all(fd, end, sizeof(end), pos) ||
	    memcmp(end, UNDO_END, sizeof(end)) != 0) {
		*err = xasprintf("%s is incomplete (no end line): the action it belongs to stopped "
				 "before writing anything", path);
		goto fail;
	}
	json_object_put(o);
	fclose(f);
	free(line);
	return 0;
fail:
	if (o)
		json_object_put(o);
	if (f)
		fclose(f);
	free(line);
	undo_close(u);
	return -1;
}

int undo_restore_extent(const struct undo_file *u, const struct undo_extent *x, int devfd)
{
	uint8_t *buf = xcalloc(1, CHUNK);
	int e = 0;

	for (uint64_t done = 0; done < x->len && !e; done += CHUNK) {
		size_t n = x->len - done < CHUNK ? (size_t)(x->len - done) : CHUNK;
		if (!(e = -pread_all(u->fd, buf, n, x->data_pos + done)))
			e = -pwrite_all(devfd, buf, n, u->base + x->off + done);
	}
	free(buf);
	if (!e && fdatasync(devfd) < 0)
		e = errno;
	return e;
}

void undo_close(struct undo_file *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->path);
	free(u->action);
	free(u->device);
	free(u->image);
	free(u->created);
	free(u->job);
	free(u->ext);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

/*
 * A write failed at range last: ranges 0..last go back from the undo file
 * (the failed one may be half written, so it is not judged, only put back).
 * True when every one went back.
 */
bool undo_rollback(const char *undo_path, int fd, size_t last)
{
	struct undo_file u;
	char *err = NULL;
	bool ok = true;

	if (undo_open(undo_path, &u, &err) < 0) {
		free(err);
		return false;
	}
	for (size_t i = 0; i <= last && i < u.n; i++) {
		uint64_t h;
		/* a range the device refused to write may still hold its old bytes */
		if (undo_restore_extent(&u, &u.ext[i], fd) == 0)
			continue;
		/* what the device holds, not what the page cache kept of the failed write */
		posix_fadvise(fd, (off_t)(u.base + u.ext[i].off), (off_t)u.ext[i].len, POSIX_FADV_DONTNEED);
		if (undo_hash_range(fd, u.base + u.ext[i].off, u.ext[i].len, &h) != 0 ||
		    h != u.ext[i].old_hash)
			ok = false;
	}
	undo_close(&u);
	return ok;
}

int undo_save(struct undo_writer *w, const char *dir, const char *devname, const char *action,
	      const char *device, uint64_t device_size, const char *job_id,
	      const struct undo_range *r, const uint64_t *old, size_t n, int devfd,
	      void (*tick)(void *data, size_t done, size_t n), void *data, char **err)
{
	return undo_save_at(w, dir, devname, action, device, device_size, job_id, NULL, 0, r, old, n,
			    devfd, tick, data, err);
}

int undo_save_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		 const char *device, uint64_t device_size, const char *job_id, const char *image,
		 uint64_t offset, const struct undo_range *r, const uint64_t *old, size_t n,
		 int devfd, void (*tick)(void *data, size_t done, size_t n), void *data, char **err)
{
	int rc = begin_at(w, dir, devname, action, device, device_size, job_id, image, offset, r, n,
			  err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t h;
		if ((rc = undo_add(w, devfd, &r[i], &h, err)) == 0 && h != old[i]) {
			*err = xasprintf("%s changed since the plan was made (%s, byte %" PRIu64 ")",
					 device, r[i].what, r[i].off);
			rc = -1;
		}
		if (tick)
			tick(data, i + 1, n);
	}
	if (rc == 0)
		rc = undo_finish(w, err);
	if (rc != 0 && w->path)
		undo_abort(w);
	return rc;
}

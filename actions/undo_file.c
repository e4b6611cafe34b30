/*
 * undo_file.c - writing and reading undo files (see undo.h for the layout).
 * Everything here is about the file; which ranges to save and when to
 * restore them is the actions' business (fix.c, undo.c).
 */
#include "actions/undo.h"
#include "lib/jsonutil.h"
#include "lib/safedir.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* ---- the key and the MAC ---- */

/*
 * The key of the undo directory dir: DIR.key beside it, root's and 0600;
 * made (O_EXCL, O_NOFOLLOW, 32 random bytes, synced) when create and it is
 * missing. 0, or -1 with why in *err.
 */
static int key_load(const char *dir, bool create, uint8_t key[UNDO_KEY_LEN], char **err)
{
	char *base = NULL, *why = NULL, *name;
	/* beside a private directory made in /tmp (mktemp -d) too: root's sticky
	 * /tmp lets nobody replace root's key, and one made by another is refused */
	int pfd = safedir_open_parent(dir, SAFEDIR_STICKY_OK, 0, &base, &why), fd = -1, rc = -1;
	struct stat st;

	if (pfd < 0) {
		*err = xasprintf("the key beside the undo directory %s cannot be trusted: %s", dir, why);
		free(why);
		return -1;
	}
	name = xasprintf("%s.key", base);
	if (create) {
		fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			bool ok = getrandom(key, UNDO_KEY_LEN, 0) == UNDO_KEY_LEN &&
				  write_full(fd, key, UNDO_KEY_LEN) == 0 && fsync(fd) == 0 &&
				  fsync(pfd) == 0;
			int e = errno;
			close(fd);
			fd = -1;
			if (!ok) {
				unlinkat(pfd, name, 0);
				*err = xasprintf("the key %s.key cannot be made: %s", dir, strerror(e));
				goto out;
			}
		} else if (errno != EEXIST) {
			*err = xasprintf("the key %s.key cannot be made: %s", dir, strerror(errno));
			goto out;
		}
	}
	if ((fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		*err = errno == ENOENT
			? xasprintf("there is no key beside its directory (%s.key): an undo file is "
				    "trusted only in the directory winrescue wrote it to", dir)
			: xasprintf("the key %s.key cannot be read: %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077) ||
	    st.st_size != UNDO_KEY_LEN) {
		*err = xasprintf("the key %s.key is not root's alone (a 0600 file of %d bytes owned by "
				 "root): it cannot be trusted", dir, UNDO_KEY_LEN);
		goto out;
	}
	if (pread_all(fd, key, UNDO_KEY_LEN, 0) != 0) {
		*err = xasprintf("the key %s.key cannot be read", dir);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(pfd);
	free(name);
	free(base);
	free(why);
	return rc;
}

/* HMAC-SHA256 (OpenSSL's EVP_MAC) of bytes [0, len) of fd, in hex. 0 or -1. */
static int file_mac(int fd, uint64_t len, const uint8_t key[UNDO_KEY_LEN], char hex[65])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_construct_end() };
	uint8_t *buf = xcalloc(1, CHUNK), out[32];
	size_t outlen = 0;
	int rc = -1;

	if (!ctx || !EVP_MAC_init(ctx, key, UNDO_KEY_LEN, params))
		goto out;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		if (pread_all(fd, buf, n, done) != 0 || !EVP_MAC_update(ctx, buf, n))
			goto out;
		done += n;
	}
	if (!EVP_MAC_final(ctx, out, &outlen, sizeof(out)) || outlen != sizeof(out))
		goto out;
	for (size_t i = 0; i < sizeof(out); i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	rc = 0;
out:
	OPENSSL_cleanse(out, sizeof(out));
	free(buf);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* ---- what each action may write ---- */

/* The kinds of area each action declares (undo.h), and how large one may be (0: any). */
static const struct {
	const char *action, *kind;
	uint64_t max;
} area_rules[] = {
	{ "fix", "boot-sector", 4096 },
	{ "fix", "mft-records", 2u << 20 },	/* max(4 records, a cluster) */
	{ "fix", "mftmirr-records", 2u << 20 },
	{ "fix", "logfile", 0 },
	{ "fix", "hiberfil-header", 64u << 10 },
	{ "fix-boot", "partition-table", 0 },	/* inside the first or last MiB: below */
	{ "fix-boot", "boot-sector", 4096 },
	{ "rewrite-bcd", "bcd-store", 2u << 20 },	/* one cluster */
};

#define TABLE_WINDOW ((1u << 20) + 4096)	/* fix_boot.c's WINDOW, page-aligned */

/* Why area a is not one action may write on a target of size bytes, or NULL. */
static char *area_refused(const char *action, const struct undo_area *a, uint64_t size)
{
	size_t i;

	for (i = 0; i < sizeof(area_rules) / sizeof(area_rules[0]); i++)
		if (strcmp(area_rules[i].action, action) == 0 && a->kind &&
		    strcmp(area_rules[i].kind, a->kind) == 0)
			break;
	if (i == sizeof(area_rules) / sizeof(area_rules[0]))
		return xasprintf("%s never writes %s", action, a->kind ? a->kind : "an unnamed area");
	if (!a->len || a->off + a->len < a->off || a->off + a->len > size ||
	    (area_rules[i].max && a->len > area_rules[i].max))
		return xasprintf("its %s area (byte %" PRIu64 ", %" PRIu64 " bytes) is not one %s "
				 "writes", a->kind, a->off, a->len, action);
	if (strcmp(a->kind, "partition-table") == 0 && a->off + a->len > TABLE_WINDOW &&
	    a->off + TABLE_WINDOW < size)
		return xasprintf("its partition-table area (byte %" PRIu64 ", %" PRIu64 " bytes) lies "
				 "outside the first and last MiB of the disk", a->off, a->len);
	return NULL;
}

/* Why range [off, off+len) lies in none of the areas, or NULL. */
static char *range_outside(const struct undo_area *a, size_t na, uint64_t off, uint64_t len,
			   const char *action)
{
	for (size_t i = 0; i < na; i++)
		if (off >= a[i].off && len <= a[i].len && off - a[i].off <= a[i].len - len)
			return NULL;
	return xasprintf("bytes %" PRIu64 "-%" PRIu64 " lie outside every area %s declared it "
			 "may write", off, off + len - 1, action);
}

/* The undo file's header for a volume at offset in the image file image (IMAGE:N; NULL: a device). */
static int begin_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		    const char *device, uint64_t device_size, const char *job_id,
		    const struct undo_bind *b, const char *image, uint64_t offset,
		    const struct undo_range *r, size_t n, char **err)
{
	struct json_object *o, *a, *ar;
	char stamp[32], created[32], *why = NULL, *name;
	time_t now = time(NULL);
	struct tm tm;
	uint64_t bytes = 0;
	int e;

	memset(w, 0, sizeof(*w));
	w->fd = w->dirfd = -1;
	/* what the action may write, and every range inside it: before anything is saved */
	for (size_t i = 0; i < b->nareas && !why; i++)
		why = area_refused(action, &b->areas[i], device_size);
	for (size_t i = 0; i < n && !why; i++)
		why = range_outside(b->areas, b->nareas, r[i].off, r[i].len, action);
	if (why) {
		*err = xasprintf("the plan for %s is not one %s may carry out (%s)", device, action, why);
		free(why);
		return -1;
	}
	if ((w->dirfd = safedir_open(dir, SAFEDIR_CREATE, 0700, &why)) < 0) {
		*err = xasprintf("the undo directory cannot be used: %s (give --undo-dir a directory "
				 "of root's that nobody else can write to)", why);
		free(why);
		return -1;
	}
	if (key_load(dir, true, w->key, err) < 0) {
		close(w->dirfd);
		w->dirfd = -1;
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* a name any shell and scp take as it is: "disk.img:2" is named "disk.img-2" */
	char *dev = xstrdup(devname);
	for (char *c = dev; *c; c++)
		if (*c == ':' || *c == '/' || *c == ' ')
			*c = '-';
	/* one per second and device is the norm; a suffix when two meet */
	for (int i = 0; i < 100 && w->fd < 0; i++) {
		name = i ? xasprintf("%s-%s-%s-%d.undo", stamp, dev, action, i)
			 : xasprintf("%s-%s-%s.undo", stamp, dev, action);
		free(w->path);
		w->path = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
		w->fd = openat(w->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		free(name);
		if (w->fd < 0 && errno != EEXIST)
			break;
	}
	free(dev);
	if (w->fd < 0) {
		*err = xasprintf("cannot create an undo file in %s: %s", dir, strerror(errno));
		free(w->path);
		w->path = NULL;
		close(w->dirfd);
		w->dirfd = -1;
		return -1;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	ar = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_new_object();
		json_add(x, "offset", json_object_new_int64((int64_t)r[i].off));
		json_add(x, "length", json_object_new_int64((int64_t)r[i].len));
		json_add(x, "what", json_str(r[i].what));
		json_object_array_add(a, x);
		bytes += r[i].len;
	}
	for (size_t i = 0; i < b->nareas; i++) {
		struct json_object *x = json_object_new_object();
		json_add(x, "kind", json_str(b->areas[i].kind));
		json_add(x, "offset", json_object_new_int64((int64_t)b->areas[i].off));
		json_add(x, "length", json_object_new_int64((int64_t)b->areas[i].len));
		json_object_array_add(ar, x);
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
	json_add(o, "target", b->target ? json_object_get(b->target) : json_object_new_object());
	json_add(o, "areas", ar);
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
	char hex[65];
	off_t end = lseek(w->fd, 0, SEEK_CUR);
	int e = end < 0 ? -errno : 0, pfd;

	if (!e && w->written != w->expected)
		e = -EINVAL;
	/* the MAC of every byte so far, read back as the file holds them */
	if (!e && (fsync(w->fd) < 0 || file_mac(w->fd, (uint64_t)end, w->key, hex) < 0))
		e = errno ? -errno : -EIO;
	if (!e)
		e = write_full(w->fd, UNDO_END, strlen(UNDO_END));
	if (!e)
		e = write_full(w->fd, hex, 64);
	if (!e)
		e = write_full(w->fd, "\n", 1);
	if (!e && fsync(w->fd) < 0)
		e = -errno;
	/* the name must survive a power cut too: its directory, and that one's
	 * (the walk may have just made it) */
	if (!e && fsync(w->dirfd) < 0)
		e = -errno;
	if (!e && (pfd = openat(w->dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(pfd) < 0)
			e = -errno;
		close(pfd);
	}
	if (e) {
		*err = xasprintf("cannot complete the undo file %s: %s", w->path, strerror(-e));
		return -1;
	}
	close(w->fd);
	close(w->dirfd);
	w->fd = w->dirfd = -1;
	OPENSSL_cleanse(w->key, sizeof(w->key));
	return 0;
}

void undo_abort(struct undo_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->path && w->dirfd >= 0) {
		const char *slash = strrchr(w->path, '/');
		unlinkat(w->dirfd, slash ? slash + 1 : w->path, 0);
	}
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->path);
	OPENSSL_cleanse(w->key, sizeof(w->key));
	memset(w, 0, sizeof(*w));
	w->fd = w->dirfd = -1;
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

/* The header's areas (n of them in *na); false when they are not a list of {kind, offset, length}. */
static bool read_areas(struct json_object *o, struct undo_area **out, size_t *na)
{
	struct json_object *arr, *k;
	size_t n;

	*out = NULL;
	*na = 0;
	if (!json_object_object_get_ex(o, "areas", &arr) || !json_object_is_type(arr, json_type_array))
		return false;
	n = json_object_array_length(arr);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		struct undo_area *a = &(*out)[i];
		if (!json_object_is_type(x, json_type_object) || !jint(x, "offset", &a->off) ||
		    !jint(x, "length", &a->len) || !json_object_object_get_ex(x, "kind", &k) ||
		    !json_object_is_type(k, json_type_string))
			return false;
		a->kind = json_object_get_string(k);	/* lives as long as o */
		(*na)++;
	}
	return true;
}

/* The file at path opened under a directory walk nobody else can change; -1 with why. */
static int open_trusted(const char *path, char **dir, char **why)
{
	char *base = NULL;
	int dfd = safedir_open_parent(path, 0, 0, &base, why), fd;
	struct stat st;

	*dir = NULL;
	if (dfd < 0)
		return -1;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		*why = errno == ELOOP ? xasprintf("%s is a symbolic link", path)
				      : xasprintf("%s cannot be read: %s", path, strerror(errno));
		free(base);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		*why = xasprintf("%s is not a regular file of root's that nobody else can write", path);
		close(fd);
		free(base);
		return -1;
	}
	/* its directory as named (the key lies beside it) */
	char *abs = safedir_absolute(path), *slash;
	for (size_t n = strlen(abs); n > 1 && abs[n - 1] == '/'; n--)
		abs[n - 1] = '\0';
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	*dir = abs;
	free(base);
	return fd;
}

int undo_open(const char *path, struct undo_file *u, char **err)
{
	char magic[sizeof(UNDO_MAGIC) - 1], end[UNDO_END_LEN], *line = NULL, *why = NULL, *dir = NULL;
	char hex[65];
	uint8_t key[UNDO_KEY_LEN];
	size_t cap = 0, na = 0;
	uint64_t n = 0, pos, size;
	struct json_object *o = NULL, *ranges = NULL;
	struct undo_area *areas = NULL;
	struct stat st;
	FILE *f = NULL;
	int fd, rc = -1;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->path = xstrdup(path);
	/* what is not there, or is no file, is said as such (nothing to trust or not) */
	struct stat lst;
	if (lstat(path, &lst) < 0 || S_ISDIR(lst.st_mode)) {
		*err = errno == ENOENT ? xasprintf("%s does not exist", path)
		       : S_ISDIR(lst.st_mode) ? xasprintf("%s is a directory, not an undo file", path)
		       : xasprintf("%s cannot be read: %s", path, strerror(errno));
		goto fail;
	}
	/* where it lies first: a file others could have written is never read */
	if ((fd = open_trusted(path, &dir, &why)) < 0) {
		*err = xasprintf("Refused: %s cannot be trusted: %s. Nothing was written", path, why);
		free(why);
		rc = UNDO_UNTRUSTED;
		goto fail;
	}
	u->fd = fd;
	if (fstat(fd, &st) < 0) {
		*err = xasprintf("%s cannot be read: %s", path, strerror(errno));
		goto fail;
	}
	size = (uint64_t)st.st_size;
	if (pread_all(fd, magic, sizeof(magic), 0) == 0 &&
	    memcmp(magic, UNDO_MAGIC_V1, sizeof(magic)) == 0) {
		*err = xasprintf("Refused: %s was written by an older winrescue, without a MAC, so "
				 "nothing proves what it holds or which disk it belongs to. Nothing "
				 "was written; put the bytes back by hand if you must, after reading "
				 "the file (winrescue(8), UNDO FILES)", path);
		rc = UNDO_OLD_FORMAT;
		goto fail;
	}
	if (pread_all(fd, magic, sizeof(magic), 0) || memcmp(magic, UNDO_MAGIC, sizeof(magic)) != 0) {
		*err = xasprintf("%s is not a winrescue undo file", path);
		goto fail;
	}
	if (size < sizeof(magic) + UNDO_END_LEN ||
	    pread_all(fd, end, UNDO_END_LEN, size - UNDO_END_LEN) ||
	    memcmp(end, UNDO_END, strlen(UNDO_END)) != 0 || end[UNDO_END_LEN - 1] != '\n') {
		*err = xasprintf("%s is incomplete (no end line): the action it belongs to stopped "
				 "before writing anything", path);
		goto fail;
	}
	/* the MAC, with the key beside its directory: before a byte of it is believed */
	if (key_load(dir, false, key, &why) < 0) {
		*err = xasprintf("Refused: %s cannot be trusted: %s. Nothing was written", path, why);
		free(why);
		rc = UNDO_UNTRUSTED;
		goto fail;
	}
	int m = file_mac(fd, size - UNDO_END_LEN, key, hex);
	OPENSSL_cleanse(key, sizeof(key));
	if (m < 0 || CRYPTO_memcmp(hex, end + strlen(UNDO_END), 64) != 0) {
		*err = xasprintf("Refused: the MAC of %s is wrong: it was changed after winrescue wrote "
				 "it, or was written for another undo directory. Nothing was written", path);
		rc = UNDO_UNTRUSTED;
		goto fail;
	}
	size -= UNDO_END_LEN;
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
	struct json_object *t;
	if (json_object_object_get_ex(o, "target", &t) && json_object_is_type(t, json_type_object))
		u->target = json_object_get(t);
	if (!u->action || !u->device || !jint(o, "device_size", &u->device_size) ||
	    !jint(o, "extents", &n) || n > size / EXT_HEADER || !u->target ||
	    !read_areas(o, &areas, &na) || !json_object_object_get_ex(o, "ranges", &ranges) ||
	    !json_object_is_type(ranges, json_type_array) || json_object_array_length(ranges) != n) {
		*err = xasprintf("%s is damaged: its header lacks the device, the target, the areas or "
				 "the extents", path);
		goto fail;
	}
	for (size_t i = 0; i < na; i++) {
		if ((why = area_refused(u->action, &areas[i], u->device_size))) {
			*err = xasprintf("Refused: %s names a part of the target %s may not write: %s. "
					 "Nothing was written", path, u->action, why);
			free(why);
			rc = UNDO_UNTRUSTED;
			goto fail;
		}
	}
	u->ext = xcalloc(n ? (size_t)n : 1, sizeof(*u->ext));
	for (uint64_t i = 0; i < n; i++) {
		uint8_t h[EXT_HEADER];
		struct undo_extent *x = &u->ext[i];
		struct json_object *r = json_object_array_get_idx(ranges, (size_t)i);
		uint64_t roff, rlen;
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
		u->n++;
		if (x->len > size - x->data_pos || x->off + x->len < x->off ||
		    x->off + x->len > u->device_size || !x->len ||
		    !json_object_is_type(r, json_type_object) || !jint(r, "offset", &roff) ||
		    !jint(r, "length", &rlen) || roff != x->off || rlen != x->len) {
			*err = xasprintf("%s is incomplete or damaged at extent %llu", path,
					 (unsigned long long)i + 1);
			goto fail;
		}
		if ((why = range_outside(areas, na, x->off, x->len, u->action))) {
			*err = xasprintf("Refused: %s would write where %s never writes: %s. Nothing "
					 "was written", path, u->action, why);
			free(why);
			rc = UNDO_UNTRUSTED;
			goto fail;
		}
		x->what = jstr(r, "what");
		pos = x->data_pos + x->len;
		u->bytes += x->len;
	}
	if (pos != size) {
		*err = xasprintf("%s is damaged: bytes follow its last extent", path);
		goto fail;
	}
	json_object_put(o);
	fclose(f);
	free(line);
	free(areas);
	free(dir);
	return 0;
fail:
	if (o)
		json_object_put(o);
	if (f)
		fclose(f);
	free(line);
	free(areas);
	free(dir);
	undo_close(u);
	return rc;
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
	for (size_t i = 0; i < u->n; i++)
		free(u->ext[i].what);
	free(u->ext);
	if (u->target)
		json_object_put(u->target);
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
	      const struct undo_bind *b, const struct undo_range *r, const uint64_t *old, size_t n,
	      int devfd, void (*tick)(void *data, size_t done, size_t n), void *data, char **err)
{
	return undo_save_at(w, dir, devname, action, device, device_size, job_id, b, NULL, 0, r, old,
			    n, devfd, tick, data, err);
}

int undo_save_at(struct undo_writer *w, const char *dir, const char *devname, const char *action,
		 const char *device, uint64_t device_size, const char *job_id,
		 const struct undo_bind *b, const char *image, uint64_t offset,
		 const struct undo_range *r, const uint64_t *old, size_t n, int devfd,
		 void (*tick)(void *data, size_t done, size_t n), void *data, char **err)
{
	int rc = begin_at(w, dir, devname, action, device, device_size, job_id, b, image, offset, r,
			  n, err);

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

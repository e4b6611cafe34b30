#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static int oom_exit_status;	/* 0: abort */

void util_set_oom_exit(int status)
{
	oom_exit_status = status;
}

static void oom(void)
{
	if (oom_exit_status)
		_exit(oom_exit_status);	/* a probe worker: its parent says why */
	fputs("winrescue: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	p = realloc(p, (n * size) != 0 ? n * size : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void strv_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

bool strv_contains(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *path_join_root(const char *sysroot, const char *path)
{
	if (!sysroot || !*sysroot || strcmp(sysroot, "/") == 0)
		return xstrdup(path);
	size_t l = strlen(sysroot);
	while (l > 1 && sysroot[l - 1] == '/')
		l--;
	return xasprintf("%.*s%s", (int)l, sysroot, path);
}

int mkdir_p(const char *dir, unsigned mode)
{
	char *copy = xstrdup(dir);
	int rc = 0;

	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(copy);
	return rc;
}

char *self_file(const char *name)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	return xasprintf("%.*s/%s", (int)(slash - self), self, name);
}

void str_add_word(char **s, const char *w)
{
	char *n = *s ? xasprintf("%s, %s", *s, w) : xstrdup(w);

	free(*s);
	*s = n;
}

char *str_trim(char *s)
{
	char *e;

	if (!s)
		return s;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		memmove(s, s + 1, strlen(s));
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

char *read_line_at(int dirfd, const char *rel)
{
	char buf[4096], *t, *nl;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')))
		*nl = '\0';
	t = str_trim(buf);
	return *t ? xstrdup(t) : NULL;
}

bool read_u64_at(int dirfd, const char *rel, uint64_t *out)
{
	char *s = read_line_at(dirfd, rel), *end;
	bool ok = false;

	if (s) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (!errno && end != s && *end == '\0') {
			*out = v;
			ok = true;
		}
		free(s);
	}
	return ok;
}

char *read_line_file(const char *path)
{
	return read_line_at(AT_FDCWD, path);
}

char *read_line_fmt(const char *fmt, ...)
{
	va_list ap;
	char *path, *s;

	va_start(ap, fmt);
	path = xvasprintf(fmt, ap);
	va_end(ap);
	s = read_line_file(path);
	free(path);
	return s;
}

bool read_u64_fmt(uint64_t *out, const char *fmt, ...)
{
	va_list ap;
	char *path;
	bool ok;

	va_start(ap, fmt);
	path = xvasprintf(fmt, ap);
	va_end(ap);
	ok = read_u64_at(AT_FDCWD, path, out);
	free(path);
	return ok;
}

const char *size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t whole = bytes, frac = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%u B", (unsigned)bytes);
		return buf;
	}
	while (whole >= 1024 && u < 6) {
		frac = whole % 1024;
		whole /= 1024;
		u++;
	}
	/* one decimal, rounded half up; 1023.95 MiB shows as 1.0 GiB */
	unsigned tenth = (unsigned)((frac * 10 + 512) / 1024);
	if (tenth == 10) {
		whole++;
		tenth = 0;
		if (whole == 1024 && u < 6) {
			whole = 1;
			u++;
		}
	}
	snprintf(buf, len, "%llu.%u %s", (unsigned long long)whole, tenth, units[u]);
	return buf;
}

/*
 * The UTF-8 sequence at s, of at most avail bytes: its length (1-4), 0 when
 * it is invalid (overlong forms, surrogates and code points above U+10FFFF
 * included), or -1 when the bytes so far start a valid sequence that avail
 * cuts short (a stream waits for the rest).
 */
static int utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (avail == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;	/* a continuation byte, or a lead no valid sequence has */
	}
	for (i = 1; i < n; i++) {
		if (i >= avail)
			return -1;
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return (int)n;
}

/* The same on a NUL-terminated string: length, or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	int n = utf8_decode(s, 4, cp);	/* a NUL ends a cut sequence: invalid, never -1 */

	return n > 0 ? (size_t)n : 0;
}

/*
 * Characters a terminal acts on instead of showing: C0 controls, DEL, C1
 * controls (U+0080-U+009F: CSI, OSC... on a terminal that reads 8-bit
 * controls), the line and paragraph separators, and the bidi controls that
 * reorder or hide what follows (LRM, RLM, ALM, the embeddings, overrides
 * and isolates).
 */
static bool cp_unsafe(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int term_safe_step(const char *s, size_t avail, unsigned flags, char out[4], size_t *olen)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n = utf8_decode(p, avail, &cp);

	if (n < 0 && !(flags & TERM_SAFE_END))
		return 0;
	if (n <= 0) {
		out[0] = '?';	/* one per invalid byte: a raw 0x9b never passes */
		*olen = 1;
		return 1;
	}
	if (((flags & TERM_SAFE_NEWLINES) && (cp == '\n' || cp == '\t')) ||
	    (!cp_unsafe(cp) && !(n > 1 && (flags & TERM_SAFE_ASCII)))) {
		memcpy(out, p, (size_t)n);
		*olen = (size_t)n;
	} else {
		out[0] = '?';	/* one per character */
		*olen = 1;
	}
	return n;
}

char *sanitize_terminal_for(const char *s, bool ascii)
{
	const char *p = s ? s : "";
	size_t left = strlen(p);
	/* nothing grows: each step writes at most what it reads */
	char *out = xcalloc(left + 1, 1), *o = out;
	unsigned flags = TERM_SAFE_END | (ascii ? TERM_SAFE_ASCII : 0);

	while (left) {
		size_t ol;
		int n = term_safe_step(p, left, flags, o, &ol);

		o += ol;
		p += n;
		left -= (size_t)n;
	}
	*o = '\0';
	return out;
}

char *sanitize_terminal(const char *s)
{
	return sanitize_terminal_for(s, false);
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n = utf8_seq(p, &cp);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

char *sanitize_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	/* each invalid byte may grow to 3 bytes (U+FFFD) */
	char *out = xcalloc(strlen((const char *)p) * 3 + 1, 1), *o = out;

	while (*p) {
		uint32_t cp;
		size_t n = utf8_seq(p, &cp);

		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		} else {
			memcpy(o, p, n);
			o += n;
			p += n;
		}
	}
	*o = '\0';
	return out;
}

size_t text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t w = 0;

	while (*p) {
		uint32_t cp;
		size_t n = utf8_seq(p, &cp);
		int cw;

		if (n == 0) {
			w++;
			p++;
			continue;
		}
		cw = wcwidth((wchar_t)cp);
		w += cw < 0 ? 1 : (size_t)cw;
		p += n;
	}
	return w;
}

bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *find_bundled(const char *name)
{
	char *beside = self_file(name);

	if (beside && is_executable(beside))
		return beside;
	free(beside);
	return find_program(name);
}

char *find_program(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", NULL };
	const char *path = getenv("PATH");

	if (path) {
		char *copy = xstrdup(path), *save = NULL;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char *p = xasprintf("%s/%s", d, name);
			if (*d == '/' && is_executable(p)) {
				free(copy);
				return p;
			}
			free(p);
		}
		free(copy);
	}
	for (int i = 0; dirs[i]; i++) {
		char *p = xasprintf("%s/%s", dirs[i], name);
		if (is_executable(p))
			return p;
		free(p);
	}
	return NULL;
}

int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

bool write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

bool utc_text(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return t > 0 && gmtime_r(&tt, &tm) && strftime(buf, len, fmt, &tm) > 0;
}

uint64_t hash64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

double monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

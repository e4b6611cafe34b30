/*
 * termout.c - stdout and stderr of the scripted commands as filters in
 * front of descriptors 1 and 2, each byte through term_safe_step() (the
 * sanitizer of util.c, the one the TUI uses too). A filter, not a call at
 * each message: a label, a path or a BCD description reaches a message
 * through many formats (plans, refusals, candidates, warnings, check's
 * findings, diagnose's lines), and one that was missed would reach the
 * terminal raw. Filtering is idempotent: what is already safe passes as
 * it is.
 */
#include "lib/termout.h"
#include "lib/util.h"

#include <errno.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct filter {
	int fd;
	char carry[4];		/* a UTF-8 sequence cut by the end of a write */
	size_t ncarry;
};

static struct filter filters[2] = { { .fd = STDOUT_FILENO }, { .fd = STDERR_FILENO } };
static FILE *real_stdout;
static bool ascii = true;	/* until termout_init() reads the locale */

/* Sanitize len bytes at in into fd; a cut sequence at the end is kept for the next write. */
static bool filter_chunk(struct filter *f, const char *in, size_t len, unsigned flags)
{
	char out[1024 + sizeof(f->carry)];
	size_t p = 0, on = 0;

	while (p < len) {
		size_t ol;
		int n = term_safe_step(in + p, len - p, flags, out + on, &ol);
		if (n == 0) {
			memcpy(f->carry, in + p, len - p);	/* fewer than 4 bytes */
			f->ncarry = len - p;
			break;
		}
		on += ol;
		p += (size_t)n;
	}
	return write_all(f->fd, out, on);
}

static ssize_t filter_write(void *cookie, const char *buf, size_t size)
{
	struct filter *f = cookie;
	unsigned flags = TERM_SAFE_NEWLINES | (ascii ? TERM_SAFE_ASCII : 0);
	size_t i = 0;

	while (i < size) {
		char in[1024 + sizeof(f->carry)];
		size_t len = f->ncarry, take = size - i > 1024 ? 1024 : size - i;

		memcpy(in, f->carry, len);
		memcpy(in + len, buf + i, take);
		len += take;
		i += take;
		f->ncarry = 0;
		if (!filter_chunk(f, in, len, flags))
			return 0;	/* fopencookie: 0 is an error (the stream's error flag) */
	}
	return (ssize_t)size;
}

/* The end of a filter's text: a sequence still cut is invalid, one '?' a byte. */
static void filter_end(struct filter *f)
{
	char q[sizeof(f->carry)];

	if (!f->ncarry)
		return;
	memset(q, '?', f->ncarry);
	write_all(f->fd, q, f->ncarry);
	f->ncarry = 0;
}

/* At exit, before stdio flushes: what the filters hold. */
static void termout_finish(void)
{
	fflush(stdout);
	filter_end(&filters[0]);
	fflush(stderr);
	filter_end(&filters[1]);
}

bool termout_ascii(void)
{
	return ascii;
}

void termout_init(void)
{
	static const cookie_io_functions_t io = { .write = filter_write };
	FILE *out, *err;

	ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	if (real_stdout)
		return;
	out = fopencookie(&filters[0], "w", io);
	err = fopencookie(&filters[1], "w", io);
	if (!out || !err) {
		/* unfiltered output is no option: one fixed line, and stop */
		fputs("winrescue: cannot set up the terminal output filter\n", stderr);
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	/* as stdio does for the real ones: lines on a terminal, blocks on a pipe */
	setvbuf(out, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	setvbuf(err, NULL, _IONBF, 0);
	real_stdout = stdout;
	stdout = out;
	stderr = err;
	atexit(termout_finish);
}

/*
 * Whether the code point at p (UTF-8, n bytes) is one a terminal acts on
 * that json-c leaves raw: DEL, C1, the line and paragraph separators and
 * the bidi controls. In a JSON document they only occur inside strings,
 * where \uXXXX says the same.
 */
static uint32_t json_unsafe(const unsigned char *p, size_t n, size_t *len)
{
	uint32_t c;

	*len = 1;
	if (p[0] == 0x7f)
		return 0x7f;
	if (n >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return p[1];
	}
	if (n >= 2 && p[0] == 0xd8 && p[1] == 0x9c) {	/* U+061C */
		*len = 2;
		return 0x061c;
	}
	if (n >= 3 && p[0] == 0xe2 && (p[1] == 0x80 || p[1] == 0x81)) {
		c = 0x2000 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		if (c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029 ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
			*len = 3;
			return c;
		}
	}
	return 0;
}

void termout_json(const char *doc)
{
	const unsigned char *p = (const unsigned char *)doc;
	size_t n = strlen(doc);

	if (real_stdout && stdout != real_stdout) {
		fflush(stdout);
		filter_end(&filters[0]);
		stdout = real_stdout;
	}
	/* exact, and still nothing a terminal acts on: those code points escaped */
	char *out = xcalloc(1, 6 * n + 1), *o = out;	/* one byte (DEL) becomes six */
	for (size_t i = 0; i < n;) {
		size_t len;
		uint32_t c = json_unsafe(p + i, n - i, &len);
		if (c)
			o += sprintf(o, "\\u%04x", (unsigned)c);
		else
			*o++ = (char)p[i];
		i += len;
	}
	*o = '\0';
	puts(out);
	free(out);
}

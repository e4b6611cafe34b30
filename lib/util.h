/*
 * util.h - small helpers shared by probes/, cli/ and later tui/:
 * allocation that cannot fail silently, string vectors, reading files below
 * a sysroot prefix, human sizes, and making untrusted strings safe to show.
 */
#ifndef WINRESCUE_UTIL_H
#define WINRESCUE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xcalloc(size_t n, size_t size);
/* From now on, an allocation that fails ends the process with status (a probe worker). */
void util_set_oom_exit(int status);
void *xrealloc(void *p, size_t n, size_t size);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Append a copy of s to a NULL-free vector of strings; free with strv_free. */
void strv_add(char ***v, size_t *n, const char *s);
bool strv_contains(char *const *v, size_t n, const char *s);
void strv_free(char **v, size_t n);

/* "/sys/block" below sysroot ("/" or NULL means the real root). Caller frees. */
char *path_join_root(const char *sysroot, const char *path);

/*
 * Read the first line of a (sysfs) file, without its newline, trimmed.
 * NULL when the file is missing or empty.
 */
char *read_line_file(const char *path);
/* Like read_line_file(), for rel below the directory open at dirfd (or AT_FDCWD). */
char *read_line_at(int dirfd, const char *rel);
bool read_u64_at(int dirfd, const char *rel, uint64_t *out);
char *read_line_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read an unsigned number; false when missing or not a number. */
bool read_u64_fmt(uint64_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mkdir -p: dir and every missing parent (mode for the ones made); 0 or -errno. */
int mkdir_p(const char *dir, unsigned mode);

/*
 * NAME beside the running program (the directory of /proc/self/exe), where
 * the bundle keeps ntfs-3g and terminfo/; NULL when that cannot be read.
 */
char *self_file(const char *name);
/* A regular executable file. */
bool is_executable(const char *path);
/*
 * The program name as exec would find it for root: the absolute directories
 * of $PATH, then /usr/bin, /bin, /usr/sbin, /sbin. Malloc'ed, or NULL.
 */
char *find_program(const char *name);
/* A program a bundle keeps beside winrescue, else the one on PATH (malloc'ed), or NULL. */
char *find_bundled(const char *name);
/*
 * FNV-1a, 64 bits, over n bytes, continuing from h (HASH64_INIT to start):
 * whether sectors still hold what was written or saved (undo files), not
 * a defence against a forger.
 */
#define HASH64_INIT 0xcbf29ce484222325ULL
uint64_t hash64(const void *p, size_t n, uint64_t h);
/*
 * Read or write exactly len bytes at off, retrying short transfers and
 * EINTR: 0, or -errno (-EIO when a read meets the end).
 */
int pread_all(int fd, void *buf, size_t len, uint64_t off);
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* Write all len bytes to fd (a pipe, a terminal), again after EINTR; false on an error or a short end. */
bool write_all(int fd, const void *buf, size_t len);
/* Unix seconds as UTC text in fmt (strftime); false when t > 0 cannot be shown. */
bool utc_text(int64_t t, const char *fmt, char *buf, size_t len);
/* Seconds on the monotonic clock, for durations. */
double monotonic_s(void);

/* Append w to the list of words *s ("a, b, w"); *s may be NULL. */
void str_add_word(char **s, const char *w);

/* Trim ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);
bool str_starts_with(const char *s, const char *prefix);

/*
 * Human size the way Disk Management shows it, binary units with one
 * decimal: "512 B", "1.0 KiB", "40.0 GiB". Writes into buf (>= 16 bytes).
 */
const char *size_human(uint64_t bytes, char *buf, size_t len);

/*
 * Make an untrusted string (a volume label, a model name) safe for a
 * terminal: control characters (C0, DEL, C1 also as U+0080-U+009F), the
 * line/paragraph separators and the bidi controls (U+061C, U+200E/F,
 * U+202A-U+202E, U+2066-U+2069) become one '?' each, and every byte that is
 * not valid UTF-8 one '?'; valid printable UTF-8 is kept. Always returns a
 * new string. The one sanitizer of every text path (termout.h, the TUI).
 */
char *sanitize_terminal(const char *s);
/* The same; with ascii, each character that is not ASCII becomes one '?' too. */
char *sanitize_terminal_for(const char *s, bool ascii);

#define TERM_SAFE_ASCII    1u	/* ASCII only: one '?' per other character */
#define TERM_SAFE_NEWLINES 2u	/* keep '\n' and '\t' (a stream's own layout) */
#define TERM_SAFE_END      4u	/* nothing follows: a cut sequence is invalid */
/*
 * One step of sanitize_terminal over the avail bytes at s (a NUL is a
 * control like any other): writes the first character, or '?' in its
 * place, to out (*olen bytes, never more than it read) and returns the
 * bytes it read; 0 when s starts a valid sequence that avail cuts short
 * and TERM_SAFE_END is not given (a stream keeps them for its next write).
 */
int term_safe_step(const char *s, size_t avail, unsigned flags, char out[4], size_t *olen);

/* True when s is valid UTF-8 already (what sanitize_utf8() would copy unchanged). */
bool utf8_valid(const char *s);
/*
 * Make an untrusted string valid UTF-8 for JSON: invalid sequences become
 * U+FFFD; control characters are kept (the JSON writer escapes them).
 */
char *sanitize_utf8(const char *s);

/* Display width of a sanitized UTF-8 string in terminal columns. */
size_t text_width(const char *s);

#endif

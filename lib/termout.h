/*
 * termout.h - every byte the scripted commands print goes through the one
 * terminal sanitizer (util.h): a label, a path, a BCD description or a
 * hive string inside any message, on stdout or stderr, cannot move the
 * cursor, retitle the window, reorder the line or, on a terminal that is
 * not UTF-8, smuggle a C1 control (0x9b CSI, 0x9d OSC) in a UTF-8 byte.
 */
#ifndef WINRESCUE_TERMOUT_H
#define WINRESCUE_TERMOUT_H

#include <stdbool.h>

/*
 * After setlocale(LC_CTYPE, ""): text is ASCII unless the locale's codeset
 * is UTF-8; stdout and stderr become filters writing to descriptors 1 and
 * 2: controls, C1, bidi controls and invalid UTF-8 as '?' ('\n' and '\t'
 * kept), and without UTF-8 one '?' per character that is not ASCII.
 */
void termout_init(void);
/* Whether text output is ASCII only (the locale's codeset is not UTF-8). */
bool termout_ascii(void);
/*
 * Print a JSON document and a newline on stdout, exact: json-c escapes
 * the C0 controls, and DEL, C1, U+2028/U+2029 and the bidi controls, which
 * json-c leaves raw, are written as \uXXXX (the same strings to a JSON
 * reader, nothing a terminal acts on). stdout is the real one from here
 * on, stderr stays filtered.
 */
void termout_json(const char *doc);

#endif

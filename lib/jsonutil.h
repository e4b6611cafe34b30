/*
 * jsonutil.h - the few json-c calls every JSON writer here makes: strings
 * always valid UTF-8 (untrusted labels, names typed by a person), string
 * lists, and keys added without copying or lookup.
 */
#ifndef WINRESCUE_JSONUTIL_H
#define WINRESCUE_JSONUTIL_H

#include <stddef.h>

struct json_object;

/* A JSON string of s (NULL: JSON null); invalid UTF-8 becomes U+FFFD. */
struct json_object *json_str(const char *s);
/* An array of the n strings of v. */
struct json_object *json_strv(char *const *v, size_t n);
/* Add v under k, a string literal added once per object (not copied, not looked up). */
void json_add(struct json_object *o, const char *k, struct json_object *v);

#endif

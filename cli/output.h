/*
 * output.h - the inventory as text (diskmgmt-like) and as JSON. Both are
 * pure functions of a snapshot; the TUI reuses the same words.
 */
#ifndef WINRESCUE_OUTPUT_H
#define WINRESCUE_OUTPUT_H

#include <stdio.h>

#include "probes/inventory.h"

#define WINRESCUE_SCHEMA_MAJOR 1
#define WINRESCUE_SCHEMA_MINOR 7

void output_text(FILE *out, const struct inventory *inv);
/* One JSON document with the schema envelope; returns a malloc'ed string. */
char *output_json(const struct inventory *inv);

struct json_object;
/* A new document holding only the schema envelope. */
struct json_object *output_json_envelope(void);
/* A volume's BCD store as list's bcd_store object (diagnose uses it too); NULL when none. */
struct json_object *output_bcd_json(const struct volume *v);
/* The document as text (malloc'ed); releases root. */
char *output_json_string(struct json_object *root);

/* text made safe for a terminal, wrapped at 78 columns, each line after indent */
void output_wrapped(FILE *out, const char *indent, const char *text);
/* The same, the first line after first, the others after indent (a hanging indent). */
void output_hanging(FILE *out, const char *first, const char *indent, const char *text);

/* "[RESCUE]", "[SYSTEM]", "[DATA]", "[UNKNOWN]": a disk's role as both views mark it. */
const char *output_disk_marker(enum disk_role r);

#endif

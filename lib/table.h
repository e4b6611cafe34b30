/*
 * table.h - a plain-text table: columns sized to their content, cells made
 * safe for a terminal, wide characters measured. The scripted text view
 * and the TUI format rows with the same code.
 */
#ifndef WINRESCUE_TABLE_H
#define WINRESCUE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

struct table *table_new(size_t ncols);
/* Column header, right alignment, and a maximum width (0: no limit). */
void table_column(struct table *t, size_t col, const char *header, bool right, size_t maxw);
/* Start a new row; then set its cells (NULL shows "-"). Untrusted text is sanitized. */
void table_row(struct table *t);
void table_cell(struct table *t, size_t col, const char *text);
/* A full-width line below the current row (an unallocated range, a note). */
void table_note(struct table *t, const char *text);
size_t table_nrows(const struct table *t);
void table_print(const struct table *t, FILE *out, const char *indent);
void table_free(struct table *t);

/* Cut a sanitized string to at most maxw columns, ending in "~" when cut. */
char *text_fit(const char *s, size_t maxw);
/* The same from the left, starting with "..." and, where it can, at a path component. */
char *text_fit_left(const char *s, size_t maxw);
/* Cut this column's cells from the left (a path: its end says most). */
void table_column_cut_left(struct table *t, size_t col);

#endif

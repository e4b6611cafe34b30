#include "lib/table.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

struct row {
	char **cells;
	char *note;	/* a row that is only a note */
};

struct table {
	size_t ncols;
	char **headers;
	bool *right;
	size_t *maxw;
	bool *cut_left;		/* cut from the left: the end of a path says most */
	struct row *rows;
	size_t nrows;
};

struct table *table_new(size_t ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->headers = xcalloc(ncols, sizeof(char *));
	t->right = xcalloc(ncols, sizeof(bool));
	t->maxw = xcalloc(ncols, sizeof(size_t));
	t->cut_left = xcalloc(ncols, sizeof(bool));
	return t;
}

void table_column(struct table *t, size_t col, const char *header, bool right, size_t maxw)
{
	free(t->headers[col]);
	t->headers[col] = xstrdup(header);
	t->right[col] = right;
	t->maxw[col] = maxw;
}

void table_row(struct table *t)
{
	t->rows = xrealloc(t->rows, t->nrows + 1, sizeof(*t->rows));
	t->rows[t->nrows].cells = xcalloc(t->ncols, sizeof(char *));
	t->rows[t->nrows].note = NULL;
	t->nrows++;
}

char *text_fit(const char *s, size_t maxw)
{
	size_t w = 0, i = 0;
	const unsigned char *p = (const unsigned char *)s;

	if (!maxw || text_width(s) <= maxw)
		return xstrdup(s);
	/* keep whole characters that fit in maxw - 1 columns, then "~" */
	while (p[i]) {
		size_t n = 1;
		while (p[i + n] && (p[i + n] & 0xc0) == 0x80)
			n++;
		char ch[8] = { 0 };
		memcpy(ch, p + i, n < 7 ? n : 7);
		size_t cw = text_width(ch);
		if (w + cw > maxw - 1)
			break;
		w += cw;
		i += n;
	}
	char *out = xcalloc(i + 2, 1);
	memcpy(out, s, i);
	out[i] = '~';
	return out;
}

char *text_fit_left(const char *s, size_t w)
{
	size_t width = text_width(s);
	const char *p = s;

	if (!w || width <= w)
		return xstrdup(s);
	if (w < 4)
		return xstrdup("...");
	/* drop whole characters from the left until what is left fits in w - 3 */
	while (*p && text_width(p) > w - 3) {
		p++;
		while (*p && ((unsigned char)*p & 0xc0) == 0x80)
			p++;
	}
	/* start at a path's component when one is left: ".../Windows", not "...ue/Windows";
	 * "..." and not "~", which reads as a home directory */
	const char *slash = strchr(p, '/');
	if (slash && slash[1])
		p = slash;
	return xasprintf("...%s", p);
}

void table_column_cut_left(struct table *t, size_t col)
{
	t->cut_left[col] = true;
}

void table_cell(struct table *t, size_t col, const char *text)
{
	struct row *r = &t->rows[t->nrows - 1];
	char *safe = sanitize_terminal(text ? text : "-");

	free(r->cells[col]);
	r->cells[col] = t->cut_left[col] ? text_fit_left(safe, t->maxw[col])
					 : text_fit(safe, t->maxw[col]);
	free(safe);
}

void table_note(struct table *t, const char *text)
{
	t->rows = xrealloc(t->rows, t->nrows + 1, sizeof(*t->rows));
	t->rows[t->nrows].cells = NULL;
	t->rows[t->nrows].note = sanitize_terminal(text);
	t->nrows++;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

static void print_line(const struct table *t, FILE *out, const char *indent,
		       char *const *cells, const size_t *width)
{
	size_t last = t->ncols;

	/* no trailing blanks: stop after the last non-empty cell */
	while (last > 0 && (!cells[last - 1] || !*cells[last - 1]))
		last--;
	fputs(indent, out);
	for (size_t c = 0; c < last; c++) {
		const char *s = cells[c] ? cells[c] : "";
		size_t w = text_width(s);
		if (c)
			fputs("  ", out);
		if (t->right[c])
			pad(out, width[c] - w);
		fputs(s, out);
		if (!t->right[c] && c + 1 < last)
			pad(out, width[c] - w);
	}
	fputc('\n', out);
}

size_t table_nrows(const struct table *t)
{
	return t->nrows;
}

void table_print(const struct table *t, FILE *out, const char *indent)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t));

	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = text_width(t->headers[c] ? t->headers[c] : "");
		for (size_t r = 0; r < t->nrows; r++)
			if (t->rows[r].cells && t->rows[r].cells[c]) {
				size_t w = text_width(t->rows[r].cells[c]);
				if (w > width[c])
					width[c] = w;
			}
	}
	print_line(t, out, indent, t->headers, width);
	for (size_t r = 0; r < t->nrows; r++) {
		if (t->rows[r].note) {
			fputs(indent, out);
			fputs(t->rows[r].note, out);
			fputc('\n', out);
		} else {
			print_line(t, out, indent, t->rows[r].cells, width);
		}
	}
	free(width);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		if (t->rows[r].cells)
			strv_free(t->rows[r].cells, t->ncols);
		free(t->rows[r].note);
	}
	free(t->rows);
	strv_free(t->headers, t->ncols);
	free(t->right);
	free(t->maxw);
	free(t->cut_left);
	free(t);
}

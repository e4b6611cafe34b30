/* format.c - the TUI's words and lines, kept apart from curses so they can be tested. */
#include "tui/tui.h"
#include "actions/action.h"
#include "lib/table.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tui_size_short(unsigned long long bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lluB", bytes);
	else if (v < 9.95)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else if (v < 1023.5)
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "1.0%c", units[u + 1]);
	return buf;
}

char *tui_fit_left(const char *s, size_t w)
{
	return text_fit_left(s, w);
}

static void duration(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

char *tui_progress_line(const struct action_progress *p, size_t w)
{
	char done[32], total[32], rate[32], eta[48], el[48], *line, *fit;

	duration(p->elapsed, el, sizeof(el));
	if (p->total == 0) {
		line = xasprintf("step %zu of %zu, %s so far", p->step_no, p->nsteps, el);
	} else {
		uint64_t d = p->done > p->total ? p->total : p->done;
		unsigned pct = (unsigned)(d * 100 / p->total);
		size_t barw = w > 60 ? 20 : 10, fill = (size_t)(d * barw / p->total);
		char bar[32];
		double r = p->elapsed > 0.05 ? (double)d / p->elapsed : 0;

		for (size_t i = 0; i < barw; i++)
			bar[i] = i < fill ? '#' : '-';
		bar[barw] = '\0';
		size_human(d, done, sizeof(done));
		size_human(p->total, total, sizeof(total));
		if (r > 0) {
			size_human((uint64_t)r, rate, sizeof(rate));
			duration((double)(p->total - d) / r, eta, sizeof(eta));
		}
		line = xasprintf("[%s] %3u%%  %s of %s  %s%s  ETA %s", bar, pct, done, total,
				 r > 0 ? rate : "-", r > 0 ? "/s" : "", r > 0 ? eta : "-");
	}
	fit = text_fit(line, w);
	free(line);
	return fit;
}

/* cli.h - the scripted commands and their exit codes (see winrescue(8)). */
#ifndef WINRESCUE_CLI_H
#define WINRESCUE_CLI_H

enum {
	WR_EXIT_OK = 0,
	WR_EXIT_FAILURE = 1,	/* nothing could be done / listed */
	WR_EXIT_USAGE = 16,	/* bad command line */
	WR_EXIT_REFUSED = 32,	/* refused by a safety rule */
};

struct global_opts {
	const char *sysroot;
};

/* Print "winrescue: <message>" on stderr; returns WR_EXIT_USAGE for chaining. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_list(int argc, char **argv, struct global_opts *g);

#endif

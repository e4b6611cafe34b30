#include <sys/stat.h>	/* before any ntfs-3g header: ntfstime.h needs it */

#include "lib/ntfslog.h"
#include "lib/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/logging.h>

static char last_msg[256];

static int log_handler(const char *function, const char *file, int line, u32 level,
		       void *data, const char *format, va_list args)
{
	(void)function; (void)file; (void)line; (void)data;
	if (level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL)) {
		char buf[sizeof(last_msg)];
		int n = vsnprintf(buf, sizeof(buf), format, args);
		if (n > 0) {
			str_trim(buf);
			size_t l = strlen(buf);
			while (l && buf[l - 1] == '.')
				buf[--l] = '\0';
			if (*buf)
				memcpy(last_msg, buf, sizeof(buf));
		}
	}
	return 0;
}

void ntfslog_reset(void)
{
	static bool installed;

	if (!installed) {
		ntfs_log_set_handler(log_handler);
		installed = true;
	}
	last_msg[0] = '\0';
}

const char *ntfslog_last(void)
{
	return last_msg;
}

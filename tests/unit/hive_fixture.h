/*
 * hive_fixture.h - for the unit tests of hive readers: a hive of
 * $WINRESCUE_FIXTURES/hives (xz) unpacked into a temporary file, read in
 * place from the fixtures, never copied into the repository.
 */
#ifndef WINRESCUE_TEST_HIVE_FIXTURE_H
#define WINRESCUE_TEST_HIVE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The temporary file's path (unlink and free it), or NULL when the fixture is missing. */
static char *unpack(const char *name)
{
	const char *dir = getenv("WINRESCUE_FIXTURES");
	char cmd[1024], *out = strdup("/tmp/winrescue-hive-XXXXXX");
	int fd = mkstemp(out);

	if (fd < 0)
		return NULL;
	close(fd);
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/hives/%s' > '%s' 2>/dev/null",
		 dir ? dir : "../shared/fixtures", name, out);
	if (system(cmd) != 0) {
		unlink(out);
		free(out);
		return NULL;
	}
	return out;
}

#endif

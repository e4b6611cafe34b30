/*
 * safedir.h - directories winrescue keeps its own files in (undo files,
 * their key, the audit log), reached so that no other user can have put
 * or swapped anything on the way: every component from / down opened with
 * O_NOFOLLOW (a symbolic link anywhere is refused), each one owned by root
 * (or the user running winrescue) and not writable by others, nor by its
 * group unless asked (the audit log: /var/log is the syslog group's on
 * some systems). A parent others may write to is
 * accepted only when it is root's and sticky (/tmp): others cannot rename
 * or remove what root keeps in it.
 */
#ifndef WINRESCUE_SAFEDIR_H
#define WINRESCUE_SAFEDIR_H

#include <stdbool.h>
#include <sys/types.h>

#define SAFEDIR_CREATE 1	/* make the missing directories (mode) */
#define SAFEDIR_GROUP_OK 2	/* the directories may be writable by their group (/var/log) */
#define SAFEDIR_STICKY_OK 8	/* the last directory may be root's sticky one (a key in /tmp) */
#define SAFEDIR_MISSING_OK 4	/* a missing directory: -1 with *why NULL (what exists was judged) */

/*
 * The directory path, opened O_RDONLY|O_DIRECTORY along a walk that trusts
 * nothing another user can change; a descriptor, or -1 with why in words
 * (naming the directory at fault) in *why.
 */
int safedir_open(const char *path, unsigned flags, mode_t mode, char **why);
/*
 * path's directory opened as safedir_open() does (flags for it) and its last
 * name in *base (malloc'ed); -1 with *why.
 */
int safedir_open_parent(const char *path, unsigned flags, mode_t mode, char **base, char **why);
/* An absolute path for path (the working directory before a relative one); malloc'ed. */
char *safedir_absolute(const char *path);

#endif

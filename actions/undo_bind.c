/*
 * undo_bind.c - the identity of what an undo file was written for, so that
 * `undo` puts the bytes back only there: not onto another volume of the
 * same size, a copy of the image, or any file an undo file names.
 */
#include "actions/action.h"
#include "actions/undo.h"
#include "lib/jsonutil.h"
#include "lib/util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The file behind v: an image file's own device and inode, or a loop
 * device's backing file as the kernel holds it (LOOP_GET_STATUS64, not a
 * name). False for a disk that is neither.
 */
static bool backing_file(const struct vol_ref *v, uint64_t *dev, uint64_t *ino)
{
	const char *path = v->file ? v->file : v->path;
	struct loop_info64 li;
	struct stat st;
	bool ok = false;
	int fd;

	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
		return true;
	}
	if (!v->disk || !v->disk->path || (fd = open(v->disk->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && ioctl(fd, LOOP_GET_STATUS64, &li) == 0) {
		*dev = li.lo_device;
		*ino = li.lo_inode;
		ok = true;
	}
	close(fd);
	return ok;
}

struct json_object *undo_identity(const struct vol_ref *v, const char *pt_id)
{
	struct json_object *o = json_object_new_object();
	uint64_t dev, ino;

	json_add(o, "size", json_object_new_int64((int64_t)vol_size(v)));
	if (v->vol && v->vol->uuid)
		json_add(o, "fs_uuid", json_str(v->vol->uuid));
	if (!pt_id && v->disk)
		pt_id = v->disk->ptuuid;
	if (pt_id && (v->part || (v->disk && v->disk->pttype)))
		json_add(o, "pt_id", json_str(pt_id));
	if (v->part) {
		json_add(o, "part_start", json_object_new_int64((int64_t)v->part->start));
		if (v->part->partuuid)
			json_add(o, "part_uuid", json_str(v->part->partuuid));
	}
	if (v->disk && v->disk->serial)
		json_add(o, "disk_serial", json_str(v->disk->serial));
	if (backing_file(v, &dev, &ino)) {
		json_add(o, "file_dev", json_object_new_int64((int64_t)dev));
		json_add(o, "file_ino", json_object_new_int64((int64_t)ino));
	}
	return o;
}

static const struct {
	const char *key, *words;
} id_words[] = {
	{ "size", "its size" },
	{ "fs_uuid", "its file system's serial" },
	{ "pt_id", "its partition table's id" },
	{ "part_start", "where the partition starts" },
	{ "part_uuid", "the partition's UUID" },
	{ "disk_serial", "the disk's serial" },
	{ "file_dev", "the file behind it (device)" },
	{ "file_ino", "the file behind it (inode)" },
};

char *undo_identity_differs(struct json_object *rec, const struct vol_ref *v)
{
	struct json_object *now = undo_identity(v, NULL), *x;
	char *why = NULL;
	bool fs_unread = false;

	json_object_object_foreach(rec, key, want) {
		struct json_object *have = NULL;
		const char *words = key;
		bool same;
		for (size_t i = 0; i < sizeof(id_words) / sizeof(id_words[0]); i++)
			if (strcmp(id_words[i].key, key) == 0)
				words = id_words[i].words;
		json_object_object_get_ex(now, key, &have);
		/* a boot sector the undo puts back damaged hides the serial: judged below */
		if (!have && strcmp(key, "fs_uuid") == 0) {
			fs_unread = true;
			continue;
		}
		if (!have || json_object_get_type(have) != json_object_get_type(want))
			same = false;
		else if (json_object_is_type(want, json_type_string))
			same = strcasecmp(json_object_get_string(want), json_object_get_string(have)) == 0;
		else
			same = json_object_get_int64(want) == json_object_get_int64(have);
		if (!same) {
			why = have ? xasprintf("%s is %s, the undo file was made for %s", words,
					       json_object_get_string(have), json_object_get_string(want))
				   : xasprintf("%s is not known, the undo file was made for %s", words,
					       json_object_get_string(want));
			break;
		}
	}
	/* without the serial, something else must name the target beyond doubt */
	if (!why && fs_unread && !json_object_object_get_ex(rec, "file_ino", &x) &&
	    !json_object_object_get_ex(rec, "part_uuid", &x) &&
	    !json_object_object_get_ex(rec, "disk_serial", &x))
		why = xasprintf("its file system's serial cannot be read, the undo file was made for "
				"%s", json_object_get_string(json_object_object_get(rec, "fs_uuid")));
	json_object_put(now);
	return why;
}

#include "lib/jsonutil.h"
#include "lib/util.h"

#include <json-c/json.h>
#include <stdlib.h>

struct json_object *json_str(const char *s)
{
	struct json_object *o;
	char *safe;

	if (!s)
		return NULL;
	if (utf8_valid(s))
		return json_object_new_string(s);
	safe = sanitize_utf8(s);
	o = json_object_new_string(safe);
	free(safe);
	return o;
}

struct json_object *json_strv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_str(v[i]));
	return a;
}

void json_add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

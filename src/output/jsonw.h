/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h - the few json-c helpers every JSON writer of pipetrace uses
 * (json.c, procs_out.c, report/pipeline.c), so that there is one way to
 * add a member and one representation of a count.
 */
#ifndef PT_OUTPUT_JSONW_H
#define PT_OUTPUT_JSONW_H

#include <errno.h>
#include <stdint.h>
#include <json.h>

/* A count or a time in ns: JSON integers are unsigned 64-bit here. */
static inline json_object *juint(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* Adds key: value to obj, taking value; -ENOMEM if value is NULL (its
 * allocation failed) or the add fails. */
static inline int jadd(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, key, value)) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* Adds key: value, where a NULL value is JSON null (unknown). */
static inline int jset(json_object *obj, const char *key, json_object *value)
{
	return json_object_object_add(obj, key, value) ? -ENOMEM : 0;
}

#endif /* PT_OUTPUT_JSONW_H */

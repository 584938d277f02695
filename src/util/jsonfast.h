/*
** jsonfast.h: a fast path for parsing a JSON document into jansson values.
**
** jansson's reader costs ~140 instructions per byte (a byte-at-a-time
** stream with UTF-8 checks): most of an entity insert with long text
** fields.  json_fast_load parses the common case in one pass and builds
** the same values json_loadb(..., JSON_REJECT_DUPLICATES) would; whatever
** it is not sure of (any syntax error, a duplicate key, \u0000, a number
** out of range, invalid UTF-8, deep nesting) makes it return NULL, and
** the caller then parses with json_loadb, which gives the error (or, for
** what the fast path declines but jansson accepts, the value).  So the
** accepted documents, their values and every error message are jansson's.
*/
#ifndef REMDB_UTIL_JSONFAST_H
#define REMDB_UTIL_JSONFAST_H

#include <stddef.h>

#include <jansson.h>

/* The value of the object or array in json[0..len), as json_loadb with
** JSON_REJECT_DUPLICATES parses it; NULL when the fast path declines (the
** caller falls back to json_loadb).  The caller owns the result. */
json_t *json_fast_load(const char *json, size_t len);

#endif

/*
 * json.h - a small, strict JSON (RFC 8259) parser into an arena-backed tree,
 * and the escaping helper every JSON writer in the toolchain uses.
 *
 * The parser never trusts its input: nesting depth is limited, every read is
 * bounds-checked, strings must be UTF-8, numbers keep their text so 64-bit
 * integers survive exactly.
 * All nodes live in a json_doc; json_doc_reset() reuses its memory, so parsing
 * one NDJSON line after another allocates nothing in steady state.
 */
#ifndef TM_JSON_H
#define TM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	/* JSON_STRING: decoded UTF-8 (NUL-terminated, may contain NULs: use len).
	 * JSON_NUMBER: the number's text as written.
	 * JSON_OBJECT: the key of this value when it is an object member. */
	const char *str;
	size_t len;
	const char *key;
	size_t key_len;
	/* JSON_ARRAY / JSON_OBJECT: first child; members linked through next. */
	struct json_value *child;
	struct json_value *next;
	size_t count;
};

struct json_doc;

#define JSON_MAX_DEPTH 64

struct json_doc *json_doc_new(void);
void json_doc_free(struct json_doc *doc);
void json_doc_reset(struct json_doc *doc);

/*
 * Parse exactly one JSON value from buf[0..len) (surrounding whitespace allowed).
 * Returns the root, or NULL with a message in errbuf ("line 1, column 7:
 * expected ':'"). The tree stays valid until json_doc_reset/json_doc_free.
 */
struct json_value *json_parse(struct json_doc *doc, const char *buf, size_t len,
    char *errbuf, size_t errsize);

/* Object member by key, or NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key);

/*
 * Number conversions. Return 0 on success, -1 if the value is not a number
 * of that kind (fraction/exponent for integers, out of range, not a number).
 */
int json_u64(const struct json_value *v, uint64_t *out);
int json_i64(const struct json_value *v, int64_t *out);
int json_double(const struct json_value *v, double *out);

/*
 * Write s[0..len) as a quoted JSON string: control characters, '"' and '\\'
 * escaped; bytes that are not UTF-8 written as lone surrogates \udc80-\udcff,
 * which json_parse turns back into the same bytes (so any byte string
 * survives a round trip, and the output stays valid JSON).
 */
void json_put_string(FILE *f, const char *s, size_t len);
/*
 * The same without the quotes, to build one string from several pieces.
 * Both write with unlocked stdio where available: a FILE shared between
 * threads must be locked by the caller (flockfile).
 */
void json_put_escaped(FILE *f, const char *s, size_t len);

#endif

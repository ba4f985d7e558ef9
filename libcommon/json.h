/*
 * json.h - a small, strict JSON (RFC 8259) parser into an arena-backed tree,
 * and the escaping helper every JSON writer in the toolchain uses.
 *
 * The parser never trusts its input: nesting depth is limited, every read is
 * bounds-checked, strings must be UTF-8, numbers keep their text so 64-bit
 * integers survive exactly.
 * All nodes live in a json_doc; json_doc_reset() reuses its memory, so parsing
 * one NDJSON line after another allocates nothing in steady state.
 * Memory: a value costs 24 bytes (40 as an object member) plus its decoded
 * string, so a tree takes at most 12 bytes per byte of input beyond its first
 * block; members the caller has no use for can be skipped and cost nothing
 * (json_parse_keep).
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
	JSON_SKIPPED,		/* a member json_parse_keep was told to skip */
};

struct json_value {
	union {
		/* JSON_STRING: decoded UTF-8 (NUL-terminated, may contain NULs:
		 * use len). JSON_NUMBER: the number's text as written.
		 * JSON_SKIPPED: the value's text as written (valid JSON). */
		const char *str;
		/* JSON_ARRAY / JSON_OBJECT only: the first member. */
		struct json_value *child;
	};
	struct json_value *next;	/* the next member of the parent */
	union {
		uint32_t len;		/* bytes of str */
		uint32_t count;		/* members of an array or object */
	};
	uint8_t type;			/* enum json_type */
	uint8_t member;			/* a member of an object: it has a key */
};

struct json_doc;

#define JSON_MAX_DEPTH 64

struct json_doc *json_doc_new(void);
void json_doc_free(struct json_doc *doc);
void json_doc_reset(struct json_doc *doc);
/* Bytes of memory the document holds (its blocks, used or not). */
size_t json_doc_memory(const struct json_doc *doc);

/*
 * Parse exactly one JSON value from buf[0..len) (surrounding whitespace allowed).
 * Returns the root, or NULL with a message in errbuf ("line 1, column 7:
 * expected ':'"). The tree stays valid until json_doc_reset/json_doc_free, and
 * as long as buf (numbers and skipped members point into it). Strings and
 * skipped values are limited to 4 GiB - 1 bytes, containers to 2^32 - 1
 * members.
 */
struct json_value *json_parse(struct json_doc *doc, const char *buf, size_t len,
    char *errbuf, size_t errsize);

/*
 * Which members of an object to build: `depth` is the object's own nesting
 * depth (0 for the top-level value). A member refused is still checked like
 * any other value, but only its node is built: type JSON_SKIPPED, its key, and
 * its text in str/len, which json_parse can read later if needed.
 */
typedef int (*json_keep_fn)(void *arg, unsigned depth, const char *key, size_t len);

/* json_parse, building only the members keep() accepts (all when keep is NULL). */
struct json_value *json_parse_keep(struct json_doc *doc, const char *buf, size_t len,
    json_keep_fn keep, void *arg, char *errbuf, size_t errsize);

/*
 * The key of an object member, decoded like a string (NUL-terminated, may
 * contain NULs: use *len), or NULL for other values.
 */
const char *json_key(const struct json_value *v, size_t *len);

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

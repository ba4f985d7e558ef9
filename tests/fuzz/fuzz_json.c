/*
 * fuzz_json.c - libFuzzer entry for the JSON parser: any input parses or is
 * refused with a "line L, column C: ..." message; never reads out of bounds.
 * Parsing with members skipped (json_parse_keep) must accept and refuse the
 * same inputs with the same message, and a skipped member's text must parse
 * on its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct json_value *v, unsigned depth)
{
	size_t n = 1, klen;
	const struct json_value *c;

	if (depth > JSON_MAX_DEPTH + 1)
		abort();
	if (v->type == JSON_STRING && v->str[v->len] != '\0')
		abort();
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return n;
	for (c = v->child; c; c = c->next) {
		const char *k = json_key(c, &klen);

		/* Object members, and only they, have a NUL-terminated key. */
		if ((v->type == JSON_OBJECT) != (k != NULL) || (k && k[klen] != '\0'))
			abort();
		n += walk(c, depth + 1);
	}
	return n;
}

/* Skip members whose key is empty or starts with a byte below 'm'. */
static int keep_some(void *arg, unsigned depth, const char *key, size_t len)
{
	return len > 0 && (unsigned char)key[0] >= 'm';
}

/* Every skipped member holds the text of a valid value. */
static void check_skipped(struct json_doc *sub, const struct json_value *v)
{
	const struct json_value *c;
	char err[128];

	if (v->type == JSON_SKIPPED) {
		json_doc_reset(sub);
		if (!json_parse(sub, v->str, v->len, err, sizeof(err)))
			abort();
		return;
	}
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return;
	for (c = v->child; c; c = c->next)
		check_skipped(sub, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc *doc, *kept, *sub;
	char err[128], kerr[128];
	const struct json_value *v, *k;

	if (!doc) {
		doc = json_doc_new();
		kept = json_doc_new();
		sub = json_doc_new();
	}
	json_doc_reset(doc);
	json_doc_reset(kept);
	v = json_parse(doc, (const char *)data, size, err, sizeof(err));
	k = json_parse_keep(kept, (const char *)data, size, keep_some, NULL, kerr, sizeof(kerr));
	if (!v != !k)
		abort();
	if (v) {
		walk(v, 0);
		walk(k, 0);
		check_skipped(sub, k);
	} else if (strncmp(err, "line ", 5) != 0 || strcmp(err, kerr) != 0) {
		abort();
	}
	return 0;
}

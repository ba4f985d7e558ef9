/*
 * fuzz_json.c - libFuzzer entry for the JSON parser: any input parses or is
 * refused with a "line L, column C: ..." message; never reads out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct json_value *v, unsigned depth)
{
	size_t n = 1;
	const struct json_value *c;

	if (depth > JSON_MAX_DEPTH + 1)
		abort();
	if (v->type == JSON_STRING && v->str[v->len] != '\0')
		abort();
	for (c = v->child; c; c = c->next)
		n += walk(c, depth + 1);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc *doc;
	char err[128];
	const struct json_value *v;

	if (!doc)
		doc = json_doc_new();
	json_doc_reset(doc);
	v = json_parse(doc, (const char *)data, size, err, sizeof(err));
	if (v)
		walk(v, 0);
	else if (strncmp(err, "line ", 5) != 0)
		abort();
	return 0;
}

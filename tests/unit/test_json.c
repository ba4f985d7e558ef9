/*
 * test_json.c - the JSON parser: values, escapes, numbers, errors, limits,
 * memory per byte of input, and skipped members.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static struct json_doc *doc;

static const struct json_value *parse(const char *s, char *err)
{
	json_doc_reset(doc);
	return json_parse(doc, s, strlen(s), err, 128);
}

static void test_values(void)
{
	char err[128];
	const struct json_value *v = parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": \"x\"} ", err);
	const struct json_value *a, *c;
	uint64_t u;
	int64_t i;
	double d;

	CHECK(v && v->type == JSON_OBJECT && v->count == 2);
	a = json_get(v, "a");
	CHECK(a && a->type == JSON_ARRAY && a->count == 5);
	c = a->child;
	CHECK(json_u64(c, &u) == 0 && u == 1);
	c = c->next;
	CHECK(json_u64(c, &u) < 0);
	CHECK(json_i64(c, &i) < 0);
	CHECK(json_double(c, &d) == 0 && d == -2500.0);
	CHECK(c->next->type == JSON_TRUE && c->next->next->type == JSON_FALSE);
	CHECK(c->next->next->next->type == JSON_NULL);
	CHECK_STR(json_get(v, "b")->str, "x");
	CHECK(json_get(v, "zz") == NULL);
}

static void test_integers(void)
{
	char err[128];
	uint64_t u;
	int64_t i;

	CHECK(json_u64(parse("18446744073709551615", err), &u) == 0 && u == UINT64_MAX);
	CHECK(json_u64(parse("18446744073709551616", err), &u) < 0);
	CHECK(json_i64(parse("-9223372036854775808", err), &i) == 0 && i == INT64_MIN);
	CHECK(json_i64(parse("9223372036854775808", err), &i) < 0);
	CHECK(json_u64(parse("1.0", err), &u) < 0);
	CHECK(parse("01", err) == NULL);
	CHECK(parse("1.", err) == NULL);
	CHECK(parse("-", err) == NULL);
	CHECK(parse("1e", err) == NULL);
}

static void test_strings(void)
{
	char err[128];
	const struct json_value *v = parse("\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\u0000z\"", err);

	CHECK(v && v->type == JSON_STRING);
	CHECK(v->len == 1 + 1 + 1 + 1 + 1 + 1 + 2 + 4 + 1 + 1);
	CHECK(memcmp(v->str, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\0z", v->len) == 0);
	CHECK(parse("\"\\ud83d\"", err) == NULL);
	CHECK(strstr(err, "surrogate") != NULL);
	CHECK(parse("\"\\x\"", err) == NULL);
	CHECK(parse("\"a\tb\"", err) == NULL);
	CHECK(strstr(err, "control character") != NULL);
	CHECK(parse("\"abc", err) == NULL);
	CHECK(strstr(err, "unterminated") != NULL);
}

static void test_errors(void)
{
	char err[128], deep[300];
	int i;

	CHECK(parse("", err) == NULL);
	CHECK(parse("{\"a\" 1}", err) == NULL);
	CHECK_STR(err, "line 1, column 6: expected ':'");
	CHECK(parse("[1,]", err) == NULL);
	CHECK(parse("[1] x", err) == NULL);
	CHECK(strstr(err, "trailing") != NULL);
	CHECK(parse("{1:2}", err) == NULL);
	CHECK(parse("tru", err) == NULL);
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[100] = '\0';
	CHECK(parse(deep, err) == NULL);
	CHECK(strstr(err, "too deep") != NULL);
	for (i = 0; i < 60; i++) {
		deep[i] = '[';
		deep[60 + i] = ']';
	}
	deep[120] = '\0';
	CHECK(parse(deep, err) != NULL);
}

static void test_escape_round_trip(void)
{
	const char s[] = "q\"b\\n\n\x01\x1f\xc3\xa9";
	char out[128], err[128];
	FILE *f = tmpfile();
	const struct json_value *v;
	size_t n;

	json_put_string(f, s, sizeof(s) - 1);
	fflush(f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	CHECK_STR(out, "\"q\\\"b\\\\n\\n\\u0001\\u001f\xc3\xa9\"");
	v = parse(out, err);
	CHECK(v && v->len == sizeof(s) - 1 && memcmp(v->str, s, v->len) == 0);
}

static void test_bytes_round_trip(void)
{
	/* Bytes that are not UTF-8 go out as lone surrogates and come back. */
	const char s[] = "ok\xff\xc3(\xed\xa0\x80\xc3\xa9z";
	char out[128], err[128];
	FILE *f = tmpfile();
	const struct json_value *v;
	size_t n;

	json_put_string(f, s, sizeof(s) - 1);
	fflush(f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	CHECK_STR(out, "\"ok\\udcff\\udcc3(\\udced\\udca0\\udc80\xc3\xa9z\"");
	v = parse(out, err);
	CHECK(v && v->len == sizeof(s) - 1 && memcmp(v->str, s, v->len) == 0);
	/* Raw bytes that are not UTF-8 are refused on input. */
	CHECK(parse("\"a\xff" "b\"", err) == NULL);
	CHECK(strstr(err, "invalid UTF-8") != NULL);
	CHECK(parse("\"\xc0\xaf\"", err) == NULL);		/* overlong */
	CHECK(parse("\"\\udc41\"", err) == NULL);		/* not a byte escape */
	CHECK(parse("\xef\xbb\xbf{}", err) == NULL);		/* a BOM */
	CHECK(strstr(err, "unexpected character") != NULL);
}

static void test_reuse(void)
{
	char err[128], big[8192];
	int i;

	/* Parsing many lines into one document reuses its memory. */
	memset(big, 'a', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 10000; i++)
		CHECK(parse(i % 2 ? big : "{\"k\":[1,2,3]}", err) != NULL);
}

/* A JSON array of n copies of item, separated by commas. */
static char *repeat(const char *open, const char *item, size_t n, const char *close, size_t *len)
{
	size_t il = strlen(item), ol = strlen(open), cl = strlen(close), i;
	char *s = malloc(ol + n * (il + 1) + cl + 1), *o = s;

	memcpy(o, open, ol);
	o += ol;
	for (i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		memcpy(o, item, il);
		o += il;
	}
	memcpy(o, close, cl + 1);
	*len = (size_t)(o - s) + cl;
	return s;
}

static void test_memory_bound(void)
{
	/* The densest inputs: a node per 2 bytes ("0,"), per 3 ("[]," and
	 * "\"\","), a member per 5 ("\"\":0,"). None costs more than 12 bytes
	 * of memory per byte of input (plus the first block). */
	static const char *const shapes[][3] = {
		{ "[", "0", "]" }, { "[", "[]", "]" }, { "[", "\"\"", "]" }, { "{", "\"\":0", "}" },
		{ "[", "{}", "]" }, { "[", "[0]", "]" }, { "{", "\"a\":\"\"", "}" },
	};
	size_t i, len;

	CHECK(sizeof(void *) != 8 || sizeof(struct json_value) == 24);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct json_doc *d = json_doc_new();
		char *s = repeat(shapes[i][0], shapes[i][1], 200000, shapes[i][2], &len);
		char err[128];

		CHECK(json_parse(d, s, len, err, sizeof(err)) != NULL);
		if (json_doc_memory(d) > 12 * len + (128 << 10))
			fprintf(stderr, "shape %s: %zu bytes for %zu\n", shapes[i][1],
			    json_doc_memory(d), len);
		CHECK(json_doc_memory(d) <= 12 * len + (128 << 10));
		json_doc_free(d);
		free(s);
	}
}

static int keep_a(void *arg, unsigned depth, const char *key, size_t len)
{
	unsigned *max_depth = arg;

	if (depth > *max_depth)
		*max_depth = depth;
	return len == 1 && key[0] == 'a';
}

static void test_keep(void)
{
	const char text[] = "{\"a\": {\"a\": 1, \"b\": [2]}, \"b\": {\"x\": [1, \"\\u00e9\"]}}";
	const char bx[] = "{\"x\": [1, \"\\u00e9\"]}";
	const struct json_value *v, *a, *b, *c;
	unsigned max_depth = 0;
	size_t klen;
	char err[128];

	json_doc_reset(doc);
	v = json_parse_keep(doc, text, strlen(text), keep_a, &max_depth, err, sizeof(err));
	CHECK(v && v->type == JSON_OBJECT && v->count == 2);
	CHECK(max_depth == 1);
	a = json_get(v, "a");
	CHECK(a && a->type == JSON_OBJECT && a->count == 2);
	CHECK(json_key(a, &klen) && klen == 1 && json_key(a, &klen)[0] == 'a');
	CHECK(json_key(v, &klen) == NULL && klen == 0);
	/* Skipped members keep their key and their text, which parses. */
	c = json_get(a, "b");
	CHECK(c && c->type == JSON_SKIPPED && c->len == 3 && memcmp(c->str, "[2]", 3) == 0);
	b = json_get(v, "b");
	CHECK(b && b->type == JSON_SKIPPED);
	CHECK(b && b->len == strlen(bx) && memcmp(b->str, bx, b->len) == 0);
	CHECK(json_key(b, &klen) && klen == 1);
	c = json_parse(doc, b->str, b->len, err, sizeof(err));
	CHECK(c && c->type == JSON_OBJECT && json_get(c, "x")->count == 2);
	/* Array elements have no key. */
	CHECK(c && json_key(json_get(c, "x")->child, &klen) == NULL);
}

static void test_keep_checks(void)
{
	/* A skipped value is checked like any other: same errors, same places. */
	static const char *const bad[] = {
		"{\"b\": [1,]}", "{\"b\": \"\\x\"}", "{\"b\": {\"k\" 1}}", "{\"b\": \"a\xff\"}",
		"{\"b\": tru}", "{\"b\": [1] x}", "{\"b\": \"\\ud800\"}", "{\"b\": 01}",
	};
	char err[128], kerr[128], deep[300];
	size_t i;
	unsigned depth = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_doc_reset(doc);
		CHECK(json_parse(doc, bad[i], strlen(bad[i]), err, sizeof(err)) == NULL);
		CHECK(json_parse_keep(doc, bad[i], strlen(bad[i]), keep_a, &depth, kerr,
		    sizeof(kerr)) == NULL);
		CHECK_STR(kerr, err);
	}
	strcpy(deep, "{\"b\":");
	for (i = 0; i < 100; i++)
		deep[5 + i] = '[';
	deep[105] = '\0';
	json_doc_reset(doc);
	CHECK(json_parse_keep(doc, deep, strlen(deep), keep_a, &depth, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nesting too deep") != NULL);
}

static void test_keep_costs_nothing(void)
{
	/* 2 MB of numbers under a skipped key: the tree is one node. */
	struct json_doc *d = json_doc_new();
	size_t len;
	char *s = repeat("{\"a\":1,\"b\":[", "0", 1000000, "]}", &len);
	unsigned depth = 0;
	char err[128];
	const struct json_value *v = json_parse_keep(d, s, len, keep_a, &depth, err, sizeof(err));

	CHECK(v && v->count == 2 && json_get(v, "b")->type == JSON_SKIPPED);
	CHECK(json_doc_memory(d) <= (128 << 10));
	json_doc_free(d);
	free(s);
}

int main(void)
{
	doc = json_doc_new();
	RUN(test_values);
	RUN(test_integers);
	RUN(test_strings);
	RUN(test_errors);
	RUN(test_escape_round_trip);
	RUN(test_bytes_round_trip);
	RUN(test_reuse);
	RUN(test_memory_bound);
	RUN(test_keep);
	RUN(test_keep_checks);
	RUN(test_keep_costs_nothing);
	json_doc_free(doc);
	UNIT_END();
}

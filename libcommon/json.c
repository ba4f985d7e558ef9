/*
 * json.c - a strict RFC 8259 parser into an arena, and string escaping
 * (see json.h).
 */
#include "json.h"

/*
 * Lines are written piece by piece; the unlocked stdio calls skip a lock per
 * piece (the caller holds the FILE lock for a whole event, see ndjson.c).
 */
#if defined(__GLIBC__)
#define PUTC(c, f) putc_unlocked((c), (f))
#define FWRITE(p, n, f) fwrite_unlocked((p), 1, (n), (f))
#else
#define PUTC(c, f) putc((c), (f))
#define FWRITE(p, n, f) fwrite((p), 1, (n), (f))
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES ((size_t)64 << 10)

struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

struct json_doc {
	struct block *first, *cur;
};

struct parser {
	struct json_doc *doc;
	const char *p, *start, *end;
	char *err;
	size_t errsize;
	int failed;
};

struct json_doc *json_doc_new(void)
{
	return calloc(1, sizeof(struct json_doc));
}

void json_doc_free(struct json_doc *doc)
{
	struct block *b, *next;

	if (!doc)
		return;
	for (b = doc->first; b; b = next) {
		next = b->next;
		free(b);
	}
	free(doc);
}

void json_doc_reset(struct json_doc *doc)
{
	struct block *b;

	for (b = doc->first; b; b = b->next)
		b->used = 0;
	doc->cur = doc->first;
}

static void *arena_alloc(struct json_doc *doc, size_t size)
{
	struct block *b = doc->cur;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

	if (need < size)
		return NULL;
	while (b && b->cap - b->used < need) {
		b = b->next;
		if (b)
			b->used = 0;
	}
	if (!b) {
		size_t cap = need > BLOCK_BYTES ? need : BLOCK_BYTES;
		struct block *nb = malloc(sizeof(*nb) + cap);

		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		nb->next = NULL;
		/* Append after cur, keeping any later (free) blocks reachable. */
		if (doc->cur) {
			nb->next = doc->cur->next;
			doc->cur->next = nb;
		} else {
			doc->first = nb;
		}
		b = nb;
	}
	doc->cur = b;
	b->used += need;
	return (char *)b->data + b->used - need;
}

/*
 * Length of the valid UTF-8 sequence at s[0..len), or 0 if it is not one
 * (overlong forms, surrogates and values above U+10FFFF are invalid).
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (len < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (len < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static void fail(struct parser *ps, const char *what)
{
	size_t line = 1, col = 1;
	const char *q;

	if (ps->failed)
		return;
	ps->failed = 1;
	for (q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (ps->errsize)
		snprintf(ps->err, ps->errsize, "line %zu, column %zu: %s", line, col, what);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *p, unsigned *v)
{
	unsigned x = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Parse a string at ps->p (on the opening quote). */
static int parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const char *q = ps->p + 1, *run;
	char *buf, *o;
	size_t maxlen = 0;

	/* First pass: find the end and bound the decoded size (never larger). */
	for (run = q; run < ps->end && *run != '"'; run++) {
		if (*run == '\\') {
			if (run + 1 >= ps->end)
				break;
			run++;
		}
	}
	if (run >= ps->end) {
		fail(ps, "unterminated string");
		return -1;
	}
	maxlen = (size_t)(run - q);
	buf = arena_alloc(ps->doc, maxlen + 1);
	if (!buf) {
		fail(ps, "out of memory");
		return -1;
	}
	o = buf;
	while (q < run) {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20) {
			ps->p = q;
			fail(ps, "control character in string");
			return -1;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)q, (size_t)(run - q));

			if (!n) {
				ps->p = q;
				fail(ps, "invalid UTF-8 in string");
				return -1;
			}
			memcpy(o, q, n);
			o += n;
			q += n;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			q++;
			continue;
		}
		q++;
		switch (*q) {
		case '"': *o++ = '"'; q++; break;
		case '\\': *o++ = '\\'; q++; break;
		case '/': *o++ = '/'; q++; break;
		case 'b': *o++ = '\b'; q++; break;
		case 'f': *o++ = '\f'; q++; break;
		case 'n': *o++ = '\n'; q++; break;
		case 'r': *o++ = '\r'; q++; break;
		case 't': *o++ = '\t'; q++; break;
		case 'u': {
			unsigned cp, lo;

			if (run - q < 5 || hex4(q + 1, &cp) < 0) {
				ps->p = q;
				fail(ps, "bad \\u escape");
				return -1;
			}
			q += 5;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (run - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					ps->p = q;
					fail(ps, "unpaired surrogate in \\u escape");
					return -1;
				}
				q += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc80 && cp <= 0xdcff) {
				/* A lone \udc80-\udcff stands for one byte that is not
				 * UTF-8 (json_put_escaped writes them): restore the byte. */
				*o++ = (char)(cp - 0xdc00);
				continue;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				ps->p = q;
				fail(ps, "unpaired surrogate in \\u escape");
				return -1;
			}
			/* A \u escape is 6 bytes and decodes to at most 4: fits. */
			o += put_utf8(o, cp);
			break;
		}
		default:
			ps->p = q;
			fail(ps, "bad escape in string");
			return -1;
		}
	}
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	ps->p = run + 1;
	return 0;
}

static int parse_number(struct parser *ps, struct json_value *v)
{
	const char *q = ps->p;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9') {
		fail(ps, "bad number");
		return -1;
	}
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			ps->p = q;
			fail(ps, "bad number");
			return -1;
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			ps->p = q;
			fail(ps, "bad number");
			return -1;
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	v->type = JSON_NUMBER;
	v->str = ps->p;
	v->len = (size_t)(q - ps->p);
	ps->p = q;
	return 0;
}

static int literal(struct parser *ps, const char *word, enum json_type t, struct json_value *v)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, "unexpected character");
		return -1;
	}
	ps->p += n;
	v->type = t;
	return 0;
}

static struct json_value *parse_value(struct parser *ps, unsigned depth)
{
	struct json_value *v, **tail;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	v = arena_alloc(ps->doc, sizeof(*v));
	if (!v) {
		fail(ps, "out of memory");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	switch (*ps->p) {
	case '{':
	case '[': {
		int is_obj = *ps->p == '{';
		char close = is_obj ? '}' : ']';

		if (depth >= JSON_MAX_DEPTH) {
			fail(ps, "nesting too deep");
			return NULL;
		}
		v->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
		ps->p++;
		tail = &v->child;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		for (;;) {
			const char *key = NULL;
			size_t klen = 0;
			struct json_value *c;

			skip_ws(ps);
			if (is_obj) {
				if (ps->p >= ps->end || *ps->p != '"') {
					fail(ps, "expected a string key");
					return NULL;
				}
				if (parse_string(ps, &key, &klen) < 0)
					return NULL;
				skip_ws(ps);
				if (ps->p >= ps->end || *ps->p != ':') {
					fail(ps, "expected ':'");
					return NULL;
				}
				ps->p++;
			}
			c = parse_value(ps, depth + 1);
			if (!c)
				return NULL;
			c->key = key;
			c->key_len = klen;
			*tail = c;
			tail = &c->next;
			v->count++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				return v;
			}
			fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
			return NULL;
		}
	}
	case '"':
		v->type = JSON_STRING;
		return parse_string(ps, &v->str, &v->len) < 0 ? NULL : v;
	case 't':
		return literal(ps, "true", JSON_TRUE, v) < 0 ? NULL : v;
	case 'f':
		return literal(ps, "false", JSON_FALSE, v) < 0 ? NULL : v;
	case 'n':
		return literal(ps, "null", JSON_NULL, v) < 0 ? NULL : v;
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9')) {
			fail(ps, "unexpected character");
			return NULL;
		}
		return parse_number(ps, v) < 0 ? NULL : v;
	}
}

struct json_value *json_parse(struct json_doc *doc, const char *buf, size_t len,
    char *errbuf, size_t errsize)
{
	struct parser ps = { doc, buf, buf, buf + len, errbuf, errsize, 0 };
	struct json_value *v;

	if (errsize)
		errbuf[0] = '\0';
	v = parse_value(&ps, 0);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing characters after the value");
		return NULL;
	}
	return v;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *c;
	size_t n = strlen(key);

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (c->key_len == n && memcmp(c->key, key, n) == 0)
			return c;
	return NULL;
}

int json_u64(const struct json_value *v, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (!v || v->type != JSON_NUMBER || v->len == 0 || v->str[0] == '-')
		return -1;
	for (i = 0; i < v->len; i++) {
		unsigned d;

		if (v->str[i] < '0' || v->str[i] > '9')
			return -1;
		d = (unsigned)(v->str[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int json_i64(const struct json_value *v, int64_t *out)
{
	struct json_value t;
	uint64_t m;

	if (!v || v->type != JSON_NUMBER || v->len == 0)
		return -1;
	if (v->str[0] != '-') {
		if (json_u64(v, &m) < 0 || m > INT64_MAX)
			return -1;
		*out = (int64_t)m;
		return 0;
	}
	t = *v;
	t.str++;
	t.len--;
	if (json_u64(&t, &m) < 0 || m > (uint64_t)INT64_MAX + 1)
		return -1;
	*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	return 0;
}

int json_double(const struct json_value *v, double *out)
{
	char buf[64];
	char *end;

	if (!v || v->type != JSON_NUMBER || v->len >= sizeof(buf))
		return -1;
	memcpy(buf, v->str, v->len);
	buf[v->len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (*end || errno == ERANGE)
		return -1;
	return 0;
}

void json_put_string(FILE *f, const char *s, size_t len)
{
	PUTC('"', f);
	json_put_escaped(f, s, len);
	PUTC('"', f);
}

void json_put_escaped(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t n = 2;

		if (c >= 0x80) {
			size_t seq = utf8_seq((const unsigned char *)s + i, len - i);

			if (seq) {
				i += seq - 1;
				continue;
			}
			/* Not UTF-8: the byte as a lone surrogate, so the output is
			 * valid JSON and json_parse gives the byte back. */
			FWRITE(s + run, i - run, f);
			run = i + 1;
			fprintf(f, "\\udc%02x", c);
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		FWRITE(s + run, i - run, f);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		FWRITE(esc, n, f);
	}
	FWRITE(s + run, len - run, f);
}

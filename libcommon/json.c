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

/* An object member: the value's node, then its key. */
struct json_member {
	struct json_value v;
	const char *key;
	size_t key_len;
};

/* Nodes are aligned for their pointers; strings are not aligned at all. */
#define NODE_ALIGN _Alignof(struct json_member)

struct parser {
	struct json_doc *doc;
	const char *p, *start, *end;
	json_keep_fn keep;
	void *arg;
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

size_t json_doc_memory(const struct json_doc *doc)
{
	const struct block *b;
	size_t n = sizeof(*doc);

	for (b = doc->first; b; b = b->next)
		n += sizeof(*b) + b->cap;
	return n;
}

/* size bytes aligned to align (a power of two, at most max_align_t's). */
static void *arena_alloc(struct json_doc *doc, size_t size, size_t align)
{
	struct block *b = doc->cur;
	size_t at = 0;

	if (size > SIZE_MAX - BLOCK_BYTES)
		return NULL;
	for (; b; b = b->next) {
		at = (b->used + align - 1) & ~(align - 1);
		if (at <= b->cap && b->cap - at >= size)
			break;
		if (b->next)
			b->next->used = 0;
	}
	if (!b) {
		size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;
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
		at = 0;
	}
	doc->cur = b;
	b->used = at + size;
	return (char *)b->data + at;
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

/* Record the first error, with its line and column; always -1. */
static int fail(struct parser *ps, const char *what)
{
	size_t line = 1, col = 1;
	const char *q;

	if (ps->failed)
		return -1;
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
	return -1;
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

/*
 * Decode the escape at *qp (on the backslash; the string ends at run) into
 * o[0..4): its length, or 0 (error recorded). A \u escape is 6 bytes and
 * decodes to at most 4, so the decoded string is never longer than its text.
 */
static size_t parse_escape(struct parser *ps, const char **qp, const char *run, char *o)
{
	const char *q = *qp + 1;
	unsigned cp, lo;
	size_t n = 1;

	switch (*q) {
	case '"': o[0] = '"'; break;
	case '\\': o[0] = '\\'; break;
	case '/': o[0] = '/'; break;
	case 'b': o[0] = '\b'; break;
	case 'f': o[0] = '\f'; break;
	case 'n': o[0] = '\n'; break;
	case 'r': o[0] = '\r'; break;
	case 't': o[0] = '\t'; break;
	case 'u':
		if (run - q < 5 || hex4(q + 1, &cp) < 0) {
			ps->p = q;
			fail(ps, "bad \\u escape");
			return 0;
		}
		q += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (run - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff) {
				ps->p = q + 1;
				fail(ps, "unpaired surrogate in \\u escape");
				return 0;
			}
			q += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc80 && cp <= 0xdcff) {
			/* A lone \udc80-\udcff stands for one byte that is not
			 * UTF-8 (json_put_escaped writes them): restore the byte. */
			cp -= 0xdc00;
			o[0] = (char)cp;
			*qp = q + 1;
			return 1;
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			ps->p = q + 1;
			fail(ps, "unpaired surrogate in \\u escape");
			return 0;
		}
		n = put_utf8(o, cp);
		break;
	default:
		ps->p = q;
		fail(ps, "bad escape in string");
		return 0;
	}
	*qp = q + 1;
	return n;
}

/*
 * Check the string at ps->p (on the opening quote) and decode it into a new
 * arena buffer, *out and *outlen; with out NULL only check it (a skipped
 * value costs no memory).
 */
static int parse_string(struct parser *ps, const char **out, uint32_t *outlen)
{
	const char *q = ps->p + 1, *run;
	char *buf = NULL, *o = NULL;

	/* First pass: find the end, which bounds the decoded size. */
	for (run = q; run < ps->end && *run != '"'; run++) {
		if (*run == '\\') {
			if (run + 1 >= ps->end)
				break;
			run++;
		}
	}
	if (run >= ps->end)
		return fail(ps, "unterminated string");
	if ((size_t)(run - q) >= UINT32_MAX)
		return fail(ps, "string longer than 4 GiB");
	if (out) {
		buf = arena_alloc(ps->doc, (size_t)(run - q) + 1, 1);
		if (!buf)
			return fail(ps, "out of memory");
		o = buf;
	}
	while (q < run) {
		const char *plain = q;
		unsigned char c;
		size_t n;
		char esc[4];

		/* A run of printable ASCII is copied as it is. */
		while (q < run && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80 && *q != '\\')
			q++;
		if (o) {
			memcpy(o, plain, (size_t)(q - plain));
			o += q - plain;
		}
		if (q == run)
			break;
		c = (unsigned char)*q;
		if (c < 0x20) {
			ps->p = q;
			return fail(ps, "control character in string");
		}
		if (c >= 0x80) {
			n = utf8_seq((const unsigned char *)q, (size_t)(run - q));
			if (!n) {
				ps->p = q;
				return fail(ps, "invalid UTF-8 in string");
			}
			if (o) {
				memcpy(o, q, n);
				o += n;
			}
			q += n;
			continue;
		}
		n = parse_escape(ps, &q, run, esc);
		if (!n)
			return -1;
		if (o) {
			memcpy(o, esc, n);
			o += n;
		}
	}
	if (out) {
		*o = '\0';
		*out = buf;
		*outlen = (uint32_t)(o - buf);
	}
	ps->p = run + 1;
	return 0;
}

/* Check the number at ps->p; v (if any) gets its text. */
static int parse_number(struct parser *ps, struct json_value *v)
{
	const char *q = ps->p;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "bad number");
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || *q < '0' || *q > '9') {
			ps->p = q;
			return fail(ps, "bad number");
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
			return fail(ps, "bad number");
		}
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - ps->p) >= UINT32_MAX)
		return fail(ps, "number longer than 4 GiB");
	if (v) {
		v->type = JSON_NUMBER;
		v->str = ps->p;
		v->len = (uint32_t)(q - ps->p);
	}
	ps->p = q;
	return 0;
}

static int literal(struct parser *ps, const char *word, enum json_type t, struct json_value *v)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
	ps->p += n;
	if (v)
		v->type = (uint8_t)t;
	return 0;
}

/* What parse_value makes of a value. */
enum build {
	BUILD_VALUE,		/* a node */
	BUILD_MEMBER,		/* a node with room for its key */
	BUILD_NOTHING,		/* check the value only */
};

static struct json_value *new_node(struct parser *ps, enum build how)
{
	size_t size = how == BUILD_MEMBER ? sizeof(struct json_member) : sizeof(struct json_value);
	struct json_value *v = arena_alloc(ps->doc, size, NODE_ALIGN);

	if (!v) {
		fail(ps, "out of memory");
		return NULL;
	}
	memset(v, 0, size);
	v->member = how == BUILD_MEMBER;
	return v;
}

/*
 * Parse the value at ps->p, at nesting depth `depth`; *out gets its node
 * (NULL for BUILD_NOTHING). One grammar for built and skipped values, so both
 * are checked alike. 0 or -1.
 */
static int parse_value(struct parser *ps, unsigned depth, enum build how, struct json_value **out)
{
	struct json_value *v = NULL, **tail = NULL;
	int is_obj;
	char close;

	*out = NULL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	if (how != BUILD_NOTHING && !(v = new_node(ps, how)))
		return -1;
	*out = v;
	switch (*ps->p) {
	case '"':
		if (v)
			v->type = JSON_STRING;
		return parse_string(ps, v ? &v->str : NULL, v ? &v->len : NULL);
	case 't':
		return literal(ps, "true", JSON_TRUE, v);
	case 'f':
		return literal(ps, "false", JSON_FALSE, v);
	case 'n':
		return literal(ps, "null", JSON_NULL, v);
	case '{':
	case '[':
		break;
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
			return fail(ps, "unexpected character");
		return parse_number(ps, v);
	}

	is_obj = *ps->p == '{';
	close = is_obj ? '}' : ']';
	if (depth >= JSON_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	if (v) {
		v->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
		tail = &v->child;
	}
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		enum build chow = !v ? BUILD_NOTHING : is_obj ? BUILD_MEMBER : BUILD_VALUE;
		struct json_value *c, *none;
		const char *key = NULL;
		uint32_t klen = 0;

		skip_ws(ps);
		if (is_obj) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a string key");
			if (parse_string(ps, v ? &key : NULL, &klen) < 0)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		if (chow == BUILD_MEMBER && ps->keep && !ps->keep(ps->arg, depth, key, klen)) {
			/* Kept as its key and its text only: the value is checked
			 * but builds nothing. */
			const char *text;

			if (!(c = new_node(ps, BUILD_MEMBER)))
				return -1;
			skip_ws(ps);
			text = ps->p;
			if (parse_value(ps, depth + 1, BUILD_NOTHING, &none) < 0)
				return -1;
			if ((size_t)(ps->p - text) >= UINT32_MAX)
				return fail(ps, "skipped value longer than 4 GiB");
			c->type = JSON_SKIPPED;
			c->str = text;
			c->len = (uint32_t)(ps->p - text);
		} else if (parse_value(ps, depth + 1, chow, &c) < 0) {
			return -1;
		}
		if (v) {
			if (v->count == UINT32_MAX)
				return fail(ps, "more than 4294967295 members");
			if (is_obj) {
				((struct json_member *)c)->key = key;
				((struct json_member *)c)->key_len = klen;
			}
			*tail = c;
			tail = &c->next;
			v->count++;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

struct json_value *json_parse_keep(struct json_doc *doc, const char *buf, size_t len,
    json_keep_fn keep, void *arg, char *errbuf, size_t errsize)
{
	struct parser ps = { doc, buf, buf, buf + len, keep, arg, errbuf, errsize, 0 };
	struct json_value *v;

	if (errsize)
		errbuf[0] = '\0';
	if (parse_value(&ps, 0, BUILD_VALUE, &v) < 0)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing characters after the value");
		return NULL;
	}
	return v;
}

struct json_value *json_parse(struct json_doc *doc, const char *buf, size_t len,
    char *errbuf, size_t errsize)
{
	return json_parse_keep(doc, buf, len, NULL, NULL, errbuf, errsize);
}

const char *json_key(const struct json_value *v, size_t *len)
{
	const struct json_member *m = (const struct json_member *)v;

	if (!v || !v->member) {
		*len = 0;
		return NULL;
	}
	*len = m->key_len;
	return m->key;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *c;
	size_t n = strlen(key);

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (c = obj->child; c; c = c->next) {
		const struct json_member *m = (const struct json_member *)c;

		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return c;
	}
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

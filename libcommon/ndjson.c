/*
 * ndjson.c - stream <-> NDJSON (see ndjson.h and the NDJSON section of
 * docs/FORMAT.md). Decoding writes lines in stream order: a header line per
 * segment, a module line where the module is defined, an edge line per edge,
 * coverage lines, and a trailer line. Encoding replays those lines through
 * the writer, which re-derives every id, so decode(encode(x)) == x.
 */
#include "ndjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "mem.h"
#include "strtab.h"

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
#define PUTS(s, f) FWRITE((s), strlen(s), (f))

/* ---- decoding ---- */

static void put_u64(FILE *f, uint64_t v)
{
	char buf[24];
	int i = (int)sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	FWRITE(buf + i, sizeof(buf) - (size_t)i, f);
}

static void put_key(FILE *f, const char *prefix, const char *key)
{
	PUTC(',', f);
	PUTC('"', f);
	if (prefix) {
		PUTS(prefix, f);
		PUTC('_', f);
	}
	PUTS(key, f);
	PUTS("\":", f);
}

static void put_ukey(FILE *f, const char *prefix, const char *key, uint64_t v)
{
	put_key(f, prefix, key);
	put_u64(f, v);
}

static void put_skey(FILE *f, const char *prefix, const char *key, const char *s)
{
	put_key(f, prefix, key);
	json_put_string(f, s, strlen(s));
}

/* A string of the segment's table, with its length (it may hold NULs). */
static void put_sid(FILE *f, const struct es_reader *r, const char *prefix, const char *key,
    uint32_t sid)
{
	size_t len = 0;
	const char *s = es_reader_string(r, sid, &len);

	put_key(f, prefix, key);
	json_put_string(f, s, len);
}

static void put_names(FILE *f, uint32_t bits, const char *(*name)(unsigned))
{
	unsigned b;
	int first = 1;

	PUTC('[', f);
	for (b = 0; b < 32; b++) {
		const char *n;

		if (!(bits >> b & 1))
			continue;
		if (!first)
			PUTC(',', f);
		first = 0;
		n = name(b);
		if (n)
			fprintf(f, "\"%s\"", n);
		else
			fprintf(f, "\"bit%u\"", b);
	}
	PUTC(']', f);
}

/* "key":"name" for a non-zero value of an enumeration, "keyN" without a name. */
static void put_enum(FILE *f, const char *key, unsigned v, const char *(*name)(unsigned))
{
	const char *n = name(v);

	if (!v)
		return;
	put_key(f, NULL, key);
	if (n)
		fprintf(f, "\"%s\"", n);
	else
		fprintf(f, "\"%s%u\"", key, v);
}

static void put_build_id(FILE *f, const char *prefix, const char *key, const struct es_module *m)
{
	char buf[2 * ES_BUILD_ID_MAX + 1];

	es_build_id_format(m->id_kind, m->build_id, m->build_id_len, buf, sizeof(buf));
	put_skey(f, prefix, key, buf);
}

/* "caller":"module!symbol" plus the node's other attributes, prefixed. */
static void put_node(FILE *f, const struct es_reader *r, const char *key, uint32_t id)
{
	const struct es_node *n = es_reader_node(r, id);
	struct es_module m;
	size_t slen = 0;
	const char *sym;

	es_reader_module(r, n->module, &m);
	sym = es_reader_string(r, n->symbol, &slen);
	put_key(f, NULL, key);
	PUTC('"', f);
	json_put_escaped(f, m.name, strlen(m.name));
	if (sym) {
		PUTC('!', f);
		json_put_escaped(f, sym, slen);
	} else {
		fprintf(f, "+0x%llx", (unsigned long long)n->offset);
	}
	PUTC('"', f);
	/* "a!b!c" cannot say where the module ends: name it apart. */
	if (strchr(m.name, '!'))
		put_skey(f, key, "module", m.name);
	if (m.id_kind)
		put_build_id(f, key, "build_id", &m);
	if (sym && n->offset)
		put_ukey(f, key, "offset", n->offset);
	if (n->flags) {
		put_key(f, key, "flags");
		put_names(f, n->flags, es_node_flag_name);
	}
	if (n->state) {
		const char *s = es_state_name(n->state);

		put_key(f, key, "state");
		if (s)
			fprintf(f, "\"%s\"", s);
		else
			fprintf(f, "\"state%u\"", (unsigned)n->state);
	}
	if (n->file)
		put_sid(f, r, key, "file", n->file);
	if (n->line)
		put_ukey(f, key, "line", n->line);
}

static void put_context(FILE *f, const struct es_reader *r, uint32_t id)
{
	const struct es_context *c = es_reader_context(r, id);

	if (!c)
		return;
	if (c->host)
		put_sid(f, r, NULL, "host", c->host);
	if (c->pid)
		put_ukey(f, NULL, "pid", c->pid);
	if (c->comm)
		put_sid(f, r, NULL, "comm", c->comm);
	if (c->container)
		put_sid(f, r, NULL, "container", c->container);
	if (c->cgroup)
		put_ukey(f, NULL, "cgroup", c->cgroup);
}

static void write_edge(FILE *f, const struct es_reader *r, const struct es_edge *e)
{
	PUTS("{\"type\":\"edge\"", f);
	put_node(f, r, "caller", e->caller);
	put_node(f, r, "callee", e->callee);
	put_ukey(f, NULL, "count", e->count);
	put_ukey(f, NULL, "first_seen", e->first_ns);
	put_ukey(f, NULL, "last_seen", e->last_ns);
	if (e->evidence) {
		put_key(f, NULL, "evidence");
		put_names(f, e->evidence, es_evidence_name);
	}
	if (e->confidence)
		put_ukey(f, NULL, "confidence", e->confidence);
	put_enum(f, "class", e->edge_class, es_class_name);
	put_enum(f, "conflict", e->conflict, es_conflict_name);
	put_enum(f, "resolution", e->resolution, es_resolution_name);
	if (e->site)
		put_sid(f, r, NULL, "site", e->site);
	if (e->window) {
		const struct es_window *w = es_reader_window(r, e->window);

		put_ukey(f, NULL, "window_start", w->start_ns);
		put_ukey(f, NULL, "window_end", w->end_ns);
	}
	put_context(f, r, e->ctx);
	FWRITE("}\n", 2, f);
}

void ndjson_write_event(FILE *f, const struct es_reader *r, const struct es_event *ev)
{
	size_t i;

	flockfile(f);
	switch (ev->kind) {
	case ES_EVENT_HEADER: {
		const struct es_header *h = ev->header;

		PUTS("{\"type\":\"header\"", f);
		put_skey(f, NULL, "format", ES_FORMAT_NAME);
		put_ukey(f, NULL, "major", h->major);
		put_ukey(f, NULL, "minor", h->minor);
		if (h->producer)
			put_skey(f, NULL, "producer", h->producer);
		if (h->host)
			put_skey(f, NULL, "host", h->host);
		if (h->source)
			put_skey(f, NULL, "source", h->source);
		if (h->start_ns)
			put_ukey(f, NULL, "start", h->start_ns);
		if (h->end_ns)
			put_ukey(f, NULL, "end", h->end_ns);
		if (h->nparams) {
			put_key(f, NULL, "params");
			PUTC('{', f);
			for (i = 0; i < h->nparams; i++) {
				if (i)
					PUTC(',', f);
				json_put_string(f, h->params[i].key, strlen(h->params[i].key));
				PUTC(':', f);
				json_put_string(f, h->params[i].value, strlen(h->params[i].value));
			}
			PUTC('}', f);
		}
		FWRITE("}\n", 2, f);
		break;
	}
	case ES_EVENT_MODULE: {
		struct es_module m;

		es_reader_module(r, ev->id, &m);
		PUTS("{\"type\":\"module\"", f);
		put_skey(f, NULL, "name", m.name);
		if (m.path)
			put_skey(f, NULL, "path", m.path);
		if (m.purl)
			put_skey(f, NULL, "purl", m.purl);
		if (m.id_kind) {
			const char *k = es_id_kind_name(m.id_kind);

			put_key(f, NULL, "build_id_kind");
			if (k)
				fprintf(f, "\"%s\"", k);
			else
				fprintf(f, "\"kind%u\"", m.id_kind);
			put_build_id(f, NULL, "build_id", &m);
		}
		FWRITE("}\n", 2, f);
		break;
	}
	case ES_EVENT_EDGES:
		for (i = 0; i < ev->nedges; i++)
			write_edge(f, r, &ev->edges[i]);
		break;
	case ES_EVENT_COVERAGE: {
		const struct es_coverage *c = ev->coverage;
		const char *m = es_cov_method_name(c->method);

		PUTS("{\"type\":\"coverage\"", f);
		put_node(f, r, "node", c->node);
		put_key(f, NULL, "method");
		if (m)
			fprintf(f, "\"%s\"", m);
		else
			fprintf(f, "\"method%u\"", c->method);
		put_ukey(f, NULL, "start", c->start_ns);
		put_ukey(f, NULL, "end", c->end_ns);
		put_context(f, r, c->ctx);
		FWRITE("}\n", 2, f);
		break;
	}
	case ES_EVENT_TRAILER: {
		const struct es_trailer *t = ev->trailer;

		PUTS("{\"type\":\"trailer\"", f);
		put_ukey(f, NULL, "records", t->records);
		put_ukey(f, NULL, "edges", t->edges);
		if (t->nlosses) {
			put_key(f, NULL, "losses");
			PUTC('{', f);
			for (i = 0; i < t->nlosses; i++) {
				if (i)
					PUTC(',', f);
				json_put_string(f, t->losses[i].name, strlen(t->losses[i].name));
				PUTC(':', f);
				put_u64(f, t->losses[i].count);
			}
			PUTC('}', f);
		}
		FWRITE("}\n", 2, f);
		break;
	}
	default:
		break;
	}
	funlockfile(f);
}

/* ---- encoding ---- */

struct ndjson_encoder {
	struct es_writer *w;
	const char *producer;
	struct tm_err *err;
	struct json_doc *doc;
	int in_segment;
	unsigned long segments;
	/* Modules declared by module lines: "name\0build_id" -> module handle. */
	struct strtab modkeys;
	uint32_t *modh;
	size_t modh_cap;
	char *scratch;
	size_t scratch_cap;
	/* ndjson_encode_fd's line buffer, at most NDJSON_LINE_MAX + 1 bytes. */
	char *line;
	size_t line_cap;
	/* Where the current line came from, for messages. */
	const char *name;
	unsigned long lineno;
	const char *type;
};

struct ndjson_encoder *ndjson_encoder_new(struct es_writer *w, const char *producer,
    struct tm_err *err)
{
	struct ndjson_encoder *e = calloc(1, sizeof(*e));

	if (!e || !(e->doc = json_doc_new())) {
		free(e);
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	e->w = w;
	e->producer = producer;
	e->err = err;
	strtab_init(&e->modkeys);
	return e;
}

void ndjson_encoder_free(struct ndjson_encoder *e)
{
	if (!e)
		return;
	json_doc_free(e->doc);
	strtab_free(&e->modkeys);
	free(e->modh);
	free(e->scratch);
	free(e->line);
	free(e);
}

static int fail(struct ndjson_encoder *e, const char *key, const char *what)
{
	if (key)
		tm_err_set(e->err, TM_EXIT_DATA, "%s:%lu: %s: %s: %s", e->name, e->lineno, e->type,
		    key, what);
	else
		tm_err_set(e->err, TM_EXIT_DATA, "%s:%lu: %s: %s", e->name, e->lineno, e->type, what);
	return -1;
}

/*
 * A string longer than a stream can hold: refused here, where the line is
 * known, rather than by the writer.
 */
static int too_long(struct ndjson_encoder *e, const char *key, const char *what, size_t len)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%s of %zu bytes exceeds the %u-byte limit", what, len,
	    (unsigned)ES_STRING_MAX);
	return fail(e, key, msg);
}

/* A writer failure (out of memory, I/O) reported at this line. */
static int writer_failed(struct ndjson_encoder *e)
{
	return e->err->code ? -1 : 0;
}

static int get_u64(struct ndjson_encoder *e, const struct json_value *o, const char *key,
    uint64_t *out, uint64_t max)
{
	const struct json_value *v = json_get(o, key);

	if (!v)
		return 0;
	if (json_u64(v, out) < 0 || *out > max)
		return fail(e, key, "expected a non-negative integer in range");
	return 1;
}

static int get_str(struct ndjson_encoder *e, const struct json_value *o, const char *key,
    const char **out, size_t *len)
{
	const struct json_value *v = json_get(o, key);

	if (!v)
		return 0;
	if (v->type != JSON_STRING)
		return fail(e, key, "expected a string");
	*out = v->str;
	if (len)
		*len = v->len;
	return 1;
}

/* get_str for a string the stream will hold: at most ES_STRING_MAX bytes. */
static int get_stream_str(struct ndjson_encoder *e, const struct json_value *o, const char *key,
    const char **out, size_t *len)
{
	size_t n = 0;
	int r = get_str(e, o, key, out, &n);

	if (r > 0 && n > ES_STRING_MAX)
		return too_long(e, key, "string", n);
	if (len)
		*len = n;
	return r;
}

/* An optional enumeration given by name ("tail-call", "conflict12"): its value, 0 when absent, or -1. */
static int get_enum(struct ndjson_encoder *e, const struct json_value *o, const char *key,
    int (*from_name)(const char *, size_t), const char *unknown)
{
	const char *s = NULL;
	size_t len = 0;
	int r = get_str(e, o, key, &s, &len), v;

	if (r <= 0)
		return r;
	v = from_name(s, len);
	if (v <= 0 || v > 255)
		return fail(e, key, unknown);
	return v;
}

/*
 * The members each type of line may have; a node's attributes are named after
 * its role ("caller_build_id"). Lengths are kept to compare quickly: every
 * member of every line is looked up here, twice.
 */
struct key {
	const char *name;
	size_t len;
};

#define KEY(s) { s, sizeof(s) - 1 }

static const struct key header_keys[] = { KEY("type"), KEY("format"), KEY("major"),
	KEY("minor"), KEY("producer"), KEY("host"), KEY("source"), KEY("start"), KEY("end"),
	KEY("params"), { NULL, 0 } };
static const struct key module_keys[] = { KEY("type"), KEY("name"), KEY("path"), KEY("purl"),
	KEY("build_id_kind"), KEY("build_id"), { NULL, 0 } };
static const struct key edge_keys[] = { KEY("type"), KEY("caller"), KEY("callee"),
	KEY("count"), KEY("first_seen"), KEY("last_seen"), KEY("evidence"), KEY("confidence"),
	KEY("class"), KEY("conflict"), KEY("resolution"), KEY("site"), KEY("window_start"), KEY("window_end"), KEY("host"),
	KEY("pid"), KEY("comm"), KEY("container"), KEY("cgroup"), { NULL, 0 } };
static const struct key edge_nodes[] = { KEY("caller"), KEY("callee"), { NULL, 0 } };
static const struct key coverage_keys[] = { KEY("type"), KEY("node"), KEY("method"),
	KEY("start"), KEY("end"), KEY("host"), KEY("pid"), KEY("comm"), KEY("container"),
	KEY("cgroup"), { NULL, 0 } };
static const struct key coverage_nodes[] = { KEY("node"), { NULL, 0 } };
static const struct key trailer_keys[] = { KEY("type"), KEY("records"), KEY("edges"),
	KEY("losses"), { NULL, 0 } };
static const struct key node_attrs[] = { KEY("build_id"), KEY("offset"), KEY("flags"),
	KEY("state"), KEY("file"), KEY("line"), KEY("module"), { NULL, 0 } };
/* Every key of any type of line, edge lines' first. */
static const struct key any_keys[] = { KEY("type"), KEY("caller"), KEY("callee"),
	KEY("count"), KEY("first_seen"), KEY("last_seen"), KEY("evidence"), KEY("confidence"),
	KEY("class"), KEY("conflict"), KEY("resolution"), KEY("site"), KEY("window_start"), KEY("window_end"), KEY("host"),
	KEY("pid"), KEY("comm"), KEY("container"), KEY("cgroup"), KEY("node"), KEY("method"),
	KEY("start"), KEY("end"), KEY("name"), KEY("path"), KEY("purl"), KEY("build_id_kind"),
	KEY("build_id"), KEY("format"), KEY("major"), KEY("minor"), KEY("producer"),
	KEY("source"), KEY("params"), KEY("records"), KEY("edges"), KEY("losses"), { NULL, 0 } };
static const struct key any_nodes[] = { KEY("caller"), KEY("callee"), KEY("node"), { NULL, 0 } };

static int is_key(const struct key *list, const char *k, size_t len)
{
	for (; list && list->name; list++)
		if (list->len == len && memcmp(list->name, k, len) == 0)
			return 1;
	return 0;
}

/* "caller_build_id": a node attribute of one of the node roles. */
static int is_node_key(const struct key *roles, const char *k, size_t len)
{
	for (; roles && roles->name; roles++) {
		size_t pl = roles->len;

		if (len > pl + 1 && k[pl] == '_' && memcmp(k, roles->name, pl) == 0)
			return is_key(node_attrs, k + pl + 1, len - pl - 1);
	}
	return 0;
}

/*
 * json_parse_keep's filter: a top-level member that no type of line has is
 * refused anyway ("unknown key"), so its value is only checked, never built,
 * and costs no memory however large it is.
 */
static int known_key(void *arg, unsigned depth, const char *k, size_t len)
{
	return depth > 0 || is_node_key(any_nodes, k, len) || is_key(any_keys, k, len);
}

/* Every member of o must be in keys, or a node attribute of one of roles. */
static int check_keys(struct ndjson_encoder *e, const struct json_value *o,
    const struct key *keys, const struct key *roles)
{
	const struct json_value *c;

	for (c = o->child; c; c = c->next) {
		size_t len;
		const char *k = json_key(c, &len);

		if (!is_key(keys, k, len) && !is_node_key(roles, k, len)) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), k);
			return fail(e, name, "unknown key");
		}
	}
	return 0;
}

static int begin_segment(struct ndjson_encoder *e, const struct es_header *h)
{
	if (e->in_segment && es_writer_end(e->w) < 0)
		return -1;
	if (es_writer_begin(e->w, h) < 0)
		return -1;
	e->in_segment = 1;
	e->segments++;
	return 0;
}

static int ensure_segment(struct ndjson_encoder *e)
{
	struct es_header h;

	if (e->in_segment)
		return 0;
	memset(&h, 0, sizeof(h));
	h.producer = e->producer;
	h.source = "ndjson";
	return begin_segment(e, &h);
}

static int encode_header(struct ndjson_encoder *e, const struct json_value *o)
{
	struct es_header h;
	struct es_param *params = NULL;
	const struct json_value *p, *c;
	const char *format;
	uint64_t v;
	int r;

	if (check_keys(e, o, header_keys, NULL) < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	if ((r = get_str(e, o, "format", &format, NULL)) < 0)
		return -1;
	if (r && strcmp(format, ES_FORMAT_NAME) != 0)
		return fail(e, "format", "not \"" ES_FORMAT_NAME "\"");
	if ((r = get_u64(e, o, "major", &v, UINT32_MAX)) < 0)
		return -1;
	if (r && v != ES_FORMAT_MAJOR)
		return fail(e, "major", "unsupported format version");
	if (get_u64(e, o, "minor", &v, UINT32_MAX) < 0)
		return -1;
	if (get_stream_str(e, o, "producer", &h.producer, NULL) < 0 ||
	    get_stream_str(e, o, "host", &h.host, NULL) < 0 ||
	    get_stream_str(e, o, "source", &h.source, NULL) < 0 ||
	    get_u64(e, o, "start", &h.start_ns, UINT64_MAX) < 0 ||
	    get_u64(e, o, "end", &h.end_ns, UINT64_MAX) < 0)
		return -1;
	if (!h.producer)
		h.producer = e->producer;
	p = json_get(o, "params");
	if (p) {
		size_t i = 0;

		if (p->type != JSON_OBJECT)
			return fail(e, "params", "expected an object of strings");
		params = calloc(p->count ? p->count : 1, sizeof(*params));
		if (!params) {
			tm_err_set(e->err, TM_EXIT_ENV, "out of memory");
			return -1;
		}
		for (c = p->child; c; c = c->next, i++) {
			size_t klen;

			if (c->type != JSON_STRING) {
				free(params);
				return fail(e, "params", "expected an object of strings");
			}
			params[i].key = json_key(c, &klen);
			params[i].value = c->str;
			if (klen > ES_STRING_MAX || c->len > ES_STRING_MAX) {
				free(params);
				return too_long(e, "params", "string", klen > c->len ? klen : c->len);
			}
		}
		h.params = params;
		h.nparams = p->count;
	}
	r = begin_segment(e, &h);
	free(params);
	return r;
}

static int scratch_key(struct ndjson_encoder *e, const char *name, size_t nlen, const char *bid,
    size_t blen)
{
	void *p = e->scratch;

	if (mem_grow(&p, &e->scratch_cap, nlen + blen + 2, 1) < 0) {
		tm_err_set(e->err, TM_EXIT_ENV, "out of memory");
		return -1;
	}
	e->scratch = p;
	memcpy(e->scratch, name, nlen);
	e->scratch[nlen] = '\0';
	memcpy(e->scratch + nlen + 1, bid, blen);
	return 0;
}

static int remember_module(struct ndjson_encoder *e, const char *name, size_t nlen,
    const char *bid, size_t blen, uint32_t handle)
{
	uint32_t id;
	void *p;

	if (scratch_key(e, name, nlen, bid, blen) < 0)
		return -1;
	id = strtab_intern(&e->modkeys, e->scratch, nlen + 1 + blen);
	p = e->modh;
	if (!id || mem_grow(&p, &e->modh_cap, (size_t)id + 1, sizeof(uint32_t)) < 0) {
		tm_err_set(e->err, TM_EXIT_ENV, "out of memory");
		return -1;
	}
	e->modh = p;
	e->modh[id] = handle;
	return 0;
}

static int encode_module(struct ndjson_encoder *e, const struct json_value *o)
{
	struct es_module m;
	const char *name = NULL, *kind = NULL, *bid = NULL;
	size_t nlen = 0, klen = 0, blen = 0, plen = 0, ulen = 0;
	uint32_t h;
	int r, k;

	memset(&m, 0, sizeof(m));
	if (check_keys(e, o, module_keys, NULL) < 0 || ensure_segment(e) < 0)
		return -1;
	if ((r = get_stream_str(e, o, "name", &name, &nlen)) <= 0)
		return r < 0 ? -1 : fail(e, "name", "missing");
	if (nlen == 0 || memchr(name, '\0', nlen))
		return fail(e, "name", "empty or contains NUL");
	if (get_stream_str(e, o, "path", &m.path, &plen) < 0 ||
	    get_stream_str(e, o, "purl", &m.purl, &ulen) < 0 ||
	    get_str(e, o, "build_id_kind", &kind, &klen) < 0 || get_str(e, o, "build_id", &bid, &blen) < 0)
		return -1;
	if ((m.path && memchr(m.path, '\0', plen)) || (m.purl && memchr(m.purl, '\0', ulen)))
		return fail(e, m.path && memchr(m.path, '\0', plen) ? "path" : "purl", "contains NUL");
	if (!kind != !bid)
		return fail(e, "build_id", "build_id and build_id_kind go together");
	if (kind) {
		k = es_id_kind_from_name(kind, klen);
		if (k <= 0)
			return fail(e, "build_id_kind", "unknown identity kind");
		m.id_kind = (unsigned)k;
		r = es_build_id_parse(m.id_kind, bid, blen, m.build_id);
		if (r <= 0)
			return fail(e, "build_id", "malformed for its kind");
		m.build_id_len = (size_t)r;
	}
	m.name = name;
	h = es_writer_module(e->w, &m);
	if (!h)
		return -1;
	return remember_module(e, name, nlen, bid ? bid : "", blen, h);
}

/* The module handle for a node's module name and optional build id text. */
static int node_module(struct ndjson_encoder *e, const char *key, const char *name, size_t nlen,
    const char *bid, size_t blen, uint32_t *out)
{
	struct es_module m;
	uint32_t id;
	int r;

	if (scratch_key(e, name, nlen, bid ? bid : "", blen) < 0)
		return -1;
	id = strtab_find(&e->modkeys, e->scratch, nlen + 1 + blen);
	if (id) {
		*out = e->modh[id];
		return 0;
	}
	/* No module line: the identity kind is read off the build id's form. */
	memset(&m, 0, sizeof(m));
	if (scratch_key(e, name, nlen, "", 0) < 0)
		return -1;
	m.name = e->scratch;
	if (bid) {
		r = es_build_id_parse(ES_ID_GNU, bid, blen, m.build_id);
		m.id_kind = ES_ID_GNU;
		if (r <= 0) {
			r = es_build_id_parse(ES_ID_PE_RSDS, bid, blen, m.build_id);
			m.id_kind = ES_ID_PE_RSDS;
		}
		if (r <= 0)
			return fail(e, key, "malformed build id");
		m.build_id_len = (size_t)r;
	}
	*out = es_writer_module(e->w, &m);
	return *out ? 0 : -1;
}

/* Parse "module!symbol" / "module+0xOFF" and the prefix_* attributes into a node. */
static int encode_node(struct ndjson_encoder *e, const struct json_value *o, const char *prefix,
    uint32_t *out)
{
	char key[32];
	const char *spec = NULL, *bang, *bid = NULL, *file = NULL, *state = NULL, *modname = NULL;
	size_t slen = 0, modlen = 0, blen = 0, flen = 0, stlen = 0, mlen;
	const struct json_value *flags;
	struct es_node n;
	uint64_t v;
	int r;

	memset(&n, 0, sizeof(n));
	if ((r = get_str(e, o, prefix, &spec, &slen)) <= 0)
		return r < 0 ? -1 : fail(e, prefix, "missing");
	snprintf(key, sizeof(key), "%s_build_id", prefix);
	if (get_str(e, o, key, &bid, &blen) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s_module", prefix);
	if ((r = get_str(e, o, key, &modname, &modlen)) < 0)
		return -1;
	if (r) {
		/* The module is named apart: the name continues after it. */
		if (modlen == 0 || modlen >= slen || memcmp(spec, modname, modlen) != 0 ||
		    (spec[modlen] != '!' && spec[modlen] != '+'))
			return fail(e, key, "does not match the node's name");
		bang = spec[modlen] == '!' ? spec + modlen : NULL;
	} else {
		bang = memchr(spec, '!', slen);
	}
	if (bang) {
		mlen = (size_t)(bang - spec);
		if (slen - mlen - 1 > ES_STRING_MAX)
			return too_long(e, prefix, "symbol", slen - mlen - 1);
		n.symbol = es_writer_string(e->w, bang + 1, slen - mlen - 1);
		if (!n.symbol)
			return -1;
	} else {
		/* module+0xHEX: the last "+0x" starts the offset. */
		const char *plus = NULL, *q;
		uint64_t off = 0;

		for (q = spec; q + 3 <= spec + slen; q++)
			if (q[0] == '+' && q[1] == '0' && q[2] == 'x')
				plus = q;
		if (!plus || plus == spec || plus + 3 == spec + slen)
			return fail(e, prefix, "expected module!symbol or module+0xOFFSET");
		for (q = plus + 3; q < spec + slen; q++) {
			int d = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;

			if (d < 0 || off >> 60)
				return fail(e, prefix, "bad hexadecimal offset");
			off = off << 4 | (unsigned)d;
		}
		/* Canonical form only: no leading zeros (so encode is exact). */
		if (plus[3] == '0' && plus + 4 != spec + slen)
			return fail(e, prefix, "offset has leading zeros");
		mlen = (size_t)(plus - spec);
		n.offset = off;
	}
	if (mlen == 0 || memchr(spec, '\0', mlen))
		return fail(e, prefix, "empty module name");
	if (mlen > ES_STRING_MAX)
		return too_long(e, prefix, "module name", mlen);
	if (node_module(e, prefix, spec, mlen, bid, blen, &n.module) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s_offset", prefix);
	if ((r = get_u64(e, o, key, &v, UINT64_MAX)) < 0)
		return -1;
	if (r) {
		if (!bang)
			return fail(e, key, "only for symbolized nodes (the offset is in the name)");
		n.offset = v;
	}
	snprintf(key, sizeof(key), "%s_flags", prefix);
	flags = json_get(o, key);
	if (flags) {
		const struct json_value *c;

		if (flags->type != JSON_ARRAY)
			return fail(e, key, "expected an array of names");
		for (c = flags->child; c; c = c->next) {
			int b = c->type == JSON_STRING ? es_node_flag_bit(c->str, c->len) : -1;

			if (b < 0)
				return fail(e, key, "unknown flag");
			n.flags |= 1u << b;
		}
	}
	snprintf(key, sizeof(key), "%s_state", prefix);
	if (get_str(e, o, key, &state, &stlen) < 0)
		return -1;
	if (state) {
		int s = es_state_from_name(state, stlen);

		if (s <= 0)
			return fail(e, key, "unknown state");
		n.state = (uint32_t)s;
	}
	snprintf(key, sizeof(key), "%s_file", prefix);
	if (get_stream_str(e, o, key, &file, &flen) < 0)
		return -1;
	if (file && !(n.file = es_writer_string(e->w, file, flen)))
		return -1;
	snprintf(key, sizeof(key), "%s_line", prefix);
	if ((r = get_u64(e, o, key, &v, UINT32_MAX)) < 0)
		return -1;
	n.line = (uint32_t)v * (r > 0);
	*out = es_writer_node(e->w, &n);
	return *out ? 0 : -1;
}

static int encode_context(struct ndjson_encoder *e, const struct json_value *o, uint32_t *out)
{
	struct es_context c;
	const char *s;
	size_t len;
	uint64_t v;
	int r;

	memset(&c, 0, sizeof(c));
	*out = 0;
	if ((r = get_stream_str(e, o, "host", &s, &len)) < 0)
		return -1;
	if (r && !(c.host = es_writer_string(e->w, s, len)))
		return -1;
	if ((r = get_stream_str(e, o, "comm", &s, &len)) < 0)
		return -1;
	if (r && !(c.comm = es_writer_string(e->w, s, len)))
		return -1;
	if ((r = get_stream_str(e, o, "container", &s, &len)) < 0)
		return -1;
	if (r && !(c.container = es_writer_string(e->w, s, len)))
		return -1;
	if ((r = get_u64(e, o, "pid", &v, UINT32_MAX)) < 0)
		return -1;
	c.pid = r ? (uint32_t)v : 0;
	if (get_u64(e, o, "cgroup", &c.cgroup, UINT64_MAX) < 0)
		return -1;
	if (!c.host && !c.comm && !c.container && !c.pid && !c.cgroup)
		return 0;
	*out = es_writer_context(e->w, &c);
	return *out ? 0 : -1;
}

static int encode_edge(struct ndjson_encoder *e, const struct json_value *o)
{
	const struct json_value *ev;
	struct es_edge x;
	const char *s;
	size_t len;
	uint64_t v, ws = 0, we = 0;
	int r, hs, he;

	memset(&x, 0, sizeof(x));
	if (check_keys(e, o, edge_keys, edge_nodes) < 0 || ensure_segment(e) < 0)
		return -1;
	if (encode_node(e, o, "caller", &x.caller) < 0 || encode_node(e, o, "callee", &x.callee) < 0)
		return -1;
	if (get_u64(e, o, "count", &x.count, UINT64_MAX) < 0 ||
	    get_u64(e, o, "first_seen", &x.first_ns, UINT64_MAX) < 0 ||
	    get_u64(e, o, "last_seen", &x.last_ns, UINT64_MAX) < 0)
		return -1;
	ev = json_get(o, "evidence");
	if (ev) {
		const struct json_value *c;

		if (ev->type != JSON_ARRAY)
			return fail(e, "evidence", "expected an array of names");
		for (c = ev->child; c; c = c->next) {
			int b = c->type == JSON_STRING ? es_evidence_bit(c->str, c->len) : -1;

			if (b < 0)
				return fail(e, "evidence", "unknown evidence source");
			x.evidence |= 1u << b;
		}
	}
	if ((r = get_u64(e, o, "confidence", &v, 100)) < 0)
		return -1;
	x.confidence = r ? (uint8_t)v : 0;
	if ((r = get_str(e, o, "class", &s, &len)) < 0)
		return -1;
	if (r) {
		int c = es_class_from_name(s, len);

		if (c <= 0)
			return fail(e, "class", "unknown edge class");
		x.edge_class = (uint8_t)c;
	}
	if ((r = get_enum(e, o, "conflict", es_conflict_from_name, "unknown conflict class")) < 0)
		return -1;
	x.conflict = (uint8_t)r;
	if ((r = get_enum(e, o, "resolution", es_resolution_from_name, "unknown resolution")) < 0)
		return -1;
	x.resolution = (uint8_t)r;
	if ((r = get_stream_str(e, o, "site", &s, &len)) < 0)
		return -1;
	if (r && !(x.site = es_writer_string(e->w, s, len)))
		return -1;
	if ((hs = get_u64(e, o, "window_start", &ws, UINT64_MAX)) < 0 ||
	    (he = get_u64(e, o, "window_end", &we, UINT64_MAX)) < 0)
		return -1;
	if (hs != he)
		return fail(e, "window_start", "window_start and window_end go together");
	if (hs && !(x.window = es_writer_window(e->w, ws, we)))
		return -1;
	if (encode_context(e, o, &x.ctx) < 0)
		return -1;
	return es_writer_edge(e->w, &x);
}

static int encode_coverage(struct ndjson_encoder *e, const struct json_value *o)
{
	struct es_coverage c;
	const char *s;
	size_t len;
	int r;

	memset(&c, 0, sizeof(c));
	if (check_keys(e, o, coverage_keys, coverage_nodes) < 0 || ensure_segment(e) < 0)
		return -1;
	if (encode_node(e, o, "node", &c.node) < 0)
		return -1;
	if ((r = get_str(e, o, "method", &s, &len)) < 0)
		return -1;
	if (r) {
		int m = es_cov_method_from_name(s, len);

		if (m < 0)
			return fail(e, "method", "unknown coverage method");
		c.method = (unsigned)m;
	}
	if (get_u64(e, o, "start", &c.start_ns, UINT64_MAX) < 0 ||
	    get_u64(e, o, "end", &c.end_ns, UINT64_MAX) < 0 || encode_context(e, o, &c.ctx) < 0)
		return -1;
	return es_writer_coverage(e->w, &c);
}

static int encode_trailer(struct ndjson_encoder *e, const struct json_value *o)
{
	const struct json_value *l, *c;
	uint64_t v;

	if (check_keys(e, o, trailer_keys, NULL) < 0 || ensure_segment(e) < 0)
		return -1;
	/* records and edges are recomputed by the writer. */
	if (get_u64(e, o, "records", &v, UINT64_MAX) < 0 || get_u64(e, o, "edges", &v, UINT64_MAX) < 0)
		return -1;
	l = json_get(o, "losses");
	if (l) {
		if (l->type != JSON_OBJECT)
			return fail(e, "losses", "expected an object of counts");
		for (c = l->child; c; c = c->next) {
			char name[256];
			size_t klen;
			const char *k = json_key(c, &klen);

			if (json_u64(c, &v) < 0)
				return fail(e, "losses", "expected an object of counts");
			if (klen == 0 || klen >= sizeof(name) || memchr(k, '\0', klen))
				return fail(e, "losses", "bad loss name");
			memcpy(name, k, klen);
			name[klen] = '\0';
			if (es_writer_loss(e->w, name, v) < 0)
				return -1;
		}
	}
	e->in_segment = 0;
	return es_writer_end(e->w);
}

static int line_too_long(struct ndjson_encoder *e, const char *name, unsigned long lineno)
{
	tm_err_set(e->err, TM_EXIT_DATA, "%s:%lu: line longer than %zu MiB", name, lineno,
	    NDJSON_LINE_MAX >> 20);
	return -1;
}

int ndjson_encode_line(struct ndjson_encoder *e, const char *line, size_t len, const char *name,
    unsigned long lineno)
{
	char msg[160];
	const struct json_value *o, *t;
	size_t i;
	int r;

	if (len > NDJSON_LINE_MAX)
		return line_too_long(e, name, lineno);
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (i == len)
		return 0;
	e->name = name;
	e->lineno = lineno;
	e->type = "line";
	json_doc_reset(e->doc);
	o = json_parse_keep(e->doc, line, len, known_key, NULL, msg, sizeof(msg));
	if (!o)
		return fail(e, NULL, msg);
	if (o->type != JSON_OBJECT)
		return fail(e, NULL, "expected a JSON object");
	t = json_get(o, "type");
	if (!t || t->type != JSON_STRING)
		return fail(e, "type", "missing");
	e->type = t->str;
	if (strcmp(t->str, "edge") == 0)
		r = encode_edge(e, o);
	else if (strcmp(t->str, "header") == 0)
		r = encode_header(e, o);
	else if (strcmp(t->str, "module") == 0)
		r = encode_module(e, o);
	else if (strcmp(t->str, "coverage") == 0)
		r = encode_coverage(e, o);
	else if (strcmp(t->str, "trailer") == 0)
		r = encode_trailer(e, o);
	else {
		e->type = "line";
		return fail(e, "type", "unknown record type");
	}
	return r < 0 || writer_failed(e) < 0 ? -1 : 0;
}

int ndjson_encoder_finish(struct ndjson_encoder *e)
{
	/* No records at all still makes a valid stream: one empty segment. */
	if (!e->segments && ensure_segment(e) < 0)
		return -1;
	if (!e->in_segment)
		return 0;
	e->in_segment = 0;
	return es_writer_end(e->w);
}

int ndjson_encode_fd(struct ndjson_encoder *e, int fd, const char *name)
{
	/* e->line[start..len) is unread; no newline in [start..scan). */
	size_t len = 0, start = 0, scan = 0;
	unsigned long lineno = 0;
	int eof = 0;

	for (;;) {
		char *nl = len > scan ? memchr(e->line + scan, '\n', len - scan) : NULL;
		size_t end;

		if (!nl && !eof) {
			ssize_t n;

			/* No whole line buffered: keep the partial one, read more. */
			scan = len;
			if (start) {
				memmove(e->line, e->line + start, len - start);
				len -= start;
				scan -= start;
				start = 0;
			}
			if (len == e->line_cap) {
				size_t cap = e->line_cap ? e->line_cap * 2 : (size_t)64 << 10;
				char *p;

				/* Full at the limit, without a newline: refused before
				 * another byte of it is buffered. */
				if (e->line_cap > NDJSON_LINE_MAX)
					return line_too_long(e, name, lineno + 1);
				if (cap > NDJSON_LINE_MAX + 1)
					cap = NDJSON_LINE_MAX + 1;
				if (!(p = realloc(e->line, cap))) {
					tm_err_set(e->err, TM_EXIT_ENV, "out of memory");
					return -1;
				}
				e->line = p;
				e->line_cap = cap;
			}
			n = read(fd, e->line + len, e->line_cap - len);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				tm_err_errno(e->err, TM_EXIT_ENV, errno, "%s: read error", name);
				return -1;
			}
			if (n == 0)
				eof = 1;
			len += (size_t)n;
			continue;
		}
		if (!nl && start == len)
			return 0;
		end = nl ? (size_t)(nl - e->line) : len;
		if (ndjson_encode_line(e, e->line + start, end - start, name, ++lineno) < 0)
			return -1;
		start = scan = nl ? end + 1 : len;
	}
}

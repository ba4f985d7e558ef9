/*
 * vcg.c - GCC -fcallgraph-info (.ci, VCG) reader: a bounds-checked tokenizer,
 * a recursive-descent parser for graph:/node:/edge: blocks, and the TU naming rules.
 */
#include "vcg.h"
#include "graphlex.h"
#include "symname.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VCG_INDIRECT "__indirect_call"

enum vcg_tok {
	VT_EOF,
	VT_LBRACE,
	VT_RBRACE,
	VT_COLON,
	VT_STRING,  /* s/len: the raw text between the quotes, escapes not undone */
	VT_WORD,
};

struct vcg_token {
	enum vcg_tok kind;
	const char *s;
	size_t len;
	unsigned long line;
};

struct vcg_parser {
	struct sgraph *g;
	struct graphlex lx;
	struct graphlex_err e;
	const char *prefix;

	/* the translation unit: the outermost graph's title, unescaped */
	struct graphlex_buf tu;
	size_t tu_len;
	int have_tu;
	uint32_t tu_file;

	/* last location file seen (raw) and its interned normalised path */
	struct graphlex_buf loc_raw;
	size_t loc_raw_len;
	uint32_t loc_file;
	int have_loc;

	struct graphlex_buf name_buf, label_buf, path_buf;
};

/* ---- errors ---- */

static int vcg_nomem(struct vcg_parser *ps)
{
	return graphlex_nomem(&ps->e, ps->lx.line);
}

/* ---- tokenizer ---- */

static int vcg_is_special(char c)
{
	return graphlex_is_space(c) || c == '{' || c == '}' || c == ':' || c == '"';
}

static int vcg_next(struct vcg_parser *ps, struct vcg_token *t)
{
	struct graphlex *lx = &ps->lx;
	unsigned long open_line = 0;
	if (graphlex_skip(lx, 0, &open_line) < 0)
		return graphlex_fail(&ps->e, open_line, "unterminated comment");
	t->line = lx->line;
	t->s = lx->p;
	t->len = 0;
	if (lx->p >= lx->end) {
		t->kind = VT_EOF;
		return SG_OK;
	}
	char c = *lx->p;
	if (c == '{' || c == '}' || c == ':') {
		t->kind = c == '{' ? VT_LBRACE : c == '}' ? VT_RBRACE : VT_COLON;
		t->len = 1;
		lx->p++;
		return SG_OK;
	}
	if (c == '"') {
		t->kind = VT_STRING;
		return graphlex_string(lx, &ps->e, &t->s, &t->len);
	}
	while (lx->p < lx->end && !vcg_is_special(*lx->p)) {
		unsigned char uc = (unsigned char)*lx->p;
		if (uc < 0x20 || uc == 0x7f)
			return graphlex_fail(&ps->e, lx->line, "unexpected control character 0x%02x", uc);
		lx->p++;
		if ((size_t)(lx->p - t->s) > SG_MAX_STRLEN)
			return graphlex_fail(&ps->e, t->line, "word longer than %u bytes", SG_MAX_STRLEN);
	}
	t->kind = VT_WORD;
	t->len = (size_t)(lx->p - t->s);
	return SG_OK;
}

/* Look ahead without consuming. */
static int vcg_peek(struct vcg_parser *ps, struct vcg_token *t, struct vcg_token *t2)
{
	struct graphlex save = ps->lx;
	int rc = vcg_next(ps, t);
	if (rc == SG_OK && t2)
		rc = vcg_next(ps, t2);
	ps->lx = save;
	return rc;
}

static const char *vcg_tok_desc(const struct vcg_token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case VT_EOF: return "end of file";
	case VT_LBRACE: return "'{'";
	case VT_RBRACE: return "'}'";
	case VT_COLON: return "':'";
	case VT_STRING: snprintf(buf, size, "string \"%.*s\"", (int)(t->len > 40 ? 40 : t->len),
	    t->s); return buf;
	case VT_WORD: snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
	    return buf;
	}
	return "?";
}

static int vcg_expect(struct vcg_parser *ps, enum vcg_tok kind, const char *what,
    const char *after)
{
	struct vcg_token t;
	char d[64];
	if (vcg_next(ps, &t) != SG_OK)
		return ps->e.status;
	if (t.kind != kind)
		return graphlex_fail(&ps->e, t.line, "expected %s after %s, found %s", what, after,
		    vcg_tok_desc(&t, d, sizeof d));
	return SG_OK;
}

static int vcg_is_number(const struct vcg_token *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (t->s[i] < '0' || t->s[i] > '9')
			return 0;
	return t->len > 0;
}

static int vcg_word_is(const struct vcg_token *t, const char *w)
{
	size_t n = strlen(w);
	return t->kind == VT_WORD && t->len == n && memcmp(t->s, w, n) == 0;
}

/* ---- strings, paths, locations ---- */

/* Undo VCG escapes of a raw string into b: \n is a line break, \" and \\
 * their character; any other escape is kept as written. */
static int vcg_unescape(struct graphlex_buf *b, const char *s, size_t len, size_t *out_len)
{
	if (graphlex_reserve(b, len + 1))
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			char n = s[i + 1];
			if (n == 'n' || n == '"' || n == '\\') {
				b->p[o++] = n == 'n' ? '\n' : n;
				i++;
				continue;
			}
		}
		b->p[o++] = c;
	}
	b->p[o] = '\0';
	*out_len = o;
	return 0;
}

/* Intern the normalised form of a source path; SG_NONE on failure. */
static uint32_t vcg_intern_path(struct vcg_parser *ps, const char *path, size_t len)
{
	if (graphlex_reserve(&ps->path_buf, len + 2)) {
		vcg_nomem(ps);
		return SG_NONE;
	}
	long n = symname_normpath(path, len, ps->prefix, ps->path_buf.p, ps->path_buf.cap);
	if (n < 0) {
		graphlex_fail(&ps->e, ps->lx.line, "cannot normalise path");
		return SG_NONE;
	}
	uint32_t id = sgraph_intern(ps->g, ps->path_buf.p, (size_t)n);
	if (id == SG_NONE)
		vcg_nomem(ps);
	return id;
}

/*
 * "file:line:col" or "file:line" (file may itself hold ':') into loc.
 * Returns 1 when it parsed, 0 when the text is not a location, <0 on failure.
 */
static int vcg_loc(struct vcg_parser *ps, const char *s, size_t len, struct sg_loc *loc)
{
	size_t flen;
	*loc = (struct sg_loc){ 0, 0, 0 };
	if (!sgraph_loc_split(s, len, &flen, &loc->line, &loc->col))
		return 0;
	if (ps->have_loc && flen == ps->loc_raw_len && memcmp(s, ps->loc_raw.p, flen) == 0) {
		loc->file = ps->loc_file;
		return 1;
	}
	uint32_t id = vcg_intern_path(ps, s, flen);
	if (id == SG_NONE)
		return -1;
	if (graphlex_reserve(&ps->loc_raw, flen + 1))
		return vcg_nomem(ps);
	memcpy(ps->loc_raw.p, s, flen);
	ps->loc_raw_len = flen;
	ps->loc_file = id;
	ps->have_loc = 1;
	loc->file = id;
	return 1;
}

/*
 * The node a title stands for. A TU-local title is "<TU>:<symbol>"; C++
 * COMDAT functions are file-qualified too but are one global (weak) symbol.
 * *indirect is set for the "__indirect_call" placeholder (no node).
 */
static uint32_t vcg_title_node(struct vcg_parser *ps, const char *raw, size_t rawlen,
    unsigned long line, int *indirect)
{
	size_t n;
	*indirect = 0;
	if (vcg_unescape(&ps->name_buf, raw, rawlen, &n)) {
		vcg_nomem(ps);
		return SG_NONE;
	}
	const char *s = ps->name_buf.p;
	if (n == 0) {
		graphlex_fail(&ps->e, line, "empty title");
		return SG_NONE;
	}
	if (n == sizeof VCG_INDIRECT - 1 && memcmp(s, VCG_INDIRECT, n) == 0) {
		*indirect = 1;
		return SG_NONE;
	}

	const char *name = s;
	size_t name_len = n;
	uint32_t file = 0;
	if (ps->have_tu && n > ps->tu_len + 1 && memcmp(s, ps->tu.p, ps->tu_len) == 0 &&
	    s[ps->tu_len] == ':') {
		file = ps->tu_file;
		name = s + ps->tu_len + 1;
		name_len = n - ps->tu_len - 1;
	} else {
		const char *qf, *qn;
		size_t qfl, qnl;
		if (symname_split_file(s, n, &qf, &qfl, &qn, &qnl)) {
			file = vcg_intern_path(ps, qf, qfl);
			if (file == SG_NONE)
				return SG_NONE;
			name = qn;
			name_len = qnl;
		}
	}

	uint32_t flags = 0;
	if (file) {
		size_t bl;
		unsigned rules = symname_base(name, name_len, &bl);
		if (rules == 0 && symname_cxx_internal(name, name_len) == 0) {
			file = 0;   /* a COMDAT/weak C++ function: one per program */
			flags = SG_NODE_WEAK;
		}
	}
	uint32_t nid = sgraph_intern(ps->g, name, name_len);
	if (nid == SG_NONE) {
		vcg_nomem(ps);
		return SG_NONE;
	}
	uint32_t id = sgraph_node_ids(ps->g, nid, file);
	if (id == SG_NONE) {
		vcg_nomem(ps);
		return SG_NONE;
	}
	if (flags)
		sgraph_set_flags(ps->g, id, flags);
	return id;
}

/* ---- blocks ---- */

/*
 * One "key: value" attribute whose first key word is t. Keys may be several
 * words ("colorentry 7"), values several tokens ("colorentry 7: 10 20 30");
 * a value ends where the next "word:" begins. The first value goes to *val.
 */
static int vcg_attr(struct vcg_parser *ps, const struct vcg_token *key,
    struct vcg_token *val)
{
	struct vcg_token t, t2;
	char d[64];
	for (;;) {
		if (vcg_next(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind == VT_COLON)
			break;
		if (t.kind != VT_WORD)
			return graphlex_fail(&ps->e, t.line, "expected ':' after '%.*s', found %s",
			    (int)(key->len > 40 ? 40 : key->len), key->s,
			    vcg_tok_desc(&t, d, sizeof d));
	}
	if (vcg_next(ps, val) != SG_OK)
		return ps->e.status;
	if (val->kind != VT_STRING && val->kind != VT_WORD)
		return graphlex_fail(&ps->e, val->line, "expected a value after '%.*s:', found %s",
		    (int)(key->len > 40 ? 40 : key->len), key->s,
		    vcg_tok_desc(val, d, sizeof d));
	for (;;) {
		/* The next attribute starts at "word:" or "word N:" ("colorentry 7:"). */
		struct graphlex save = ps->lx;
		struct vcg_token t3;
		if (vcg_next(ps, &t) != SG_OK || vcg_next(ps, &t2) != SG_OK ||
		    vcg_next(ps, &t3) != SG_OK)
			return ps->e.status;
		ps->lx = save;
		if (t.kind == VT_WORD && (t2.kind == VT_COLON ||
		    (t2.kind == VT_WORD && vcg_is_number(&t2) && t3.kind == VT_COLON)))
			break;
		if (t.kind != VT_STRING && t.kind != VT_WORD)
			break;
		vcg_next(ps, &t);
	}
	return SG_OK;
}

/* Parse "{ attr* }" of a node or edge; the wanted attributes into out[]. */
static int vcg_block(struct vcg_parser *ps, const char *what, const char *const *keys,
    struct vcg_token *out, size_t nkeys)
{
	struct vcg_token t, val;
	char d[64];
	unsigned long open = ps->lx.line;
	for (size_t i = 0; i < nkeys; i++)
		out[i].kind = VT_EOF;
	if (vcg_expect(ps, VT_LBRACE, "'{'", what) != SG_OK)
		return ps->e.status;
	for (;;) {
		if (vcg_next(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind == VT_RBRACE)
			return SG_OK;
		if (t.kind == VT_EOF)
			return graphlex_fail(&ps->e, t.line, "unexpected end of file in %s block "
			    "opened at line %lu", what, open);
		if (t.kind != VT_WORD)
			return graphlex_fail(&ps->e, t.line, "expected an attribute in %s block, found %s",
			    what, vcg_tok_desc(&t, d, sizeof d));
		if (vcg_attr(ps, &t, &val) != SG_OK)
			return ps->e.status;
		for (size_t i = 0; i < nkeys; i++)
			if (vcg_word_is(&t, keys[i]))
				out[i] = val;
	}
}

static int vcg_node(struct vcg_parser *ps)
{
	static const char *const keys[] = { "title", "label", "shape" };
	struct vcg_token a[3];
	unsigned long line = ps->lx.line;
	if (vcg_block(ps, "'node:'", keys, a, 3) != SG_OK)
		return ps->e.status;
	if (a[0].kind == VT_EOF)
		return graphlex_fail(&ps->e, line, "node without a title");
	int indirect;
	uint32_t id = vcg_title_node(ps, a[0].s, a[0].len, a[0].line, &indirect);
	if (indirect)
		return SG_OK;
	if (id == SG_NONE)
		return ps->e.status;

	int declared = a[2].kind != VT_EOF && a[2].len == 7 && memcmp(a[2].s, "ellipse", 7) == 0;
	const struct sg_node *nd = &sgraph_nodes(ps->g)[id];
	int had_def = (nd->flags & SG_NODE_DEFINED) != 0;
	sgraph_set_flags(ps->g, id, declared ? SG_NODE_DECLARED : SG_NODE_DEFINED);
	if (a[1].kind == VT_EOF)
		return SG_OK;

	/* label: "printable name\nfile:line:col[\nN bytes (static)][\n...]" */
	size_t n;
	if (vcg_unescape(&ps->label_buf, a[1].s, a[1].len, &n))
		return vcg_nomem(ps);
	const char *p = ps->label_buf.p, *end = p + n;
	const char *nl = memchr(p, '\n', n);
	for (int lineno = 0; p < end; lineno++) {
		const char *e = nl ? nl : end;
		size_t ll = (size_t)(e - p);
		if (lineno == 1 && (!declared || !had_def)) {
			struct sg_loc loc;
			int r = vcg_loc(ps, p, ll, &loc);
			if (r < 0)
				return ps->e.status;
			if (r > 0 && (!declared || nd->loc.file == 0))
				sgraph_set_loc(ps->g, id, &loc);
		} else if (lineno >= 2 && !declared) {
			size_t dl = 0;
			while (dl < ll && p[dl] >= '0' && p[dl] <= '9')
				dl++;
			uint64_t bytes = 0;
			for (size_t k = 0; k < dl && bytes <= UINT32_MAX; k++)
				bytes = bytes * 10 + (uint64_t)(p[k] - '0');
			if (dl > 0 && bytes <= UINT32_MAX && ll - dl >= 6 &&
			    memcmp(p + dl, " bytes", 6) == 0)
				sgraph_set_stack(ps->g, id, (uint32_t)bytes);
		}
		if (!nl)
			break;
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
	}
	return SG_OK;
}

static int vcg_edge(struct vcg_parser *ps, const char *what)
{
	static const char *const keys[] = { "sourcename", "targetname", "label" };
	struct vcg_token a[3];
	unsigned long line = ps->lx.line;
	if (vcg_block(ps, what, keys, a, 3) != SG_OK)
		return ps->e.status;
	if (a[0].kind == VT_EOF || a[1].kind == VT_EOF)
		return graphlex_fail(&ps->e, line, "edge without %s",
		    a[0].kind == VT_EOF ? "sourcename" : "targetname");
	int ind_src, ind_dst;
	uint32_t src = vcg_title_node(ps, a[0].s, a[0].len, a[0].line, &ind_src);
	if (src == SG_NONE && !ind_src)
		return ps->e.status;
	uint32_t dst = vcg_title_node(ps, a[1].s, a[1].len, a[1].line, &ind_dst);
	if (dst == SG_NONE && !ind_dst)
		return ps->e.status;
	if (ind_src)
		return graphlex_fail(&ps->e, a[0].line, "edge from the indirect call placeholder");

	struct sg_loc site = { 0, 0, 0 };
	if (a[2].kind != VT_EOF) {
		size_t n;
		if (vcg_unescape(&ps->label_buf, a[2].s, a[2].len, &n))
			return vcg_nomem(ps);
		if (vcg_loc(ps, ps->label_buf.p, n, &site) < 0)
			return ps->e.status;
	}
	uint32_t r = ind_dst ? sgraph_add_isite(ps->g, src, &site) :
	    sgraph_add_edge(ps->g, src, dst, &site);
	if (r == SG_NONE)
		return vcg_nomem(ps);
	return SG_OK;
}

static int vcg_edge_kind(const struct vcg_token *t)
{
	return vcg_word_is(t, "edge") || vcg_word_is(t, "nearedge") ||
	    vcg_word_is(t, "backedge") || vcg_word_is(t, "bentnearedge") ||
	    vcg_word_is(t, "leftnearedge") || vcg_word_is(t, "rightnearedge") ||
	    vcg_word_is(t, "leftbackedge") || vcg_word_is(t, "rightbackedge");
}

static int vcg_set_tu(struct vcg_parser *ps, const struct vcg_token *val)
{
	size_t n;
	if (vcg_unescape(&ps->tu, val->s, val->len, &n))
		return vcg_nomem(ps);
	ps->tu_len = n;
	ps->have_tu = n > 0;
	if (!ps->have_tu)
		return SG_OK;
	ps->tu_file = vcg_intern_path(ps, ps->tu.p, n);
	return ps->tu_file == SG_NONE ? ps->e.status : SG_OK;
}

/* The body of a graph after "graph: {". */
static int vcg_graph(struct vcg_parser *ps, int depth, unsigned long open)
{
	struct vcg_token t, t2, val;
	char d[64];
	for (;;) {
		if (vcg_next(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind == VT_RBRACE)
			return SG_OK;
		if (t.kind == VT_EOF)
			return graphlex_fail(&ps->e, t.line, "unexpected end of file: graph opened at "
			    "line %lu has no closing '}'", open);
		if (t.kind != VT_WORD)
			return graphlex_fail(&ps->e, t.line, "expected 'node:', 'edge:' or an attribute, "
			    "found %s", vcg_tok_desc(&t, d, sizeof d));
		if (vcg_peek(ps, &t2, &val) != SG_OK)
			return ps->e.status;
		int block = t2.kind == VT_COLON && val.kind == VT_LBRACE;
		if (block && vcg_word_is(&t, "node")) {
			vcg_next(ps, &t2);
			if (vcg_node(ps) != SG_OK)
				return ps->e.status;
		} else if (block && vcg_edge_kind(&t)) {
			vcg_next(ps, &t2);
			char what[32];
			snprintf(what, sizeof what, "'%.*s:'", (int)t.len, t.s);
			if (vcg_edge(ps, what) != SG_OK)
				return ps->e.status;
		} else if (block && vcg_word_is(&t, "graph")) {
			vcg_next(ps, &t2);
			vcg_next(ps, &t2);
			if (depth + 1 >= VCG_MAX_DEPTH)
				return graphlex_fail(&ps->e, t.line, "graphs nested deeper than %d",
				    VCG_MAX_DEPTH);
			if (vcg_graph(ps, depth + 1, t.line) != SG_OK)
				return ps->e.status;
		} else {
			if (vcg_attr(ps, &t, &val) != SG_OK)
				return ps->e.status;
			if (depth == 0 && vcg_word_is(&t, "title") && vcg_set_tu(ps, &val) != SG_OK)
				return ps->e.status;
		}
	}
}

int vcg_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    const struct vcg_options *opt, char *err, size_t errsize)
{
	struct vcg_parser ps;
	memset(&ps, 0, sizeof ps);
	graphlex_init(&ps.lx, &ps.e, buf, len, name, err, errsize);
	ps.g = g;
	ps.prefix = opt ? opt->strip_prefix : NULL;

	int graphs = 0;
	struct vcg_token t;
	char d[64];
	while (ps.e.status == SG_OK) {
		if (vcg_next(&ps, &t) != SG_OK)
			break;
		if (t.kind == VT_EOF) {
			if (graphs == 0)
				graphlex_fail(&ps.e, t.line, "no 'graph:' in input");
			break;
		}
		if (!vcg_word_is(&t, "graph")) {
			graphlex_fail(&ps.e, t.line, "expected 'graph:', found %s",
			    vcg_tok_desc(&t, d, sizeof d));
			break;
		}
		if (vcg_expect(&ps, VT_COLON, "':'", "'graph'") != SG_OK ||
		    vcg_expect(&ps, VT_LBRACE, "'{'", "'graph:'") != SG_OK)
			break;
		/* Each top-level graph is its own TU (files may be concatenated). */
		ps.have_tu = 0;
		if (vcg_graph(&ps, 0, t.line) != SG_OK)
			break;
		graphs++;
	}
	free(ps.tu.p);
	free(ps.loc_raw.p);
	free(ps.name_buf.p);
	free(ps.label_buf.p);
	free(ps.path_buf.p);
	return ps.e.status;
}

int vcg_parse_file(struct sgraph *g, const char *path, const struct vcg_options *opt,
    char *err, size_t errsize)
{
	struct sg_input in;
	int rc = sgraph_input_open(&in, path, err, errsize);
	if (rc != SG_OK)
		return rc;
	rc = vcg_parse_buffer(g, in.data, in.len, strcmp(path, "-") ? path : "<stdin>", opt,
	    err, errsize);
	sgraph_input_close(&in);
	return rc;
}

/* ---- directories ---- */

struct vcg_list {
	char **v;
	size_t n, cap;
};

static int vcg_list_add(struct vcg_list *l, const char *dir, const char *name)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);
	if (!p)
		return -1;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	l->v[l->n++] = p;
	return 0;
}

static int vcg_collect(struct vcg_list *files, const char *dir, int depth, char *err,
    size_t errsize)
{
	if (depth > VCG_MAX_DIR_DEPTH) {
		snprintf(err, errsize, "%s: directories nested deeper than %d", dir,
		    VCG_MAX_DIR_DEPTH);
		return SG_EDATA;
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errsize, "%s: %s", dir, strerror(errno));
		return SG_EIO;
	}
	struct vcg_list subdirs = { 0 };
	int rc = SG_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;   /* ".", "..", and hidden entries (.git, ...) */
		size_t nl = strlen(e->d_name);
		int is_ci = nl > 3 && strcmp(e->d_name + nl - 3, ".ci") == 0;
		char full[4096];
		if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= sizeof full)
			continue;
		struct stat st;
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (vcg_list_add(&subdirs, dir, e->d_name)) {
				rc = SG_ENOMEM;
				break;
			}
		} else if (is_ci && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
			if (vcg_list_add(files, dir, e->d_name)) {
				rc = SG_ENOMEM;
				break;
			}
		}
	}
	closedir(d);
	if (rc == SG_ENOMEM)
		snprintf(err, errsize, "%s: out of memory", dir);
	for (size_t i = 0; i < subdirs.n; i++) {
		if (rc == SG_OK)
			rc = vcg_collect(files, subdirs.v[i], depth + 1, err, errsize);
		free(subdirs.v[i]);
	}
	free(subdirs.v);
	return rc;
}

static int vcg_cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vcg_parse_dir(struct sgraph *g, const char *dir, const struct vcg_options *opt,
    char *err, size_t errsize)
{
	struct vcg_list files = { 0 };
	int rc = vcg_collect(&files, dir, 0, err, errsize);
	if (rc == SG_OK && files.n == 0) {
		snprintf(err, errsize, "%s: no .ci files", dir);
		rc = SG_EDATA;
	}
	if (rc == SG_OK)
		qsort(files.v, files.n, sizeof *files.v, vcg_cmp_path);
	for (size_t i = 0; i < files.n; i++) {
		if (rc == SG_OK)
			rc = vcg_parse_file(g, files.v[i], opt, err, errsize);
		free(files.v[i]);
	}
	free(files.v);
	return rc;
}

int vcg_parse_path(struct sgraph *g, const char *path, const struct vcg_options *opt,
    char *err, size_t errsize)
{
	struct stat st;
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return vcg_parse_dir(g, path, opt, err, errsize);
	return vcg_parse_file(g, path, opt, err, errsize);
}

int vcg_sniff(const char *buf, size_t len)
{
	struct graphlex lx = { buf, buf + len, 1, 1 };
	unsigned long ol;
	if (graphlex_skip(&lx, 0, &ol) < 0)
		return 0;
	if (lx.end - lx.p < 5 || memcmp(lx.p, "graph", 5) != 0)
		return 0;
	lx.p += 5;
	while (lx.p < lx.end && graphlex_is_space(*lx.p))
		lx.p++;
	return lx.p < lx.end && *lx.p == ':';
}

/*
 * dotgraph.c - Graphviz DOT reader: a bounds-checked tokenizer, a recursive-
 * descent parser of the DOT grammar, then node naming (ids or labels) at the end.
 *
 * DOT ids are interned in a scratch sgraph while parsing (an edge may name a
 * node before the statement that labels it, as LLVM writes them); edges are
 * kept as id pairs; names and graph edges are made once the input is read.
 */
#include "dotgraph.h"
#include "graphlex.h"
#include "mem.h"
#include "symname.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum dot_tok {
	DT_EOF,
	DT_LBRACE,
	DT_RBRACE,
	DT_LBRACK,
	DT_RBRACK,
	DT_EQ,
	DT_SEMI,
	DT_COMMA,
	DT_COLON,
	DT_EDGEOP,
	DT_PLUS,
	DT_ID,       /* unquoted identifier or numeral */
	DT_QSTRING,  /* s/len: between the quotes, escapes not undone */
	DT_HTML,     /* s/len: between the outer < > */
};

struct dot_token {
	enum dot_tok kind;
	const char *s;
	size_t len;
	unsigned long line;
};

/* A DOT edge between two scratch ids, until names are known. */
struct dot_edge {
	uint32_t a, b;
	struct sg_loc site;
};

enum {
	DOT_SEEN = 1,          /* a node of the graph */
};

#define DOT_EXT_CALLER (SG_NONE - 1)
#define DOT_EXT_CALLEE (SG_NONE - 2)

struct dot_parser {
	struct sgraph *g;
	struct sgraph *ids;          /* scratch interner of DOT ids and labels */
	struct graphlex lx;
	struct graphlex_err e;
	enum dot_names names;

	uint32_t *label;             /* per scratch id: label string (scratch id), 0 none */
	uint8_t *state;              /* per scratch id: DOT_* */
	uint32_t *order;             /* scratch ids of nodes, in order of first mention */
	size_t norder, order_cap;
	size_t per_cap;

	struct dot_edge *edges;
	size_t nedges, edges_cap;

	uint32_t *mem;               /* node ids mentioned, for subgraph edge ends */
	size_t nmem, mem_cap;
	size_t *marks;               /* edge chain operand starts in mem */
	size_t nmarks, marks_cap;

	struct graphlex_buf idb, keyb, valb, nameb;
};

/* ---- errors ---- */

static int dot_nomem(struct dot_parser *ps)
{
	return graphlex_nomem(&ps->e, ps->lx.line);
}

/* ---- tokenizer ---- */

static int dot_is_idchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

static int dot_next(struct dot_parser *ps, struct dot_token *t)
{
	struct graphlex *lx = &ps->lx;
	unsigned long open_line = 0;
	if (graphlex_skip(lx, 1, &open_line) < 0)
		return graphlex_fail(&ps->e, open_line, "unterminated comment");
	lx->line_start = 0;
	t->line = lx->line;
	t->s = lx->p;
	t->len = 1;
	if (lx->p >= lx->end) {
		t->kind = DT_EOF;
		t->len = 0;
		return SG_OK;
	}
	unsigned char c = (unsigned char)*lx->p;
	size_t left = (size_t)(lx->end - lx->p);
	switch (c) {
	case '{': t->kind = DT_LBRACE; lx->p++; return SG_OK;
	case '}': t->kind = DT_RBRACE; lx->p++; return SG_OK;
	case '[': t->kind = DT_LBRACK; lx->p++; return SG_OK;
	case ']': t->kind = DT_RBRACK; lx->p++; return SG_OK;
	case '=': t->kind = DT_EQ; lx->p++; return SG_OK;
	case ';': t->kind = DT_SEMI; lx->p++; return SG_OK;
	case ',': t->kind = DT_COMMA; lx->p++; return SG_OK;
	case ':': t->kind = DT_COLON; lx->p++; return SG_OK;
	case '+': t->kind = DT_PLUS; lx->p++; return SG_OK;
	default: break;
	}
	if (c == '-' && left >= 2 && (lx->p[1] == '>' || lx->p[1] == '-')) {
		t->kind = DT_EDGEOP;
		t->len = 2;
		lx->p += 2;
		return SG_OK;
	}
	if (c == '"') {
		t->kind = DT_QSTRING;
		return graphlex_string(lx, &ps->e, &t->s, &t->len);
	}
	if (c == '<') {
		const char *s = ++lx->p;
		int depth = 1;
		while (lx->p < lx->end) {
			char h = *lx->p;
			if (h == '\0')
				return graphlex_fail(&ps->e, lx->line, "NUL byte in HTML string");
			if (h == '\n')
				lx->line++;
			if (h == '<')
				depth++;
			else if (h == '>' && --depth == 0)
				break;
			lx->p++;
			if ((size_t)(lx->p - s) > SG_MAX_STRLEN)
				return graphlex_fail(&ps->e, t->line, "HTML string longer than %u bytes",
				    SG_MAX_STRLEN);
		}
		if (lx->p >= lx->end)
			return graphlex_fail(&ps->e, t->line, "unterminated HTML string");
		t->kind = DT_HTML;
		t->s = s;
		t->len = (size_t)(lx->p - s);
		lx->p++;
		return SG_OK;
	}
	if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
		const char *s = lx->p;
		if (c == '-')
			lx->p++;
		int digits = 0, dots = 0;
		while (lx->p < lx->end && ((*lx->p >= '0' && *lx->p <= '9') ||
		    (*lx->p == '.' && dots == 0))) {
			if (*lx->p == '.')
				dots++;
			else
				digits++;
			lx->p++;
		}
		if (!digits)
			return graphlex_fail(&ps->e, t->line, "malformed number");
		t->kind = DT_ID;
		t->s = s;
		t->len = (size_t)(lx->p - s);
		return SG_OK;
	}
	if (dot_is_idchar(c)) {
		const char *s = lx->p;
		while (lx->p < lx->end && dot_is_idchar((unsigned char)*lx->p)) {
			lx->p++;
			if ((size_t)(lx->p - s) > SG_MAX_STRLEN)
				return graphlex_fail(&ps->e, t->line, "identifier longer than %u bytes",
				    SG_MAX_STRLEN);
		}
		t->kind = DT_ID;
		t->s = s;
		t->len = (size_t)(lx->p - s);
		return SG_OK;
	}
	if (c >= 0x20 && c < 0x7f)
		return graphlex_fail(&ps->e, t->line, "unexpected character '%c'", c);
	return graphlex_fail(&ps->e, t->line, "unexpected byte 0x%02x", c);
}

static int dot_peek(struct dot_parser *ps, struct dot_token *t)
{
	struct graphlex save = ps->lx;
	int rc = dot_next(ps, t);
	ps->lx = save;
	return rc;
}

static int dot_is_kw(const struct dot_token *t, const char *kw)
{
	size_t n = strlen(kw);
	return t->kind == DT_ID && t->len == n && strncasecmp(t->s, kw, n) == 0;
}

static int dot_is_id(const struct dot_token *t)
{
	return t->kind == DT_ID || t->kind == DT_QSTRING || t->kind == DT_HTML;
}

static const char *dot_tok_desc(const struct dot_token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case DT_EOF: return "end of file";
	case DT_QSTRING:
		snprintf(buf, size, "\"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->s);
		return buf;
	default:
		snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
		return buf;
	}
}

/*
 * The text of an ID token into b: quoted strings lose their quotes, \" becomes
 * '"', a backslash-newline disappears, other backslashes stay (labels use them);
 * "a" + "b" concatenates.
 */
static int dot_id_text(struct dot_parser *ps, const struct dot_token *t, struct graphlex_buf *b)
{
	b->len = 0;
	if (graphlex_put(b, "", 0))
		return dot_nomem(ps);
	if (t->kind != DT_QSTRING)
		return graphlex_put(b, t->s, t->len) == 0 ? SG_OK : dot_nomem(ps);
	struct dot_token cur = *t;
	for (;;) {
		const char *s = cur.s, *end = cur.s + cur.len;
		while (s < end) {
			const char *bs = memchr(s, '\\', (size_t)(end - s));
			size_t run = bs ? (size_t)(bs - s) : (size_t)(end - s);
			int rc = graphlex_put(b, s, run);
			if (rc == -2)
				return graphlex_fail(&ps->e, cur.line, "string longer than %u bytes",
				    SG_MAX_STRLEN);
			if (rc)
				return dot_nomem(ps);
			if (!bs)
				break;
			s = bs;
			if (end - s >= 2 && s[1] == '"') {
				rc = graphlex_put(b, "\"", 1);
				s += 2;
			} else if (end - s >= 2 && s[1] == '\n') {
				s += 2;
			} else if (end - s >= 3 && s[1] == '\r' && s[2] == '\n') {
				s += 3;
			} else {
				rc = graphlex_put(b, s, end - s >= 2 ? 2 : 1);
				s += end - s >= 2 ? 2 : 1;
			}
			if (rc == -2)
				return graphlex_fail(&ps->e, cur.line, "string longer than %u bytes",
				    SG_MAX_STRLEN);
			if (rc)
				return dot_nomem(ps);
		}
		struct dot_token plus, next;
		if (dot_peek(ps, &plus) != SG_OK)
			return ps->e.status;
		if (plus.kind != DT_PLUS)
			return SG_OK;
		dot_next(ps, &plus);
		if (dot_next(ps, &next) != SG_OK)
			return ps->e.status;
		if (next.kind != DT_QSTRING)
			return graphlex_fail(&ps->e, next.line, "expected a quoted string after '+'");
		cur = next;
	}
}

/* ---- node ids ---- */

static uint32_t dot_intern_id(struct dot_parser *ps, const struct graphlex_buf *b)
{
	uint32_t id = sgraph_intern(ps->ids, b->p, b->len);
	if (id == SG_NONE) {
		dot_nomem(ps);
		return SG_NONE;
	}
	size_t need = (size_t)id + 1;
	if (need > ps->per_cap) {
		size_t ncap = ps->per_cap ? ps->per_cap : 256;
		while (ncap < need)
			ncap *= 2;
		uint32_t *nl = realloc(ps->label, ncap * sizeof *nl);
		if (!nl) {
			dot_nomem(ps);
			return SG_NONE;
		}
		ps->label = nl;
		uint8_t *ns = realloc(ps->state, ncap);
		if (!ns) {
			dot_nomem(ps);
			return SG_NONE;
		}
		ps->state = ns;
		memset(ps->label + ps->per_cap, 0, (ncap - ps->per_cap) * sizeof *nl);
		memset(ps->state + ps->per_cap, 0, ncap - ps->per_cap);
		ps->per_cap = ncap;
	}
	return id;
}

/* A node is mentioned: remember it and add it to the current operand set. */
static int dot_mention(struct dot_parser *ps, uint32_t id)
{
	if (!(ps->state[id] & DOT_SEEN)) {
		if (mem_grow((void **)&ps->order, &ps->order_cap, ps->norder + 1,
		    sizeof *ps->order))
			return dot_nomem(ps);
		ps->order[ps->norder++] = id;
		ps->state[id] |= DOT_SEEN;
	}
	if (mem_grow((void **)&ps->mem, &ps->mem_cap, ps->nmem + 1, sizeof *ps->mem))
		return dot_nomem(ps);
	ps->mem[ps->nmem++] = id;
	return SG_OK;
}

/* node_id [port]: t is the ID already read. Returns the scratch id or SG_NONE. */
static uint32_t dot_node_id(struct dot_parser *ps, const struct dot_token *t)
{
	if (dot_id_text(ps, t, &ps->idb) != SG_OK)
		return SG_NONE;
	if (ps->idb.len == 0) {
		graphlex_fail(&ps->e, t->line, "empty node id");
		return SG_NONE;
	}
	uint32_t id = dot_intern_id(ps, &ps->idb);
	if (id == SG_NONE)
		return SG_NONE;
	/* ":port" and ":port:compass" are drawing details. */
	for (int i = 0; i < 2; i++) {
		struct dot_token c, p;
		if (dot_peek(ps, &c) != SG_OK)
			return SG_NONE;
		if (c.kind != DT_COLON)
			break;
		dot_next(ps, &c);
		if (dot_next(ps, &p) != SG_OK)
			return SG_NONE;
		if (!dot_is_id(&p)) {
			char d[64];
			graphlex_fail(&ps->e, p.line, "expected a port after ':', found %s",
			    dot_tok_desc(&p, d, sizeof d));
			return SG_NONE;
		}
		if (p.kind == DT_QSTRING && dot_id_text(ps, &p, &ps->valb) != SG_OK)
			return SG_NONE;
	}
	return id;
}

/* ---- attributes ---- */

/*
 * Zero or more "[ a=b, c=d; ... ]" lists. The value of "label", if any, is
 * left in ps->valb and *has_label set.
 */
static int dot_attrs(struct dot_parser *ps, int *has_label)
{
	struct dot_token t;
	char d[64];
	*has_label = 0;
	for (;;) {
		if (dot_peek(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind != DT_LBRACK)
			return SG_OK;
		dot_next(ps, &t);
		unsigned long open = t.line;
		for (;;) {
			if (dot_next(ps, &t) != SG_OK)
				return ps->e.status;
			if (t.kind == DT_RBRACK)
				break;
			if (t.kind == DT_COMMA || t.kind == DT_SEMI)
				continue;
			if (t.kind == DT_EOF)
				return graphlex_fail(&ps->e, t.line, "unexpected end of file in attribute "
				    "list opened at line %lu", open);
			if (!dot_is_id(&t))
				return graphlex_fail(&ps->e, t.line, "expected an attribute name, found %s",
				    dot_tok_desc(&t, d, sizeof d));
			if (dot_id_text(ps, &t, &ps->keyb) != SG_OK)
				return ps->e.status;
			struct dot_token eq, val;
			if (dot_peek(ps, &eq) != SG_OK)
				return ps->e.status;
			if (eq.kind != DT_EQ)
				continue;   /* a bare name: a flag with no value */
			dot_next(ps, &eq);
			if (dot_next(ps, &val) != SG_OK)
				return ps->e.status;
			if (!dot_is_id(&val))
				return graphlex_fail(&ps->e, val.line, "expected a value after '%.*s=', "
				    "found %s", (int)(ps->keyb.len > 40 ? 40 : ps->keyb.len),
				    ps->keyb.p, dot_tok_desc(&val, d, sizeof d));
			int is_label = ps->keyb.len == 5 && memcmp(ps->keyb.p, "label", 5) == 0;
			if (is_label) {
				if (dot_id_text(ps, &val, &ps->valb) != SG_OK)
					return ps->e.status;
				*has_label = 1;
			} else if (val.kind == DT_QSTRING) {
				/* consume a possible "a" + "b" */
				if (dot_id_text(ps, &val, &ps->idb) != SG_OK)
					return ps->e.status;
			}
		}
	}
}

/* ---- statements ---- */

static int dot_stmt_list(struct dot_parser *ps, int depth, unsigned long open);

/* "subgraph [ID] { ... }" or "{ ... }", t the first token. Its nodes stay in mem. */
static int dot_subgraph(struct dot_parser *ps, const struct dot_token *t, int depth)
{
	struct dot_token b = *t;
	char d[64];
	if (depth + 1 >= DOT_MAX_DEPTH)
		return graphlex_fail(&ps->e, t->line, "subgraphs nested deeper than %d", DOT_MAX_DEPTH);
	if (dot_is_kw(t, "subgraph")) {
		if (dot_peek(ps, &b) != SG_OK)
			return ps->e.status;
		if (dot_is_id(&b)) {
			dot_next(ps, &b);
			if (dot_id_text(ps, &b, &ps->valb) != SG_OK || dot_peek(ps, &b) != SG_OK)
				return ps->e.status;
		}
		/* "subgraph name" alone refers to an existing subgraph: nothing to add. */
		if (b.kind != DT_LBRACE)
			return SG_OK;
		dot_next(ps, &b);
	}
	if (b.kind != DT_LBRACE)
		return graphlex_fail(&ps->e, b.line, "expected '{', found %s", dot_tok_desc(&b, d, sizeof d));
	return dot_stmt_list(ps, depth + 1, b.line);
}

/* One edge-chain operand or node: t is its first token. */
static int dot_operand(struct dot_parser *ps, const struct dot_token *t, int depth)
{
	if (t->kind == DT_LBRACE || dot_is_kw(t, "subgraph"))
		return dot_subgraph(ps, t, depth);
	uint32_t id = dot_node_id(ps, t);
	if (id == SG_NONE)
		return ps->e.status;
	return dot_mention(ps, id);
}

static int dot_site(struct dot_parser *ps, const struct graphlex_buf *label, struct sg_loc *site)
{
	size_t flen;
	*site = (struct sg_loc){ 0, 0, 0 };
	if (!sgraph_loc_split(label->p, label->len, &flen, &site->line, &site->col))
		return SG_OK;
	for (size_t i = 0; i < flen; i++)
		if (graphlex_is_space(label->p[i]))
			return SG_OK;   /* prose, not a location */
	if (mem_grow((void **)&ps->nameb.p, &ps->nameb.cap, flen + 2, 1))
		return dot_nomem(ps);
	long n = symname_normpath(label->p, flen, NULL, ps->nameb.p, ps->nameb.cap);
	if (n < 0)
		return SG_OK;
	site->file = sgraph_intern(ps->g, ps->nameb.p, (size_t)n);
	if (site->file == SG_NONE)
		return dot_nomem(ps);
	return SG_OK;
}

/* After the first operand, at an edge operator: the rest of the chain. */
static int dot_edge_chain(struct dot_parser *ps, size_t start, int depth)
{
	struct dot_token t;
	char d[64];
	ps->nmarks = 0;
	if (mem_grow((void **)&ps->marks, &ps->marks_cap, 2, sizeof *ps->marks))
		return dot_nomem(ps);
	ps->marks[ps->nmarks++] = start;
	for (;;) {
		if (dot_peek(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind != DT_EDGEOP)
			break;
		dot_next(ps, &t);
		if (mem_grow((void **)&ps->marks, &ps->marks_cap, ps->nmarks + 2,
		    sizeof *ps->marks))
			return dot_nomem(ps);
		ps->marks[ps->nmarks++] = ps->nmem;
		if (dot_next(ps, &t) != SG_OK)
			return ps->e.status;
		if (!dot_is_id(&t) && t.kind != DT_LBRACE)
			return graphlex_fail(&ps->e, t.line, "expected a node or subgraph after the edge "
			    "operator, found %s", dot_tok_desc(&t, d, sizeof d));
		/* Nested subgraph statements reset marks: keep ours safe. */
		size_t nm = ps->nmarks;
		size_t *saved = NULL;
		if (t.kind == DT_LBRACE || dot_is_kw(&t, "subgraph")) {
			saved = malloc(nm * sizeof *saved);
			if (!saved)
				return dot_nomem(ps);
			memcpy(saved, ps->marks, nm * sizeof *saved);
		}
		int rc = dot_operand(ps, &t, depth);
		if (saved) {
			if (rc == SG_OK && mem_grow((void **)&ps->marks, &ps->marks_cap, nm + 1,
			    sizeof *ps->marks))
				rc = dot_nomem(ps);
			if (rc == SG_OK) {
				memcpy(ps->marks, saved, nm * sizeof *saved);
				ps->nmarks = nm;
			}
			free(saved);
		}
		if (rc != SG_OK)
			return rc;
	}
	ps->marks[ps->nmarks] = ps->nmem;

	int has_label;
	if (dot_attrs(ps, &has_label) != SG_OK)
		return ps->e.status;
	struct sg_loc site = { 0, 0, 0 };
	if (has_label && dot_site(ps, &ps->valb, &site) != SG_OK)
		return ps->e.status;

	uint64_t total = 0;
	for (size_t k = 0; k + 1 < ps->nmarks; k++) {
		size_t a0 = ps->marks[k], a1 = ps->marks[k + 1];
		size_t b0 = ps->marks[k + 1], b1 = ps->marks[k + 2];
		total += (uint64_t)(a1 - a0) * (b1 - b0);
		if (total > DOT_MAX_EXPANSION || ps->nedges + total > SG_MAX_EDGES)
			return graphlex_fail(&ps->e, t.line, "edge statement expands to too many edges");
		if (mem_grow((void **)&ps->edges, &ps->edges_cap, ps->nedges + (size_t)total,
		    sizeof *ps->edges))
			return dot_nomem(ps);
		for (size_t i = a0; i < a1; i++)
			for (size_t j = b0; j < b1; j++)
				ps->edges[ps->nedges++] = (struct dot_edge){
					ps->mem[i], ps->mem[j], site };
	}
	return SG_OK;
}

static int dot_stmt_list(struct dot_parser *ps, int depth, unsigned long open)
{
	struct dot_token t, t2;
	char d[64];
	for (;;) {
		size_t start = ps->nmem;
		if (dot_next(ps, &t) != SG_OK)
			return ps->e.status;
		if (t.kind == DT_RBRACE)
			return SG_OK;
		if (t.kind == DT_SEMI)
			continue;
		if (t.kind == DT_EOF)
			return graphlex_fail(&ps->e, t.line, "unexpected end of file: '{' at line %lu "
			    "has no closing '}'", open);
		if (dot_is_kw(&t, "graph") || dot_is_kw(&t, "node") || dot_is_kw(&t, "edge")) {
			int has_label;
			if (dot_attrs(ps, &has_label) != SG_OK)
				return ps->e.status;
			continue;
		}
		if (!dot_is_id(&t) && t.kind != DT_LBRACE)
			return graphlex_fail(&ps->e, t.line, "expected a statement, found %s",
			    dot_tok_desc(&t, d, sizeof d));
		if (dot_is_id(&t) && !dot_is_kw(&t, "subgraph")) {
			if (dot_peek(ps, &t2) != SG_OK)
				return ps->e.status;
			if (t2.kind == DT_EQ) {
				/* ID = ID: a graph attribute */
				dot_next(ps, &t2);
				if (dot_next(ps, &t2) != SG_OK)
					return ps->e.status;
				if (!dot_is_id(&t2))
					return graphlex_fail(&ps->e, t2.line, "expected a value after '=', "
					    "found %s", dot_tok_desc(&t2, d, sizeof d));
				if (dot_id_text(ps, &t2, &ps->valb) != SG_OK)
					return ps->e.status;
				continue;
			}
		}
		int is_node = dot_is_id(&t) && !dot_is_kw(&t, "subgraph");
		uint32_t nid = SG_NONE;
		if (is_node) {
			nid = dot_node_id(ps, &t);
			if (nid == SG_NONE)
				return ps->e.status;
			if (dot_mention(ps, nid) != SG_OK)
				return ps->e.status;
		} else if (dot_subgraph(ps, &t, depth) != SG_OK) {
			return ps->e.status;
		}
		if (dot_peek(ps, &t2) != SG_OK)
			return ps->e.status;
		if (t2.kind == DT_EDGEOP) {
			if (dot_edge_chain(ps, start, depth) != SG_OK)
				return ps->e.status;
		} else if (is_node) {
			int has_label;
			if (dot_attrs(ps, &has_label) != SG_OK)
				return ps->e.status;
			if (has_label) {
				uint32_t l = sgraph_intern(ps->ids, ps->valb.p, ps->valb.len);
				if (l == SG_NONE)
					return dot_nomem(ps);
				ps->label[nid] = l;
			}
		}
		/* Nodes stay members only inside a subgraph (for edges to it). */
		if (depth == 0)
			ps->nmem = start;
	}
}

static int dot_graph(struct dot_parser *ps, const struct dot_token *first)
{
	struct dot_token t = *first;
	char d[64];
	if (dot_is_kw(&t, "strict") && dot_next(ps, &t) != SG_OK)
		return ps->e.status;
	if (!dot_is_kw(&t, "graph") && !dot_is_kw(&t, "digraph"))
		return graphlex_fail(&ps->e, t.line, "expected 'graph' or 'digraph', found %s",
		    dot_tok_desc(&t, d, sizeof d));
	if (dot_next(ps, &t) != SG_OK)
		return ps->e.status;
	if (dot_is_id(&t)) {
		if (dot_id_text(ps, &t, &ps->valb) != SG_OK || dot_next(ps, &t) != SG_OK)
			return ps->e.status;
	}
	if (t.kind != DT_LBRACE)
		return graphlex_fail(&ps->e, t.line, "expected '{', found %s", dot_tok_desc(&t, d, sizeof d));
	ps->nmem = 0;
	return dot_stmt_list(ps, 0, t.line);
}

/* ---- naming and the graph ---- */

static int dot_is_llvm_id(const char *s, size_t len)
{
	if (len < 7 || memcmp(s, "Node0x", 6) != 0)
		return 0;
	for (size_t i = 6; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* First field of a record label "{name|...}" (escapes undone, port dropped). */
static int dot_record_field(struct graphlex_buf *out, const char *s, size_t len)
{
	size_t i = 0;
	out->len = 0;
	while (i < len && (s[i] == '{' || graphlex_is_space(s[i])))
		i++;
	if (i < len && s[i] == '<') {
		while (i < len && s[i] != '>')
			i += s[i] == '\\' && i + 1 < len ? 2 : 1;
		if (i < len)
			i++;
		while (i < len && graphlex_is_space(s[i]))
			i++;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (c == '|' || c == '{' || c == '}')
			break;
		if (c == '\\' && i + 1 < len) {
			char n = s[i + 1];
			if (n == 'n' || n == 'l' || n == 'r')
				break;
			c = n;
			i++;
		}
		if (graphlex_put(out, &c, 1))
			return -1;
	}
	while (out->len > 0 && graphlex_is_space(out->p[out->len - 1]))
		out->len--;
	return 0;
}

/* First line of a plain label ("\n", "\l", "\r" or a newline ends it). */
static int dot_label_line(struct graphlex_buf *out, const char *s, size_t len)
{
	out->len = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\n')
			break;
		if (c == '\\' && i + 1 < len) {
			char n = s[i + 1];
			if (n == 'n' || n == 'l' || n == 'r')
				break;
			if (n == '\\') {
				c = '\\';
				i++;
			}
		}
		if (graphlex_put(out, &c, 1))
			return -1;
	}
	return 0;
}

static int dot_is(const struct graphlex_buf *b, const char *s)
{
	size_t n = strlen(s);
	return b->len == n && memcmp(b->p, s, n) == 0;
}

/* Graph node for each DOT node; map[] gets it (or a DOT_EXT_* pseudo-node). */
static int dot_make_nodes(struct dot_parser *ps, uint32_t *map)
{
	int llvm = 0;
	for (size_t k = 0; k < ps->norder; k++) {
		uint32_t id = ps->order[k];
		if (ps->label[id] && dot_is_llvm_id(sgraph_str(ps->ids, id),
		    sgraph_str_len(ps->ids, id)))
			llvm = 1;
	}
	for (size_t k = 0; k < ps->norder; k++) {
		uint32_t id = ps->order[k];
		const char *ids = sgraph_str(ps->ids, id);
		size_t idl = sgraph_str_len(ps->ids, id);
		const char *lab = ps->label[id] ? sgraph_str(ps->ids, ps->label[id]) : NULL;
		size_t labl = ps->label[id] ? sgraph_str_len(ps->ids, ps->label[id]) : 0;
		if (lab && labl == 2 && memcmp(lab, "\\N", 2) == 0)
			lab = NULL;   /* Graphviz's default: the node id */
		int llvm_id = dot_is_llvm_id(ids, idl);
		int record = lab && labl > 0 && lab[0] == '{';
		struct graphlex_buf *nb = &ps->nameb;
		int rc = 0;
		int by_label = 0;

		if (ps->names == DOT_NAMES_LABEL && lab)
			by_label = 1;
		else if (ps->names == DOT_NAMES_AUTO && lab && (record || llvm_id))
			by_label = 1;
		if (by_label)
			rc = record ? dot_record_field(nb, lab, labl) : dot_label_line(nb, lab, labl);
		if (rc)
			return dot_nomem(ps);
		if (!by_label || nb->len == 0) {
			nb->len = 0;
			if (graphlex_put(nb, ids, idl))
				return dot_nomem(ps);
		}

		if (ps->names != DOT_NAMES_ID && (llvm_id || record)) {
			if (dot_is(nb, "external caller")) {
				map[id] = DOT_EXT_CALLER;
				continue;
			}
			if (dot_is(nb, "external callee") || dot_is(nb, "external node") ||
			    (llvm && llvm_id && !lab)) {
				map[id] = DOT_EXT_CALLEE;
				continue;
			}
		}
		uint32_t n = sgraph_node(ps->g, nb->p, nb->len, NULL, 0);
		if (n == SG_NONE)
			return dot_nomem(ps);
		map[id] = n;
	}
	return SG_OK;
}

static int dot_make_edges(struct dot_parser *ps, const uint32_t *map)
{
	for (size_t i = 0; i < ps->nedges; i++) {
		const struct dot_edge *e = &ps->edges[i];
		uint32_t a = map[e->a], b = map[e->b];
		uint32_t r = 0;
		if (a == DOT_EXT_CALLER) {
			if (b < DOT_EXT_CALLEE)
				sgraph_set_flags(ps->g, b, SG_NODE_ADDR_TAKEN);
			continue;
		}
		if (a >= DOT_EXT_CALLEE)
			continue;
		if (b == DOT_EXT_CALLEE)
			r = sgraph_add_isite(ps->g, a, &e->site);
		else if (b == DOT_EXT_CALLER)
			continue;
		else
			r = sgraph_add_edge(ps->g, a, b, &e->site);
		if (r == SG_NONE)
			return dot_nomem(ps);
	}
	return SG_OK;
}

int dot_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    const struct dot_options *opt, char *err, size_t errsize)
{
	struct dot_parser ps;
	memset(&ps, 0, sizeof ps);
	graphlex_init(&ps.lx, &ps.e, buf, len, name, err, errsize);
	ps.g = g;
	ps.names = opt ? opt->names : DOT_NAMES_AUTO;
	ps.ids = sgraph_new();
	if (!ps.ids)
		return dot_nomem(&ps);

	int graphs = 0;
	struct dot_token t;
	while (ps.e.status == SG_OK) {
		if (dot_next(&ps, &t) != SG_OK)
			break;
		if (t.kind == DT_EOF) {
			if (graphs == 0)
				graphlex_fail(&ps.e, t.line, "no graph in input");
			break;
		}
		if (dot_graph(&ps, &t) != SG_OK)
			break;
		graphs++;
	}
	if (ps.e.status == SG_OK) {
		uint32_t *map = calloc(ps.per_cap ? ps.per_cap : 1, sizeof *map);
		if (!map)
			dot_nomem(&ps);
		else if (dot_make_nodes(&ps, map) == SG_OK)
			dot_make_edges(&ps, map);
		free(map);
	}
	sgraph_free(ps.ids);
	free(ps.label);
	free(ps.state);
	free(ps.order);
	free(ps.edges);
	free(ps.mem);
	free(ps.marks);
	free(ps.idb.p);
	free(ps.keyb.p);
	free(ps.valb.p);
	free(ps.nameb.p);
	return ps.e.status;
}

int dot_parse_file(struct sgraph *g, const char *path, const struct dot_options *opt,
    char *err, size_t errsize)
{
	struct sg_input in;
	int rc = sgraph_input_open(&in, path, err, errsize);
	if (rc != SG_OK)
		return rc;
	rc = dot_parse_buffer(g, in.data, in.len, strcmp(path, "-") ? path : "<stdin>", opt,
	    err, errsize);
	sgraph_input_close(&in);
	return rc;
}

int dot_sniff(const char *buf, size_t len)
{
	struct dot_parser ps;
	memset(&ps, 0, sizeof ps);
	graphlex_init(&ps.lx, &ps.e, buf, len, "", NULL, 0);
	struct dot_token t;
	if (dot_next(&ps, &t) != SG_OK)
		return 0;
	if (dot_is_kw(&t, "strict") && dot_next(&ps, &t) != SG_OK)
		return 0;
	if (!dot_is_kw(&t, "graph") && !dot_is_kw(&t, "digraph"))
		return 0;
	if (dot_next(&ps, &t) != SG_OK)
		return 0;
	if (dot_is_id(&t) && dot_next(&ps, &t) != SG_OK)
		return 0;
	return t.kind == DT_LBRACE;
}

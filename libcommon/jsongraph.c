/*
 * jsongraph.c - JSON call graphs (PyCG adjacency, r2 agCj, nodes/edges) into an
 * sgraph, on top of the json.h tree parser. Members no form uses are skipped
 * by the parser: however large, they cost no memory.
 */
#include "jsongraph.h"
#include "json.h"
#include "symname.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jg {
	struct sgraph *g;
	const char *name;
	char *err;
	size_t errsize;
	int status;
	char *path;
	size_t path_cap;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int jg_fail(struct jg *j, const char *fmt, ...)
{
	if (j->status != SG_OK)
		return j->status;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (j->errsize)
		snprintf(j->err, j->errsize, "%s: %s", j->name, msg);
	j->status = SG_EDATA;
	return SG_EDATA;
}

static int jg_nomem(struct jg *j)
{
	if (j->status == SG_OK) {
		if (j->errsize)
			snprintf(j->err, j->errsize, "%s: out of memory", j->name);
		j->status = SG_ENOMEM;
	}
	return j->status;
}

/* Intern a normalised source path; SG_NONE on failure (status set). */
static uint32_t jg_path(struct jg *j, const char *s, size_t len)
{
	if (len + 2 > j->path_cap) {
		char *np = realloc(j->path, len + 2);
		if (!np) {
			jg_nomem(j);
			return SG_NONE;
		}
		j->path = np;
		j->path_cap = len + 2;
	}
	long n = symname_normpath(s, len, NULL, j->path, j->path_cap);
	if (n < 0) {
		jg_fail(j, "cannot normalise path");
		return SG_NONE;
	}
	uint32_t id = sgraph_intern(j->g, j->path, (size_t)n);
	if (id == SG_NONE)
		jg_nomem(j);
	return id;
}

/* The node a JSON name stands for ("file.c:name" is TU-local). */
static uint32_t jg_node(struct jg *j, const char *s, size_t len, const char *what)
{
	if (len == 0 || memchr(s, '\0', len)) {
		jg_fail(j, "%s: empty name or name with a NUL byte", what);
		return SG_NONE;
	}
	const char *qf, *qn;
	size_t qfl, qnl;
	uint32_t file = 0;
	if (symname_split_file(s, len, &qf, &qfl, &qn, &qnl)) {
		file = jg_path(j, qf, qfl);
		if (file == SG_NONE)
			return SG_NONE;
		s = qn;
		len = qnl;
	}
	uint32_t n = sgraph_intern(j->g, s, len);
	uint32_t id = n == SG_NONE ? SG_NONE : sgraph_node_ids(j->g, n, file);
	if (id == SG_NONE)
		jg_nomem(j);
	return id;
}

static const struct json_value *jg_str(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);
	return v && v->type == JSON_STRING ? v : NULL;
}

static uint32_t jg_u32(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);
	uint64_t u;
	if (!v || json_u64(v, &u) != 0 || u > UINT32_MAX)
		return 0;
	return (uint32_t)u;
}

static int jg_true(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);
	return v && v->type == JSON_TRUE;
}

/* A caller and the array of its callees (adjacency and r2 forms). */
static int jg_adjacency(struct jg *j, const char *caller, size_t len,
    const struct json_value *callees, const char *what)
{
	uint32_t a = jg_node(j, caller, len, what);
	if (a == SG_NONE)
		return j->status;
	sgraph_set_flags(j->g, a, SG_NODE_DEFINED);
	if (!callees)
		return SG_OK;
	if (callees->type != JSON_ARRAY)
		return jg_fail(j, "%s \"%.*s\": the callees are not an array", what,
		    (int)(len > 60 ? 60 : len), caller);
	for (const struct json_value *c = callees->child; c; c = c->next) {
		if (c->type != JSON_STRING)
			return jg_fail(j, "%s \"%.*s\": a callee is not a string", what,
			    (int)(len > 60 ? 60 : len), caller);
		uint32_t b = jg_node(j, c->str, c->len, what);
		if (b == SG_NONE)
			return j->status;
		if (sgraph_add_edge(j->g, a, b, NULL) == SG_NONE)
			return jg_nomem(j);
	}
	return SG_OK;
}

static int jg_plain(struct jg *j, const struct json_value *nodes,
    const struct json_value *edges)
{
	if ((nodes && nodes->type != JSON_ARRAY) || (edges && edges->type != JSON_ARRAY))
		return jg_fail(j, "\"nodes\" and \"edges\" must be arrays");
	size_t i = 0;
	for (const struct json_value *n = nodes ? nodes->child : NULL; n; n = n->next, i++) {
		const struct json_value *nm = n->type == JSON_STRING ? n : jg_str(n, "name");
		if (!nm)
			return jg_fail(j, "nodes[%zu]: no \"name\" string", i);
		uint32_t id = jg_node(j, nm->str, nm->len, "node");
		if (id == SG_NONE)
			return j->status;
		if (n->type != JSON_OBJECT) {
			sgraph_set_flags(j->g, id, SG_NODE_DEFINED);
			continue;
		}
		const struct json_value *file = jg_str(n, "file");
		if (file) {
			struct sg_loc loc = { jg_path(j, file->str, file->len), jg_u32(n, "line"), 0 };
			if (loc.file == SG_NONE)
				return j->status;
			sgraph_set_loc(j->g, id, &loc);
		}
		sgraph_set_flags(j->g, id, jg_true(n, "external") ? SG_NODE_DECLARED :
		    SG_NODE_DEFINED);
		if (jg_true(n, "address_taken"))
			sgraph_set_flags(j->g, id, SG_NODE_ADDR_TAKEN);
	}
	i = 0;
	for (const struct json_value *e = edges ? edges->child : NULL; e; e = e->next, i++) {
		const struct json_value *a, *b;
		struct sg_loc site = { 0, 0, 0 };
		if (e->type == JSON_ARRAY) {
			a = e->child;
			b = a ? a->next : NULL;
			if (e->count != 2 || a->type != JSON_STRING || b->type != JSON_STRING)
				return jg_fail(j, "edges[%zu]: not a [caller, callee] pair", i);
		} else if (e->type == JSON_OBJECT) {
			a = jg_str(e, "caller");
			b = jg_str(e, "callee");
			if (!a || (!b && !jg_true(e, "indirect")))
				return jg_fail(j, "edges[%zu]: needs \"caller\" and \"callee\" "
				    "(or \"indirect\": true)", i);
			const struct json_value *file = jg_str(e, "file");
			if (file) {
				site.file = jg_path(j, file->str, file->len);
				if (site.file == SG_NONE)
					return j->status;
				site.line = jg_u32(e, "line");
				site.col = jg_u32(e, "col");
			}
		} else {
			return jg_fail(j, "edges[%zu]: not an array or object", i);
		}
		uint32_t x = jg_node(j, a->str, a->len, "edge");
		if (x == SG_NONE)
			return j->status;
		uint32_t r;
		if (!b) {
			r = sgraph_add_isite(j->g, x, &site);
		} else {
			uint32_t y = jg_node(j, b->str, b->len, "edge");
			if (y == SG_NONE)
				return j->status;
			r = sgraph_add_edge(j->g, x, y, &site);
		}
		if (r == SG_NONE)
			return jg_nomem(j);
	}
	return SG_OK;
}

/*
 * The members worth building. At the top level only "nodes" and "edges": the
 * others are either the callers of an adjacency object, built one at a time
 * later (jg_adjacency_object), or unused in the plain form. In the
 * objects below (r2 functions, plain nodes and edges) only the keys read.
 */
static int jg_keep(void *arg, unsigned depth, const char *key, size_t len)
{
	static const char *const top[] = { "nodes", "edges", NULL };
	static const char *const inner[] = { "name", "imports", "file", "line", "col",
		"external", "address_taken", "caller", "callee", "indirect", NULL };
	const char *const *k;

	for (k = depth ? inner : top; *k; k++)
		if (strlen(*k) == len && memcmp(*k, key, len) == 0)
			return 1;
	return 0;
}

/*
 * The members of an adjacency object, each caller built alone in `sub` from
 * its text if the parser skipped it, so memory follows the largest caller.
 */
static void jg_adjacency_object(struct jg *j, const struct json_value *root,
    struct json_doc *sub)
{
	for (const struct json_value *m = root->child; m && j->status == SG_OK; m = m->next) {
		const struct json_value *callees = m;
		size_t klen;
		const char *key = json_key(m, &klen);

		if (m->type == JSON_SKIPPED) {
			char jerr[200];

			/* Checked by the first parse: only memory can fail here. */
			json_doc_reset(sub);
			callees = json_parse(sub, m->str, m->len, jerr, sizeof jerr);
			if (!callees) {
				jg_nomem(j);
				return;
			}
		}
		jg_adjacency(j, key, klen, callees, "caller");
	}
}

int jsongraph_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    char *err, size_t errsize)
{
	struct jg j = { g, name ? name : "<input>", err, errsize, SG_OK, NULL, 0 };
	if (errsize)
		err[0] = '\0';
	struct json_doc *doc = json_doc_new(), *sub = json_doc_new();
	if (!doc || !sub) {
		json_doc_free(doc);
		json_doc_free(sub);
		return jg_nomem(&j);
	}
	char jerr[200];
	const struct json_value *root = json_parse_keep(doc, buf, len, jg_keep, NULL, jerr,
	    sizeof jerr);
	if (!root) {
		jg_fail(&j, "%s", jerr);
	} else if (root->type == JSON_ARRAY) {
		size_t i = 0;
		for (const struct json_value *f = root->child; f && j.status == SG_OK;
		    f = f->next, i++) {
			const struct json_value *nm = jg_str(f, "name");
			if (f->type != JSON_OBJECT || !nm)
				jg_fail(&j, "[%zu]: not an object with a \"name\" string", i);
			else
				jg_adjacency(&j, nm->str, nm->len, json_get(f, "imports"), "function");
		}
	} else if (root->type == JSON_OBJECT) {
		const struct json_value *nodes = json_get(root, "nodes");
		const struct json_value *edges = json_get(root, "edges");
		/* Both keys: the plain form (a PyCG module named "nodes" has no
		 * sibling named "edges" in practice). */
		if (nodes && edges) {
			jg_plain(&j, nodes, edges);
		} else {
			jg_adjacency_object(&j, root, sub);
		}
	} else {
		jg_fail(&j, "expected an object or an array at the top level");
	}
	json_doc_free(doc);
	json_doc_free(sub);
	free(j.path);
	return j.status;
}

int jsongraph_parse_file(struct sgraph *g, const char *path, char *err, size_t errsize)
{
	struct sg_input in;
	int rc = sgraph_input_open(&in, path, err, errsize);
	if (rc != SG_OK)
		return rc;
	rc = jsongraph_parse_buffer(g, in.data, in.len, strcmp(path, "-") ? path : "<stdin>",
	    err, errsize);
	sgraph_input_close(&in);
	return rc;
}

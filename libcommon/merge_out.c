/*
 * merge_out.c - JSON, DOT, --focus and --why forms of a merged graph (see merge_out.h).
 */
#include "merge_out.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "lattice.h"
#include "sgraph.h"
#include "symname.h"

#define NAME_MAX_LEN 4096

static int is_runtime(const struct merge_edge *e)
{
	return e->edge_class == ES_CLASS_CONFIRMED || e->edge_class == ES_CLASS_CONFIRMED_INDIRECT ||
	    e->edge_class == ES_CLASS_RUNTIME_ONLY;
}

static int is_static(const struct merge_edge *e)
{
	return (e->evidence & ES_EV_STATIC) != 0;
}

const char *merge_flag_name(unsigned bit, char *buf, size_t size)
{
	const char *n = es_node_flag_name(bit);

	if (n)
		return n;
	if ((1u << bit) == MERGE_NODE_ALIAS)
		return "alias";
	snprintf(buf, size, "bit%u", bit);
	return buf;
}

/* ---- --focus ---- */

static int bfs(const struct merge *m, const uint32_t *start, size_t nstart, int backward,
    uint8_t *seen)
{
	size_t n = merge_node_count(m), head = 0, tail = 0, i;
	const struct merge_edge *e = merge_edges(m);
	uint32_t *q = malloc((n + 1) * sizeof(*q));

	if (!q)
		return -1;
	for (i = 0; i < nstart; i++)
		if (!seen[start[i]]) {
			seen[start[i]] = 1;
			q[tail++] = start[i];
		}
	while (head < tail) {
		uint32_t v = q[head++];
		size_t k, na;
		const uint32_t *adj = backward ? merge_in(m, v, &na) : merge_out(m, v, &na);

		for (k = 0; k < na; k++) {
			uint32_t w = backward ? e[adj[k]].caller : e[adj[k]].callee;

			if (!seen[w]) {
				seen[w] = 1;
				q[tail++] = w;
			}
		}
	}
	free(q);
	return 0;
}

/* Entry points, or the functions no edge enters when there are none. */
static uint32_t *roots(const struct merge *m, size_t *nroots)
{
	size_t n = merge_node_count(m), ne, i, k = 0;
	const uint32_t *ent = merge_entries(m, &ne);
	uint32_t *r = malloc((n + 1) * sizeof(*r));

	if (!r)
		return NULL;
	if (ne) {
		memcpy(r, ent, ne * sizeof(*r));
		*nroots = ne;
		return r;
	}
	for (i = 1; i <= n; i++) {
		size_t nin;

		merge_in(m, (uint32_t)i, &nin);
		if (!nin)
			r[k++] = (uint32_t)i;
	}
	*nroots = k;
	return r;
}

int merge_focus(const struct merge *m, uint32_t target, uint8_t **node_on, uint8_t **edge_on)
{
	size_t n = merge_node_count(m), ne = merge_edge_count(m), nr = 0, i;
	const struct merge_edge *e = merge_edges(m);
	uint8_t *fwd = calloc(n + 1, 1), *bwd = calloc(n + 1, 1);
	uint32_t *r = roots(m, &nr);
	int rc = -1;

	*node_on = calloc(n + 1, 1);
	*edge_on = calloc(ne + 1, 1);
	if (!fwd || !bwd || !r || !*node_on || !*edge_on)
		goto out;
	if (bfs(m, r, nr, 0, fwd) < 0 || bfs(m, &target, 1, 1, bwd) < 0)
		goto out;
	for (i = 1; i <= n; i++)
		(*node_on)[i] = fwd[i] && bwd[i];
	(*node_on)[target] = 1;
	for (i = 0; i < ne; i++)
		(*edge_on)[i] = fwd[e[i].caller] && bwd[e[i].callee];
	rc = 0;
out:
	if (rc < 0) {
		free(*node_on);
		free(*edge_on);
		*node_on = *edge_on = NULL;
	}
	free(fwd);
	free(bwd);
	free(r);
	return rc;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	json_put_string(f, s, strlen(s));
}

void merge_json_evidence(FILE *f, uint32_t ev)
{
	int first = 1;

	fputc('[', f);
	for (unsigned b = 0; b < 32; b++) {
		char buf[16];
		const char *n;

		if (!(ev & (1u << b)))
			continue;
		n = es_evidence_name(b);
		if (!n) {
			snprintf(buf, sizeof(buf), "bit%u", b);
			n = buf;
		}
		fputs(first ? "" : ",", f);
		json_str(f, n);
		first = 0;
	}
	fputc(']', f);
}

static const char *state_name(unsigned s, char *buf, size_t size)
{
	const char *n = es_state_name(s);

	if (n)
		return n;
	snprintf(buf, size, "state%u", s);
	return buf;
}

static const char *class_name(unsigned c, char *buf, size_t size)
{
	const char *n = es_class_name(c);

	if (n)
		return n;
	snprintf(buf, size, "class%u", c);
	return buf;
}

/* "constprop+any-file" for sgraph_resolve() how-bits. */
static const char *match_str(unsigned how, char *buf, size_t size)
{
	size_t len;

	symname_rules_str(how & 0xffffu, buf, size);
	len = strlen(buf);
	if (how & SG_MATCH_FILE_SUFFIX)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%sfile-suffix", len ? "+" : "");
	if (how & SG_MATCH_ANY_FILE && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%sany-file", len ? "+" : "");
	if (how & SG_MATCH_AMBIGUOUS && len < size)
		snprintf(buf + len, size - len, "%sambiguous", len ? "+" : "");
	return buf;
}

static const char *s_axis_name(unsigned s)
{
	return s == LATTICE_S_REACHABLE ? "reachable" : s == LATTICE_S_UNREACHABLE ? "unreachable" : "unknown";
}

static const char *r_axis_name(unsigned r)
{
	return r == LATTICE_R_OBSERVED ? "observed" : r == LATTICE_R_UNOBSERVED ? "unobserved" : "unknown";
}

static void json_node(const struct merge *m, FILE *f, uint32_t id)
{
	const struct merge_node *n = merge_node(m, id);
	const struct segmap_module *mod = merge_module(m, n->module);
	char name[NAME_MAX_LEN], buf[256];
	int first = 1;

	merge_node_name(m, id, name, sizeof(name));
	fprintf(f, "{\"id\":%u,\"name\":", id);
	json_str(f, name);
	fputs(",\"module\":", f);
	json_str(f, merge_str(m, mod->name, NULL));
	if (mod->id_kind) {
		es_build_id_format(mod->id_kind, mod->id, mod->id_len, buf, sizeof(buf));
		fputs(",\"build_id\":", f);
		json_str(f, buf);
	}
	if (n->symbol) {
		fputs(",\"symbol\":", f);
		json_str(f, merge_str(m, n->symbol, NULL));
	}
	if (n->offset)
		fprintf(f, ",\"offset\":%llu", (unsigned long long)n->offset);
	fputs(",\"state\":", f);
	json_str(f, state_name(n->state, buf, sizeof(buf)));
	fprintf(f, ",\"static\":\"%s\",\"runtime\":\"%s\"", s_axis_name(n->s_axis), r_axis_name(n->r_axis));
	fputs(",\"flags\":[", f);
	for (unsigned b = 0; b < 32; b++)
		if (n->flags & (1u << b)) {
			fputs(first ? "" : ",", f);
			json_str(f, merge_flag_name(b, buf, sizeof(buf)));
			first = 0;
		}
	fputc(']', f);
	if (n->file) {
		fputs(",\"file\":", f);
		json_str(f, merge_str(m, n->file, NULL));
		if (n->line)
			fprintf(f, ",\"line\":%u", n->line);
	}
	if (n->naliases) {
		fputs(",\"aliases\":[", f);
		for (uint32_t a = 0; a < n->naliases; a++) {
			fputs(a ? "," : "", f);
			json_str(f, merge_str(m, merge_alias(m, id, a), NULL));
		}
		fputs("],\"match\":", f);
		json_str(f, match_str(n->match, buf, sizeof(buf)));
	}
	fputc('}', f);
}

static void json_edge(const struct merge *m, FILE *f, const struct merge_edge *e)
{
	char name[NAME_MAX_LEN], buf[32];

	merge_node_name(m, e->caller, name, sizeof(name));
	fputs("{\"caller\":", f);
	json_str(f, name);
	merge_node_name(m, e->callee, name, sizeof(name));
	fputs(",\"callee\":", f);
	json_str(f, name);
	fprintf(f, ",\"caller_id\":%u,\"callee_id\":%u,\"class\":", e->caller, e->callee);
	json_str(f, class_name(e->edge_class, buf, sizeof(buf)));
	fputs(",\"evidence\":", f);
	merge_json_evidence(f, e->evidence);
	fprintf(f, ",\"count\":%llu", (unsigned long long)e->count);
	if (e->first_ns || e->last_ns)
		fprintf(f, ",\"first_seen\":%llu,\"last_seen\":%llu", (unsigned long long)e->first_ns,
		    (unsigned long long)e->last_ns);
	if (e->confidence)
		fprintf(f, ",\"confidence\":%u", e->confidence);
	if (e->site) {
		fputs(",\"site\":", f);
		json_str(f, merge_str(m, e->site, NULL));
	}
	fputc('}', f);
}

int merge_write_json(const struct merge *m, FILE *f, const struct merge_out_opts *o)
{
	size_t n = merge_node_count(m), ne = merge_edge_count(m), nent, i, k;
	const struct merge_edge *e = merge_edges(m);
	const uint32_t *ent = merge_entries(m, &nent);
	uint8_t *non = NULL, *eon = NULL;
	uint64_t by_class[ES_CLASS_MAX + 1], by_state[ES_STATE_MAX + 1], nn = 0, nedges = 0;
	const uint8_t *bid;
	size_t bid_len;
	const char *bmod = merge_binding_module(m, &bid, &bid_len);
	char name[NAME_MAX_LEN], buf[2 * ES_BUILD_ID_MAX + 1];

	if (o->focus && merge_focus(m, o->focus, &non, &eon) < 0)
		return -1;
	memset(by_class, 0, sizeof(by_class));
	memset(by_state, 0, sizeof(by_state));
	for (i = 1; i <= n; i++)
		if (!non || non[i]) {
			nn++;
			if (merge_node(m, (uint32_t)i)->state <= ES_STATE_MAX)
				by_state[merge_node(m, (uint32_t)i)->state]++;
		}
	for (i = 0; i < ne; i++)
		if (!eon || eon[i]) {
			nedges++;
			if (e[i].edge_class <= ES_CLASS_MAX)
				by_class[e[i].edge_class]++;
		}

	fputs("{\"format\":\"tracemerge-merge\",\"version\":1,\"producer\":", f);
	json_str(f, o->producer ? o->producer : "trace-merge");
	fputs(",\n\"binding\":{\"kind\":", f);
	json_str(f, merge_binding_name(merge_stats(m)->binding));
	if (bmod) {
		fputs(",\"module\":", f);
		json_str(f, bmod);
	}
	if (bid_len) {
		es_build_id_format(ES_ID_GNU, bid, bid_len, buf, sizeof(buf));
		fputs(",\"build_id\":", f);
		json_str(f, buf);
	}
	fputs("},\n\"static\":[", f);
	for (i = 0; merge_static_input(m, i); i++) {
		fputs(i ? "," : "", f);
		json_str(f, merge_static_input(m, i));
	}
	fputs("],\n\"entries\":[", f);
	for (i = 0; i < nent; i++) {
		merge_node_name(m, ent[i], name, sizeof(name));
		fputs(i ? "," : "", f);
		json_str(f, name);
	}
	fputc(']', f);
	if (o->focus) {
		merge_node_name(m, o->focus, name, sizeof(name));
		fputs(",\n\"focus\":", f);
		json_str(f, name);
	}
	fprintf(f, ",\n\"summary\":{\"nodes\":%llu,\"edges\":%llu,\"classes\":{",
	    (unsigned long long)nn, (unsigned long long)nedges);
	for (k = 1; k <= ES_CLASS_MAX; k++)
		fprintf(f, "%s\"%s\":%llu", k > 1 ? "," : "", es_class_name((unsigned)k),
		    (unsigned long long)by_class[k]);
	fputs("},\"states\":{", f);
	for (k = 1; k <= ES_STATE_MAX; k++)
		fprintf(f, "%s\"%s\":%llu", k > 1 ? "," : "", es_state_name((unsigned)k),
		    (unsigned long long)by_state[k]);
	fputs("}},\n\"nodes\":[", f);
	for (i = 1, k = 0; i <= n; i++) {
		if (non && !non[i])
			continue;
		fputs(k++ ? ",\n" : "\n", f);
		json_node(m, f, (uint32_t)i);
	}
	fputs("],\n\"edges\":[", f);
	for (i = 0, k = 0; i < ne; i++) {
		if (eon && !eon[i])
			continue;
		fputs(k++ ? ",\n" : "\n", f);
		json_edge(m, f, &e[i]);
	}
	fputs("]}\n", f);
	free(non);
	free(eon);
	return 0;
}

/* ---- DOT ---- */

static void dot_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Fill and font colour per lattice state. */
static void state_colours(unsigned state, const char **fill, const char **font)
{
	static const char *const fills[ES_STATE_MAX + 1] = {
		[ES_STATE_NONE] = "#ffffff",
		[ES_STATE_UNKNOWN] = "#ffffff",
		[ES_STATE_STATIC_REACHABLE] = "#d9f0d3",
		[ES_STATE_STATIC_UNREACHABLE] = "#e0e0e0",
		[ES_STATE_RUNTIME_OBSERVED] = "#fee090",
		[ES_STATE_RUNTIME_UNOBSERVED] = "#deebf7",
		[ES_STATE_CONFIRMED_REACHABLE] = "#5aae61",
		[ES_STATE_CONFIRMED_UNREACHABLE] = "#9e9e9e",
		[ES_STATE_CONTESTED] = "#f46d43",
	};

	*fill = state <= ES_STATE_MAX ? fills[state] : "#ffffff";
	*font = "#000000";
}

int merge_write_dot(const struct merge *m, FILE *f, const struct merge_out_opts *o)
{
	size_t n = merge_node_count(m), ne = merge_edge_count(m), i;
	const struct merge_edge *e = merge_edges(m);
	uint8_t *non = NULL, *eon = NULL;
	char name[NAME_MAX_LEN], buf[64];

	if (o->focus && merge_focus(m, o->focus, &non, &eon) < 0)
		return -1;
	fputs("digraph \"trace-merge\" {\n"
	    "\tgraph [rankdir=LR, fontname=\"Helvetica\", fontsize=10];\n"
	    "\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, "
	    "fillcolor=\"#ffffff\"];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=9];\n", f);
	for (i = 1; i <= n; i++) {
		const struct merge_node *nd = merge_node(m, (uint32_t)i);
		const char *fill, *font;

		if (non && !non[i])
			continue;
		state_colours(nd->state, &fill, &font);
		merge_node_name(m, (uint32_t)i, name, sizeof(name));
		fputc('\t', f);
		dot_quote(f, name);
		fprintf(f, " [fillcolor=\"%s\", fontcolor=\"%s\", tooltip=", fill, font);
		dot_quote(f, state_name(nd->state, buf, sizeof(buf)));
		if (nd->flags & ES_NODE_ENTRY)
			fputs(", penwidth=2", f);
		if (nd->flags & ES_NODE_EXTERNAL)
			fputs(", shape=ellipse", f);
		if (o->focus == i)
			fputs(", peripheries=2", f);
		fputs("];\n", f);
	}
	for (i = 0; i < ne; i++) {
		const struct merge_edge *x = &e[i];
		const char *style, *colour;

		if (eon && !eon[i])
			continue;
		switch (x->edge_class) {
		case ES_CLASS_CONFIRMED:
			style = "solid";
			colour = "#000000";
			break;
		case ES_CLASS_CONFIRMED_INDIRECT:
			style = "solid";
			colour = "#2166ac";
			break;
		case ES_CLASS_STATIC_ONLY:
			style = "dashed";
			colour = "#9e9e9e";
			break;
		case ES_CLASS_RUNTIME_ONLY:
			style = "solid";
			colour = "#d73027";
			break;
		default:
			style = "dotted";
			colour = "#000000";
			break;
		}
		fputc('\t', f);
		merge_node_name(m, x->caller, name, sizeof(name));
		dot_quote(f, name);
		fputs(" -> ", f);
		merge_node_name(m, x->callee, name, sizeof(name));
		dot_quote(f, name);
		fprintf(f, " [style=%s, color=\"%s\", tooltip=", style, colour);
		dot_quote(f, class_name(x->edge_class, buf, sizeof(buf)));
		if (is_runtime(x))
			fprintf(f, ", label=\"%llu\", fontcolor=\"%s\"", (unsigned long long)x->count, colour);
		fputs("];\n", f);
	}
	fputs("}\n", f);
	free(non);
	free(eon);
	return 0;
}

/* ---- --why ---- */

struct why {
	const struct merge *m;
	FILE *f;
	size_t n;
	uint32_t *q;			/* BFS queue */
	uint32_t *via;			/* per node: edge index + 1 toward the BFS source, 0 = unseen */
	uint32_t **paths;		/* printed paths (node lists, 0-terminated) to skip repeats */
	uint32_t *opener;		/* entry point ... first function with an indirect call site */
	size_t npaths, paths_cap;
};

/*
 * Shortest path from a start node to `to` over edges of one kind, never
 * through `avoid`: a breadth-first search backward from `to`. A start is an
 * entry point; else, for static paths, an address-taken function (reached
 * through the indirect call site of w->opener, prefixed); else, when
 * want_root, a node without callers of that kind. Returns the path (start
 * first, `to` last, then 0) or NULL when there is none or on allocation
 * failure (*oom set).
 */
static uint32_t *why_path(struct why *w, uint32_t to, uint32_t avoid, int runtime, int want_root,
    int *oom)
{
	const struct merge_edge *e = merge_edges(w->m);
	size_t head = 0, tail = 0, len = 0, plen = 0, i;
	uint32_t entry = 0, root = 0, taken = 0, start, v, *path;

	*oom = 0;
	w->q[tail++] = to;
	w->via[to] = UINT32_MAX;
	while (head < tail && !entry) {
		const struct merge_node *nd;
		size_t na, k, callers = 0;
		const uint32_t *adj;

		v = w->q[head++];
		nd = merge_node(w->m, v);
		if (nd->flags & ES_NODE_ENTRY) {
			entry = v;
			break;
		}
		if (!runtime && !taken && w->opener && (nd->flags & ES_NODE_ADDRESS_TAKEN) &&
		    nd->s_axis == LATTICE_S_REACHABLE)
			taken = v;
		adj = merge_in(w->m, v, &na);
		for (k = 0; k < na; k++) {
			const struct merge_edge *x = &e[adj[k]];

			if (runtime ? !is_runtime(x) : !is_static(x))
				continue;
			callers++;
			if (x->caller == avoid || w->via[x->caller])
				continue;
			w->via[x->caller] = adj[k] + 1;
			w->q[tail++] = x->caller;
		}
		if (!callers && !root)
			root = v;
	}
	start = entry ? entry : taken ? taken : want_root ? root : 0;
	path = NULL;
	if (start == taken && taken)
		while (w->opener[plen])
			plen++;
	if (start) {
		for (v = start; v != to; v = e[w->via[v] - 1].callee)
			len++;
		path = malloc((plen + len + 2) * sizeof(*path));
		if (!path) {
			*oom = 1;
		} else {
			i = 0;
			while (i < plen) {
				path[i] = w->opener[i];
				i++;
			}
			for (v = start; v != to; v = e[w->via[v] - 1].callee)
				path[i++] = v;
			path[i++] = to;
			path[i] = 0;
		}
	}
	for (i = 0; i < tail; i++)
		w->via[w->q[i]] = 0;
	return path;
}

/*
 * The shortest static path from an entry point to the nearest function with
 * an indirect call site (0-terminated, in w->opener): the site through which
 * the static search reaches address-taken functions. NULL when there is none.
 */
static int why_opener(struct why *w)
{
	const struct merge_edge *e = merge_edges(w->m);
	size_t nent, head = 0, tail = 0, i, len = 0;
	const uint32_t *ent = merge_entries(w->m, &nent);
	uint32_t found = 0, v;

	for (i = 0; i < nent; i++)
		if (!w->via[ent[i]]) {
			w->via[ent[i]] = UINT32_MAX;
			w->q[tail++] = ent[i];
		}
	while (head < tail && !found) {
		size_t na, k;
		const uint32_t *adj;

		v = w->q[head++];
		if (merge_node(w->m, v)->flags & ES_NODE_INDIRECT_SITE) {
			found = v;
			break;
		}
		adj = merge_out(w->m, v, &na);
		for (k = 0; k < na; k++) {
			const struct merge_edge *x = &e[adj[k]];

			if (!is_static(x) || w->via[x->callee])
				continue;
			w->via[x->callee] = adj[k] + 1;
			w->q[tail++] = x->callee;
		}
	}
	if (found) {
		for (v = found; w->via[v] != UINT32_MAX; v = e[w->via[v] - 1].caller)
			len++;
		w->opener = malloc((len + 2) * sizeof(*w->opener));
		if (w->opener) {
			w->opener[len + 1] = 0;
			for (v = found, i = len + 1; ; v = e[w->via[v] - 1].caller) {
				w->opener[--i] = v;
				if (w->via[v] == UINT32_MAX)
					break;
			}
		}
	}
	for (i = 0; i < tail; i++)
		w->via[w->q[i]] = 0;
	return found && !w->opener ? -1 : 0;
}

/* The edge a -> b (edges are sorted by caller, then callee). */
static const struct merge_edge *find_edge(const struct merge *m, uint32_t a, uint32_t b)
{
	size_t na, lo = 0, hi;
	const uint32_t *out = merge_out(m, a, &na);
	const struct merge_edge *e = merge_edges(m);

	hi = na;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (e[out[mid]].callee < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < na && e[out[lo]].callee == b ? &e[out[lo]] : NULL;
}

static int same_path(const uint32_t *a, const uint32_t *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/*
 * Print a path unless the same one was printed (then say which); takes
 * ownership of path. In a static path, a hop without a static edge is the
 * may-call of an address-taken function through an indirect call site.
 * 1 printed, 0 a repeat, -1 error.
 */
static int why_print(struct why *w, int runtime, unsigned number, uint32_t *path)
{
	const char *kind = runtime ? "runtime" : "static";
	char name[NAME_MAX_LEN], buf[32];
	void *p;

	for (size_t i = 0; i < w->npaths; i++)
		if (same_path(w->paths[i], path)) {
			fprintf(w->f, "%s path %u: runtime path %zu, every edge also static\n", kind, number,
			    i + 1);
			free(path);
			return 0;
		}
	p = w->paths;
	if (mem_grow(&p, &w->paths_cap, w->npaths + 1, sizeof(*w->paths)) < 0) {
		free(path);
		return -1;
	}
	w->paths = p;
	w->paths[w->npaths++] = path;
	merge_node_name(w->m, path[0], name, sizeof(name));
	fprintf(w->f, "%s path %u:\n  %s\n", kind, number, name);
	for (size_t i = 1; path[i]; i++) {
		const struct merge_edge *e = find_edge(w->m, path[i - 1], path[i]);
		int first = 1;

		merge_node_name(w->m, path[i], name, sizeof(name));
		if (!e || (!runtime && !is_static(e))) {
			char from[NAME_MAX_LEN];

			merge_node_name(w->m, path[i - 1], from, sizeof(from));
			fprintf(w->f, "    ~> %s  [may: address-taken, through an indirect call site in %s]\n",
			    name, from);
			continue;
		}
		fprintf(w->f, "    -> %s  [%s; ", name, class_name(e->edge_class, buf, sizeof(buf)));
		for (unsigned b = 0; b < 32; b++)
			if (e->evidence & (1u << b)) {
				const char *en = es_evidence_name(b);

				if (en)
					fprintf(w->f, "%s%s", first ? "" : ",", en);
				else
					fprintf(w->f, "%sbit%u", first ? "" : ",", b);
				first = 0;
			}
		if (is_runtime(e))
			fprintf(w->f, "; %llu call%s", (unsigned long long)e->count, e->count == 1 ? "" : "s");
		if (e->site)
			fprintf(w->f, "; %s", merge_str(w->m, e->site, NULL));
		fputs("]\n", w->f);
	}
	return 1;
}

struct caller {
	uint32_t node;
	uint64_t count;
};

static int caller_cmp(const void *a, const void *b)
{
	const struct caller *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Up to max paths of one kind: one per caller of target, busiest caller first. */
static int why_section(struct why *w, uint32_t target, int runtime, unsigned max, unsigned *printed)
{
	const struct merge_edge *e = merge_edges(w->m);
	size_t na, nc = 0, k;
	const uint32_t *adj = merge_in(w->m, target, &na);
	struct caller *c = malloc((na + 1) * sizeof(*c));
	unsigned number = 0;
	int rc = 0;

	*printed = 0;
	if (!c)
		return -1;
	for (k = 0; k < na; k++) {
		const struct merge_edge *x = &e[adj[k]];

		if (runtime ? !is_runtime(x) : !is_static(x))
			continue;
		if (x->caller == target)
			continue;
		c[nc].node = x->caller;
		c[nc++].count = runtime ? x->count : 0;
	}
	qsort(c, nc, sizeof(*c), caller_cmp);
	for (k = 0; k < nc && number < max; k++) {
		int oom, r;
		/* Runtime paths may start where observation starts; static ones at entry points. */
		uint32_t *path = why_path(w, c[k].node, target, runtime, runtime, &oom);

		if (!path) {
			if (oom) {
				rc = -1;
				break;
			}
			continue;
		}
		{
			size_t len = 0;
			uint32_t *full;

			while (path[len])
				len++;
			full = realloc(path, (len + 2) * sizeof(*full));
			if (!full) {
				free(path);
				rc = -1;
				break;
			}
			full[len] = target;
			full[len + 1] = 0;
			path = full;
		}
		r = why_print(w, runtime, number + 1, path);
		if (r < 0) {
			rc = -1;
			break;
		}
		number++;
	}
	/* Static: a function entered only through a pointer has no static caller. */
	if (rc == 0 && !runtime && !number && max &&
	    !(merge_node(w->m, target)->flags & ES_NODE_ENTRY)) {
		int oom, r;
		uint32_t *path = why_path(w, target, 0, 0, 0, &oom);

		if (path) {
			r = why_print(w, 0, 1, path);
			if (r < 0)
				rc = -1;
			else
				number++;
		} else if (oom) {
			rc = -1;
		}
	}
	free(c);
	*printed = number;
	return rc;
}

int merge_why(const struct merge *m, FILE *f, uint32_t target, unsigned max_paths)
{
	const struct merge_node *t = merge_node(m, target);
	size_t n = merge_node_count(m), nent, i;
	const uint32_t *ent = merge_entries(m, &nent);
	struct why w;
	char name[NAME_MAX_LEN], buf[32];
	unsigned nrt = 0, nst = 0;
	int reached, rc = -1;

	if (!t)
		return -1;
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.f = f;
	w.n = n;
	w.q = malloc((n + 1) * sizeof(*w.q));
	w.via = calloc(n + 1, sizeof(*w.via));
	if (!w.q || !w.via || why_opener(&w) < 0)
		goto out;
	reached = t->r_axis == LATTICE_R_OBSERVED || t->s_axis == LATTICE_S_REACHABLE;
	merge_node_name(m, target, name, sizeof(name));
	fprintf(f, "%s: %s (%s)\n", name, reached ? "reached" : "not reached",
	    state_name(t->state, buf, sizeof(buf)));
	if (t->flags & ES_NODE_ENTRY)
		fprintf(f, "  an entry point\n");
	if (why_section(&w, target, 1, max_paths, &nrt) < 0 ||
	    why_section(&w, target, 0, max_paths, &nst) < 0)
		goto out;
	if (!nrt) {
		if (t->r_axis == LATTICE_R_OBSERVED)
			fprintf(f, "  observed at runtime, with no observed caller\n");
		else if (t->r_axis == LATTICE_R_UNOBSERVED)
			fprintf(f, "  not observed: an exact entry probe was attached and never fired\n");
		else
			fprintf(f, "  no runtime path: never observed\n");
	}
	if (!nst && !(t->flags & ES_NODE_ENTRY)) {
		if (!t->in_static)
			fprintf(f, "  no static path: not in the static graph\n");
		else if (!nent)
			fprintf(f, "  no static path: no entry point in the static graph\n");
		else {
			fputs("  no static path from the entry points (", f);
			for (i = 0; i < nent && i < 8; i++) {
				merge_node_name(m, ent[i], name, sizeof(name));
				fprintf(f, "%s%s", i ? ", " : "", name);
			}
			fprintf(f, "%s)\n", nent > 8 ? ", ..." : "");
		}
	}
	rc = reached;
out:
	for (i = 0; i < w.npaths; i++)
		free(w.paths[i]);
	free(w.paths);
	free(w.opener);
	free(w.q);
	free(w.via);
	return rc;
}

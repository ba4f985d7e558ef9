/*
 * merge.c - the join behind trace-merge (see merge.h).
 *
 * Runtime streams are folded first, like trace-dedup does: segment-local ids
 * are mapped once to global tables by value (segmap.h, with the source file
 * part of every runtime function's identity), and each edge record costs two
 * array loads and one hash probe (chunks of probes are prefetched so their
 * cache misses overlap). Contexts and windows are not part of the key: the
 * merged graph has one edge per caller -> callee pair.
 *
 * Static graphs may load in a thread of their own (merge_static_begin): into
 * a private merge, whose graph and modules merge_static_wait() takes over,
 * so the two sides share no state while they load.
 *
 * merge_finish() then binds modules, resolves each distinct runtime function
 * once against the static graph, builds the merged graph (static nodes, then
 * runtime functions that matched nothing), renumbers it in canonical order
 * (module name, identity, symbol, offset), classifies edges, runs the static
 * reachability search from the entry points and joins the lattice states.
 */
#include "merge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "lattice.h"
#include "mem.h"
#include "segmap.h"
#include "sgraph.h"
#include "slotindex.h"
#include "staticload.h"
#include "strtab.h"
#include "symname.h"
#include "warncb.h"

#define CHUNK 1024

/* What the join adds to a module of the segmap. */
struct modx {
	uint8_t bound;		/* bound to the .ci/DOT/JSON static module */
	uint8_t warned;
	uint32_t votes;		/* matches, for an inferred binding */
};

/* What the join adds to a runtime function (a node of the segmap). */
struct rnodex {
	uint32_t mnode;			/* merged node (after merge_finish) */
	uint8_t observed, probed;
};

#define SN(m, i) ((m)->sm.nodes[(i)])		/* struct segmap_node: a runtime function */
#define SM(m, i) ((m)->sm.mods[(i)])		/* struct segmap_module */

struct redge {
	uint32_t caller, callee;	/* runtime node ids */
	uint64_t count, first, last;
	uint32_t evidence, site;
	uint8_t confidence;
};

/* A direct-mapped cache of call-site files (few, repeated for every edge). */
#define SITE_CACHE 1024
#define SITE_FILE_MAX 56
struct site_file {
	uint32_t len;			/* 0 = empty */
	uint32_t id;			/* sgraph string id */
	char text[SITE_FILE_MAX];
};

struct merge {
	struct merge_opts o;
	struct tm_err *err;
	struct merge_stats st;
	struct segmap sm;		/* strings, modules, runtime functions */
	struct modx *mx;		/* [1..sm.nmods] */
	size_t mx_cap;

	/* the static module's binding */
	unsigned binding;
	uint32_t bind_name;		/* string id */
	uint8_t bind_id[ES_BUILD_ID_MAX];
	size_t bind_id_len;
	int have_binary, bin_has_main;
	uint32_t *exports;		/* string ids of a shared library's exports */
	size_t nexports, exports_cap;

	/* static side */
	struct sgraph *g;
	struct segmap_idvec home;	/* per static node: module of a static stream, 0 = default */
	uint32_t *sentries;		/* static nodes flagged entry in static streams */
	size_t nsentries, sentries_cap;
	struct strtab static_paths;
	int home_warned;
	struct site_file *site_cache;	/* files of static call sites -> graph string ids */

	/* runtime side */
	struct rnodex *rx;		/* [1..sm.nnodes] */
	size_t rx_cap;
	struct redge *re;		/* [0..nre) */
	size_t nre, re_cap;
	struct slotindex ix;		/* over re */
	struct segmap_cov *covs;	/* on runtime nodes (merged nodes when written) */
	size_t ncovs, covs_cap;
	uint64_t start_ns, end_ns;
	uint32_t host;
	int host_mixed, any_segment;

	/* merge_static_begin(): a private merge loading static graphs in a thread */
	struct merge *loader;
	struct tm_err loader_err;
	pthread_t loader_thread;
	const char *const *loader_paths;
	size_t loader_n;
	int loader_format, loader_rc, loader_running;

	/* the merged graph */
	int finished;
	uint32_t default_mod;
	struct merge_node *nodes;	/* [1..nnodes] */
	size_t nnodes, nodes_cap;
	struct merge_edge *edges;
	size_t nedges, edges_bytes;
	uint32_t *aliases;
	size_t naliases, aliases_cap;
	uint32_t *out_off, *out_ids, *in_off, *in_ids;
	size_t adj_bytes;		/* of out_ids and in_ids each */
	uint32_t *entry_nodes;		/* merged ids, canonical order */
	size_t nentry_nodes;
};

static int nomem(struct merge *m)
{
	tm_err_set(m->err, TM_EXIT_ENV, "out of memory");
	return -1;
}

#define warnf(m, ...) warncb_printf((m)->o.warn, (m)->o.warn_arg, __VA_ARGS__)

/* ---- names ---- */

const char *merge_binding_name(unsigned b)
{
	static const char *const names[] = { "none", "build-id", "name", "inferred" };

	return b <= MERGE_BIND_INFERRED ? names[b] : "?";
}

/* ---- strings and modules ---- */

static const char *str(const struct merge *m, uint32_t sid)
{
	return segmap_str(&m->sm, sid);
}

const char *merge_str(const struct merge *m, uint32_t id, size_t *len)
{
	const char *s = strtab_get(&m->sm.strs, id, len);

	if (!s) {
		if (len)
			*len = 0;
		return "";
	}
	return s;
}

static uint32_t intern(struct merge *m, const char *s, size_t len)
{
	uint32_t id = segmap_intern(&m->sm, s, len);

	if (!id)
		nomem(m);
	return id;
}

static uint32_t intern_c(struct merge *m, const char *s)
{
	return s ? intern(m, s, strlen(s)) : 0;
}

/* Optional strings: set before unset, then bytewise. */
static int optstr_cmp(const struct merge *m, uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? -1 : 1;
	return strcmp(str(m, a), str(m, b));
}

/* Room in m->mx and m->rx for every module and runtime function of the segmap. 0 or -1. */
static int side_sync(struct merge *m)
{
	void *p = m->mx, *q = m->rx;
	int rc = segmap_side_grow(&p, &m->mx_cap, m->sm.nmods, sizeof(*m->mx));

	m->mx = p;
	if (rc == 0)
		rc = segmap_side_grow(&q, &m->rx_cap, m->sm.nnodes, sizeof(*m->rx));
	m->rx = q;
	return rc < 0 ? nomem(m) : 0;
}

/* The global module for a value (name, path, purl already interned). 0 on error. */
static uint32_t intern_module(struct merge *m, const struct segmap_module *k)
{
	uint32_t id = segmap_module_intern(&m->sm, k);

	if (id == SEGMAP_ERR) {
		nomem(m);
		return 0;
	}
	return side_sync(m) < 0 ? 0 : id;
}

/* Two modules are the same binary: same identity when both have one, else same name. */
static int mod_same(const struct merge *m, uint32_t a, uint32_t b)
{
	const struct segmap_module *x = &SM(m, a), *y = &SM(m, b);

	if (a == b)
		return 1;
	if (x->id_kind && y->id_kind)
		return x->id_kind == y->id_kind && x->id_len == y->id_len &&
		    memcmp(x->id, y->id, x->id_len) == 0;
	return x->name == y->name;
}

/* ---- runtime functions ---- */

/* A segment's node as a runtime function (segmap.h); 0 on error. */
static uint32_t map_rnode(struct merge *m, const struct es_reader *r, uint32_t rnid)
{
	uint32_t id = segmap_node(&m->sm, r, rnid);

	if (id == SEGMAP_ERR) {
		nomem(m);
		return 0;
	}
	return id;
}

/* ---- the runtime edge table ---- */

static inline uint64_t pair_hash(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

static uint64_t redge_hash(const void *ctx, size_t i)
{
	const struct redge *e = &((const struct merge *)ctx)->re[i];

	return pair_hash(e->caller, e->callee);
}

static inline void redge_fold(struct redge *a, const struct redge *b)
{
	a->count = es_count_add(a->count, b->count);
	if (b->first && (!a->first || b->first < a->first))
		a->first = b->first;
	if (b->last > a->last)
		a->last = b->last;
	a->evidence |= b->evidence;
	if (b->confidence > a->confidence)
		a->confidence = b->confidence;
	if (!a->site)
		a->site = b->site;
}

static int redge_probe(struct merge *m, const struct redge *k, uint64_t h)
{
	const struct slotindex *x = &m->ix;
	uint64_t s;
	size_t pos;
	void *p;

	if (x->nslots) {
		for (pos = slotindex_home(x, h); (s = x->slots[pos]) != 0; pos = slotindex_next(x, pos)) {
			struct redge *t = &m->re[slotindex_entry(s)];

			if (slotindex_tag_eq(s, h) && t->caller == k->caller && t->callee == k->callee) {
				redge_fold(t, k);
				return 0;
			}
		}
	}
	if (m->nre >= UINT32_MAX - 1)
		return nomem(m);
	/* Huge-page backed, like the index: fewer faults and TLB misses. */
	if (m->nre == m->re_cap) {
		p = m->re;
		if (mem_big_grow(&p, &m->re_cap, m->nre + 1, sizeof(*m->re)) < 0)
			return nomem(m);
		m->re = p;
	}
	if (slotindex_full(&m->ix, m->nre) && slotindex_grow(&m->ix, m->nre, redge_hash, m) < 0)
		return nomem(m);
	m->re[m->nre] = *k;
	slotindex_put(&m->ix, h, m->nre);
	m->nre++;
	return 0;
}

/* Fold at most CHUNK input edges. */
static int add_chunk(struct merge *m, const struct es_reader *r, const struct es_edge *in, size_t n)
{
	struct redge x[CHUNK];
	uint64_t h[CHUNK];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const struct es_edge *e = &in[i];
		struct redge *t = &x[k];

		/* Static-only edges (a merged stream given as runtime input) are not runtime evidence. */
		if (e->evidence == ES_EV_STATIC) {
			m->st.skipped_static++;
			continue;
		}
		t->caller = segmap_node(&m->sm, r, e->caller);
		t->callee = segmap_node(&m->sm, r, e->callee);
		t->site = e->site ? segmap_string(&m->sm, r, e->site) : 0;
		if (t->caller == SEGMAP_ERR || t->callee == SEGMAP_ERR || t->site == SEGMAP_ERR)
			return nomem(m);
		t->count = e->count;
		t->first = e->first_ns;
		t->last = e->last_ns;
		t->evidence = e->evidence & ~(uint32_t)ES_EV_STATIC;
		t->confidence = e->confidence;
		h[k] = pair_hash(t->caller, t->callee);
		k++;
	}
	slotindex_prefetch_start(&m->ix, h, k, m->re, sizeof(*m->re));
	for (i = 0; i < k; i++) {
		slotindex_prefetch_ahead(&m->ix, h, k, i, m->re, sizeof(*m->re));
		if (redge_probe(m, &x[i], h[i]) < 0)
			return -1;
	}
	m->st.records += n;
	return 0;
}

static int add_coverage(struct merge *m, const struct es_reader *r, const struct es_coverage *c)
{
	struct segmap_cov v;
	void *p;

	memset(&v, 0, sizeof(v));
	v.node = map_rnode(m, r, c->node);
	if (!v.node || side_sync(m) < 0)
		return -1;
	v.method = c->method;
	v.start = c->start_ns;
	v.end = c->end_ns;
	if (c->method == ES_COV_ENTRY_PROBE)
		m->rx[v.node].probed = 1;
	if (c->method == ES_COV_NONE)
		return 0;	/* defines the node, states no observation */
	p = m->covs;
	if (mem_grow(&p, &m->covs_cap, m->ncovs + 1, sizeof(*m->covs)) < 0)
		return nomem(m);
	m->covs = p;
	m->covs[m->ncovs++] = v;
	return 0;
}

static int begin_runtime_segment(struct merge *m, const struct es_header *h)
{
	uint32_t host = h->host ? intern_c(m, h->host) : 0;

	if (h->host && !host)
		return -1;
	segmap_segment(&m->sm);
	m->st.segments++;
	if (!m->any_segment)
		m->host = host;
	else if (host != m->host)
		m->host_mixed = 1;
	if (!host)
		m->host_mixed = 1;
	m->any_segment = 1;
	if (h->start_ns && (!m->start_ns || h->start_ns < m->start_ns))
		m->start_ns = h->start_ns;
	if (h->end_ns > m->end_ns)
		m->end_ns = h->end_ns;
	return 0;
}

int merge_add_runtime(struct merge *m, struct es_reader *r, struct progress *pg)
{
	uint64_t t0 = progress_now_ns();
	struct es_event ev;
	size_t i;
	int rc;

	if (m->finished) {
		tm_err_set(m->err, TM_EXIT_ENV, "internal error: merge already finished");
		return -1;
	}
	segmap_segment(&m->sm);
	while ((rc = es_reader_next(r, &ev)) > 0) {
		switch (ev.kind) {
		case ES_EVENT_HEADER:
			if (begin_runtime_segment(m, ev.header) < 0)
				return -1;
			break;
		case ES_EVENT_EDGES:
			for (i = 0; i < ev.nedges; i += CHUNK)
				if (add_chunk(m, r, ev.edges + i,
				    ev.nedges - i < CHUNK ? ev.nedges - i : CHUNK) < 0)
					return -1;
			if (pg)
				progress_update(pg, es_reader_bytes_in(r), m->st.records, m->nre);
			break;
		case ES_EVENT_COVERAGE:
			if (add_coverage(m, r, ev.coverage) < 0)
				return -1;
			break;
		case ES_EVENT_TRAILER:
			for (i = 0; i < ev.trailer->nlosses; i++)
				if (segmap_loss(&m->sm, ev.trailer->losses[i].name, ev.trailer->losses[i].count) < 0)
					return nomem(m);
			break;
		default:
			break;
		}
	}
	m->st.runtime_ns += progress_now_ns() - t0;
	return rc;
}

/* ---- static graphs ---- */

/*
 * The module of a static stream's function. A declaration (an external node)
 * only names a module: any definition replaces it, and two declarations in
 * different modules are not a conflict. Two definitions in different modules
 * are: the first is kept, with a warning.
 */
#define HOME_DECLARED 0x80000000u

static int home_set(struct merge *m, uint32_t sn, uint32_t mod, int declared)
{
	uint32_t *slot = segmap_idvec_slot(&m->home, sn), h;

	if (!slot)
		return nomem(m);
	h = *slot;
	if (!h || ((h & HOME_DECLARED) && !declared)) {
		*slot = mod | (declared ? HOME_DECLARED : 0);
		return 0;
	}
	if (declared || (h & HOME_DECLARED) || h == mod)
		return 0;
	if (!m->home_warned++)
		warnf(m, "static stream: '%s' is defined in modules %s and %s; treated as one function",
		    sgraph_str(m->g, sgraph_nodes(m->g)[sn].name), str(m, SM(m, h).name),
		    str(m, SM(m, mod).name));
	return 0;
}

static uint32_t home_of(const struct merge *m, uint32_t sn)
{
	return sn < m->home.cap ? m->home.v[sn] & ~HOME_DECLARED : 0;
}

static int add_sentry(struct merge *m, uint32_t sn)
{
	void *p = m->sentries;

	if (mem_grow(&p, &m->sentries_cap, m->nsentries + 1, sizeof(*m->sentries)) < 0)
		return nomem(m);
	m->sentries = p;
	m->sentries[m->nsentries++] = sn;
	return 0;
}

/* A static stream node -> static graph node (SG_NONE on error). */
static uint32_t static_stream_node(struct merge *m, const struct es_reader *r, uint32_t rnid)
{
	const struct es_node *n;
	uint32_t *slot, sn, mod;
	const char *sym, *file, *name;
	size_t symlen = 0, flen = 0, nlen;
	char buf[40];

	slot = segmap_idvec_slot(&m->sm.seg_node, rnid);
	if (!slot) {
		nomem(m);
		return SG_NONE;
	}
	if (*slot)
		return *slot - 1;
	n = es_reader_node(r, rnid);
	mod = segmap_module(&m->sm, r, n->module);
	if (mod == SEGMAP_ERR) {
		nomem(m);
		return SG_NONE;
	}
	sym = n->symbol ? es_reader_string(r, n->symbol, &symlen) : NULL;
	if (!sym) {
		symlen = (size_t)snprintf(buf, sizeof(buf), "+0x%llx", (unsigned long long)n->offset);
		sym = buf;
	}
	if (!symname_split_file(sym, symlen, &file, &flen, &name, &nlen)) {
		file = NULL;
		flen = 0;
	}
	sn = sgraph_node(m->g, name, nlen, file, flen);
	if (sn == SG_NONE) {
		nomem(m);
		return SG_NONE;
	}
	sgraph_set_flags(m->g, sn, (n->flags & ES_NODE_EXTERNAL) ? SG_NODE_DECLARED : SG_NODE_DEFINED);
	if (n->flags & ES_NODE_ADDRESS_TAKEN)
		sgraph_set_flags(m->g, sn, SG_NODE_ADDR_TAKEN);
	if ((n->flags & ES_NODE_INDIRECT_SITE) && sgraph_add_isite(m->g, sn, NULL) == SG_NONE) {
		nomem(m);
		return SG_NONE;
	}
	if (n->file) {
		size_t fl;
		const char *f = es_reader_string(r, n->file, &fl);
		struct sg_loc loc = { sgraph_intern(m->g, f, fl), n->line, 0 };

		if (loc.file == SG_NONE) {
			nomem(m);
			return SG_NONE;
		}
		sgraph_set_loc(m->g, sn, &loc);
	}
	if (home_set(m, sn, mod, (n->flags & ES_NODE_EXTERNAL) != 0) < 0)
		return SG_NONE;
	if ((n->flags & ES_NODE_ENTRY) && add_sentry(m, sn) < 0)
		return SG_NONE;
	*slot = sn + 1;
	return sn;
}

static int static_stream_site(struct merge *m, const struct es_reader *r, uint32_t site,
    struct sg_loc *loc)
{
	const char *s;
	size_t len, flen;

	memset(loc, 0, sizeof(*loc));
	if (!site)
		return 0;
	s = es_reader_string(r, site, &len);
	if (!s || !sgraph_loc_split(s, len, &flen, &loc->line, &loc->col))
		return 0;
	if (flen && flen <= SITE_FILE_MAX) {
		struct site_file *c;

		if (!m->site_cache && !(m->site_cache = calloc(SITE_CACHE, sizeof(*m->site_cache))))
			return nomem(m);
		c = &m->site_cache[mem_hash(s, flen, 0x517e) & (SITE_CACHE - 1)];
		if (c->len == flen && memcmp(c->text, s, flen) == 0) {
			loc->file = c->id;
			return 0;
		}
		loc->file = sgraph_intern(m->g, s, flen);
		if (loc->file == SG_NONE)
			return nomem(m);
		c->len = (uint32_t)flen;
		c->id = loc->file;
		memcpy(c->text, s, flen);
		return 0;
	}
	loc->file = sgraph_intern(m->g, s, flen);
	return loc->file == SG_NONE ? nomem(m) : 0;
}

/* A node of a merged stream whose state says a static graph knew it. */
static int static_state_known(const struct es_reader *r, uint32_t node)
{
	unsigned sa, ra;
	const struct es_node *n = es_reader_node(r, node);

	return n->state && lattice_axes(n->state, &sa, &ra) == 0 && sa != LATTICE_S_UNKNOWN;
}

static int load_static_stream(struct merge *m, int fd, const char *name, struct progress *pg)
{
	struct es_reader_opts ropts = { 0 };
	struct es_reader *r = es_reader_new(fd, name, &ropts, m->err);
	struct es_event ev;
	uint64_t nedges = 0;
	int rc;

	if (!r)
		return -1;
	segmap_segment(&m->sm);
	while ((rc = es_reader_next(r, &ev)) > 0) {
		if (ev.kind == ES_EVENT_HEADER) {
			segmap_segment(&m->sm);
		} else if (ev.kind == ES_EVENT_EDGES) {
			for (size_t i = 0; i < ev.nedges; i++) {
				const struct es_edge *e = &ev.edges[i];
				uint32_t a, b;
				struct sg_loc loc;

				if (e->evidence && !(e->evidence & ES_EV_STATIC)) {
					/* A runtime-only edge of a merged stream: not a static
					 * edge, but its ends may be static functions. */
					if ((static_state_known(r, e->caller) &&
					    static_stream_node(m, r, e->caller) == SG_NONE) ||
					    (static_state_known(r, e->callee) &&
					    static_stream_node(m, r, e->callee) == SG_NONE))
						goto fail;
					continue;
				}
				a = static_stream_node(m, r, e->caller);
				b = a == SG_NONE ? SG_NONE : static_stream_node(m, r, e->callee);
				if (b == SG_NONE || static_stream_site(m, r, e->site, &loc) < 0)
					goto fail;
				if (sgraph_add_edge(m->g, a, b, e->site ? &loc : NULL) == SG_NONE) {
					nomem(m);
					goto fail;
				}
			}
			nedges += ev.nedges;
			if (pg)
				progress_update(pg, es_reader_bytes_in(r), nedges, 0);
		} else if (ev.kind == ES_EVENT_COVERAGE && ev.coverage->method == ES_COV_NONE) {
			/* A node no edge mentions (trace-merge writes them so), unless
			 * its state says no static graph knew it. */
			if (es_reader_node(r, ev.coverage->node)->state &&
			    !static_state_known(r, ev.coverage->node))
				continue;
			if (static_stream_node(m, r, ev.coverage->node) == SG_NONE)
				goto fail;
		}
	}
	segmap_segment(&m->sm);
	es_reader_free(r);
	return rc;
fail:
	segmap_segment(&m->sm);
	es_reader_free(r);
	return -1;
}

static int record_static_path(struct merge *m, const char *path)
{
	if (!strtab_append(&m->static_paths, path, strlen(path)))
		return nomem(m);
	return 0;
}

/* staticload.h's reader of edge streams: into the static graph, with their modules. */
static int static_stream_cb(void *arg, int fd, const char *name)
{
	return load_static_stream(arg, fd, name, NULL);
}

int merge_add_static(struct merge *m, const char *path, int format)
{
	uint64_t t0 = progress_now_ns();
	int rc;

	if (m->finished || m->loader_running) {
		tm_err_set(m->err, TM_EXIT_ENV, "internal error: static graphs added out of turn");
		return -1;
	}
	if (record_static_path(m, path) < 0)
		return -1;
	m->st.static_inputs++;
	rc = staticload_path(m->g, path, format, static_stream_cb, m, m->err);
	m->st.static_ns += progress_now_ns() - t0;
	return rc;
}

/* ---- --binary ---- */

int merge_bind_binary(struct merge *m, const char *path)
{
	struct elfsym *es = elfsym_open(path, -1, path, m->err);
	const uint8_t *id;
	const char *base;
	size_t len, i, n;

	if (!es)
		return -1;
	len = elfsym_build_id(es, &id);
	if (len > ES_BUILD_ID_MAX)
		len = 0;
	memcpy(m->bind_id, id, len);
	m->bind_id_len = len;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!m->o.module && !(m->bind_name = intern_c(m, base)))
		goto fail;
	m->binding = len ? MERGE_BIND_BUILD_ID : MERGE_BIND_NAME;
	m->have_binary = 1;
	/* An executable defines main; anything else is a library, entered by its exports. */
	n = elfsym_count(es);
	for (i = 0; i < n; i++) {
		const struct elfsym_sym *s = elfsym_at(es, i);

		if (s->bind != 0 /* STB_LOCAL */ && strcmp(s->name, "main") == 0)
			m->bin_has_main = 1;
	}
	if (!m->bin_has_main) {
		for (i = 0; i < n; i++) {
			const struct elfsym_sym *s = elfsym_at(es, i);
			void *p = m->exports;

			if (s->bind == 0)
				continue;
			if (mem_grow(&p, &m->exports_cap, m->nexports + 1, sizeof(*m->exports)) < 0) {
				nomem(m);
				goto fail;
			}
			m->exports = p;
			if (!(m->exports[m->nexports++] = intern_c(m, s->name)))
				goto fail;
		}
	}
	elfsym_close(es);
	return 0;
fail:
	elfsym_close(es);
	return -1;
}

/* ---- loading static graphs beside the runtime streams ---- */

static void *loader_main(void *arg)
{
	struct merge *m = arg;

	m->loader_rc = 0;
	for (size_t i = 0; i < m->loader_n && m->loader_rc == 0; i++)
		m->loader_rc = merge_add_static(m->loader, m->loader_paths[i], m->loader_format);
	/* The graph's indices too, while the runtime streams are still being read. */
	if (m->loader_rc == 0 && sgraph_finish(m->loader->g) < 0) {
		tm_err_set(&m->loader_err, TM_EXIT_ENV, "out of memory");
		m->loader_rc = -1;
	}
	return NULL;
}

int merge_static_begin(struct merge *m, const char *const *paths, size_t n, int format)
{
	struct merge_opts o = m->o;
	int rc;

	if (m->finished || m->loader || sgraph_node_count(m->g)) {
		tm_err_set(m->err, TM_EXIT_ENV, "internal error: static graphs added out of turn");
		return -1;
	}
	o.module = NULL;
	o.entries = NULL;
	o.nentries = 0;
	tm_err_clear(&m->loader_err);
	m->loader = merge_new(&o, &m->loader_err);
	if (!m->loader) {
		tm_err_set(m->err, TM_EXIT_ENV, "out of memory");
		return -1;
	}
	m->loader_paths = paths;
	m->loader_n = n;
	m->loader_format = format;
	rc = pthread_create(&m->loader_thread, NULL, loader_main, m);
	if (rc != 0) {
		/* No thread: load here. */
		loader_main(m);
		return merge_static_wait(m);
	}
	m->loader_running = 1;
	return 0;
}

/* Move the static side of `from` (which read no runtime stream) into m. */
static int take_static(struct merge *m, struct merge *from)
{
	uint32_t *xlat = calloc(from->sm.nmods + 1, sizeof(*xlat));
	size_t i;

	if (!xlat)
		return nomem(m);
	for (i = 1; i <= from->sm.nmods; i++) {
		const struct segmap_module *fm = &SM(from, i);
		struct segmap_module k = *fm;

		k.name = intern_c(m, str(from, fm->name));
		k.path = fm->path ? intern_c(m, str(from, fm->path)) : 0;
		k.purl = fm->purl ? intern_c(m, str(from, fm->purl)) : 0;
		if (!k.name || (fm->path && !k.path) || (fm->purl && !k.purl) ||
		    !(xlat[i] = intern_module(m, &k))) {
			free(xlat);
			return -1;
		}
	}
	sgraph_free(m->g);
	m->g = from->g;
	from->g = NULL;
	segmap_idvec_free(&m->home);
	m->home = from->home;
	memset(&from->home, 0, sizeof(from->home));
	for (i = 0; i < m->home.cap; i++)
		if (m->home.v[i])
			m->home.v[i] = xlat[m->home.v[i] & ~HOME_DECLARED] | (m->home.v[i] & HOME_DECLARED);
	free(xlat);
	free(m->sentries);
	m->sentries = from->sentries;
	m->nsentries = from->nsentries;
	m->sentries_cap = from->sentries_cap;
	from->sentries = NULL;
	for (i = 1; i <= from->static_paths.n; i++)
		if (record_static_path(m, strtab_get(&from->static_paths, (uint32_t)i, NULL)) < 0)
			return -1;
	m->st.static_inputs += from->st.static_inputs;
	m->st.static_ns += from->st.static_ns;
	return 0;
}

int merge_static_wait(struct merge *m)
{
	int rc;

	if (!m->loader)
		return 0;
	if (m->loader_running) {
		pthread_join(m->loader_thread, NULL);
		m->loader_running = 0;
	}
	rc = m->loader_rc;
	if (rc < 0)
		tm_err_set(m->err, m->loader_err.code ? m->loader_err.code : TM_EXIT_ENV, "%s",
		    m->loader_err.msg[0] ? m->loader_err.msg : "cannot load the static graphs");
	else
		rc = take_static(m, m->loader);
	merge_free(m->loader);
	m->loader = NULL;
	return rc;
}

/* ---- lifecycle ---- */

struct merge *merge_new(const struct merge_opts *opts, struct tm_err *err)
{
	struct merge *m = calloc(1, sizeof(*m));

	if (!m) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	m->o = *opts;
	m->err = err;
	segmap_init(&m->sm);
	m->sm.file_key = 1;
	strtab_init(&m->static_paths);
	m->g = sgraph_new();
	if (!m->g) {
		free(m);
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	if (opts->module) {
		m->bind_name = intern_c(m, opts->module);
		if (!m->bind_name) {
			merge_free(m);
			return NULL;
		}
		m->binding = MERGE_BIND_NAME;
	}
	return m;
}

void merge_free(struct merge *m)
{
	if (!m)
		return;
	if (m->loader_running) {
		pthread_join(m->loader_thread, NULL);
		m->loader_running = 0;
	}
	merge_free(m->loader);
	segmap_free(&m->sm);
	strtab_free(&m->static_paths);
	mem_big_free(m->mx, m->mx_cap * sizeof(*m->mx));
	free(m->exports);
	sgraph_free(m->g);
	segmap_idvec_free(&m->home);
	free(m->sentries);
	free(m->site_cache);
	mem_big_free(m->rx, m->rx_cap * sizeof(*m->rx));
	if (m->re)
		mem_big_free(m->re, m->re_cap * sizeof(*m->re));
	slotindex_free(&m->ix);
	free(m->covs);
	mem_big_free(m->nodes, m->nodes_cap * sizeof(*m->nodes));
	if (m->edges)
		mem_big_free(m->edges, m->edges_bytes);
	free(m->aliases);
	free(m->out_off);
	mem_big_free(m->out_ids, m->adj_bytes);
	free(m->in_off);
	mem_big_free(m->in_ids, m->adj_bytes);
	free(m->entry_nodes);
	free(m);
}

/* ---- the join ---- */

/* Pre-renumbering state of merge_finish(). */
struct join {
	uint32_t *sn_of;		/* per runtime node: matched static node, SG_NONE */
	unsigned *how_of;		/* per runtime node: sgraph_resolve() how-bits */
	uint8_t *rt;			/* per merged edge: has runtime records */
	uint32_t *rank;			/* old merged id -> canonical id */
	uint8_t *reach;			/* per static node: statically reachable */
	int have_entries;
};

/* A static node the static graph only declares, or may (a DOT leaf). */
static int sg_maybe_external(const struct merge *m, uint32_t sn)
{
	const struct sg_node *n = &sgraph_nodes(m->g)[sn];
	size_t nout;

	if (n->flags & SG_NODE_EXTERNAL)
		return 1;
	if (n->flags & (SG_NODE_DEFINED | SG_NODE_DECLARED))
		return 0;
	sgraph_out(m->g, sn, &nout);
	if (nout)
		return 0;
	sgraph_node_isites(m->g, sn, &nout);
	return nout == 0;
}

static int sg_defined(const struct merge *m, uint32_t sn)
{
	const struct sg_node *n = &sgraph_nodes(m->g)[sn];

	if (n->flags & SG_NODE_EXTERNAL)
		return 0;
	return (n->flags & SG_NODE_DEFINED) || !sg_maybe_external(m, sn);
}

/* Resolve every symbolized runtime node once. */
static int resolve_runtime(struct merge *m, struct join *j)
{
	size_t i;

	j->sn_of = malloc((m->sm.nnodes + 1) * sizeof(*j->sn_of));
	j->how_of = calloc(m->sm.nnodes + 1, sizeof(*j->how_of));
	if (!j->sn_of || !j->how_of)
		return nomem(m);
	for (i = 1; i <= m->sm.nnodes; i++)
		j->sn_of[i] = staticload_resolve(m->g, &m->sm, (uint32_t)i, &j->how_of[i]);
	return 0;
}

static void bind_modules(struct merge *m, const struct join *j)
{
	size_t i;

	if (m->binding == MERGE_BIND_BUILD_ID || m->binding == MERGE_BIND_NAME) {
		char want[2 * ES_BUILD_ID_MAX + 1], got[2 * ES_BUILD_ID_MAX + 1];

		for (i = 1; i <= m->sm.nmods; i++) {
			const struct segmap_module *g = &SM(m, i);
			struct modx *x = &m->mx[i];

			if (m->binding == MERGE_BIND_BUILD_ID && g->id_kind) {
				x->bound = g->id_kind == ES_ID_GNU && g->id_len == m->bind_id_len &&
				    memcmp(g->id, m->bind_id, m->bind_id_len) == 0;
				if (!x->bound && g->name == m->bind_name && !x->warned++) {
					es_build_id_format(ES_ID_GNU, m->bind_id, m->bind_id_len, want, sizeof(want));
					es_build_id_format(g->id_kind, g->id, g->id_len, got, sizeof(got));
					warnf(m, "runtime module %s has build id %s, not the --binary's %s: "
					    "not joined (a different build?)", str(m, g->name), got, want);
				}
			} else {
				x->bound = g->name == m->bind_name;
			}
		}
		return;
	}
	/* Inferred: the runtime module whose functions match the most defined static ones. */
	if (!sgraph_node_count(m->g) || !m->sm.nnodes)
		return;
	for (i = 1; i <= m->sm.nnodes; i++) {
		uint32_t sn = j->sn_of[i];

		if (sn != SG_NONE && !home_of(m, sn) && sg_defined(m, sn))
			m->mx[SN(m, i).module].votes++;
	}
	{
		uint32_t best = 0;

		for (i = 1; i <= m->sm.nmods; i++)
			if (m->mx[i].votes && (!best || m->mx[i].votes > m->mx[best].votes ||
			    (m->mx[i].votes == m->mx[best].votes && segmap_module_cmp(&m->sm, (uint32_t)i, best) < 0)))
				best = (uint32_t)i;
		if (best) {
			m->mx[best].bound = 1;
			m->binding = MERGE_BIND_INFERRED;
			m->bind_name = SM(m, best).name;
		}
	}
}

/* The module of default-scope static functions that no runtime function matched. */
static int pick_default_module(struct merge *m)
{
	struct segmap_module k;
	uint32_t only = 0;
	size_t i, nbound = 0;
	uint8_t *used = calloc(m->sm.nmods + 1, 1);

	if (!used)
		return nomem(m);
	for (i = 1; i <= m->sm.nnodes; i++)
		used[SN(m, i).module] = 1;
	for (i = 1; i <= m->sm.nmods; i++)
		if (m->mx[i].bound && used[i]) {
			nbound++;
			only = (uint32_t)i;
		}
	free(used);
	if (nbound == 1) {
		m->default_mod = only;
		return 0;
	}
	memset(&k, 0, sizeof(k));
	k.name = m->bind_name ? m->bind_name : intern_c(m, "static");
	if (!k.name)
		return -1;
	if (m->binding == MERGE_BIND_BUILD_ID) {
		k.id_kind = ES_ID_GNU;
		k.id_len = (uint32_t)m->bind_id_len;
		memcpy(k.id, m->bind_id, m->bind_id_len);
	}
	m->default_mod = intern_module(m, &k);
	return m->default_mod ? 0 : -1;
}

static int accept_match(const struct merge *m, uint32_t sn, const struct segmap_node *r)
{
	uint32_t home = home_of(m, sn);

	if (home)
		return mod_same(m, home, r->module) || sg_maybe_external(m, sn);
	return m->mx[r->module].bound || sg_maybe_external(m, sn);
}

static uint32_t new_node(struct merge *m)
{
	void *p = m->nodes;

	if (m->nnodes >= SG_MAX_NODES || mem_big_grow(&p, &m->nodes_cap, m->nnodes + 2, sizeof(*m->nodes)) < 0)
		return nomem(m), 0;
	m->nodes = p;
	memset(&m->nodes[m->nnodes + 1], 0, sizeof(m->nodes[0]));
	m->nodes[m->nnodes + 1].sg = SG_NONE;
	return (uint32_t)++m->nnodes;
}

/* The merged string of static string id, through a per-id cache (0 = not yet). */
static uint32_t static_str(struct merge *m, uint32_t *cache, uint32_t id)
{
	if (!cache[id])
		cache[id] = intern_c(m, sgraph_str(m->g, id));
	return cache[id];
}

/* Merged nodes: every static node (id = static id + 1), then unmatched runtime nodes. */
static int build_nodes(struct merge *m, struct join *j)
{
	const struct sg_node *sn = sgraph_nodes(m->g);
	size_t ns = sgraph_node_count(m->g), i;
	uint8_t *rebound = NULL;
	/* Many static functions share a file: each file is interned once. */
	uint32_t *str_of = calloc(sgraph_str_count(m->g), sizeof(*str_of));
	char buf[4096];

	if (!str_of)
		return nomem(m);
	for (i = 0; i < ns; i++) {
		const struct sg_node *s = &sn[i];
		uint32_t id = new_node(m);
		struct merge_node *n;
		size_t len;

		if (!id)
			goto fail;
		n = &m->nodes[id];
		n->sg = (uint32_t)i;
		n->module = home_of(m, (uint32_t)i) ? home_of(m, (uint32_t)i) : m->default_mod;
		if (s->file) {
			len = (size_t)snprintf(buf, sizeof(buf), "%s:%s", sgraph_str(m->g, s->file),
			    sgraph_str(m->g, s->name));
			if (len >= sizeof(buf))
				len = sizeof(buf) - 1;
			n->symbol = intern(m, buf, len);
		} else {
			n->symbol = static_str(m, str_of, s->name);
		}
		if (!n->symbol || (s->loc.file && !(n->file = static_str(m, str_of, s->loc.file))))
			goto fail;
		n->line = s->loc.line;
		n->in_static = 1;
		if (s->flags & SG_NODE_EXTERNAL)
			n->flags |= ES_NODE_EXTERNAL;
		if (s->flags & SG_NODE_ADDR_TAKEN)
			n->flags |= ES_NODE_ADDRESS_TAKEN;
		if (s->flags & SG_NODE_INDIRECT)
			n->flags |= ES_NODE_INDIRECT_SITE;
	}
	free(str_of);
	rebound = calloc(ns + 1, 1);
	if (!rebound)
		return nomem(m);
	for (i = 1; i <= m->sm.nnodes; i++) {
		const struct segmap_node *r = &SN(m, i);
		struct rnodex *rx = &m->rx[i];
		uint32_t s = j->sn_of[i];
		struct merge_node *n;

		if (s != SG_NONE && (j->how_of[i] & SG_MATCH_AMBIGUOUS)) {
			/* Several static functions fit equally well: guessing would be wrong. */
			m->st.ambiguous++;
			s = SG_NONE;
		}
		if (s != SG_NONE && accept_match(m, s, r)) {
			rx->mnode = s + 1;
			n = &m->nodes[rx->mnode];
			if (!rebound[s] || segmap_module_cmp(&m->sm, r->module, n->module) < 0)
				n->module = r->module;
			rebound[s] = 1;
			m->st.matched++;
		} else {
			uint32_t id = new_node(m);

			j->sn_of[i] = SG_NONE;
			if (!id) {
				free(rebound);
				return -1;
			}
			rx->mnode = id;
			n = &m->nodes[id];
			n->module = r->module;
			n->symbol = r->symbol;
			n->offset = r->offset;
			n->file = r->file;
			n->line = r->line;
			if (m->mx[r->module].bound)
				m->st.unmatched_bound++;
		}
		n->flags |= r->flags;
		n->state = lattice_join(n->state, r->state);
		if (r->symbol && r->offset && (!n->offset || r->offset < n->offset))
			n->offset = r->offset;
		if (!n->file && r->file) {
			n->file = r->file;
			n->line = r->line;
		}
		n->in_runtime |= rx->observed;
		if (rx->observed)
			n->r_axis = LATTICE_R_OBSERVED;
		else if (rx->probed && n->r_axis < LATTICE_R_UNOBSERVED)
			n->r_axis = LATTICE_R_UNOBSERVED;
	}
	free(rebound);
	return 0;
fail:
	free(str_of);
	return -1;
}

/* A sort key of the merged edge build: (caller, callee), then input order. */
struct ekey {
	uint64_t key;			/* caller << 32 | callee, canonical ids */
	uint32_t idx;			/* < nstatic: static edge; else runtime edge idx - nstatic */
	uint32_t pad;
};

#define RADIX_BITS 11

/* Stable LSD radix sort on key (11-bit digits: the buckets stay in cache), ping-ponging with tmp. */
static void ekey_sort(struct ekey **a, struct ekey **tmp, size_t n, uint64_t maxkey)
{
	size_t count[1u << RADIX_BITS];

	for (unsigned shift = 0; shift < 64; shift += RADIX_BITS) {
		struct ekey *src = *a, *dst = *tmp;
		const uint64_t mask = (1u << RADIX_BITS) - 1;
		size_t i, sum = 0;

		if (shift && (maxkey >> shift) == 0)
			break;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].key >> shift) & mask]++;
		for (i = 0; i <= mask; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & mask]++] = src[i];
		*a = dst;
		*tmp = src;
	}
}

/* "file:line" into buf (size >= 16); returns the length, truncating a long file. */
static size_t site_format(char *buf, size_t size, const char *file, size_t flen, uint32_t line)
{
	char digits[12];
	size_t nd = 0, len;

	do {
		digits[nd++] = (char)('0' + line % 10);
		line /= 10;
	} while (line);
	if (flen > size - nd - 2)
		flen = size - nd - 2;
	memcpy(buf, file, flen);
	len = flen;
	buf[len++] = ':';
	while (nd)
		buf[len++] = digits[--nd];
	buf[len] = '\0';
	return len;
}

/*
 * The merged edges, sorted by (caller, callee): every static edge and every
 * runtime edge keyed by its canonical ends, radix-sorted (stable, so a pair's
 * static edges come first, in static order), then folded pair by pair.
 */
static int build_edges(struct merge *m, struct join *j)
{
	const struct sg_edge *se = sgraph_edges(m->g);
	size_t ns = sgraph_edge_count(m->g), n = ns + m->nre, i, k, ne = 0;
	size_t abytes = (n + 1) * sizeof(struct ekey);
	struct ekey *a = mem_big_alloc(abytes), *tmp = mem_big_alloc(abytes);
	uint64_t maxkey;
	unsigned bits = 1;
	char buf[4096];

	if (!a || !tmp) {
		if (a)
			mem_big_free(a, abytes);
		if (tmp)
			mem_big_free(tmp, abytes);
		return nomem(m);
	}
	/* Keys are caller << bits | callee, as short as the node count allows. */
	while (bits < 32 && (m->nnodes >> bits))
		bits++;
	maxkey = (uint64_t)m->nnodes << bits | m->nnodes;
	for (i = 0; i < ns; i++) {
		a[i].key = (uint64_t)j->rank[se[i].caller + 1] << bits | j->rank[se[i].callee + 1];
		a[i].idx = (uint32_t)i;
	}
	for (i = 0; i < m->nre; i++) {
		a[ns + i].key = (uint64_t)m->rx[m->re[i].caller].mnode << bits | m->rx[m->re[i].callee].mnode;
		a[ns + i].idx = (uint32_t)(ns + i);
	}
	/* Room for every static call site string: interning a million of them
	 * then never rehashes or moves the arena. */
	for (i = 0, k = 0; i < ns; i++)
		if (se[i].site.file)
			k += sgraph_str_len(m->g, se[i].site.file) + 12;
	if (strtab_reserve(&m->sm.strs, ns, k) < 0) {
		mem_big_free(a, abytes);
		mem_big_free(tmp, abytes);
		return nomem(m);
	}
	ekey_sort(&a, &tmp, n, maxkey);
	mem_big_free(tmp, abytes);
	m->edges_bytes = (n + 1) * sizeof(*m->edges);
	m->edges = mem_big_alloc(m->edges_bytes);
	j->rt = calloc(n + 1, 1);
	if (!m->edges || !j->rt) {
		mem_big_free(a, abytes);
		return nomem(m);
	}
	for (i = 0; i < n; i = k) {
		struct merge_edge *e = &m->edges[ne];

		memset(e, 0, sizeof(*e));
		e->caller = (uint32_t)(a[i].key >> bits);
		e->callee = (uint32_t)(a[i].key & (((uint64_t)1 << bits) - 1));
		for (k = i; k < n && a[k].key == a[i].key; k++) {
			if (a[k].idx < ns) {
				const struct sg_edge *x = &se[a[k].idx];

				e->evidence |= ES_EV_STATIC;
				if (!e->site && x->site.file) {
					size_t len = site_format(buf, sizeof(buf), sgraph_str(m->g, x->site.file),
					    sgraph_str_len(m->g, x->site.file), x->site.line);

					if (!(e->site = strtab_intern(&m->sm.strs, buf, len))) {
						mem_big_free(a, abytes);
						return nomem(m);
					}
				}
			} else {
				const struct redge *r = &m->re[a[k].idx - ns];

				j->rt[ne] = 1;
				e->count = es_count_add(e->count, r->count);
				if (r->first && (!e->first_ns || r->first < e->first_ns))
					e->first_ns = r->first;
				if (r->last > e->last_ns)
					e->last_ns = r->last;
				e->evidence |= r->evidence;
				if (r->confidence > e->confidence)
					e->confidence = r->confidence;
				/* A static call site wins; else the least runtime one. */
				if (r->site && (!e->site || (!(e->evidence & ES_EV_STATIC) &&
				    optstr_cmp(m, r->site, e->site) < 0)))
					e->site = r->site;
			}
		}
		ne++;
	}
	mem_big_free(a, abytes);
	m->nedges = ne;
	return 0;
}

/* ---- canonical order ---- */

static int node_cmp(const void *a, const void *b, void *ctx)
{
	const struct merge *m = ctx;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
	const struct merge_node *x = &m->nodes[ia], *y = &m->nodes[ib];
	int c;

	if (x->module != y->module && (c = segmap_module_cmp(&m->sm, x->module, y->module)) != 0)
		return c;
	if (x->symbol != y->symbol) {
		if (!x->symbol || !y->symbol)
			return x->symbol ? -1 : 1;
		c = strcmp(str(m, x->symbol), str(m, y->symbol));
		if (c)
			return c;
	}
	if (!x->symbol && x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->in_static != y->in_static)
		return x->in_static ? -1 : 1;
	/* Same-named runtime functions of different files (unmatched local functions). */
	if ((c = optstr_cmp(m, x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

static int renumber(struct merge *m, struct join *j)
{
	size_t n = m->nnodes, i;
	uint32_t *order = malloc((n + 1) * sizeof(*order));
	struct merge_node *nn = mem_big_alloc((n + 2) * sizeof(*nn));

	j->rank = calloc(n + 1, sizeof(*j->rank));
	if (!order || !nn || !j->rank) {
		free(order);
		mem_big_free(nn, (n + 2) * sizeof(*nn));
		return nomem(m);
	}
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)(i + 1);
	qsort_r(order, n, sizeof(*order), node_cmp, m);
	memset(nn, 0, sizeof(nn[0]));
	for (i = 0; i < n; i++) {
		j->rank[order[i]] = (uint32_t)(i + 1);
		nn[i + 1] = m->nodes[order[i]];
	}
	free(order);
	mem_big_free(m->nodes, m->nodes_cap * sizeof(*m->nodes));
	m->nodes = nn;
	m->nodes_cap = n + 2;
	for (i = 1; i <= m->sm.nnodes; i++)
		m->rx[i].mnode = j->rank[m->rx[i].mnode];
	return 0;
}

static int adjacency(struct merge *m)
{
	size_t n = m->nnodes, e = m->nedges, i;
	uint32_t *fill;

	m->out_off = calloc(n + 2, sizeof(uint32_t));
	m->in_off = calloc(n + 2, sizeof(uint32_t));
	m->adj_bytes = (e + 1) * sizeof(uint32_t);
	m->out_ids = mem_big_alloc(m->adj_bytes);
	m->in_ids = mem_big_alloc(m->adj_bytes);
	fill = calloc(n + 2, sizeof(uint32_t));
	if (!m->out_off || !m->in_off || !m->out_ids || !m->in_ids || !fill) {
		free(fill);
		return nomem(m);
	}
	for (i = 0; i < e; i++) {
		m->out_off[m->edges[i].caller + 1]++;
		m->in_off[m->edges[i].callee + 1]++;
	}
	for (i = 1; i <= n + 1; i++) {
		m->out_off[i] += m->out_off[i - 1];
		m->in_off[i] += m->in_off[i - 1];
	}
	/* Edges are sorted by caller: out lists are contiguous ranges. */
	for (i = 0; i < e; i++)
		m->out_ids[i] = (uint32_t)i;
	for (i = 0; i < e; i++) {
		uint32_t c = m->edges[i].callee;

		m->in_ids[m->in_off[c] + fill[c]++] = (uint32_t)i;
	}
	free(fill);
	return 0;
}

/* ---- aliases ---- */

struct alias_ent {
	uint32_t node, name;
	unsigned how;
};

static int alias_cmp(const void *a, const void *b, void *ctx)
{
	const struct alias_ent *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return strcmp(str(ctx, x->name), str(ctx, y->name));
}

static int collect_aliases(struct merge *m, const struct join *j)
{
	struct alias_ent *a = NULL;
	size_t na = 0, cap = 0, i;
	void *p;

	for (i = 1; i <= m->sm.nnodes; i++) {
		const struct segmap_node *r = &SN(m, i);
		struct merge_node *n = &m->nodes[m->rx[i].mnode];

		/* A name that differs only by its file qualifier is the same name. */
		if (j->sn_of[i] == SG_NONE || r->symbol == n->symbol ||
		    !(j->how_of[i] & 0xffffu & ~(unsigned)SYMNAME_FILE))
			continue;
		p = a;
		if (mem_grow(&p, &cap, na + 1, sizeof(*a)) < 0) {
			free(a);
			return nomem(m);
		}
		a = p;
		a[na].node = m->rx[i].mnode;
		a[na].name = r->symbol;
		a[na++].how = j->how_of[i];
	}
	if (na > 1)
		qsort_r(a, na, sizeof(*a), alias_cmp, m);
	for (i = 0; i < na; i++) {
		struct merge_node *n = &m->nodes[a[i].node];

		if (i && a[i].node == a[i - 1].node && a[i].name == a[i - 1].name)
			continue;
		p = m->aliases;
		if (mem_grow(&p, &m->aliases_cap, m->naliases + 1, sizeof(*m->aliases)) < 0) {
			free(a);
			return nomem(m);
		}
		m->aliases = p;
		if (!n->naliases) {
			n->alias_first = (uint32_t)m->naliases;
			n->match = a[i].how;
			n->flags |= MERGE_NODE_ALIAS;
			m->st.aliased++;
		}
		n->naliases++;
		m->aliases[m->naliases++] = a[i].name;
	}
	free(a);
	return 0;
}

/* ---- entry points and static reachability ---- */

static int push_entry(struct merge *m, uint32_t **v, size_t *n, size_t *cap, uint32_t sn)
{
	void *p = *v;

	if (mem_grow(&p, cap, *n + 1, sizeof(**v)) < 0)
		return nomem(m);
	*v = p;
	(*v)[(*n)++] = sn;
	return 0;
}

/* A symbol as the user or the ELF names it -> static node, SG_NONE. */
static uint32_t resolve_text(const struct merge *m, const char *s)
{
	const char *bang = strchr(s, '!');

	if (bang && bang[1])
		s = bang + 1;
	return sgraph_resolve(m->g, s, strlen(s), NULL, 0, NULL);
}

static int find_entries(struct merge *m, uint32_t **ent, size_t *nent)
{
	size_t cap = 0, i, ns = sgraph_node_count(m->g);
	const struct sg_node *sn = sgraph_nodes(m->g);

	*ent = NULL;
	*nent = 0;
	for (i = 0; i < m->nsentries; i++)
		if (push_entry(m, ent, nent, &cap, m->sentries[i]) < 0)
			return -1;
	if (m->o.nentries) {
		for (i = 0; i < m->o.nentries; i++) {
			uint32_t s = resolve_text(m, m->o.entries[i]);

			if (s == SG_NONE) {
				if (ns && !merge_find(m, m->o.entries[i], NULL))
					warnf(m, "--entry %s: no such function in the static graph", m->o.entries[i]);
				continue;
			}
			if (push_entry(m, ent, nent, &cap, s) < 0)
				return -1;
		}
		return 0;
	}
	if (!ns)
		return 0;
	if (m->have_binary && !m->bin_has_main) {
		/* A shared library: its exported functions. */
		for (i = 0; i < m->nexports; i++) {
			uint32_t s = sgraph_find_node(m->g, str(m, m->exports[i]), strlen(str(m, m->exports[i])),
			    NULL, 0);

			if (s != SG_NONE && !home_of(m, s) && push_entry(m, ent, nent, &cap, s) < 0)
				return -1;
		}
		if (!*nent)
			warnf(m, "none of the functions --binary exports is in the static graph");
		return 0;
	}
	{
		uint32_t s = sgraph_find_node(m->g, "main", 4, NULL, 0);

		if (s != SG_NONE && !home_of(m, s) && sg_defined(m, s))
			return push_entry(m, ent, nent, &cap, s);
	}
	/* Managed code: a method Main or main of some class ("Ns.Program::Main"). */
	for (i = 0; i < ns; i++) {
		const char *name = sgraph_str(m->g, sn[i].name);
		size_t len = sgraph_str_len(m->g, sn[i].name);

		if (len > 6 && (memcmp(name + len - 6, "::Main", 6) == 0 ||
		    memcmp(name + len - 6, "::main", 6) == 0 || memcmp(name + len - 5, ".Main", 5) == 0 ||
		    memcmp(name + len - 5, ".main", 5) == 0) && !home_of(m, (uint32_t)i) &&
		    sg_defined(m, (uint32_t)i) && push_entry(m, ent, nent, &cap, (uint32_t)i) < 0)
			return -1;
	}
	if (*nent || m->have_binary)
		return 0;
	/* No main and no binary: the global functions the static graph defines. */
	for (i = 0; i < ns; i++)
		if (!sn[i].file && !home_of(m, (uint32_t)i) && (sn[i].flags & SG_NODE_DEFINED) &&
		    push_entry(m, ent, nent, &cap, (uint32_t)i) < 0)
			return -1;
	return 0;
}

/*
 * Breadth-first from the entry points over static edges. A reached function
 * with an indirect call site may call any address-taken function, so the
 * first such site makes every address-taken function a root too.
 */
static int static_reach(struct merge *m, struct join *j, const uint32_t *ent, size_t nent)
{
	size_t ns = sgraph_node_count(m->g), head = 0, tail = 0, i;
	const struct sg_node *sn = sgraph_nodes(m->g);
	const struct sg_edge *se = sgraph_edges(m->g);
	uint32_t *q = malloc((ns + 1) * sizeof(*q));
	int opened = 0;

	j->reach = calloc(ns + 1, 1);
	if (!q || !j->reach) {
		free(q);
		return nomem(m);
	}
	for (i = 0; i < nent; i++)
		if (!j->reach[ent[i]]) {
			j->reach[ent[i]] = 1;
			q[tail++] = ent[i];
		}
	while (head < tail) {
		uint32_t v = q[head++];
		const uint32_t *out;
		size_t nout, k;

		if ((sn[v].flags & SG_NODE_INDIRECT) && !opened) {
			opened = 1;
			for (k = 0; k < ns; k++)
				if ((sn[k].flags & SG_NODE_ADDR_TAKEN) && !j->reach[k]) {
					j->reach[k] = 1;
					q[tail++] = (uint32_t)k;
				}
		}
		out = sgraph_out(m->g, v, &nout);
		for (k = 0; k < nout; k++) {
			uint32_t w = se[out[k]].callee;

			if (!j->reach[w]) {
				j->reach[w] = 1;
				q[tail++] = w;
			}
		}
	}
	free(q);
	j->have_entries = nent > 0;
	return 0;
}

static int mark_entries(struct merge *m, const struct join *j, const uint32_t *ent, size_t nent)
{
	size_t i, cap = 0;

	for (i = 0; i < nent; i++)
		m->nodes[j->rank[ent[i] + 1]].flags |= ES_NODE_ENTRY;
	/* --entry names that only the runtime side knows still root --why and --focus. */
	for (i = 0; i < m->o.nentries; i++)
		if (resolve_text(m, m->o.entries[i]) == SG_NONE) {
			uint32_t id = merge_find(m, m->o.entries[i], NULL);

			if (id)
				m->nodes[id].flags |= ES_NODE_ENTRY;
		}
	for (i = 1; i <= m->nnodes; i++)
		if ((m->nodes[i].flags & ES_NODE_ENTRY) &&
		    push_entry(m, &m->entry_nodes, &m->nentry_nodes, &cap, (uint32_t)i) < 0)
			return -1;
	m->st.entries = nent;
	return 0;
}

static void classify(struct merge *m, const struct join *j)
{
	size_t i;

	for (i = 1; i <= m->nnodes; i++) {
		struct merge_node *n = &m->nodes[i];

		if (n->sg != SG_NONE && j->have_entries)
			n->s_axis = j->reach[n->sg] ? LATTICE_S_REACHABLE : LATTICE_S_UNREACHABLE;
		n->state = lattice_join(n->state, lattice_state(n->s_axis, n->r_axis));
		if (n->state <= ES_STATE_MAX)
			m->st.by_state[n->state]++;
	}
	for (i = 0; i < m->nedges; i++) {
		struct merge_edge *e = &m->edges[i];
		int st = (e->evidence & ES_EV_STATIC) != 0, rt = j->rt[i];

		if (st && rt)
			e->edge_class = ES_CLASS_CONFIRMED;
		else if (st)
			e->edge_class = ES_CLASS_STATIC_ONLY;
		else if (m->nodes[e->caller].flags & ES_NODE_INDIRECT_SITE)
			e->edge_class = ES_CLASS_CONFIRMED_INDIRECT;
		else
			e->edge_class = ES_CLASS_RUNTIME_ONLY;
		m->st.by_class[e->edge_class]++;
	}
}

static void join_free(struct join *j)
{
	free(j->sn_of);
	free(j->how_of);
	free(j->rt);
	free(j->rank);
	free(j->reach);
}

int merge_finish(struct merge *m)
{
	struct join j;
	uint32_t *ent = NULL;
	size_t nent = 0, i;
	uint64_t t0 = progress_now_ns();
	int rc = -1;

	if (m->finished)
		return 0;
	if (m->loader && merge_static_wait(m) < 0)
		return -1;
	memset(&j, 0, sizeof(j));
	if (m->err->code || sgraph_finish(m->g) < 0) {
		if (!m->err->code)
			nomem(m);
		goto out;
	}
	m->st.static_nodes = sgraph_node_count(m->g);
	m->st.static_edges = sgraph_edge_count(m->g);
	m->st.static_isites = sgraph_isite_count(m->g);
	m->st.runtime_nodes = m->sm.nnodes;
	m->st.runtime_edges = m->nre;
	if (side_sync(m) < 0)
		goto out;
	for (i = 0; i < m->nre; i++) {
		m->rx[m->re[i].caller].observed = 1;
		m->rx[m->re[i].callee].observed = 1;
	}
	if (resolve_runtime(m, &j) < 0)
		goto out;
	bind_modules(m, &j);
	if (pick_default_module(m) < 0 || build_nodes(m, &j) < 0 || find_entries(m, &ent, &nent) < 0)
		goto out;
	/*
	 * Nothing is looked up by name or probed any more: the static graph's
	 * indices and the runtime edges' index go now, so that the join's big
	 * arrays reuse memory this process already touched.
	 */
	sgraph_drop_lookup(m->g);
	slotindex_free(&m->ix);
	if (renumber(m, &j) < 0 || build_edges(m, &j) < 0)
		goto out;
	m->finished = 1;	/* merge_find() works from here on */
	/* The runtime edge table has been folded into the merged edges. */
	if (m->re)
		mem_big_free(m->re, m->re_cap * sizeof(*m->re));
	m->re = NULL;
	m->re_cap = 0;
	if (adjacency(m) < 0 || collect_aliases(m, &j) < 0 || static_reach(m, &j, ent, nent) < 0 ||
	    mark_entries(m, &j, ent, nent) < 0)
		goto out;
	classify(m, &j);
	m->st.nodes = m->nnodes;
	m->st.edges = m->nedges;
	m->st.binding = m->binding;
	m->st.join_ns = progress_now_ns() - t0;
	if (m->st.ambiguous)
		warnf(m, "%llu runtime function name%s matched several static functions and %s left unmatched "
		    "(e.g. a static function defined in several files, without a file name at runtime)",
		    (unsigned long long)m->st.ambiguous, m->st.ambiguous == 1 ? "" : "s",
		    m->st.ambiguous == 1 ? "was" : "were");
	if (sgraph_node_count(m->g) && m->sm.nnodes && !m->st.matched)
		warnf(m, "no runtime function matches the static graph (check --module or --binary)");
	/* The merged graph holds all that is needed from here on. */
	sgraph_free(m->g);
	m->g = NULL;
	rc = 0;
out:
	if (rc < 0)
		m->finished = 0;
	free(ent);
	join_free(&j);
	return rc;
}

/* ---- accessors ---- */

const struct merge_stats *merge_stats(const struct merge *m)
{
	return &m->st;
}

size_t merge_node_count(const struct merge *m)
{
	return m->nnodes;
}

const struct merge_node *merge_node(const struct merge *m, uint32_t id)
{
	return id >= 1 && id <= m->nnodes ? &m->nodes[id] : NULL;
}

size_t merge_edge_count(const struct merge *m)
{
	return m->nedges;
}

const struct merge_edge *merge_edges(const struct merge *m)
{
	return m->edges;
}

const uint32_t *merge_out(const struct merge *m, uint32_t node, size_t *n)
{
	if (!m->out_off || node < 1 || node > m->nnodes) {
		*n = 0;
		return NULL;
	}
	*n = m->out_off[node + 1] - m->out_off[node];
	return m->out_ids + m->out_off[node];
}

const uint32_t *merge_in(const struct merge *m, uint32_t node, size_t *n)
{
	if (!m->in_off || node < 1 || node > m->nnodes) {
		*n = 0;
		return NULL;
	}
	*n = m->in_off[node + 1] - m->in_off[node];
	return m->in_ids + m->in_off[node];
}

const struct segmap_module *merge_module(const struct merge *m, uint32_t id)
{
	return id >= 1 && id <= m->sm.nmods ? &SM(m, id) : NULL;
}

uint32_t merge_alias(const struct merge *m, uint32_t node, uint32_t i)
{
	const struct merge_node *n = merge_node(m, node);

	return n && i < n->naliases ? m->aliases[n->alias_first + i] : 0;
}

size_t merge_node_name(const struct merge *m, uint32_t node, char *buf, size_t size)
{
	const struct merge_node *n = merge_node(m, node);
	int len;

	if (!n)
		len = snprintf(buf, size, "?");
	else if (n->symbol)
		len = snprintf(buf, size, "%s!%s", str(m, SM(m, n->module).name), str(m, n->symbol));
	else
		len = snprintf(buf, size, "%s+0x%llx", str(m, SM(m, n->module).name),
		    (unsigned long long)n->offset);
	return len < 0 ? 0 : (size_t)len;
}

const uint32_t *merge_entries(const struct merge *m, size_t *n)
{
	*n = m->nentry_nodes;
	return m->entry_nodes;
}

const char *merge_static_input(const struct merge *m, size_t i)
{
	return i < m->static_paths.n ? strtab_get(&m->static_paths, (uint32_t)(i + 1), NULL) : NULL;
}

const char *merge_binding_module(const struct merge *m, const uint8_t **id, size_t *id_len)
{
	*id = m->bind_id;
	*id_len = m->binding == MERGE_BIND_BUILD_ID ? m->bind_id_len : 0;
	return m->bind_name ? str(m, m->bind_name) : NULL;
}

/* How well a node's symbol (or alias) answers a user's name: 3 exact, 2 same
 * function name in a file-qualified symbol, 1 same origin name, 0 no. */
static int name_score(const char *sym, size_t slen, const char *q, size_t qlen)
{
	const char *sf, *sn, *qf, *qn;
	size_t sfl, snl, qfl, qnl, sb, qb;

	if (slen == qlen && memcmp(sym, q, qlen) == 0)
		return 3;
	if (!symname_split_file(sym, slen, &sf, &sfl, &sn, &snl)) {
		sn = sym;
		snl = slen;
		sfl = 0;
	}
	if (!symname_split_file(q, qlen, &qf, &qfl, &qn, &qnl)) {
		qn = q;
		qnl = qlen;
		qfl = 0;
	}
	if (qfl && (!sfl || !symname_path_match(sf, sfl, qf, qfl)))
		return 0;
	if (snl == qnl && memcmp(sn, qn, qnl) == 0)
		return 2;
	symname_base(sn, snl, &sb);
	symname_base(qn, qnl, &qb);
	return sb == qb && memcmp(sn, qn, sb) == 0 ? 1 : 0;
}

uint32_t merge_find(const struct merge *m, const char *text, size_t *nfound)
{
	const char *q = text, *bang = strchr(text, '!');
	size_t qlen, modlen = 0, i, count = 0;
	uint32_t best = 0;
	int best_score = 0;

	if (nfound)
		*nfound = 0;
	if (!m->finished)
		return 0;
	if (bang) {
		modlen = (size_t)(bang - text);
		q = bang + 1;
	}
	qlen = strlen(q);
	if (!qlen)
		return 0;
	for (i = 1; i <= m->nnodes; i++) {
		const struct merge_node *n = &m->nodes[i];
		size_t slen, ml;
		const char *s, *mod;
		int sc;

		if (bang) {
			mod = merge_str(m, SM(m, n->module).name, &ml);
			if (ml != modlen || memcmp(mod, text, modlen) != 0)
				continue;
		}
		if (!n->symbol)
			continue;
		s = merge_str(m, n->symbol, &slen);
		sc = name_score(s, slen, q, qlen);
		for (uint32_t a = 0; a < n->naliases && sc < 3; a++) {
			const char *as = merge_str(m, m->aliases[n->alias_first + a], &slen);

			if (slen == qlen && memcmp(as, q, qlen) == 0)
				sc = 3;
		}
		if (!sc || sc < best_score)
			continue;
		if (sc > best_score) {
			best_score = sc;
			best = (uint32_t)i;
			count = 0;
		}
		count++;
	}
	if (nfound)
		*nfound = count;
	return best;
}

/* ---- the merged stream ---- */

struct emit {
	struct merge *m;
	struct es_writer *w;
	struct segmap_emit se;		/* strings and modules */
	uint32_t *node_h;
};

static uint32_t out_node(struct emit *x, uint32_t id)
{
	struct merge *m = x->m;

	if (!x->node_h[id]) {
		const struct merge_node *n = &m->nodes[id];
		struct es_node v;

		memset(&v, 0, sizeof(v));
		v.module = segmap_emit_module(&x->se, n->module);
		v.symbol = n->symbol;
		v.offset = n->offset;
		v.flags = n->flags;
		v.state = n->state;
		v.file = n->file;
		v.line = n->line;
		x->node_h[id] = v.module ? es_writer_node(x->w, &v) : 0;
	}
	return x->node_h[id];
}

/* Coverage records on merged nodes, overlapping intervals per (node, method) joined. */
static int emit_coverage(struct emit *x)
{
	struct merge *m = x->m;
	struct segmap_cov *c = malloc((m->ncovs + 1) * sizeof(*c));
	size_t i;

	if (!c)
		return nomem(m);
	for (i = 0; i < m->ncovs; i++) {
		c[i] = m->covs[i];
		c[i].node = m->rx[c[i].node].mnode;
	}
	qsort(c, m->ncovs, sizeof(*c), segmap_cov_cmp);
	for (i = 0; i < m->ncovs;) {
		struct segmap_cov cur = c[i++];
		struct es_coverage v;

		while (i < m->ncovs && c[i].node == cur.node && c[i].method == cur.method &&
		    c[i].start <= cur.end) {
			if (c[i].end > cur.end)
				cur.end = c[i].end;
			i++;
		}
		memset(&v, 0, sizeof(v));
		v.node = out_node(x, cur.node);
		v.method = cur.method;
		v.start_ns = cur.start;
		v.end_ns = cur.end;
		if (es_writer_coverage(x->w, &v) < 0) {
			free(c);
			return -1;
		}
	}
	free(c);
	return 0;
}

#define PARAM_LIST_MAX 4096

/* A growable text buffer for header parameter values. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	void *p = b->p;

	if (mem_grow(&p, &b->cap, b->len + n + 1, 1) < 0)
		return -1;
	b->p = p;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sbuf_addc(struct sbuf *b, const char *s)
{
	return sbuf_add(b, s, strlen(s));
}

/* Header parameters; every value lives in one of the returned buffers. */
static int header_params(struct merge *m, struct es_param **out, size_t *nout, struct sbuf **bufs,
    size_t *nbufs)
{
	size_t n = 0, nb = 0, i, cap = 8 + m->st.aliased, bcap = 4 + 2 * m->st.aliased;
	struct es_param *p = calloc(cap, sizeof(*p));
	struct sbuf *b = calloc(bcap, sizeof(*b));
	char name[4096], hex[2 * ES_BUILD_ID_MAX + 1];
	int err = 0;

	*out = p;
	*bufs = b;
	*nout = 0;
	*nbufs = 0;
	if (!p || !b)
		return nomem(m);
	p[n].key = "binding";
	p[n++].value = merge_binding_name(m->binding);
	if (m->bind_name) {
		p[n].key = "module";
		p[n++].value = str(m, m->bind_name);
	}
	if (m->binding == MERGE_BIND_BUILD_ID) {
		es_build_id_format(ES_ID_GNU, m->bind_id, m->bind_id_len, hex, sizeof(hex));
		err |= sbuf_addc(&b[nb], hex);
		p[n].key = "build_id";
		p[n++].value = b[nb++].p;
	}
	/* Lists are cut after PARAM_LIST_MAX bytes: ",... (N more)" (nodes carry the entry flag). */
	if (m->nentry_nodes) {
		for (i = 0; i < m->nentry_nodes && !err; i++) {
			if (b[nb].len > PARAM_LIST_MAX) {
				snprintf(name, sizeof(name), ",... (%zu more)", m->nentry_nodes - i);
				err |= sbuf_addc(&b[nb], name);
				break;
			}
			merge_node_name(m, m->entry_nodes[i], name, sizeof(name));
			err |= sbuf_addc(&b[nb], i ? "," : "");
			err |= sbuf_addc(&b[nb], name);
		}
		p[n].key = "entries";
		p[n++].value = b[nb++].p;
	}
	if (m->static_paths.n) {
		for (i = 1; i <= m->static_paths.n && !err; i++) {
			if (b[nb].len > PARAM_LIST_MAX) {
				snprintf(name, sizeof(name), ",... (%zu more)", m->static_paths.n - i + 1);
				err |= sbuf_addc(&b[nb], name);
				break;
			}
			err |= sbuf_addc(&b[nb], i > 1 ? "," : "");
			err |= sbuf_addc(&b[nb], strtab_get(&m->static_paths, (uint32_t)i, NULL));
		}
		p[n].key = "static";
		p[n++].value = b[nb++].p;
	}
	for (i = 1; i <= m->nnodes && !err; i++) {
		const struct merge_node *nd = &m->nodes[i];

		if (!nd->naliases)
			continue;
		merge_node_name(m, (uint32_t)i, name, sizeof(name));
		err |= sbuf_addc(&b[nb], "alias:");
		err |= sbuf_addc(&b[nb], name);
		p[n].key = b[nb++].p;
		for (uint32_t a = 0; a < nd->naliases && !err; a++) {
			if (b[nb].len > PARAM_LIST_MAX) {
				snprintf(name, sizeof(name), ",... (%u more)", nd->naliases - a);
				err |= sbuf_addc(&b[nb], name);
				break;
			}
			err |= sbuf_addc(&b[nb], a ? "," : "");
			err |= sbuf_addc(&b[nb], str(m, m->aliases[nd->alias_first + a]));
		}
		p[n++].value = b[nb++].p;
	}
	*nout = n;
	*nbufs = nb;
	return err ? nomem(m) : 0;
}

int merge_write_stream(struct merge *m, struct es_writer *w, const char *producer)
{
	struct emit x;
	struct es_header h;
	struct es_param *params = NULL;
	struct sbuf *bufs = NULL;
	size_t nparams = 0, nbufs = 0, i;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	if (!m->finished) {
		tm_err_set(m->err, TM_EXIT_ENV, "internal error: merge not finished");
		return -1;
	}
	x.m = m;
	x.w = w;
	x.node_h = calloc(m->nnodes + 1, sizeof(uint32_t));
	if (!x.node_h || segmap_emit_init(&x.se, &m->sm, w) < 0) {
		nomem(m);
		goto out;
	}
	if (header_params(m, &params, &nparams, &bufs, &nbufs) < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.producer = producer;
	h.source = "merge";
	h.host = !m->host_mixed && m->host ? str(m, m->host) : NULL;
	h.start_ns = m->start_ns;
	h.end_ns = m->end_ns;
	h.params = params;
	h.nparams = nparams;
	if (es_writer_begin(w, &h) < 0)
		goto out;
	for (i = 0; i < m->nedges; i++) {
		const struct merge_edge *me = &m->edges[i];
		struct es_edge e;

		memset(&e, 0, sizeof(e));
		e.caller = out_node(&x, me->caller);
		e.callee = out_node(&x, me->callee);
		e.count = me->count;
		e.first_ns = me->first_ns;
		e.last_ns = me->last_ns;
		e.evidence = me->evidence;
		e.site = me->site;
		e.confidence = me->confidence;
		e.edge_class = me->edge_class;
		if (es_writer_edge(w, &e) < 0)
			goto out;
	}
	/* Functions no edge mentions still carry their state: a coverage record of method none. */
	for (i = 1; i <= m->nnodes; i++) {
		struct es_coverage c;

		if (x.node_h[i])
			continue;
		memset(&c, 0, sizeof(c));
		c.node = out_node(&x, (uint32_t)i);
		c.method = ES_COV_NONE;
		if (es_writer_coverage(w, &c) < 0)
			goto out;
	}
	if (emit_coverage(&x) < 0)
		goto out;
	if (segmap_emit_losses(&x.se) < 0 || es_writer_end(w) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < nbufs; i++)
		free(bufs[i].p);
	free(bufs);
	free(params);
	free(x.node_h);
	segmap_emit_free(&x.se);
	return rc;
}

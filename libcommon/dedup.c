/*
 * dedup.c - the edge fold behind trace-dedup (see dedup.h).
 *
 * Input ids are segment-local, so each segment's modules, nodes, contexts and
 * strings are mapped once to global tables (by value) through per-segment
 * translation arrays; the hot loop then costs two array loads and one hash
 * probe per edge. Probes are done a block at a time: hashes first, then the
 * folds, each ahead of which an index slot and an entry further on are
 * prefetched (slotindex.h), so that the cache misses of a block overlap
 * instead of queueing.
 *
 * Output order is canonical: nodes ranked by (module name, module identity,
 * symbol, offset), contexts by their fields, windows by start; edges sorted by
 * the ranks of (caller, callee, context, window). Attribute folds are all
 * semilattice joins (min, max, or) and counts add with saturation, which is
 * what makes the fold associative, commutative and idempotent.
 */
#include "dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "idmap.h"
#include "mem.h"
#include "par.h"
#include "segmap.h"
#include "slotindex.h"
#include "strtab.h"

#define CHUNK 1024

struct dctx {
	uint32_t host, comm, container, pid;
	uint64_t cgroup;
};

/*
 * An edge entry: 48 bytes, with context and window folded into one slice id
 * so that the key takes three words.
 */
struct dedge {
	uint32_t caller, callee, slice, evidence;
	uint64_t count, first, last;
	uint32_t site;
	uint8_t confidence, edge_class, conflict, resolution;
};

/* A (context, window) pair; slice 0 is (0, 0). */
struct dslice {
	uint32_t ctx, win;
};

struct dcov {
	uint32_t node, ctx;
	uint32_t method, pad;
	uint64_t start, end;
};

struct dloss {
	uint32_t name;			/* global string id */
	uint64_t count;
};


struct run {
	int fd;
	uint64_t count;
};

struct dedup {
	struct dedup_opts o;
	struct tm_err *err;
	struct dedup_stats st;

	struct segmap sm;		/* strings, modules, nodes */
	struct dctx *ctxs;
	size_t nctxs, ctxs_cap;
	struct idmap ctxmap;
	uint64_t *wins;			/* window starts, [0] unused */
	size_t nwins, wins_cap;
	struct idmap winmap;
	struct dslice *slices;		/* [1..nslices] */
	size_t nslices, slices_cap;
	struct idmap slicemap;

	struct dedge *e;		/* entries */
	size_t n, cap;
	struct slotindex ix;		/* over the entries */

	struct run *runs;
	size_t nruns, runs_cap;

	struct dcov *covs;
	size_t ncovs, covs_cap;
	struct idmap covmap;		/* covs[id - 1] */
	struct dloss *losses;
	size_t nlosses, losses_cap;

	/* Header summary over all input segments. */
	uint64_t start_ns, end_ns;
	uint32_t host;			/* common host, 0 = none */
	int host_mixed;
	size_t input_string_bytes;	/* the largest input's string table */

	/* Current segment. */
	struct segmap_idvec seg_ctx;	/* input context -> projected context + 1 */
	uint32_t seg_host;
	uint32_t seg_ctx0;		/* projection of "no context" */
	uint64_t seg_start;
	uint64_t last_wstart;
	uint32_t last_win;
	struct dslice last_pair;
	uint32_t last_slice;
};

static int nomem(struct dedup *d)
{
	tm_err_set(d->err, TM_EXIT_ENV, "out of memory");
	return -1;
}

/* ---- options ---- */

int dedup_parse_by(const char *s, unsigned *by)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = {
		{ "host", DEDUP_BY_HOST }, { "container", DEDUP_BY_CONTAINER },
		{ "pid", DEDUP_BY_PID }, { "comm", DEDUP_BY_COMM },
	};
	unsigned bits = 0;
	const char *p = s;

	if (strcmp(s, "none") == 0) {
		*by = 0;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ","), i;
		int found = 0;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i].name) == len && memcmp(p, keys[i].name, len) == 0) {
				bits |= keys[i].bit;
				found = 1;
			}
		if (!found)
			return -1;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	if (!bits)
		return -1;
	*by = bits;
	return 0;
}

/* ---- global tables ---- */

static uint32_t map_string(struct dedup *d, const struct es_reader *r, uint32_t rsid)
{
	uint32_t g = segmap_string(&d->sm, r, rsid);

	if (g == SEGMAP_ERR)
		nomem(d);
	return g == SEGMAP_ERR ? UINT32_MAX : g;
}

static const char *str(const struct dedup *d, uint32_t sid)
{
	return segmap_str(&d->sm, sid);
}

static int optstr_cmp(const struct dedup *d, uint32_t a, uint32_t b)
{
	return segmap_str_cmp(&d->sm, a, b);
}

/* The global node of an input node id, 0 on error. */
static inline uint32_t map_node(struct dedup *d, const struct es_reader *r, uint32_t rnid)
{
	uint32_t g = segmap_node(&d->sm, r, rnid);

	if (g == SEGMAP_ERR) {
		nomem(d);
		return 0;
	}
	return g;
}

static int ctx_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct dctx *a = &((const struct dedup *)ctx)->ctxs[id], *b = key;

	return a->host == b->host && a->comm == b->comm && a->container == b->container &&
	    a->pid == b->pid && a->cgroup == b->cgroup;
}

/* The global context for a projection; 0 when every kept field is empty. */
static uint32_t intern_ctx(struct dedup *d, const struct dctx *k)
{
	uint64_t h;
	uint32_t id;
	void *p;

	if (!k->host && !k->comm && !k->container && !k->pid && !k->cgroup)
		return 0;
	h = mem_hash_u64(mem_hash_u64(mem_hash_u64(k->host, k->comm), k->container),
	    ((uint64_t)k->pid << 32) ^ k->cgroup);
	id = idmap_find(&d->ctxmap, h, ctx_eq, d, k);
	if (id)
		return id;
	p = d->ctxs;
	if (mem_grow(&p, &d->ctxs_cap, d->nctxs + 2, sizeof(*d->ctxs)) < 0)
		return nomem(d), UINT32_MAX;
	d->ctxs = p;
	d->ctxs[++d->nctxs] = *k;
	id = (uint32_t)d->nctxs;
	if (idmap_insert(&d->ctxmap, h, id) < 0)
		return nomem(d), UINT32_MAX;
	return id;
}

/* Input context id -> global projected context (UINT32_MAX on error). */
static uint32_t map_ctx(struct dedup *d, const struct es_reader *r, uint32_t rcid)
{
	const struct es_context *c;
	struct dctx k;
	uint32_t *slot, id;

	if (!d->o.by)
		return 0;
	if (!rcid)
		return d->seg_ctx0;
	slot = segmap_idvec_slot(&d->seg_ctx, rcid);
	if (!slot)
		return nomem(d), UINT32_MAX;
	/* Stored as id + 1, so that "projects to no context" is cached too. */
	if (*slot)
		return *slot - 1;
	c = es_reader_context(r, rcid);
	memset(&k, 0, sizeof(k));
	if (d->o.by & DEDUP_BY_HOST)
		k.host = c->host ? map_string(d, r, c->host) : d->seg_host;
	if (d->o.by & DEDUP_BY_COMM)
		k.comm = map_string(d, r, c->comm);
	if (d->o.by & DEDUP_BY_CONTAINER) {
		k.container = map_string(d, r, c->container);
		k.cgroup = c->cgroup;
	}
	if (d->o.by & DEDUP_BY_PID)
		k.pid = c->pid;
	if (k.host == UINT32_MAX || k.comm == UINT32_MAX || k.container == UINT32_MAX)
		return UINT32_MAX;
	id = intern_ctx(d, &k);
	if (id != UINT32_MAX)
		*slot = id + 1;
	return id;
}

static int win_eq(const void *ctx, uint32_t id, const void *key)
{
	return ((const struct dedup *)ctx)->wins[id] == *(const uint64_t *)key;
}

/*
 * The window an edge record counts in: the one holding its first_seen (a
 * record spanning several windows counts whole in its first). Records
 * without first_seen fall back to their input window's start, then to the
 * segment header's start.
 */
static uint32_t window_of(struct dedup *d, const struct es_reader *r, const struct es_edge *e)
{
	uint64_t t = e->first_ns, ws, h;
	uint32_t id;
	void *p;

	if (!d->o.window_ns)
		return 0;
	/* An input window is used even when it starts at 0, so that folding an
	 * output again puts its records back in the same windows. */
	if (!t)
		t = e->window ? es_reader_window(r, e->window)->start_ns : d->seg_start;
	ws = t - t % d->o.window_ns;
	if (d->last_win && ws == d->last_wstart)
		return d->last_win;
	h = mem_hash_u64(0x77, ws);
	id = idmap_find(&d->winmap, h, win_eq, d, &ws);
	if (!id) {
		p = d->wins;
		if (mem_grow(&p, &d->wins_cap, d->nwins + 2, sizeof(*d->wins)) < 0)
			return nomem(d), UINT32_MAX;
		d->wins = p;
		d->wins[++d->nwins] = ws;
		id = (uint32_t)d->nwins;
		if (idmap_insert(&d->winmap, h, id) < 0)
			return nomem(d), UINT32_MAX;
	}
	d->last_wstart = ws;
	d->last_win = id;
	return id;
}

static int slice_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct dslice *a = &((const struct dedup *)ctx)->slices[id], *b = key;

	return a->ctx == b->ctx && a->win == b->win;
}

/* The slice of a (context, window) pair (UINT32_MAX on error). */
static uint32_t slice_of(struct dedup *d, uint32_t ctx, uint32_t win)
{
	struct dslice k = { ctx, win };
	uint64_t h;
	uint32_t id;
	void *p;

	if (!ctx && !win)
		return 0;
	if (d->last_slice && ctx == d->last_pair.ctx && win == d->last_pair.win)
		return d->last_slice;
	h = mem_hash_u64(0x5c, (uint64_t)ctx << 32 | win);
	id = idmap_find(&d->slicemap, h, slice_eq, d, &k);
	if (!id) {
		p = d->slices;
		if (mem_grow(&p, &d->slices_cap, d->nslices + 2, sizeof(*d->slices)) < 0)
			return nomem(d), UINT32_MAX;
		d->slices = p;
		d->slices[++d->nslices] = k;
		id = (uint32_t)d->nslices;
		if (idmap_insert(&d->slicemap, h, id) < 0)
			return nomem(d), UINT32_MAX;
	}
	d->last_pair = k;
	d->last_slice = id;
	return id;
}

/* ---- the edge table ---- */

static inline uint64_t edge_hash(uint32_t a, uint32_t b, uint32_t slice)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;
	uint64_t y = (uint64_t)slice * 0xc2b2ae3d27d4eb4full;

	x ^= y + (x >> 29);
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

static inline int key_eq(const struct dedge *e, const struct dedge *k)
{
	return e->caller == k->caller && e->callee == k->callee && e->slice == k->slice;
}

static size_t table_bytes(const struct dedup *d)
{
	return d->n * sizeof(struct dedge) + slotindex_bytes(&d->ix);
}

/* Room for `need` entries (huge-page backed, see mem_big_grow). */
static int entries_reserve(struct dedup *d, size_t need)
{
	void *p = d->e;

	if (mem_big_grow(&p, &d->cap, need, sizeof(*d->e)) < 0)
		return nomem(d);
	d->e = p;
	return 0;
}

static uint64_t entry_hash(const void *ctx, size_t i)
{
	const struct dedge *x = &((const struct dedup *)ctx)->e[i];

	return edge_hash(x->caller, x->callee, x->slice);
}

static int write_all(struct dedup *d, int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			tm_err_errno(d->err, TM_EXIT_ENV, errno, "spill file: write error");
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(struct dedup *d, int fd, void *p, size_t n, off_t off)
{
	char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, off);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			tm_err_errno(d->err, TM_EXIT_ENV, r < 0 ? errno : EIO, "spill file: read error");
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Move the in-memory entries to an anonymous temporary file. */
static int spill(struct dedup *d)
{
	const char *dir = d->o.tmpdir ? d->o.tmpdir : getenv("TMPDIR");
	char path[4096];
	void *p;
	int fd;

	if (!d->n)
		return 0;
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/trace-dedup.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		tm_err_errno(d->err, TM_EXIT_ENV, errno, "%s: cannot create a spill file", dir);
		return -1;
	}
	/* Unlinked at once: nothing is left behind on any exit, even SIGKILL. */
	unlink(path);
	if (write_all(d, fd, d->e, d->n * sizeof(*d->e)) < 0) {
		close(fd);
		return -1;
	}
	p = d->runs;
	if (mem_grow(&p, &d->runs_cap, d->nruns + 1, sizeof(*d->runs)) < 0) {
		close(fd);
		return nomem(d);
	}
	d->runs = p;
	d->runs[d->nruns].fd = fd;
	d->runs[d->nruns++].count = d->n;
	d->st.spills++;
	d->n = 0;
	slotindex_clear(&d->ix);
	return 0;
}

static inline void fold(const struct dedup *d, struct dedge *a, const struct dedge *b)
{
	a->count = es_count_add(a->count, b->count);
	if (b->first && (!a->first || b->first < a->first))
		a->first = b->first;
	if (b->last > a->last)
		a->last = b->last;
	a->evidence |= b->evidence;
	if (b->confidence > a->confidence)
		a->confidence = b->confidence;
	if (b->edge_class > a->edge_class)
		a->edge_class = b->edge_class;
	if (b->conflict > a->conflict)
		a->conflict = b->conflict;
	if (b->resolution > a->resolution)
		a->resolution = b->resolution;
	if (b->site && optstr_cmp(d, b->site, a->site) < 0)
		a->site = b->site;
}

static int insert(struct dedup *d, const struct dedge *x, uint64_t h)
{
	if (d->o.max_memory && table_bytes(d) + sizeof(*x) > d->o.max_memory && spill(d) < 0)
		return -1;
	if (slotindex_full(&d->ix, d->n) && slotindex_grow(&d->ix, d->n, entry_hash, d) < 0)
		return nomem(d);
	if (d->n >= UINT32_MAX - 1)
		return nomem(d);
	if (d->n == d->cap && entries_reserve(d, d->n + 1) < 0)
		return -1;
	d->e[d->n] = *x;
	slotindex_put(&d->ix, h, d->n);
	d->n++;
	if (table_bytes(d) > d->st.peak_bytes)
		d->st.peak_bytes = table_bytes(d);
	return 0;
}

/* Look an edge up and fold it in, or insert it. */
static inline int probe(struct dedup *d, const struct dedge *k, uint64_t h)
{
	const struct slotindex *x = &d->ix;
	uint64_t s;
	size_t pos;

	if (x->nslots) {
		for (pos = slotindex_home(x, h); (s = x->slots[pos]) != 0; pos = slotindex_next(x, pos)) {
			struct dedge *t = &d->e[slotindex_entry(s)];

			if (slotindex_tag_eq(s, h) && key_eq(t, k)) {
				fold(d, t, k);
				return 0;
			}
		}
	}
	return insert(d, k, h);
}

/* Fold a chunk of at most CHUNK input edges. */
static int add_chunk(struct dedup *d, const struct es_reader *r, const struct es_edge *in, size_t n)
{
	struct dedge x[CHUNK];
	uint64_t h[CHUNK];
	uint32_t ctx, win;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct es_edge *e = &in[i];
		struct dedge *k = &x[i];

		k->caller = map_node(d, r, e->caller);
		k->callee = map_node(d, r, e->callee);
		ctx = map_ctx(d, r, e->ctx);
		win = window_of(d, r, e);
		if (ctx == UINT32_MAX || win == UINT32_MAX)
			return -1;
		k->slice = slice_of(d, ctx, win);
		k->site = e->site ? map_string(d, r, e->site) : 0;
		if (!k->caller || !k->callee || k->slice == UINT32_MAX || k->site == UINT32_MAX)
			return -1;
		k->count = e->count;
		k->first = e->first_ns;
		k->last = e->last_ns;
		k->evidence = e->evidence;
		k->confidence = e->confidence;
		k->edge_class = e->edge_class;
		k->conflict = e->conflict;
		k->resolution = e->resolution;
		h[i] = edge_hash(k->caller, k->callee, k->slice);
	}
	slotindex_prefetch_start(&d->ix, h, n, d->e, sizeof(*d->e));
	for (i = 0; i < n; i++) {
		slotindex_prefetch_ahead(&d->ix, h, n, i, d->e, sizeof(*d->e));
		if (probe(d, &x[i], h[i]) < 0)
			return -1;
	}
	d->st.records += n;
	return 0;
}

static int add_loss(struct dedup *d, const char *name, uint64_t count)
{
	uint32_t sid = segmap_intern(&d->sm, name, strlen(name));
	size_t i;
	void *p;

	if (!sid)
		return nomem(d);
	for (i = 0; i < d->nlosses; i++)
		if (d->losses[i].name == sid) {
			d->losses[i].count = es_count_add(d->losses[i].count, count);
			return 0;
		}
	p = d->losses;
	if (mem_grow(&p, &d->losses_cap, d->nlosses + 1, sizeof(*d->losses)) < 0)
		return nomem(d);
	d->losses = p;
	d->losses[d->nlosses].name = sid;
	d->losses[d->nlosses++].count = count;
	return 0;
}

static int cov_eq(const void *ctx, uint32_t id, const void *key)
{
	return memcmp(&((const struct dedup *)ctx)->covs[id - 1], key, sizeof(struct dcov)) == 0;
}

/* Coverage records are kept once each: memory grows with distinct ones. */
static int add_coverage(struct dedup *d, const struct es_reader *r, const struct es_coverage *c)
{
	struct dcov v;
	uint64_t h;
	void *p;

	memset(&v, 0, sizeof(v));
	v.node = map_node(d, r, c->node);
	v.ctx = map_ctx(d, r, c->ctx);
	if (!v.node || v.ctx == UINT32_MAX)
		return -1;
	v.method = c->method;
	v.start = c->start_ns;
	v.end = c->end_ns;
	h = mem_hash(&v, sizeof(v), 0xc0);
	if (idmap_find(&d->covmap, h, cov_eq, d, &v))
		return 0;
	p = d->covs;
	if (d->ncovs >= UINT32_MAX - 1 || mem_grow(&p, &d->covs_cap, d->ncovs + 1, sizeof(*d->covs)) < 0)
		return nomem(d);
	d->covs = p;
	d->covs[d->ncovs++] = v;
	if (idmap_insert(&d->covmap, h, (uint32_t)d->ncovs) < 0)
		return nomem(d);
	return 0;
}

static int begin_segment(struct dedup *d, const struct es_reader *r, const struct es_header *h)
{
	struct dctx k;
	uint32_t host = h->host ? segmap_intern(&d->sm, h->host, strlen(h->host)) : 0;

	(void)r;
	if (h->host && !host)
		return nomem(d);
	segmap_segment(&d->sm);
	segmap_idvec_reset(&d->seg_ctx);
	d->st.segments++;
	if (d->st.segments == 1)
		d->host = host;
	else if (host != d->host)
		d->host_mixed = 1;
	if (!host)
		d->host_mixed = 1;
	if (h->start_ns && (!d->start_ns || h->start_ns < d->start_ns))
		d->start_ns = h->start_ns;
	if (h->end_ns > d->end_ns)
		d->end_ns = h->end_ns;
	d->seg_host = host;
	d->seg_start = h->start_ns;
	memset(&k, 0, sizeof(k));
	if (d->o.by & DEDUP_BY_HOST)
		k.host = host;
	d->seg_ctx0 = intern_ctx(d, &k);
	return d->seg_ctx0 == UINT32_MAX ? -1 : 0;
}

int dedup_add(struct dedup *d, struct es_reader *r, struct progress *pg)
{
	struct es_event ev;
	int rc;
	size_t i;

	while ((rc = es_reader_next(r, &ev)) > 0) {
		switch (ev.kind) {
		case ES_EVENT_HEADER:
			if (begin_segment(d, r, ev.header) < 0)
				return -1;
			break;
		case ES_EVENT_EDGES:
			for (i = 0; i < ev.nedges; i += CHUNK)
				if (add_chunk(d, r, ev.edges + i,
				    ev.nedges - i < CHUNK ? ev.nedges - i : CHUNK) < 0)
					return -1;
			if (pg)
				progress_update(pg, es_reader_bytes_in(r), d->st.records, d->n);
			break;
		case ES_EVENT_COVERAGE:
			if (add_coverage(d, r, ev.coverage) < 0)
				return -1;
			break;
		case ES_EVENT_TRAILER:
			for (i = 0; i < ev.trailer->nlosses; i++)
				if (add_loss(d, ev.trailer->losses[i].name, ev.trailer->losses[i].count) < 0)
					return -1;
			break;
		default:
			break;
		}
	}
	if (es_reader_string_bytes(r) > d->input_string_bytes)
		d->input_string_bytes = es_reader_string_bytes(r);
	return rc;
}

/* ---- canonical order ---- */

static int ctx_cmp(const struct dedup *d, uint32_t a, uint32_t b)
{
	const struct dctx *x = &d->ctxs[a], *y = &d->ctxs[b];
	int c;

	if ((c = optstr_cmp(d, x->host, y->host)) != 0)
		return c;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if ((c = optstr_cmp(d, x->comm, y->comm)) != 0)
		return c;
	if ((c = optstr_cmp(d, x->container, y->container)) != 0)
		return c;
	if (x->cgroup != y->cgroup)
		return x->cgroup < y->cgroup ? -1 : 1;
	return 0;
}

/* Ranks (1-based, 0 for id 0) and their inverses, the output order. */
struct order {
	uint32_t *node_rank, *node_of;
	uint32_t *ctx_rank, *ctx_of;
	uint32_t *win_rank;
	uint32_t *slice_rank, *slice_of;
};

enum { SORT_CTXS, SORT_WINS, SORT_SLICES };

/* Slices are ordered by context, then window: they need those ranks first. */
static int id_cmp(const struct dedup *d, const struct order *o, int what, uint32_t a, uint32_t b)
{
	const struct dslice *x, *y;

	switch (what) {
	case SORT_CTXS:
		return ctx_cmp(d, a, b);
	case SORT_WINS:
		return d->wins[a] < d->wins[b] ? -1 : d->wins[a] > d->wins[b];
	default:
		x = &d->slices[a];
		y = &d->slices[b];
		if (x->ctx != y->ctx)
			return o->ctx_rank[x->ctx] < o->ctx_rank[y->ctx] ? -1 : 1;
		return o->win_rank[x->win] < o->win_rank[y->win] ? -1 : o->win_rank[x->win] > o->win_rank[y->win];
	}
}

/*
 * Bottom-up merge sort of ids 1..n; returns rank[id] (1-based) and, unless
 * order_out is NULL, order[rank] = id.
 */
static uint32_t *ranks(struct dedup *d, const struct order *o, int what, size_t n, uint32_t **order_out)
{
	uint32_t *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b));
	uint32_t *rank = calloc(n + 1, sizeof(*rank));
	size_t width, i;

	if (!a || !b || !rank) {
		free(a);
		free(b);
		free(rank);
		nomem(d);
		return NULL;
	}
	for (i = 0; i < n; i++)
		a[i] = (uint32_t)(i + 1);
	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			size_t l = i, m = i + width < n ? i + width : n, h = i + 2 * width < n ? i + 2 * width : n;
			size_t p = l, q = m, t = l;

			while (p < m && q < h) {
				int c = id_cmp(d, o, what, a[p], a[q]);

				b[t++] = c <= 0 ? a[p++] : a[q++];
			}
			while (p < m)
				b[t++] = a[p++];
			while (q < h)
				b[t++] = a[q++];
		}
		{
			uint32_t *t = a;

			a = b;
			b = t;
		}
	}
	for (i = 0; i < n; i++)
		rank[a[i]] = (uint32_t)(i + 1);
	free(b);
	if (!order_out) {
		free(a);
		return rank;
	}
	memmove(a + 1, a, n * sizeof(*a));
	a[0] = 0;
	*order_out = a;
	return rank;
}

static inline int edge_key_cmp(const struct dedge *x, const struct dedge *y)
{
	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	if (x->slice != y->slice)
		return x->slice < y->slice ? -1 : 1;
	return 0;
}

static void swap_edges(struct dedge *a, struct dedge *b)
{
	struct dedge t = *a;

	*a = *b;
	*b = t;
}

/*
 * Split e around a median-of-three pivot: returns k with e[0, k) <= pivot
 * <= e[k, n). n > 16.
 */
static size_t partition_edges(struct dedge *e, size_t n)
{
	size_t mid = n / 2, i = 0, j = n - 1;
	struct dedge pivot;

	if (edge_key_cmp(&e[mid], &e[0]) < 0)
		swap_edges(&e[mid], &e[0]);
	if (edge_key_cmp(&e[n - 1], &e[0]) < 0)
		swap_edges(&e[n - 1], &e[0]);
	if (edge_key_cmp(&e[n - 1], &e[mid]) < 0)
		swap_edges(&e[n - 1], &e[mid]);
	pivot = e[mid];
	for (;;) {
		while (edge_key_cmp(&e[i], &pivot) < 0)
			i++;
		while (edge_key_cmp(&pivot, &e[j]) < 0)
			j--;
		if (i >= j)
			return j + 1;
		swap_edges(&e[i], &e[j]);
		i++;
		j--;
	}
}

/* Quicksort (median of three, smaller side first) with insertion sort below 16. */
static void sort_edges(struct dedge *e, size_t n)
{
	while (n > 16) {
		size_t k = partition_edges(e, n);

		if (k < n - k) {
			sort_edges(e, k);
			e += k;
			n -= k;
		} else {
			sort_edges(e + k, n - k);
			n = k;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct dedge t = e[i];
		size_t j = i;

		while (j > 0 && edge_key_cmp(&t, &e[j - 1]) < 0) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = t;
	}
}

struct edge_run {
	struct dedge *e;
	size_t n;
};

static void sort_run(void *p)
{
	struct edge_run *r = p;

	sort_edges(r->e, r->n);
}

/* sort_edges, the two sides of the first split sorted side by side. */
static void sort_edges_par(struct dedge *e, size_t n)
{
	struct edge_run left, right;
	size_t k;

	if (n < PAR_SORT_MIN) {
		sort_edges(e, n);
		return;
	}
	k = partition_edges(e, n);
	left.e = e;
	left.n = k;
	right.e = e + k;
	right.n = n - k;
	par_both(sort_run, &left, &right);
}

static void to_ranks(const struct order *o, struct dedge *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		e[i].caller = o->node_rank[e[i].caller];
		e[i].callee = o->node_rank[e[i].callee];
		e[i].slice = o->slice_rank[e[i].slice];
	}
}

/* ---- output ---- */

struct emitter {
	struct dedup *d;
	const struct order *o;
	struct es_writer *w;
	uint32_t *node_h;		/* by node rank: the writer's handle */
	uint32_t *ctx_h, *win_h, *mod_h;
	struct dedge cur;
	int have;
};

static uint32_t out_node(struct emitter *m, uint32_t rank)
{
	if (!m->node_h[rank]) {
		const struct segmap_node *n = &m->d->sm.nodes[m->o->node_of[rank]];
		struct es_node v;

		if (!m->mod_h[n->module]) {
			struct es_module mod;

			segmap_module_out(&m->d->sm, n->module, &mod);
			m->mod_h[n->module] = es_writer_module(m->w, &mod);
		}
		memset(&v, 0, sizeof(v));
		v.module = m->mod_h[n->module];
		v.symbol = n->symbol;
		v.offset = n->offset;
		v.flags = n->flags;
		v.state = n->state;
		v.file = n->file;
		v.line = n->line;
		m->node_h[rank] = v.module ? es_writer_node(m->w, &v) : 0;
	}
	return m->node_h[rank];
}

static uint32_t out_ctx(struct emitter *m, uint32_t id)
{
	if (!id)
		return 0;
	if (!m->ctx_h[id]) {
		const struct dctx *c = &m->d->ctxs[id];
		struct es_context v;

		memset(&v, 0, sizeof(v));
		v.host = c->host;
		v.comm = c->comm;
		v.container = c->container;
		v.pid = c->pid;
		v.cgroup = c->cgroup;
		m->ctx_h[id] = es_writer_context(m->w, &v);
	}
	return m->ctx_h[id];
}

static int emit_one(struct emitter *m, const struct dedge *x)
{
	uint32_t slice = m->o->slice_of[x->slice];
	struct dslice sl = { 0, 0 };
	struct es_edge e;

	if (slice)
		sl = m->d->slices[slice];
	memset(&e, 0, sizeof(e));
	e.caller = out_node(m, x->caller);
	e.callee = out_node(m, x->callee);
	e.ctx = out_ctx(m, sl.ctx);
	if (sl.win) {
		uint32_t id = sl.win;

		if (!m->win_h[id]) {
			uint64_t start = m->d->wins[id], end = start + m->d->o.window_ns;

			/* The last window of time ends at the end of the clock. */
			if (end < start)
				end = UINT64_MAX;
			m->win_h[id] = es_writer_window(m->w, start, end);
		}
		e.window = m->win_h[id];
	}
	e.count = x->count;
	e.first_ns = x->first;
	e.last_ns = x->last;
	e.evidence = x->evidence;
	e.site = x->site;
	e.confidence = x->confidence;
	e.edge_class = x->edge_class;
	e.conflict = x->conflict;
	e.resolution = x->resolution;
	m->d->st.distinct++;
	return es_writer_edge(m->w, &e);
}

/* Feed sorted entries; equal keys (from different runs) are folded. */
static int emit(struct emitter *m, const struct dedge *x)
{
	if (m->have && edge_key_cmp(&m->cur, x) == 0) {
		fold(m->d, &m->cur, x);
		return 0;
	}
	if (m->have && emit_one(m, &m->cur) < 0)
		return -1;
	m->cur = *x;
	m->have = 1;
	return 0;
}

/* A buffered reader over one sorted run. */
struct runbuf {
	int fd;
	uint64_t left;
	off_t off;
	struct dedge *buf;
	size_t pos, len;
};

#define RUNBUF_EDGES 4096

static int runbuf_fill(struct dedup *d, struct runbuf *b)
{
	size_t want = b->left < RUNBUF_EDGES ? (size_t)b->left : RUNBUF_EDGES;

	if (read_all(d, b->fd, b->buf, want * sizeof(*b->buf), b->off) < 0)
		return -1;
	b->off += (off_t)(want * sizeof(*b->buf));
	b->left -= want;
	b->pos = 0;
	b->len = want;
	return 0;
}

/* Sort each run by rank (runs fit in memory: they were made under the limit). */
static int sort_runs(struct dedup *d, const struct order *o)
{
	size_t i;

	for (i = 0; i < d->nruns; i++) {
		size_t bytes = d->runs[i].count * sizeof(struct dedge);

		if (entries_reserve(d, d->runs[i].count) < 0)
			return -1;
		if (read_all(d, d->runs[i].fd, d->e, bytes, 0) < 0)
			return -1;
		to_ranks(o, d->e, d->runs[i].count);
		sort_edges_par(d->e, d->runs[i].count);
		if (pwrite(d->runs[i].fd, d->e, bytes, 0) != (ssize_t)bytes) {
			tm_err_errno(d->err, TM_EXIT_ENV, errno, "spill file: write error");
			return -1;
		}
	}
	return 0;
}

static int merge_runs(struct dedup *d, struct emitter *m)
{
	struct runbuf *b = calloc(d->nruns, sizeof(*b));
	size_t i, live = 0;
	int rc = 0;

	if (!b)
		return nomem(d);
	/* The entries buffer is free now: carve the run buffers out of it. */
	if (entries_reserve(d, d->nruns * RUNBUF_EDGES) < 0) {
		free(b);
		return -1;
	}
	for (i = 0; i < d->nruns; i++) {
		b[i].fd = d->runs[i].fd;
		b[i].left = d->runs[i].count;
		b[i].buf = d->e + i * RUNBUF_EDGES;
		if (runbuf_fill(d, &b[i]) < 0) {
			free(b);
			return -1;
		}
		live += b[i].len > 0;
	}
	/* Runs are few (memory / limit): a linear scan for the least head is enough. */
	while (live && rc == 0) {
		size_t best = SIZE_MAX;

		for (i = 0; i < d->nruns; i++)
			if (b[i].pos < b[i].len &&
			    (best == SIZE_MAX || edge_key_cmp(&b[i].buf[b[i].pos], &b[best].buf[b[best].pos]) < 0))
				best = i;
		rc = emit(m, &b[best].buf[b[best].pos++]);
		if (rc == 0 && b[best].pos == b[best].len) {
			if (b[best].left)
				rc = runbuf_fill(d, &b[best]);
			else
				live--;
		}
	}
	free(b);
	return rc;
}

static int cov_cmp(const void *a, const void *b)
{
	const struct dcov *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->method != y->method)
		return x->method < y->method ? -1 : 1;
	if (x->ctx != y->ctx)
		return x->ctx < y->ctx ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Coverage: intervals per (node, method, context) merged where they overlap. */
static int emit_coverage(struct emitter *m)
{
	struct dedup *d = m->d;
	size_t i;

	for (i = 0; i < d->ncovs; i++) {
		d->covs[i].node = m->o->node_rank[d->covs[i].node];
		d->covs[i].ctx = d->covs[i].ctx ? m->o->ctx_rank[d->covs[i].ctx] : 0;
	}
	/* Ranks make the order independent of the input: qsort needs no context. */
	if (d->ncovs)
		qsort(d->covs, d->ncovs, sizeof(*d->covs), cov_cmp);
	for (i = 0; i < d->ncovs;) {
		struct dcov cur = d->covs[i++];
		struct es_coverage c;

		while (i < d->ncovs && d->covs[i].node == cur.node && d->covs[i].method == cur.method &&
		    d->covs[i].ctx == cur.ctx && d->covs[i].start <= cur.end) {
			if (d->covs[i].end > cur.end)
				cur.end = d->covs[i].end;
			i++;
		}
		memset(&c, 0, sizeof(c));
		c.node = out_node(m, cur.node);
		c.ctx = out_ctx(m, m->o->ctx_of[cur.ctx]);
		c.method = cur.method;
		c.start_ns = cur.start;
		c.end_ns = cur.end;
		if (es_writer_coverage(m->w, &c) < 0)
			return -1;
	}
	return 0;
}

int dedup_write(struct dedup *d, struct es_writer *w, const char *producer)
{
	struct order o;
	struct emitter m;
	struct es_header h;
	static const char *const by_names[] = { "host", "container", "pid", "comm" };
	struct es_param params[2];
	char by[64], window[32];
	size_t np = 0, i;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	if (d->err->code)
		return -1;
	/* Nothing is probed any more: the index's memory goes to the output. */
	if (d->nruns && spill(d) < 0)
		return -1;
	slotindex_free(&d->ix);
	if (segmap_node_ranks(&d->sm, &o.node_rank, &o.node_of) < 0) {
		nomem(d);
		goto out;
	}
	o.ctx_rank = ranks(d, &o, SORT_CTXS, d->nctxs, &o.ctx_of);
	o.win_rank = o.ctx_rank ? ranks(d, &o, SORT_WINS, d->nwins, NULL) : NULL;
	o.slice_rank = o.win_rank ? ranks(d, &o, SORT_SLICES, d->nslices, &o.slice_of) : NULL;
	m.d = d;
	m.o = &o;
	m.w = w;
	m.node_h = calloc(d->sm.nnodes + 1, sizeof(uint32_t));
	m.ctx_h = calloc(d->nctxs + 1, sizeof(uint32_t));
	m.win_h = calloc(d->nwins + 1, sizeof(uint32_t));
	m.mod_h = calloc(d->sm.nmods + 1, sizeof(uint32_t));
	if (!o.slice_rank || !m.node_h || !m.ctx_h || !m.win_h || !m.mod_h) {
		nomem(d);
		goto out;
	}
	if (es_writer_borrow_strings(w, &d->sm.strs) < 0)
		goto out;

	memset(&h, 0, sizeof(h));
	h.producer = producer;
	h.source = "dedup";
	h.host = !d->host_mixed && d->host ? str(d, d->host) : NULL;
	h.start_ns = d->start_ns;
	h.end_ns = d->end_ns;
	/* Options in canonical form: "--by pid,host" and "--by host,pid" agree. */
	by[0] = '\0';
	for (i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (d->o.by & (1u << i))
			snprintf(by + strlen(by), sizeof(by) - strlen(by), "%s%s", by[0] ? "," : "",
			    by_names[i]);
	params[np].key = "by";
	params[np++].value = by[0] ? by : "none";
	if (d->o.window_ns) {
		cli_format_duration(d->o.window_ns, window, sizeof(window));
		params[np].key = "window";
		params[np++].value = window;
	}
	h.params = params;
	h.nparams = np;
	if (es_writer_begin(w, &h) < 0)
		goto out;

	if (d->nruns) {
		if (sort_runs(d, &o) < 0 || merge_runs(d, &m) < 0)
			goto out;
	} else {
		to_ranks(&o, d->e, d->n);
		sort_edges_par(d->e, d->n);
		for (i = 0; i < d->n; i++)
			if (emit(&m, &d->e[i]) < 0)
				goto out;
	}
	if (m.have && emit_one(&m, &m.cur) < 0)
		goto out;
	if (emit_coverage(&m) < 0)
		goto out;
	for (i = 0; i < d->nlosses; i++)
		if (es_writer_loss(w, str(d, d->losses[i].name), d->losses[i].count) < 0)
			goto out;
	if (es_writer_end(w) < 0)
		goto out;
	d->st.nodes = d->sm.nnodes;
	d->st.modules = d->sm.nmods;
	d->st.string_bytes = strtab_bytes(&d->sm.strs) + d->input_string_bytes;
	rc = 0;
out:
	free(o.node_rank);
	free(o.node_of);
	free(o.ctx_rank);
	free(o.ctx_of);
	free(o.win_rank);
	free(o.slice_rank);
	free(o.slice_of);
	free(m.node_h);
	free(m.ctx_h);
	free(m.win_h);
	free(m.mod_h);
	return rc;
}

/* ---- lifecycle ---- */

struct dedup *dedup_new(const struct dedup_opts *opts, struct tm_err *err)
{
	struct dedup *d = calloc(1, sizeof(*d));

	if (!d) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	d->o = *opts;
	d->err = err;
	segmap_init(&d->sm);
	idmap_init(&d->ctxmap);
	idmap_init(&d->winmap);
	idmap_init(&d->slicemap);
	idmap_init(&d->covmap);
	return d;
}

void dedup_free(struct dedup *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nruns; i++)
		close(d->runs[i].fd);
	free(d->runs);
	segmap_free(&d->sm);
	free(d->ctxs);
	free(d->wins);
	free(d->slices);
	idmap_free(&d->ctxmap);
	idmap_free(&d->winmap);
	idmap_free(&d->slicemap);
	idmap_free(&d->covmap);
	mem_big_free(d->e, d->cap * sizeof(*d->e));
	slotindex_free(&d->ix);
	free(d->covs);
	free(d->losses);
	segmap_idvec_free(&d->seg_ctx);
	free(d);
}

const struct dedup_stats *dedup_stats(const struct dedup *d)
{
	return &d->st;
}

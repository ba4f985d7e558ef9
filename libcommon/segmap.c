/*
 * segmap.c - segment-local ids to global tables (see segmap.h).
 */
#include "segmap.h"

#include <stdlib.h>
#include <string.h>

#include "lattice.h"
#include "mem.h"
#include "par.h"

void segmap_init(struct segmap *s)
{
	memset(s, 0, sizeof(*s));
	strtab_init(&s->strs);
	idmap_init(&s->modmap);
	idmap_init(&s->nodemap);
}

void segmap_free(struct segmap *s)
{
	strtab_free(&s->strs);
	mem_big_free(s->mods, s->mods_cap * sizeof(*s->mods));
	mem_big_free(s->nodes, s->nodes_cap * sizeof(*s->nodes));
	idmap_free(&s->modmap);
	idmap_free(&s->nodemap);
	segmap_idvec_free(&s->seg_str);
	segmap_idvec_free(&s->seg_mod);
	segmap_idvec_free(&s->seg_node);
	free(s->losses);
	segmap_init(s);
}

int segmap_side_grow(void **p, size_t *cap, size_t n, size_t elsize)
{
	if (n < *cap)
		return 0;
	return mem_big_grow(p, cap, n + 1, elsize);
}

uint32_t *segmap_idvec_slot(struct segmap_idvec *v, uint32_t id)
{
	if (id >= v->cap) {
		void *p = v->v;

		if (segmap_side_grow(&p, &v->cap, id, sizeof(uint32_t)) < 0)
			return NULL;
		v->v = p;
	}
	if (id > v->hi)
		v->hi = id;
	return &v->v[id];
}

void segmap_idvec_free(struct segmap_idvec *v)
{
	mem_big_free(v->v, v->cap * sizeof(*v->v));
	memset(v, 0, sizeof(*v));
}

void segmap_idvec_reset(struct segmap_idvec *v)
{
	if (v->v)
		memset(v->v, 0, (v->hi + 1) * sizeof(uint32_t));
	v->hi = 0;
}

void segmap_segment(struct segmap *s)
{
	segmap_idvec_reset(&s->seg_str);
	segmap_idvec_reset(&s->seg_mod);
	segmap_idvec_reset(&s->seg_node);
}

uint32_t segmap_intern(struct segmap *s, const char *str, size_t len)
{
	return strtab_intern(&s->strs, str, len);
}

uint32_t segmap_string(struct segmap *s, const struct es_reader *r, uint32_t rsid)
{
	uint32_t *slot;
	const char *p;
	size_t len;

	if (!rsid)
		return 0;
	slot = segmap_idvec_slot(&s->seg_str, rsid);
	if (!slot)
		return SEGMAP_ERR;
	if (*slot)
		return *slot;
	p = es_reader_string(r, rsid, &len);
	*slot = strtab_intern(&s->strs, p, len);
	return *slot ? *slot : SEGMAP_ERR;
}

int segmap_str_cmp(const struct segmap *s, uint32_t a, uint32_t b)
{
	size_t la = 0, lb = 0;
	const char *pa, *pb;
	int c;

	if (a == b)
		return 0;
	if (!a || !b)
		return a ? -1 : 1;
	pa = strtab_get(&s->strs, a, &la);
	pb = strtab_get(&s->strs, b, &lb);
	c = memcmp(pa, pb, la < lb ? la : lb);
	return c ? c : la < lb ? -1 : 1;
}

static uint64_t mod_hash(const struct segmap_module *m)
{
	return m->id_kind ? mem_hash(m->id, m->id_len, m->id_kind) : mem_hash_u64(0x51ed, m->name);
}

static int mod_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct segmap_module *a = &((const struct segmap *)ctx)->mods[id], *b = key;

	if (a->id_kind != b->id_kind)
		return 0;
	if (a->id_kind)
		return a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0;
	return a->name == b->name;
}

static uint32_t intern_cstr(struct segmap *s, const char *p)
{
	return p ? strtab_intern(&s->strs, p, strlen(p)) : 0;
}

uint32_t segmap_module_intern(struct segmap *s, const struct segmap_module *k)
{
	uint64_t h = mod_hash(k);
	uint32_t id = idmap_find(&s->modmap, h, mod_eq, s, k);

	if (id) {
		struct segmap_module *g = &s->mods[id];

		if (segmap_str_cmp(s, k->name, g->name) < 0)
			g->name = k->name;
		if (segmap_str_cmp(s, k->path, g->path) < 0)
			g->path = k->path;
		if (segmap_str_cmp(s, k->purl, g->purl) < 0)
			g->purl = k->purl;
	} else {
		void *p = s->mods;

		if (s->nmods >= UINT32_MAX - 2 || mem_big_grow(&p, &s->mods_cap, s->nmods + 2, sizeof(*s->mods)) < 0)
			return SEGMAP_ERR;
		s->mods = p;
		s->mods[++s->nmods] = *k;
		id = (uint32_t)s->nmods;
		if (idmap_insert(&s->modmap, h, id) < 0)
			return SEGMAP_ERR;
	}
	return id;
}

uint32_t segmap_module(struct segmap *s, const struct es_reader *r, uint32_t rmid)
{
	struct segmap_module k;
	struct es_module m;
	uint32_t *slot, id;

	slot = segmap_idvec_slot(&s->seg_mod, rmid);
	if (!slot)
		return SEGMAP_ERR;
	if (*slot)
		return *slot;
	if (es_reader_module(r, rmid, &m) < 0)
		return SEGMAP_ERR;
	memset(&k, 0, sizeof(k));
	k.id_kind = m.id_kind;
	k.id_len = (uint32_t)m.build_id_len;
	memcpy(k.id, m.build_id, m.build_id_len);
	k.name = intern_cstr(s, m.name);
	k.path = intern_cstr(s, m.path);
	k.purl = intern_cstr(s, m.purl);
	if (!k.name || (m.path && !k.path) || (m.purl && !k.purl))
		return SEGMAP_ERR;
	id = segmap_module_intern(s, &k);
	if (id != SEGMAP_ERR)
		*slot = id;
	return id;
}

/*
 * A symbolized node is (module, symbol, source file): two static functions
 * of one name in two files are two functions. An unsymbolized one is
 * (module, offset), and its file too with file_key.
 */
static uint64_t node_hash(const struct segmap *s, const struct segmap_node *n)
{
	uint64_t h = mem_hash_u64(mem_hash_u64(n->module, n->symbol), n->symbol ? n->file : n->offset);

	return s->file_key && !n->symbol ? mem_hash_u64(h, n->file) : h;
}

static int node_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct segmap *s = ctx;
	const struct segmap_node *a = &s->nodes[id], *b = key;

	if (a->module != b->module || a->symbol != b->symbol)
		return 0;
	if (a->symbol)
		return a->file == b->file;
	return a->offset == b->offset && (!s->file_key || a->file == b->file);
}

uint32_t segmap_node_slow(struct segmap *s, const struct es_reader *r, uint32_t rnid)
{
	const struct es_node *n = es_reader_node(r, rnid);
	struct segmap_node k;
	uint32_t *slot, id;
	uint64_t h;

	slot = segmap_idvec_slot(&s->seg_node, rnid);
	if (!slot || !n)
		return SEGMAP_ERR;
	memset(&k, 0, sizeof(k));
	k.module = segmap_module(s, r, n->module);
	k.symbol = segmap_string(s, r, n->symbol);
	k.file = segmap_string(s, r, n->file);
	if (k.module == SEGMAP_ERR || k.symbol == SEGMAP_ERR || k.file == SEGMAP_ERR)
		return SEGMAP_ERR;
	k.offset = n->offset;
	k.flags = n->flags;
	k.state = n->state;
	k.line = n->line;
	h = node_hash(s, &k);
	id = idmap_find(&s->nodemap, h, node_eq, s, &k);
	if (id) {
		struct segmap_node *g = &s->nodes[id];
		int c;

		g->flags |= k.flags;
		g->state = lattice_join(g->state, k.state);
		if (k.symbol && k.offset && (!g->offset || k.offset < g->offset))
			g->offset = k.offset;
		/* Unsymbolized nodes may name a file: keep the least. */
		c = segmap_str_cmp(s, k.file, g->file);
		if (c < 0 || (c == 0 && k.line && (!g->line || k.line < g->line))) {
			g->file = k.file;
			g->line = k.line;
		}
	} else {
		void *p = s->nodes;

		if (s->nnodes >= UINT32_MAX - 2 ||
		    mem_big_grow(&p, &s->nodes_cap, s->nnodes + 2, sizeof(*s->nodes)) < 0)
			return SEGMAP_ERR;
		s->nodes = p;
		s->nodes[++s->nnodes] = k;
		id = (uint32_t)s->nnodes;
		if (idmap_insert(&s->nodemap, h, id) < 0)
			return SEGMAP_ERR;
	}
	*slot = id;
	return id;
}

static inline int mod_cmp(const struct segmap *s, uint32_t a, uint32_t b)
{
	const struct segmap_module *mx = &s->mods[a], *my = &s->mods[b];
	int c;

	if (a == b)
		return 0;
	c = strcmp(segmap_str(s, mx->name), segmap_str(s, my->name));
	if (c)
		return c;
	if (mx->id_kind != my->id_kind)
		return mx->id_kind < my->id_kind ? -1 : 1;
	if (mx->id_len != my->id_len)
		return mx->id_len < my->id_len ? -1 : 1;
	return memcmp(mx->id, my->id, mx->id_len);
}

int segmap_module_cmp(const struct segmap *s, uint32_t a, uint32_t b)
{
	return mod_cmp(s, a, b);
}

int segmap_node_cmp(const struct segmap *s, uint32_t a, uint32_t b)
{
	const struct segmap_node *x = &s->nodes[a], *y = &s->nodes[b];
	int c;

	if (x->module != y->module && (c = mod_cmp(s, x->module, y->module)) != 0)
		return c;
	if (x->symbol != y->symbol) {
		if (!x->symbol || !y->symbol)
			return x->symbol ? -1 : 1;
		return segmap_str_cmp(s, x->symbol, y->symbol);
	}
	if (x->symbol)
		return segmap_str_cmp(s, x->file, y->file);
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

/*
 * A node's sort key: what segmap_node_cmp looks at first, gathered once so
 * that most comparisons read two keys side by side instead of following the
 * node, its module and its symbol's string entry.
 */
struct node_key {
	uint32_t mrank;			/* module rank */
	uint32_t id;
	const char *sym;		/* NULL when unsymbolized */
	size_t len;
};

static int node_key_cmp(const struct segmap *s, const struct node_key *x, const struct node_key *y)
{
	int c;

	if (x->mrank != y->mrank)
		return x->mrank < y->mrank ? -1 : 1;
	if (!x->sym != !y->sym)
		return x->sym ? -1 : 1;
	if (x->sym && x->sym != y->sym) {
		c = memcmp(x->sym, y->sym, x->len < y->len ? x->len : y->len);
		if (c)
			return c;
		if (x->len != y->len)
			return x->len < y->len ? -1 : 1;
	}
	return segmap_node_cmp(s, x->id, y->id);
}

static int mod_key_cmp(const struct segmap *s, const struct node_key *x, const struct node_key *y)
{
	return mod_cmp(s, x->id, y->id);
}

typedef int key_cmp_fn(const struct segmap *s, const struct node_key *x, const struct node_key *y);

/*
 * Merge the sorted runs x[0, m) and y[0, k) into out (x first on ties). y
 * may be the end of out itself: out[i] is only written once y[i - m] or
 * later has been read.
 */
static void merge_keys(const struct segmap *s, key_cmp_fn *cmp, const struct node_key *x, size_t m,
    const struct node_key *y, size_t k, struct node_key *out)
{
	size_t p = 0, q = 0, o = 0;

	while (p < m && q < k)
		out[o++] = cmp(s, &x[p], &y[q]) <= 0 ? x[p++] : y[q++];
	while (p < m)
		out[o++] = x[p++];
	while (q < k)
		out[o++] = y[q++];
}

/*
 * Bottom-up merge sort of n keys (stable, no recursion, no context-free
 * qsort); b has room for n. Returns whichever of a and b ends up sorted.
 */
static struct node_key *sort_keys(const struct segmap *s, key_cmp_fn *cmp, struct node_key *a,
    struct node_key *b, size_t n)
{
	size_t width, i;

	for (width = 1; width < n; width *= 2) {
		struct node_key *t;

		for (i = 0; i < n; i += 2 * width) {
			size_t m = i + width < n ? i + width : n, h = i + 2 * width < n ? i + 2 * width : n;

			merge_keys(s, cmp, a + i, m - i, a + m, h - m, b + i);
		}
		t = a;
		a = b;
		b = t;
	}
	return a;
}

struct sort_job {
	const struct segmap *s;
	key_cmp_fn *cmp;
	struct node_key *a, *b, *sorted;
	size_t n;
};

static void sort_job_run(void *p)
{
	struct sort_job *j = p;

	j->sorted = sort_keys(j->s, j->cmp, j->a, j->b, j->n);
}

/*
 * sort_keys with the two halves sorted side by side, then merged. The
 * result is the same: a stable sort of the whole.
 */
static struct node_key *sort_keys_par(const struct segmap *s, key_cmp_fn *cmp, struct node_key *a,
    struct node_key *b, size_t n)
{
	size_t h = n / 2;
	struct sort_job left = { s, cmp, a, b, NULL, h }, right = { s, cmp, a + h, b + h, NULL, n - h };
	struct node_key *dst;

	if (n < PAR_SORT_MIN)
		return sort_keys(s, cmp, a, b, n);
	par_both(sort_job_run, &left, &right);
	/* The left half is in a or in b, and the merge goes to the other. The
	 * right half may have ended in either: in the other, it is the end of
	 * the merge's own output, which merge_keys allows. */
	dst = left.sorted == a ? b : a;
	merge_keys(s, cmp, left.sorted, h, right.sorted, n - h, dst);
	return dst;
}

int segmap_node_ranks(const struct segmap *s, uint32_t **rank_out, uint32_t **order_out)
{
	size_t n = s->nnodes, nm = s->nmods, i;
	size_t nk = (n > nm ? n : nm) + 1;
	struct node_key *keys = malloc(nk * sizeof(*keys)), *tmp = malloc(nk * sizeof(*tmp)), *sorted;
	uint32_t *mrank = calloc(nm + 1, sizeof(*mrank));
	uint32_t *order = malloc((n + 1) * sizeof(*order));
	uint32_t *rank = calloc(n + 1, sizeof(*rank));

	if (!keys || !tmp || !mrank || !order || !rank) {
		free(keys);
		free(tmp);
		free(mrank);
		free(order);
		free(rank);
		return -1;
	}
	/* Modules are ranked first: comparing nodes then compares two integers
	 * where it compared two module names. */
	for (i = 0; i < nm; i++)
		keys[i].id = (uint32_t)(i + 1);
	sorted = sort_keys(s, mod_key_cmp, keys, tmp, nm);
	for (i = 0; i < nm; i++)
		mrank[sorted[i].id] = (uint32_t)(i + 1);
	for (i = 0; i < n; i++) {
		const struct segmap_node *x = &s->nodes[i + 1];

		keys[i].mrank = mrank[x->module];
		keys[i].id = (uint32_t)(i + 1);
		keys[i].sym = x->symbol ? strtab_get(&s->strs, x->symbol, &keys[i].len) : NULL;
	}
	sorted = sort_keys_par(s, node_key_cmp, keys, tmp, n);
	order[0] = 0;
	for (i = 0; i < n; i++) {
		order[i + 1] = sorted[i].id;
		rank[sorted[i].id] = (uint32_t)(i + 1);
	}
	free(keys);
	free(tmp);
	free(mrank);
	*rank_out = rank;
	*order_out = order;
	return 0;
}

int segmap_cov_cmp(const void *a, const void *b)
{
	const struct segmap_cov *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->method != y->method)
		return x->method < y->method ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

void segmap_module_out(const struct segmap *s, uint32_t mid, struct es_module *out)
{
	const struct segmap_module *g = &s->mods[mid];

	memset(out, 0, sizeof(*out));
	out->name = segmap_str(s, g->name);
	out->path = g->path ? segmap_str(s, g->path) : NULL;
	out->purl = g->purl ? segmap_str(s, g->purl) : NULL;
	out->id_kind = g->id_kind;
	out->build_id_len = g->id_len;
	memcpy(out->build_id, g->id, g->id_len);
}

int segmap_loss(struct segmap *s, const char *name, uint64_t count)
{
	uint32_t sid = intern_cstr(s, name);
	void *p = s->losses;

	if (!sid)
		return -1;
	for (size_t i = 0; i < s->nlosses; i++)
		if (s->losses[i].name == sid) {
			s->losses[i].count = es_count_add(s->losses[i].count, count);
			return 0;
		}
	if (mem_grow(&p, &s->losses_cap, s->nlosses + 1, sizeof(*s->losses)) < 0)
		return -1;
	s->losses = p;
	s->losses[s->nlosses].name = sid;
	s->losses[s->nlosses++].count = count;
	return 0;
}

int segmap_emit_init(struct segmap_emit *e, const struct segmap *s, struct es_writer *w)
{
	e->s = s;
	e->w = w;
	e->mod_h = NULL;
	if (es_writer_borrow_strings(w, &s->strs) < 0)
		return -1;
	e->mod_h = calloc(s->nmods + 1, sizeof(uint32_t));
	return e->mod_h ? 0 : -1;
}

void segmap_emit_free(struct segmap_emit *e)
{
	free(e->mod_h);
	e->mod_h = NULL;
}

uint32_t segmap_emit_module(struct segmap_emit *e, uint32_t mid)
{
	if (!e->mod_h[mid]) {
		struct es_module m;

		segmap_module_out(e->s, mid, &m);
		e->mod_h[mid] = es_writer_module(e->w, &m);
	}
	return e->mod_h[mid];
}

int segmap_emit_losses(struct segmap_emit *e)
{
	for (size_t i = 0; i < e->s->nlosses; i++)
		if (es_writer_loss(e->w, segmap_str(e->s, e->s->losses[i].name), e->s->losses[i].count) < 0)
			return -1;
	return 0;
}

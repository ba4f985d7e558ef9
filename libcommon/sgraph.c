/*
 * sgraph.c - the in-memory static call graph: string arena, open-addressing
 * interning of strings/nodes/edges/sites, CSR adjacency, name resolution.
 */
#include "sgraph.h"
#include "idmap.h"
#include "mem.h"
#include "symname.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SG_CHUNK_SIZE (256u * 1024u)

struct sg_str {
	const char *p;
	uint32_t len;
	uint32_t hash;   /* low bits of the string hash: a cheap first compare */
};

struct sgraph {
	/* strings: chunked arena, never moved */
	char **chunks;
	size_t nchunks, chunks_cap;
	char *cur;
	size_t cur_left;
	struct sg_str *strs;
	size_t nstrs, strs_cap;
	struct idmap str_tab;

	struct sg_node *nodes;
	size_t nnodes, nodes_cap;
	struct idmap node_tab;   /* (name, file) -> node */
	struct idmap name_tab;   /* name -> a node with that name */
	struct idmap base_tab;   /* base -> a node with that base */

	struct sg_edge *edges;
	size_t nedges, edges_cap;
	struct idmap pair_tab;   /* (caller, callee) -> first edge, for sgraph_find_edge */
	size_t npaired;          /* edges linked into pair_tab and the next_pair chains */
	struct idmap edge_tab;   /* (caller, callee, site) -> edge */

	struct sg_isite *isites;
	size_t nisites, isites_cap;
	struct idmap isite_tab;  /* (caller, site) -> isite */

	/* adjacency, built by sgraph_finish() */
	int finished;
	uint32_t *out_off, *out_ids;
	uint32_t *in_off, *in_ids;
	uint32_t *is_off, *is_ids;
	size_t adj_nodes;           /* node count the adjacency was built for */

	size_t bytes;               /* allocated, for sgraph_memory() */
};

/* ---- hashing ---- */

static uint64_t sg_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t sg_hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
		s += 8;
		len -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, len);
	return sg_mix(h ^ w);
}

static uint64_t sg_hash2(uint32_t a, uint32_t b)
{
	return sg_mix(((uint64_t)a << 32 | b) + 0x9e3779b97f4a7c15ull);
}

static uint64_t sg_hash_loc(uint64_t h, const struct sg_loc *l)
{
	return sg_mix(h ^ sg_hash2(l->file, l->line) ^ ((uint64_t)l->col << 17));
}

/* ---- tables (idmap: ids are index + 1) ---- */

/* The index stored under hash h whose key equals key, or SG_NONE. */
static uint32_t sg_find(const struct sgraph *g, const struct idmap *m, uint64_t h,
    idmap_eq_fn eq, const void *key)
{
	uint32_t id = idmap_find(m, h, eq, g, key);
	return id ? id - 1 : SG_NONE;
}

static int sg_insert(struct sgraph *g, struct idmap *m, uint64_t h, uint32_t idx)
{
	size_t before = idmap_bytes(m);
	if (idmap_insert(m, h, idx + 1) < 0)
		return -1;
	g->bytes += idmap_bytes(m) - before;
	return 0;
}

static int sg_vec_grow(struct sgraph *g, void **p, size_t *cap, size_t need, size_t elem)
{
	size_t old = *cap;

	if (need <= old)
		return 0;
	if (mem_big_grow(p, cap, need, elem) < 0)
		return -1;
	g->bytes += (*cap - old) * elem;
	return 0;
}

/* ---- strings ---- */

struct sg_strkey {
	const char *s;
	size_t len;
	uint32_t hash;
};

static int sg_str_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	const struct sg_strkey *k = key;
	const struct sg_str *s = &g->strs[id - 1];
	return s->hash == k->hash && s->len == k->len && memcmp(s->p, k->s, k->len) == 0;
}

static char *sg_arena_alloc(struct sgraph *g, size_t n)
{
	if (n > g->cur_left) {
		size_t sz = n > SG_CHUNK_SIZE / 4 ? n : SG_CHUNK_SIZE;
		if (g->nchunks == g->chunks_cap &&
		    sg_vec_grow(g, (void **)&g->chunks, &g->chunks_cap, g->nchunks + 1,
		    sizeof *g->chunks))
			return NULL;
		char *c = malloc(sz);
		if (!c)
			return NULL;
		g->bytes += sz;
		g->chunks[g->nchunks++] = c;
		if (sz != SG_CHUNK_SIZE)
			return c;   /* a big string gets its own chunk */
		g->cur = c;
		g->cur_left = sz;
	}
	char *p = g->cur;
	g->cur += n;
	g->cur_left -= n;
	return p;
}

uint32_t sgraph_str_find(const struct sgraph *g, const char *s, size_t len)
{
	if (len > SG_MAX_STRLEN)
		return SG_NONE;
	if (len == 0)
		return 0;
	uint64_t h = sg_hash_bytes(s, len);
	struct sg_strkey k = { s, len, (uint32_t)h };
	return sg_find(g, &g->str_tab, h, sg_str_eq, &k);
}

uint32_t sgraph_intern(struct sgraph *g, const char *s, size_t len)
{
	if (len > SG_MAX_STRLEN)
		return SG_NONE;
	if (len == 0)
		return 0;
	uint64_t h = sg_hash_bytes(s, len);
	struct sg_strkey k = { s, len, (uint32_t)h };
	uint32_t id = sg_find(g, &g->str_tab, h, sg_str_eq, &k);
	if (id != SG_NONE)
		return id;
	if (g->nstrs >= SG_MAX_EDGES)
		return SG_NONE;
	if (sg_vec_grow(g, (void **)&g->strs, &g->strs_cap, g->nstrs + 1, sizeof *g->strs))
		return SG_NONE;
	char *p = sg_arena_alloc(g, len + 1);
	if (!p)
		return SG_NONE;
	memcpy(p, s, len);
	p[len] = '\0';
	id = (uint32_t)g->nstrs;
	g->strs[id] = (struct sg_str){ p, (uint32_t)len, (uint32_t)h };
	if (sg_insert(g, &g->str_tab, h, id))
		return SG_NONE;
	g->nstrs++;
	return id;
}

size_t sgraph_str_count(const struct sgraph *g)
{
	return g->nstrs;
}

const char *sgraph_str(const struct sgraph *g, uint32_t id)
{
	if (id >= g->nstrs)
		return "";
	return g->strs[id].p;
}

size_t sgraph_str_len(const struct sgraph *g, uint32_t id)
{
	if (id >= g->nstrs)
		return 0;
	return g->strs[id].len;
}

/* ---- lifecycle ---- */

struct sgraph *sgraph_new(void)
{
	struct sgraph *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->bytes = sizeof *g;
	/* String 0 is "" so that 0 can mean "no file". */
	if (sg_vec_grow(g, (void **)&g->strs, &g->strs_cap, 1, sizeof *g->strs)) {
		sgraph_free(g);
		return NULL;
	}
	g->strs[0] = (struct sg_str){ "", 0, 0 };
	g->nstrs = 1;
	return g;
}

static void sg_free_adjacency(struct sgraph *g)
{
	free(g->out_off);
	free(g->out_ids);
	free(g->in_off);
	free(g->in_ids);
	free(g->is_off);
	free(g->is_ids);
	g->out_off = g->out_ids = g->in_off = g->in_ids = g->is_off = g->is_ids = NULL;
	g->finished = 0;
}

void sgraph_drop_lookup(struct sgraph *g)
{
	struct idmap *tabs[] = { &g->str_tab, &g->node_tab, &g->name_tab, &g->base_tab,
		&g->pair_tab, &g->edge_tab, &g->isite_tab };

	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		g->bytes -= idmap_bytes(tabs[i]);
		idmap_free(tabs[i]);
	}
}

void sgraph_free(struct sgraph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nchunks; i++)
		free(g->chunks[i]);
	mem_big_free(g->chunks, g->chunks_cap * sizeof *g->chunks);
	mem_big_free(g->strs, g->strs_cap * sizeof *g->strs);
	idmap_free(&g->str_tab);
	mem_big_free(g->nodes, g->nodes_cap * sizeof *g->nodes);
	idmap_free(&g->node_tab);
	idmap_free(&g->name_tab);
	idmap_free(&g->base_tab);
	mem_big_free(g->edges, g->edges_cap * sizeof *g->edges);
	idmap_free(&g->pair_tab);
	idmap_free(&g->edge_tab);
	mem_big_free(g->isites, g->isites_cap * sizeof *g->isites);
	idmap_free(&g->isite_tab);
	sg_free_adjacency(g);
	free(g);
}

/* ---- nodes ---- */

struct sg_nodekey {
	uint32_t name, file;
};

static int sg_node_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	const struct sg_nodekey *k = key;
	return g->nodes[id - 1].name == k->name && g->nodes[id - 1].file == k->file;
}

static int sg_name_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	return g->nodes[id - 1].name == *(const uint32_t *)key;
}

static int sg_base_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	return g->nodes[id - 1].base == *(const uint32_t *)key;
}

static uint32_t sg_lookup_node(const struct sgraph *g, uint32_t name, uint32_t file)
{
	struct sg_nodekey k = { name, file };
	return sg_find(g, &g->node_tab, sg_hash2(name, file), sg_node_eq, &k);
}

/* Head of the chain of nodes sharing a name (or a base), SG_NONE if none. */
static uint32_t sg_chain_head(const struct sgraph *g, const struct idmap *m,
    idmap_eq_fn eq, uint32_t key)
{
	return sg_find(g, m, sg_mix(key), eq, &key);
}

/* Link node id into a chain index: the head stays the oldest node, the
 * others follow it newest first. */
static int sg_chain_link(struct sgraph *g, struct idmap *m, idmap_eq_fn eq, uint32_t key,
    uint32_t id, int base)
{
	uint32_t head = sg_chain_head(g, m, eq, key);
	if (head == SG_NONE)
		return sg_insert(g, m, sg_mix(key), id);
	struct sg_node *h = &g->nodes[head];
	if (base) {
		g->nodes[id].next_base = h->next_base;
		h->next_base = id;
	} else {
		g->nodes[id].next_name = h->next_name;
		h->next_name = id;
	}
	return 0;
}

uint32_t sgraph_node_ids(struct sgraph *g, uint32_t name, uint32_t file)
{
	if (name >= g->nstrs || file >= g->nstrs)
		return SG_NONE;
	uint32_t id = sg_lookup_node(g, name, file);
	if (id != SG_NONE)
		return id;
	if (g->nnodes >= SG_MAX_NODES)
		return SG_NONE;

	size_t base_len;
	const char *ns = g->strs[name].p;
	unsigned rules = symname_base(ns, g->strs[name].len, &base_len);
	uint32_t base = rules ? sgraph_intern(g, ns, base_len) : name;
	if (base == SG_NONE)
		return SG_NONE;
	if (sg_vec_grow(g, (void **)&g->nodes, &g->nodes_cap, g->nnodes + 1, sizeof *g->nodes))
		return SG_NONE;
	id = (uint32_t)g->nnodes;
	g->nodes[id] = (struct sg_node){
		.name = name, .file = file, .base = base, .rules = rules,
		.next_name = SG_NONE, .next_base = SG_NONE,
	};
	if (sg_insert(g, &g->node_tab, sg_hash2(name, file), id))
		return SG_NONE;
	g->nnodes++;
	if (sg_chain_link(g, &g->name_tab, sg_name_eq, name, id, 0) ||
	    sg_chain_link(g, &g->base_tab, sg_base_eq, base, id, 1))
		return SG_NONE;   /* the node exists; only a chain index missed it */
	g->finished = 0;
	return id;
}

uint32_t sgraph_node(struct sgraph *g, const char *name, size_t len, const char *file,
    size_t file_len)
{
	uint32_t n = sgraph_intern(g, name, len);
	uint32_t f = file ? sgraph_intern(g, file, file_len) : 0;
	if (n == SG_NONE || f == SG_NONE)
		return SG_NONE;
	return sgraph_node_ids(g, n, f);
}

uint32_t sgraph_find_node(const struct sgraph *g, const char *name, size_t len,
    const char *file, size_t file_len)
{
	uint32_t n = sgraph_str_find(g, name, len);
	uint32_t f = file ? sgraph_str_find(g, file, file_len) : 0;
	if (n == SG_NONE || f == SG_NONE)
		return SG_NONE;
	return sg_lookup_node(g, n, f);
}

void sgraph_set_flags(struct sgraph *g, uint32_t node, uint32_t flags)
{
	if (node < g->nnodes && (g->nodes[node].flags | flags) != g->nodes[node].flags) {
		g->nodes[node].flags |= flags;
		g->finished = 0;
	}
}

void sgraph_set_loc(struct sgraph *g, uint32_t node, const struct sg_loc *loc)
{
	if (node < g->nnodes && loc)
		g->nodes[node].loc = *loc;
}

void sgraph_set_stack(struct sgraph *g, uint32_t node, uint32_t bytes)
{
	if (node < g->nnodes)
		g->nodes[node].stack = bytes;
}

/* ---- edges and indirect sites ---- */

struct sg_edgekey {
	uint32_t caller, callee;
	const struct sg_loc *site;
};

static int sg_loc_eq(const struct sg_loc *a, const struct sg_loc *b)
{
	return a->file == b->file && a->line == b->line && a->col == b->col;
}

static int sg_pair_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	const struct sg_edgekey *k = key;
	return g->edges[id - 1].caller == k->caller && g->edges[id - 1].callee == k->callee;
}

static int sg_edge_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	const struct sg_edgekey *k = key;
	return sg_pair_eq(ctx, id, key) && sg_loc_eq(&g->edges[id - 1].site, k->site);
}

uint32_t sgraph_add_edge(struct sgraph *g, uint32_t caller, uint32_t callee,
    const struct sg_loc *site)
{
	static const struct sg_loc none;
	if (caller >= g->nnodes || callee >= g->nnodes)
		return SG_NONE;
	if (!site)
		site = &none;
	struct sg_edgekey k = { caller, callee, site };
	uint64_t hp = sg_hash2(caller, callee);
	uint64_t he = sg_hash_loc(hp, site);
	uint32_t id = sg_find(g, &g->edge_tab, he, sg_edge_eq, &k);
	if (id != SG_NONE)
		return id;
	if (g->nedges >= SG_MAX_EDGES - 1)
		return SG_NONE;
	if (sg_vec_grow(g, (void **)&g->edges, &g->edges_cap, g->nedges + 1, sizeof *g->edges))
		return SG_NONE;
	id = (uint32_t)g->nedges;
	g->edges[id] = (struct sg_edge){ caller, callee, *site, SG_NONE };
	if (sg_insert(g, &g->edge_tab, he, id))
		return SG_NONE;
	g->nedges++;
	g->finished = 0;
	return id;
}

/*
 * The pair index is only built for lookups by pair, when one is asked for:
 * importers and the merge never need it, and for a graph of a million edges
 * it would cost a probe per edge and 16 MiB.
 */
static int sg_link_pairs(struct sgraph *g)
{
	for (; g->npaired < g->nedges; g->npaired++) {
		uint32_t id = (uint32_t)g->npaired;
		struct sg_edge *e = &g->edges[id];
		struct sg_edgekey k = { e->caller, e->callee, NULL };
		uint64_t hp = sg_hash2(e->caller, e->callee);
		uint32_t head = sg_find(g, &g->pair_tab, hp, sg_pair_eq, &k);

		if (head == SG_NONE) {
			if (sg_insert(g, &g->pair_tab, hp, id))
				return -1;
		} else {
			e->next_pair = g->edges[head].next_pair;
			g->edges[head].next_pair = id;
		}
	}
	return 0;
}

uint32_t sgraph_find_edge(struct sgraph *g, uint32_t caller, uint32_t callee)
{
	struct sg_edgekey k = { caller, callee, NULL };

	if (sg_link_pairs(g) < 0)
		return SG_NONE;
	return sg_find(g, &g->pair_tab, sg_hash2(caller, callee), sg_pair_eq, &k);
}

struct sg_isitekey {
	uint32_t caller;
	const struct sg_loc *site;
};

static int sg_isite_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct sgraph *g = ctx;
	const struct sg_isitekey *k = key;
	return g->isites[id - 1].caller == k->caller &&
	    sg_loc_eq(&g->isites[id - 1].site, k->site);
}

uint32_t sgraph_add_isite(struct sgraph *g, uint32_t caller, const struct sg_loc *site)
{
	static const struct sg_loc none;
	if (caller >= g->nnodes)
		return SG_NONE;
	if (!site)
		site = &none;
	struct sg_isitekey k = { caller, site };
	uint64_t h = sg_hash_loc(sg_mix(caller), site);
	g->nodes[caller].flags |= SG_NODE_INDIRECT;
	uint32_t id = sg_find(g, &g->isite_tab, h, sg_isite_eq, &k);
	if (id != SG_NONE)
		return id;
	if (g->nisites >= SG_MAX_EDGES - 1)
		return SG_NONE;
	if (sg_vec_grow(g, (void **)&g->isites, &g->isites_cap, g->nisites + 1,
	    sizeof *g->isites))
		return SG_NONE;
	id = (uint32_t)g->nisites;
	g->isites[id] = (struct sg_isite){ caller, *site };
	if (sg_insert(g, &g->isite_tab, h, id))
		return SG_NONE;
	g->nisites++;
	g->finished = 0;
	return id;
}

size_t sgraph_node_count(const struct sgraph *g) { return g->nnodes; }
size_t sgraph_edge_count(const struct sgraph *g) { return g->nedges; }
size_t sgraph_isite_count(const struct sgraph *g) { return g->nisites; }
const struct sg_node *sgraph_nodes(const struct sgraph *g) { return g->nodes; }
const struct sg_edge *sgraph_edges(const struct sgraph *g) { return g->edges; }
const struct sg_isite *sgraph_isites(const struct sgraph *g) { return g->isites; }
size_t sgraph_memory(const struct sgraph *g) { return g->bytes; }

/* ---- adjacency ---- */

/* Counting sort of ids 0..m-1 by key(id) into off[0..n] / ids[0..m). */
static int sg_csr(size_t n, size_t m, const void *base, size_t stride, size_t key_off,
    uint32_t **offp, uint32_t **idsp)
{
	uint32_t *off = calloc(n + 1, sizeof *off);
	uint32_t *ids = malloc((m ? m : 1) * sizeof *ids);
	if (!off || !ids) {
		free(off);
		free(ids);
		return -1;
	}
	const char *b = base;
	for (size_t i = 0; i < m; i++) {
		uint32_t k;
		memcpy(&k, b + i * stride + key_off, sizeof k);
		off[k + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		off[i + 1] += off[i];
	/* Fill using off[k] as a cursor, then shift back. */
	for (size_t i = 0; i < m; i++) {
		uint32_t k;
		memcpy(&k, b + i * stride + key_off, sizeof k);
		ids[off[k]++] = (uint32_t)i;
	}
	for (size_t i = n; i > 0; i--)
		off[i] = off[i - 1];
	off[0] = 0;
	*offp = off;
	*idsp = ids;
	return 0;
}

int sgraph_finish(struct sgraph *g)
{
	if (g->finished)
		return 0;
	sg_free_adjacency(g);
	size_t n = g->nnodes;
	if (sg_csr(n, g->nedges, g->edges, sizeof *g->edges,
	    offsetof(struct sg_edge, caller), &g->out_off, &g->out_ids) ||
	    sg_csr(n, g->nedges, g->edges, sizeof *g->edges,
	    offsetof(struct sg_edge, callee), &g->in_off, &g->in_ids) ||
	    sg_csr(n, g->nisites, g->isites, sizeof *g->isites,
	    offsetof(struct sg_isite, caller), &g->is_off, &g->is_ids)) {
		sg_free_adjacency(g);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct sg_node *nd = &g->nodes[i];
		uint32_t in = g->in_off[i + 1] - g->in_off[i];
		uint32_t out = g->out_off[i + 1] - g->out_off[i];
		uint32_t isites = g->is_off[i + 1] - g->is_off[i];
		nd->flags &= ~(uint32_t)(SG_NODE_EXTERNAL | SG_NODE_NO_CALLERS | SG_NODE_ISOLATED);
		if ((nd->flags & SG_NODE_DECLARED) && !(nd->flags & SG_NODE_DEFINED))
			nd->flags |= SG_NODE_EXTERNAL;
		if (in == 0)
			nd->flags |= SG_NODE_NO_CALLERS;
		if (in == 0 && out == 0 && isites == 0)
			nd->flags |= SG_NODE_ISOLATED;
		if (in == 0 && nd->file != 0 && (nd->flags & SG_NODE_DEFINED))
			nd->flags |= SG_NODE_ADDR_TAKEN;
	}
	g->adj_nodes = n;
	g->finished = 1;
	return 0;
}

static const uint32_t *sg_adj(const struct sgraph *g, const uint32_t *off,
    const uint32_t *ids, uint32_t node, size_t *n)
{
	*n = 0;
	if (!g->finished || node >= g->adj_nodes)
		return NULL;
	*n = off[node + 1] - off[node];
	return ids + off[node];
}

const uint32_t *sgraph_out(const struct sgraph *g, uint32_t node, size_t *n)
{
	return sg_adj(g, g->out_off, g->out_ids, node, n);
}

const uint32_t *sgraph_in(const struct sgraph *g, uint32_t node, size_t *n)
{
	return sg_adj(g, g->in_off, g->in_ids, node, n);
}

const uint32_t *sgraph_node_isites(const struct sgraph *g, uint32_t node, size_t *n)
{
	return sg_adj(g, g->is_off, g->is_ids, node, n);
}

/* ---- resolution ---- */

/*
 * Among the nodes of one chain (by name or by base), those that fit file:
 * a global symbol always fits; a TU-local one when file is unknown or matches
 * as a path suffix. The best is the longest node name that prefixes the
 * runtime name at a '.' boundary (the nearest clone), then the lowest id.
 */
static uint32_t sg_pick(const struct sgraph *g, uint32_t head, int by_base,
    const char *rname, size_t rlen, const char *file, size_t file_len, unsigned *how)
{
	uint32_t best = SG_NONE;
	size_t best_score = 0;
	int ties = 0, best_local = 0;
	for (uint32_t id = head; id != SG_NONE;
	    id = by_base ? g->nodes[id].next_base : g->nodes[id].next_name) {
		const struct sg_node *nd = &g->nodes[id];
		int local = nd->file != 0;
		if (local && file && !symname_path_match(g->strs[nd->file].p,
		    g->strs[nd->file].len, file, file_len))
			continue;
		const struct sg_str *ns = &g->strs[nd->name];
		size_t score = 1;
		if (ns->len <= rlen && memcmp(ns->p, rname, ns->len) == 0 &&
		    (ns->len == rlen || rname[ns->len] == '.' || rname[ns->len] == '@'))
			score = 2 + ns->len;
		/* A global symbol of the same name beats TU-locals. */
		if (!local)
			score += SG_MAX_STRLEN;
		if (best == SG_NONE || score > best_score) {
			best = id;
			best_score = score;
			best_local = local;
			ties = 0;
		} else if (score == best_score) {
			ties = 1;
			if (id < best)
				best = id;
		}
	}
	if (best != SG_NONE) {
		const struct sg_str *bf = &g->strs[g->nodes[best].file];
		if (ties)
			*how |= SG_MATCH_AMBIGUOUS;
		if (best_local && !file)
			*how |= SG_MATCH_ANY_FILE;
		else if (best_local && (bf->len != file_len || memcmp(bf->p, file, file_len)))
			*how |= SG_MATCH_FILE_SUFFIX;
	}
	return best;
}

static uint32_t sg_resolve_name(const struct sgraph *g, const char *name, size_t len,
    const char *file, size_t file_len, unsigned *how)
{
	uint32_t nid = sgraph_str_find(g, name, len);
	if (nid == SG_NONE || nid == 0)
		return SG_NONE;
	if (file) {
		uint32_t fid = sgraph_str_find(g, file, file_len);
		if (fid != SG_NONE) {
			uint32_t id = sg_lookup_node(g, nid, fid);
			if (id != SG_NONE)
				return id;
		}
	}
	uint32_t id = sg_lookup_node(g, nid, 0);
	if (id != SG_NONE)
		return id;
	uint32_t head = sg_chain_head(g, &g->name_tab, sg_name_eq, nid);
	if (head == SG_NONE)
		return SG_NONE;
	return sg_pick(g, head, 0, name, len, file, file_len, how);
}

uint32_t sgraph_resolve(const struct sgraph *g, const char *name, size_t len,
    const char *file, size_t file_len, unsigned *how)
{
	unsigned h = 0;
	const char *qf, *qn;
	size_t qfl, qnl;
	if (file && file_len == 0)
		file = NULL;
	/* A name holding ':' is file-qualified only if it is not a node as is. */
	uint32_t id = sg_resolve_name(g, name, len, file, file_len, &h);
	if (id != SG_NONE) {
		if (how)
			*how = h;
		return id;
	}
	h = 0;
	if (symname_split_file(name, len, &qf, &qfl, &qn, &qnl)) {
		if (!file) {
			file = qf;
			file_len = qfl;
		}
		name = qn;
		len = qnl;
		h |= SYMNAME_FILE;
	}

	id = sg_resolve_name(g, name, len, file, file_len, &h);
	if (id == SG_NONE) {
		/* Every node with the same origin: the origin itself and its
		 * clones; sg_pick() prefers the nearest ("foo.part.0.cold" finds
		 * "foo.part.0" before "foo"; "foo" finds a lone "foo.isra.0"). */
		size_t bl;
		unsigned rules = symname_base(name, len, &bl);
		uint32_t bid = sgraph_str_find(g, name, bl);
		uint32_t head = bid == SG_NONE || bid == 0 ? SG_NONE :
		    sg_chain_head(g, &g->base_tab, sg_base_eq, bid);
		if (head != SG_NONE)
			id = sg_pick(g, head, 1, name, len, file, file_len, &h);
		if (id != SG_NONE)
			h |= rules ^ g->nodes[id].rules;
	}
	if (how)
		*how = id == SG_NONE ? 0 : h;
	return id;
}

static int sg_parse_u32(const char *s, size_t len, uint32_t *out)
{
	if (len == 0 || len > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int sgraph_loc_split(const char *s, size_t len, size_t *file_len, uint32_t *line,
    uint32_t *col)
{
	const char *c1 = NULL, *c2 = NULL;
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] != ':')
			continue;
		if (!c1) {
			c1 = s + i - 1;
		} else {
			c2 = s + i - 1;
			break;
		}
	}
	if (!c1)
		return 0;
	uint32_t a, b;
	if (sg_parse_u32(c1 + 1, (size_t)(s + len - c1 - 1), &a) < 0)
		return 0;
	if (c2 && sg_parse_u32(c2 + 1, (size_t)(c1 - c2 - 1), &b) == 0) {
		*line = b;
		*col = a;
		*file_len = (size_t)(c2 - s);
	} else {
		*line = a;
		*col = 0;
		*file_len = (size_t)(c1 - s);
	}
	return *file_len > 0;
}

char *sgraph_node_label(const struct sgraph *g, uint32_t node, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (node >= g->nnodes)
		return buf;
	const struct sg_node *nd = &g->nodes[node];
	if (nd->file)
		snprintf(buf, size, "%s:%s", g->strs[nd->file].p, g->strs[nd->name].p);
	else
		snprintf(buf, size, "%s", g->strs[nd->name].p);
	return buf;
}

/* ---- inputs ---- */

static int sg_read_fd(struct sg_input *in, int fd, const char *path, char *err,
    size_t errsize)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		snprintf(err, errsize, "%s: out of memory", path);
		return SG_ENOMEM;
	}
	for (;;) {
		if (len == cap) {
			char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				snprintf(err, errsize, "%s: out of memory", path);
				return SG_ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errsize, "%s: %s", path, strerror(errno));
			free(buf);
			return SG_EIO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	in->data = buf;
	in->len = len;
	in->mapped = 0;
	return SG_OK;
}

int sgraph_input_open(struct sg_input *in, const char *path, char *err, size_t errsize)
{
	in->data = NULL;
	in->len = 0;
	in->mapped = 0;
	if (strcmp(path, "-") == 0)
		return sg_read_fd(in, STDIN_FILENO, "<stdin>", err, errsize);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return SG_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		close(fd);
		return SG_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "%s: is a directory", path);
		close(fd);
		return SG_EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		int rc = sg_read_fd(in, fd, path, err, errsize);
		close(fd);
		return rc;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		snprintf(err, errsize, "%s: file too large", path);
		close(fd);
		return SG_EIO;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return SG_EIO;
	}
	(void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	in->data = p;
	in->len = (size_t)st.st_size;
	in->mapped = 1;
	return SG_OK;
}

void sgraph_input_close(struct sg_input *in)
{
	if (!in->data)
		return;
	if (in->mapped)
		munmap((void *)in->data, in->len);
	else
		free((void *)in->data);
	in->data = NULL;
	in->len = 0;
}

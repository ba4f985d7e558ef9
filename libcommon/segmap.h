/*
 * segmap.h - global tables of strings, modules and nodes fed by any number of
 * stream segments: each segment's local ids are mapped to global ids by value.
 *
 * Identity: a module is its build id (kind + bytes) when it has one, else its
 * name; a node is (module, symbol, source file), or (module, offset) when
 * unsymbolized ((module, offset, source file) with file_key set, as
 * trace-merge keys runtime functions). Other attributes of the same module or
 * node seen in several segments are joined so that the result does not
 * depend on input order: the least name, path and purl; flags or-ed; states
 * joined on the lattice; the least nonzero offset of a symbolized node; the
 * least line.
 *
 * The per-segment translation arrays make a repeated lookup two loads; memory
 * is proportional to distinct values (plus the largest segment's id range).
 * The trailers' losses are summed by name beside the tables, coverage
 * records have one order, and struct segmap_emit writes the tables' strings and modules to one output
 * segment, each once.
 */
#ifndef TM_SEGMAP_H
#define TM_SEGMAP_H

#include <stddef.h>
#include <stdint.h>

#include "esformat.h"
#include "esreader.h"
#include "eswriter.h"
#include "idmap.h"
#include "strtab.h"

/* Returned by the mapping functions on allocation failure. */
#define SEGMAP_ERR UINT32_MAX

struct segmap_module {
	uint32_t id_kind, id_len;
	uint8_t id[ES_BUILD_ID_MAX];
	uint32_t name, path, purl;	/* global string ids */
};

struct segmap_node {
	uint32_t module, symbol;	/* global ids */
	uint64_t offset;
	uint32_t flags, state, file, line;
};

/* A loss counter of the trailers, summed by name (a global string id). */
struct segmap_loss {
	uint32_t name;
	uint64_t count;
};

/* A coverage record on a node: its method and interval (ns). */
struct segmap_cov {
	uint32_t node;
	uint32_t method;	/* enum es_cov_method */
	uint64_t start, end;
};

/* Input id -> global id for one segment; 0 = not mapped yet. */
struct segmap_idvec {
	uint32_t *v;
	size_t cap, hi;
};

struct segmap {
	struct strtab strs;
	struct segmap_module *mods;	/* [1..nmods] */
	size_t nmods, mods_cap;
	struct idmap modmap;
	struct segmap_node *nodes;	/* [1..nnodes] */
	size_t nnodes, nodes_cap;
	struct idmap nodemap;
	struct segmap_idvec seg_str, seg_mod, seg_node;
	int file_key;		/* unsymbolized nodes are keyed by their file too (set before use) */
	struct segmap_loss *losses;	/* [0..nlosses), in order of first appearance */
	size_t nlosses, losses_cap;
};

/*
 * The slot of input id in a translation array, grown (zero-filled) as
 * needed; NULL on allocation failure. Reset clears what was used.
 */
uint32_t *segmap_idvec_slot(struct segmap_idvec *v, uint32_t id);
void segmap_idvec_reset(struct segmap_idvec *v);
void segmap_idvec_free(struct segmap_idvec *v);

/*
 * A caller's array of elsize-byte entries kept beside the modules or nodes
 * (what a user of the tables adds to them): grown to hold index n, the new
 * entries zero-filled. 0, or -1 on allocation failure.
 */
int segmap_side_grow(void **p, size_t *cap, size_t n, size_t elsize);

void segmap_init(struct segmap *s);
void segmap_free(struct segmap *s);

/* A new segment starts: forget the previous segment's translations. */
void segmap_segment(struct segmap *s);

/* Global ids of a segment's string, module and node (0 for string id 0). */
uint32_t segmap_string(struct segmap *s, const struct es_reader *r, uint32_t rsid);
uint32_t segmap_module(struct segmap *s, const struct es_reader *r, uint32_t rmid);
uint32_t segmap_node_slow(struct segmap *s, const struct es_reader *r, uint32_t rnid);

/*
 * The global module of a value whose strings are already global ids (a
 * module made outside any segment): found by identity and joined as in a
 * segment, or added. SEGMAP_ERR on allocation failure.
 */
uint32_t segmap_module_intern(struct segmap *s, const struct segmap_module *k);

/* The node of input id rnid: the common case (already mapped) inline. */
static inline uint32_t segmap_node(struct segmap *s, const struct es_reader *r, uint32_t rnid)
{
	if (rnid < s->seg_node.cap && s->seg_node.v[rnid])
		return s->seg_node.v[rnid];
	return segmap_node_slow(s, r, rnid);
}

/* Intern a string directly (not from a segment). 0 on allocation failure. */
uint32_t segmap_intern(struct segmap *s, const char *str, size_t len);

/* The global string sid ("" for 0). */
static inline const char *segmap_str(const struct segmap *s, uint32_t sid)
{
	const char *p = strtab_get(&s->strs, sid, NULL);

	return p ? p : "";
}

/* Order of optional strings: set before unset, then bytewise; 0 if equal. */
int segmap_str_cmp(const struct segmap *s, uint32_t a, uint32_t b);

/* The canonical order of modules: name, then identity. 0 only for the same module. */
int segmap_module_cmp(const struct segmap *s, uint32_t a, uint32_t b);

/*
 * The canonical order of nodes: module (as above), symbolized before not,
 * symbol, file, offset. 0 only for the same node.
 */
int segmap_node_cmp(const struct segmap *s, uint32_t a, uint32_t b);

/*
 * Ranks of nodes 1..nnodes in canonical order: *rank[id] (1-based) and
 * *order[rank] = id. Both malloc'd; -1 on allocation failure.
 */
int segmap_node_ranks(const struct segmap *s, uint32_t **rank, uint32_t **order);

/* qsort() order of coverage records: node, method, start, end. */
int segmap_cov_cmp(const void *a, const void *b);

/* Fill an es_module for the writer from global module mid. */
void segmap_module_out(const struct segmap *s, uint32_t mid, struct es_module *out);

/* Add a trailer's loss counter (saturating). 0, or -1 on allocation failure. */
int segmap_loss(struct segmap *s, const char *name, uint64_t count);

/*
 * Global strings and modules written to one output segment, each the first
 * time it is used: the writer's handles, 0 for string 0 or on a write error
 * (the writer then has the error). init lends the writer the string table
 * (es_writer_borrow_strings), so a string's handle is its global id: it must
 * come before anything is interned in w, and the table must not change while
 * w is in use. 0, or -1 (the writer's error, else out of memory).
 */
struct segmap_emit {
	const struct segmap *s;
	struct es_writer *w;
	uint32_t *mod_h;
};
int segmap_emit_init(struct segmap_emit *e, const struct segmap *s, struct es_writer *w);
void segmap_emit_free(struct segmap_emit *e);
uint32_t segmap_emit_module(struct segmap_emit *e, uint32_t mid);
/* Every loss counter, in order. 0 or -1. */
int segmap_emit_losses(struct segmap_emit *e);

#endif

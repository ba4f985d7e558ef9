/*
 * merge.h - join runtime edge streams with static call graphs: the engine of
 * trace-merge. Classifies every edge and places every function on the lattice.
 *
 * Use: merge_new(); any number of merge_add_static() (GCC .ci files or
 * directories, DOT, JSON, static edge streams) and merge_add_runtime() (every
 * segment of an edge stream), in any order; merge_finish(); then read the
 * result through the accessors below or write it with merge_write_stream()
 * (merge_out.h has the JSON, DOT and --why forms).
 *
 * Binding. The functions of .ci/DOT/JSON inputs belong to one module, bound
 * to runtime modules by build id (opts.binary's NT_GNU_BUILD_ID) when both
 * sides have one, else by name (opts.module, else the basename of
 * opts.binary). Without either, the binding is inferred: the runtime module
 * whose functions match the most defined static functions. A static edge
 * stream names its modules itself; its nodes bind to runtime modules with the
 * same identity. Functions the static graph only declares (external, e.g.
 * qsort) match runtime functions of any module.
 *
 * Names. A runtime symbol is looked up with sgraph_resolve(): exact, file-
 * qualified local functions ("src/a.c:helper"), then clone suffixes, symbol
 * versions and PLT stubs (symname.h). A runtime name that matched only
 * through one of those rules (not merely a file qualifier, which runtime
 * nodes may carry in their file field) is kept as an alias of the merged function
 * (MERGE_NODE_ALIAS, merge_alias()). A name several static functions fit
 * equally well (sgraph_resolve() says SG_MATCH_AMBIGUOUS) is not matched.
 *
 * Memory: the static graph, one entry per distinct runtime node and edge,
 * and the merged graph; nothing is allocated per input record.
 */
#ifndef TM_MERGE_H
#define TM_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "esformat.h"
#include "esreader.h"
#include "eswriter.h"
#include "progress.h"
#include "segmap.h"
#include "tmerr.h"
#include "warncb.h"

/*
 * The merged function was matched from a runtime name only after
 * normalisation (node flag "alias"; the names are in the header parameters
 * "alias:MODULE!SYMBOL").
 */
#define MERGE_NODE_ALIAS ES_NODE_ALIAS

/* How the static module of .ci/DOT/JSON inputs is bound to runtime modules. */
enum merge_binding {
	MERGE_BIND_NONE = 0,	/* no static graph, or nothing to bind to */
	MERGE_BIND_BUILD_ID,	/* --binary with a build id */
	MERGE_BIND_NAME,	/* --module, or --binary without a build id */
	MERGE_BIND_INFERRED,	/* neither: the best-matching runtime module */
};
const char *merge_binding_name(unsigned b);

/* Warnings (one line, without the program name); the library prints nothing. */
typedef warncb_fn merge_warn_fn;

struct merge_opts {
	const char *module;		/* --module NAME, or NULL */
	const char *const *entries;	/* --entry SYM..., nentries of them */
	size_t nentries;
	merge_warn_fn warn;		/* may be NULL */
	void *warn_arg;
};

/* A function of the merged graph. Ids are 1..n in canonical order. */
struct merge_node {
	uint32_t module;		/* module id, >= 1 */
	uint32_t symbol;		/* string id, 0 = unsymbolized (module+0xOFFSET) */
	uint64_t offset;		/* from the runtime side, 0 = unknown */
	uint32_t flags;			/* enum es_node_flag, MERGE_NODE_ALIAS */
	uint32_t state;			/* enum es_state */
	uint32_t file, line;		/* definition (static), else the runtime's */
	uint32_t sg;			/* static graph node, SG_NONE when runtime-only */
	uint32_t alias_first;		/* first of naliases alias string ids (merge_alias) */
	uint32_t naliases;
	uint32_t match;			/* sgraph_resolve() how-bits of the first alias */
	uint8_t s_axis, r_axis;		/* enum lattice_static / lattice_runtime */
	uint8_t in_static, in_runtime;	/* present in a static graph / in runtime records */
};

/* An edge of the merged graph; edges are sorted by (caller, callee). */
struct merge_edge {
	uint32_t caller, callee;	/* node ids */
	uint64_t count;			/* runtime observations (0 for static-only) */
	uint64_t first_ns, last_ns;
	uint32_t evidence;		/* ES_EV_STATIC from --static, runtime bits from runtime */
	uint32_t site;			/* string id of "file:line", 0 = none */
	uint8_t confidence;		/* largest runtime confidence */
	uint8_t edge_class;		/* enum es_class */
};

struct merge_stats {
	/* static side */
	uint64_t static_inputs, static_nodes, static_edges, static_isites;
	uint64_t static_ns;		/* time spent loading static graphs */
	/* runtime side */
	uint64_t records, segments, runtime_nodes, runtime_edges, skipped_static;
	uint64_t runtime_ns;
	/* join */
	uint64_t matched, aliased, ambiguous, unmatched_bound;
	uint64_t entries;		/* static entry points found */
	uint64_t join_ns;		/* time spent in merge_finish() */
	uint64_t nodes, edges;
	uint64_t by_class[ES_CLASS_MAX + 1];
	uint64_t by_state[ES_STATE_MAX + 1];
	unsigned binding;		/* enum merge_binding */
};

struct merge;

struct merge *merge_new(const struct merge_opts *opts, struct tm_err *err);
void merge_free(struct merge *m);

/*
 * --binary PATH: read its ELF build id (binding), its name, and whether it is
 * an executable (defines main) or a shared library (entry points: its
 * exported functions) for the default entry points. 0 or -1.
 */
int merge_bind_binary(struct merge *m, const char *path);

/* Load one static graph (a file, "-", or a directory of .ci files) in format
 * (enum staticload_format, staticload.h). 0 or -1 (err: TM_EXIT_DATA for an
 * unparsable graph, TM_EXIT_ENV for I/O). */
int merge_add_static(struct merge *m, const char *path, int format);

/*
 * Load static graphs in a thread of their own while the caller reads runtime
 * streams: merge_static_begin() starts loading paths[0..n) (each as
 * merge_add_static() would, into a private graph), merge_static_wait() waits
 * and takes the graphs over (0, or -1 with err set by the first failure).
 * Nothing else may add static graphs in between; merge_free() waits too.
 * The paths must stay valid until the wait. 0 or -1.
 */
int merge_static_begin(struct merge *m, const char *const *paths, size_t n, int format);
int merge_static_wait(struct merge *m);

/* Read every segment of r as runtime evidence. 0 or -1. */
int merge_add_runtime(struct merge *m, struct es_reader *r, struct progress *pg);

/* Bind, match names, classify, compute the states. 0 or -1. */
int merge_finish(struct merge *m);

/* The merged graph as one stream segment. 0 or -1. */
int merge_write_stream(struct merge *m, struct es_writer *w, const char *producer);

/* ---- the result, after merge_finish() ---- */

const struct merge_stats *merge_stats(const struct merge *m);
size_t merge_node_count(const struct merge *m);
const struct merge_node *merge_node(const struct merge *m, uint32_t id);
size_t merge_edge_count(const struct merge *m);
/* Edges [0, n), sorted by (caller, callee). */
const struct merge_edge *merge_edges(const struct merge *m);
/* Indices into merge_edges() of the edges out of / into a node. */
const uint32_t *merge_out(const struct merge *m, uint32_t node, size_t *n);
const uint32_t *merge_in(const struct merge *m, uint32_t node, size_t *n);
/* A module: name, path, purl (string ids, 0 = none) and identity. */
const struct segmap_module *merge_module(const struct merge *m, uint32_t id);
/* A string by id ("" for 0); *len may be NULL. */
const char *merge_str(const struct merge *m, uint32_t id, size_t *len);
/* The i-th runtime alias name of a node (string id). */
uint32_t merge_alias(const struct merge *m, uint32_t node, uint32_t i);
/* "module!symbol" or "module+0xOFFSET"; returns the full length (snprintf). */
size_t merge_node_name(const struct merge *m, uint32_t node, char *buf, size_t size);
/* The entry points (node ids, ascending): static entries and --entry names. */
const uint32_t *merge_entries(const struct merge *m, size_t *n);
/* The static graph inputs as given, in order (i from 0; NULL past the end). */
const char *merge_static_input(const struct merge *m, size_t i);
/* The binding's module name and build id (NULL / 0 when none). */
const char *merge_binding_module(const struct merge *m, const uint8_t **id, size_t *id_len);

/*
 * Find a function by what a user types: "module!symbol", "symbol",
 * "file.c:symbol", or a runtime alias; exact names first, then origin names
 * (clone suffixes). Returns the node id or 0; *nfound gets the number of
 * equally good candidates (the least in canonical order is returned).
 */
uint32_t merge_find(const struct merge *m, const char *text, size_t *nfound);

#endif

/*
 * sgraph.h - an in-memory static call graph: interned function nodes, call edges
 * with their call sites, and each caller's indirect call sites.
 *
 * Importers (vcg.h, dotgraph.h, jsongraph.h) fill one sgraph from any number
 * of inputs; the merge side looks runtime names up with sgraph_resolve() and
 * walks edges after sgraph_finish(). Memory is proportional to the graph: strings live in chunked
 * arenas, nodes/edges/sites in growable arrays, lookups in idmap.h hash
 * tables; nothing is allocated per record once capacity is reached. Ids are
 * dense uint32_t indices in insertion order, so a graph built from the same
 * inputs in the same order is the same graph.
 */
#ifndef TM_SGRAPH_H
#define TM_SGRAPH_H

#include <stddef.h>
#include <stdint.h>

#define SG_NONE UINT32_MAX

/* Importer results (vcg.h, dotgraph.h, jsongraph.h): bad data, I/O, memory. */
enum sg_status {
	SG_OK     = 0,
	SG_EDATA  = -1,  /* malformed or over-limit input; the message says where */
	SG_EIO    = -2,  /* cannot open/read/map a file or directory */
	SG_ENOMEM = -3,
};

/* Limits: ids must fit in 32 bits with room for SG_NONE. */
#define SG_MAX_NODES   (1u << 30)
#define SG_MAX_EDGES   (1u << 31)
#define SG_MAX_STRLEN  (1u << 20)

enum sg_node_flag {
	SG_NODE_DEFINED    = 1u << 0, /* its body is in the analysed code */
	SG_NODE_DECLARED   = 1u << 1, /* seen as a declaration (VCG ellipse node) */
	SG_NODE_EXTERNAL   = 1u << 2, /* declared but defined nowhere in the graph (sgraph_finish) */
	SG_NODE_ADDR_TAKEN = 1u << 3, /* may be entered other than by a direct call (see below) */
	SG_NODE_INDIRECT   = 1u << 4, /* has at least one indirect call site */
	SG_NODE_WEAK       = 1u << 5, /* COMDAT/weak: the copies of every TU are this one node */
	SG_NODE_NO_CALLERS = 1u << 6, /* no incoming direct edge (sgraph_finish) */
	SG_NODE_ISOLATED   = 1u << 7, /* no edge in or out (sgraph_finish) */
};
/*
 * SG_NODE_ADDR_TAKEN is set by importers when the producer says so (LLVM's
 * "external caller" node calls it: address taken or exported) and inferred by
 * sgraph_finish() for a defined TU-local function without any direct caller:
 * only a pointer can reach it, if anything does (GCC -O0 also keeps
 * unreferenced statics, so this is a "may" flag, never a proof).
 */

/* A source location; file is a string id, 0 when unknown. */
struct sg_loc {
	uint32_t file;
	uint32_t line;
	uint32_t col;
};

struct sg_node {
	uint32_t name;      /* symbol as the producer wrote it, file qualifier removed */
	uint32_t file;      /* source file of a TU-local function, 0 for a global symbol */
	uint32_t base;      /* origin name: symname_base() of name (== name if no rule) */
	uint32_t rules;     /* symname rules that turn name into base */
	uint32_t flags;     /* enum sg_node_flag */
	uint32_t stack;     /* stack bytes when the producer reports them, else 0 */
	struct sg_loc loc;  /* where it is defined (or declared, for external nodes) */
	uint32_t next_name; /* internal: next node with the same name */
	uint32_t next_base; /* internal: next node with the same base */
};

/* One call edge; a caller calling the same callee from two sites is two edges. */
struct sg_edge {
	uint32_t caller;
	uint32_t callee;
	struct sg_loc site; /* the call site, file 0 when the producer gives none */
	uint32_t next_pair; /* internal: next edge with the same caller and callee */
};

/* An indirect call site (call through a pointer; target unknown statically). */
struct sg_isite {
	uint32_t caller;
	struct sg_loc site;
};

struct sgraph;

struct sgraph *sgraph_new(void);
void sgraph_free(struct sgraph *g);

/* Intern s[0..len); returns a string id (0 is ""), SG_NONE on allocation failure
 * or when len > SG_MAX_STRLEN. Strings never move: sgraph_str() stays valid. */
uint32_t sgraph_intern(struct sgraph *g, const char *s, size_t len);
/* The id of s[0..len) if interned, else SG_NONE. */
uint32_t sgraph_str_find(const struct sgraph *g, const char *s, size_t len);
const char *sgraph_str(const struct sgraph *g, uint32_t id);
size_t sgraph_str_len(const struct sgraph *g, uint32_t id);

/*
 * The node (name, file), created with no flags when new. file is the TU
 * source file of a TU-local function, NULL/0 for a global symbol. Returns the
 * node id or SG_NONE (allocation failure, limits).
 */
uint32_t sgraph_node(struct sgraph *g, const char *name, size_t len, const char *file,
    size_t file_len);
/* Same, with already interned strings. */
uint32_t sgraph_node_ids(struct sgraph *g, uint32_t name, uint32_t file);
/* Exact lookup without creating; SG_NONE when absent. */
uint32_t sgraph_find_node(const struct sgraph *g, const char *name, size_t len,
    const char *file, size_t file_len);

/* Add caller -> callee at site (NULL: unknown). An identical edge (same pair,
 * same site) is not added twice. Returns the edge id, SG_NONE on failure. */
uint32_t sgraph_add_edge(struct sgraph *g, uint32_t caller, uint32_t callee,
    const struct sg_loc *site);
/* Record an indirect call site of caller (deduplicated) and flag the caller. */
uint32_t sgraph_add_isite(struct sgraph *g, uint32_t caller, const struct sg_loc *site);

/*
 * First edge caller -> callee (others follow through next_pair), or SG_NONE
 * (also on allocation failure). The pair index behind it is built at the
 * first call, and extended to edges added since at later ones.
 */
uint32_t sgraph_find_edge(struct sgraph *g, uint32_t caller, uint32_t callee);

size_t sgraph_node_count(const struct sgraph *g);
/* String ids are below this. */
size_t sgraph_str_count(const struct sgraph *g);
size_t sgraph_edge_count(const struct sgraph *g);
size_t sgraph_isite_count(const struct sgraph *g);
/* The arrays; valid until the next addition. */
const struct sg_node *sgraph_nodes(const struct sgraph *g);
const struct sg_edge *sgraph_edges(const struct sgraph *g);
const struct sg_isite *sgraph_isites(const struct sgraph *g);
/* Flags of one node may be raised by importers. */
void sgraph_set_flags(struct sgraph *g, uint32_t node, uint32_t flags);
void sgraph_set_loc(struct sgraph *g, uint32_t node, const struct sg_loc *loc);
void sgraph_set_stack(struct sgraph *g, uint32_t node, uint32_t bytes);

/*
 * Build the adjacency indices and the derived flags (EXTERNAL, NO_CALLERS,
 * ISOLATED, inferred ADDR_TAKEN). Call after the last import; may be called
 * again after more additions (without any, it does nothing). Returns 0, or
 * -1 on allocation failure.
 */
int sgraph_finish(struct sgraph *g);

/*
 * Free the hash indices behind lookups by name and edge de-duplication (a
 * third of a large graph's memory) once they are no longer needed: after
 * this, only the accessors by id and the adjacency of sgraph_finish() work;
 * nothing may be added or looked up.
 */
void sgraph_drop_lookup(struct sgraph *g);

/* After sgraph_finish(): edge ids out of / into a node, in insertion order,
 * and the indices of its indirect call sites. *n gets the count. */
const uint32_t *sgraph_out(const struct sgraph *g, uint32_t node, size_t *n);
const uint32_t *sgraph_in(const struct sgraph *g, uint32_t node, size_t *n);
const uint32_t *sgraph_node_isites(const struct sgraph *g, uint32_t node, size_t *n);

/* How sgraph_resolve() matched a name (symname rules in the low bits). */
enum sg_match_how {
	SG_MATCH_FILE_SUFFIX = 1u << 16, /* the file matched as a path suffix */
	SG_MATCH_ANY_FILE    = 1u << 17, /* no file given; the only TU-local of that name */
	SG_MATCH_AMBIGUOUS   = 1u << 18, /* several candidates; the first one is returned */
};

/*
 * Find the node a runtime name stands for. name may be file-qualified
 * ("src/a.c:helper"); file (may be NULL) is the runtime's idea of the TU (from
 * DWARF). Tries the exact name (a global symbol; a TU-local one whose file is
 * equal or a path suffix; the only TU-local of that name when no file is
 * known), then every node with the same origin name (symname_base), nearest
 * clone first: "foo.part.0.cold" finds "foo.part.0", else "foo"; "foo" finds
 * "foo.isra.0" when only the clone exists. Returns the node or SG_NONE; *how
 * (may be NULL) gets the symname rules by which the two names differ plus the
 * SG_MATCH_* bits that applied, 0 for an exact match.
 */
uint32_t sgraph_resolve(const struct sgraph *g, const char *name, size_t len,
    const char *file, size_t file_len, unsigned *how);

/*
 * Split a location "file:line:col" or "file:line" (the file may hold ':', as in
 * "C:\src\a.c:3:7"): *file_len gets the length of the file part. Returns 1
 * when s is such a location with a non-empty file, 0 otherwise.
 */
int sgraph_loc_split(const char *s, size_t len, size_t *file_len, uint32_t *line,
    uint32_t *col);

/* "file:name" or "name" into buf (truncated, NUL-terminated); returns buf. */
char *sgraph_node_label(const struct sgraph *g, uint32_t node, char *buf, size_t size);

/*
 * An input held in memory for an importer: a regular file is mapped, a pipe
 * or "-" (stdin) read. Returns SG_OK, or SG_EIO / SG_ENOMEM with "PATH: reason"
 * in err. sgraph_input_close() releases it.
 */
struct sg_input {
	const char *data;
	size_t len;
	int mapped;
};
int sgraph_input_open(struct sg_input *in, const char *path, char *err, size_t errsize);
void sgraph_input_close(struct sg_input *in);

/* Bytes held by the graph (arenas, arrays, tables). */
size_t sgraph_memory(const struct sgraph *g);

#endif

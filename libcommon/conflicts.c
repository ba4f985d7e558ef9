/*
 * conflicts.c - explain, resolve and record where runtime contradicts the
 * static call graph (see conflicts.h).
 *
 * Loading maps every segment's functions to global ones with segmap.h (the
 * identity trace-dedup uses) and folds edges by (caller, callee); collection
 * windows are numbered by value, and a set of (edge, window) pairs counts
 * the windows of every edge as records come, so memory follows the distinct
 * edges and windows, not the input records. cf_finish() then
 * derives what the static graph knows, the static scope and version skew,
 * classifies every runtime-only edge, static-only edge and contested
 * function by the first rule whose evidence holds (the order is the one
 * documented in trace-conflicts(1)), and resolves each under the policy.
 */
#include "conflicts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conflicts_code.h"
#include "elfsym.h"
#include "idmap.h"
#include "lattice.h"
#include "mem.h"
#include "merge.h"
#include "segmap.h"
#include "sgraph.h"
#include "staticload.h"
#include "strtab.h"
#include "symname.h"
#include "warncb.h"

/* ---- names ---- */

/*
 * Class k is es_conflict k + 1 and resolution r es_resolution r + 1
 * (conflicts.h): their names are the stream's.
 */
#define CF_SAME(a, b) _Static_assert((a) + 1 == (b), #a " + 1 == " #b)
CF_SAME(CF_UNEXPLAINED, ES_CONFLICT_UNEXPLAINED);
CF_SAME(CF_CONTESTED, ES_CONFLICT_CONTESTED);
CF_SAME(CF_VERSION_SKEW, ES_CONFLICT_VERSION_SKEW);
CF_SAME(CF_OUT_OF_SCOPE, ES_CONFLICT_OUT_OF_SCOPE);
CF_SAME(CF_DYNAMIC_MODULE, ES_CONFLICT_DYNAMIC_MODULE);
CF_SAME(CF_IDENTITY, ES_CONFLICT_IDENTITY_MISMATCH);
CF_SAME(CF_NOT_PRESENT, ES_CONFLICT_NOT_PRESENT);
CF_SAME(CF_INDIRECT, ES_CONFLICT_INDIRECT_CALL);
CF_SAME(CF_ASYNC, ES_CONFLICT_ASYNC_TRANSFER);
CF_SAME(CF_CALLBACK, ES_CONFLICT_CALLBACK);
CF_SAME(CF_TAIL_CALL, ES_CONFLICT_TAIL_CALL);
CF_SAME(CF_INLINED, ES_CONFLICT_INLINED);
CF_SAME(CF_UNWIND, ES_CONFLICT_UNWIND_ARTIFACT);
CF_SAME(CF_NOT_EXERCISED, ES_CONFLICT_NOT_EXERCISED);
CF_SAME(CF_CALLER_NOT_EXECUTED, ES_CONFLICT_CALLER_NOT_EXECUTED);
CF_SAME(CF_UNOBSERVABLE, ES_CONFLICT_UNOBSERVABLE);
CF_SAME(CF_NCLASSES - 1, ES_CONFLICT_MAX);
CF_SAME(CF_RES_OPEN, ES_RES_OPEN);
CF_SAME(CF_RES_ACCEPTED, ES_RES_ACCEPTED);
CF_SAME(CF_RES_REJECTED, ES_RES_REJECTED);
CF_SAME(CF_RES_EXPLAINED, ES_RES_EXPLAINED);
CF_SAME(CF_RES_KEPT, ES_RES_KEPT);
CF_SAME(CF_NRES - 1, ES_RES_MAX);
#undef CF_SAME
_Static_assert(CF_NCLASSES < 32, "a --fail-on mask holds every class");

struct class_info {
	const char *code, *title, *summary;
	uint8_t level, side;
};

static const struct class_info classes[CF_NCLASSES] = {
	[CF_UNEXPLAINED] = { "R-UNEXPLAINED", "UnexplainedRuntimeEdge",
	    "A call observed at runtime that the static graph lacks and nothing explains: "
	    "a probable gap in the static analysis.", CF_LEVEL_ERROR, CF_SIDE_RUNTIME },
	[CF_CONTESTED] = { "N-CONTESTED", "ContestedFunction",
	    "A function observed at runtime that, according to the static graph, no entry "
	    "point reaches.", CF_LEVEL_ERROR, CF_SIDE_NODE },
	[CF_VERSION_SKEW] = { "R-SKEW", "VersionSkew",
	    "The static graph describes another build of the module than the one observed "
	    "(build ids differ): neither side can be checked against the other.",
	    CF_LEVEL_ERROR, CF_SIDE_RUNTIME },
	[CF_OUT_OF_SCOPE] = { "R-SCOPE", "FunctionOutsideStaticScope",
	    "A call involving a function of the analysed module that the static graph does "
	    "not know (C runtime start files, assembly, a translation unit without a graph).",
	    CF_LEVEL_WARNING, CF_SIDE_RUNTIME },
	[CF_DYNAMIC_MODULE] = { "R-DYNLOAD", "ModuleOutsideStaticScope",
	    "A call into or within a module the static graph does not describe: a "
	    "dlopen()ed plugin or a shared library.", CF_LEVEL_WARNING, CF_SIDE_RUNTIME },
	[CF_IDENTITY] = { "R-IDENTITY", "IdentityMismatch",
	    "The same function under two names: a compiler clone, identical code folding, "
	    "an ifunc variant, or an address the capture could not symbolize.",
	    CF_LEVEL_WARNING, CF_SIDE_RUNTIME },
	[CF_NOT_PRESENT] = { "S-NOTPRESENT", "StaticEdgeNotInBinary",
	    "A static call the binary does not contain: the caller or the callee has no code "
	    "of its own (inlined everywhere, removed), or the caller's code never calls the "
	    "callee.", CF_LEVEL_WARNING, CF_SIDE_STATIC },
	[CF_INDIRECT] = { "R-INDIRECT", "IndirectCallResolved",
	    "An indirect call site of the caller (a call through a function pointer) "
	    "resolved to this callee at runtime.", CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_ASYNC] = { "R-ASYNC", "AsynchronousTransfer",
	    "Control entered the callee without a call in the program: a signal handler, a "
	    "thread start, an exit handler, a constructor, a longjmp or the program entry.",
	    CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_CALLBACK] = { "R-CALLBACK", "CallbackFromOutsideScope",
	    "Code outside the static scope (a library, such as libc's qsort) called a "
	    "function of the program back through a pointer.", CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_TAIL_CALL] = { "R-TAILCALL", "TailCallArtifact",
	    "The intermediate function of a static path ends in a jump to the callee (a "
	    "sibling call): its frame was replaced, so the callee appears called by its "
	    "caller's caller.", CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_INLINED] = { "R-INLINE", "InliningArtifact",
	    "The intermediate function of a static path was inlined into the caller, so the "
	    "callee appears called by the caller.", CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_UNWIND] = { "R-UNWIND", "UnwindingArtifact",
	    "A sampled frame pair the unwinder may have got wrong: a function on the way "
	    "keeps no frame pointer, or a single sample.", CF_LEVEL_NOTE, CF_SIDE_RUNTIME },
	[CF_NOT_EXERCISED] = { "S-NOTEXERCISED-SITE", "StaticEdgeNotExercised",
	    "The caller ran but this static call was never observed: a coverage gap, or a "
	    "call that cannot happen.", CF_LEVEL_NOTE, CF_SIDE_STATIC },
	[CF_CALLER_NOT_EXECUTED] = { "S-NOTEXERCISED-CALLER",
	    "CallerNeverExecuted", "The caller of this static call was never observed running.",
	    CF_LEVEL_NOTE, CF_SIDE_STATIC },
	[CF_UNOBSERVABLE] = { "S-UNOBSERVABLE", "StaticEdgeUnobservable",
	    "The observer used could not have seen this call (no probe on the callee and no "
	    "sampling, a tail call, no runtime data at all): its absence is no evidence.",
	    CF_LEVEL_NOTE, CF_SIDE_STATIC },
};

static const char *const fact_names[CF_NFACTS] = {
	"caller-indirect-site", "callee-address-taken", "callee-no-static-callers",
	"code-indirect-call", "static-path", "code-tail-jump", "code-absent", "code-direct-call",
	"via-observed", "no-frame-pointer", "sampled-only", "module-outside-scope",
	"function-unknown", "runtime-caller", "registration", "build-id-differs", "same-origin-name",
	"same-address", "ifunc-variant", "symbolized-by-binary", "caller-observed", "caller-probed",
	"callee-unprobed", "code-no-call", "tail-jump-only", "no-runtime-data", "no-static-path",
	"single-sample", "entry-point",
};

static const char *const policy_names[] = { "explain-only", "prefer-runtime", "prefer-static" };
static const char *const level_names[] = { "error", "warning", "note" };
static const char *const conf_names[] = { "low", "medium", "high" };
static const char *const async_names[] = {
	"unknown", "signal", "thread", "exit", "constructor", "entry", "longjmp",
};

const char *cf_class_name(unsigned c)
{
	return c < CF_NCLASSES ? es_conflict_name(cf_es_conflict(c)) : "?";
}

const char *cf_class_code(unsigned c)
{
	return c < CF_NCLASSES ? classes[c].code : "?";
}

const char *cf_class_title(unsigned c)
{
	return c < CF_NCLASSES ? classes[c].title : "?";
}

const char *cf_class_summary(unsigned c)
{
	return c < CF_NCLASSES ? classes[c].summary : "?";
}

unsigned cf_class_level(unsigned c)
{
	return c < CF_NCLASSES ? classes[c].level : CF_LEVEL_NOTE;
}

unsigned cf_class_side(unsigned c)
{
	return c < CF_NCLASSES ? classes[c].side : CF_SIDE_RUNTIME;
}

const char *cf_level_name(unsigned l)
{
	return l <= CF_LEVEL_NOTE ? level_names[l] : "?";
}

const char *cf_resolution_name(unsigned r)
{
	return r < CF_NRES ? es_resolution_name(cf_es_resolution(r)) : "?";
}

const char *cf_policy_name(unsigned p)
{
	return p <= CF_POLICY_PREFER_STATIC ? policy_names[p] : "?";
}

const char *cf_confidence_name(unsigned c)
{
	return c <= CF_CONF_HIGH ? conf_names[c] : "?";
}

const char *cf_async_name(unsigned k)
{
	return k <= CF_ASYNC_LONGJMP ? async_names[k] : "?";
}

const char *cf_fact_name(unsigned bit)
{
	return bit < CF_NFACTS ? fact_names[bit] : NULL;
}

int cf_policy_parse(const char *s)
{
	for (unsigned i = 0; i <= CF_POLICY_PREFER_STATIC; i++)
		if (strcmp(s, policy_names[i]) == 0)
			return (int)i;
	return -1;
}

static int eq_nocase(const char *a, const char *s, size_t len)
{
	return strlen(a) == len && strncasecmp(a, s, len) == 0;
}

int cf_class_parse(const char *s, size_t len)
{
	for (unsigned i = 0; i < CF_NCLASSES; i++)
		if (eq_nocase(cf_class_name(i), s, len) || eq_nocase(classes[i].code, s, len))
			return (int)i;
	/* The static-side form of the version-skew code. */
	if (eq_nocase("S-SKEW", s, len))
		return CF_VERSION_SKEW;
	return -1;
}

int cf_class_list_parse(const char *s, uint32_t *mask, char *bad, size_t badsize)
{
	const char *p = s;

	*mask = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int c = cf_class_parse(p, len);

		if (c >= 0) {
			*mask |= 1u << c;
		} else if (eq_nocase("any", p, len) || eq_nocase("all", p, len)) {
			*mask |= (1u << CF_NCLASSES) - 1;
		} else {
			unsigned l;

			for (l = 0; l <= CF_LEVEL_NOTE; l++)
				if (eq_nocase(level_names[l], p, len))
					break;
			if (l > CF_LEVEL_NOTE || len == 0) {
				snprintf(bad, badsize, "%.*s", (int)len, p);
				return -1;
			}
			for (unsigned k = 0; k < CF_NCLASSES; k++)
				if (classes[k].level == l)
					*mask |= 1u << k;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* ---- the engine's state ---- */

struct xnode {
	struct cf_node n;
	uint8_t static_edge;	/* in an edge with static evidence */
	uint8_t cov_none;	/* a coverage record of method none (trace-merge: no edge) */
	uint8_t cov_other;	/* a coverage record of another method */
	uint8_t defined;	/* known and not external: its body is in the static scope */
	uint8_t sg_flags;	/* flagged by --static */
	uint32_t isite_loc;	/* string id "file:line" of its first indirect site (--static) */
	uint32_t nstatic_in;	/* static edges entering it */
	uint32_t nstatic_out;
};

/* A collection window: a window record's interval, else the segment's. */
struct xwin {
	uint64_t a, b;
};

struct xparam {
	uint32_t key, value;
};

/* Registration functions the static graph calls, by kind. */
enum { REG_SIGNAL, REG_THREAD, REG_EXIT, REG_CALLBACK, NREG };

struct reg {
	uint32_t api, caller, site;	/* node ids and string id; api 0 = none */
};

/* What the analysis adds to a module of the segmap. */
struct modx {
	uint8_t scope;			/* holds functions the static graph defines */
	uint8_t skewed;			/* its build differs from the static graph's */
	uint8_t code;			/* the --binary is its code */
	uint32_t run_id_len;		/* skewed: the build id that ran (or the --binary's) */
	uint8_t run_id[ES_BUILD_ID_MAX];
};

struct cf {
	struct cf_opts o;
	struct tm_err *err;
	struct cf_summary sum;
	struct segmap sm;		/* strings, modules, functions */

	struct modx *mx;		/* [1..sm.nmods], after cf_finish */
	struct xnode *nodes;		/* [1..sm.nnodes] */
	size_t nodes_cap;

	struct cf_edge *edges;		/* [0..nedges) */
	size_t nedges, edges_cap;
	struct idmap edgemap;

	struct xwin *wins;		/* [1..nwins]: distinct collection windows */
	size_t nwins, wins_cap;
	struct idmap winmap;
	struct segmap_idvec seg_win;	/* this segment's window ids -> wins */
	uint32_t seg_wid;		/* the window of this segment's edges without one; 0 = not yet */
	uint64_t *ew;			/* set of edge << 32 | window, open addressing, 0 = empty */
	size_t ew_mask, ew_n;
	struct segmap_cov *covs;
	size_t ncovs, covs_cap;
	struct xparam *params;
	size_t nparams, params_cap;
	uint64_t start_ns, end_ns;
	uint32_t host;
	int host_mixed, not_merged_warned;
	unsigned segments;

	uint64_t seg_start, seg_end;

	struct sgraph *g;		/* --static, or NULL */
	struct cfcode *code;		/* --binary, or NULL */
	char static_id_hex[2 * ES_BUILD_ID_MAX + 1];
	int have_static_id;

	/* after cf_finish */
	int finished;
	int any_probe, any_sample;
	uint32_t *sout_off, *sout_ids;	/* static successors (edge indices) per node */
	struct reg regs[NREG];
	struct cf_conflict *cs;
	size_t ncs, cs_cap;
	uint32_t *bases;		/* (origin string id, node id) pairs of defined nodes, sorted */
	size_t nbases;
};

static int nomem(struct cf *c)
{
	tm_err_set(c->err, TM_EXIT_ENV, "out of memory");
	return -1;
}

#define warnf(c, ...) warncb_printf((c)->o.warn, (c)->o.warn_arg, __VA_ARGS__)

static const char *str(const struct cf *c, uint32_t id)
{
	return segmap_str(&c->sm, id);
}

const char *cf_str(const struct cf *c, uint32_t id)
{
	return str(c, id);
}

static uint32_t intern(struct cf *c, const char *s, size_t len)
{
	uint32_t id = segmap_intern(&c->sm, s, len);

	if (!id)
		nomem(c);
	return id;
}

static uint32_t intern_c(struct cf *c, const char *s)
{
	return s ? intern(c, s, strlen(s)) : 0;
}

/* ---- functions and edges: the segmap's tables, and ours beside them ---- */

#define SN(c, i) ((c)->sm.nodes[(i)])		/* struct segmap_node */
#define SM(c, i) ((c)->sm.mods[(i)])		/* struct segmap_module */

/* Room in c->nodes for every function of the segmap. 0 or -1. */
static int nodes_sync(struct cf *c)
{
	void *p = c->nodes;
	int rc;

	if (c->sm.nnodes < c->nodes_cap)
		return 0;
	rc = segmap_side_grow(&p, &c->nodes_cap, c->sm.nnodes, sizeof(*c->nodes));
	c->nodes = p;
	return rc < 0 ? nomem(c) : 0;
}

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
	return mem_hash_u64(mem_hash_u64(0x5eed, a), b);
}

static int edge_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cf_edge *a = &((const struct cf *)ctx)->edges[id - 1];
	const uint32_t *k = key;

	return a->caller == k[0] && a->callee == k[1];
}

/* The edge index of caller -> callee, or -1 when absent. */
static long find_edge(const struct cf *c, uint32_t caller, uint32_t callee)
{
	uint32_t k[2] = { caller, callee };
	uint32_t id = idmap_find(&c->edgemap, pair_hash(caller, callee), edge_eq, c, k);

	return id ? (long)id - 1 : -1;
}

/* The edge caller -> callee, created empty when new; -1 on error. */
static long intern_edge(struct cf *c, uint32_t caller, uint32_t callee)
{
	long i = find_edge(c, caller, callee);
	void *p;

	if (i >= 0)
		return i;
	p = c->edges;
	if (c->nedges >= UINT32_MAX - 2 ||
	    mem_grow(&p, &c->edges_cap, c->nedges + 1, sizeof(*c->edges)) < 0)
		return nomem(c);
	c->edges = p;
	memset(&c->edges[c->nedges], 0, sizeof(c->edges[0]));
	c->edges[c->nedges].caller = caller;
	c->edges[c->nedges].callee = callee;
	c->edges[c->nedges].conflict = -1;
	c->nedges++;
	if (idmap_insert(&c->edgemap, pair_hash(caller, callee), (uint32_t)c->nedges) < 0)
		return nomem(c);
	return (long)c->nedges - 1;
}

/* The analysis' view of a function's module. */
static const struct modx *node_mod(const struct cf *c, uint32_t n)
{
	return &c->mx[SN(c, n).module];
}

static const char *mod_name(const struct cf *c, uint32_t node)
{
	return str(c, SM(c, SN(c, node).module).name);
}

size_t cf_node_name(const struct cf *c, uint32_t id, char *buf, size_t size)
{
	const struct segmap_node *n;
	int len;

	if (id < 1 || id > c->sm.nnodes) {
		len = snprintf(buf, size, "?");
	} else {
		n = &SN(c, id);
		if (n->symbol)
			len = snprintf(buf, size, "%s!%s", mod_name(c, id), str(c, n->symbol));
		else
			len = snprintf(buf, size, "%s+0x%llx", mod_name(c, id), (unsigned long long)n->offset);
	}
	return len < 0 ? 0 : (size_t)len;
}

/* ---- reading merged streams ---- */

/* The global function of a segment's node id; 0 on error. */
static uint32_t map_node(struct cf *c, const struct es_reader *r, uint32_t rnid)
{
	uint32_t id = segmap_node(&c->sm, r, rnid);

	if (id == SEGMAP_ERR) {
		nomem(c);
		return 0;
	}
	return nodes_sync(c) < 0 ? 0 : id;
}

static int runtime_evidence(const struct cf_edge *e)
{
	return (e->evidence & ~(uint32_t)ES_EV_STATIC) != 0 || e->count > 0;
}

static int win_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct xwin *a = &((const struct cf *)ctx)->wins[id], *b = key;

	return a->a == b->a && a->b == b->b;
}

/* The number of the window (a, b); 0 on error. */
static uint32_t intern_window(struct cf *c, uint64_t a, uint64_t b)
{
	struct xwin k = { a, b };
	uint64_t h = mem_hash_u64(mem_hash_u64(0x3d1, a), b);
	uint32_t id = idmap_find(&c->winmap, h, win_eq, c, &k);
	void *p = c->wins;

	if (id)
		return id;
	if (c->nwins >= UINT32_MAX - 2 || mem_grow(&p, &c->wins_cap, c->nwins + 2, sizeof(*c->wins)) < 0) {
		nomem(c);
		return 0;
	}
	c->wins = p;
	c->wins[++c->nwins] = k;
	if (idmap_insert(&c->winmap, h, (uint32_t)c->nwins) < 0) {
		nomem(c);
		return 0;
	}
	return (uint32_t)c->nwins;
}

/* The window of a runtime edge record: its window record's, else its segment's. 0 on error. */
static uint32_t record_window(struct cf *c, const struct es_reader *r, uint32_t rwin)
{
	const struct es_window *w = rwin ? es_reader_window(r, rwin) : NULL;
	uint32_t *slot;

	if (w) {
		if (!(slot = segmap_idvec_slot(&c->seg_win, rwin))) {
			nomem(c);
			return 0;
		}
		if (!*slot)
			*slot = intern_window(c, w->start_ns, w->end_ns);
		return *slot;
	}
	if (!c->seg_wid)
		c->seg_wid = c->seg_start || c->seg_end ? intern_window(c, c->seg_start, c->seg_end) :
		    intern_window(c, UINT64_MAX, c->segments);
	return c->seg_wid;
}

static int ew_grow(struct cf *c)
{
	size_t cap = c->ew ? (c->ew_mask + 1) * 2 : 1024, i;
	uint64_t *n = mem_big_alloc(cap * sizeof(*n));

	if (!n)
		return nomem(c);
	for (i = 0; c->ew && i <= c->ew_mask; i++)
		if (c->ew[i]) {
			size_t pos = mem_hash_u64(0x3d1, c->ew[i]) & (cap - 1);

			while (n[pos])
				pos = (pos + 1) & (cap - 1);
			n[pos] = c->ew[i];
		}
	if (c->ew)
		mem_big_free(c->ew, (c->ew_mask + 1) * sizeof(*c->ew));
	c->ew = n;
	c->ew_mask = cap - 1;
	return 0;
}

/* Window wid of an edge: counted the first time a record carries it. */
static int add_edge_window(struct cf *c, uint32_t edge, uint32_t wid)
{
	uint64_t k = (uint64_t)edge << 32 | wid;
	size_t pos;

	if ((c->ew_n + 1) * 2 > (c->ew ? c->ew_mask + 1 : 0) && ew_grow(c) < 0)
		return -1;
	for (pos = mem_hash_u64(0x3d1, k) & c->ew_mask; c->ew[pos]; pos = (pos + 1) & c->ew_mask)
		if (c->ew[pos] == k)
			return 0;
	c->ew[pos] = k;
	c->ew_n++;
	c->edges[edge].windows++;
	return 0;
}

static int add_edge_record(struct cf *c, const struct es_reader *r, const struct es_edge *in)
{
	uint32_t a = map_node(c, r, in->caller), b = a ? map_node(c, r, in->callee) : 0;
	uint32_t site = in->site ? segmap_string(&c->sm, r, in->site) : 0;
	struct cf_edge *e;
	long i;

	if (!a || !b || site == SEGMAP_ERR)
		return site == SEGMAP_ERR ? nomem(c) : -1;
	i = intern_edge(c, a, b);
	if (i < 0)
		return -1;
	e = &c->edges[i];
	e->count = es_count_add(e->count, in->count);
	if (in->first_ns && (!e->first_ns || in->first_ns < e->first_ns))
		e->first_ns = in->first_ns;
	if (in->last_ns > e->last_ns)
		e->last_ns = in->last_ns;
	/* A static call site wins over a runtime one. */
	if (site && (!e->site || ((in->evidence & ES_EV_STATIC) && !(e->evidence & ES_EV_STATIC))))
		e->site = site;
	e->evidence |= in->evidence;
	if (in->confidence > e->confidence)
		e->confidence = in->confidence;
	/* trace-merge's class, folded as trace-dedup folds it. */
	if (in->edge_class > e->in_class)
		e->in_class = in->edge_class;
	if ((in->evidence & ~(uint32_t)ES_EV_STATIC) || in->count) {
		uint32_t wid = record_window(c, r, in->window);

		return wid ? add_edge_window(c, (uint32_t)i, wid) : -1;
	}
	return 0;
}

static int add_coverage(struct cf *c, const struct es_reader *r, const struct es_coverage *in)
{
	uint32_t n = map_node(c, r, in->node);
	void *p;

	if (!n)
		return -1;
	if (in->method == ES_COV_NONE) {
		c->nodes[n].cov_none = 1;
		return 0;
	}
	c->nodes[n].cov_other = 1;
	if (in->method == ES_COV_ENTRY_PROBE)
		c->nodes[n].n.probed = 1;
	p = c->covs;
	if (mem_grow(&p, &c->covs_cap, c->ncovs + 1, sizeof(*c->covs)) < 0)
		return nomem(c);
	c->covs = p;
	c->covs[c->ncovs].node = n;
	c->covs[c->ncovs].method = in->method;
	c->covs[c->ncovs].start = in->start_ns;
	c->covs[c->ncovs++].end = in->end_ns;
	return 0;
}

static const char *param(const struct cf *c, const char *key)
{
	uint32_t k = strtab_find(&c->sm.strs, key, strlen(key));

	for (size_t i = 0; k && i < c->nparams; i++)
		if (c->params[i].key == k)
			return str(c, c->params[i].value);
	return NULL;
}

/* Parameters this program writes itself: not carried over from its input. */
static int own_param(const char *key)
{
	return strcmp(key, "policy") == 0 || strcmp(key, "min_count") == 0 ||
	    strcmp(key, "min_windows") == 0 || strcmp(key, "conflicts") == 0 ||
	    strcmp(key, "unresolved") == 0 || strcmp(key, "binary") == 0 ||
	    strcmp(key, "binary_build_id") == 0;
}

static int begin_segment(struct cf *c, const struct es_header *h)
{
	uint32_t host = h->host ? intern_c(c, h->host) : 0;

	if (h->host && !host)
		return -1;
	segmap_segment(&c->sm);
	c->segments++;
	c->sum.segments++;
	if (c->segments == 1)
		c->host = host;
	else if (host != c->host)
		c->host_mixed = 1;
	c->seg_start = h->start_ns;
	c->seg_end = h->end_ns;
	segmap_idvec_reset(&c->seg_win);
	c->seg_wid = 0;
	if (h->start_ns && (!c->start_ns || h->start_ns < c->start_ns))
		c->start_ns = h->start_ns;
	if (h->end_ns > c->end_ns)
		c->end_ns = h->end_ns;
	if ((!h->source || (strcmp(h->source, "merge") != 0 && strcmp(h->source, "conflicts") != 0 &&
	    strcmp(h->source, "static") != 0)) &&
	    !c->not_merged_warned++)
		warnf(c, "segment %u is not a trace-merge output (source %s): its edges carry no static "
		    "classification", c->segments, h->source ? h->source : "unknown");
	for (size_t i = 0; i < h->nparams; i++) {
		uint32_t k, v;
		void *p;
		size_t j;

		if (own_param(h->params[i].key))
			continue;
		k = intern_c(c, h->params[i].key);
		v = intern_c(c, h->params[i].value);
		if (!k || !v)
			return -1;
		for (j = 0; j < c->nparams && c->params[j].key != k; j++)
			;
		if (j < c->nparams) {
			if (c->params[j].value != v && strncmp(h->params[i].key, "alias:", 6) != 0)
				warnf(c, "segment %u: header parameter %s is '%s', earlier '%s': keeping the first",
				    c->segments, h->params[i].key, h->params[i].value, str(c, c->params[j].value));
			continue;
		}
		p = c->params;
		if (mem_grow(&p, &c->params_cap, c->nparams + 1, sizeof(*c->params)) < 0)
			return nomem(c);
		c->params = p;
		c->params[c->nparams].key = k;
		c->params[c->nparams++].value = v;
	}
	return 0;
}

int cf_add_input(struct cf *c, struct es_reader *r, struct progress *pg)
{
	struct es_event ev;
	size_t i;
	int rc;

	if (c->finished) {
		tm_err_set(c->err, TM_EXIT_ENV, "internal error: already finished");
		return -1;
	}
	segmap_segment(&c->sm);
	while ((rc = es_reader_next(r, &ev)) > 0) {
		switch (ev.kind) {
		case ES_EVENT_HEADER:
			if (begin_segment(c, ev.header) < 0)
				return -1;
			break;
		case ES_EVENT_EDGES:
			for (i = 0; i < ev.nedges; i++)
				if (add_edge_record(c, r, &ev.edges[i]) < 0)
					return -1;
			c->sum.records += ev.nedges;
			if (pg)
				progress_update(pg, es_reader_bytes_in(r), c->sum.records, c->nedges);
			break;
		case ES_EVENT_COVERAGE:
			if (add_coverage(c, r, ev.coverage) < 0)
				return -1;
			break;
		case ES_EVENT_TRAILER:
			for (i = 0; i < ev.trailer->nlosses; i++)
				if (segmap_loss(&c->sm, ev.trailer->losses[i].name, ev.trailer->losses[i].count) < 0)
					return nomem(c);
			break;
		default:
			break;
		}
	}
	return rc;
}

/* ---- --static and --binary ---- */

int cf_add_static(struct cf *c, const char *path)
{
	if (!c->g && !(c->g = sgraph_new()))
		return nomem(c);
	/* Graphs only: an edge stream is refused (trace-merge joins those). */
	return staticload_path(c->g, path, STATICLOAD_AUTO, NULL, NULL, c->err);
}

int cf_set_binary(struct cf *c, const char *path)
{
	cfcode_free(c->code);
	c->code = cfcode_open(path, c->err);
	if (!c->code)
		return -1;
	if (!cfcode_is_x86_64(c->code))
		warnf(c, "%s: not x86-64 code: only its symbols and build id are used", path);
	return 0;
}

/* ---- lifecycle ---- */

struct cf *cf_new(const struct cf_opts *opts, struct tm_err *err)
{
	struct cf *c = calloc(1, sizeof(*c));

	if (!c) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	c->o = *opts;
	if (!c->o.min_count)
		c->o.min_count = 1;
	if (!c->o.min_windows)
		c->o.min_windows = 1;
	c->err = err;
	segmap_init(&c->sm);
	idmap_init(&c->edgemap);
	idmap_init(&c->winmap);
	return c;
}

void cf_free(struct cf *c)
{
	if (!c)
		return;
	segmap_free(&c->sm);
	free(c->mx);
	mem_big_free(c->nodes, c->nodes_cap * sizeof(*c->nodes));
	free(c->edges);
	idmap_free(&c->edgemap);
	free(c->wins);
	idmap_free(&c->winmap);
	segmap_idvec_free(&c->seg_win);
	if (c->ew)
		mem_big_free(c->ew, (c->ew_mask + 1) * sizeof(*c->ew));
	free(c->covs);
	free(c->params);
	if (c->g)
		sgraph_free(c->g);
	cfcode_free(c->code);
	free(c->sout_off);
	free(c->sout_ids);
	free(c->cs);
	free(c->bases);
	free(c);
}

/* ---- analysis helpers ---- */

static int is_static(const struct cf_edge *e)
{
	return (e->evidence & ES_EV_STATIC) != 0;
}

static int sampled_only(const struct cf_edge *e)
{
	uint32_t rt = e->evidence & ~(uint32_t)ES_EV_STATIC;
	uint32_t sampled = ES_EV_EBPF_SAMPLE | ES_EV_ETW_SAMPLE;

	return rt && !(rt & ~sampled);
}

/* The symbol without its file qualifier, and its origin-name length. */
static const char *bare(const struct cf *c, uint32_t node, size_t *len, size_t *base_len)
{
	const char *s = str(c, SN(c, node).symbol), *file, *name;
	size_t slen = strlen(s), flen, nlen;

	if (!symname_split_file(s, slen, &file, &flen, &name, &nlen)) {
		name = s;
		nlen = slen;
	}
	*len = nlen;
	if (base_len)
		symname_base(name, nlen, base_len);
	return name;
}

static int name_is(const struct cf *c, uint32_t node, const char *const *names)
{
	size_t len, blen;
	const char *s;

	if (!SN(c, node).symbol)
		return 0;
	s = bare(c, node, &len, &blen);
	for (; *names; names++)
		if (strlen(*names) == blen && memcmp(*names, s, blen) == 0)
			return 1;
	return 0;
}

/* Static successor edges of a node (indices into c->edges). */
static const uint32_t *sout(const struct cf *c, uint32_t node, size_t *n)
{
	*n = c->sout_off[node + 1] - c->sout_off[node];
	return c->sout_ids + c->sout_off[node];
}

static int build_static_adjacency(struct cf *c)
{
	size_t i, n = c->sm.nnodes;
	uint32_t *fill;

	c->sout_off = calloc(n + 2, sizeof(uint32_t));
	c->sout_ids = malloc((c->nedges + 1) * sizeof(uint32_t));
	fill = calloc(n + 2, sizeof(uint32_t));
	if (!c->sout_off || !c->sout_ids || !fill) {
		free(fill);
		return nomem(c);
	}
	for (i = 0; i < c->nedges; i++)
		if (is_static(&c->edges[i]))
			c->sout_off[c->edges[i].caller + 1]++;
	for (i = 1; i <= n + 1; i++)
		c->sout_off[i] += c->sout_off[i - 1];
	for (i = 0; i < c->nedges; i++) {
		uint32_t a = c->edges[i].caller;

		if (is_static(&c->edges[i]))
			c->sout_ids[c->sout_off[a] + fill[a]++] = (uint32_t)i;
	}
	free(fill);
	return 0;
}

/* "file:line" interned; 0 when there is no file. */
static uint32_t loc_str(struct cf *c, uint32_t file, uint32_t line)
{
	char buf[4096];
	int len;

	if (!file)
		return 0;
	len = line ? snprintf(buf, sizeof(buf), "%s:%u", str(c, file), line) :
	    snprintf(buf, sizeof(buf), "%s", str(c, file));
	if (len < 0)
		return 0;
	return intern(c, buf, (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf) - 1);
}

/* ---- what the static graph knows ---- */

static void derive_known(struct cf *c)
{
	const uint32_t static_flags = ES_NODE_EXTERNAL | ES_NODE_ADDRESS_TAKEN | ES_NODE_INDIRECT_SITE |
	    ES_NODE_ENTRY | MERGE_NODE_ALIAS;
	size_t i;

	for (i = 0; i < c->nedges; i++) {
		const struct cf_edge *e = &c->edges[i];

		if (is_static(e)) {
			c->nodes[e->caller].static_edge = 1;
			c->nodes[e->callee].static_edge = 1;
			c->nodes[e->caller].nstatic_out++;
			c->nodes[e->callee].nstatic_in++;
			c->sum.any_static = 1;
		}
		if (runtime_evidence(e)) {
			c->nodes[e->caller].n.observed = 1;
			c->nodes[e->callee].n.observed = 1;
			c->sum.any_runtime = 1;
			if (e->evidence & (ES_EV_EBPF_PROBE | ES_EV_EBPF_LBR | ES_EV_MANUAL))
				c->any_probe = 1;
			if (e->evidence & (ES_EV_EBPF_SAMPLE | ES_EV_ETW_SAMPLE))
				c->any_sample = 1;
		}
	}
	for (i = 0; i < c->ncovs; i++) {
		if (c->covs[i].method == ES_COV_ENTRY_PROBE)
			c->any_probe = 1;
		else if (c->covs[i].method == ES_COV_SAMPLED)
			c->any_sample = 1;
	}
	for (i = 1; i <= c->sm.nnodes; i++) {
		struct xnode *x = &c->nodes[i];
		const struct segmap_node *n = &SN(c, i);
		unsigned sa = LATTICE_S_UNKNOWN, ra;

		if (n->state && lattice_axes(n->state, &sa, &ra) < 0)
			sa = LATTICE_S_UNKNOWN;
		x->n.known = sa != LATTICE_S_UNKNOWN || x->static_edge || x->sg_flags ||
		    (n->flags & static_flags) || (x->cov_none && !x->cov_other && !x->n.observed);
		x->defined = x->n.known && !(n->flags & ES_NODE_EXTERNAL);
		if (x->defined)
			c->mx[n->module].scope = 1;
	}
}

/* ---- --static: indirect-site locations, flags, and a graph the input lacks ---- */

/* The module the static graph describes: the one holding most defined functions, else by name. */
static uint32_t static_module(const struct cf *c)
{
	const char *want = param(c, "module");
	size_t *count, i;
	uint32_t best = 0;

	count = calloc(c->sm.nmods + 1, sizeof(*count));
	if (!count)
		return 0;
	for (i = 1; i <= c->sm.nnodes; i++)
		if (c->nodes[i].defined)
			count[SN(c, i).module]++;
	for (i = 1; i <= c->sm.nmods; i++)
		if (count[i] > (best ? count[best] : 0))
			best = (uint32_t)i;
	free(count);
	for (i = 1; !best && want && i <= c->sm.nmods; i++)
		if (strcmp(str(c, SM(c, i).name), want) == 0)
			best = (uint32_t)i;
	return best;
}

/* The input's function for each static graph node (0 = none), matched the way trace-merge does. */
static uint32_t *static_match(struct cf *c, int any_module)
{
	const struct sg_node *sn = sgraph_nodes(c->g);
	uint32_t *mine = calloc(sgraph_node_count(c->g) + 1, sizeof(*mine));

	if (!mine) {
		nomem(c);
		return NULL;
	}
	for (size_t i = 1; i <= c->sm.nnodes; i++) {
		const struct segmap_node *n = &SN(c, i);
		unsigned how;
		uint32_t g = staticload_resolve(c->g, &c->sm, (uint32_t)i, &how);

		if (g == SG_NONE || (how & SG_MATCH_AMBIGUOUS))
			continue;
		/* A declared function matches in any module; a defined one where the graph's are. */
		if (!(sn[g].flags & SG_NODE_EXTERNAL) && !c->nodes[i].n.known && !any_module &&
		    !c->mx[n->module].scope)
			continue;
		if (!mine[g] || (c->nodes[i].n.known && !c->nodes[mine[g]].n.known))
			mine[g] = (uint32_t)i;
	}
	return mine;
}

/* Flags and indirect-site locations of the --static graph on the input's functions. */
static int apply_static(struct cf *c)
{
	const struct sg_node *sn = sgraph_nodes(c->g);
	const struct sg_isite *is = sgraph_isites(c->g);
	size_t ns = sgraph_node_count(c->g), i;
	uint32_t *mine = static_match(c, 0);

	if (!mine)
		return -1;
	for (i = 0; i < ns; i++) {
		struct xnode *x;
		struct segmap_node *n;
		size_t nsites;
		const uint32_t *sites;

		if (!mine[i])
			continue;
		x = &c->nodes[mine[i]];
		n = &SN(c, mine[i]);
		x->sg_flags = 1;
		if (sn[i].flags & SG_NODE_EXTERNAL)
			n->flags |= ES_NODE_EXTERNAL;
		if (sn[i].flags & SG_NODE_ADDR_TAKEN)
			n->flags |= ES_NODE_ADDRESS_TAKEN;
		if (sn[i].flags & SG_NODE_INDIRECT)
			n->flags |= ES_NODE_INDIRECT_SITE;
		sites = sgraph_node_isites(c->g, (uint32_t)i, &nsites);
		if (nsites && !x->isite_loc && is[sites[0]].site.file) {
			uint32_t f = intern_c(c, sgraph_str(c->g, is[sites[0]].site.file));

			if (!f || !(x->isite_loc = loc_str(c, f, is[sites[0]].site.line))) {
				free(mine);
				return -1;
			}
		}
	}
	free(mine);
	return 0;
}

/*
 * An input without static edges: the --static graph becomes one more input,
 * a static segment written here (the functions the input already has keep
 * its names; the others go to the static module) and read back like any.
 */
static int static_as_input(struct cf *c)
{
	const struct sg_node *sn = sgraph_nodes(c->g);
	const struct sg_edge *se = sgraph_edges(c->g);
	size_t ns = sgraph_node_count(c->g), i;
	struct es_param prm = { "module", NULL };
	struct tm_err werr = { 0, "" };
	uint32_t *mine = static_match(c, 1), *h = NULL, smod = static_module(c), mh = 0;
	int fd = memfd_create("static", MFD_CLOEXEC), rc = -1;
	struct es_writer *w = NULL;
	struct es_reader *r = NULL;
	struct es_module m;
	struct es_header hd;
	char label[4096];

	h = calloc(ns + 1, sizeof(*h));
	if (!mine || !h || fd < 0) {
		if (fd < 0)
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "--static: cannot buffer the graph");
		else
			nomem(c);
		goto out;
	}
	w = es_writer_new(fd, "--static", NULL, &werr);
	memset(&hd, 0, sizeof(hd));
	hd.producer = "trace-conflicts " TM_VERSION;
	hd.source = "static";
	prm.value = param(c, "module") ? param(c, "module") : smod ? str(c, SM(c, smod).name) :
	    c->code ? cfcode_name(c->code) : "static";
	hd.params = &prm;
	hd.nparams = 1;
	if (!w || es_writer_begin(w, &hd) < 0)
		goto werror;
	if (smod)
		segmap_module_out(&c->sm, smod, &m);
	else {
		memset(&m, 0, sizeof(m));
		m.name = prm.value;
	}
	if (!(mh = es_writer_module(w, &m)))
		goto werror;
	for (i = 0; i < ns; i++) {
		struct es_node v;

		memset(&v, 0, sizeof(v));
		if (mine[i]) {
			const struct segmap_node *n = &SN(c, mine[i]);
			struct es_module om;

			segmap_module_out(&c->sm, n->module, &om);
			v.module = es_writer_module(w, &om);
			v.symbol = n->symbol ? es_writer_cstring(w, str(c, n->symbol)) : 0;
			v.offset = n->offset;
			v.file = n->file ? es_writer_cstring(w, str(c, n->file)) : 0;
			v.line = n->line;
		} else {
			sgraph_node_label(c->g, (uint32_t)i, label, sizeof(label));
			v.module = mh;
			v.symbol = es_writer_cstring(w, label);
			v.file = sn[i].loc.file ? es_writer_cstring(w, sgraph_str(c->g, sn[i].loc.file)) : 0;
			v.line = sn[i].loc.line;
		}
		v.flags = ((sn[i].flags & SG_NODE_EXTERNAL) ? ES_NODE_EXTERNAL : 0) |
		    ((sn[i].flags & SG_NODE_ADDR_TAKEN) ? ES_NODE_ADDRESS_TAKEN : 0) |
		    ((sn[i].flags & SG_NODE_INDIRECT) ? ES_NODE_INDIRECT_SITE : 0);
		if (!v.module || !(h[i] = es_writer_node(w, &v)))
			goto werror;
	}
	for (i = 0; i < sgraph_edge_count(c->g); i++) {
		struct es_edge e;

		memset(&e, 0, sizeof(e));
		e.caller = h[se[i].caller];
		e.callee = h[se[i].callee];
		e.evidence = ES_EV_STATIC;	/* no class: trace-merge did not see it */
		if (se[i].site.file) {
			int n = snprintf(label, sizeof(label), "%s:%u", sgraph_str(c->g, se[i].site.file),
			    se[i].site.line);

			e.site = n > 0 ? es_writer_string(w, label, (size_t)n < sizeof(label) ? (size_t)n :
			    sizeof(label) - 1) : 0;
		}
		if (es_writer_edge(w, &e) < 0)
			goto werror;
	}
	for (i = 0; i < ns; i++) {
		struct es_coverage cv;
		size_t nin, nout;

		sgraph_in(c->g, (uint32_t)i, &nin);
		sgraph_out(c->g, (uint32_t)i, &nout);
		if (nin || nout)
			continue;
		memset(&cv, 0, sizeof(cv));
		cv.node = h[i];
		cv.method = ES_COV_NONE;
		if (es_writer_coverage(w, &cv) < 0)
			goto werror;
	}
	if (es_writer_end(w) < 0)
		goto werror;
	lseek(fd, 0, SEEK_SET);
	r = es_reader_new(fd, "--static", NULL, c->err);
	rc = r ? cf_add_input(c, r, NULL) : -1;
	goto out;
werror:
	tm_err_set(c->err, werr.code ? werr.code : TM_EXIT_ENV, "--static: %s",
	    werr.msg[0] ? werr.msg : "out of memory");
out:
	es_reader_free(r);
	es_writer_free(w);
	if (fd >= 0)
		close(fd);
	free(mine);
	free(h);
	return rc;
}

/* ---- build ids: version skew and which module the --binary is ---- */

static int hex_parse(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
		int lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 : -1;

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static int same_id(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * Version skew. Three build ids may be known for a module name: the static
 * graph's (trace-merge --binary's, the "build_id" header parameter, or the
 * identity of a module that holds static functions and nothing observed),
 * the one that ran (the runtime module's), and the --binary's. The static
 * graph's differing from the one that ran is skew; without the static
 * graph's, a --binary differing from what ran is taken as the static graph's
 * build (its code is then not used either).
 */
static void skew(struct cf *c)
{
	const char *bmod = param(c, "module"), *bid = param(c, "build_id");
	uint8_t sid[ES_BUILD_ID_MAX];
	const uint8_t *cid = NULL;
	size_t cid_len = 0, i, j;
	int sid_len = bid ? hex_parse(bid, sid, sizeof(sid)) : -1, warned = 0;
	const char *code_name = NULL;
	uint8_t *observed = calloc(c->sm.nmods + 1, 1);

	if (!observed) {
		nomem(c);
		return;
	}
	for (j = 1; j <= c->sm.nnodes; j++)
		if (c->nodes[j].n.observed)
			observed[SN(c, j).module] = 1;
	if (c->code) {
		cid_len = cfcode_build_id(c->code, &cid);
		code_name = cfcode_name(c->code);
		/* A renamed file: the module the static graph describes. */
		for (i = 1; i <= c->sm.nmods; i++)
			if (strcmp(str(c, SM(c, i).name), code_name) == 0)
				break;
		if (i > c->sm.nmods) {
			code_name = bmod;
			for (i = 1; !code_name && i <= c->sm.nmods; i++)
				if (c->mx[i].scope)
					code_name = str(c, SM(c, i).name);
		}
	}
	for (i = 1; i <= c->sm.nmods; i++) {
		const struct segmap_module *r = &SM(c, i);
		struct modx *rx = &c->mx[i];
		const char *name = str(c, r->name);
		const uint8_t *st = NULL, *rt = NULL, *bin = NULL, *ran = NULL, *was = NULL;
		size_t st_len = 0, rt_len = 0, bin_len = 0, ran_len = 0, was_len = 0;

		if (!observed[i])
			continue;
		if (bmod && strcmp(bmod, name) == 0 && sid_len > 0) {
			st = sid;
			st_len = (size_t)sid_len;
		}
		for (j = 1; !st && j <= c->sm.nmods; j++)
			if (j != i && c->mx[j].scope && !observed[j] && SM(c, j).name == r->name &&
			    SM(c, j).id_kind == ES_ID_GNU) {
				st = SM(c, j).id;
				st_len = SM(c, j).id_len;
			}
		if (r->id_kind == ES_ID_GNU) {
			rt = r->id;
			rt_len = r->id_len;
		}
		if (code_name && strcmp(code_name, name) == 0 && cid_len) {
			bin = cid;
			bin_len = cid_len;
		}
		if (st && rt && !same_id(st, st_len, rt, rt_len)) {
			was = st, was_len = st_len, ran = rt, ran_len = rt_len;
		} else if (st && !rt && bin && !same_id(st, st_len, bin, bin_len)) {
			was = st, was_len = st_len, ran = bin, ran_len = bin_len;
		} else if (!st && rt && bin && !same_id(rt, rt_len, bin, bin_len)) {
			was = bin, was_len = bin_len, ran = rt, ran_len = rt_len;
		}
		if (code_name && strcmp(code_name, name) == 0) {
			if (!bin || !rt || same_id(rt, rt_len, bin, bin_len))
				rx->code = 1;
			else if (!warned++)
				warnf(c, "%s: its build id differs from that of the module %s that ran: its code is not used",
				    cfcode_path(c->code), name);
		}
		if (st && !c->have_static_id) {
			es_build_id_format(ES_ID_GNU, st, st_len, c->static_id_hex, sizeof(c->static_id_hex));
			c->have_static_id = 1;
		}
		if (!ran)
			continue;
		rx->skewed = 1;
		rx->run_id_len = (uint32_t)ran_len;
		memcpy(rx->run_id, ran, ran_len);
		if (!c->have_static_id) {
			es_build_id_format(ES_ID_GNU, was, was_len, c->static_id_hex, sizeof(c->static_id_hex));
			c->have_static_id = 1;
		}
	}
	/* A skewed module makes every module of that name skewed: the static one too. */
	for (i = 1; i <= c->sm.nmods; i++)
		if (c->mx[i].skewed && observed[i])
			for (j = 1; j <= c->sm.nmods; j++)
				if (SM(c, j).name == SM(c, i).name && !c->mx[j].skewed) {
					c->mx[j].skewed = 1;
					c->mx[j].run_id_len = c->mx[i].run_id_len;
					memcpy(c->mx[j].run_id, c->mx[i].run_id, c->mx[i].run_id_len);
				}
	for (i = 1; i <= c->sm.nmods; i++)
		if (c->mx[i].skewed) {
			warnf(c, "module %s: the static graph describes another build (build ids differ): "
			    "its conflicts are version skew", str(c, SM(c, i).name));
			break;
		}
	c->sum.have_code = 0;
	for (i = 1; i <= c->sm.nmods; i++)
		c->sum.have_code |= c->mx[i].code;
	free(observed);
}

/* ---- registrations: the static graph's calls of signal(), pthread_create(), qsort()... ---- */

static const char *const reg_signal[] = { "signal", "sigaction", "sigset", "bsd_signal",
	"__sysv_signal", "sysv_signal", "ssignal", "sigvec", NULL };
static const char *const reg_thread[] = { "pthread_create", "thrd_create", "clone", "clone3",
	"__clone", "g_thread_new", NULL };
static const char *const reg_exit[] = { "atexit", "on_exit", "__cxa_atexit", "at_quick_exit",
	"__cxa_thread_atexit", "pthread_key_create", NULL };
static const char *const reg_callback[] = { "qsort", "qsort_r", "bsearch", "lfind", "lsearch",
	"tsearch", "tfind", "tdelete", "twalk", "twalk_r", "tdestroy", "ftw", "nftw", "scandir",
	"scandirat", "glob", "dl_iterate_phdr", "pthread_once", "call_once", NULL };

/* Names of the C runtime's callers, by what they do. */
static const char *const rt_signal[] = { "__restore_rt", "__sigreturn", NULL };
static const char *const rt_thread[] = { "start_thread", "thread_start", "__clone", "__clone3",
	"clone", "clone3", "__pthread_start", NULL };
static const char *const rt_exit[] = { "__run_exit_handlers", "__cxa_finalize", "_dl_fini",
	"_dl_call_fini", "__libc_csu_fini", "exit", "__call_tls_dtors", "__nptl_deallocate_tsd", NULL };
static const char *const rt_ctor[] = { "call_init", "_dl_init", "__libc_csu_init", "_init",
	"__libc_start_main", "__libc_start_main_impl", "_dl_start_user", NULL };
static const char *const rt_entry[] = { "__libc_start_call_main", "__libc_start_main",
	"__libc_start_main_impl", "_start", NULL };
static const char *const rt_longjmp[] = { "__longjmp", "longjmp", "_longjmp", "siglongjmp",
	"__longjmp_chk", "__libc_siglongjmp", NULL };
static const char *const rt_callback[] = { "msort_with_tmp", "__qsort_r", "qsort_r", "qsort",
	"_quicksort", "bsearch", "lfind", "lsearch", "__tsearch", "tsearch", "__tfind", "tfind",
	"__twalk", "twalk", "trecurse", "ftw_dir", "ftw_startup", "nftw", "scandir", "glob",
	"dl_iterate_phdr", "__pthread_once_slow", "__pthread_once", "pthread_once", "call_once",
	"insertion_sort_qsort_partitions", "qsort_r_mergesort", "heapsort_r", "siftdown", NULL };

static void find_registrations(struct cf *c)
{
	static const char *const *const lists[NREG] = { reg_signal, reg_thread, reg_exit, reg_callback };
	size_t i;

	uint8_t *kind = malloc(c->sm.nnodes + 1);

	memset(c->regs, 0, sizeof(c->regs));
	if (!kind) {
		nomem(c);
		return;
	}
	/* Only functions the graph declares can be libc's registration functions. */
	for (i = 1; i <= c->sm.nnodes; i++) {
		kind[i] = NREG;
		if (c->nodes[i].n.known && c->nodes[i].nstatic_in)
			for (unsigned k = 0; k < NREG && kind[i] == NREG; k++)
				if (name_is(c, (uint32_t)i, lists[k]))
					kind[i] = (uint8_t)k;
	}
	for (i = 0; i < c->nedges; i++) {
		const struct cf_edge *e = &c->edges[i];
		unsigned k = kind[e->callee];

		if (k < NREG && !c->regs[k].api && is_static(e) && c->nodes[e->caller].defined) {
			c->regs[k].api = e->callee;
			c->regs[k].caller = e->caller;
			c->regs[k].site = e->site;
		}
	}
	free(kind);
}

/* ---- origin-name index of the defined functions (identity) ---- */

static int base_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

static int build_bases(struct cf *c)
{
	char name[4096];
	size_t i, n = 0;

	c->bases = malloc((c->sm.nnodes + 1) * 2 * sizeof(uint32_t));
	if (!c->bases)
		return nomem(c);
	for (i = 1; i <= c->sm.nnodes; i++) {
		size_t len, blen;
		const char *s;
		uint32_t sid;

		if (!c->nodes[i].defined || !SN(c, i).symbol)
			continue;
		s = bare(c, (uint32_t)i, &len, &blen);
		/* s points into the string table, which interning may move: copy it first. */
		if (blen >= sizeof(name))
			blen = sizeof(name) - 1;
		memcpy(name, s, blen);
		if (!(sid = intern(c, name, blen)))
			return -1;
		c->bases[2 * n] = sid;
		c->bases[2 * n + 1] = (uint32_t)i;
		n++;
	}
	if (n > 1)
		qsort(c->bases, n, 2 * sizeof(uint32_t), base_cmp);
	c->nbases = n;
	return 0;
}

/* Defined functions whose origin name is name[0..len): the first, and how many. */
static uint32_t by_base(const struct cf *c, const char *name, size_t len, size_t *n)
{
	uint32_t sid = strtab_find(&c->sm.strs, name, len);
	size_t a = 0, b = c->nbases, k;

	*n = 0;
	if (!sid)
		return 0;
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (c->bases[2 * mid] < sid)
			a = mid + 1;
		else
			b = mid;
	}
	for (k = a; k < c->nbases && c->bases[2 * k] == sid; k++)
		;
	*n = k - a;
	return *n ? c->bases[2 * a + 1] : 0;
}

/* ---- the binary's view of a node ---- */

#define MAXPARTS 16

/* The code functions of a node: by its offset when the capture recorded one, else by name. */
static size_t code_parts(const struct cf *c, uint32_t node, int origin, uint32_t *out)
{
	const struct segmap_node *n = &SN(c, node);
	size_t len = 0, k;
	const char *s;

	if (!c->code || !c->mx[n->module].code)
		return 0;
	if (n->offset && !origin) {
		long i = cfcode_at_offset(c->code, n->offset);

		if (i >= 0) {
			out[0] = (uint32_t)i;
			return 1;
		}
	}
	if (!n->symbol)
		return 0;
	s = strtab_get(&c->sm.strs, n->symbol, &len);
	k = cfcode_find(c->code, s, len, origin, out, MAXPARTS);
	return k > MAXPARTS ? MAXPARTS : k;
}

/* Whether the binary answers for this node (its module is the --binary's). */
static int code_for(const struct cf *c, uint32_t node)
{
	return c->code && c->mx[SN(c, node).module].code;
}

/* How the parts of `from` reach any part of `to`; *at the instruction. */
static unsigned code_reach(struct cf *c, uint32_t from, uint32_t to, uint64_t *at, int *all_decoded)
{
	uint32_t pf[MAXPARTS], pt[MAXPARTS];
	size_t nf = code_parts(c, from, 1, pf), nt = code_parts(c, to, 0, pt), i, j;
	unsigned how = 0;

	if (!nt)
		nt = code_parts(c, to, 1, pt);
	*at = 0;
	if (all_decoded)
		*all_decoded = nf > 0;
	for (i = 0; i < nf; i++) {
		const struct cfcode_fn *f = cfcode_fn(c->code, pf[i]);

		if (all_decoded && (!f || f->decoded != 1))
			*all_decoded = 0;
		for (j = 0; j < nt; j++) {
			const struct cfcode_fn *g = cfcode_fn(c->code, pt[j]);
			uint64_t where = 0;
			unsigned h;

			if (!g)
				continue;
			h = cfcode_reaches(c->code, pf[i], g->addr, &where);
			if (h && (!*at || ((h & (CFCODE_JMP | CFCODE_JCC)) && !(how & (CFCODE_JMP | CFCODE_JCC)))))
				*at = where;
			how |= h;
		}
	}
	return how;
}

/* ---- classification ---- */

struct verdict {
	unsigned cls, conf, async;
	uint32_t via, via2, loc, facts;
	uint64_t code_at;
};

static void set(struct verdict *v, unsigned cls, unsigned conf)
{
	v->cls = cls;
	v->conf = conf;
}

static int addr_taken(const struct cf *c, uint32_t n)
{
	const struct xnode *x = &c->nodes[n];

	return (SN(c, n).flags & ES_NODE_ADDRESS_TAKEN) || (x->defined && x->nstatic_in == 0);
}

static void callee_facts(const struct cf *c, uint32_t n, struct verdict *v)
{
	if (SN(c, n).flags & ES_NODE_ADDRESS_TAKEN)
		v->facts |= CF_F_CALLEE_ADDR_TAKEN;
	else if (c->nodes[n].defined && c->nodes[n].nstatic_in == 0)
		v->facts |= CF_F_CALLEE_NO_CALLERS;
}

static void use_registration(const struct cf *c, unsigned kind, struct verdict *v)
{
	if (!c->regs[kind].api)
		return;
	v->facts |= CF_F_REGISTRATION;
	v->via = c->regs[kind].api;
	v->via2 = c->regs[kind].caller;
	if (c->regs[kind].site)
		v->loc = c->regs[kind].site;
}

/* The end x of an edge is the same function as a defined static one. */
static int identity_end(struct cf *c, uint32_t x, uint32_t other, int x_is_callee, struct verdict *v)
{
	const struct segmap_node *n = &SN(c, x);
	size_t len, blen, cnt;
	uint32_t y = 0;
	const char *s;

	if (c->nodes[x].n.known || !c->mx[n->module].scope)
		return 0;
	if (n->symbol) {
		s = bare(c, x, &len, &blen);
		y = by_base(c, s, blen, &cnt);
		if (y)
			v->facts |= CF_F_SAME_ORIGIN;
	} else if (code_for(c, x)) {
		long i = cfcode_at_offset(c->code, n->offset);
		const struct cfcode_fn *f = i >= 0 ? cfcode_fn(c->code, (uint32_t)i) : NULL;

		if (f) {
			size_t b;

			symname_base(f->name, strlen(f->name), &b);
			y = by_base(c, f->name, b, &cnt);
			if (y)
				v->facts |= CF_F_SYMBOLIZED;
		}
	}
	if (!y)
		return 0;
	set(v, CF_IDENTITY, cnt == 1 ? CF_CONF_HIGH : CF_CONF_MEDIUM);
	v->via = y;
	if (cnt == 1 && (x_is_callee ? find_edge(c, other, y) : find_edge(c, y, other)) >= 0)
		v->facts |= CF_F_STATIC_PATH;
	return 1;
}

/* C's name is an implementation variant of E's (an ifunc: memcpy -> __memcpy_avx_unaligned). */
static int variant_of(const struct cf *c, uint32_t cn, uint32_t en)
{
	size_t cl, el, cb, eb;
	const char *cs, *es;

	if (!SN(c, cn).symbol || !SN(c, en).symbol)
		return 0;
	cs = bare(c, cn, &cl, &cb);
	es = bare(c, en, &el, &eb);
	while (cb && *cs == '_') {
		cs++;
		cb--;
	}
	while (eb && *es == '_') {
		es++;
		eb--;
	}
	return eb >= 3 && cb > eb && memcmp(cs, es, eb) == 0 && (cs[eb] == '_' || cs[eb] == '.');
}

static void classify_in_scope(struct cf *c, const struct cf_edge *e, struct verdict *v)
{
	uint32_t a = e->caller, cn = e->callee, cands[64];
	size_t nout, nc = 0, i;
	const uint32_t *out = sout(c, a, &nout);
	int isite = (SN(c, a).flags & ES_NODE_INDIRECT_SITE) != 0;
	uint64_t at;

	/* Two-hop static paths a -> b -> callee. */
	for (i = 0; i < nout && nc < 64; i++) {
		uint32_t b = c->edges[out[i]].callee;
		long k;

		if (b == a || b == cn)
			continue;
		k = find_edge(c, b, cn);
		if (k >= 0 && is_static(&c->edges[k]))
			cands[nc++] = b;
	}
	/* Identical code folding: another name at the callee's address that the caller calls statically. */
	if (code_for(c, cn)) {
		uint32_t parts[MAXPARTS], al[16];
		size_t np = code_parts(c, cn, 0, parts), na, j;

		for (i = 0; i < np; i++) {
			na = cfcode_aliases(c->code, parts[i], al, 16);
			for (j = 0; j < na && j < 16; j++) {
				const struct cfcode_fn *f = cfcode_fn(c->code, al[j]);
				size_t bl, cnt;
				uint32_t y;

				symname_base(f->name, strlen(f->name), &bl);
				y = by_base(c, f->name, bl, &cnt);
				if (y && y != cn && find_edge(c, a, y) >= 0 && is_static(&c->edges[find_edge(c, a, y)])) {
					set(v, CF_IDENTITY, CF_CONF_HIGH);
					v->facts |= CF_F_SAME_ADDRESS | CF_F_STATIC_PATH;
					v->via = y;
					return;
				}
			}
		}
	}
	/* Confirmed from the code: a tail jump, an inlined intermediate, a missing frame pointer. */
	for (i = 0; i < nc; i++) {
		if (!code_for(c, cands[i]))
			continue;
		if (code_reach(c, cands[i], cn, &at, NULL) & (CFCODE_JMP | CFCODE_JCC)) {
			set(v, CF_TAIL_CALL, CF_CONF_HIGH);
			v->facts |= CF_F_STATIC_PATH | CF_F_CODE_TAIL_JMP |
			    (c->nodes[cands[i]].n.observed ? CF_F_VIA_OBSERVED : 0);
			v->via = cands[i];
			v->code_at = at;
			return;
		}
	}
	for (i = 0; i < nc; i++) {
		uint32_t parts[MAXPARTS];

		if (code_for(c, cands[i]) && c->nodes[cands[i]].defined && !code_parts(c, cands[i], 1, parts)) {
			set(v, CF_INLINED, CF_CONF_HIGH);
			v->facts |= CF_F_STATIC_PATH | CF_F_CODE_ABSENT;
			v->via = cands[i];
			return;
		}
	}
	if (nc && code_for(c, a) && (code_reach(c, a, cn, &at, NULL) & CFCODE_CALL)) {
		set(v, CF_INLINED, CF_CONF_HIGH);
		v->facts |= CF_F_STATIC_PATH | CF_F_CODE_CALL;
		v->via = cands[0];
		v->code_at = at;
		return;
	}
	if (sampled_only(e)) {
		for (i = 0; i < nc; i++) {
			uint32_t parts[MAXPARTS];
			const struct cfcode_fn *f;

			if (code_parts(c, cands[i], 0, parts) && (f = cfcode_fn(c->code, parts[0])) &&
			    f->decoded == 1 && !f->frame_pointer) {
				set(v, CF_UNWIND, CF_CONF_MEDIUM);
				v->facts |= CF_F_STATIC_PATH | CF_F_NO_FRAME_POINTER | CF_F_SAMPLED_ONLY;
				v->via = cands[i];
				return;
			}
		}
	}
	/* An indirect call site of the caller and an address-taken callee. */
	if (isite && addr_taken(c, cn)) {
		set(v, CF_INDIRECT, CF_CONF_HIGH);
		v->facts |= CF_F_CALLER_ISITE;
		callee_facts(c, cn, v);
		v->loc = c->nodes[a].isite_loc;
		return;
	}
	/* A two-hop path without code evidence: a frame that ran is a tail call, else inlining. */
	if (nc) {
		uint32_t b = cands[0];

		for (i = 0; i < nc; i++)
			if (c->nodes[cands[i]].n.observed) {
				b = cands[i];
				break;
			}
		set(v, c->nodes[b].n.observed ? CF_TAIL_CALL : CF_INLINED, CF_CONF_MEDIUM);
		v->facts |= CF_F_STATIC_PATH | (c->nodes[b].n.observed ? CF_F_VIA_OBSERVED : 0) |
		    (sampled_only(e) ? CF_F_SAMPLED_ONLY : 0);
		v->via = b;
		return;
	}
	if (isite) {
		set(v, CF_INDIRECT, CF_CONF_MEDIUM);
		v->facts |= CF_F_CALLER_ISITE;
		v->loc = c->nodes[a].isite_loc;
		return;
	}
	if (code_for(c, a)) {
		uint32_t parts[MAXPARTS];
		size_t np = code_parts(c, a, 1, parts);

		for (i = 0; i < np; i++) {
			const struct cfcode_fn *f = cfcode_fn(c->code, parts[i]);

			if (f && f->indirect_calls) {
				set(v, CF_INDIRECT, addr_taken(c, cn) ? CF_CONF_MEDIUM : CF_CONF_LOW);
				v->facts |= CF_F_CODE_ICALL;
				callee_facts(c, cn, v);
				return;
			}
		}
	}
	if (sampled_only(e) && e->count <= 1) {
		set(v, CF_UNWIND, CF_CONF_LOW);
		v->facts |= CF_F_SAMPLED_ONLY | CF_F_SINGLE_SAMPLE;
		return;
	}
	set(v, CF_UNEXPLAINED, CF_CONF_MEDIUM);
	if (code_for(c, a) && (code_reach(c, a, cn, &at, NULL) & (CFCODE_CALL | CFCODE_JMP | CFCODE_JCC))) {
		v->facts |= CF_F_CODE_CALL;
		v->code_at = at;
		v->conf = CF_CONF_HIGH;
	}
}

/*
 * An unsymbolized caller whose return address is the rt_sigreturn trampoline
 * (mov $15,%rax; syscall): the kernel's signal frame returns there, so the
 * callee is a signal handler. Read from the module file as the stream names
 * it, when that file is here and has the module's build id.
 */
static int sigreturn_caller(const struct cf *c, uint32_t a)
{
	static const uint8_t movq[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	static const uint8_t movl[7] = { 0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	const struct segmap_node *n = &SN(c, a);
	const struct segmap_module *m = &SM(c, n->module);
	uint8_t id[ES_BUILD_ID_MAX], b[9];
	struct tm_err err = { 0, "" };
	const char *path = m->path ? str(c, m->path) : NULL;
	FILE *f;
	int len, ok;

	if (n->symbol || !path || !*path)
		return 0;
	if (m->id_kind == ES_ID_GNU) {
		len = elfsym_read_build_id(path, id, sizeof(id), &err);
		if (len <= 0 || !same_id(id, (size_t)len, m->id, m->id_len))
			return 0;
	}
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fseeko(f, (off_t)(n->offset + 1), SEEK_SET) == 0 && fread(b, 1, sizeof(b), f) == sizeof(b);
	fclose(f);
	return ok && (memcmp(b, movq, sizeof(movq)) == 0 || memcmp(b, movl, sizeof(movl)) == 0);
}

/* The caller is outside the static scope, the callee inside: who entered it? */
static void classify_entered(struct cf *c, const struct cf_edge *e, struct verdict *v)
{
	uint32_t a = e->caller, cn = e->callee;
	int entry = (SN(c, cn).flags & ES_NODE_ENTRY) != 0;
	static const char *const mains[] = { "main", NULL };

	if (!entry && name_is(c, cn, mains))
		entry = 1;
	if (entry)
		v->facts |= CF_F_ENTRY;
	callee_facts(c, cn, v);
	if (sigreturn_caller(c, a) || name_is(c, a, rt_signal) || name_is(c, a, rt_thread) ||
	    name_is(c, a, rt_exit) || name_is(c, a, rt_longjmp) || (name_is(c, a, rt_entry) && entry) ||
	    (name_is(c, a, rt_ctor) && !entry)) {
		set(v, CF_ASYNC, CF_CONF_HIGH);
		v->facts |= CF_F_RUNTIME_CALLER;
		if (!SN(c, a).symbol || name_is(c, a, rt_signal)) {
			v->async = CF_ASYNC_SIGNAL;
			use_registration(c, REG_SIGNAL, v);
		} else if (name_is(c, a, rt_thread)) {
			v->async = CF_ASYNC_THREAD;
			use_registration(c, REG_THREAD, v);
		} else if (name_is(c, a, rt_exit)) {
			v->async = CF_ASYNC_EXIT;
			use_registration(c, REG_EXIT, v);
		} else if (name_is(c, a, rt_longjmp)) {
			v->async = CF_ASYNC_LONGJMP;
		} else if (entry) {
			v->async = CF_ASYNC_ENTRY;
		} else {
			v->async = CF_ASYNC_CONSTRUCTOR;
		}
		return;
	}
	if (name_is(c, a, rt_callback)) {
		set(v, CF_CALLBACK, CF_CONF_HIGH);
		v->facts |= CF_F_RUNTIME_CALLER;
		use_registration(c, REG_CALLBACK, v);
		return;
	}
	if (entry) {
		set(v, CF_ASYNC, CF_CONF_MEDIUM);
		v->async = CF_ASYNC_ENTRY;
		return;
	}
	if (addr_taken(c, cn)) {
		static const unsigned async_kinds[] = { REG_SIGNAL, REG_THREAD, REG_EXIT };
		static const unsigned async_of[] = { CF_ASYNC_SIGNAL, CF_ASYNC_THREAD, CF_ASYNC_EXIT };
		if (c->regs[REG_CALLBACK].api) {
			set(v, CF_CALLBACK, CF_CONF_MEDIUM);
			use_registration(c, REG_CALLBACK, v);
			return;
		}
		for (unsigned k = 0; k < 3; k++)
			if (c->regs[async_kinds[k]].api) {
				set(v, CF_ASYNC, CF_CONF_MEDIUM);
				v->async = async_of[k];
				use_registration(c, async_kinds[k], v);
				return;
			}
		if (c->regs[REG_CALLBACK].api) {
			set(v, CF_CALLBACK, CF_CONF_MEDIUM);
			use_registration(c, REG_CALLBACK, v);
			return;
		}
	}
	set(v, CF_CALLBACK, CF_CONF_LOW);
	v->facts |= c->mx[SN(c, a).module].scope ? CF_F_FUNCTION_UNKNOWN : CF_F_MODULE_UNSCOPED;
}

static void classify_runtime(struct cf *c, const struct cf_edge *e, struct verdict *v)
{
	uint32_t a = e->caller, cn = e->callee;
	const struct xnode *xa = &c->nodes[a], *xc = &c->nodes[cn];
	const struct modx *ma = node_mod(c, a), *mc = node_mod(c, cn);
	size_t nout, i;

	if (sampled_only(e))
		v->facts |= CF_F_SAMPLED_ONLY;
	if (ma->skewed || mc->skewed) {
		set(v, CF_VERSION_SKEW, CF_CONF_HIGH);
		v->facts |= CF_F_BUILD_ID;
		return;
	}
	if (identity_end(c, cn, a, 1, v) || identity_end(c, a, cn, 0, v))
		return;
	if (xa->defined && !xc->n.known && !mc->scope) {
		/* An implementation variant of a function the caller calls statically. */
		const uint32_t *out = sout(c, a, &nout);

		for (i = 0; i < nout; i++) {
			uint32_t en = c->edges[out[i]].callee;

			if ((SN(c, en).flags & ES_NODE_EXTERNAL) && variant_of(c, cn, en)) {
				set(v, CF_IDENTITY, CF_CONF_MEDIUM);
				v->facts |= CF_F_IFUNC_VARIANT;
				v->via = en;
				return;
			}
		}
	}
	if (xa->defined && xc->n.known) {
		classify_in_scope(c, e, v);
		return;
	}
	if (xa->defined) {
		if (mc->scope) {
			set(v, CF_OUT_OF_SCOPE, CF_CONF_HIGH);
			v->facts |= CF_F_FUNCTION_UNKNOWN;
		} else {
			set(v, CF_DYNAMIC_MODULE, CF_CONF_HIGH);
			v->facts |= CF_F_MODULE_UNSCOPED;
			if (SN(c, a).flags & ES_NODE_INDIRECT_SITE) {
				v->facts |= CF_F_CALLER_ISITE;
				v->loc = xa->isite_loc;
			}
		}
		return;
	}
	if (xc->defined) {
		if (ma->scope && !xa->n.known) {
			set(v, CF_OUT_OF_SCOPE, CF_CONF_HIGH);
			v->facts |= CF_F_FUNCTION_UNKNOWN;
			return;
		}
		classify_entered(c, e, v);
		return;
	}
	if ((ma->scope && !xa->n.known) || (mc->scope && !xc->n.known)) {
		set(v, CF_OUT_OF_SCOPE, CF_CONF_HIGH);
		v->facts |= CF_F_FUNCTION_UNKNOWN;
		return;
	}
	set(v, CF_DYNAMIC_MODULE, CF_CONF_HIGH);
	v->facts |= CF_F_MODULE_UNSCOPED;
}

static void classify_static(struct cf *c, const struct cf_edge *e, struct verdict *v)
{
	uint32_t a = e->caller, cn = e->callee, parts[MAXPARTS];
	const struct xnode *xa = &c->nodes[a], *xc = &c->nodes[cn];
	uint64_t at;

	if (node_mod(c, a)->skewed || node_mod(c, cn)->skewed) {
		set(v, CF_VERSION_SKEW, CF_CONF_HIGH);
		v->facts |= CF_F_BUILD_ID;
		return;
	}
	if (code_for(c, a) && xa->defined) {
		if (!code_parts(c, a, 1, parts)) {
			set(v, CF_NOT_PRESENT, CF_CONF_HIGH);
			v->facts |= CF_F_CODE_ABSENT;
			v->via = a;
			return;
		}
		if (xc->defined && code_for(c, cn)) {
			int all;
			unsigned how;

			if (!code_parts(c, cn, 1, parts)) {
				set(v, CF_NOT_PRESENT, CF_CONF_HIGH);
				v->facts |= CF_F_CODE_ABSENT;
				v->via = cn;
				return;
			}
			how = code_reach(c, a, cn, &at, &all);
			if (!how && all) {
				set(v, CF_NOT_PRESENT, CF_CONF_HIGH);
				v->facts |= CF_F_CODE_NO_CALL;
				return;
			}
			if (how && !(how & CFCODE_CALL)) {
				set(v, CF_UNOBSERVABLE, CF_CONF_HIGH);
				v->facts |= CF_F_TAIL_ONLY;
				v->code_at = at;
				return;
			}
		}
	}
	if (xa->n.probed && !xa->n.observed) {
		/* An exact entry probe watched the caller, which never ran: the strongest negative. */
		set(v, CF_CALLER_NOT_EXECUTED, CF_CONF_HIGH);
		v->facts |= CF_F_CALLER_PROBED;
		return;
	}
	if (!c->sum.any_runtime) {
		set(v, CF_UNOBSERVABLE, CF_CONF_HIGH);
		v->facts |= CF_F_NO_RUNTIME;
		return;
	}
	if (c->any_probe && !c->any_sample && !xc->n.probed && !xc->n.observed) {
		set(v, CF_UNOBSERVABLE, CF_CONF_HIGH);
		v->facts |= CF_F_CALLEE_UNPROBED;
		return;
	}
	if (xa->n.observed) {
		set(v, CF_NOT_EXERCISED, CF_CONF_MEDIUM);
		v->facts |= CF_F_CALLER_OBSERVED;
		return;
	}
	set(v, CF_CALLER_NOT_EXECUTED, CF_CONF_LOW);
}

/* ---- resolution ---- */

static void resolve(const struct cf *c, struct cf_conflict *k, const struct cf_edge *e)
{
	unsigned p = c->o.policy, side = cf_class_side(k->cls);

	if (k->cls == CF_VERSION_SKEW)
		side = e && runtime_evidence(e) ? CF_SIDE_RUNTIME : CF_SIDE_STATIC;
	k->resolution = CF_RES_OPEN;
	k->reason = CF_WHY_POLICY;
	if (side == CF_SIDE_NODE) {
		if (p == CF_POLICY_PREFER_RUNTIME)
			k->resolution = CF_RES_ACCEPTED;
		return;
	}
	if (side == CF_SIDE_STATIC) {
		if (p == CF_POLICY_PREFER_RUNTIME)
			k->resolution = k->cls == CF_NOT_PRESENT || k->cls == CF_VERSION_SKEW ?
			    CF_RES_REJECTED : CF_RES_KEPT;
		else if (p == CF_POLICY_PREFER_STATIC)
			k->resolution = CF_RES_KEPT;
		return;
	}
	if (e->count < c->o.min_count) {
		k->resolution = CF_RES_REJECTED;
		k->reason = CF_WHY_MIN_COUNT;
		return;
	}
	if (k->windows < c->o.min_windows) {
		k->resolution = CF_RES_REJECTED;
		k->reason = CF_WHY_MIN_WINDOWS;
		return;
	}
	if (p == CF_POLICY_EXPLAIN_ONLY)
		return;
	switch (k->cls) {
	case CF_TAIL_CALL:
	case CF_INLINED:
		k->resolution = CF_RES_EXPLAINED;
		break;
	case CF_UNWIND:
		k->resolution = CF_RES_REJECTED;
		break;
	case CF_UNEXPLAINED:
	case CF_VERSION_SKEW:
		k->resolution = p == CF_POLICY_PREFER_RUNTIME ? CF_RES_ACCEPTED : CF_RES_REJECTED;
		break;
	default:
		k->resolution = CF_RES_ACCEPTED;
		break;
	}
}

static int push_conflict(struct cf *c, const struct cf_conflict *k)
{
	void *p = c->cs;

	if (mem_grow(&p, &c->cs_cap, c->ncs + 1, sizeof(*c->cs)) < 0)
		return nomem(c);
	c->cs = p;
	c->cs[c->ncs++] = *k;
	return 0;
}

static int conflict_cmp(const void *a, const void *b)
{
	const struct cf_conflict *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->edge != y->edge)
		return x->edge < y->edge ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

static int classify_all(struct cf *c)
{
	uint32_t *best;
	size_t i;

	for (i = 0; i < c->nedges; i++) {
		const struct cf_edge *e = &c->edges[i];
		struct verdict v;
		struct cf_conflict k;
		int rt = runtime_evidence(e), st = is_static(e);

		if (rt && st)
			continue;	/* confirmed: no conflict */
		memset(&v, 0, sizeof(v));
		if (rt)
			classify_runtime(c, e, &v);
		else
			classify_static(c, e, &v);
		memset(&k, 0, sizeof(k));
		k.cls = (uint8_t)v.cls;
		k.confidence = (uint8_t)v.conf;
		k.async = (uint8_t)v.async;
		k.edge = (uint32_t)i + 1;
		k.via = v.via;
		k.via2 = v.via2;
		k.facts = v.facts;
		k.code_at = v.code_at;
		k.windows = e->windows;
		k.loc = e->site;
		if (!k.loc && v.loc)
			k.loc = v.loc;
		if (!k.loc && (v.cls == CF_TAIL_CALL || v.cls == CF_INLINED) && v.via) {
			long s = find_edge(c, e->caller, v.via);

			if (s >= 0)
				k.loc = c->edges[s].site;
		}
		if (!k.loc && c->nodes[e->caller].defined)
			k.loc = loc_str(c, SN(c, e->caller).file, SN(c, e->caller).line);
		if (!k.loc && c->nodes[e->callee].defined)
			k.loc = loc_str(c, SN(c, e->callee).file, SN(c, e->callee).line);
		resolve(c, &k, e);
		if (push_conflict(c, &k) < 0)
			return -1;
	}
	/* Functions observed at runtime that no static path reaches, and their busiest caller. */
	best = calloc(c->sm.nnodes + 1, sizeof(*best));
	if (!best)
		return nomem(c);
	for (i = 0; i < c->nedges; i++) {
		const struct cf_edge *e = &c->edges[i];
		long b = best[e->callee] ? (long)best[e->callee] - 1 : -1;

		if (SN(c, e->callee).state == ES_STATE_CONTESTED && runtime_evidence(e) &&
		    (b < 0 || e->count > c->edges[b].count))
			best[e->callee] = (uint32_t)i + 1;
	}
	for (i = 1; i <= c->sm.nnodes; i++) {
		const struct segmap_node *x = &SN(c, i);
		struct cf_conflict k;

		if (x->state != ES_STATE_CONTESTED)
			continue;
		memset(&k, 0, sizeof(k));
		k.cls = CF_CONTESTED;
		k.confidence = CF_CONF_HIGH;
		k.node = (uint32_t)i;
		k.facts = CF_F_UNREACHABLE;
		if (best[i])
			k.via = c->edges[best[i] - 1].caller;
		k.loc = loc_str(c, x->file, x->line);
		resolve(c, &k, NULL);
		if (push_conflict(c, &k) < 0) {
			free(best);
			return -1;
		}
	}
	free(best);
	if (c->ncs > 1)
		qsort(c->cs, c->ncs, sizeof(*c->cs), conflict_cmp);
	for (i = 0; i < c->ncs; i++) {
		const struct cf_conflict *k = &c->cs[i];

		if (k->edge)
			c->edges[k->edge - 1].conflict = (int32_t)i;
		c->sum.conflicts++;
		c->sum.by_class[k->cls]++;
		c->sum.by_res[k->resolution]++;
		if (k->resolution == CF_RES_OPEN) {
			c->sum.unresolved++;
			c->sum.open_by_class[k->cls]++;
		}
	}
	return 0;
}

/* Coverage records in node order, exact repeats (the same window in two inputs) once. */
static void sort_coverage(struct cf *c)
{
	size_t i, n = 0;

	if (c->ncovs > 1)
		qsort(c->covs, c->ncovs, sizeof(*c->covs), segmap_cov_cmp);
	for (i = 0; i < c->ncovs; i++)
		if (!n || segmap_cov_cmp(&c->covs[i], &c->covs[n - 1]) != 0)
			c->covs[n++] = c->covs[i];
	c->ncovs = n;
}

/* The analysis' module table, cleared, for every module of the segmap. 0 or -1. */
static int mods_sync(struct cf *c)
{
	free(c->mx);
	c->mx = calloc(c->sm.nmods + 1, sizeof(*c->mx));
	return c->mx ? 0 : nomem(c);
}

/* Forget what derive_known() found, to derive it again. 0 or -1. */
static int rederive(struct cf *c)
{
	if (nodes_sync(c) < 0 || mods_sync(c) < 0)
		return -1;
	for (size_t i = 1; i <= c->sm.nnodes; i++) {
		struct xnode *x = &c->nodes[i];

		x->static_edge = 0;
		x->nstatic_in = x->nstatic_out = 0;
		x->n.observed = x->n.known = 0;
		x->defined = 0;
	}
	derive_known(c);
	return 0;
}

/*
 * A function a resolved input accepted (its own output read again) is
 * contested again, for this run's policy to decide: the acceptance made it
 * confirmed-reachable and flagged it.
 */
static void reopen_accepted(struct cf *c)
{
	for (size_t i = 1; i <= c->sm.nnodes; i++) {
		struct segmap_node *n = &SN(c, i);

		if (!(n->flags & ES_NODE_ACCEPTED))
			continue;
		n->flags &= ~(uint32_t)ES_NODE_ACCEPTED;
		if (n->state == ES_STATE_CONFIRMED_REACHABLE)
			n->state = ES_STATE_CONTESTED;
	}
}

int cf_finish(struct cf *c)
{
	if (c->finished)
		return 0;
	if (c->err->code)
		return -1;
	reopen_accepted(c);
	if (rederive(c) < 0)
		return -1;
	if (c->g) {
		if (sgraph_finish(c->g) < 0)
			return nomem(c);
		/* Without a static graph in the input, --static's becomes one more input. */
		if (!c->sum.any_static && (static_as_input(c) < 0 || rederive(c) < 0))
			return -1;
		if (apply_static(c) < 0 || rederive(c) < 0)
			return -1;
	}
	if (!c->sum.any_static)
		warnf(c, "the input holds no static call graph (run trace-merge --static first, or give --static)");
	sort_coverage(c);
	skew(c);
	if (build_static_adjacency(c) < 0 || build_bases(c) < 0)
		return -1;
	find_registrations(c);
	if (classify_all(c) < 0)
		return -1;
	c->sum.nodes = c->sm.nnodes;
	c->sum.edges = c->nedges;
	c->finished = 1;
	return 0;
}

/* ---- accessors ---- */

const struct cf_summary *cf_summary(const struct cf *c)
{
	return &c->sum;
}

const struct cf_opts *cf_options(const struct cf *c)
{
	return &c->o;
}

size_t cf_count(const struct cf *c)
{
	return c->ncs;
}

const struct cf_conflict *cf_conflicts(const struct cf *c)
{
	return c->cs;
}

size_t cf_node_count(const struct cf *c)
{
	return c->sm.nnodes;
}

const struct cf_node *cf_node(const struct cf *c, uint32_t id)
{
	return id >= 1 && id <= c->sm.nnodes ? &c->nodes[id].n : NULL;
}

size_t cf_edge_count(const struct cf *c)
{
	return c->nedges;
}

const struct cf_edge *cf_edge(const struct cf *c, uint32_t idx)
{
	return idx < c->nedges ? &c->edges[idx] : NULL;
}

const char *cf_binary(const struct cf *c)
{
	return c->code ? cfcode_path(c->code) : NULL;
}

const char *cf_static_build_id(const struct cf *c)
{
	return c->have_static_id ? c->static_id_hex : NULL;
}

uint64_t cf_unresolved(const struct cf *c, uint32_t mask)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < CF_NCLASSES; k++)
		if (mask & (1u << k))
			n += c->sum.open_by_class[k];
	return n;
}

/* ---- explanations ---- */

struct sb {
	char *buf;
	size_t size, len;
};

static void sbf(struct sb *b, const char *fmt, ...) TM_PRINTF(2, 3);

static void sbf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->len < b->size ? b->buf + b->len : NULL, b->len < b->size ? b->size - b->len : 0,
	    fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

size_t cf_explain(const struct cf *c, const struct cf_conflict *k, char *buf, size_t size)
{
	char a[1024], b[1024], v[1024], v2[1024], mod[1024];
	const struct cf_edge *e = k->edge ? &c->edges[k->edge - 1] : NULL;
	struct sb s = { buf, size, 0 };
	const char *bin = c->code ? cfcode_name(c->code) : "the binary";

	if (size)
		buf[0] = '\0';
	a[0] = b[0] = v[0] = v2[0] = '\0';
	if (e) {
		cf_node_name(c, e->caller, a, sizeof(a));
		cf_node_name(c, e->callee, b, sizeof(b));
	} else {
		cf_node_name(c, k->node, b, sizeof(b));
	}
	if (k->via)
		cf_node_name(c, k->via, v, sizeof(v));
	if (k->via2)
		cf_node_name(c, k->via2, v2, sizeof(v2));
	switch (k->cls) {
	case CF_UNEXPLAINED:
		sbf(&s, "no static path within two calls, no indirect call site in %s", a);
		if (k->facts & CF_F_CODE_CALL)
			sbf(&s, "; %s's code calls %s directly (at 0x%llx): the static graph misses this call", bin, b,
			    (unsigned long long)k->code_at);
		sbf(&s, ": a probable gap in the static analysis");
		break;
	case CF_CONTESTED:
		sbf(&s, "observed at runtime, but no static path from the entry points reaches it");
		if (k->via) {
			long r = find_edge(c, k->via, k->node);

			sbf(&s, "; reached through %s", v);
			if (r >= 0 && c->edges[r].conflict >= 0)
				sbf(&s, " (%s)", cf_class_name(c->cs[c->edges[r].conflict].cls));
		}
		break;
	case CF_VERSION_SKEW: {
		uint32_t x = e ? node_mod(c, e->caller)->skewed ? e->caller : e->callee : 0;
		const struct modx *m = x ? node_mod(c, x) : NULL;

		snprintf(mod, sizeof(mod), "%s", x ? mod_name(c, x) : "?");
		sbf(&s, "module %s: the static graph", mod);
		if (c->have_static_id)
			sbf(&s, " (build id %s)", c->static_id_hex);
		sbf(&s, " describes another build than the one that ran");
		if (m && m->run_id_len) {
			char hex[2 * ES_BUILD_ID_MAX + 1];

			es_build_id_format(ES_ID_GNU, m->run_id, m->run_id_len, hex, sizeof(hex));
			sbf(&s, " (%s)", hex);
		}
		sbf(&s, ": rebuild the static graph from the deployed build");
		break;
	}
	case CF_OUT_OF_SCOPE: {
		int callee_out = !c->nodes[e->callee].n.known && node_mod(c, e->callee)->scope;

		sbf(&s, "%s is a function of the analysed module that the static graph does not know "
		    "(C runtime start files, assembly, or a translation unit without a graph)",
		    callee_out ? b : a);
		break;
	}
	case CF_DYNAMIC_MODULE: {
		uint32_t x = c->mx[SN(c, e->callee).module].scope ? e->caller : e->callee;

		sbf(&s, "module %s is outside the static scope (a dlopen()ed plugin or a library the static "
		    "graph does not describe)", mod_name(c, x));
		if (k->facts & CF_F_CALLER_ISITE)
			sbf(&s, "; entered through an indirect call site of %s%s%s", a,
			    k->loc ? " at " : "", k->loc ? str(c, k->loc) : "");
		break;
	}
	case CF_IDENTITY:
		if (k->facts & CF_F_IFUNC_VARIANT)
			sbf(&s, "%s is an implementation variant (ifunc) of %s, which %s calls statically", b, v, a);
		else if (k->facts & CF_F_SAME_ADDRESS)
			sbf(&s, "%s shares its address with %s in %s (identical code folding or an alias), and "
			    "the static graph has %s -> %s", b, v, bin, a, v);
		else if (k->facts & CF_F_SYMBOLIZED)
			sbf(&s, "the capture could not symbolize %s; %s names it %s",
			    c->nodes[e->callee].n.known ? a : b, bin, v);
		else
			sbf(&s, "%s is known to the static graph as %s (a compiler clone, a file qualifier, or "
			    "an ambiguous local name)", c->nodes[e->callee].n.known ? a : b, v);
		break;
	case CF_NOT_PRESENT:
		if (k->facts & CF_F_CODE_ABSENT)
			sbf(&s, "%s has no code of its own in %s (inlined everywhere, or removed)", v, bin);
		else
			sbf(&s, "%s's code in %s neither calls nor jumps to %s (the call was inlined or removed)",
			    a, bin, b);
		break;
	case CF_INDIRECT:
		if (k->facts & CF_F_CALLER_ISITE)
			sbf(&s, "%s has an indirect call site%s%s", a, k->loc && c->nodes[e->caller].isite_loc ?
			    " at " : "", k->loc && c->nodes[e->caller].isite_loc ? str(c, k->loc) : "");
		else
			sbf(&s, "%s's code makes indirect calls (the static graph records no indirect site)", a);
		if (k->facts & CF_F_CALLEE_ADDR_TAKEN)
			sbf(&s, " and %s is address-taken", b);
		else if (k->facts & CF_F_CALLEE_NO_CALLERS)
			sbf(&s, " and %s has no static caller (reached only through a pointer)", b);
		sbf(&s, ": the call resolved at runtime");
		break;
	case CF_ASYNC:
		sbf(&s, "%s entered %s", a, b);
		switch (k->async) {
		case CF_ASYNC_SIGNAL: sbf(&s, " as a signal handler"); break;
		case CF_ASYNC_THREAD: sbf(&s, " as a thread start routine"); break;
		case CF_ASYNC_EXIT: sbf(&s, " as an exit or destructor handler"); break;
		case CF_ASYNC_CONSTRUCTOR: sbf(&s, " as a constructor or initialisation routine"); break;
		case CF_ASYNC_ENTRY: sbf(&s, " as the program entry point"); break;
		case CF_ASYNC_LONGJMP: sbf(&s, " by a longjmp"); break;
		default: break;
		}
		if (k->facts & CF_F_REGISTRATION)
			sbf(&s, "; registered through %s in %s%s%s", v, v2, k->loc ? " at " : "",
			    k->loc ? str(c, k->loc) : "");
		break;
	case CF_CALLBACK:
		sbf(&s, "%s, outside the static scope, called %s back through a pointer", a, b);
		if (k->facts & CF_F_REGISTRATION)
			sbf(&s, "; handed to %s by %s%s%s", v, v2, k->loc ? " at " : "",
			    k->loc ? str(c, k->loc) : "");
		break;
	case CF_TAIL_CALL:
		sbf(&s, "static path %s -> %s -> %s", a, v, b);
		if (k->facts & CF_F_CODE_TAIL_JMP)
			sbf(&s, "; %s jumps to %s at 0x%llx in %s (a sibling call replaced its frame)", v, b,
			    (unsigned long long)k->code_at, bin);
		else
			sbf(&s, "; %s runs as a function of its own, so its frame was replaced (not confirmed "
			    "from the code)", v);
		break;
	case CF_INLINED:
		sbf(&s, "static path %s -> %s -> %s", a, v, b);
		if (k->facts & CF_F_CODE_ABSENT)
			sbf(&s, "; %s has no code of its own in %s: it was inlined", v, bin);
		else if (k->facts & CF_F_CODE_CALL)
			sbf(&s, "; %s's code calls %s directly (at 0x%llx): %s was inlined into it", a, b,
			    (unsigned long long)k->code_at, v);
		else
			sbf(&s, "; %s was never observed as a frame of its own (not confirmed from the code)", v);
		break;
	case CF_UNWIND:
		if (k->facts & CF_F_NO_FRAME_POINTER)
			sbf(&s, "static path %s -> %s -> %s, and %s keeps no frame pointer: the unwinder skipped "
			    "its frame", a, v, b, v);
		else
			sbf(&s, "a single sampled frame pair with no static explanation");
		break;
	case CF_NOT_EXERCISED:
		sbf(&s, "%s ran, but this call was never observed", a);
		break;
	case CF_CALLER_NOT_EXECUTED:
		if (k->facts & CF_F_CALLER_PROBED)
			sbf(&s, "an exact entry probe on %s never fired", a);
		else
			sbf(&s, "%s was never observed running", a);
		break;
	case CF_UNOBSERVABLE:
		if (k->facts & CF_F_TAIL_ONLY)
			sbf(&s, "%s reaches %s only by a jump (at 0x%llx): the call is observed as made by %s's "
			    "caller", a, b, (unsigned long long)k->code_at, a);
		else if (k->facts & CF_F_NO_RUNTIME)
			sbf(&s, "the input holds no runtime observation");
		else
			sbf(&s, "no probe on %s and no sampling: the observer could not see this call", b);
		break;
	default:
		break;
	}
	return s.len;
}

/* ---- the resolved stream ---- */

struct emit {
	struct cf *c;
	struct es_writer *w;
	struct segmap_emit se;		/* strings and modules */
	uint32_t *node_h;
};

static uint32_t out_node(struct emit *x, uint32_t id, const uint8_t *contested)
{
	struct cf *c = x->c;

	if (!x->node_h[id]) {
		const struct segmap_node *n = &SN(c, id);
		struct es_node v;

		memset(&v, 0, sizeof(v));
		v.module = segmap_emit_module(&x->se, n->module);
		if (!v.module)
			return 0;
		v.symbol = n->symbol;
		v.offset = n->offset;
		v.flags = n->flags;
		v.state = n->state;
		if (contested[id] == cf_es_resolution(CF_RES_ACCEPTED)) {
			v.flags |= ES_NODE_ACCEPTED;
			v.state = lattice_join(v.state, ES_STATE_STATIC_REACHABLE);
		}
		v.file = n->file;
		v.line = n->line;
		x->node_h[id] = es_writer_node(x->w, &v);
	}
	return x->node_h[id];
}

/* The class of an edge trace-merge did not classify: the one it would give. */
static uint8_t merge_class(const struct cf *c, const struct cf_edge *e)
{
	int rt = runtime_evidence(e), st = is_static(e);

	if (rt && st)
		return ES_CLASS_CONFIRMED;
	if (st)
		return ES_CLASS_STATIC_ONLY;
	return (SN(c, e->caller).flags & ES_NODE_INDIRECT_SITE) ? ES_CLASS_CONFIRMED_INDIRECT :
	    ES_CLASS_RUNTIME_ONLY;
}

int cf_write_stream(struct cf *c, struct es_writer *w, const char *producer)
{
	struct emit x;
	struct es_header h;
	struct es_param *pp = NULL;
	uint8_t *contested = NULL;
	size_t np = 0, i;
	char cnt[3][32];
	int rc = -1;

	memset(&x, 0, sizeof(x));
	if (!c->finished) {
		tm_err_set(c->err, TM_EXIT_ENV, "internal error: not finished");
		return -1;
	}
	x.c = c;
	x.w = w;
	x.node_h = calloc(c->sm.nnodes + 1, sizeof(uint32_t));
	/* The es_resolution of every contested function, 0 for the others. */
	contested = calloc(c->sm.nnodes + 1, 1);
	pp = calloc(c->nparams + 4, sizeof(*pp));
	if (!x.node_h || !contested || !pp || segmap_emit_init(&x.se, &c->sm, w) < 0) {
		nomem(c);
		goto out;
	}
	for (i = 0; i < c->ncs; i++) {
		const struct cf_conflict *k = &c->cs[i];

		if (!k->edge && k->cls == CF_CONTESTED)
			contested[k->node] = cf_es_resolution(k->resolution);
	}
	for (i = 0; i < c->nparams; i++) {
		pp[np].key = str(c, c->params[i].key);
		pp[np++].value = str(c, c->params[i].value);
	}
	snprintf(cnt[0], sizeof(cnt[0]), "%llu", (unsigned long long)c->o.min_count);
	snprintf(cnt[1], sizeof(cnt[1]), "%llu", (unsigned long long)c->o.min_windows);
	snprintf(cnt[2], sizeof(cnt[2]), "%llu", (unsigned long long)c->sum.unresolved);
	pp[np].key = "policy";
	pp[np++].value = cf_policy_name(c->o.policy);
	pp[np].key = "min_count";
	pp[np++].value = cnt[0];
	pp[np].key = "min_windows";
	pp[np++].value = cnt[1];
	pp[np].key = "unresolved";
	pp[np++].value = cnt[2];
	memset(&h, 0, sizeof(h));
	h.producer = producer;
	h.source = "conflicts";
	h.host = !c->host_mixed && c->host ? str(c, c->host) : NULL;
	h.start_ns = c->start_ns;
	h.end_ns = c->end_ns;
	h.params = pp;
	h.nparams = np;
	if (es_writer_begin(w, &h) < 0)
		goto out;
	for (i = 0; i < c->nedges; i++) {
		const struct cf_edge *e = &c->edges[i];
		struct es_edge o;

		memset(&o, 0, sizeof(o));
		o.caller = out_node(&x, e->caller, contested);
		o.callee = out_node(&x, e->callee, contested);
		if (!o.caller || !o.callee)
			goto out;
		o.count = e->count;
		o.first_ns = e->first_ns;
		o.last_ns = e->last_ns;
		o.evidence = e->evidence;
		o.site = e->site;
		o.confidence = e->confidence;
		o.edge_class = e->in_class ? e->in_class : merge_class(c, e);
		if (e->conflict >= 0) {
			const struct cf_conflict *k = &c->cs[e->conflict];

			o.conflict = cf_es_conflict(k->cls);
			o.resolution = cf_es_resolution(k->resolution);
		} else if (contested[e->callee]) {
			o.conflict = cf_es_conflict(CF_CONTESTED);
			o.resolution = contested[e->callee];
		}
		if (es_writer_edge(w, &o) < 0)
			goto out;
	}
	for (i = 1; i <= c->sm.nnodes; i++) {
		struct es_coverage v;

		if (x.node_h[i])
			continue;
		memset(&v, 0, sizeof(v));
		if (!(v.node = out_node(&x, (uint32_t)i, contested)))
			goto out;
		v.method = ES_COV_NONE;
		if (es_writer_coverage(w, &v) < 0)
			goto out;
	}
	for (i = 0; i < c->ncovs; i++) {
		struct es_coverage v;

		memset(&v, 0, sizeof(v));
		if (!(v.node = out_node(&x, c->covs[i].node, contested)))
			goto out;
		v.method = c->covs[i].method;
		v.start_ns = c->covs[i].start;
		v.end_ns = c->covs[i].end;
		if (es_writer_coverage(w, &v) < 0)
			goto out;
	}
	if (segmap_emit_losses(&x.se) < 0 || es_writer_end(w) < 0)
		goto out;
	rc = 0;
out:
	free(x.node_h);
	segmap_emit_free(&x.se);
	free(contested);
	free(pp);
	return rc;
}

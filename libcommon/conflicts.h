/*
 * conflicts.h - where runtime observation contradicts the static call graph:
 * the engine of trace-conflicts. Explains each conflict of a merged stream
 * (trace-merge's output) by class, resolves it under a policy, and writes
 * the resolved stream; conflicts_out.h prints the reports.
 *
 * Use: cf_new(); cf_add_input() for every merged stream (segments of
 * several inputs fold by node identity: counts add, windows are counted);
 * optionally cf_add_static() (a static graph adds indirect-site locations,
 * and edges and functions the merged stream lacks) and cf_set_binary() (the
 * machine code confirms tail calls, inlining and frame pointers; its build id
 * is compared with the static graph's and the runtime's); cf_finish(); then
 * the accessors, cf_write_stream() and conflicts_out.h.
 *
 * Memory: one entry per distinct node and edge of the input, one key per
 * distinct (edge, collection window), and the conflicts; nothing per input
 * record.
 */
#ifndef TM_CONFLICTS_H
#define TM_CONFLICTS_H

#include <stddef.h>
#include <stdint.h>

#include "esformat.h"
#include "esreader.h"
#include "eswriter.h"
#include "progress.h"
#include "tmerr.h"
#include "warncb.h"

/*
 * Conflict classes, most severe first (the order of the reports). Runtime
 * side: an observed edge the static graph lacks. Static side: a static edge
 * never observed. Node: a function observed yet statically unreachable.
 * Class k is the stream's enum es_conflict value k + 1 (cf_es_conflict()),
 * and has that value's name.
 */
enum cf_class {
	CF_UNEXPLAINED = 0,	/* R-UNEXPLAINED: no explanation, probable static-analysis gap */
	CF_CONTESTED,		/* N-CONTESTED: observed, statically unreachable from the entries */
	CF_VERSION_SKEW,	/* R-SKEW/S-SKEW: the static graph describes another build */
	CF_OUT_OF_SCOPE,	/* R-SCOPE: a function of the analysed module the graph lacks */
	CF_DYNAMIC_MODULE,	/* R-DYNLOAD: a module outside the static scope (dlopen, libraries) */
	CF_IDENTITY,		/* R-IDENTITY: one function under two names (clone, ICF, ifunc, symbolization) */
	CF_NOT_PRESENT,		/* S-NOTPRESENT: the static edge is not in the binary */
	CF_INDIRECT,		/* R-INDIRECT: an indirect call site resolved at runtime */
	CF_ASYNC,		/* R-ASYNC: signal handler, thread start, exit handler, constructor, entry */
	CF_CALLBACK,		/* R-CALLBACK: called back from code outside the static scope (qsort) */
	CF_TAIL_CALL,		/* R-TAILCALL: a sibling call replaced the intermediate frame */
	CF_INLINED,		/* R-INLINE: the intermediate function was inlined */
	CF_UNWIND,		/* R-UNWIND: an unwinding or sampling artifact */
	CF_NOT_EXERCISED,	/* S-NOTEXERCISED-SITE: the caller ran, this call was never seen */
	CF_CALLER_NOT_EXECUTED,	/* S-NOTEXERCISED-CALLER: the caller never ran */
	CF_UNOBSERVABLE,	/* S-UNOBSERVABLE: the observer could not have seen it */
	CF_NCLASSES
};

enum cf_side { CF_SIDE_RUNTIME, CF_SIDE_STATIC, CF_SIDE_NODE };
enum cf_level { CF_LEVEL_ERROR, CF_LEVEL_WARNING, CF_LEVEL_NOTE };

const char *cf_class_name(unsigned c);		/* "indirect-call": es_conflict_name() */
const char *cf_class_code(unsigned c);		/* "R-INDIRECT" */
const char *cf_class_title(unsigned c);		/* "IndirectCallResolved" (SARIF rule name) */
const char *cf_class_summary(unsigned c);	/* one sentence */
unsigned cf_class_level(unsigned c);		/* enum cf_level */
unsigned cf_class_side(unsigned c);		/* enum cf_side */
const char *cf_level_name(unsigned l);		/* "error", "warning", "note" */
/*
 * A class by name or code, case-insensitively ("tail-call", "R-TAILCALL"):
 * the class, or -1.
 */
int cf_class_parse(const char *s, size_t len);
/*
 * A --fail-on list: comma-separated class names or codes, the levels
 * "error", "warning", "note", or "any". Sets *mask (bit per class). 0, or -1
 * with the offending item copied to bad.
 */
int cf_class_list_parse(const char *s, uint32_t *mask, char *bad, size_t badsize);

enum cf_policy {
	CF_POLICY_EXPLAIN_ONLY = 0,	/* classify and report; decide nothing */
	CF_POLICY_PREFER_RUNTIME,	/* observed edges win: accept them (thresholds permitting) */
	CF_POLICY_PREFER_STATIC,	/* the static graph wins: accept only what it can account for */
};
const char *cf_policy_name(unsigned p);
int cf_policy_parse(const char *s);

/* Resolution r is the stream's enum es_resolution value r + 1 (cf_es_resolution()). */
enum cf_resolution {
	CF_RES_OPEN = 0,	/* unresolved */
	CF_RES_ACCEPTED,	/* the runtime evidence joins the resolved graph */
	CF_RES_REJECTED,	/* kept in the stream, marked, not part of the resolved graph */
	CF_RES_EXPLAINED,	/* an observation artifact, attributed to a static path */
	CF_RES_KEPT,		/* a static edge stays: absence at runtime proves nothing */
	CF_NRES
};
const char *cf_resolution_name(unsigned r);	/* "accepted": es_resolution_name() */

/* The EDGES conflict and resolution values (esformat.h) of a class and a resolution. */
static inline uint8_t cf_es_conflict(unsigned cls) { return (uint8_t)(cls + 1); }
static inline uint8_t cf_es_resolution(unsigned r) { return (uint8_t)(r + 1); }

enum cf_confidence { CF_CONF_LOW = 0, CF_CONF_MEDIUM, CF_CONF_HIGH };
const char *cf_confidence_name(unsigned c);

/* Why an edge was rejected. */
enum cf_reason {
	CF_WHY_POLICY = 0,	/* the policy's rule for the class */
	CF_WHY_MIN_COUNT,	/* fewer observations than --min-count */
	CF_WHY_MIN_WINDOWS,	/* seen in fewer windows than --min-windows */
};

/* Facts behind an explanation (a bit set per conflict; names for JSON and SARIF). */
enum cf_fact {
	CF_F_CALLER_ISITE      = 1u << 0,	/* the caller has an indirect call site (static) */
	CF_F_CALLEE_ADDR_TAKEN = 1u << 1,	/* the callee is address-taken (static) */
	CF_F_CALLEE_NO_CALLERS = 1u << 2,	/* no static edge enters the callee */
	CF_F_CODE_ICALL        = 1u << 3,	/* the caller's code has an indirect call */
	CF_F_STATIC_PATH       = 1u << 4,	/* static caller -> via -> callee */
	CF_F_CODE_TAIL_JMP     = 1u << 5,	/* via's code jumps to the callee */
	CF_F_CODE_ABSENT       = 1u << 6,	/* a function has no code of its own in the binary */
	CF_F_CODE_CALL         = 1u << 7,	/* the caller's code calls the callee directly */
	CF_F_VIA_OBSERVED      = 1u << 8,	/* via ran at runtime (it has frames of its own) */
	CF_F_NO_FRAME_POINTER  = 1u << 9,	/* a function on the way keeps no frame pointer */
	CF_F_SAMPLED_ONLY      = 1u << 10,	/* only sampled evidence: no exact observation */
	CF_F_MODULE_UNSCOPED   = 1u << 11,	/* a module the static graph does not describe */
	CF_F_FUNCTION_UNKNOWN  = 1u << 12,	/* a function the static graph does not know */
	CF_F_RUNTIME_CALLER    = 1u << 13,	/* the caller is C-runtime code known by name */
	CF_F_REGISTRATION      = 1u << 14,	/* the static graph calls a registration function */
	CF_F_BUILD_ID          = 1u << 15,	/* build ids differ */
	CF_F_SAME_ORIGIN       = 1u << 16,	/* same origin name (clone, file qualifier) */
	CF_F_SAME_ADDRESS      = 1u << 17,	/* two symbols at one address (ICF, aliases) */
	CF_F_IFUNC_VARIANT     = 1u << 18,	/* an implementation variant of a static callee */
	CF_F_SYMBOLIZED        = 1u << 19,	/* unsymbolized at runtime, named by the binary */
	CF_F_CALLER_OBSERVED   = 1u << 20,	/* the caller ran */
	CF_F_CALLER_PROBED     = 1u << 21,	/* an exact entry probe watched the caller */
	CF_F_CALLEE_UNPROBED   = 1u << 22,	/* no probe on the callee, and no sampling */
	CF_F_CODE_NO_CALL      = 1u << 23,	/* the caller's code neither calls nor jumps to the callee */
	CF_F_TAIL_ONLY         = 1u << 24,	/* the caller reaches the callee only by a jump */
	CF_F_NO_RUNTIME        = 1u << 25,	/* the input holds no runtime observation */
	CF_F_UNREACHABLE       = 1u << 26,	/* no static path from the entry points */
	CF_F_SINGLE_SAMPLE     = 1u << 27,	/* one sampled observation */
	CF_F_ENTRY             = 1u << 28,	/* the callee is an entry point */
	CF_NFACTS              = 29
};
const char *cf_fact_name(unsigned bit);

/* What kind of asynchronous transfer (CF_ASYNC). */
enum cf_async {
	CF_ASYNC_UNKNOWN = 0, CF_ASYNC_SIGNAL, CF_ASYNC_THREAD, CF_ASYNC_EXIT,
	CF_ASYNC_CONSTRUCTOR, CF_ASYNC_ENTRY, CF_ASYNC_LONGJMP,
};
const char *cf_async_name(unsigned k);

struct cf_conflict {
	uint8_t cls;		/* enum cf_class */
	uint8_t resolution;	/* enum cf_resolution */
	uint8_t confidence;	/* enum cf_confidence */
	uint8_t reason;		/* enum cf_reason, for CF_RES_REJECTED */
	uint8_t async;		/* enum cf_async, for CF_ASYNC */
	uint32_t edge;		/* edge index + 1; 0 for a node conflict */
	uint32_t node;		/* the function of a node conflict (CF_CONTESTED) */
	uint32_t via;		/* a related function (node id): the intermediate of a
				 * static path, the static twin of an identity, the
				 * registration function, the caller reaching a
				 * contested node; 0 none */
	uint32_t via2;		/* a second one: the function calling the registration */
	uint32_t loc;		/* string id of the report location "file:line", 0 none */
	uint32_t windows;	/* distinct collection windows of the edge */
	uint32_t facts;		/* enum cf_fact bits */
	uint64_t code_at;	/* address of the instruction the code evidence names, 0 none */
};

/*
 * What the analysis found out about a function (cf_node_count() of them; its
 * name, module and flags are in the segmap.h tables, cf_node_name()).
 */
struct cf_node {
	uint8_t known;		/* known to the static graph */
	uint8_t observed;	/* in a runtime edge */
	uint8_t probed;		/* covered by an exact entry probe */
};

/* An edge of the input, folded over segments; strings are ids (cf_str). */
struct cf_edge {
	uint32_t caller, callee;	/* node ids */
	uint64_t count, first_ns, last_ns;
	uint32_t evidence, site;	/* evidence bits; site string id */
	uint8_t confidence;
	uint8_t in_class;		/* the class the input gave it (enum es_class) */
	uint32_t windows;
	int32_t conflict;		/* index into cf_conflicts(), -1 none */
};

typedef warncb_fn cf_warn_fn;

struct cf_opts {
	unsigned policy;		/* enum cf_policy */
	uint64_t min_count;		/* observations before a runtime edge is accepted (0 = 1) */
	uint64_t min_windows;		/* distinct windows before it is accepted (0 = 1) */
	cf_warn_fn warn;		/* may be NULL */
	void *warn_arg;
};

struct cf_summary {
	uint64_t nodes, edges, segments, records;
	uint64_t conflicts, unresolved;
	uint64_t by_class[CF_NCLASSES], open_by_class[CF_NCLASSES];
	uint64_t by_res[CF_NRES];
	int any_runtime, any_static, have_code;
};

struct cf;

struct cf *cf_new(const struct cf_opts *opts, struct tm_err *err);
void cf_free(struct cf *c);

/*
 * Read every segment of r: a merged stream, or a resolved one (its conflict
 * and resolution columns are ignored, its accepted functions contested
 * again: the conflicts are derived afresh). 0 or -1.
 */
int cf_add_input(struct cf *c, struct es_reader *r, struct progress *pg);
/* A static graph (.ci file or directory, DOT, JSON). 0 or -1. */
int cf_add_static(struct cf *c, const char *path);
/* The binary that ran (ELF). 0 or -1. */
int cf_set_binary(struct cf *c, const char *path);
/* Classify and resolve. 0 or -1. */
int cf_finish(struct cf *c);

/* ---- the result, after cf_finish() ---- */

const struct cf_summary *cf_summary(const struct cf *c);
const struct cf_opts *cf_options(const struct cf *c);
/* Conflicts in report order: class, then edge or node order. */
size_t cf_count(const struct cf *c);
const struct cf_conflict *cf_conflicts(const struct cf *c);
size_t cf_node_count(const struct cf *c);
const struct cf_node *cf_node(const struct cf *c, uint32_t id);
size_t cf_edge_count(const struct cf *c);
const struct cf_edge *cf_edge(const struct cf *c, uint32_t idx);
/* A string by id ("" for 0). */
const char *cf_str(const struct cf *c, uint32_t id);
/* "module!symbol" or "module+0xOFFSET"; the full length (snprintf). */
size_t cf_node_name(const struct cf *c, uint32_t id, char *buf, size_t size);
/* The --binary's path, or NULL. */
const char *cf_binary(const struct cf *c);
/* The static graph's build id as hex, or NULL when unknown. */
const char *cf_static_build_id(const struct cf *c);

/* The explanation of a conflict, one sentence; the full length (snprintf). */
size_t cf_explain(const struct cf *c, const struct cf_conflict *k, char *buf, size_t size);

/* Unresolved conflicts of the classes in mask (bit per class). */
uint64_t cf_unresolved(const struct cf *c, uint32_t mask);

/*
 * The resolved stream, one segment: every edge and function of the input.
 * Edges keep the class trace-merge gave them (edges it did not classify get
 * the one it would give); an edge with a conflict carries its class and
 * resolution in the conflict and resolution columns, and an edge without
 * one entering a contested function carries that function's. A contested
 * function whose observation is accepted is flagged ES_NODE_ACCEPTED and
 * becomes confirmed-reachable. 0 or -1.
 */
int cf_write_stream(struct cf *c, struct es_writer *w, const char *producer);

#endif

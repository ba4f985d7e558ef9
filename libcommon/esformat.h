/*
 * esformat.h - the edge stream data model: record types, column layout and the
 * value types shared by the reader (esreader.h) and the writer (eswriter.h).
 * docs/FORMAT.md and edgestream(5) are the normative description of the bytes.
 */
#ifndef TM_ESFORMAT_H
#define TM_ESFORMAT_H

#include <stddef.h>
#include <stdint.h>

#define ES_FORMAT_NAME   "tracemerge-edges"
#define ES_FORMAT_MAJOR  1
#define ES_FORMAT_MINOR  0

/* Record types: every record is the msgpack array [type, body-map]. */
enum es_record_type {
	ES_REC_HEADER   = 1,
	ES_REC_STRINGS  = 2,
	ES_REC_MODULE   = 3,
	ES_REC_NODES    = 4,
	ES_REC_CONTEXT  = 5,
	ES_REC_WINDOW   = 6,
	ES_REC_EDGES    = 7,
	ES_REC_COVERAGE = 8,
	ES_REC_TRAILER  = 15,
};

/* Module identity kinds (the "id_kind" key of a MODULE record). */
enum es_id_kind {
	ES_ID_NONE     = 0,	/* no identity: name and path only */
	ES_ID_GNU      = 1,	/* ELF NT_GNU_BUILD_ID note bytes */
	ES_ID_PE_RSDS  = 2,	/* PE CodeView RSDS: 16-byte GUID as stored + 4-byte LE age */
	ES_ID_SHA256   = 3,	/* SHA-256 of the file contents, when there is no build id */
	ES_ID_KIND_MAX = 3,
};

#define ES_BUILD_ID_MAX 64
/* Longest string a stream may hold (writers and readers reject longer ones). */
#define ES_STRING_MAX (1u << 20)

/* Evidence sources, a bit set per edge. Unknown bits are preserved. */
enum es_evidence {
	ES_EV_STATIC      = 1u << 0,	/* present in a static call graph */
	ES_EV_EBPF_PROBE  = 1u << 1,	/* exact: uprobe at callee entry, caller = return address */
	ES_EV_EBPF_SAMPLE = 1u << 2,	/* adjacent frames of a sampled user stack (eBPF) */
	ES_EV_ETW_SAMPLE  = 1u << 3,	/* adjacent frames of a sampled stack (ETW) */
	ES_EV_EBPF_LBR    = 1u << 4,	/* reserved: last-branch-record */
	ES_EV_MANUAL      = 1u << 5,	/* asserted by a person or another tool */
};
#define ES_EV_NAMES_COUNT 6
/* Name of evidence bit i (0-based), or NULL. */
const char *es_evidence_name(unsigned bit);
/* Bit for a name, or -1. Accepts "bitN" for bits without a name. */
int es_evidence_bit(const char *name, size_t len);

/* Edge classes written by trace-merge (0 = not classified). */
enum es_class {
	ES_CLASS_NONE               = 0,
	ES_CLASS_CONFIRMED          = 1,
	ES_CLASS_CONFIRMED_INDIRECT = 2,
	ES_CLASS_STATIC_ONLY        = 3,
	ES_CLASS_RUNTIME_ONLY       = 4,
	ES_CLASS_MAX                = 4,
};
const char *es_class_name(unsigned c);
int es_class_from_name(const char *name, size_t len);

/*
 * Conflict classes of an edge or node, written by trace-conflicts (0 = none):
 * why observation and the static graph disagree. Described, with their
 * evidence, in trace-conflicts(1).
 */
enum es_conflict {
	ES_CONFLICT_NONE = 0,
	ES_CONFLICT_UNEXPLAINED,
	ES_CONFLICT_CONTESTED,
	ES_CONFLICT_VERSION_SKEW,
	ES_CONFLICT_OUT_OF_SCOPE,
	ES_CONFLICT_DYNAMIC_MODULE,
	ES_CONFLICT_IDENTITY_MISMATCH,
	ES_CONFLICT_NOT_PRESENT,
	ES_CONFLICT_INDIRECT_CALL,
	ES_CONFLICT_ASYNC_TRANSFER,
	ES_CONFLICT_CALLBACK,
	ES_CONFLICT_TAIL_CALL,
	ES_CONFLICT_INLINED,
	ES_CONFLICT_UNWIND_ARTIFACT,
	ES_CONFLICT_NOT_EXERCISED,
	ES_CONFLICT_CALLER_NOT_EXECUTED,
	ES_CONFLICT_UNOBSERVABLE,
	ES_CONFLICT_MAX = 16,
};
const char *es_conflict_name(unsigned c);
int es_conflict_from_name(const char *name, size_t len);

/* What trace-conflicts decided about a conflicting edge (0 = no conflict). */
enum es_resolution {
	ES_RES_NONE      = 0,
	ES_RES_OPEN      = 1,	/* unresolved */
	ES_RES_ACCEPTED  = 2,	/* the runtime evidence joins the resolved graph */
	ES_RES_REJECTED  = 3,	/* kept in the stream, marked, not part of the resolved graph */
	ES_RES_EXPLAINED = 4,	/* an observation artifact, attributed to a static path */
	ES_RES_KEPT      = 5,	/* a static edge stays: absence at runtime proves nothing */
	ES_RES_MAX       = 5,
};
const char *es_resolution_name(unsigned r);
int es_resolution_from_name(const char *name, size_t len);

/* Lattice states of a node or edge (DESIGN §5), written by trace-merge. */
enum es_state {
	ES_STATE_NONE                 = 0,	/* not classified */
	ES_STATE_UNKNOWN              = 1,
	ES_STATE_STATIC_REACHABLE     = 2,
	ES_STATE_STATIC_UNREACHABLE   = 3,
	ES_STATE_RUNTIME_OBSERVED     = 4,
	ES_STATE_RUNTIME_UNOBSERVED   = 5,
	ES_STATE_CONFIRMED_REACHABLE  = 6,
	ES_STATE_CONFIRMED_UNREACHABLE = 7,
	ES_STATE_CONTESTED            = 8,
	ES_STATE_MAX                  = 8,
};
const char *es_state_name(unsigned s);
int es_state_from_name(const char *name, size_t len);

/* Node flags. Unknown bits are preserved. */
enum es_node_flag {
	ES_NODE_EXTERNAL      = 1u << 0,	/* declared, not defined, in the static scope */
	ES_NODE_ADDRESS_TAKEN = 1u << 1,
	ES_NODE_INDIRECT_SITE = 1u << 2,	/* contains at least one indirect call site */
	ES_NODE_ENTRY         = 1u << 3,	/* an entry point of the analysis */
	ES_NODE_KERNEL        = 1u << 4,	/* kernel-space frame */
	ES_NODE_JIT           = 1u << 5,	/* JIT-compiled code (CLR, perf map) */
	ES_NODE_ALIAS         = 1u << 8,	/* matched to its static function only after name
						   normalisation (trace-merge) */
	ES_NODE_ACCEPTED      = 1u << 9,	/* contested, and its observation accepted
						   (trace-conflicts) */
};
#define ES_NODE_FLAG_NAMES_COUNT 10
const char *es_node_flag_name(unsigned bit);
int es_node_flag_bit(const char *name, size_t len);

/* Coverage methods: what kind of observer was attached to a node. */
enum es_cov_method {
	ES_COV_NONE        = 0,
	ES_COV_ENTRY_PROBE = 1,	/* exact entry probe: every call is seen */
	ES_COV_SAMPLED     = 2,	/* statistical: absence proves nothing */
};
const char *es_cov_method_name(unsigned m);
int es_cov_method_from_name(const char *name, size_t len);

/* ---- values as the writer takes them and the reader returns them ---- */

/* A header parameter: capture settings ("mode" = "probe,sample", ...). */
struct es_param {
	const char *key;
	const char *value;
};

struct es_header {
	unsigned major, minor;		/* set by the reader; ignored by the writer */
	const char *producer;		/* "trace-capture 0.1.0" */
	const char *host;		/* may be NULL */
	const char *source;		/* "ebpf", "etw", "static", "dedup", "merge", ... */
	uint64_t start_ns, end_ns;	/* collection window of the segment, 0 = unknown */
	const struct es_param *params;	/* sorted by key on write */
	size_t nparams;
};

struct es_module {
	const char *name;		/* basename as loaded: "libc.so.6" */
	const char *path;		/* path as seen, may be NULL */
	const char *purl;		/* package URL, may be NULL */
	unsigned id_kind;		/* enum es_id_kind */
	uint8_t build_id[ES_BUILD_ID_MAX];
	size_t build_id_len;
};

/* A node refers to its module and symbol by id (segment-local). */
struct es_node {
	uint32_t module;		/* module id, >= 1 */
	uint32_t symbol;		/* string id, 0 = unsymbolized */
	uint64_t offset;		/* file offset or RVA; the address when unsymbolized */
	uint32_t flags;			/* enum es_node_flag bits */
	uint32_t state;			/* lattice state (trace-merge), 0 = none */
	uint32_t file;			/* string id of the source file, 0 = none */
	uint32_t line;			/* source line, 0 = none */
};

struct es_context {
	uint32_t host;			/* string ids, 0 = none */
	uint32_t comm;
	uint32_t container;
	uint32_t pid;			/* 0 = none */
	uint64_t cgroup;		/* cgroup v2 id, 0 = none */
};

struct es_window {
	uint64_t start_ns, end_ns;
};

/*
 * One edge. Ids refer to the segment's tables; 0 means none for ctx, window
 * and site. count saturates at UINT64_MAX.
 */
struct es_edge {
	uint32_t caller, callee;	/* node ids, >= 1 */
	uint64_t count;
	uint64_t first_ns, last_ns;
	uint32_t ctx;			/* context id */
	uint32_t window;		/* window id */
	uint32_t evidence;		/* enum es_evidence bits */
	uint32_t site;			/* string id of the call site "file:line" */
	uint8_t confidence;		/* 0..100 */
	uint8_t edge_class;		/* enum es_class */
	uint8_t conflict;		/* enum es_conflict */
	uint8_t resolution;		/* enum es_resolution */
};

/* Probe coverage: an observer of `method` watched `node` from start to end. */
struct es_coverage {
	uint32_t node;
	uint32_t ctx;
	unsigned method;		/* enum es_cov_method */
	uint64_t start_ns, end_ns;
};

/* A named loss counter carried in the trailer ("ringbuf_full" = 12). */
struct es_loss {
	const char *name;
	uint64_t count;
};

/* Maximum number of edges per EDGES record (readers reject more). */
#define ES_BLOCK_MAX 65536
/* Edges per EDGES record written by libcommon. */
#define ES_BLOCK_EDGES 4096

/* Column widths in bytes of the EDGES record's bin columns. */
#define ES_COL_CALLER     "caller"	/* u32, required */
#define ES_COL_CALLEE     "callee"	/* u32, required */
#define ES_COL_COUNT      "count"	/* u64, required */
#define ES_COL_FIRST      "first"	/* u64, required */
#define ES_COL_LAST       "last"	/* u64, required */
#define ES_COL_CTX        "ctx"		/* u32 */
#define ES_COL_WINDOW     "window"	/* u32 */
#define ES_COL_EVIDENCE   "evidence"	/* u32 */
#define ES_COL_SITE       "site"	/* u32 */
#define ES_COL_CONFIDENCE "confidence"	/* u8 */
#define ES_COL_CLASS      "class"	/* u8 */
#define ES_COL_CONFLICT   "conflict"	/* u8 */
#define ES_COL_RESOLUTION "resolution"	/* u8 */

/* Saturating add for counts. */
static inline uint64_t es_count_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Format a build id for humans: lowercase hex for GNU and SHA-256, the
 * symbol-server key (GUID as 32 upper-case hex digits, then the age in hex)
 * for PE. Returns the length written (buf needs 2 * ES_BUILD_ID_MAX + 1).
 */
size_t es_build_id_format(unsigned kind, const uint8_t *id, size_t len, char *buf, size_t size);
/* Parse the human form back; returns the byte length or -1. */
int es_build_id_parse(unsigned kind, const char *s, size_t slen, uint8_t *out);

const char *es_id_kind_name(unsigned kind);
int es_id_kind_from_name(const char *name, size_t len);

#endif

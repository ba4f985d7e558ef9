/*
 * etl_edges.h - turn ETW sampled stacks into caller->callee edges: per-process
 * image and CLR JIT tables symbolize frames; adjacent frame pairs are counted.
 */
#ifndef ETL_EDGES_H
#define ETL_EDGES_H

#include <stddef.h>
#include <stdint.h>

#include "etl_events.h"
#include "etl_reader.h"

/*
 * One end of an edge. Native code is module + rva (symbol NULL); JIT-compiled
 * .NET code is module = assembly name, symbol = "Namespace.Type::Method". An
 * address in no known image or method has module "[unknown]" and rva = the
 * absolute address. Strings are valid during the callback only.
 */
struct etl_edge_end {
	const char *module;		/* basename ("ntdll.dll") or assembly ("mscorlib") */
	const char *path;		/* the path as seen in the trace, or "" */
	const uint8_t *pdb_guid;	/* 16 bytes as stored in the PE (RSDS), or NULL */
	uint32_t pdb_age;
	const char *pdb_name;		/* "ntdll.pdb", or "" */
	uint32_t time_date_stamp;	/* PE header stamp, 0 when unknown */
	uint32_t image_size;		/* SizeOfImage, 0 when unknown */
	const char *symbol;		/* JIT method name, or NULL */
	uint64_t rva;			/* offset from the image base when symbol is NULL */
	uint8_t kernel;			/* a kernel-mode address */
	uint8_t managed;		/* a JIT-compiled method */
};

/*
 * An edge: caller called callee, seen count times between first_ns and
 * last_ns (UTC ns since the Unix epoch) in process pid. count is the number
 * of adjacent (caller, callee) frame pairs observed across sampled stacks.
 */
struct etl_edge {
	struct etl_edge_end caller, callee;
	uint64_t count;
	uint64_t first_ns, last_ns;
	uint64_t window_start_ns, window_end_ns;	/* the collection window */
	uint32_t pid;
	const char *process;		/* image file name ("Test.x64.exe"), or "" */
	const char *container_id;	/* GUID text when the trace carries one, or NULL */
};

/* Called once per edge, in a deterministic order; nonzero stops emission. */
typedef int (*etl_edge_fn)(const struct etl_edge *e, void *ctx);

struct etl_edges_opts {
	int kernel;		/* keep kernel frames (and the user->kernel edge) */
	int all_stacks;		/* use stacks of every event, not only SampledProfile */
	const uint32_t *pids;	/* keep only these processes (npids 0 = all) */
	size_t npids;
	const char *process_name;	/* keep only processes with this image name
					   (case-insensitive, ".exe" optional), or NULL */
	uint64_t window_ns;	/* aligned tumbling windows of this length, 0 = whole trace */
	/*
	 * Optional symbolizer for native frames (live capture: DbgHelp). At
	 * emit, for an address inside an image: m describes the image (symbol
	 * NULL, rva 0), rva is the frame's offset in it. Return 1 with a
	 * NUL-terminated name in buf and *sym_rva = the symbol's start RVA, or
	 * 0 to keep module+rva. Frames that name the same symbol merge.
	 */
	int (*symbolize)(void *ctx, const struct etl_edge_end *m, uint64_t rva,
	    char *buf, size_t cap, uint64_t *sym_rva);
	void *symbolize_ctx;
};

struct etl_edges_stats {
	uint64_t samples;		/* SampledProfile events */
	uint64_t stacks;		/* plain stack events */
	uint64_t key_refs;		/* stack-key references */
	uint64_t key_defs;		/* stack-key definitions */
	uint64_t sample_stacks;		/* stack halves attached to a sample (or all, with all_stacks) */
	uint64_t refs_resolved;		/* key references matched with their definition */
	uint64_t refs_unresolved;	/* key references never defined */
	uint64_t halves_joined;		/* kernel + user halves of one sample joined */
	uint64_t frames;		/* frames walked in used stacks */
	uint64_t pairs;			/* adjacent frame pairs counted */
	uint64_t ends_image;		/* distinct addresses resolved to an image */
	uint64_t ends_jit;		/* ... to a JIT method */
	uint64_t ends_unknown;		/* ... to nothing */
	uint64_t ends_symbolized;	/* image addresses named by opts.symbolize */
	uint64_t images, methods, modules, processes;
	uint64_t edges;			/* edges emitted */
	uint64_t decode_errors;		/* payloads too short to decode (skipped) */
};

struct etl_edges;

/*
 * A builder fed with events in timestamp order (from etl_reader or, live,
 * from ETW). clock converts timestamps; trace_ptrsize (4 or 8) is the
 * kernel's pointer size, which decides what a kernel address is.
 */
struct etl_edges *etl_edges_new(const struct etl_edges_opts *opts,
    const struct etl_clock *clock, unsigned trace_ptrsize);
void etl_edges_free(struct etl_edges *b);

/* Feed one event. Returns ETL_OK or ETL_ENOMEM. */
int etl_edges_add(struct etl_edges *b, const struct etl_event *ev);

/*
 * Resolve every counted frame pair with the final image, method and process
 * tables, merge pairs that symbolize to the same edge and call fn for each.
 * Call once, after the last event. Returns ETL_OK, ETL_ENOMEM, or fn's
 * nonzero value.
 */
int etl_edges_emit(struct etl_edges *b, etl_edge_fn fn, void *ctx);

void etl_edges_get_stats(const struct etl_edges *b, struct etl_edges_stats *st);

/*
 * The whole job for a file in memory: open, feed every event, emit. On a
 * decoding error returns it (negative etl_status) with *err filled, and emits
 * nothing. st, err may be NULL.
 */
int etl_edges_from_etl(const uint8_t *data, size_t len, const struct etl_edges_opts *opts,
    etl_edge_fn fn, void *ctx, struct etl_edges_stats *st, struct etl_error *err);

/* "module!symbol" or "module+0xRVA" into buf; returns the length snprintf would. */
int etl_edge_end_format(const struct etl_edge_end *e, char *buf, size_t cap);

#endif

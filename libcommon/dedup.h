/*
 * dedup.h - fold edge streams by edge identity within aligned time windows:
 * the engine of trace-dedup. Folding is commutative, associative and
 * idempotent, and the output order is canonical, so results reduce in a tree.
 *
 * Memory: per distinct edge one 48-byte entry plus 12-18 bytes of index; per
 * distinct node, module, context, window and (context, window) pair a table
 * entry and its strings.
 * With max_memory set, edge entries beyond the limit are spilled to
 * anonymous temporary files and merged at the end (same output).
 */
#ifndef TM_DEDUP_H
#define TM_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "esreader.h"
#include "eswriter.h"
#include "progress.h"
#include "tmerr.h"

/* Context keys that take part in edge identity (--by), in canonical order. */
enum dedup_by {
	DEDUP_BY_HOST      = 1u << 0,
	DEDUP_BY_CONTAINER = 1u << 1,	/* container id and cgroup id */
	DEDUP_BY_PID       = 1u << 2,
	DEDUP_BY_COMM      = 1u << 3,
};

struct dedup_opts {
	uint64_t window_ns;	/* 0 = the whole input is one window */
	unsigned by;		/* enum dedup_by bits */
	uint64_t max_memory;	/* bytes for edge entries before spilling; 0 = no limit */
	const char *tmpdir;	/* where spill files go (NULL: $TMPDIR or /tmp) */
};

struct dedup_stats {
	uint64_t records;	/* edge records read */
	uint64_t distinct;	/* distinct edges written */
	uint64_t segments;
	uint64_t spills;	/* runs written to temporary files */
	uint64_t nodes, modules;
	size_t peak_bytes;	/* largest memory estimate seen */
	size_t string_bytes;	/* string tables: the output's and the largest input's */
};

struct dedup;

/*
 * Parse a --by list ("none", or a comma-separated set of host, container,
 * pid, comm). 0 or -1.
 */
int dedup_parse_by(const char *s, unsigned *by);

struct dedup *dedup_new(const struct dedup_opts *opts, struct tm_err *err);
void dedup_free(struct dedup *d);

/* Read every segment of r into the fold. 0 or -1 (err set by r or here). */
int dedup_add(struct dedup *d, struct es_reader *r, struct progress *pg);

/* Write the folded result as one segment. 0 or -1. */
int dedup_write(struct dedup *d, struct es_writer *w, const char *producer);

const struct dedup_stats *dedup_stats(const struct dedup *d);

#endif

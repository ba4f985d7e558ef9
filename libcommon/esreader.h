/*
 * esreader.h - the one edge stream reader: decompresses, checks and decodes
 * segments record by record, and hands out headers, edge blocks and trailers.
 *
 * Memory: the segment's definition tables (proportional to its distinct
 * strings, modules, nodes, contexts and windows, at most opts.max_defs bytes),
 * one decoded edge block, and a record buffer of at most opts.max_record bytes
 * plus the zstd window (limited to 2^27 bytes). Definitions need their own
 * limit: they live as long as their segment, so the record limit does not
 * bound them, and they compress well (16 Mi nodes fit in 18 KB of input). Nothing in the input is trusted: every id, length
 * and count is checked, and every failure names the file and the problem.
 */
#ifndef TM_ESREADER_H
#define TM_ESREADER_H

#include <stddef.h>
#include <stdint.h>

#include "esformat.h"
#include "tmerr.h"

struct es_reader;

struct es_reader_opts {
	size_t max_record;	/* largest record accepted, 0 = 64 MiB */
	size_t max_defs;	/* largest definition tables of a segment, 0 = 256 MiB */
	int allow_truncated;	/* end quietly at a truncation (see es_reader_truncated) */
	int single_thread;	/* decompress in the caller's thread, not ahead */
};

enum es_event_kind {
	ES_EVENT_HEADER = 1,	/* a segment starts: ev->header */
	ES_EVENT_MODULE,	/* a module was defined: ev->id */
	ES_EVENT_EDGES,		/* ev->edges[0..ev->nedges) */
	ES_EVENT_COVERAGE,	/* ev->coverage */
	ES_EVENT_TRAILER,	/* the segment ended: ev->trailer */
};

struct es_trailer {
	uint64_t records;	/* records of the segment before the trailer */
	uint64_t edges;
	uint64_t strings, modules, nodes;
	const struct es_loss *losses;	/* sorted by name */
	size_t nlosses;
};

struct es_event {
	int kind;
	const struct es_header *header;
	uint32_t id;
	const struct es_edge *edges;
	size_t nedges;
	const struct es_coverage *coverage;
	const struct es_trailer *trailer;
};

/*
 * A reader on an open file descriptor (not closed by the reader); `name`
 * prefixes every error message ("-" is shown as "(stdin)").
 */
struct es_reader *es_reader_new(int fd, const char *name, const struct es_reader_opts *opts,
    struct tm_err *err);
void es_reader_free(struct es_reader *r);

/*
 * The next event: 1, or 0 at the end of the input, or -1 on error (*err set,
 * code TM_EXIT_DATA for bad input, TM_EXIT_ENV for I/O). Pointers in ev and
 * from the lookups below stay valid until the next call.
 */
int es_reader_next(struct es_reader *r, struct es_event *ev);

/* Lookups by segment-local id; NULL / -1 for an unknown id. */
const char *es_reader_string(const struct es_reader *r, uint32_t id, size_t *len);
int es_reader_module(const struct es_reader *r, uint32_t id, struct es_module *out);
const struct es_node *es_reader_node(const struct es_reader *r, uint32_t id);
const struct es_context *es_reader_context(const struct es_reader *r, uint32_t id);
const struct es_window *es_reader_window(const struct es_reader *r, uint32_t id);

/* Bytes held by the string table of the segments read so far (its largest). */
size_t es_reader_string_bytes(const struct es_reader *r);

/*
 * The human name of a node: "module!symbol", or "module+0xOFFSET" when it has
 * no symbol. Returns the full length (like snprintf); buf is always terminated.
 */
size_t es_reader_node_name(const struct es_reader *r, uint32_t id, char *buf, size_t size);

/* 1-based index of the current segment (0 before the first header). */
unsigned es_reader_segment(const struct es_reader *r);

/*
 * After es_reader_next returned 0 with opts.allow_truncated: nonzero if the
 * input was truncated, with what was wrong in msg (and everything returned
 * before that point complete and checked record by record, though the zstd
 * checksum of the last frame could not be verified).
 */
int es_reader_truncated(const struct es_reader *r, const char **msg);

/* Compressed bytes read so far (for progress lines). */
uint64_t es_reader_bytes_in(const struct es_reader *r);

#endif

/*
 * eswriter.h - the one edge stream writer: interns values, writes segments of
 * zstd-compressed msgpack records with definitions in first-use order.
 *
 * Values are interned into handles (uint32, >= 1) that stay valid for the
 * writer's lifetime, across segments. Definitions are written lazily, in the
 * order edges and coverage records first use them, so the bytes of a segment
 * depend only on its header and on the sequence of edges, coverage records and
 * losses written - not on the order in which the producer interned values.
 * Memory: the intern tables (proportional to distinct values) plus one block
 * of ES_BLOCK_EDGES edges and the zstd context.
 */
#ifndef TM_ESWRITER_H
#define TM_ESWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "esformat.h"
#include "tmerr.h"

struct es_writer;

struct es_writer_opts {
	int level;		/* zstd level, 0 = default (3) */
	int async;		/* compress and write in a thread of the writer's own
				   (Linux; elsewhere it is ignored). The bytes are the
				   same: the thread makes the same zstd calls on the
				   same buffers, while the caller packs the next one. */
};

/*
 * A writer on an open file descriptor (not closed by the writer); `name` is
 * used in error messages. Errors are recorded in *err, which must outlive the
 * writer; after the first error every call fails.
 */
struct es_writer *es_writer_new(int fd, const char *name, const struct es_writer_opts *opts,
    struct tm_err *err);
void es_writer_free(struct es_writer *w);

/* Start a segment (ends the current one first). 0 or -1. */
int es_writer_begin(struct es_writer *w, const struct es_header *h);

struct strtab;
/*
 * Use the producer's string table t as the writer's first strings, so that
 * string handles are t's ids: a producer whose strings are already interned
 * (every string once, as strtab_intern leaves them) then passes its ids as
 * handles instead of interning a million strings a second time. Strings the
 * writer is given later are looked up in t, then kept in the writer's own
 * table. t must stay unchanged until the writer is freed. Only before
 * anything was interned. Definitions stay lazy: a segment still defines only
 * the strings its records use. 0 or -1.
 */
int es_writer_borrow_strings(struct es_writer *w, const struct strtab *t);

/* Interning: a handle >= 1, or 0 on error. A NULL string is handle 0. */
uint32_t es_writer_string(struct es_writer *w, const char *s, size_t len);
uint32_t es_writer_cstring(struct es_writer *w, const char *s);
uint32_t es_writer_module(struct es_writer *w, const struct es_module *m);
/* n->module, n->symbol and n->file are handles. */
uint32_t es_writer_node(struct es_writer *w, const struct es_node *n);
/* c->host, c->comm and c->container are string handles. */
uint32_t es_writer_context(struct es_writer *w, const struct es_context *c);
uint32_t es_writer_window(struct es_writer *w, uint64_t start_ns, uint64_t end_ns);

/* Ids in e (caller, callee, ctx, window, site) are handles. 0 or -1. */
int es_writer_edge(struct es_writer *w, const struct es_edge *e);
/* cov->node and cov->ctx are handles. 0 or -1. */
int es_writer_coverage(struct es_writer *w, const struct es_coverage *cov);
/* Add to the named loss counter of the current segment's trailer. */
int es_writer_loss(struct es_writer *w, const char *name, uint64_t count);

/*
 * Make everything written so far reach the file descriptor (a live capture
 * calls this at the end of each window). Ends the current EDGES record early.
 */
int es_writer_flush(struct es_writer *w);

/* End the segment: pending records, the trailer, the end of the zstd frame. */
int es_writer_end(struct es_writer *w);

/* Edges written in the current segment. */
uint64_t es_writer_edges(const struct es_writer *w);

/* Bytes of memory held by the intern tables and buffers. */
size_t es_writer_memory(const struct es_writer *w);

#endif

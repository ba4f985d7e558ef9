/*
 * ndjson.h - the NDJSON form of an edge stream (trace-cat): one JSON object
 * per line, each edge line self-contained, and the encoder back to a stream.
 */
#ifndef TM_NDJSON_H
#define TM_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include "esreader.h"
#include "eswriter.h"
#include "tmerr.h"

/*
 * Write the lines for one reader event (nothing for events without a line).
 * `segment` is the reader's segment index, shown on header lines.
 */
void ndjson_write_event(FILE *out, const struct es_reader *r, const struct es_event *ev);

struct ndjson_encoder;

/* An encoder feeding w; producer names the header of implicit segments. */
struct ndjson_encoder *ndjson_encoder_new(struct es_writer *w, const char *producer,
    struct tm_err *err);
void ndjson_encoder_free(struct ndjson_encoder *e);

/*
 * Limits of the input: a line holds at most NDJSON_LINE_MAX bytes, a string at
 * most ES_STRING_MAX (what a stream can hold), JSON nests JSON_MAX_DEPTH deep.
 * A line's JSON tree costs at most 12 bytes per byte of line, and members of
 * unknown keys (an error) cost nothing.
 */
#define NDJSON_LINE_MAX ((size_t)64 << 20)

/*
 * Encode one line (without its newline). `name` and `lineno` locate errors:
 * "FILE:LINE: edge: caller: expected module!symbol or module+0xOFFSET".
 * Blank lines are ignored. 0 or -1 (err set, TM_EXIT_DATA).
 */
int ndjson_encode_line(struct ndjson_encoder *e, const char *line, size_t len,
    const char *name, unsigned long lineno);

/*
 * Read fd to its end and encode its lines, numbered from 1 (`name` in
 * messages). Never buffers more than NDJSON_LINE_MAX + 1 bytes: a longer line
 * is refused ("FILE:LINE: line longer than 64 MiB") as soon as it is seen.
 * 0 or -1 (err set: TM_EXIT_DATA, or TM_EXIT_ENV for a read error).
 */
int ndjson_encode_fd(struct ndjson_encoder *e, int fd, const char *name);

/* End the open segment, if any (an implicit trailer). 0 or -1. */
int ndjson_encoder_finish(struct ndjson_encoder *e);

#endif

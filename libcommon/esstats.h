/*
 * esstats.h - per-segment and total statistics of edge streams (trace-cat
 * --stats): counts, time span, losses, and whether each segment was complete.
 */
#ifndef TM_ESSTATS_H
#define TM_ESSTATS_H

#include <stdint.h>
#include <stdio.h>

#include "esreader.h"

struct esstats_loss {
	char *name;
	uint64_t count;
};

struct esstats_seg {
	char *file;
	unsigned index;			/* segment number within its file */
	char *producer, *source, *host;
	uint64_t records, edges, count_sum;
	uint64_t modules, nodes, strings, coverage;
	uint64_t first_ns, last_ns;	/* min first_seen / max last_seen; 0 = none */
	struct esstats_loss *losses;
	size_t nlosses;
	int complete;			/* ended with its trailer */
};

struct esstats {
	struct esstats_seg *segs;
	size_t nsegs, cap;
	int open;			/* the last segment has not ended yet */
};

void esstats_init(struct esstats *s);
void esstats_free(struct esstats *s);
/* Account one reader event from input `file`. 0 or -1 (out of memory). */
int esstats_event(struct esstats *s, const char *file, const struct es_reader *r,
    const struct es_event *ev);
/* The input ended (cleanly or truncated): close an open segment as incomplete. */
void esstats_end_input(struct esstats *s);

void esstats_print_text(const struct esstats *s, FILE *out);
void esstats_print_json(const struct esstats *s, FILE *out);

#endif

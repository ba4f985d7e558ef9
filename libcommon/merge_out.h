/*
 * merge_out.h - the readable forms of a merged graph (merge.h): one JSON
 * document, a Graphviz DOT picture, the --focus subgraph and the --why paths.
 *
 * Everything is written in the canonical order of merge.h, so the same merge
 * prints the same bytes. Write errors are left to the caller (ferror).
 */
#ifndef TM_MERGE_OUT_H
#define TM_MERGE_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "merge.h"

struct merge_out_opts {
	const char *producer;	/* "trace-merge 0.1.0" */
	uint32_t focus;		/* node id: only paths from the entry points to it; 0 = all */
};

/*
 * The subgraph of the paths from the entry points (or, without entry points,
 * from the functions nobody calls) to node `target`: node_on[1..n] and
 * edge_on[0..e) set to 1 for what lies on such a path (target included).
 * Arrays are allocated here (free them). 0 or -1 (out of memory).
 */
int merge_focus(const struct merge *m, uint32_t target, uint8_t **node_on, uint8_t **edge_on);

/* One JSON document: binding, entries, summary counts, nodes, edges. 0 or -1. */
int merge_write_json(const struct merge *m, FILE *f, const struct merge_out_opts *o);

/* A DOT digraph: edges styled by class, nodes filled by state. 0 or -1. */
int merge_write_dot(const struct merge *m, FILE *f, const struct merge_out_opts *o);

/*
 * The call paths that reach `target`: first up to max_paths runtime paths
 * (through observed edges, from an entry point or else a function with no
 * observed caller, one per observed caller, busiest first), then up to
 * max_paths static paths from the entry points that the runtime paths did not
 * already show; each edge marked with its class, evidence, count and site.
 * Returns 1 when target is reached (observed at runtime or statically
 * reachable from an entry point), 0 when not, -1 on error.
 */
int merge_why(const struct merge *m, FILE *f, uint32_t target, unsigned max_paths);

/* Evidence bits as a JSON array of their names ("bitN" for a bit without one). */
void merge_json_evidence(FILE *f, uint32_t ev);

/* Name of a node flag bit as trace-merge prints it ("entry", "alias", "bitN"). */
const char *merge_flag_name(unsigned bit, char *buf, size_t size);

#endif

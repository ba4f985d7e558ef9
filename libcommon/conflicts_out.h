/*
 * conflicts_out.h - the reports of trace-conflicts (conflicts.h): a text
 * table grouped by class, one JSON document, and SARIF 2.1.0 for
 * code-scanning dashboards.
 *
 * Everything is written in the engine's report order, so the same input
 * prints the same bytes. Write errors are left to the caller (ferror).
 */
#ifndef TM_CONFLICTS_OUT_H
#define TM_CONFLICTS_OUT_H

#include <stdio.h>

#include "conflicts.h"

struct cf_out_opts {
	const char *tool;	/* "trace-conflicts" */
	const char *version;	/* "0.1.0" */
};

/* Grouped by class, most severe first; counts, first/last seen (RFC 3339). 0 or -1. */
int cf_write_text(const struct cf *c, FILE *f, const struct cf_out_opts *o);
/* One JSON document: options, summary, conflicts. 0 or -1. */
int cf_write_json(const struct cf *c, FILE *f, const struct cf_out_opts *o);
/* SARIF 2.1.0: one rule per class, one result per conflict. 0 or -1. */
int cf_write_sarif(const struct cf *c, FILE *f, const struct cf_out_opts *o);

#endif

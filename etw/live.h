/*
 * live.h - live capture through the ETW API (live_win.c on Windows; on other
 * systems live_stub.c says it needs Windows), and the platform's I/O set-up.
 */
#ifndef ETW_LIVE_H
#define ETW_LIVE_H

#include <stdint.h>

#include "etl_stream.h"
#include "eswriter.h"
#include "tmerr.h"

struct live_opts {
	const char *prog;		/* for progress and warnings */
	uint64_t duration_ns;		/* 0 = until Ctrl-C */
	uint64_t interval_ns;		/* sampling interval, 0 = 1 ms */
	int verbose, quiet;
};

/* Call first in main: binary standard input and output where that matters. */
void live_platform_init(void);

/*
 * Whether live capture can work on this system at all: 0, or -1 with err set
 * (TM_EXIT_ENV) and one line saying why.
 */
int live_available(struct tm_err *err);

/*
 * Capture until o->duration_ns passes or Ctrl-C, then write one segment to w
 * with so (so->edges: filters and windows). 0, or -1 with err set.
 */
int live_run(const struct live_opts *o, const struct etl_stream_opts *so, struct es_writer *w,
    struct tm_err *err);

#endif

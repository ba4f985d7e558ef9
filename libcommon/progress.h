/*
 * progress.h - the one-line progress report on stderr, rewritten in place,
 * that long-running tools show on a terminal or with -v.
 */
#ifndef TM_PROGRESS_H
#define TM_PROGRESS_H

#include <stdint.h>

struct progress {
	int enabled;
	int shown;
	const char *prog;
	uint64_t start_ns, last_ns;
	unsigned calls;
};

/* Enabled when `verbose`, or when stderr is a terminal and not `quiet`. */
void progress_init(struct progress *p, const char *prog, int verbose, int quiet);
/*
 * Report progress: cheap to call per block; prints at most every 0.5 s and
 * only after the first second. `records` counts edges, `distinct` may be 0.
 */
void progress_update(struct progress *p, uint64_t bytes_in, uint64_t records, uint64_t distinct);
/* Clear the line if one was shown. */
void progress_done(struct progress *p);

/* Monotonic clock in ns. */
uint64_t progress_now_ns(void);

#endif

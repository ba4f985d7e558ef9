/*
 * progress.c - progress lines (see progress.h).
 */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

uint64_t progress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void progress_init(struct progress *p, const char *prog, int verbose, int quiet)
{
	p->enabled = verbose || (!quiet && isatty(STDERR_FILENO));
	p->shown = 0;
	p->prog = prog;
	p->start_ns = p->last_ns = progress_now_ns();
	p->calls = 0;
}

void progress_update(struct progress *p, uint64_t bytes_in, uint64_t records, uint64_t distinct)
{
	uint64_t now;
	double secs;

	if (!p->enabled || (++p->calls & 15))
		return;
	now = progress_now_ns();
	if (now - p->start_ns < 1000000000ull || now - p->last_ns < 500000000ull)
		return;
	p->last_ns = now;
	secs = (double)(now - p->start_ns) / 1e9;
	fprintf(stderr, "\r%s: %.1f MiB read, %llu edges (%.2f M/s)", p->prog,
	    (double)bytes_in / 1048576.0, (unsigned long long)records,
	    (double)records / secs / 1e6);
	if (distinct)
		fprintf(stderr, ", %llu distinct", (unsigned long long)distinct);
	fputs("\033[K", stderr);
	p->shown = 1;
}

void progress_done(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

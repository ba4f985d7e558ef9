/*
 * live_stub.c - live capture where there is no ETW (every system but
 * Windows): only recorded .etl files can be decoded. See live.h.
 */
#include "live.h"

void live_platform_init(void)
{
}

int live_available(struct tm_err *err)
{
	tm_err_set(err, TM_EXIT_ENV, "live capture needs Windows (ETW); "
	    "here, decode a recorded trace with --etl FILE");
	return -1;
}

int live_run(const struct live_opts *o, const struct etl_stream_opts *so, struct es_writer *w,
    struct tm_err *err)
{
	(void)o;
	(void)so;
	(void)w;
	return live_available(err);
}

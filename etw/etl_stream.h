/*
 * etl_stream.h - write the edges of an ETW trace as one edge stream segment:
 * images become modules (PE RSDS identity), frames nodes, processes contexts.
 */
#ifndef ETL_STREAM_H
#define ETL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "etl_edges.h"
#include "etl_events.h"
#include "etl_reader.h"
#include "eswriter.h"
#include "tmerr.h"

/* What the stream header says about the trace. */
struct etl_stream_info {
	char host[256];			/* computer name (SystemConfig CPU event), or "" */
	char session[128];		/* logger session name, or "" */
	char os[32];			/* "6.2.9200", or "" */
	uint64_t start_ns, end_ns;	/* UTC ns since the Unix epoch, 0 = unknown */
	uint32_t ptrsize, ncpu;		/* 0 = unknown */
	uint64_t events_lost, buffers_lost;
};

/* Fill from the logfile header (start and end time, session, OS, losses). */
void etl_stream_info_from_logfile(struct etl_stream_info *in, const struct etl_logfile *lf);
/* Look at one event; picks up the computer name. Cheap: call for every event. */
void etl_stream_info_note(struct etl_stream_info *in, const struct etl_event *ev);

struct etl_stream_opts {
	const char *producer;		/* "etw-capture 0.1.0" */
	const char *host;		/* overrides the trace's computer name, or NULL */
	const char *input;		/* header parameter "input": "etl" or "live" */
	const struct etl_edges_opts *edges;	/* filters, also written as parameters */
	uint64_t interval_ns;		/* live: the sampling interval, 0 = not recorded */
	/* Decoding a file: called every 65536 events with the count so far, or NULL. */
	void (*progress)(void *ctx, uint64_t events);
	void *progress_ctx;
};

#define ETL_STREAM_CONF_SAMPLE	50	/* confidence of a sampled frame pair */
#define ETL_STREAM_CONF_UNKNOWN	25	/* ... when an end is in no known image */

/*
 * Write one segment to w: the header, every edge of b (etl_edges_emit: call
 * after the last event), the loss counters, the trailer. 0, or -1 with err
 * set (TM_EXIT_ENV for memory and I/O, TM_EXIT_DATA for values the stream
 * cannot hold).
 */
int etl_stream_write(struct es_writer *w, struct etl_edges *b, const struct etl_stream_opts *o,
    const struct etl_stream_info *in, struct tm_err *err);

struct etl_stream_stats {
	struct etl_reader_stats reader;
	struct etl_edges_stats edges;
};

/*
 * The whole --etl job: decode the file data[0..len) (name is used in
 * messages), build the edges, write one segment. 0, or -1 with err set:
 * "NAME: what is wrong", TM_EXIT_DATA for a bad or unsupported file,
 * TM_EXIT_ENV for memory and I/O. Nothing is written on a decoding error.
 */
int etl_stream_from_etl(const uint8_t *data, size_t len, const char *name,
    const struct etl_stream_opts *o, struct es_writer *w, struct etl_stream_stats *st,
    struct tm_err *err);

/*
 * Read a whole input into memory: a path, or "-" for standard input. On
 * success *data is malloc'd (caller frees). 0, or -1 with err set
 * (TM_EXIT_ENV).
 */
int etl_stream_load(const char *path, uint8_t **data, size_t *len, struct tm_err *err);

#endif

/*
 * etl_reader.h - walk an in-memory .etl file: WMI buffers, XPRESS-compressed
 * buffers, and the per-CPU buffer streams merged into one timestamp order.
 */
#ifndef ETL_READER_H
#define ETL_READER_H

#include <stddef.h>
#include <stdint.h>

#include "etl_events.h"

/* Where and why decoding stopped: code is an etl_status, msg one line. */
struct etl_error {
	int code;
	uint64_t offset;	/* file offset of the offending buffer or record */
	char msg[240];
};

struct etl_reader_stats {
	uint64_t buffers;		/* buffers in the file, header buffer included */
	uint64_t compressed_buffers;
	uint64_t lost_buffers;		/* buffers flagged EVENTS_LOST or BUFFER_LOST */
	uint64_t events;		/* records returned so far */
	uint64_t out_of_order;		/* records older than the one before them */
	uint64_t decompressed_bytes;
	uint32_t streams;		/* distinct processors */
};

struct etl_reader;

/*
 * Index the buffers of data[0..len) and decode the logfile header. data is
 * borrowed and must outlive the reader. On failure returns NULL and fills
 * *err (err may be NULL).
 */
struct etl_reader *etl_reader_open(const uint8_t *data, size_t len, struct etl_error *err);
void etl_reader_close(struct etl_reader *r);

/* The logfile header (valid for the reader's lifetime). */
const struct etl_logfile *etl_reader_logfile(const struct etl_reader *r);

/*
 * The next record in timestamp order (ties: lower processor first, then file
 * order). Returns 1 with *ev filled, 0 at the end, or a negative etl_status
 * (see etl_reader_error()). ev's pointers are valid until the next call.
 * Errors are sticky.
 */
int etl_reader_next(struct etl_reader *r, struct etl_event *ev);

/* Start again from the first record (for a second pass). Clears errors. */
void etl_reader_rewind(struct etl_reader *r);

const struct etl_error *etl_reader_error(const struct etl_reader *r);
void etl_reader_stats(const struct etl_reader *r, struct etl_reader_stats *st);

/*
 * Convert a raw event timestamp to UTC nanoseconds since the Unix epoch using
 * the logfile header (QPC, system time or CPU cycle clocks). Saturates at 0.
 */
uint64_t etl_reader_unix_ns(const struct etl_reader *r, uint64_t ts);
/* The same conversion as a value, for etl_edges. */
void etl_reader_clock(const struct etl_reader *r, struct etl_clock *c);

/*
 * Read a whole file into memory with stdio (portable; callers may mmap
 * instead). On success *data is malloc'd and owned by the caller.
 */
int etl_load_file(const char *path, uint8_t **data, size_t *len, struct etl_error *err);

#endif

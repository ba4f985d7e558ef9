/*
 * zsource.h - decompressed bytes from a file descriptor of concatenated zstd
 * frames, optionally decompressed ahead by a background thread.
 *
 * With a thread, decompression (most of the cost of reading a stream) runs
 * on another core while the caller parses; at most ZS_CHUNKS chunks of
 * ZS_CHUNK bytes are buffered ahead.
 */
#ifndef TM_ZSOURCE_H
#define TM_ZSOURCE_H

#include <stddef.h>
#include <stdint.h>

#define ZS_CHUNK  ((size_t)1 << 20)
#define ZS_CHUNKS 4
/* Largest zstd window accepted (2^27 = 128 MiB). */
#define ZS_WINDOW_LOG_MAX 27

enum zs_status {
	ZS_DATA    = 1,		/* bytes were produced */
	ZS_END     = 0,		/* clean end: every frame complete */
	ZS_EMPTY   = -1,	/* the input had no bytes at all */
	ZS_NOTZSTD = -2,	/* the input does not start with a zstd frame */
	ZS_TRUNC   = -3,	/* the input ends inside a frame */
	ZS_CORRUPT = -4,	/* zstd reported an error: zs_zstd_error() */
	ZS_IO      = -5,	/* read(2) failed: zs_errno() */
	ZS_NOMEM   = -6,
};

struct zsource;

/* threaded: decompress ahead in a background thread where supported. */
struct zsource *zs_new(int fd, int threaded);
void zs_free(struct zsource *z);

/*
 * Up to cap bytes into out. Returns ZS_DATA with *n > 0, or a final status
 * (repeated on every later call).
 */
int zs_read(struct zsource *z, uint8_t *out, size_t cap, size_t *n);

size_t zs_zstd_error(const struct zsource *z);	/* a ZSTD error code for ZS_CORRUPT */
int zs_errno(const struct zsource *z);		/* errno for ZS_IO */
uint64_t zs_bytes_in(const struct zsource *z);	/* compressed bytes read so far */

#endif

/*
 * xpress.h - MS-XCA "plain LZ77" (XPRESS) decompression, as used by compressed
 * .etl buffers (COMPRESSION_FORMAT_XPRESS). Pure function over caller buffers.
 */
#ifndef XPRESS_H
#define XPRESS_H

#include <stddef.h>
#include <stdint.h>

enum xpress_status {
	XPRESS_OK = 0,
	XPRESS_ETRUNC,		/* input ended inside a token */
	XPRESS_EOFFSET,		/* a match reaches before the start of the output */
	XPRESS_EOVERFLOW,	/* output would exceed the caller's capacity */
	XPRESS_ELENGTH,		/* an extended match length is malformed */
};

/*
 * Decompress in[0..in_len) into out[0..out_cap). On success *out_len is the
 * number of bytes produced (at most out_cap). Decoding stops cleanly when the
 * input is exhausted at a token boundary, or when the output is full and
 * only end-of-stream padding remains. Never reads or writes out of bounds.
 */
int xpress_lz77_decompress(const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_cap, size_t *out_len);

/* A short English description of an xpress_status value. */
const char *xpress_strerror(int status);

#endif

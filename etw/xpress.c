/*
 * xpress.c - MS-XCA plain LZ77 decompression (MS-XCA section 2.4).
 *
 * The stream is a sequence of 32-bit flag words, each governing the next 32
 * tokens, most significant bit first: 0 = one literal byte, 1 = a match. A
 * match is a 16-bit word (offset-1 in the top 13 bits, length-3 in the low 3);
 * length 7 means "more length follows", first in a shared nibble (two matches
 * share one byte), then a byte, then a 16-bit or 32-bit little-endian word.
 */
#include "xpress.h"

#include "etl_le.h"

const char *xpress_strerror(int status)
{
	switch (status) {
	case XPRESS_OK:		return "success";
	case XPRESS_ETRUNC:	return "compressed data ends inside a token";
	case XPRESS_EOFFSET:	return "match offset before start of output";
	case XPRESS_EOVERFLOW:	return "decompressed data exceeds expected size";
	case XPRESS_ELENGTH:	return "malformed match length";
	}
	return "unknown xpress error";
}

int xpress_lz77_decompress(const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t ip = 0, op = 0;
	size_t half_byte = 0;	/* position of a pending shared length nibble, 0 = none */
	uint32_t flags = 0;
	unsigned nflags = 0;

	*out_len = 0;
	for (;;) {
		if (nflags == 0) {
			if (in_len - ip < 4) {
				/* Clean end: the encoder pads the last flag word. */
				if (ip == in_len)
					break;
				return XPRESS_ETRUNC;
			}
			flags = etl_le32(in + ip);
			ip += 4;
			nflags = 32;
		}
		nflags--;
		if (!(flags >> nflags & 1)) {
			if (ip == in_len)
				break;		/* padding literal flags after the last token */
			if (op == out_cap)
				return XPRESS_EOVERFLOW;
			out[op++] = in[ip++];
			continue;
		}

		/* A match. End of input here is the normal end-of-stream marker. */
		if (ip == in_len)
			break;
		if (in_len - ip < 2)
			return XPRESS_ETRUNC;
		uint32_t word = etl_le16(in + ip);
		ip += 2;
		uint64_t length = word & 7;	/* 64-bit: the 32-bit form plus 25 must not wrap */
		size_t offset = (word >> 3) + 1;

		if (length == 7) {
			if (half_byte == 0) {
				if (ip == in_len)
					return XPRESS_ETRUNC;
				half_byte = ip;
				length = in[ip++] & 15;
			} else {
				length = in[half_byte] >> 4;
				half_byte = 0;
			}
			if (length == 15) {
				if (ip == in_len)
					return XPRESS_ETRUNC;
				length = in[ip++];
				if (length == 255) {
					if (in_len - ip < 2)
						return XPRESS_ETRUNC;
					length = etl_le16(in + ip);
					ip += 2;
					if (length == 0) {
						if (in_len - ip < 4)
							return XPRESS_ETRUNC;
						length = etl_le32(in + ip);
						ip += 4;
					}
					if (length < 15 + 7)
						return XPRESS_ELENGTH;
					length -= 15 + 7;
				}
				length += 15;
			}
			length += 7;
		}
		length += 3;

		if (offset > op)
			return XPRESS_EOFFSET;
		if (length > (uint64_t)(out_cap - op))
			return XPRESS_EOVERFLOW;
		const uint8_t *src = out + op - offset;
		uint8_t *dst = out + op;
		if (offset >= 8 && (uint64_t)(out_cap - op) >= length + 8) {
			/*
			 * Most matches are short: copy 8 bytes at a time, which may
			 * write up to 7 bytes past the match (inside out_cap, and
			 * overwritten by what follows). With offset >= 8 every
			 * chunk reads bytes already written.
			 */
			for (size_t i = 0; i < (size_t)length; i += 8)
				memcpy(dst + i, src + i, 8);
		} else {
			/* Byte by byte: overlapping copies (offset < length) repeat a pattern. */
			for (size_t i = 0; i < (size_t)length; i++)
				dst[i] = src[i];
		}
		op += (size_t)length;
	}
	*out_len = op;
	return XPRESS_OK;
}

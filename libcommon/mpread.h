/*
 * mpread.h - a bounds-checked msgpack cursor for reading records in place.
 * Nothing is allocated and no declared length is trusted: every length is
 * checked against the bytes that remain before anything is read.
 *
 * (msgpack-c's unpacker builds an object tree per record and sizes containers
 * from their declared counts before reading them; the stream reader needs
 * neither, so it reads with this cursor. Streams are written with msgpack-c.)
 */
#ifndef TM_MPREAD_H
#define TM_MPREAD_H

#include <stddef.h>
#include <stdint.h>

enum mpr_status {
	MPR_OK    = 0,
	MPR_SHORT = -1,		/* the object continues past the end of the buffer */
	MPR_BAD   = -2,		/* not the expected type, or malformed */
	MPR_DEEP  = -3,		/* nesting deeper than allowed */
};

/* Maximum nesting accepted by mpr_skip. */
#define MPR_MAX_DEPTH 32

struct mpr {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void mpr_init(struct mpr *c, const void *buf, size_t len)
{
	c->p = buf;
	c->end = (const uint8_t *)buf + len;
}

static inline size_t mpr_left(const struct mpr *c)
{
	return (size_t)(c->end - c->p);
}

/* Skip one complete object (any type). */
int mpr_skip(struct mpr *c);

/*
 * Where does an object end, when its bytes arrive in pieces? Call mpr_scan
 * with the object's first bytes, then again with the same bytes and more
 * after each MPR_SHORT: the work done is linear in the object's size however
 * many calls it takes (an array of 2^26 one-byte elements arriving a MiB at a
 * time is walked once, not 64 times). MPR_OK: the object is s->off bytes.
 */
struct mpr_scan {
	size_t off;				/* bytes walked so far */
	unsigned levels;			/* open levels, the object's own included */
	uint64_t left[MPR_MAX_DEPTH + 2];	/* objects still due at each level */
};
void mpr_scan_init(struct mpr_scan *s);
int mpr_scan(struct mpr_scan *s, const uint8_t *buf, size_t len);

/* Typed reads; on failure the cursor does not move. */
int mpr_uint(struct mpr *c, uint64_t *v);	/* any non-negative integer */
int mpr_u32(struct mpr *c, uint32_t *v);	/* ... that fits 32 bits */
int mpr_str(struct mpr *c, const char **s, uint32_t *len);
int mpr_bin(struct mpr *c, const uint8_t **p, uint32_t *len);
int mpr_array(struct mpr *c, uint32_t *n);
int mpr_map(struct mpr *c, uint32_t *n);
/* 1 and advance if the next object is nil, else 0. */
int mpr_nil(struct mpr *c);

/* Little-endian loads for bin columns. */
static inline uint32_t mpr_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t mpr_le64(const uint8_t *p)
{
	return (uint64_t)mpr_le32(p) | (uint64_t)mpr_le32(p + 4) << 32;
}

#endif

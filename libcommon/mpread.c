/*
 * mpread.c - bounds-checked msgpack reading (see mpread.h). Format reference:
 * the MessagePack specification (github.com/msgpack/msgpack/blob/master/spec.md).
 */
#include "mpread.h"

static inline int need(const struct mpr *c, const uint8_t *p, size_t n)
{
	return (size_t)(c->end - p) >= n;
}

static inline uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Decode the header of the next object: its type byte, the bytes of payload
 * that follow the header directly (str/bin/ext/fixed scalars), and for
 * containers the number of child objects. Returns header length or < 0.
 */
static int header(const struct mpr *c, const uint8_t *p, uint64_t *payload, uint64_t *children)
{
	uint8_t b;
	unsigned lenbytes;

	if (!need(c, p, 1))
		return MPR_SHORT;
	b = p[0];
	*payload = 0;
	*children = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 1;
	if ((b & 0xe0) == 0xa0) {		/* fixstr */
		*payload = b & 0x1f;
		return 1;
	}
	if ((b & 0xf0) == 0x90) {		/* fixarray */
		*children = b & 0x0f;
		return 1;
	}
	if ((b & 0xf0) == 0x80) {		/* fixmap */
		*children = 2u * (b & 0x0f);
		return 1;
	}
	switch (b) {
	case 0xcc: case 0xd0: *payload = 1; return 1;
	case 0xcd: case 0xd1: *payload = 2; return 1;
	case 0xce: case 0xd2: case 0xca: *payload = 4; return 1;
	case 0xcf: case 0xd3: case 0xcb: *payload = 8; return 1;
	case 0xd4: *payload = 2; return 1;	/* fixext 1: type + 1 */
	case 0xd5: *payload = 3; return 1;
	case 0xd6: *payload = 5; return 1;
	case 0xd7: *payload = 9; return 1;
	case 0xd8: *payload = 17; return 1;
	case 0xc4: case 0xd9: lenbytes = 1; break;	/* bin8, str8 */
	case 0xc5: case 0xda: lenbytes = 2; break;
	case 0xc6: case 0xdb: lenbytes = 4; break;
	case 0xc7: case 0xc8: case 0xc9:		/* ext 8/16/32: len + type */
		lenbytes = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
		if (!need(c, p, 1 + lenbytes))
			return MPR_SHORT;
		*payload = be(p + 1, lenbytes) + 1;
		return (int)(1 + lenbytes);
	case 0xdc: case 0xdd:				/* array 16/32 */
		lenbytes = b == 0xdc ? 2 : 4;
		if (!need(c, p, 1 + lenbytes))
			return MPR_SHORT;
		*children = be(p + 1, lenbytes);
		return (int)(1 + lenbytes);
	case 0xde: case 0xdf:				/* map 16/32 */
		lenbytes = b == 0xde ? 2 : 4;
		if (!need(c, p, 1 + lenbytes))
			return MPR_SHORT;
		*children = 2 * be(p + 1, lenbytes);
		return (int)(1 + lenbytes);
	default:					/* 0xc1: never used */
		return MPR_BAD;
	}
	if (!need(c, p, 1 + lenbytes))
		return MPR_SHORT;
	*payload = be(p + 1, lenbytes);
	return (int)(1 + lenbytes);
}

void mpr_scan_init(struct mpr_scan *s)
{
	s->off = 0;
	s->levels = 1;
	s->left[0] = 1;
}

/*
 * Iterative, so that a record whose bytes arrive in pieces is walked once:
 * the state between calls is the offset reached and, per open container, how
 * many objects it still holds.
 */
int mpr_scan(struct mpr_scan *s, const uint8_t *buf, size_t len)
{
	struct mpr c;

	mpr_init(&c, buf, len);
	while (s->levels > 0) {
		uint64_t payload, children;
		int h;

		if (s->left[s->levels - 1] == 0) {
			s->levels--;
			continue;
		}
		if (s->levels - 1 > MPR_MAX_DEPTH)
			return MPR_DEEP;
		h = header(&c, buf + s->off, &payload, &children);
		if (h < 0)
			return h;
		if ((uint64_t)(len - s->off - (size_t)h) < payload)
			return MPR_SHORT;
		s->off += (size_t)h + (size_t)payload;
		s->left[s->levels - 1]--;
		if (children)
			s->left[s->levels++] = children;
	}
	return MPR_OK;
}

int mpr_skip(struct mpr *c)
{
	struct mpr_scan s;
	int r;

	mpr_scan_init(&s);
	r = mpr_scan(&s, c->p, (size_t)(c->end - c->p));
	if (r == MPR_OK)
		c->p += s.off;
	return r;
}

int mpr_uint(struct mpr *c, uint64_t *v)
{
	const uint8_t *p = c->p;
	uint8_t b;
	unsigned n;
	int64_t s;

	if (!need(c, p, 1))
		return MPR_SHORT;
	b = *p;
	if (b <= 0x7f) {
		*v = b;
		c->p++;
		return MPR_OK;
	}
	switch (b) {
	case 0xcc: n = 1; break;
	case 0xcd: n = 2; break;
	case 0xce: n = 4; break;
	case 0xcf: n = 8; break;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		/* Signed encodings of non-negative values are accepted. */
		n = 1u << (b - 0xd0);
		if (!need(c, p, 1 + n))
			return MPR_SHORT;
		s = (int64_t)(be(p + 1, n) << (64 - 8 * n)) >> (64 - 8 * n);
		if (s < 0)
			return MPR_BAD;
		*v = (uint64_t)s;
		c->p += 1 + n;
		return MPR_OK;
	default:
		return MPR_BAD;
	}
	if (!need(c, p, 1 + n))
		return MPR_SHORT;
	*v = be(p + 1, n);
	c->p += 1 + n;
	return MPR_OK;
}

int mpr_u32(struct mpr *c, uint32_t *v)
{
	struct mpr save = *c;
	uint64_t x;
	int r = mpr_uint(c, &x);

	if (r < 0)
		return r;
	if (x > UINT32_MAX) {
		*c = save;
		return MPR_BAD;
	}
	*v = (uint32_t)x;
	return MPR_OK;
}

static int lenpref(struct mpr *c, int want_str, const uint8_t **out, uint32_t *len)
{
	const uint8_t *p = c->p;
	uint64_t payload, children;
	uint8_t b;
	int h;

	if (!need(c, p, 1))
		return MPR_SHORT;
	b = *p;
	if (want_str) {
		if (!((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xdb))
			return MPR_BAD;
	} else if (!(b == 0xc4 || b == 0xc5 || b == 0xc6)) {
		return MPR_BAD;
	}
	h = header(c, p, &payload, &children);
	if (h < 0)
		return h;
	if ((uint64_t)(c->end - p - h) < payload)
		return MPR_SHORT;
	*out = p + h;
	*len = (uint32_t)payload;
	c->p = p + h + payload;
	return MPR_OK;
}

int mpr_str(struct mpr *c, const char **s, uint32_t *len)
{
	return lenpref(c, 1, (const uint8_t **)s, len);
}

int mpr_bin(struct mpr *c, const uint8_t **p, uint32_t *len)
{
	return lenpref(c, 0, p, len);
}

static int container(struct mpr *c, int want_map, uint32_t *n)
{
	const uint8_t *p = c->p;
	uint64_t payload, children;
	uint8_t b;
	int h;

	if (!need(c, p, 1))
		return MPR_SHORT;
	b = *p;
	if (want_map ? !((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf)
		     : !((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd))
		return MPR_BAD;
	h = header(c, p, &payload, &children);
	if (h < 0)
		return h;
	if (want_map)
		children /= 2;
	/* A count that cannot fit in what remains is malformed, not short:
	 * the cursor is only used on records already checked by mpr_skip. */
	if (children > (uint64_t)(c->end - p - h))
		return MPR_BAD;
	*n = (uint32_t)children;
	c->p = p + h;
	return MPR_OK;
}

int mpr_array(struct mpr *c, uint32_t *n)
{
	return container(c, 0, n);
}

int mpr_map(struct mpr *c, uint32_t *n)
{
	return container(c, 1, n);
}

int mpr_nil(struct mpr *c)
{
	if (c->p < c->end && *c->p == 0xc0) {
		c->p++;
		return 1;
	}
	return 0;
}

/*
 * slotindex.h - an open-addressing index from 64-bit hashes to the entries
 * of an array its user keeps (the edge tables of trace-dedup and
 * trace-merge). The user appends entries and compares keys; the index only
 * finds candidates.
 *
 * A slot holds the hash's low half as a tag and the entry number + 1 (0 is
 * empty). Probing is linear from a home slot taken from the hash's high bits
 * scaled to the index size, which need not be a power of two: it grows by
 * 3/2 and 4/3 in turn (1024, 1536, 2048, 3072, ...) when 2/3 full, so it
 * stays between 4/9 and 2/3 full, 12 to 18 bytes per entry. Growing happens
 * in place (mem_big_grow moves the huge pages, nothing is copied) and
 * rebuilds the index from the entries, so an old and a new index never
 * coexist and only the added slots are new memory.
 *
 * Typical probe:
 *
 *	for (pos = slotindex_home(x, h); (s = x->slots[pos]); pos = slotindex_next(x, pos))
 *		if (slotindex_tag_eq(s, h) && key_eq(&entries[slotindex_entry(s)], key))
 *			return found;
 */
#ifndef TM_SLOTINDEX_H
#define TM_SLOTINDEX_H

#include <stddef.h>
#include <stdint.h>

struct slotindex {
	uint64_t *slots;
	size_t nslots, cap;	/* slots in use; allocated */
};

static inline size_t slotindex_home(const struct slotindex *x, uint64_t h)
{
	return (size_t)(((unsigned __int128)h * x->nslots) >> 64);
}

static inline size_t slotindex_next(const struct slotindex *x, size_t pos)
{
	return ++pos == x->nslots ? 0 : pos;
}

static inline int slotindex_tag_eq(uint64_t slot, uint64_t h)
{
	return (uint32_t)(slot >> 32) == (uint32_t)h;
}

static inline size_t slotindex_entry(uint64_t slot)
{
	return (uint32_t)slot - 1;
}

/* Whether the index must grow before a new entry joins n indexed ones. */
static inline int slotindex_full(const struct slotindex *x, size_t n)
{
	return (n + 1) * 3 > x->nslots * 2;
}

/* Index entry number `entry` (below UINT32_MAX - 1) under hash h. */
static inline void slotindex_put(struct slotindex *x, uint64_t h, size_t entry)
{
	size_t pos = slotindex_home(x, h);

	while (x->slots[pos])
		pos = slotindex_next(x, pos);
	x->slots[pos] = (uint64_t)(uint32_t)h << 32 | (uint64_t)(entry + 1);
}

/*
 * The prefetch helpers are always inlined: GCC otherwise judges a function
 * whose only effect is __builtin_prefetch to be pure, and drops calls to it
 * whose result is unused, which is every call.
 */
#define SLOTINDEX_INLINE static inline __attribute__((always_inline))

/* Prefetch the home slot of h (the first step of a pipelined probe). */
SLOTINDEX_INLINE void slotindex_prefetch(const struct slotindex *x, uint64_t h)
{
	if (x->nslots)
		__builtin_prefetch(&x->slots[slotindex_home(x, h)]);
}

/*
 * The entry h most likely names: the first whose slot carries h's tag, from
 * the home slot on; SIZE_MAX when there is none. A hint, not a match: the
 * caller still compares keys.
 */
SLOTINDEX_INLINE size_t slotindex_candidate(const struct slotindex *x, uint64_t h)
{
	uint64_t s;
	size_t pos;

	if (!x->nslots)
		return SIZE_MAX;
	for (pos = slotindex_home(x, h); (s = x->slots[pos]) != 0; pos = slotindex_next(x, pos))
		if (slotindex_tag_eq(s, h))
			return slotindex_entry(s);
	return SIZE_MAX;
}

/*
 * Prefetch the candidate entry of h (the second step, once the first has
 * brought its slots in): its first and last byte, as an entry whose size is
 * not a multiple of the cache line may straddle two. Prefetching the home
 * slot's entry instead would miss every key that linear probing displaced.
 */
SLOTINDEX_INLINE void slotindex_prefetch_entry(const struct slotindex *x, uint64_t h, const void *entries,
    size_t elsize)
{
	size_t i = slotindex_candidate(x, h);

	if (i != SIZE_MAX) {
		const char *p = (const char *)entries + i * elsize;

		__builtin_prefetch(p);
		__builtin_prefetch(p + elsize - 1);
	}
}

/*
 * The probe pipeline over a block of n hashes: before probing hash i, call
 * slotindex_prefetch_ahead, which prefetches the slot of hash i +
 * SLOTINDEX_SLOT_AHEAD and the entry of hash i + SLOTINDEX_ENTRY_AHEAD, so
 * that about SLOTINDEX_SLOT_AHEAD cache misses are in flight at any time;
 * slotindex_prefetch_start primes the first of them.
 */
#define SLOTINDEX_SLOT_AHEAD 32
#define SLOTINDEX_ENTRY_AHEAD 16

SLOTINDEX_INLINE void slotindex_prefetch_start(const struct slotindex *x, const uint64_t *h, size_t n,
    const void *entries, size_t elsize)
{
	size_t i;

	for (i = 0; i < n && i < SLOTINDEX_SLOT_AHEAD; i++)
		slotindex_prefetch(x, h[i]);
	for (i = 0; i < n && i < SLOTINDEX_ENTRY_AHEAD; i++)
		slotindex_prefetch_entry(x, h[i], entries, elsize);
}

SLOTINDEX_INLINE void slotindex_prefetch_ahead(const struct slotindex *x, const uint64_t *h, size_t n,
    size_t i, const void *entries, size_t elsize)
{
	if (i + SLOTINDEX_SLOT_AHEAD < n)
		slotindex_prefetch(x, h[i + SLOTINDEX_SLOT_AHEAD]);
	if (i + SLOTINDEX_ENTRY_AHEAD < n)
		slotindex_prefetch_entry(x, h[i + SLOTINDEX_ENTRY_AHEAD], entries, elsize);
}

/*
 * Grow to the next size and index entries 0..n-1 again, hash_of(ctx, i)
 * giving entry i's hash. 0, or -1 on allocation failure (the index is then
 * unchanged).
 */
int slotindex_grow(struct slotindex *x, size_t n, uint64_t (*hash_of)(const void *ctx, size_t i),
    const void *ctx);

/* Empty every slot, keeping the size. */
void slotindex_clear(struct slotindex *x);

void slotindex_free(struct slotindex *x);

static inline size_t slotindex_bytes(const struct slotindex *x)
{
	return x->nslots * sizeof(*x->slots);
}

#endif

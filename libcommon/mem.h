/*
 * mem.h - allocation helpers: overflow-checked growth of arrays, and the
 * 64-bit hash used by every hash table in the toolchain.
 */
#ifndef TM_MEM_H
#define TM_MEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Ensure *p (an array of elsize-byte elements with *cap slots) has room for
 * `need` elements, growing geometrically. Returns 0, or -1 (nothing changed)
 * on overflow or allocation failure.
 */
int mem_grow(void **p, size_t *cap, size_t need, size_t elsize);

/*
 * Large zero-filled allocations for hash tables that are accessed at random:
 * backed by transparent huge pages where the system allows it, which saves a
 * TLB miss on most probes. NULL on failure; free with the same size.
 */
void *mem_big_alloc(size_t bytes);
void mem_big_free(void *p, size_t bytes);

/* A fast, well-mixed 64-bit hash of len bytes (not cryptographic). */
uint64_t mem_hash(const void *data, size_t len, uint64_t seed);

/* Mix a 64-bit integer into a hash value. */
static inline uint64_t mem_hash_u64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

#endif

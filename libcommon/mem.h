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
 * Large zero-filled blocks: tables accessed at random and arrays that grow
 * to many megabytes. From MEM_BIG_MIN bytes on, a block is a mapping of its
 * own backed by transparent huge pages where the system allows it (fewer TLB
 * misses, far fewer page faults), so it occupies whole 2 MiB pages. NULL on
 * failure; free with mem_big_free and the size it was allocated with.
 */
#define MEM_BIG_MIN ((size_t)1 << 20)
void *mem_big_alloc(size_t bytes);
void mem_big_free(void *p, size_t bytes);

/*
 * mem_grow for arrays held in mem_big_alloc blocks: new elements are zero;
 * free with mem_big_free(*p, *cap * elsize).
 */
int mem_big_grow(void **p, size_t *cap, size_t need, size_t elsize);

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

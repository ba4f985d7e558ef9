/*
 * mem.c - allocation helpers and hashing (see mem.h).
 */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/* The capacity an array of cap elements grows to for need (doubling), 0 on overflow. */
static size_t grown_cap(size_t cap, size_t need, size_t elsize)
{
	size_t ncap = cap ? cap : 16;

	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return 0;
		ncap *= 2;
	}
	return elsize && ncap > SIZE_MAX / elsize ? 0 : ncap;
}

int mem_grow(void **p, size_t *cap, size_t need, size_t elsize)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	if (!(ncap = grown_cap(*cap, need, elsize)))
		return -1;
	np = realloc(*p, ncap * elsize);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	/* 64x64 -> 128 multiply folded: the core step of wyhash-style hashes. */
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t mem_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ 0x243f6a8885a308d3ull ^ (len * 0x13198a2e03707344ull);
	size_t i = 0;

	for (; i + 16 <= len; i += 16)
		h = mix(load64(p + i) ^ 0xa4093822299f31d0ull ^ h,
		    load64(p + i + 8) ^ 0x082efa98ec4e6c89ull);
	if (i + 8 <= len) {
		h = mix(load64(p + i) ^ 0x452821e638d01377ull ^ h, 0xbe5466cf34e90c6cull);
		i += 8;
	}
	if (i < len) {
		uint64_t t = 0;

		memcpy(&t, p + i, len - i);
		h = mix(t ^ 0xc0ac29b7c97c50ddull ^ h, 0x3f84d5b5b5470917ull);
	}
	return mix(h, 0x9216d5d98979fb1bull);
}

/*
 * Blocks of MEM_BIG_MIN bytes or more get a mapping of their own, a whole
 * number of 2 MiB pages, 2 MiB-aligned and marked for transparent huge pages
 * before anything touches it. Two reasons: a hash table probed at random then
 * rarely misses the TLB as well as the cache, and a 64 MiB table costs 32 page
 * faults instead of 16,384 - on virtual machines a 4 KiB fault can cost tens
 * of microseconds, which made faulting memory in a large part of a run.
 * Growing such a block moves its pages to a bigger aligned mapping with
 * mremap(2): huge pages move whole (both ends are aligned), nothing is
 * copied, and only the grown part is new memory.
 */
#ifdef __linux__
#define HUGE_PAGE ((size_t)2 << 20)

static size_t big_span(size_t bytes)
{
	return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* A fresh anonymous mapping of span bytes (a multiple of HUGE_PAGE), aligned. */
static char *map_huge(size_t span)
{
	char *raw, *p;

	if (span + HUGE_PAGE < span)
		return NULL;
	/* Over-map by one huge page, then trim both ends to the aligned span. */
	raw = mmap(NULL, span + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + span, (size_t)(raw + HUGE_PAGE - p));
	(void)madvise(p, span, MADV_HUGEPAGE);
	return p;
}
#endif

void *mem_big_alloc(size_t bytes)
{
#ifdef __linux__
	if (bytes >= MEM_BIG_MIN)
		return big_span(bytes) < bytes ? NULL : map_huge(big_span(bytes));
#endif
	return calloc(1, bytes ? bytes : 1);
}

void mem_big_free(void *p, size_t bytes)
{
	if (!p)
		return;
#ifdef __linux__
	if (bytes >= MEM_BIG_MIN) {
		munmap(p, big_span(bytes));
		return;
	}
#endif
	free(p);
}

int mem_big_grow(void **p, size_t *cap, size_t need, size_t elsize)
{
	size_t ncap, old = *cap * elsize;
	void *np;

	if (need <= *cap)
		return 0;
	if (!(ncap = grown_cap(*cap, need, elsize)))
		return -1;
#ifdef __linux__
	if (old >= MEM_BIG_MIN) {
		size_t ospan = big_span(old), nspan = big_span(ncap * elsize);
		char *to;

		/* Room left in the mapping's last huge page: nothing to do. */
		if (nspan <= ospan) {
			*cap = ncap;
			return 0;
		}
		if (nspan < ncap * elsize || !(to = map_huge(nspan)))
			return -1;
		/* The old pages replace the head of the new mapping. */
		if (mremap(*p, ospan, ospan, MREMAP_MAYMOVE | MREMAP_FIXED, to) == MAP_FAILED) {
			munmap(to, nspan);
			return -1;
		}
		*p = to;
		*cap = ncap;
		return 0;
	}
#endif
	np = mem_big_alloc(ncap * elsize);
	if (!np)
		return -1;
	if (old)
		memcpy(np, *p, old);
	mem_big_free(*p, old);
	*p = np;
	*cap = ncap;
	return 0;
}

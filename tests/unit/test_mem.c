/*
 * test_mem.c - big blocks (mem_big_alloc, mem_big_grow).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "unit.h"

/* Grown one element at a time across MEM_BIG_MIN: values kept, new ones zero. */
static void test_big_grow(void)
{
	uint32_t *a = NULL;
	size_t cap = 0, n = 3 * MEM_BIG_MIN / sizeof(*a), i, bad = 0;
	void *p = NULL;

	for (i = 0; i < n; i++) {
		p = a;
		if (mem_big_grow(&p, &cap, i + 1, sizeof(*a)) < 0)
			break;
		a = p;
		if (a[i] != 0)
			bad++;
		a[i] = (uint32_t)(i * 2654435761u);
	}
	CHECK_EQ_U64(i, n);
	CHECK(cap >= n);
	CHECK_EQ_U64(bad, 0);
	for (i = 0, bad = 0; i < n; i++)
		if (a[i] != (uint32_t)(i * 2654435761u))
			bad++;
	CHECK_EQ_U64(bad, 0);
	mem_big_free(a, cap * sizeof(*a));
}

#ifdef __linux__
/* A big block is 2 MiB-aligned, and grows in place while its last huge page has room. */
static void test_big_layout(void)
{
	size_t cap = MEM_BIG_MIN, before;
	void *p = mem_big_alloc(cap), *q;

	CHECK(p != NULL);
	CHECK(((uintptr_t)p & ((2u << 20) - 1)) == 0);
	q = p;
	CHECK(mem_big_grow(&q, &cap, 2 * MEM_BIG_MIN, 1) == 0);
	CHECK(q == p && cap == 2 * MEM_BIG_MIN);
	before = cap;
	CHECK(mem_big_grow(&q, &cap, before + 1, 1) == 0);
	CHECK(q != p && cap == 2 * before);
	CHECK(((uintptr_t)q & ((2u << 20) - 1)) == 0);
	mem_big_free(q, cap);
	/* Small blocks come from malloc: freeing them with their size is enough. */
	p = mem_big_alloc(100);
	CHECK(p != NULL && ((unsigned char *)p)[99] == 0);
	mem_big_free(p, 100);
}
#endif

int main(void)
{
	RUN(test_big_grow);
#ifdef __linux__
	RUN(test_big_layout);
#endif
	UNIT_END();
}

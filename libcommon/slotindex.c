/*
 * slotindex.c - growing and freeing the hash index of slotindex.h.
 */
#include "slotindex.h"

#include <string.h>

#include "mem.h"

int slotindex_grow(struct slotindex *x, size_t n, uint64_t (*hash_of)(const void *ctx, size_t i),
    const void *ctx)
{
	size_t old = x->nslots, i;
	size_t want = !old ? 1024 : (old & (old - 1)) ? old / 3 * 4 : old / 2 * 3;
	void *p = x->slots;

	if (mem_big_grow(&p, &x->cap, want, sizeof(*x->slots)) < 0)
		return -1;
	x->slots = p;
	x->nslots = want;
	/* Slots past the old size were never written: only the old ones need clearing. */
	memset(x->slots, 0, old * sizeof(*x->slots));
	for (i = 0; i < n; i++)
		slotindex_put(x, hash_of(ctx, i), i);
	return 0;
}

void slotindex_clear(struct slotindex *x)
{
	if (x->nslots)
		memset(x->slots, 0, x->nslots * sizeof(*x->slots));
}

void slotindex_free(struct slotindex *x)
{
	mem_big_free(x->slots, x->cap * sizeof(*x->slots));
	x->slots = NULL;
	x->nslots = x->cap = 0;
}

/*
 * idmap.c - open addressing with linear probing (see idmap.h). The slot is
 * chosen from the tag (the high 32 bits of the hash), which is all the table
 * keeps, so growing never needs the keys; comparing tags first rejects most
 * collisions without touching the caller's key arrays. Tag and id share one
 * 8-byte slot: a lookup that misses the cache misses it once, not twice.
 */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void idmap_free(struct idmap *m)
{
	mem_big_free(m->slots, idmap_bytes(m));
	idmap_init(m);
}

void idmap_clear(struct idmap *m)
{
	if (m->slots)
		memset(m->slots, 0, (m->mask + 1) * sizeof(*m->slots));
	m->count = 0;
}

uint32_t idmap_find(const struct idmap *m, uint64_t h, idmap_eq_fn eq, const void *ctx,
    const void *key)
{
	uint32_t tag = (uint32_t)(h >> 32);
	size_t i;

	if (!m->slots)
		return 0;
	for (i = tag & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];

		if (!s)
			return 0;
		if ((uint32_t)(s >> 32) == tag && eq(ctx, (uint32_t)s, key))
			return (uint32_t)s;
	}
}

static void place(uint64_t *slots, size_t mask, uint64_t slot)
{
	size_t i = (size_t)(slot >> 32) & mask;

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = slot;
}

static int rehash(struct idmap *m, size_t ncap)
{
	/* Big tables on huge pages: a probe then rarely misses the TLB as well. */
	uint64_t *slots = mem_big_alloc(ncap * sizeof(*slots));
	size_t i;

	if (!slots)
		return -1;
	for (i = 0; m->slots && i <= m->mask; i++)
		if (m->slots[i])
			place(slots, ncap - 1, m->slots[i]);
	mem_big_free(m->slots, idmap_bytes(m));
	m->slots = slots;
	m->mask = ncap - 1;
	return 0;
}

int idmap_reserve(struct idmap *m, size_t n)
{
	size_t ncap = m->slots ? m->mask + 1 : 64;

	while (ncap / 4 * 3 < n && ncap <= ((size_t)1 << 33))
		ncap *= 2;
	if (ncap > ((size_t)1 << 33))
		return -1;
	return m->slots && ncap == m->mask + 1 ? 0 : rehash(m, ncap);
}

int idmap_insert(struct idmap *m, uint64_t h, uint32_t id)
{
	/*
	 * Keep the load factor at or below 3/4. Slots are 8 bytes, eight to a
	 * cache line, so even the longer probe sequences of a fuller table
	 * mostly stay within the line the first slot is in; a sparser table
	 * would cost more memory than probing saves.
	 */
	if (!m->slots || m->count + 1 > (m->mask + 1) / 4 * 3) {
		size_t ncap = m->slots ? (m->mask + 1) * 2 : 64;

		if (ncap > ((size_t)1 << 33) || rehash(m, ncap) < 0)
			return -1;
	}
	place(m->slots, m->mask, (h >> 32) << 32 | id);
	m->count++;
	return 0;
}

size_t idmap_bytes(const struct idmap *m)
{
	return m->slots ? (m->mask + 1) * sizeof(*m->slots) : 0;
}

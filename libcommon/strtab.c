/*
 * strtab.c - string tables (see strtab.h).
 */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define STRTAB_SEED 0x5f3759df

void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	idmap_init(&t->map);
}

void strtab_free(struct strtab *t)
{
	mem_big_free(t->bytes, t->cap);
	mem_big_free(t->ents, t->ents_cap * sizeof(*t->ents));
	idmap_free(&t->map);
	strtab_init(t);
}

void strtab_reset(struct strtab *t)
{
	t->used = 0;
	t->n = 0;
	idmap_clear(&t->map);
}

int strtab_reserve(struct strtab *t, size_t n, size_t bytes)
{
	void *p = t->bytes, *ents = t->ents;

	if (mem_big_grow(&p, &t->cap, t->used + bytes, 1) < 0)
		return -1;
	t->bytes = p;
	if (mem_big_grow(&ents, &t->ents_cap, t->n + n + 1, sizeof(*t->ents)) < 0)
		return -1;
	t->ents = ents;
	return idmap_reserve(&t->map, t->map.count + n);
}

uint32_t strtab_append(struct strtab *t, const char *s, size_t len)
{
	void *bytes = t->bytes, *ents = t->ents;

	if (len > UINT32_MAX || t->n >= UINT32_MAX - 1)
		return 0;
	if (mem_big_grow(&bytes, &t->cap, t->used + len + 1, 1) < 0)
		return 0;
	t->bytes = bytes;
	if (mem_big_grow(&ents, &t->ents_cap, t->n + 2, sizeof(*t->ents)) < 0)
		return 0;
	t->ents = ents;
	if (len)
		memcpy(t->bytes + t->used, s, len);
	t->bytes[t->used + len] = '\0';
	t->n++;
	t->ents[t->n].off = t->used;
	t->ents[t->n].len = (uint32_t)len;
	t->used += len + 1;
	return (uint32_t)t->n;
}

struct strkey {
	const char *s;
	size_t len;
};

static int str_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct strtab *t = ctx;
	const struct strkey *k = key;

	return t->ents[id].len == k->len && memcmp(t->bytes + t->ents[id].off, k->s, k->len) == 0;
}

uint32_t strtab_find(const struct strtab *t, const char *s, size_t len)
{
	struct strkey k = { s, len };

	return idmap_find(&t->map, mem_hash(s, len, STRTAB_SEED), str_eq, t, &k);
}

uint32_t strtab_intern(struct strtab *t, const char *s, size_t len)
{
	struct strkey k = { s, len };
	uint64_t h = mem_hash(s, len, STRTAB_SEED);
	uint32_t id = idmap_find(&t->map, h, str_eq, t, &k);

	if (id)
		return id;
	id = strtab_append(t, s, len);
	if (id && idmap_insert(&t->map, h, id) < 0) {
		t->n--;
		t->used -= len + 1;
		return 0;
	}
	return id;
}

size_t strtab_bytes(const struct strtab *t)
{
	return t->cap + t->ents_cap * sizeof(*t->ents) + idmap_bytes(&t->map);
}

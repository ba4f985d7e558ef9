/*
 * strtab.h - a string table: ids 1..n for byte strings kept NUL-terminated in
 * one growing arena. Interning (find-or-add) for writers, plain append for readers.
 */
#ifndef TM_STRTAB_H
#define TM_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "idmap.h"

struct strtab_ent {
	uint64_t off;
	uint32_t len;
	uint32_t pad;
};

struct strtab {
	char *bytes;
	size_t used, cap;
	struct strtab_ent *ents;	/* ents[id], ents[0] unused */
	size_t n, ents_cap;		/* n = highest id */
	struct idmap map;		/* only used by strtab_intern */
};

void strtab_init(struct strtab *t);
void strtab_free(struct strtab *t);
/* Forget every string but keep the memory. */
void strtab_reset(struct strtab *t);

/* Make room for n more strings of `bytes` bytes in all (NULs included), so
 * that adding them never moves the arena or rehashes. 0 or -1. */
int strtab_reserve(struct strtab *t, size_t n, size_t bytes);

/* Id of s[0..len), adding it when new. 0 on allocation failure. */
uint32_t strtab_intern(struct strtab *t, const char *s, size_t len);
/* Id of s if present, else 0. */
uint32_t strtab_find(const struct strtab *t, const char *s, size_t len);
/* Add without looking for an equal string (next id). 0 on allocation failure. */
uint32_t strtab_append(struct strtab *t, const char *s, size_t len);

/* The string of id (NUL-terminated), or NULL when id is 0 or out of range. */
static inline const char *strtab_get(const struct strtab *t, uint32_t id, size_t *len)
{
	if (id == 0 || id > t->n)
		return NULL;
	if (len)
		*len = t->ents[id].len;
	return t->bytes + t->ents[id].off;
}

size_t strtab_bytes(const struct strtab *t);

#endif

/*
 * idmap.h - an open-addressing hash index from keys to small integer ids.
 * The keys live in the caller's own arrays; the map stores only (hash, id).
 */
#ifndef TM_IDMAP_H
#define TM_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *slots;	/* tag << 32 | id per slot (tag: the hash's high 32
				 * bits, in the same cache line as the id); 0 = empty */
	size_t mask;		/* capacity - 1 (power of two), 0 when unallocated */
	size_t count;
};

/* Returns nonzero when the key stored under `id` equals `key`. */
typedef int (*idmap_eq_fn)(const void *ctx, uint32_t id, const void *key);

void idmap_init(struct idmap *m);
void idmap_free(struct idmap *m);
void idmap_clear(struct idmap *m);

/* The id of `key` (hash h), or 0. */
uint32_t idmap_find(const struct idmap *m, uint64_t h, idmap_eq_fn eq, const void *ctx,
    const void *key);

/* Insert id (>= 1) under hash h; the key must not be present. 0 or -1 (ENOMEM). */
int idmap_insert(struct idmap *m, uint64_t h, uint32_t id);

/* Make room for n keys in all, so that inserting them never rehashes. 0 or -1. */
int idmap_reserve(struct idmap *m, size_t n);

/* Bytes of memory held. */
size_t idmap_bytes(const struct idmap *m);

#endif

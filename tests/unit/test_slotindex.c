/*
 * test_slotindex.c - the hash index of the edge tables (slotindex.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "slotindex.h"
#include "unit.h"

#define N 100000

static uint64_t hashes[N];

static uint64_t hash_at(const void *ctx, size_t i)
{
	return ((const uint64_t *)ctx)[i];
}

/* How many indexed entries probing for h meets whose hash is h; whether `entry` is one. */
static size_t candidates(const struct slotindex *x, uint64_t h, size_t entry, int *found)
{
	size_t pos, n = 0;
	uint64_t s;

	*found = 0;
	for (pos = slotindex_home(x, h); (s = x->slots[pos]) != 0; pos = slotindex_next(x, pos))
		if (slotindex_tag_eq(s, h) && hashes[slotindex_entry(s)] == h) {
			n++;
			if (slotindex_entry(s) == entry)
				*found = 1;
		}
	return n;
}

/* Entries added one by one: sizes 1024, 1536, 2048, ...; 4/9 to 2/3 full; every entry found. */
static void test_grow_and_find(void)
{
	struct slotindex x = { 0 };
	uint64_t r = 0x243f6a8885a308d3ull;
	size_t i, sizes_bad = 0, load_bad = 0, missing = 0, prev = 0;
	int found;

	for (i = 0; i < N; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		hashes[i] = r;
		if (slotindex_full(&x, i)) {
			CHECK(slotindex_grow(&x, i, hash_at, hashes) == 0);
			if (prev && x.nslots != (prev & (prev - 1) ? prev / 3 * 4 : prev / 2 * 3))
				sizes_bad++;
			if (!prev && x.nslots != 1024)
				sizes_bad++;
			prev = x.nslots;
		}
		slotindex_put(&x, hashes[i], i);
		if ((i + 1) * 3 > x.nslots * 2 || (x.nslots > 1024 && (i + 1) * 9 < x.nslots * 4))
			load_bad++;
	}
	CHECK_EQ_U64(sizes_bad, 0);
	CHECK_EQ_U64(load_bad, 0);
	/* 100,000 entries: 196,608 slots (3/2 of 2^17), past the 1 MiB of a big block. */
	CHECK_EQ_U64(x.nslots, 196608);
	CHECK_EQ_U64(slotindex_bytes(&x), 196608 * 8);
	for (i = 0; i < N; i++)
		if (candidates(&x, hashes[i], i, &found) != 1 || !found)
			missing++;
	CHECK_EQ_U64(missing, 0);
	/* No two of these hashes share a tag, so each one's candidate is its own entry. */
	for (i = 0, missing = 0; i < N; i++)
		missing += slotindex_candidate(&x, hashes[i]) != i;
	CHECK_EQ_U64(missing, 0);
	slotindex_clear(&x);
	CHECK_EQ_U64(x.nslots, 196608);
	for (i = 0, missing = 0; i < x.nslots; i++)
		missing += x.slots[i] != 0;
	CHECK_EQ_U64(missing, 0);
	slotindex_free(&x);
	CHECK(x.slots == NULL && x.nslots == 0);
}

/*
 * Equal hashes all come up as candidates (the caller tells them apart by
 * key), and probing wraps from the last slot to the first.
 */
static void test_collisions_and_wrap(void)
{
	struct slotindex x = { 0 };
	size_t i, n;
	int found, all = 1;

	CHECK(slotindex_candidate(&x, 7) == SIZE_MAX);
	CHECK(slotindex_grow(&x, 0, hash_at, hashes) == 0);
	CHECK_EQ_U64(x.nslots, 1024);
	/* The highest hash's home is the last slot. */
	for (i = 0; i < 40; i++) {
		hashes[i] = UINT64_MAX;
		slotindex_put(&x, hashes[i], i);
	}
	CHECK_EQ_U64(slotindex_home(&x, UINT64_MAX), 1023);
	CHECK(x.slots[0] != 0 && x.slots[1023] != 0);
	for (i = 0; i < 40; i++) {
		n = candidates(&x, UINT64_MAX, i, &found);
		all &= n == 40 && found;
	}
	CHECK(all);
	/* The candidate is the first of them, in the last slot; a hash whose
	 * probe runs from slot 0 through the wrapped ones to a free slot has none. */
	CHECK_EQ_U64(slotindex_candidate(&x, UINT64_MAX), 0);
	CHECK_EQ_U64(slotindex_home(&x, 5), 0);
	CHECK(slotindex_candidate(&x, 5) == SIZE_MAX);
	/* Growing keeps them all. */
	CHECK(slotindex_grow(&x, 40, hash_at, hashes) == 0);
	CHECK_EQ_U64(x.nslots, 1536);
	CHECK_EQ_U64(candidates(&x, UINT64_MAX, 39, &found), 40);
	CHECK(found);
	slotindex_free(&x);
}

int main(void)
{
	RUN(test_grow_and_find);
	RUN(test_collisions_and_wrap);
	UNIT_END();
}

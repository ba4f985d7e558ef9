/*
 * test_mpread.c - the bounds-checked msgpack cursor against every encoding
 * msgpack-c produces, and against lengths that lie.
 */
#include <msgpack.h>
#include <string.h>

#include "mpread.h"
#include "unit.h"

static void test_uints(void)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295ull,
		4294967296ull, UINT64_MAX };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mpr c;
	size_t i;
	uint64_t v;
	uint32_t v32;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		msgpack_pack_uint64(&pk, vals[i]);
	msgpack_pack_int8(&pk, 5);		/* signed encodings of non-negative values */
	msgpack_pack_int64(&pk, -1);
	mpr_init(&c, sb.data, sb.size);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		CHECK(mpr_uint(&c, &v) == MPR_OK);
		CHECK_EQ_U64(v, vals[i]);
	}
	CHECK(mpr_u32(&c, &v32) == MPR_OK && v32 == 5);
	CHECK(mpr_uint(&c, &v) == MPR_BAD);	/* negative */
	msgpack_sbuffer_destroy(&sb);

	mpr_init(&c, "\xcf\x00\x00\x00\x01\x00\x00\x00\x00", 9);
	CHECK(mpr_u32(&c, &v32) == MPR_BAD);
	CHECK(mpr_left(&c) == 9);			/* the cursor did not move */
	mpr_init(&c, "\xcf\x00\x00", 3);
	CHECK(mpr_uint(&c, &v) == MPR_SHORT);
}

static void test_containers_and_strings(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mpr c;
	const char *s;
	const uint8_t *b;
	uint32_t n, len;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "key", 3);
	msgpack_pack_array(&pk, 20);
	for (n = 0; n < 20; n++)
		msgpack_pack_bin(&pk, n), msgpack_pack_bin_body(&pk, "01234567890123456789", n);
	msgpack_pack_double(&pk, 1.5);
	mpr_init(&c, sb.data, sb.size);
	CHECK(mpr_skip(&c) == MPR_OK);
	CHECK(mpr_skip(&c) == MPR_OK);
	CHECK(mpr_left(&c) == 0);
	mpr_init(&c, sb.data, sb.size);
	CHECK(mpr_map(&c, &n) == MPR_OK && n == 1);
	CHECK(mpr_str(&c, &s, &len) == MPR_OK && len == 3 && memcmp(s, "key", 3) == 0);
	CHECK(mpr_array(&c, &n) == MPR_OK && n == 20);
	CHECK(mpr_str(&c, &s, &len) == MPR_BAD);	/* bin is not str */
	CHECK(mpr_bin(&c, &b, &len) == MPR_OK && len == 0);
	/* A truncated copy of the map is short everywhere, never read past the end. */
	for (n = 0; n < sb.size - 9; n++) {
		mpr_init(&c, sb.data, n);
		CHECK(mpr_skip(&c) == MPR_SHORT);
	}
	msgpack_sbuffer_destroy(&sb);
}

static void test_lying_lengths(void)
{
	struct mpr c;
	const char *s;
	uint32_t n, len;
	static uint8_t deep[200];

	mpr_init(&c, "\xdd\xff\xff\xff\xff\x01", 6);	/* array32 of 2^32-1, one element */
	CHECK(mpr_skip(&c) == MPR_SHORT);
	CHECK(mpr_array(&c, &n) == MPR_BAD);		/* cannot fit: malformed */
	mpr_init(&c, "\xdb\xff\xff\xff\xf0" "abc", 8);	/* str32 of ~4 GiB */
	CHECK(mpr_skip(&c) == MPR_SHORT);
	CHECK(mpr_str(&c, &s, &len) == MPR_SHORT);
	mpr_init(&c, "\xdf\x80\x00\x00\x00", 5);		/* map32, 2^31 pairs */
	CHECK(mpr_skip(&c) == MPR_SHORT);
	mpr_init(&c, "\xc1", 1);			/* never-used byte */
	CHECK(mpr_skip(&c) == MPR_BAD);
	memset(deep, 0x91, sizeof(deep));		/* fixarray(1) nested 200 deep */
	mpr_init(&c, deep, sizeof(deep));
	CHECK(mpr_skip(&c) == MPR_DEEP);
}

/* Every prefix of a record is short; the whole is found whatever the pieces. */
static void test_scan_in_pieces(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mpr_scan sc;
	static uint8_t big[5 + (1 << 18)];
	size_t i, step;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint64(&pk, 1ull << 40);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "k", 1);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_str_with_body(&pk, "bin", 3);
	msgpack_pack_bin_with_body(&pk, "\x00\x01\x02", 3);
	msgpack_pack_str_with_body(&pk, "tail", 4);
	for (step = 1; step <= sb.size; step++) {
		mpr_scan_init(&sc);
		for (i = step; i < sb.size; i += step)
			CHECK(mpr_scan(&sc, (const uint8_t *)sb.data, i) == MPR_SHORT);
		CHECK(mpr_scan(&sc, (const uint8_t *)sb.data, sb.size) == MPR_OK);
		CHECK(sc.off == sb.size);
	}
	msgpack_sbuffer_destroy(&sb);

	/* 2^18 one-byte elements fed a byte at a time: linear, else hours. */
	big[0] = 0xdd;
	big[1] = 0;
	big[2] = 4;
	big[3] = 0;
	big[4] = 0;
	mpr_scan_init(&sc);
	for (i = 1; i < sizeof(big); i++)
		if (mpr_scan(&sc, big, i) != MPR_SHORT)
			break;
	CHECK(i == sizeof(big));
	CHECK(mpr_scan(&sc, big, sizeof(big)) == MPR_OK && sc.off == sizeof(big));

	/* Nesting: 32 levels below the record are accepted, 33 are not. */
	memset(big, 0x91, 40);
	big[32] = 0x01;
	mpr_scan_init(&sc);
	CHECK(mpr_scan(&sc, big, 33) == MPR_OK && sc.off == 33);
	big[32] = 0x91;
	big[33] = 0x01;
	mpr_scan_init(&sc);
	CHECK(mpr_scan(&sc, big, 34) == MPR_DEEP);
}

int main(void)
{
	RUN(test_uints);
	RUN(test_containers_and_strings);
	RUN(test_lying_lengths);
	RUN(test_scan_in_pieces);
	UNIT_END();
}

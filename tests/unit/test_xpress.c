/*
 * test_xpress.c - MS-XCA plain LZ77 decompression: hand-made streams for each
 * token form, every compressed buffer of the PerfView x64 recording, and
 * malformed input (errors, never out-of-bounds access).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xpress.h"
#include "etl_le.h"
#include "test_etl_fixtures.h"

static int decomp(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *got)
{
	return xpress_lz77_decompress(in, n, out, cap, got);
}

/* 26 literals; the flag bits left over end with a match flag and no input. */
static void test_literals(void)
{
	uint8_t in[4 + 26], out[64];
	size_t got;

	in[0] = 0x3f; in[1] = in[2] = in[3] = 0;
	for (int i = 0; i < 26; i++)
		in[4 + i] = (uint8_t)('a' + i);
	CHECK_EQ_U64(decomp(in, sizeof in, out, sizeof out, &got), XPRESS_OK);
	CHECK_EQ_U64(got, 26);
	CHECK(memcmp(out, "abcdefghijklmnopqrstuvwxyz", 26) == 0);
}

/* "abc" x 100: three literals and one match whose length takes the 16-bit form. */
static void test_long_match(void)
{
	static const uint8_t in[] = { 0xff, 0xff, 0xff, 0x1f, 'a', 'b', 'c',
	    0x17, 0x00, 0x0f, 0xff, 0x26, 0x01 };
	uint8_t out[400];
	size_t got;

	CHECK_EQ_U64(decomp(in, sizeof in, out, sizeof out, &got), XPRESS_OK);
	CHECK_EQ_U64(got, 300);
	int ok = 1;
	for (size_t i = 0; i < 300; i++)
		ok &= out[i] == "abc"[i % 3];
	CHECK(ok);
	/* Exactly enough room is enough; one byte less is an overflow. */
	CHECK_EQ_U64(decomp(in, sizeof in, out, 300, &got), XPRESS_OK);
	CHECK_EQ_U64(decomp(in, sizeof in, out, 299, &got), XPRESS_EOVERFLOW);
}

/* Two matches sharing one length byte: low nibble first, high nibble second. */
static void test_shared_nibble(void)
{
	static const uint8_t in[] = { 0xff, 0xff, 0xff, 0x0f, 'a', 'b', 'c', 'd',
	    0x1f, 0x00, 0x20, 0x1f, 0x00 };
	uint8_t out[64];
	size_t got;

	CHECK_EQ_U64(decomp(in, sizeof in, out, sizeof out, &got), XPRESS_OK);
	CHECK_EQ_U64(got, 4 + 10 + 12);
	int ok = 1;
	for (size_t i = 0; i < got; i++)
		ok &= out[i] == "abcd"[i % 4];
	CHECK(ok);
}

/* The 32-bit length form: a 16-bit 0 then the length minus 3. */
static void test_length32(void)
{
	uint8_t in[] = { 0xff, 0xff, 0xff, 0x7f, 'z', 0x07, 0x00, 0x0f, 0xff,
	    0x00, 0x00, 0, 0, 0, 0 };
	uint32_t len = 70000;
	uint8_t *out = malloc(len + 1);
	size_t got;

	CHECK(out != NULL);
	if (!out)
		return;
	in[11] = (uint8_t)(len - 1 - 3);
	in[12] = (uint8_t)((len - 1 - 3) >> 8);
	in[13] = (uint8_t)((len - 1 - 3) >> 16);
	CHECK_EQ_U64(decomp(in, sizeof in, out, len, &got), XPRESS_OK);
	CHECK_EQ_U64(got, len);
	CHECK(out[0] == 'z' && out[len - 1] == 'z');
	free(out);
}

static void test_errors(void)
{
	uint8_t out[64];
	size_t got;

	/* A match before any output. */
	static const uint8_t before[] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00 };
	CHECK_EQ_U64(decomp(before, sizeof before, out, sizeof out, &got), XPRESS_EOFFSET);
	/* A flag word cut short. */
	static const uint8_t cut[] = { 0x00, 0x00, 0x00 };
	CHECK_EQ_U64(decomp(cut, sizeof cut, out, sizeof out, &got), XPRESS_ETRUNC);
	/* A match word cut short. */
	static const uint8_t half[] = { 0xff, 0xff, 0xff, 0x7f, 'a', 0x00 };
	CHECK_EQ_U64(decomp(half, sizeof half, out, sizeof out, &got), XPRESS_ETRUNC);
	/* Extended length missing. */
	static const uint8_t nolen[] = { 0xff, 0xff, 0xff, 0x7f, 'a', 0x07, 0x00 };
	CHECK_EQ_U64(decomp(nolen, sizeof nolen, out, sizeof out, &got), XPRESS_ETRUNC);
	/* A 16-bit length below 15 + 7 is malformed. */
	static const uint8_t small[] = { 0xff, 0xff, 0xff, 0x7f, 'a', 0x07, 0x00,
	    0x0f, 0xff, 0x05, 0x00 };
	CHECK_EQ_U64(decomp(small, sizeof small, out, sizeof out, &got), XPRESS_ELENGTH);
	/* Literals beyond the capacity. */
	static const uint8_t lits[] = { 0, 0, 0, 0, 'a', 'b', 'c' };
	CHECK_EQ_U64(decomp(lits, sizeof lits, out, 2, &got), XPRESS_EOVERFLOW);
	/* Empty input is an empty output. */
	CHECK_EQ_U64(decomp(lits, 0, out, sizeof out, &got), XPRESS_OK);
	CHECK_EQ_U64(got, 0);
	CHECK(strcmp(xpress_strerror(XPRESS_EOFFSET), "match offset before start of output") == 0);
}

/* Pseudo-random streams: any status is fine, memory safety is the point. */
static void test_random(void)
{
	uint8_t in[512], out[4096];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int ok = 1;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(x % sizeof in);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			in[i] = (uint8_t)x;
		}
		size_t got = 0, cap = (size_t)(x >> 20) % sizeof out;
		int rc = decomp(in, n, out, cap, &got);
		ok &= rc >= XPRESS_OK && rc <= XPRESS_ELENGTH && got <= cap;
	}
	CHECK(ok);
}

/*
 * Every compressed buffer of the x64 recording decompresses to exactly
 * SavedOffset - 0x48 bytes, and the result starts with a trace record.
 */
static void test_fixture_buffers(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	uint8_t *out = malloc(1 << 20);
	unsigned compressed = 0, exact = 0, record = 0;

	CHECK(d != NULL && out != NULL);
	if (!d || !out) {
		free(d);
		free(out);
		return;
	}
	for (size_t off = 0; off + 0x48 <= len;) {
		uint32_t size = etl_le32(d + off), saved = etl_le32(d + off + 4);
		uint16_t flags = etl_le16(d + off + 0x34);
		if (size < 0x48 || size > len - off)
			break;
		if (flags & 0x40) {
			size_t got = 0;
			compressed++;
			int rc = decomp(d + off + 0x48, size - 0x48, out, 1 << 20, &got);
			if (rc == XPRESS_OK && got == saved - 0x48u)
				exact++;
			if (got >= 4 && (out[3] & 0xC0) == 0xC0)
				record++;
		}
		off += size;
	}
	CHECK_EQ_U64(compressed, 359);
	CHECK_EQ_U64(exact, 359);
	CHECK_EQ_U64(record, 359);
	free(out);
	free(d);
}

int main(void)
{
	RUN(test_literals);
	RUN(test_long_match);
	RUN(test_shared_nibble);
	RUN(test_length32);
	RUN(test_errors);
	RUN(test_random);
	if (fx_prepare())
		RUN_IF(fx_have(FX_X64), test_fixture_buffers);
	else
		printf("skip: %s/fixtures/etl not found\n", fx_shared());
	UNIT_END();
}

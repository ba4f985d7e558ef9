/*
 * test_etl_hostile.c - truncated, byte-flipped and hand-corrupted copies of
 * real recordings: the decoder returns a clear error (or decodes what is
 * valid) and never reads out of bounds. Run under `make SANITIZE=1` too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "etl_edges.h"
#include "etl_le.h"
#include "test_etl_fixtures.h"

static int ignore_edge(const struct etl_edge *e, void *ctx)
{
	uint64_t *n = ctx;
	*n += e->count + (e->caller.module[0] != 0) + (e->callee.module[0] != 0);
	return 0;
}

/* Iterate every record; returns 0 at a clean end or the negative error. */
static int drain(const uint8_t *d, size_t len, struct etl_error *err, uint64_t *events)
{
	struct etl_reader *r = etl_reader_open(d, len, err);
	struct etl_event ev;
	int rc;

	*events = 0;
	if (!r)
		return err->code;
	while ((rc = etl_reader_next(r, &ev)) == 1)
		(*events)++;
	if (rc < 0) {
		*err = *etl_reader_error(r);
		/* Errors are sticky. */
		if (etl_reader_next(r, &ev) != rc)
			rc = 1;
	}
	etl_reader_close(r);
	return rc;
}

/* Offset of the end of the first n buffers. */
static size_t prefix_of(const uint8_t *d, size_t len, unsigned n)
{
	size_t off = 0;
	for (unsigned i = 0; i < n && off + 0x48 <= len; i++) {
		uint32_t size = etl_le32(d + off);
		if (size < 0x48 || size > len - off)
			break;
		off += size;
	}
	return off;
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_truncation(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;
	uint64_t events, full;
	int bad = 0, cut_ok = 0, cut_err = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_U64(drain(d, len, &err, &full), 0);
	CHECK_EQ_U64(drain(d, 0, &err, &events), (uint64_t)ETL_EFORMAT);

	/* Every length up to 2 KiB, then 150 lengths spread over the file. */
	for (size_t i = 1; i < 2048 + 150; i++) {
		size_t cut = i < 2048 ? i : 2048 + (size_t)((i - 2048) * (uint64_t)(len - 2048) / 150);
		uint8_t *copy = malloc(cut);	/* exact size: ASan sees any overread */
		if (!copy)
			break;
		memcpy(copy, d, cut);
		memset(&err, 0, sizeof err);
		int rc = drain(copy, cut, &err, &events);
		free(copy);
		if (rc == 0) {
			/* Only a cut on a buffer boundary decodes, and to fewer events. */
			cut_ok++;
			bad += events >= full;
		} else {
			cut_err++;
			bad += (rc != ETL_ETRUNC && rc != ETL_EFORMAT) || err.msg[0] == '\0';
		}
	}
	CHECK_EQ_U64(bad, 0);
	CHECK(cut_ok > 0);
	CHECK(cut_err > 2000);
	free(d);
}

/* Random byte flips in a prefix of a file; edges are built from what decodes. */
static void flip_rounds(const uint8_t *d, size_t len, unsigned rounds, uint64_t seed,
    int *errors, int *clean, int *bad)
{
	uint64_t x = seed;
	uint8_t *copy = malloc(len);

	if (!copy)
		return;
	for (unsigned round = 0; round < rounds; round++) {
		memcpy(copy, d, len);
		unsigned flips = 1 + (unsigned)(rng(&x) % 4);
		for (unsigned f = 0; f < flips; f++) {
			size_t at = (size_t)(rng(&x) % len);
			/* Half the time aim at a buffer or record header region. */
			if (round & 1)
				at = (at & ~(size_t)0x3ff) + (size_t)(rng(&x) % 0x60);
			if (at < len)
				copy[at] ^= (uint8_t)(1 + rng(&x) % 255);
		}
		struct etl_edges_opts o = { .kernel = (int)(round & 2), .all_stacks = (int)(round & 4) };
		struct etl_error err;
		uint64_t sink = 0;
		memset(&err, 0, sizeof err);
		int rc = etl_edges_from_etl(copy, len, &o, ignore_edge, &sink, NULL, &err);
		if (rc == 0) {
			(*clean)++;
		} else {
			(*errors)++;
			*bad += rc > 0 || err.msg[0] == '\0' || err.code != rc;
		}
	}
	free(copy);
}

static void test_flips_compressed(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	int errors = 0, clean = 0, bad = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	/* The header buffer and 12 XPRESS buffers keep each round fast. */
	size_t n = prefix_of(d, len, 13);
	CHECK(n > 100000);
	flip_rounds(d, n, 300, 0x1234567887654321ULL, &errors, &clean, &bad);
	CHECK_EQ_U64(bad, 0);
	CHECK(errors > 50);
	CHECK_EQ_U64(errors + clean, 300);
	free(d);
}

static void test_flips_uncompressed(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_AIRBUS, &len);
	int errors = 0, clean = 0, bad = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	size_t n = prefix_of(d, len, 4);
	CHECK_EQ_U64(n, 4 * 65536);
	flip_rounds(d, n, 300, 0x0badc0ffee0ddf00dULL, &errors, &clean, &bad);
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(errors + clean, 300);
	free(d);

	d = fx_load(FX_RUNDOWN, &len);
	CHECK(d != NULL);
	if (!d)
		return;
	errors = clean = bad = 0;
	flip_rounds(d, len, 300, 0x5eed5eed5eed5eedULL, &errors, &clean, &bad);
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(errors + clean, 300);
	free(d);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Hand-made damage with a known diagnosis. */
static void test_corruptions(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_AIRBUS, &len);
	struct etl_error err;
	uint64_t events;

	CHECK(d != NULL);
	if (!d)
		return;
	size_t n = prefix_of(d, len, 3);
	uint8_t *c = malloc(n + 4096);
	CHECK(c != NULL);
	if (!c) {
		free(d);
		return;
	}

	/* BufferSize 0 followed by data. */
	memcpy(c, d, n);
	put32(c + 65536, 0);
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_ECORRUPT);
	CHECK(strstr(err.msg, "buffer 1 at offset 65536") != NULL);

	/* BufferSize smaller than a buffer header. */
	memcpy(c, d, n);
	put32(c + 65536, 0x10);
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_ECORRUPT);

	/* SavedOffset beyond the buffer. */
	memcpy(c, d, n);
	put32(c + 65536 + 4, 65537);
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_ECORRUPT);
	CHECK(strstr(err.msg, "SavedOffset") != NULL);

	/* A record longer than what is left of its buffer. */
	memcpy(c, d, n);
	c[65536 + 0x48 + 4] = 0xff;	/* SYSTEM/PERFINFO Packet.Size low byte */
	c[65536 + 0x48 + 5] = 0xff;
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_ECORRUPT);
	CHECK(strstr(err.msg, "record at +0x48") != NULL);

	/* An unknown header type. */
	memcpy(c, d, n);
	c[65536 + 0x48 + 2] = 0x30;
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_EUNSUPPORTED);
	CHECK(strstr(err.msg, "unknown header type") != NULL);

	/* No logfile header first. */
	memcpy(c, d, n);
	c[0x48 + 7] = 0x05;		/* Group: thread */
	CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_EFORMAT);

	/* A zero tail (a preallocated file) is the end, not an error. */
	memcpy(c, d, n);
	memset(c + n, 0, 4096);
	CHECK_EQ_U64(drain(c, n + 4096, &err, &events), 0);
	CHECK(events > 0);
	/* A non-zero tail too short for a header is truncation. */
	c[n + 10] = 1;
	CHECK_EQ_U64(drain(c, n + 20, &err, &events), (uint64_t)ETL_ETRUNC);
	free(c);
	free(d);

	/* Compressed: an unsupported format, then damaged XPRESS data. */
	d = fx_load(FX_X64, &len);
	CHECK(d != NULL);
	if (!d)
		return;
	n = prefix_of(d, len, 3);
	c = malloc(n);
	CHECK(c != NULL);
	if (c) {
		memcpy(c, d, n);
		c[512 + 0x2C] = 2;	/* State: LZNT1 */
		CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_EUNSUPPORTED);
		CHECK(strstr(err.msg, "compression format 2") != NULL);
		memcpy(c, d, n);
		put32(c + 512 + 4, etl_le32(c + 512 + 4) + 8);	/* SavedOffset off by 8 */
		CHECK_EQ_U64(drain(c, n, &err, &events), (uint64_t)ETL_ECORRUPT);
		CHECK(strstr(err.msg, "XPRESS") != NULL || strstr(err.msg, "decompressed") != NULL);
		memcpy(c, d, n);
		c[512 + 0x34] &= (uint8_t)~0x40;	/* compressed data read as records */
		CHECK(drain(c, n, &err, &events) < 0);
		free(c);
	}
	free(d);
}

int main(void)
{
	if (!fx_prepare()) {
		printf("skip: %s/fixtures/etl not found\n", fx_shared());
		UNIT_END();
	}
	int x64 = fx_have(FX_X64), airbus = fx_have(FX_AIRBUS);
	RUN_IF(x64, test_truncation);
	RUN_IF(x64, test_flips_compressed);
	RUN_IF(airbus && fx_have(FX_RUNDOWN), test_flips_uncompressed);
	RUN_IF(airbus && x64, test_corruptions);
	UNIT_END();
}

/*
 * fuzz_pe_ident.c - libFuzzer entry for the PE identity reader (headers,
 * section table, debug directory, CodeView RSDS): any bytes give ETL_OK,
 * ETL_EFORMAT or ETL_ECORRUPT, with a NUL-terminated PDB name; never a read
 * outside the image.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etl_events.h"
#include "pe_ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n;
};

/* A reader that returns short reads at the end, as a file does. */
static long rd(void *ctx, uint64_t off, void *buf, size_t n)
{
	const struct mem *m = ctx;

	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = m->n - (size_t)off;
	memcpy(buf, m->p + off, n);
	return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_ident a, b;
	struct mem m = { data, size };
	int ra, rb;

	/* data is libFuzzer's own exact-size heap copy of the input: ASan
	 * sees a read one past the end. */
	memset(&a, 0xAA, sizeof a);
	ra = pe_ident_mem(data, size, &a);
	if (ra != ETL_OK && ra != ETL_EFORMAT && ra != ETL_ECORRUPT)
		abort();
	if (ra == ETL_OK && a.has_rsds && memchr(a.pdb_name, '\0', sizeof a.pdb_name) == NULL)
		abort();
	/* The callback reader must agree with the in-memory one. */
	memset(&b, 0xAA, sizeof b);
	rb = pe_ident_read(rd, &m, &b);
	if (rb != ra)
		abort();
	if (ra == ETL_OK && (a.has_rsds != b.has_rsds || a.time_date_stamp != b.time_date_stamp ||
	    a.size_of_image != b.size_of_image ||
	    (a.has_rsds && (memcmp(a.guid, b.guid, 16) != 0 || a.age != b.age ||
	    strcmp(a.pdb_name, b.pdb_name) != 0))))
		abort();
	return 0;
}

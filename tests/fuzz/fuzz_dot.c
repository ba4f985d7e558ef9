/*
 * fuzz_dot.c - libFuzzer entry point for the Graphviz DOT importer: any input
 * must parse or fail with SG_EDATA and a "NAME:LINE: ..." message, never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotgraph.h"
#include "sgraph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_options opt = { DOT_NAMES_AUTO };
	char err[256];
	/* the first byte picks the naming mode */
	if (size > 0) {
		opt.names = (enum dot_names)(data[0] % 3);
		data++;
		size--;
	}
	struct sgraph *g = sgraph_new();
	if (!g)
		return 0;
	int rc = dot_parse_buffer(g, (const char *)data, size, "fuzz.dot", &opt, err, sizeof err);
	if (rc != SG_OK && rc != SG_EDATA)
		abort();
	if (rc == SG_EDATA && strncmp(err, "fuzz.dot:", 9) != 0)
		abort();
	if (sgraph_finish(g) != 0)
		abort();
	(void)dot_sniff((const char *)data, size);
	sgraph_free(g);
	return 0;
}

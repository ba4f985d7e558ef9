/*
 * fuzz_vcg.c - libFuzzer entry point for the .ci (VCG) importer: any input must
 * parse or fail with SG_EDATA and a "NAME:LINE: ..." message, never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sgraph.h"
#include "vcg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sgraph *g = sgraph_new();
	char err[256];
	if (!g)
		return 0;
	int rc = vcg_parse_buffer(g, (const char *)data, size, "fuzz.ci", NULL, err, sizeof err);
	if (rc != SG_OK && rc != SG_EDATA)
		abort();
	if (rc == SG_EDATA && strncmp(err, "fuzz.ci:", 8) != 0)
		abort();
	if (sgraph_finish(g) != 0)
		abort();
	/* resolve every node's name back to a node */
	const struct sg_node *n = sgraph_nodes(g);
	for (size_t i = 0; i < sgraph_node_count(g) && i < 64; i++) {
		const char *name = sgraph_str(g, n[i].name);
		unsigned how;
		if (sgraph_resolve(g, name, strlen(name), NULL, 0, &how) == SG_NONE)
			abort();
	}
	(void)vcg_sniff((const char *)data, size);
	sgraph_free(g);
	return 0;
}

/*
 * fuzz_jsongraph.c - libFuzzer entry for the JSON static-graph importer
 * (PyCG adjacency, radare2 agCj, plain nodes/edges): any input parses or
 * fails with SG_EDATA and a "fuzz.json: ..." message, never crashes; every
 * node of a parsed graph resolves by its name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsongraph.h"
#include "sgraph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sgraph *g = sgraph_new();
	char err[256];
	int rc;

	if (!g)
		return 0;
	err[0] = '\0';
	rc = jsongraph_parse_buffer(g, (const char *)data, size, "fuzz.json", err, sizeof err);
	if (rc != SG_OK && rc != SG_EDATA)
		abort();
	if (rc == SG_EDATA && strncmp(err, "fuzz.json", 9) != 0)
		abort();
	if (sgraph_finish(g) != 0)
		abort();
	if (rc == SG_OK) {
		const struct sg_node *n = sgraph_nodes(g);
		const struct sg_edge *e = sgraph_edges(g);
		size_t i, nn = sgraph_node_count(g), ne = sgraph_edge_count(g);

		for (i = 0; i < nn && i < 64; i++) {
			const char *name = sgraph_str(g, n[i].name);
			const char *file = n[i].file ? sgraph_str(g, n[i].file) : NULL;
			unsigned how;

			/* A TU-local function resolves with its file. */
			if (!name || sgraph_resolve(g, name, strlen(name), file, file ? strlen(file) : 0,
			    &how) == SG_NONE)
				abort();
		}
		/* Every edge joins two nodes of the graph. */
		for (i = 0; i < ne && i < 256; i++)
			if (e[i].caller == SG_NONE || e[i].callee == SG_NONE ||
			    e[i].caller >= nn || e[i].callee >= nn)
				abort();
	}
	sgraph_free(g);
	return 0;
}

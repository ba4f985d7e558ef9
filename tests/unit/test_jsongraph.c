/*
 * test_jsongraph.c - the JSON call-graph importer: PyCG adjacency, radare2
 * agCj and the nodes/edges form, and malformed documents.
 */
#include "unit.h"

#include "jsongraph.h"
#include "sgraph.h"

#include <string.h>

#define S(x) x, strlen(x)

static char err[512];

static struct sgraph *parse(const char *text, int *rc)
{
	struct sgraph *g = sgraph_new();
	*rc = jsongraph_parse_buffer(g, text, strlen(text), "g.json", err, sizeof err);
	sgraph_finish(g);
	return g;
}

static uint32_t node(struct sgraph *g, const char *name, const char *file)
{
	return sgraph_find_node(g, name, strlen(name), file, file ? strlen(file) : 0);
}

static int edge(struct sgraph *g, uint32_t a, uint32_t b)
{
	return a != SG_NONE && b != SG_NONE && sgraph_find_edge(g, a, b) != SG_NONE;
}

static void test_pycg(void)
{
	int rc;
	struct sgraph *g = parse("{\"main\": [\"main.helper\", \"<builtin>.print\"],"
	    " \"main.helper\": [], \"src/a.c:st\": [\"main\"]}", &rc);
	CHECK_EQ_U64(rc, SG_OK);
	uint32_t m = node(g, "main", NULL), h = node(g, "main.helper", NULL);
	uint32_t p = node(g, "<builtin>.print", NULL), st = node(g, "st", "src/a.c");
	CHECK(edge(g, m, h));
	CHECK(edge(g, m, p));
	CHECK(edge(g, st, m));
	CHECK(sgraph_nodes(g)[h].flags & SG_NODE_DEFINED);
	CHECK(!(sgraph_nodes(g)[p].flags & SG_NODE_DEFINED));
	CHECK_EQ_U64(sgraph_node_count(g), 4);
	sgraph_free(g);
}

static void test_r2(void)
{
	int rc;
	struct sgraph *g = parse("[{\"name\":\"main\",\"size\":140,\"imports\":"
	    "[\"sym.imp.puts\",\"sym.bar\"]},{\"name\":\"sym.bar\",\"imports\":[]}]", &rc);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK(edge(g, node(g, "main", NULL), node(g, "sym.imp.puts", NULL)));
	CHECK(edge(g, node(g, "main", NULL), node(g, "sym.bar", NULL)));
	sgraph_free(g);
}

static void test_plain(void)
{
	int rc;
	struct sgraph *g = parse("{\"nodes\": [\"main\", {\"name\": \"src/a.c:cb\", \"file\":"
	    " \"src/a.c\", \"line\": 7, \"address_taken\": true}, {\"name\": \"qsort\","
	    " \"external\": true}],"
	    " \"edges\": [[\"main\", \"qsort\"], {\"caller\": \"main\", \"callee\": \"src/a.c:cb\","
	    " \"file\": \"./src/a.c\", \"line\": 9, \"col\": 3},"
	    " {\"caller\": \"qsort\", \"indirect\": true}], \"x-extra\": 1}", &rc);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_U64(rc, SG_OK);
	uint32_t m = node(g, "main", NULL), cb = node(g, "cb", "src/a.c");
	uint32_t qs = node(g, "qsort", NULL);
	CHECK(edge(g, m, qs));
	CHECK(edge(g, m, cb));
	const struct sg_edge *e = &sgraph_edges(g)[sgraph_find_edge(g, m, cb)];
	CHECK_STR(sgraph_str(g, e->site.file), "src/a.c");
	CHECK(e->site.line == 9 && e->site.col == 3);
	CHECK(sgraph_nodes(g)[cb].flags & SG_NODE_ADDR_TAKEN);
	CHECK_EQ_U64(sgraph_nodes(g)[cb].loc.line, 7);
	CHECK(sgraph_nodes(g)[qs].flags & SG_NODE_EXTERNAL);
	CHECK(sgraph_nodes(g)[qs].flags & SG_NODE_INDIRECT);
	CHECK_EQ_U64(sgraph_isite_count(g), 1);
	sgraph_free(g);
}

static void test_malformed(void)
{
	static const char *const cases[][2] = {
		{ "", "g.json: " },
		{ "{\"a\": [1]}", "g.json: caller \"a\": a callee is not a string" },
		{ "{\"a\": \"b\"}", "g.json: caller \"a\": the callees are not an array" },
		{ "{\"\": []}", "g.json: caller: empty name or name with a NUL byte" },
		{ "[1]", "g.json: [0]: not an object with a \"name\" string" },
		{ "42", "g.json: expected an object or an array at the top level" },
		{ "{\"nodes\": [{}], \"edges\": []}", "g.json: nodes[0]: no \"name\" string" },
		{ "{\"nodes\": [], \"edges\": [[\"a\"]]}", "g.json: edges[0]: not a [caller, callee] pair" },
		{ "{\"nodes\": [], \"edges\": [{\"caller\": \"a\"}]}",
		  "g.json: edges[0]: needs \"caller\" and \"callee\" (or \"indirect\": true)" },
		{ "{\"nodes\": [], \"edges\": [3]}", "g.json: edges[0]: not an array or object" },
		{ "{\"nodes\": {}, \"edges\": []}", "g.json: \"nodes\" and \"edges\" must be arrays" },
		{ "{\"a\": [\"b\"", "g.json: " },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		struct sgraph *g = parse(cases[i][0], &rc);
		if (rc != SG_EDATA || strncmp(err, cases[i][1], strlen(cases[i][1])) != 0 ||
		    (strlen(cases[i][1]) > 8 && strcmp(err, cases[i][1]) != 0)) {
			fprintf(stderr, "  case %zu: rc %d \"%s\", want \"%s\"\n", i, rc, err,
			    cases[i][1]);
			unit_current_failed = 1;
		}
		sgraph_free(g);
	}
}

int main(void)
{
	RUN(test_pycg);
	RUN(test_r2);
	RUN(test_plain);
	RUN(test_malformed);
	UNIT_END();
}

/*
 * test_sgraph.c - the in-memory static call graph: interning, node identity,
 * edge/site deduplication, adjacency and derived flags, runtime-name resolution.
 */
#include "unit.h"

#include "sgraph.h"
#include "symname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S(x) x, strlen(x)

static void test_intern(void)
{
	struct sgraph *g = sgraph_new();
	CHECK(g != NULL);
	CHECK_EQ_U64(sgraph_intern(g, "", 0), 0);
	CHECK_STR(sgraph_str(g, 0), "");
	uint32_t a = sgraph_intern(g, S("alpha"));
	uint32_t b = sgraph_intern(g, S("beta"));
	CHECK(a != SG_NONE && b != SG_NONE && a != b);
	CHECK_EQ_U64(sgraph_intern(g, S("alpha")), a);
	CHECK_EQ_U64(sgraph_str_find(g, S("beta")), b);
	CHECK_EQ_U64(sgraph_str_find(g, S("gamma")), SG_NONE);
	/* embedded NUL and prefixes are distinct strings */
	uint32_t c = sgraph_intern(g, "al\0pha", 6);
	CHECK(c != a);
	CHECK_EQ_U64(sgraph_str_len(g, c), 6);
	CHECK_EQ_U64(sgraph_intern(g, "alph", 4) == a, 0);
	/* pointers stay valid while the pool grows */
	const char *pa = sgraph_str(g, a);
	char buf[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(buf, sizeof buf, "s%d", i);
		CHECK(sgraph_intern(g, buf, strlen(buf)) != SG_NONE);
	}
	CHECK(pa == sgraph_str(g, a));
	CHECK_STR(pa, "alpha");
	snprintf(buf, sizeof buf, "s%d", 77777);
	CHECK_STR(sgraph_str(g, sgraph_str_find(g, buf, strlen(buf))), "s77777");
	/* a big string gets its own chunk, an over-long one is refused */
	char *big = malloc(SG_MAX_STRLEN + 1);
	memset(big, 'x', SG_MAX_STRLEN + 1);
	uint32_t bid = sgraph_intern(g, big, SG_MAX_STRLEN);
	CHECK(bid != SG_NONE);
	CHECK_EQ_U64(sgraph_str_len(g, bid), SG_MAX_STRLEN);
	CHECK_EQ_U64(sgraph_intern(g, big, SG_MAX_STRLEN + 1), SG_NONE);
	free(big);
	CHECK_STR(sgraph_str(g, 4000000000u), "");
	sgraph_free(g);
}

static void test_nodes(void)
{
	struct sgraph *g = sgraph_new();
	uint32_t m = sgraph_node(g, S("main"), NULL, 0);
	uint32_t h1 = sgraph_node(g, S("helper"), S("src/a.c"));
	uint32_t h2 = sgraph_node(g, S("helper"), S("src/b.c"));
	uint32_t hc = sgraph_node(g, S("helper.isra.0"), S("src/a.c"));
	CHECK(m != SG_NONE && h1 != SG_NONE && h2 != SG_NONE && hc != SG_NONE);
	CHECK(h1 != h2 && h1 != hc);
	CHECK_EQ_U64(sgraph_node(g, S("helper"), S("src/a.c")), h1);
	CHECK_EQ_U64(sgraph_node_count(g), 4);
	CHECK_EQ_U64(sgraph_find_node(g, S("helper"), S("src/b.c")), h2);
	CHECK_EQ_U64(sgraph_find_node(g, S("helper"), NULL, 0), SG_NONE);
	CHECK_EQ_U64(sgraph_find_node(g, S("nothere"), NULL, 0), SG_NONE);

	const struct sg_node *n = sgraph_nodes(g);
	CHECK_STR(sgraph_str(g, n[hc].name), "helper.isra.0");
	CHECK_STR(sgraph_str(g, n[hc].base), "helper");
	CHECK_EQ_U64(n[hc].rules, SYMNAME_ISRA);
	CHECK_EQ_U64(n[h1].base, n[h1].name);
	CHECK_EQ_U64(n[m].file, 0);
	CHECK_STR(sgraph_str(g, n[h2].file), "src/b.c");

	char lab[64];
	CHECK_STR(sgraph_node_label(g, h2, lab, sizeof lab), "src/b.c:helper");
	CHECK_STR(sgraph_node_label(g, m, lab, sizeof lab), "main");
	CHECK_STR(sgraph_node_label(g, h2, lab, 6), "src/b");
	CHECK_STR(sgraph_node_label(g, 999, lab, sizeof lab), "");

	struct sg_loc loc = { sgraph_intern(g, S("src/a.c")), 12, 5 };
	sgraph_set_loc(g, h1, &loc);
	sgraph_set_stack(g, h1, 48);
	sgraph_set_flags(g, h1, SG_NODE_DEFINED);
	n = sgraph_nodes(g);
	CHECK_EQ_U64(n[h1].loc.line, 12);
	CHECK_EQ_U64(n[h1].stack, 48);
	CHECK_EQ_U64(n[h1].flags, SG_NODE_DEFINED);
	sgraph_free(g);
}

static void test_edges_and_sites(void)
{
	struct sgraph *g = sgraph_new();
	uint32_t a = sgraph_node(g, S("a"), NULL, 0);
	uint32_t b = sgraph_node(g, S("b"), NULL, 0);
	uint32_t c = sgraph_node(g, S("c"), NULL, 0);
	uint32_t f = sgraph_intern(g, S("x.c"));
	struct sg_loc s1 = { f, 10, 3 }, s2 = { f, 11, 3 };

	uint32_t e1 = sgraph_add_edge(g, a, b, &s1);
	CHECK(e1 != SG_NONE);
	CHECK_EQ_U64(sgraph_add_edge(g, a, b, &s1), e1);     /* same site: same edge */
	uint32_t e2 = sgraph_add_edge(g, a, b, &s2);          /* another site */
	uint32_t e3 = sgraph_add_edge(g, a, b, NULL);         /* no site */
	uint32_t e4 = sgraph_add_edge(g, b, c, NULL);
	CHECK(e2 != e1 && e3 != e1 && e3 != e2);
	CHECK_EQ_U64(sgraph_add_edge(g, b, c, NULL), e4);
	CHECK_EQ_U64(sgraph_edge_count(g), 4);
	CHECK_EQ_U64(sgraph_add_edge(g, a, 99, NULL), SG_NONE);

	/* all a->b edges are reachable from the first one */
	const struct sg_edge *e = sgraph_edges(g);
	uint32_t first = sgraph_find_edge(g, a, b);
	CHECK_EQ_U64(first, e1);
	int n = 0, lines = 0;
	for (uint32_t i = first; i != SG_NONE; i = e[i].next_pair) {
		n++;
		lines += (int)e[i].site.line;
	}
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_U64(lines, 21);
	CHECK_EQ_U64(sgraph_find_edge(g, c, a), SG_NONE);

	/* Edges added after a lookup join their pair's chain at the next one. */
	struct sg_loc s3 = { f, 12, 0 };
	uint32_t e5 = sgraph_add_edge(g, a, b, &s3);
	uint32_t e6 = sgraph_add_edge(g, c, a, NULL);
	CHECK_EQ_U64(sgraph_find_edge(g, c, a), e6);
	e = sgraph_edges(g);
	n = lines = 0;
	for (uint32_t i = sgraph_find_edge(g, a, b); i != SG_NONE; i = e[i].next_pair) {
		n++;
		lines += (int)e[i].site.line;
	}
	CHECK_EQ_U64(n, 4);
	CHECK_EQ_U64(lines, 33);
	CHECK(e5 != SG_NONE);

	uint32_t i1 = sgraph_add_isite(g, c, &s1);
	CHECK_EQ_U64(sgraph_add_isite(g, c, &s1), i1);
	uint32_t i2 = sgraph_add_isite(g, c, &s2);
	CHECK(i2 != i1);
	CHECK_EQ_U64(sgraph_isite_count(g), 2);
	CHECK(sgraph_nodes(g)[c].flags & SG_NODE_INDIRECT);
	CHECK(!(sgraph_nodes(g)[a].flags & SG_NODE_INDIRECT));
	CHECK_EQ_U64(sgraph_isites(g)[i2].site.line, 11);

	/* Without the lookup indices, what is reached by id still works. */
	size_t nout = 0;
	CHECK(sgraph_finish(g) == 0);
	sgraph_drop_lookup(g);
	CHECK(sgraph_out(g, a, &nout) != NULL);
	CHECK_EQ_U64(nout, 4);
	CHECK_STR(sgraph_str(g, f), "x.c");
	CHECK_EQ_U64(sgraph_edges(g)[e6].caller, c);
	sgraph_free(g);
}

static void test_finish(void)
{
	struct sgraph *g = sgraph_new();
	uint32_t main_ = sgraph_node(g, S("main"), NULL, 0);
	uint32_t qsort_ = sgraph_node(g, S("qsort"), NULL, 0);
	uint32_t cmp = sgraph_node(g, S("cmp"), S("m.c"));
	uint32_t work = sgraph_node(g, S("work"), S("m.c"));
	uint32_t lib = sgraph_node(g, S("lib_fn"), NULL, 0);
	uint32_t lone = sgraph_node(g, S("lone"), NULL, 0);
	sgraph_set_flags(g, main_, SG_NODE_DEFINED);
	sgraph_set_flags(g, qsort_, SG_NODE_DECLARED);
	sgraph_set_flags(g, cmp, SG_NODE_DEFINED);
	sgraph_set_flags(g, work, SG_NODE_DEFINED);
	sgraph_set_flags(g, lib, SG_NODE_DECLARED | SG_NODE_DEFINED);
	sgraph_set_flags(g, lone, SG_NODE_DEFINED);
	sgraph_add_edge(g, main_, qsort_, NULL);
	sgraph_add_edge(g, main_, work, NULL);
	sgraph_add_edge(g, work, lib, NULL);
	sgraph_add_edge(g, main_, lib, NULL);
	sgraph_add_isite(g, work, NULL);

	size_t n;
	CHECK(sgraph_out(g, main_, &n) == NULL);   /* not finished yet */
	CHECK_EQ_U64(n, 0);
	CHECK_EQ_U64(sgraph_finish(g), 0);

	const uint32_t *out = sgraph_out(g, main_, &n);
	const struct sg_edge *e = sgraph_edges(g);
	CHECK_EQ_U64(n, 3);
	CHECK(n == 3 && e[out[0]].callee == qsort_ && e[out[1]].callee == work &&
	    e[out[2]].callee == lib);
	const uint32_t *in = sgraph_in(g, lib, &n);
	CHECK_EQ_U64(n, 2);
	CHECK(n == 2 && e[in[0]].caller == work && e[in[1]].caller == main_);
	sgraph_in(g, main_, &n);
	CHECK_EQ_U64(n, 0);
	sgraph_node_isites(g, work, &n);
	CHECK_EQ_U64(n, 1);
	sgraph_node_isites(g, main_, &n);
	CHECK_EQ_U64(n, 0);
	CHECK(sgraph_out(g, 12345, &n) == NULL && n == 0);

	const struct sg_node *nd = sgraph_nodes(g);
	CHECK(nd[qsort_].flags & SG_NODE_EXTERNAL);
	CHECK(!(nd[lib].flags & SG_NODE_EXTERNAL));        /* declared and defined */
	CHECK(nd[main_].flags & SG_NODE_NO_CALLERS);
	CHECK(!(nd[main_].flags & SG_NODE_ADDR_TAKEN));    /* global: no inference */
	CHECK(nd[cmp].flags & SG_NODE_NO_CALLERS);
	CHECK(nd[cmp].flags & SG_NODE_ISOLATED);
	CHECK(nd[cmp].flags & SG_NODE_ADDR_TAKEN);         /* TU-local, kept, no caller */
	CHECK(!(nd[work].flags & SG_NODE_ADDR_TAKEN));
	CHECK(!(nd[work].flags & SG_NODE_ISOLATED));
	CHECK(nd[lone].flags & SG_NODE_ISOLATED);

	/* adding invalidates, finishing again rebuilds */
	sgraph_add_edge(g, lone, cmp, NULL);
	CHECK(sgraph_out(g, lone, &n) == NULL);
	CHECK_EQ_U64(sgraph_finish(g), 0);
	sgraph_out(g, lone, &n);
	CHECK_EQ_U64(n, 1);
	nd = sgraph_nodes(g);
	CHECK(!(nd[cmp].flags & SG_NODE_ISOLATED));
	CHECK(!(nd[cmp].flags & SG_NODE_NO_CALLERS));
	CHECK(!(nd[lone].flags & SG_NODE_ISOLATED));
	sgraph_free(g);
}

static uint32_t resolve(struct sgraph *g, const char *name, const char *file, unsigned *how)
{
	return sgraph_resolve(g, name, strlen(name), file, file ? strlen(file) : 0, how);
}

static void test_resolve(void)
{
	struct sgraph *g = sgraph_new();
	uint32_t main_ = sgraph_node(g, S("main"), NULL, 0);
	uint32_t ha = sgraph_node(g, S("helper"), S("src/a.c"));
	uint32_t hb = sgraph_node(g, S("helper"), S("src/b.c"));
	uint32_t foo = sgraph_node(g, S("foo"), S("src/a.c"));
	uint32_t foop = sgraph_node(g, S("foo.part.0"), S("src/a.c"));
	uint32_t fooi = sgraph_node(g, S("foo.isra.0"), S("src/a.c"));
	uint32_t bar = sgraph_node(g, S("bar.constprop.0"), S("src/b.c"));
	uint32_t puts_ = sgraph_node(g, S("puts"), NULL, 0);
	uint32_t only = sgraph_node(g, S("only_local"), S("src/b.c"));
	unsigned how;

	CHECK_EQ_U64(resolve(g, "main", NULL, &how), main_);
	CHECK_EQ_U64(how, 0);
	CHECK_EQ_U64(resolve(g, "main", "/build/src/main.c", &how), main_);
	CHECK_EQ_U64(how, 0);

	/* TU-locals: exact file, file as a suffix, file-qualified name */
	CHECK_EQ_U64(resolve(g, "helper", "src/b.c", &how), hb);
	CHECK_EQ_U64(how, 0);
	CHECK_EQ_U64(resolve(g, "helper", "/home/u/proj/src/a.c", &how), ha);
	CHECK_EQ_U64(how, SG_MATCH_FILE_SUFFIX);
	CHECK_EQ_U64(resolve(g, "src/b.c:helper", NULL, &how), hb);
	CHECK_EQ_U64(how, SYMNAME_FILE);
	CHECK_EQ_U64(resolve(g, "helper", "src/c.c", &how), SG_NONE);
	CHECK_EQ_U64(how, 0);
	CHECK_EQ_U64(resolve(g, "helper", "domain/b.c", &how), SG_NONE);
	/* no file: a unique local is taken, two are ambiguous */
	CHECK_EQ_U64(resolve(g, "only_local", NULL, &how), only);
	CHECK_EQ_U64(how, SG_MATCH_ANY_FILE);
	CHECK_EQ_U64(resolve(g, "helper", NULL, &how), ha);
	CHECK_EQ_U64(how, SG_MATCH_ANY_FILE | SG_MATCH_AMBIGUOUS);

	/* runtime clone names find their origin or the nearest static clone */
	CHECK_EQ_U64(resolve(g, "foo.cold", "src/a.c", &how), foo);
	CHECK_EQ_U64(how, SYMNAME_COLD);
	CHECK_EQ_U64(resolve(g, "foo.part.0", "src/a.c", &how), foop);
	CHECK_EQ_U64(how, 0);
	CHECK_EQ_U64(resolve(g, "foo.part.0.cold", "src/a.c", &how), foop);
	CHECK_EQ_U64(how, SYMNAME_COLD);
	CHECK_EQ_U64(resolve(g, "foo.isra.0", "a.c", &how), fooi);
	CHECK_EQ_U64(how, SG_MATCH_FILE_SUFFIX);
	/* static graph has only a clone: the origin and other clones find it */
	CHECK_EQ_U64(resolve(g, "bar", "src/b.c", &how), bar);
	CHECK_EQ_U64(how, SYMNAME_CONSTPROP);
	CHECK_EQ_U64(resolve(g, "bar.isra.0", NULL, &how), bar);
	CHECK_EQ_U64(how, SYMNAME_ISRA | SYMNAME_CONSTPROP | SG_MATCH_ANY_FILE);
	CHECK_EQ_U64(resolve(g, "bar", "src/a.c", &how), SG_NONE);

	/* PLT stubs and versions */
	CHECK_EQ_U64(resolve(g, "puts@plt", NULL, &how), puts_);
	CHECK_EQ_U64(how, SYMNAME_PLT);
	CHECK_EQ_U64(resolve(g, "puts@@GLIBC_2.2.5", NULL, &how), puts_);
	CHECK_EQ_U64(how, SYMNAME_VERSION);

	/* unknown */
	CHECK_EQ_U64(resolve(g, "libc.so.6+0x1234", NULL, &how), SG_NONE);
	CHECK_EQ_U64(resolve(g, "", NULL, &how), SG_NONE);
	CHECK_EQ_U64(resolve(g, "nothere.cold", NULL, NULL), SG_NONE);
	sgraph_free(g);
}

static void test_loc_split(void)
{
	size_t fl;
	uint32_t line, col;
	CHECK(sgraph_loc_split(S("src/a.c:12:7"), &fl, &line, &col) == 1);
	CHECK(fl == 7 && line == 12 && col == 7);
	CHECK(sgraph_loc_split(S("C:\\x\\a.c:3:4"), &fl, &line, &col) == 1);
	CHECK(fl == 8 && line == 3 && col == 4);
	CHECK(sgraph_loc_split(S("a.c:9"), &fl, &line, &col) == 1);
	CHECK(fl == 3 && line == 9 && col == 0);
	CHECK(sgraph_loc_split(S("Indirect Call Placeholder"), &fl, &line, &col) == 0);
	CHECK(sgraph_loc_split(S(":1:2"), &fl, &line, &col) == 0);
	CHECK(sgraph_loc_split(S("a.c:x:2"), &fl, &line, &col) == 1);   /* file "a.c:x" */
	CHECK(fl == 5 && line == 2);
	CHECK(sgraph_loc_split(S("a.c:99999999999:1"), &fl, &line, &col) == 1);
	CHECK(fl == 15 && line == 1);   /* an over-long number is part of the file */
	CHECK(sgraph_loc_split(S("1"), &fl, &line, &col) == 0);
	CHECK(sgraph_loc_split(S(""), &fl, &line, &col) == 0);
}

/* A large synthetic graph: correctness at scale (timings are in the report). */
static void test_scale(void)
{
	enum { N = 200000, E = 1000000 };
	struct sgraph *g = sgraph_new();
	char name[32];
	clock_t t0 = clock();
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof name, "fn_%u", i);
		CHECK_EQ_U64(sgraph_node(g, name, strlen(name), i % 3 ? NULL : "f.c",
		    i % 3 ? 0 : 3), i);
	}
	uint64_t x = 1;
	for (uint32_t i = 0; i < E; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t a = (uint32_t)(x >> 33) % N, b = (uint32_t)(x >> 13) % N;
		struct sg_loc s = { 0, i, 0 };
		if (sgraph_add_edge(g, a, b, &s) == SG_NONE)
			CHECK(!"add_edge");
	}
	CHECK_EQ_U64(sgraph_edge_count(g), E);
	CHECK_EQ_U64(sgraph_finish(g), 0);
	size_t total = 0, n;
	for (uint32_t i = 0; i < N; i++) {
		sgraph_out(g, i, &n);
		total += n;
	}
	CHECK_EQ_U64(total, E);
	CHECK_EQ_U64(sgraph_find_node(g, S("fn_199999"), NULL, 0), 199999);
	CHECK_EQ_U64(sgraph_find_node(g, S("fn_199997"), S("f.c")), SG_NONE);
	CHECK_EQ_U64(sgraph_find_node(g, S("fn_199998"), S("f.c")), 199998);
	CHECK_EQ_U64(resolve(g, "fn_3", NULL, NULL), 3);
	printf("scale: %u nodes, %u edges in %.2f s CPU, %.1f MB\n", N, E,
	    (double)(clock() - t0) / CLOCKS_PER_SEC, sgraph_memory(g) / 1048576.0);
	sgraph_free(g);
}

int main(void)
{
	RUN(test_intern);
	RUN(test_nodes);
	RUN(test_edges_and_sites);
	RUN(test_finish);
	RUN(test_resolve);
	RUN(test_loc_split);
	RUN(test_scale);
	UNIT_END();
}

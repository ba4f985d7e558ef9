/*
 * test_dotgraph.c - the Graphviz DOT importer, on LLVM opt -dot-callgraph output
 * made at test time (clang + llvm-link + opt), on generic DOT and on bad input.
 */
#include "unit.h"

#include "dotgraph.h"
#include "sgraph.h"
#include "symname.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S(x) x, strlen(x)

static char tmp[64];
static char err[512];

/* The source tree, absolute (the setup commands run elsewhere). */
static const char *srcdir(void)
{
	static char dir[PATH_MAX];
	char guess[PATH_MAX];
	const char *env = getenv("TM_SRCDIR");
	if (env)
		snprintf(guess, sizeof guess, "%s", env);
	else if (access("tests/data/static/main.c", R_OK) == 0)
		snprintf(guess, sizeof guess, ".");
	else {
		snprintf(guess, sizeof guess, "%s", __FILE__);
		char *p = strstr(guess, "tests/unit/");
		if (p)
			*p = '\0';
		if (!guess[0])
			snprintf(guess, sizeof guess, ".");
	}
	if (!realpath(guess, dir))
		snprintf(dir, sizeof dir, "%s", guess);
	return dir;
}

/* LLVM IR of main.c + util.c, linked, and its call graph drawn twice: plain
 * and as a multigraph (which shows LLVM's external caller/callee nodes). */
static int setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/test_dot.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	const char *d = srcdir();
	char cmd[16384];
	snprintf(cmd, sizeof cmd,
	    "set -e; cd %s; mkdir src; cp '%s'/tests/data/static/*.c '%s'/tests/data/static/*.h src/; "
	    "for f in main util; do clang -O0 -Xclang -disable-O0-optnone -S -emit-llvm "
	    "-Isrc src/$f.c -o $f.ll; done; llvm-link -S main.ll util.ll -o prog.ll; "
	    "dot_cg() { opt -enable-new-pm=0 -dot-callgraph \"$@\" prog.ll -o /dev/null || "
	    "opt -passes=dot-callgraph \"$@\" prog.ll -o /dev/null; }; "
	    "dot_cg >/dev/null 2>&1; mv prog.ll.callgraph.dot plain.dot; "
	    "dot_cg -callgraph-multigraph -callgraph-show-weights >/dev/null 2>&1; "
	    "mv prog.ll.callgraph.dot multi.dot",
	    tmp, d, d);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "  setup failed (%d): %s\n", rc, cmd);
	return rc;
}

static uint32_t node(struct sgraph *g, const char *name)
{
	return sgraph_find_node(g, name, strlen(name), NULL, 0);
}

static uint32_t flags(struct sgraph *g, const char *name)
{
	uint32_t id = node(g, name);
	return id == SG_NONE ? 0xdead0000u : sgraph_nodes(g)[id].flags;
}

static int edge(struct sgraph *g, const char *a, const char *b)
{
	uint32_t x = node(g, a), y = node(g, b);
	return x != SG_NONE && y != SG_NONE && sgraph_find_edge(g, x, y) != SG_NONE;
}

static struct sgraph *load(const char *file, enum dot_names names)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmp, file);
	struct dot_options opt = { names };
	struct sgraph *g = sgraph_new();
	int rc = dot_parse_file(g, path, &opt, err, sizeof err);
	if (rc != SG_OK)
		fprintf(stderr, "  %s: %s\n", path, err);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK_EQ_U64(sgraph_finish(g), 0);
	return g;
}

static void test_llvm_plain(void)
{
	struct sgraph *g = load("plain.dot", DOT_NAMES_AUTO);
	/* names come from the record labels, not the Node0x... ids */
	CHECK(node(g, "main") != SG_NONE);
	for (size_t i = 0; i < sgraph_node_count(g); i++)
		CHECK(strncmp(sgraph_str(g, sgraph_nodes(g)[i].name), "Node0x", 6) != 0);
	CHECK(edge(g, "main", "qsort"));
	CHECK(edge(g, "main", "signal"));
	CHECK(edge(g, "main", "apply"));
	CHECK(edge(g, "main", "util_sum"));
	CHECK(edge(g, "main", "helper"));
	CHECK(edge(g, "main", "load_plugin"));
	CHECK(edge(g, "load_plugin", "dlopen"));
	CHECK(edge(g, "load_plugin", "helper"));
	/* llvm-link renamed util.c's static helper: origin kept */
	uint32_t h3 = node(g, "helper.3");
	CHECK(h3 != SG_NONE);
	CHECK(edge(g, "util_sum", "helper.3"));
	CHECK(edge(g, "util_unused", "helper.3"));
	CHECK(!edge(g, "util_sum", "helper"));
	if (h3 != SG_NONE) {
		CHECK_STR(sgraph_str(g, sgraph_nodes(g)[h3].base), "helper");
		CHECK_EQ_U64(sgraph_nodes(g)[h3].rules, SYMNAME_RENAMED);
	}
	/* pointer-only functions are nodes without edges; indirect calls are
	 * not drawn at all in this form */
	CHECK(flags(g, "cmp") & SG_NODE_ISOLATED);
	CHECK(flags(g, "onsig") & SG_NODE_ISOLATED);
	CHECK_EQ_U64(sgraph_isite_count(g), 0);
	CHECK(!(flags(g, "apply") & SG_NODE_INDIRECT));
	CHECK_EQ_U64(node(g, "external node"), SG_NONE);
	CHECK_EQ_U64(node(g, "external caller"), SG_NONE);
	/* a runtime clone name of a DOT node resolves */
	unsigned how;
	CHECK_EQ_U64(sgraph_resolve(g, S("util_sum.cold"), NULL, 0, &how), node(g, "util_sum"));
	CHECK_EQ_U64(how, SYMNAME_COLD);
	sgraph_free(g);

	/* by id: the Node0x... names */
	g = load("plain.dot", DOT_NAMES_ID);
	CHECK_EQ_U64(node(g, "main"), SG_NONE);
	CHECK(sgraph_node_count(g) > 0 &&
	    strncmp(sgraph_str(g, sgraph_nodes(g)[0].name), "Node0x", 6) == 0);
	sgraph_free(g);
}

static void test_llvm_multigraph(void)
{
	struct sgraph *g = load("multi.dot", DOT_NAMES_AUTO);
	CHECK_EQ_U64(node(g, "external caller"), SG_NONE);
	CHECK_EQ_U64(node(g, "external callee"), SG_NONE);
	/* calls into LLVM's "calls external" node are indirect sites */
	CHECK(flags(g, "apply") & SG_NODE_INDIRECT);
	CHECK(flags(g, "main") & SG_NODE_INDIRECT);
	CHECK(flags(g, "load_plugin") & SG_NODE_INDIRECT);
	CHECK(!(flags(g, "util_sum") & SG_NODE_INDIRECT));
	CHECK(!(flags(g, "helper") & SG_NODE_INDIRECT));
	/* declarations may call anything too (qsort calls cmp) */
	CHECK(flags(g, "qsort") & SG_NODE_INDIRECT);
	/* the external calling node reaches address-taken and exported functions */
	CHECK(flags(g, "cmp") & SG_NODE_ADDR_TAKEN);
	CHECK(flags(g, "onsig") & SG_NODE_ADDR_TAKEN);
	CHECK(flags(g, "add") & SG_NODE_ADDR_TAKEN);
	CHECK(flags(g, "mul") & SG_NODE_ADDR_TAKEN);
	CHECK(flags(g, "main") & SG_NODE_ADDR_TAKEN);
	CHECK(!(flags(g, "helper") & SG_NODE_ADDR_TAKEN));
	CHECK(!(flags(g, "load_plugin") & SG_NODE_ADDR_TAKEN));
	/* the direct edges are the same; weight labels are not call sites */
	CHECK(edge(g, "main", "util_sum"));
	CHECK(edge(g, "util_sum", "helper.3"));
	uint32_t e = sgraph_find_edge(g, node(g, "main"), node(g, "util_sum"));
	CHECK(e != SG_NONE && sgraph_edges(g)[e].site.file == 0);
	sgraph_free(g);
}

static const char generic[] =
    "/* comment */\n"
    "strict digraph \"g\" {\n"
    "  graph [rankdir=LR]; node [shape=box]; edge [color=red]\n"
    "  rankdir = LR\n"
    "  a -> b -> c\n"
    "  \"x y\" -> { d e } [label=\"m.c:3:4\"]\n"
    "  subgraph cluster_0 { label=\"cl\"; f; g -> h:p:n }\n"
    "  { i j } -> k\n"
    "  q [label=\"{qname|other}\"]\n"
    "  r [label=\"rname\\nsecond\"]\n"
    "  \"s\\\"q\" -> \"con\" + \"cat\"\n"
    "  -1.5 -> n2\n"
    "  // line comment\n"
    "# preprocessor line\n"
    "  l -> m [weight=2, label=<b><i>html</i></b>]\n"
    "  \"multi\\\nline\" -> a\n"
    "  Node0x1 -> Node0x2\n"
    "}\n"
    "digraph second { a -> z }\n";

static struct sgraph *parse(const char *text, size_t len, enum dot_names names, int *rc)
{
	struct dot_options opt = { names };
	struct sgraph *g = sgraph_new();
	*rc = dot_parse_buffer(g, text, len, "g.dot", &opt, err, sizeof err);
	sgraph_finish(g);
	return g;
}

static void test_generic(void)
{
	int rc;
	struct sgraph *g = parse(generic, sizeof generic - 1, DOT_NAMES_AUTO, &rc);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK(edge(g, "a", "b"));
	CHECK(edge(g, "b", "c"));
	CHECK(!edge(g, "a", "c"));
	CHECK(edge(g, "x y", "d"));
	CHECK(edge(g, "x y", "e"));
	uint32_t e = sgraph_find_edge(g, node(g, "x y"), node(g, "d"));
	CHECK(e != SG_NONE);
	if (e != SG_NONE) {
		const struct sg_edge *ed = &sgraph_edges(g)[e];
		CHECK_STR(sgraph_str(g, ed->site.file), "m.c");
		CHECK(ed->site.line == 3 && ed->site.col == 4);
	}
	CHECK(edge(g, "g", "h"));
	CHECK(flags(g, "f") & SG_NODE_ISOLATED);
	CHECK(edge(g, "i", "k"));
	CHECK(edge(g, "j", "k"));
	CHECK(!edge(g, "i", "j"));
	CHECK(node(g, "qname") != SG_NONE);         /* record label names the node */
	CHECK_EQ_U64(node(g, "q"), SG_NONE);
	CHECK(node(g, "r") != SG_NONE);             /* a plain label does not */
	CHECK(edge(g, "s\"q", "concat"));
	CHECK(edge(g, "-1.5", "n2"));
	CHECK(edge(g, "l", "m"));
	CHECK(edge(g, "multiline", "a"));
	CHECK(edge(g, "a", "z"));                   /* the second graph */
	/* unlabelled Node0x ids are only pseudo-nodes in LLVM's own graphs */
	CHECK(edge(g, "Node0x1", "Node0x2"));
	CHECK_EQ_U64(node(g, "rankdir"), SG_NONE);
	CHECK_EQ_U64(node(g, "LR"), SG_NONE);
	CHECK_EQ_U64(node(g, "cluster_0"), SG_NONE);
	CHECK_EQ_U64(node(g, "label"), SG_NONE);
	sgraph_free(g);

	g = parse(generic, sizeof generic - 1, DOT_NAMES_LABEL, &rc);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK(node(g, "rname") != SG_NONE);
	CHECK(node(g, "qname") != SG_NONE);
	sgraph_free(g);

	g = parse(generic, sizeof generic - 1, DOT_NAMES_ID, &rc);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK(node(g, "q") != SG_NONE && node(g, "r") != SG_NONE);
	CHECK_EQ_U64(node(g, "qname"), SG_NONE);
	sgraph_free(g);

	/* undirected graphs, keywords in any case, quoted keywords are ids */
	g = parse(S("GRAPH { a -- b; \"node\" -- \"edge\" }"), DOT_NAMES_AUTO, &rc);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK(edge(g, "a", "b"));
	CHECK(edge(g, "node", "edge"));
	sgraph_free(g);

	/* LLVM pseudo-nodes written by hand */
	g = parse(S("digraph \"Call graph: x\" {\n"
	    " Node0xa [shape=record,label=\"{external caller}\"];\n"
	    " Node0xa -> Node0xb; Node0xb [label=\"{f}\"]; Node0xb -> Node0xc;\n"
	    " Node0xb -> Node0xd; Node0xd [label=\"{g}\"]; }"), DOT_NAMES_AUTO, &rc);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK_EQ_U64(sgraph_node_count(g), 2);
	CHECK(flags(g, "f") & SG_NODE_ADDR_TAKEN);
	CHECK(flags(g, "f") & SG_NODE_INDIRECT);
	CHECK(edge(g, "f", "g"));
	sgraph_free(g);

	CHECK(dot_sniff(S("digraph { }")));
	CHECK(dot_sniff(S("// x\nstrict graph \"n\" {")));
	CHECK(dot_sniff(S("  Digraph G{")));
	CHECK(!dot_sniff(S("graph: { title: \"a\" }")));
	CHECK(!dot_sniff(S("digraph")));
	CHECK(!dot_sniff(S("[1,2]")));
}

struct bad {
	const char *input;
	const char *error;
};

static void test_malformed(void)
{
	static const struct bad cases[] = {
		{ "", "1: no graph in input" },
		{ "foo { }", "1: expected 'graph' or 'digraph', found 'foo'" },
		{ "digraph\n{ a -> }", "2: expected a node or subgraph after the edge operator, found '}'" },
		{ "digraph { a [label=] }", "1: expected a value after 'label=', found ']'" },
		{ "digraph { a [=b] }", "1: expected an attribute name, found '='" },
		{ "digraph { a [label=x", "1: unexpected end of file in attribute list opened at line 1" },
		{ "digraph {\n \"abc }", "2: unterminated string" },
		{ "digraph { a -> b\n", "2: unexpected end of file: '{' at line 1 has no closing '}'" },
		{ "digraph { a @ b }", "1: unexpected character '@'" },
		{ "digraph { a \x01 }", "1: unexpected byte 0x01" },
		{ "digraph { <a <b> }", "1: unterminated HTML string" },
		{ "digraph { a: }", "1: expected a port after ':', found '}'" },
		{ "digraph { a = }", "1: expected a value after '=', found '}'" },
		{ "digraph { /* x", "1: unterminated comment" },
		{ "digraph { - }", "1: malformed number" },
		{ "digraph { \"a\" + b }", "1: expected a quoted string after '+'" },
		{ "digraph { \"\" -> b }", "1: empty node id" },
		{ "digraph { ] }", "1: expected a statement, found ']'" },
		{ "digraph { subgraph { a } -> [ }", "1: expected a node or subgraph after the edge operator, found '['" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		struct sgraph *g = parse(S(cases[i].input), DOT_NAMES_AUTO, &rc);
		char want[256];
		snprintf(want, sizeof want, "g.dot:%s", cases[i].error);
		if (rc != SG_EDATA || strcmp(err, want) != 0) {
			fprintf(stderr, "  case %zu: rc %d, \"%s\"\n    want \"%s\"\n", i, rc, err, want);
			unit_current_failed = 1;
		}
		sgraph_free(g);
	}

	/* limits: nesting depth, edge-statement expansion */
	char *deep = malloc(4096);
	strcpy(deep, "digraph ");
	for (int i = 0; i < DOT_MAX_DEPTH + 2; i++)
		strcat(deep, "{ ");
	int rc;
	struct sgraph *g = parse(S(deep), DOT_NAMES_AUTO, &rc);
	CHECK_EQ_U64(rc, SG_EDATA);
	CHECK(strstr(err, "nested deeper than") != NULL);
	sgraph_free(g);
	free(deep);

	size_t cap = 200000, o = 0;
	char *wide = malloc(cap);
	o += (size_t)snprintf(wide + o, cap - o, "digraph { {");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(wide + o, cap - o, " a%d", i);
	o += (size_t)snprintf(wide + o, cap - o, " } -> {");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(wide + o, cap - o, " b%d", i);
	o += (size_t)snprintf(wide + o, cap - o, " } }");
	g = parse(wide, o, DOT_NAMES_AUTO, &rc);
	CHECK_EQ_U64(rc, SG_EDATA);
	CHECK(strstr(err, "too many edges") != NULL);
	sgraph_free(g);
	free(wide);

	/* a file that does not exist */
	g = sgraph_new();
	CHECK_EQ_U64(dot_parse_file(g, "/nonexistent.dot", NULL, err, sizeof err), SG_EIO);
	sgraph_free(g);
}

/* Every prefix of a real LLVM DOT file: an error or success, never a crash. */
static void test_truncations(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/multi.dot", tmp);
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CHECK(n > 100);
	for (size_t len = 0; len <= n; len++) {
		int rc;
		struct sgraph *g = parse(buf, len, DOT_NAMES_AUTO, &rc);
		CHECK(rc == SG_OK || rc == SG_EDATA);
		CHECK(rc == SG_OK || strncmp(err, "g.dot:", 6) == 0);
		sgraph_free(g);
	}
}

int main(void)
{
	RUN(test_generic);
	RUN(test_malformed);
	if (system("command -v clang >/dev/null && command -v opt >/dev/null && "
	    "command -v llvm-link >/dev/null") != 0) {
		printf("skip: the LLVM DOT tests need clang, llvm-link and opt\n");
		UNIT_END();
	}
	if (setup() != 0) {
		CHECK(!"setup");
		unit_failed++;
		UNIT_END();
	}
	RUN(test_llvm_plain);
	RUN(test_llvm_multigraph);
	RUN(test_truncations);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmp);
	UNIT_END();
}

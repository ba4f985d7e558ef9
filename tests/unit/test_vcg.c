/*
 * test_vcg.c - the GCC -fcallgraph-info (.ci) importer, on .ci files that gcc
 * writes at test time (-O0, -O2, C++, clones) and on malformed input.
 */
#include "unit.h"

#include "sgraph.h"
#include "symname.h"
#include "vcg.h"

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

/* Build the test programs' .ci files at -O0 and -O2 with relative paths,
 * one TU in a subdirectory, and a copy with absolute paths. */
static int setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/test_vcg.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	const char *d = srcdir();
	char cmd[16384];
	snprintf(cmd, sizeof cmd,
	    "set -e; cd %s; mkdir -p src o0/sub o2 abs cxx; "
	    "cp '%s'/tests/data/static/*.c '%s'/tests/data/static/*.h "
	    "'%s'/tests/data/static/*.cc src/; "
	    "gcc -O0 -fcallgraph-info=su -Isrc -c src/main.c src/util.c src/plugin.c; "
	    "mv main.ci plugin.ci o0/; mv util.ci o0/sub/; "
	    "gcc -O2 -fcallgraph-info -Isrc -c src/main.c src/util.c src/plugin.c src/clones.c; "
	    "mv *.ci o2/; "
	    "cd abs; gcc -O0 -fcallgraph-info -I%s/src -c %s/src/main.c %s/src/util.c; cd ..; "
	    "g++ -O0 -fcallgraph-info -Isrc -c src/cxx_a.cc src/cxx_b.cc; mv *.ci cxx/; "
	    "rm -f *.o abs/*.o",
	    tmp, d, d, d, tmp, tmp, tmp);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "  setup failed (%d): %s\n", rc, cmd);
	return rc;
}

static uint32_t node(struct sgraph *g, const char *name, const char *file)
{
	return sgraph_find_node(g, name, strlen(name), file, file ? strlen(file) : 0);
}

static const struct sg_node *nd(struct sgraph *g, uint32_t id)
{
	static const struct sg_node none = { .flags = 0xdead0000u };
	return id == SG_NONE ? &none : &sgraph_nodes(g)[id];
}

/* The edge caller -> callee at file:line:col exists. */
static int has_edge(struct sgraph *g, uint32_t a, uint32_t b, const char *file,
    uint32_t line, uint32_t col)
{
	if (a == SG_NONE || b == SG_NONE)
		return 0;
	const struct sg_edge *e = sgraph_edges(g);
	for (uint32_t i = sgraph_find_edge(g, a, b); i != SG_NONE; i = e[i].next_pair) {
		if (!file)
			return 1;
		if (strcmp(sgraph_str(g, e[i].site.file), file) == 0 && e[i].site.line == line &&
		    e[i].site.col == col)
			return 1;
	}
	return 0;
}

static int has_isite(struct sgraph *g, uint32_t caller, const char *file, uint32_t line,
    uint32_t col)
{
	const struct sg_isite *s = sgraph_isites(g);
	for (size_t i = 0; i < sgraph_isite_count(g); i++)
		if (s[i].caller == caller && strcmp(sgraph_str(g, s[i].site.file), file) == 0 &&
		    s[i].site.line == line && s[i].site.col == col)
			return 1;
	return 0;
}

static struct sgraph *load(const char *sub, const struct vcg_options *opt)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmp, sub);
	struct sgraph *g = sgraph_new();
	int rc = vcg_parse_path(g, path, opt, err, sizeof err);
	if (rc != SG_OK)
		fprintf(stderr, "  %s: %s\n", path, err);
	CHECK_EQ_U64(rc, SG_OK);
	CHECK_EQ_U64(sgraph_finish(g), 0);
	return g;
}

/* Line numbers below are those of tests/data/static/main.c and util.c. */
static void test_o0_directory(void)
{
	struct sgraph *g = load("o0", NULL);
	uint32_t main_ = node(g, "main", NULL), apply = node(g, "apply", NULL);
	uint32_t hm = node(g, "helper", "src/main.c"), hu = node(g, "helper", "src/util.c");
	uint32_t lp = node(g, "load_plugin", "src/main.c");
	uint32_t usum = node(g, "util_sum", NULL), qs = node(g, "qsort", NULL);
	uint32_t cmp = node(g, "cmp", "src/main.c"), onsig = node(g, "onsig", "src/main.c");
	uint32_t add = node(g, "add", "src/main.c"), unused = node(g, "util_unused", NULL);
	uint32_t pe = node(g, "plugin_entry", NULL), dlopen_ = node(g, "dlopen", NULL);

	/* same-named statics of two TUs stay two nodes; the placeholder is none */
	CHECK(hm != SG_NONE && hu != SG_NONE && hm != hu);
	CHECK_EQ_U64(node(g, "helper", NULL), SG_NONE);
	CHECK_EQ_U64(node(g, "__indirect_call", NULL), SG_NONE);
	/* 3 TUs; the subdirectory was read too */
	CHECK(usum != SG_NONE && pe != SG_NONE && unused != SG_NONE);

	/* definitions, declarations, locations, stack sizes (=su) */
	CHECK(nd(g, main_)->flags & SG_NODE_DEFINED);
	CHECK_EQ_U64(nd(g, main_)->loc.line, 51);
	CHECK_STR(sgraph_str(g, nd(g, main_)->loc.file), "src/main.c");
	CHECK(nd(g, main_)->stack > 0);
	CHECK_EQ_U64(nd(g, hu)->loc.line, 5);
	CHECK(nd(g, qs)->flags & SG_NODE_EXTERNAL);
	CHECK(!(nd(g, qs)->flags & SG_NODE_DEFINED));
	CHECK_STR(sgraph_str(g, nd(g, qs)->loc.file), "/usr/include/stdlib.h");
	CHECK(nd(g, dlopen_)->flags & SG_NODE_EXTERNAL);
	/* util_sum: declared (ellipse) in main.ci, defined in util.ci: one node */
	CHECK((nd(g, usum)->flags & (SG_NODE_DEFINED | SG_NODE_DECLARED)) ==
	    (SG_NODE_DEFINED | SG_NODE_DECLARED));
	CHECK(!(nd(g, usum)->flags & SG_NODE_EXTERNAL));
	CHECK_STR(sgraph_str(g, nd(g, usum)->loc.file), "src/util.c");
	CHECK_EQ_U64(nd(g, usum)->loc.line, 7);

	/* edges with call sites; each static goes to its own TU's helper */
	CHECK(has_edge(g, main_, qs, "src/main.c", 57, 2));
	CHECK(has_edge(g, main_, usum, "src/main.c", 60, 11));
	CHECK(has_edge(g, main_, hm, "src/main.c", 60, 11));
	CHECK(has_edge(g, main_, apply, "src/main.c", 60, 11));
	CHECK(has_edge(g, main_, lp, "src/main.c", 62, 12));
	CHECK(has_edge(g, lp, dlopen_, "src/main.c", 42, 12));
	CHECK(has_edge(g, lp, hm, "src/main.c", 46, 18));
	CHECK(has_edge(g, usum, hu, "src/util.c", 11, 8));
	CHECK(has_edge(g, unused, hu, "src/util.c", 17, 9));
	CHECK(!has_edge(g, usum, hm, NULL, 0, 0));
	CHECK(!has_edge(g, main_, hu, NULL, 0, 0));
	CHECK(has_edge(g, pe, node(g, "twice", "src/plugin.c"), "src/plugin.c", 8, 9));

	/* indirect call sites: f(a, b) in apply, ops[i].fn in main, entry() */
	CHECK(nd(g, apply)->flags & SG_NODE_INDIRECT);
	CHECK(has_isite(g, apply, "src/main.c", 37, 9));
	CHECK(has_isite(g, main_, "src/main.c", 59, 12));
	CHECK(has_isite(g, lp, "src/main.c", 46, 18));
	CHECK_EQ_U64(sgraph_isite_count(g), 3);
	CHECK(!(nd(g, usum)->flags & SG_NODE_INDIRECT));

	/* pointer-only functions: kept, no callers, address taken */
	uint32_t want = SG_NODE_DEFINED | SG_NODE_NO_CALLERS | SG_NODE_ISOLATED |
	    SG_NODE_ADDR_TAKEN;
	CHECK_EQ_U64(nd(g, cmp)->flags & want, want);
	CHECK_EQ_U64(nd(g, onsig)->flags & want, want);
	CHECK_EQ_U64(nd(g, add)->flags & want, want);
	CHECK(!(nd(g, hm)->flags & (SG_NODE_ADDR_TAKEN | SG_NODE_NO_CALLERS)));
	/* globals without callers are not inferred address-taken */
	CHECK(nd(g, pe)->flags & SG_NODE_NO_CALLERS);
	CHECK(!(nd(g, pe)->flags & SG_NODE_ADDR_TAKEN));
	CHECK(!(nd(g, unused)->flags & SG_NODE_ISOLATED));

	/* runtime names resolve */
	unsigned how;
	CHECK_EQ_U64(sgraph_resolve(g, S("helper"), S("/build/x/src/util.c"), &how), hu);
	CHECK_EQ_U64(how, SG_MATCH_FILE_SUFFIX);
	CHECK_EQ_U64(sgraph_resolve(g, S("src/main.c:helper"), NULL, 0, &how), hm);
	CHECK_EQ_U64(sgraph_resolve(g, S("qsort@plt"), NULL, 0, &how), qs);
	CHECK_EQ_U64(how, SYMNAME_PLT);
	sgraph_free(g);
}

static void test_o2(void)
{
	struct sgraph *g = load("o2", NULL);
	uint32_t main_ = node(g, "main", NULL);
	uint32_t add = node(g, "add", "src/main.c"), mul = node(g, "mul", "src/main.c");
	/* the ops[] loop was devirtualised into direct calls at the same site */
	CHECK(has_edge(g, main_, add, "src/main.c", 59, 12));
	CHECK(has_edge(g, main_, mul, "src/main.c", 59, 12));
	CHECK(!has_isite(g, main_, "src/main.c", 59, 12));
	/* load_plugin and helper were inlined: main calls dlopen itself */
	CHECK_EQ_U64(node(g, "load_plugin", "src/main.c"), SG_NONE);
	CHECK_EQ_U64(node(g, "helper", "src/main.c"), SG_NONE);
	CHECK(has_edge(g, main_, node(g, "dlopen", NULL), "src/main.c", 42, 12));
	CHECK(has_isite(g, main_, "src/main.c", 46, 18));
	/* cmp and onsig are still only reachable through pointers */
	CHECK(nd(g, node(g, "cmp", "src/main.c"))->flags & SG_NODE_ADDR_TAKEN);
	CHECK(nd(g, node(g, "onsig", "src/main.c"))->flags & SG_NODE_ADDR_TAKEN);

	/* IPA clones are nodes under their own name, with their origin */
	uint32_t part = node(g, "check.part.0", "src/clones.c");
	uint32_t isra = node(g, "level_of.isra.0", "src/clones.c");
	uint32_t cp = node(g, "scaled.constprop.0", "src/clones.c");
	CHECK(part != SG_NONE && isra != SG_NONE && cp != SG_NONE);
	CHECK_STR(sgraph_str(g, nd(g, part)->base), "check");
	CHECK_EQ_U64(nd(g, part)->rules, SYMNAME_PART);
	CHECK_EQ_U64(nd(g, isra)->rules, SYMNAME_ISRA);
	CHECK_EQ_U64(nd(g, cp)->rules, SYMNAME_CONSTPROP);
	uint32_t run = node(g, "clones_run", NULL);
	CHECK(has_edge(g, run, cp, NULL, 0, 0));
	CHECK(has_edge(g, run, isra, NULL, 0, 0));
	/* the ELF's cold part of a clone, or the source name, finds the clone */
	unsigned how;
	CHECK_EQ_U64(sgraph_resolve(g, S("check.part.0.cold"), S("clones.c"), &how), part);
	CHECK_EQ_U64(how, SYMNAME_COLD | SG_MATCH_FILE_SUFFIX);
	CHECK_EQ_U64(sgraph_resolve(g, S("scaled"), NULL, 0, &how), cp);
	CHECK_EQ_U64(how, SYMNAME_CONSTPROP | SG_MATCH_ANY_FILE);
	sgraph_free(g);
}

static void test_absolute_paths(void)
{
	/* gcc given absolute paths titles TU-locals with them */
	struct sgraph *g = load("abs", NULL);
	char file[256];
	snprintf(file, sizeof file, "%s/src/main.c", tmp);
	CHECK(node(g, "helper", file) != SG_NONE);
	sgraph_free(g);

	/* the source root makes them relative, locations included */
	struct vcg_options opt = { .strip_prefix = tmp };
	g = load("abs", &opt);
	uint32_t hm = node(g, "helper", "src/main.c");
	CHECK(hm != SG_NONE);
	CHECK(node(g, "helper", "src/util.c") != SG_NONE);
	CHECK_STR(sgraph_str(g, nd(g, hm)->loc.file), "src/main.c");
	CHECK(has_edge(g, node(g, "main", NULL), node(g, "qsort", NULL), "src/main.c", 57, 2));
	sgraph_free(g);
}

static void test_cxx_comdat(void)
{
	struct sgraph *g = load("cxx", NULL);
	/* an inline function emitted in both TUs: one weak node */
	uint32_t inl = node(g, "_Z10shared_inli", NULL);
	CHECK(inl != SG_NONE);
	CHECK(nd(g, inl)->flags & SG_NODE_WEAK);
	CHECK_EQ_U64(node(g, "_Z10shared_inli", "src/cxx_a.cc"), SG_NONE);
	/* statics and anonymous-namespace functions stay per TU */
	CHECK(node(g, "_ZL5localv", "src/cxx_a.cc") != SG_NONE);
	CHECK(node(g, "_ZL5localv", "src/cxx_b.cc") != SG_NONE);
	CHECK(node(g, "_ZN12_GLOBAL__N_14anonEv", "src/cxx_a.cc") != SG_NONE);
	/* both TUs' callers reach the one inline node */
	size_t n;
	sgraph_in(g, inl, &n);
	CHECK_EQ_U64(n, 2);
	/* a virtual call is an indirect site */
	CHECK(nd(g, node(g, "_Z6call_bP4Base", NULL))->flags & SG_NODE_INDIRECT);
	sgraph_free(g);
}

static void test_concatenated_and_stdin_forms(void)
{
	/* "cat a.ci b.ci" is one input holding two TUs */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cat %s/o0/main.ci %s/o0/sub/util.ci > %s/cat.ci", tmp, tmp,
	    tmp);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof cmd, "%s/cat.ci", tmp);
	struct sgraph *g = sgraph_new();
	CHECK_EQ_U64(vcg_parse_file(g, cmd, NULL, err, sizeof err), SG_OK);
	CHECK(node(g, "helper", "src/main.c") != SG_NONE);
	CHECK(node(g, "helper", "src/util.c") != SG_NONE);
	CHECK(has_edge(g, node(g, "util_sum", NULL), node(g, "helper", "src/util.c"), NULL, 0, 0));
	size_t nodes = sgraph_node_count(g), edges = sgraph_edge_count(g);
	/* parsing the same TUs again adds nothing */
	CHECK_EQ_U64(vcg_parse_file(g, cmd, NULL, err, sizeof err), SG_OK);
	CHECK_EQ_U64(sgraph_node_count(g), nodes);
	CHECK_EQ_U64(sgraph_edge_count(g), edges);
	sgraph_free(g);

	/* sniffing */
	CHECK(vcg_sniff(S("graph: { title: \"a.c\" }")));
	CHECK(vcg_sniff(S("// c\n/* x */ graph : {")));
	CHECK(!vcg_sniff(S("digraph { a -> b }")));
	CHECK(!vcg_sniff(S("{\"a\": []}")));
	CHECK(!vcg_sniff(S("graph")));
}

static void test_io_errors(void)
{
	struct sgraph *g = sgraph_new();
	CHECK_EQ_U64(vcg_parse_path(g, "/nonexistent/x.ci", NULL, err, sizeof err), SG_EIO);
	CHECK(strstr(err, "/nonexistent/x.ci: ") == err);
	char empty[128];
	snprintf(empty, sizeof empty, "%s/src", tmp);   /* no .ci files there */
	CHECK_EQ_U64(vcg_parse_dir(g, empty, NULL, err, sizeof err), SG_EDATA);
	CHECK(strstr(err, "no .ci files") != NULL);
	CHECK_EQ_U64(vcg_parse_dir(g, "/nonexistent", NULL, err, sizeof err), SG_EIO);
	sgraph_free(g);
}

struct bad {
	const char *input;
	const char *error;   /* expected message, after "bad.ci:" */
};

static void test_malformed(void)
{
	static const struct bad cases[] = {
		{ "", "1: no 'graph:' in input" },
		{ "   \n\n", "3: no 'graph:' in input" },
		{ "node: { title: \"a\" }", "1: expected 'graph:', found 'node'" },
		{ "graph: {\n node: { title: \"a\" }\n", "3: unexpected end of file: graph opened at line 1 has no closing '}'" },
		{ "graph: { title: \"a.c\n", "1: unterminated string" },
		{ "graph: {\n/* open", "2: unterminated comment" },
		{ "graph: { node: { label: \"x\" } }", "1: node without a title" },
		{ "graph: {\nedge: { sourcename: \"a\" } }", "2: edge without targetname" },
		{ "graph: { edge: { targetname: \"a\" } }", "1: edge without sourcename" },
		{ "graph: { node: { title: \"\" } }", "1: empty title" },
		{ "graph: { node: { title } }", "1: expected ':' after 'title', found '}'" },
		{ "graph: { node: { title: } }", "1: expected a value after 'title:', found '}'" },
		{ "graph: { node { title: \"a\" } }", "1: expected ':' after 'node', found '{'" },
		{ "graph: { \"x\" }", "1: expected 'node:', 'edge:' or an attribute, found string \"x\"" },
		{ "graph: { node: { title: \"a\" \"b\" } } }", "1: expected 'graph:', found '}'" },
		{ "graph: { node: { title: a\001b } }", "1: unexpected control character 0x01" },
		{ "graph: { title: \"a\0b\" }", "1: NUL byte in string" },
		{ "graph: { edge: { sourcename: \"__indirect_call\" targetname: \"f\" } }",
		  "1: edge from the indirect call placeholder" },
		{ "graph: { node: { title: \"a\" label: \"x\" } node: }", "1: expected a value after 'node:', found '}'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sgraph *g = sgraph_new();
		const char *in = cases[i].input;
		size_t len = strlen(in);
		if (strstr(cases[i].error, "NUL byte"))
			len = 22;
		int rc = vcg_parse_buffer(g, in, len, "bad.ci", NULL, err, sizeof err);
		char want[256];
		snprintf(want, sizeof want, "bad.ci:%s", cases[i].error);
		if (rc != SG_EDATA || strcmp(err, want) != 0) {
			fprintf(stderr, "  case %zu: rc %d, \"%s\"\n    want \"%s\"\n", i, rc, err, want);
			unit_current_failed = 1;
		}
		sgraph_free(g);
	}

	/* An escaped NUL is refused like a raw one (found by fuzz_vcg: the
	 * name kept the NUL and no longer resolved as a C string). */
	static const char esc_nul[] = "graph: { node: { title: \"a\\\0b\" } }";
	struct sgraph *g = sgraph_new();
	CHECK_EQ_U64(vcg_parse_buffer(g, esc_nul, sizeof esc_nul - 1, "bad.ci", NULL, err, sizeof err),
	    SG_EDATA);
	CHECK_STR(err, "bad.ci:1: NUL byte in string");
	sgraph_free(g);

	/* limits: nesting, string length */
	g = sgraph_new();
	char deep[4096] = "";
	for (int i = 0; i < VCG_MAX_DEPTH + 2; i++)
		strcat(deep, "graph: { ");
	CHECK_EQ_U64(vcg_parse_buffer(g, S(deep), "deep.ci", NULL, err, sizeof err), SG_EDATA);
	CHECK(strstr(err, "nested deeper than") != NULL);
	size_t big = SG_MAX_STRLEN + 64;
	char *huge = malloc(big);
	memcpy(huge, "graph: { title: \"", 17);
	memset(huge + 17, 'a', big - 17);
	CHECK_EQ_U64(vcg_parse_buffer(g, huge, big, "huge.ci", NULL, err, sizeof err), SG_EDATA);
	CHECK(strstr(err, "huge.ci:1: string longer than") == err);
	free(huge);
	/* a tiny error buffer is never overrun */
	char small[8];
	CHECK_EQ_U64(vcg_parse_buffer(g, S("graph"), "x.ci", NULL, small, sizeof small), SG_EDATA);
	CHECK_EQ_U64(strlen(small), 7);
	sgraph_free(g);
}

static void test_tolerated_syntax(void)
{
	/* general VCG: comments, other attributes, multi-word keys and values,
	 * other edge kinds, nested graphs, labels without a location */
	static const char in[] =
	    "// produced by hand\n"
	    "graph: { title: \"t.c\" layoutalgorithm: dfs colorentry 7 : 10 20 30\n"
	    "  node: { title: \"t.c:st\" label: \"st\\nt.c:3:1\\n32 bytes (static)\" color: red }\n"
	    "  node: { title: \"f\" label: \"f\" }\n"
	    "  /* a nested graph */ graph: { title: \"inner\" node: { title: \"g\" } }\n"
	    "  nearedge: { sourcename: \"f\" targetname: \"t.c:st\" label: \"t.c:9:2\" }\n"
	    "  backedge: { sourcename: \"t.c:st\" targetname: \"g\" }\n"
	    "  edge: { sourcename: \"g\" targetname: \"__indirect_call\" }\n"
	    "  edge: { sourcename: \"f\" targetname: \"undeclared\" label: \"no location\" }\n"
	    "}\n";
	struct sgraph *g = sgraph_new();
	int rc = vcg_parse_buffer(g, in, sizeof in - 1, "ok.ci", NULL, err, sizeof err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_U64(rc, SG_OK);
	sgraph_finish(g);
	uint32_t st = node(g, "st", "t.c"), f = node(g, "f", NULL), gg = node(g, "g", NULL);
	CHECK(st != SG_NONE && f != SG_NONE && gg != SG_NONE);
	CHECK_EQ_U64(nd(g, st)->stack, 32);
	CHECK_EQ_U64(nd(g, st)->loc.line, 3);
	CHECK(has_edge(g, f, st, "t.c", 9, 2));
	CHECK(has_edge(g, st, gg, NULL, 0, 0));
	CHECK(nd(g, gg)->flags & SG_NODE_INDIRECT);
	uint32_t u = node(g, "undeclared", NULL);
	CHECK(has_edge(g, f, u, NULL, 0, 0));
	CHECK_EQ_U64(sgraph_edges(g)[sgraph_find_edge(g, f, u)].site.file, 0);
	CHECK_EQ_U64(nd(g, u)->flags & (SG_NODE_DEFINED | SG_NODE_DECLARED), 0);
	sgraph_free(g);
}

/* Every prefix of a real .ci file: an error or success, never a crash. */
static void test_truncations(void)
{
	char path[256];
	snprintf(path, sizeof path, "%s/o0/main.ci", tmp);
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CHECK(n > 100);
	size_t ok = 0;
	for (size_t len = 0; len <= n; len++) {
		struct sgraph *g = sgraph_new();
		int rc = vcg_parse_buffer(g, buf, len, "t.ci", NULL, err, sizeof err);
		CHECK(rc == SG_OK || rc == SG_EDATA);
		CHECK(rc == SG_OK || strncmp(err, "t.ci:", 5) == 0);
		ok += rc == SG_OK;
		sgraph_free(g);
	}
	/* only the whole file (and trailing-newline variants) parse */
	CHECK(ok >= 1 && ok <= 2);
}

int main(void)
{
	RUN(test_malformed);
	RUN(test_tolerated_syntax);
	if (system("gcc -fcallgraph-info -E -x c /dev/null -o /dev/null >/dev/null 2>&1 && "
	    "g++ --version >/dev/null 2>&1") != 0) {
		printf("skip: the .ci tests need gcc >= 10 and g++ (-fcallgraph-info)\n");
		UNIT_END();
	}
	if (setup() != 0) {
		CHECK(!"setup");
		unit_failed++;
		UNIT_END();
	}
	RUN(test_o0_directory);
	RUN(test_o2);
	RUN(test_absolute_paths);
	RUN(test_cxx_comdat);
	RUN(test_concatenated_and_stdin_forms);
	RUN(test_io_errors);
	RUN(test_truncations);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmp);
	UNIT_END();
}

/*
 * test_symname.c - symbol-name normalisation: clone/version/PLT suffixes, file
 * qualifiers, paths; and the clone names GCC -O2 really emits (nm of an object).
 */
#include "unit.h"

#include "symname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* base of s must be want, with exactly the rules given */
static void check_base(const char *s, const char *want, unsigned rules)
{
	size_t bl = 0;
	unsigned r = symname_base(s, strlen(s), &bl);
	char got[256];
	snprintf(got, sizeof got, "%.*s", (int)bl, s);
	if (strcmp(got, want) != 0 || r != rules) {
		char rs[128], ws[128];
		fprintf(stderr, "  symname_base(\"%s\") = \"%s\" [%s], want \"%s\" [%s]\n", s, got,
		    symname_rules_str(r, rs, sizeof rs), want,
		    symname_rules_str(rules, ws, sizeof ws));
		unit_current_failed = 1;
	}
}

static void test_base_gcc_clones(void)
{
	check_base("foo", "foo", 0);
	check_base("foo.constprop.0", "foo", SYMNAME_CONSTPROP);
	check_base("foo.isra.12", "foo", SYMNAME_ISRA);
	check_base("foo.part.0", "foo", SYMNAME_PART);
	check_base("foo.cold", "foo", SYMNAME_COLD);
	check_base("foo.cold.7", "foo", SYMNAME_COLD);           /* GCC < 10 */
	check_base("foo.lto_priv.0", "foo", SYMNAME_LTO_PRIV);
	check_base("foo.isra.0.cold", "foo", SYMNAME_ISRA | SYMNAME_COLD);
	check_base("foo.constprop.0.isra.0", "foo", SYMNAME_CONSTPROP | SYMNAME_ISRA);
	check_base("foo.part.0.constprop.1.cold", "foo",
	    SYMNAME_PART | SYMNAME_CONSTPROP | SYMNAME_COLD);
	check_base("foo.lto_priv.0.part.0", "foo", SYMNAME_LTO_PRIV | SYMNAME_PART);
	check_base("foo.localalias", "foo", SYMNAME_CLONE);
	check_base("foo.clone.3", "foo", SYMNAME_CLONE);
	check_base("_Z3fooi.constprop.0", "_Z3fooi", SYMNAME_CONSTPROP);
	check_base("_ZN1S1mEi.cold", "_ZN1S1mEi", SYMNAME_COLD);
}

static void test_base_llvm(void)
{
	check_base("foo.llvm.6219128427937963398", "foo", SYMNAME_LLVM);
	check_base("foo.llvm.a1b2", "foo", SYMNAME_LLVM);
	check_base("helper.3", "helper", SYMNAME_RENAMED);       /* llvm-link rename */
	check_base("foo.__uniq.123456789", "foo", SYMNAME_CLONE);
	check_base("foo.specialized.1", "foo", SYMNAME_CLONE);
	/* a hex number after anything but ".llvm." is not a suffix */
	check_base("foo.part.a1", "foo.part.a1", 0);
}

static void test_base_versions_plt(void)
{
	check_base("memcpy@GLIBC_2.14", "memcpy", SYMNAME_VERSION);
	check_base("memcpy@@GLIBC_2.14", "memcpy", SYMNAME_VERSION);
	check_base("puts@plt", "puts", SYMNAME_PLT);
	check_base("foo.part.0@plt", "foo", SYMNAME_PART | SYMNAME_PLT);
	check_base("pthread_create@GLIBC_2.2.5@plt", "pthread_create",
	    SYMNAME_VERSION | SYMNAME_PLT);
	check_base("foo@VERS_1.0", "foo", SYMNAME_VERSION);
	/* not versions: MSVC decoration, stdcall byte counts, a bare '@' */
	check_base("?foo@@YAXXZ", "?foo@@YAXXZ", 0);
	check_base("_f@12", "_f@12", 0);
	check_base("foo@", "foo@", 0);
	check_base("@foo", "@foo", 0);
}

static void test_base_never_empty(void)
{
	check_base("", "", 0);
	check_base(".cold", ".cold", 0);
	check_base(".1", ".1", 0);
	check_base("a.1", "a", SYMNAME_RENAMED);
	check_base("foo.", "foo.", 0);
	check_base("foo.bar", "foo.bar", 0);
	/* distinct functions keep a distinct origin */
	check_base("main._omp_fn.0", "main._omp_fn", SYMNAME_RENAMED);
	check_base("foo.resolver", "foo.resolver", 0);
	/* base_len is a prefix length, so the input needs no NUL */
	size_t bl;
	CHECK_EQ_U64(symname_base("foo.cold!!", 8, &bl), SYMNAME_COLD);
	CHECK_EQ_U64(bl, 3);
}

static void check_split(const char *s, const char *file, const char *name)
{
	const char *f, *n;
	size_t fl, nl;
	int r = symname_split_file(s, strlen(s), &f, &fl, &n, &nl);
	char gf[256] = "", gn[256];
	if (r)
		snprintf(gf, sizeof gf, "%.*s", (int)fl, f);
	snprintf(gn, sizeof gn, "%.*s", (int)nl, n);
	if (r != (file != NULL) || (file && strcmp(gf, file) != 0) || strcmp(gn, name) != 0) {
		fprintf(stderr, "  split(\"%s\") = %d \"%s\" \"%s\"\n", s, r, gf, gn);
		unit_current_failed = 1;
	}
}

static void test_split_file(void)
{
	check_split("src/a.c:helper", "src/a.c", "helper");
	check_split("/abs/path/lua/lapi.c:index2value", "/abs/path/lua/lapi.c", "index2value");
	check_split("a.c:foo.part.0", "a.c", "foo.part.0");
	check_split("C:\\src\\a.c:f", "C:\\src\\a.c", "f");
	check_split("C:/src/a.c:f", "C:/src/a.c", "f");
	check_split("cp.cc:_ZL2sti", "cp.cc", "_ZL2sti");
	check_split("main", NULL, "main");
	check_split("std::vector<int>::push_back", NULL, "std::vector<int>::push_back");
	check_split("a::b", NULL, "a::b");
	check_split("a.c:ns::f", NULL, "a.c:ns::f");
	check_split("a.c:", NULL, "a.c:");
	check_split(":foo", NULL, ":foo");
	check_split("libc.so.6+0x1234", NULL, "libc.so.6+0x1234");
	check_split("a:b/c", NULL, "a:b/c");
}

static void check_norm(const char *in, const char *prefix, const char *want)
{
	char out[256];
	long n = symname_normpath(in, strlen(in), prefix, out, sizeof out);
	if (n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want)) {
		fprintf(stderr, "  normpath(\"%s\", %s) = %ld \"%s\", want \"%s\"\n", in,
		    prefix ? prefix : "NULL", n, n < 0 ? "" : out, want);
		unit_current_failed = 1;
	}
}

static void test_normpath(void)
{
	check_norm("src/a.c", NULL, "src/a.c");
	check_norm("./src//a.c", NULL, "src/a.c");
	check_norm("src/./sub/../a.c", NULL, "src/a.c");
	check_norm("../a.c", NULL, "../a.c");
	check_norm("../../x/../a.c", NULL, "../../a.c");
	check_norm("a/b/../../..", NULL, "..");
	check_norm("/../a.c", NULL, "/a.c");
	check_norm("/usr/include/stdio.h", NULL, "/usr/include/stdio.h");
	check_norm("a\\b\\c.c", NULL, "a/b/c.c");
	check_norm("", NULL, ".");
	check_norm(".", NULL, ".");
	check_norm("/", NULL, "/");
	check_norm("/work/x/src/a.c", "/work/x", "src/a.c");
	check_norm("/work/x/src/a.c", "/work/x/", "src/a.c");
	check_norm("/work/x//src/a.c", "/work/x", "src/a.c");
	check_norm("/work/xy/src/a.c", "/work/x", "/work/xy/src/a.c");
	check_norm("/usr/include/stdio.h", "/work/x", "/usr/include/stdio.h");
	check_norm("/work/x", "/work/x", ".");
	check_norm("/a.c", "/", "a.c");

	char small[4];
	CHECK(symname_normpath("abcdef", 6, NULL, small, sizeof small) == -1);
	CHECK(symname_normpath("abc", 3, NULL, small, sizeof small) == 3);
	CHECK(symname_normpath("abc", 3, NULL, small, 0) == -1);
}

static void test_path_match(void)
{
	CHECK(symname_path_match("main.c", 6, "/x/src/main.c", 13));
	CHECK(symname_path_match("/x/src/main.c", 13, "main.c", 6));
	CHECK(symname_path_match("src/main.c", 10, "/a/src/main.c", 13));
	CHECK(symname_path_match("main.c", 6, "main.c", 6));
	CHECK(!symname_path_match("domain.c", 8, "main.c", 6));
	CHECK(!symname_path_match("rc/main.c", 9, "src/main.c", 10));
	CHECK(!symname_path_match("util.c", 6, "main.c", 6));
	CHECK(!symname_path_match("", 0, "main.c", 6));
}

static void test_cxx_internal(void)
{
	CHECK(symname_cxx_internal("_ZL2sti", 7) == 1);
	CHECK(symname_cxx_internal("_ZN12_GLOBAL__N_14anonEi", 24) == 1);
	CHECK(symname_cxx_internal("_ZN2nsL1fEi", 11) == 1);
	CHECK(symname_cxx_internal("_Z3inli", 7) == 0);
	CHECK(symname_cxx_internal("_ZN1S1mEi", 9) == 0);
	CHECK(symname_cxx_internal("_ZNK1S1mEv", 10) == 0);
	CHECK(symname_cxx_internal("_Z4tmplIiET_S0_", 15) == 0);
	CHECK(symname_cxx_internal("main", 4) == -1);
	CHECK(symname_cxx_internal("_Z", 2) == -1);
	/* a length running past the end is not trusted */
	CHECK(symname_cxx_internal("_ZN99", 5) == 0);
	CHECK(symname_cxx_internal("_ZN99999999999999999999999", 26) == 0);
}

static void test_rule_names(void)
{
	char b[128];
	CHECK_STR(symname_rules_str(SYMNAME_ISRA | SYMNAME_COLD, b, sizeof b), "isra+cold");
	CHECK_STR(symname_rules_str(0, b, sizeof b), "");
	CHECK_STR(symname_rules_str(SYMNAME_VERSION | SYMNAME_PLT, b, 8), "version");
	CHECK_STR(symname_rule_name(SYMNAME_PLT), "plt");
	CHECK_STR(symname_rule_name(SYMNAME_FILE), "file");
	CHECK_STR(symname_rule_name(3), "?");
}

/* ---- real producer: the local symbols GCC -O2 writes for clones.c ---- */

static const char *srcdir(void)
{
	static char dir[1024];
	const char *env = getenv("TM_SRCDIR");
	if (env) {
		snprintf(dir, sizeof dir, "%s", env);
		return dir;
	}
	if (access("tests/data/static/main.c", R_OK) == 0)
		return ".";
	/* __FILE__ is ".../tests/unit/test_symname.c" */
	snprintf(dir, sizeof dir, "%s", __FILE__);
	char *p = strstr(dir, "tests/unit/");
	if (p) {
		*p = '\0';
		if (p == dir)
			strcpy(dir, ".");
	}
	return dir;
}

static void test_gcc_clone_symbols(void)
{
	char tmp[] = "/tmp/test_symname.XXXXXX";
	if (!mkdtemp(tmp)) {
		CHECK(!"mkdtemp");
		return;
	}
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "gcc -O2 -c '%s/tests/data/static/clones.c' -o %s/clones.o "
	    "&& nm %s/clones.o > %s/nm.txt", srcdir(), tmp, tmp, tmp);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof cmd, "%s/nm.txt", tmp);
	FILE *f = fopen(cmd, "r");
	CHECK(f != NULL);
	unsigned seen = 0;
	int clones = 0;
	char line[512];
	static const char *const origins[] = { "scaled", "level_of", "check", "guarded",
		"clones_run" };
	while (f && fgets(line, sizeof line, f)) {
		char addr[64], type[8], sym[256];
		if (sscanf(line, "%63s %7s %255s", addr, type, sym) != 3)
			continue;
		if (type[0] != 't' && type[0] != 'T')
			continue;
		size_t bl;
		unsigned r = symname_base(sym, strlen(sym), &bl);
		int known = 0;
		for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++)
			if (strlen(origins[i]) == bl && memcmp(sym, origins[i], bl) == 0)
				known = 1;
		if (!known)
			fprintf(stderr, "  %s: origin \"%.*s\" is not a function of clones.c\n",
			    sym, (int)bl, sym);
		CHECK(known);
		seen |= r;
		clones += r != 0;
	}
	if (f)
		fclose(f);
	/* GCC 12 -O2 on x86-64 makes these three kinds of clone here. */
	CHECK(clones >= 3);
	CHECK(seen & SYMNAME_CONSTPROP);
	CHECK(seen & SYMNAME_ISRA);
	CHECK(seen & SYMNAME_PART);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	RUN(test_base_gcc_clones);
	RUN(test_base_llvm);
	RUN(test_base_versions_plt);
	RUN(test_base_never_empty);
	RUN(test_split_file);
	RUN(test_normpath);
	RUN(test_path_match);
	RUN(test_cxx_internal);
	RUN(test_rule_names);
	if (system("gcc --version >/dev/null 2>&1 && nm --version >/dev/null 2>&1") == 0)
		RUN(test_gcc_clone_symbols);
	else
		printf("skip: test_gcc_clone_symbols: needs gcc and nm\n");
	UNIT_END();
}

/*
 * test_elfsym.c - ELF reading on programs built here with gcc: build ids,
 * PIE and non-PIE offset translation, lookups, globs, file-qualified and
 * duplicate statics, IFUNC, stripped binaries with a separate debug file.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "unit.h"

static char dir[] = "/tmp/tm-elfsym-XXXXXX";

static const char src_a[] =
    "#define NI __attribute__((noipa))\n"
    "volatile int s;\n"
    "static NI int dup(int x) { s += x; return x + 1; }\n"
    "NI int fn_a(int x) { return dup(x) * 2; }\n"
    "NI int fn_leafcaller(int x) { return fn_a(x) + dup(x); }\n"
    "static int impl(int x) { return x; }\n"
    "static int (*resolve(void))(int) { return impl; }\n"
    "int fn_ifunc(int) __attribute__((ifunc(\"resolve\")));\n";
static const char src_b[] =
    "#define NI __attribute__((noipa))\n"
    "extern volatile int s;\n"
    "static NI int dup(int x) { s -= x; return x - 1; }\n"
    "NI int fn_b(int x) { return dup(x); }\n"
    "int fn_a(int); int fn_leafcaller(int); int fn_ifunc(int);\n"
    "int main(int c, char **v) { (void)v; return fn_b(c) + fn_leafcaller(c) + fn_ifunc(c); }\n";

static int sh(const char *fmt, ...) TM_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int write_file(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int build(void)
{
	if (!mkdtemp(dir) || write_file("a.c", src_a) < 0 || write_file("b.c", src_b) < 0)
		return -1;
	return sh("cd %s && "
	    "gcc -O2 -g -fno-omit-frame-pointer -fPIE -pie -Wl,--build-id=0x0123456789abcdef0011 "
	    "-o pie a.c b.c && "
	    "gcc -O2 -g -fomit-frame-pointer -fno-pie -no-pie -o nopie a.c b.c && "
	    "cp pie stripped && objcopy --only-keep-debug stripped stripped.debug && "
	    "strip --strip-all stripped && objcopy --add-gnu-debuglink=stripped.debug stripped && "
	    "gcc -O2 -g -Wl,--build-id=0x00ff -o other a.c b.c && "
	    "cp pie wrongdbg && strip --strip-all wrongdbg && "
	    "objcopy --only-keep-debug other wrongdbg.debug && "
	    "objcopy --add-gnu-debuglink=wrongdbg.debug wrongdbg && "
	    "head -c 2097152 /dev/zero > pad && "
	    "objcopy --add-section .tm_pad=pad --set-section-flags .tm_pad=readonly pie big && "
	    ": > empty", dir);
}

static struct elfsym *open_in(const char *name)
{
	char p[256];
	struct tm_err err = { 0 };
	struct elfsym *es;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	es = elfsym_open(p, -1, p, &err);
	if (!es)
		fprintf(stderr, "%s\n", err.msg);
	return es;
}

struct collect {
	char names[16][64];
	uint64_t offs[16];
	int n;
};

static int collect_cb(void *arg, const struct elfsym_sym *s, uint64_t off)
{
	struct collect *c = arg;

	if (c->n < 16) {
		snprintf(c->names[c->n], sizeof(c->names[0]), "%s%s%s", s->file ? s->file : "",
		    s->file ? ":" : "", s->name);
		c->offs[c->n++] = off;
	}
	return 0;
}

static const struct elfsym_sym *by_name(const struct elfsym *es, const char *name,
    const char *file)
{
	size_t i;

	for (i = 0; i < elfsym_count(es); i++) {
		const struct elfsym_sym *s = elfsym_at(es, i);

		if (strcmp(s->name, name) == 0 && (!file || (s->file && !strcmp(s->file, file))))
			return s;
	}
	return NULL;
}

static void test_build_id(void)
{
	struct elfsym *es = open_in("pie");
	static const uint8_t want[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11 };
	const uint8_t *id;
	uint8_t buf[64];
	struct tm_err err = { 0 };
	char p[256];

	CHECK(es != NULL);
	if (!es)
		return;
	CHECK_EQ_U64(elfsym_build_id(es, &id), sizeof(want));
	CHECK(memcmp(id, want, sizeof(want)) == 0);
	CHECK(elfsym_is_dyn(es));
	CHECK(elfsym_has_symtab(es));
	snprintf(p, sizeof(p), "%s/pie", dir);
	CHECK(elfsym_read_build_id(p, buf, sizeof(buf), &err) == (int)sizeof(want));
	CHECK(memcmp(buf, want, sizeof(want)) == 0);
	snprintf(p, sizeof(p), "%s/a.c", dir);
	CHECK(elfsym_read_build_id(p, buf, sizeof(buf), &err) < 0);
	CHECK(err.code == TM_EXIT_DATA);
	elfsym_close(es);
}

/* Offsets from globs agree with lookups, for PIE and non-PIE. */
static void check_layout(const char *name, int pie)
{
	struct elfsym *es = open_in(name);
	struct collect c;
	const struct elfsym_sym *s, *a;
	uint64_t off, v;
	int i;

	CHECK(es != NULL);
	if (!es)
		return;
	CHECK(elfsym_is_dyn(es) == pie);
	memset(&c, 0, sizeof(c));
	CHECK(elfsym_match(es, "fn_[ab]", collect_cb, &c) == 0);
	CHECK_EQ_U64(c.n, 2);
	a = by_name(es, "fn_a", NULL);
	CHECK(a != NULL);
	if (!a)
		goto out;
	CHECK(elfsym_vaddr_to_off(es, a->addr, &off) == 0);
	for (i = 0; i < c.n; i++)
		if (strcmp(c.names[i], "fn_a") == 0)
			CHECK_EQ_U64(c.offs[i], off);
	if (!pie)
		CHECK(a->addr - off == 0x400000);	/* the classic non-PIE base */
	CHECK(elfsym_off_to_vaddr(es, off, &v) == 0 && v == a->addr);
	s = elfsym_lookup(es, a->addr + 3);
	CHECK(s == a);
	s = elfsym_lookup_off(es, off + 1);
	CHECK(s == a);
	CHECK(elfsym_lookup(es, 0x10) == NULL);
	CHECK(elfsym_vaddr_to_off(es, 0xffffffff0000ull, &off) < 0);
	/* Two static dup() functions, each with its own file. */
	CHECK(by_name(es, "dup", "a.c") && by_name(es, "dup", "b.c"));
	CHECK(by_name(es, "dup", "a.c") != by_name(es, "dup", "b.c"));
	memset(&c, 0, sizeof(c));
	elfsym_match(es, "dup", collect_cb, &c);
	CHECK_EQ_U64(c.n, 2);
	/* IFUNC symbols are functions too. */
	s = by_name(es, "fn_ifunc", NULL);
	CHECK(s && s->type == 10 /* STT_GNU_IFUNC */);
	/* frame pointers: fn_leafcaller is not a leaf */
	s = by_name(es, "fn_leafcaller", NULL);
	if (s) {
		unsigned prologue;
		int fp = elfsym_has_frame_pointer(es, s, &prologue);

		CHECK(fp == pie);	/* pie was built with frame pointers, nopie without */
		CHECK(!fp || prologue >= 4);
	}
out:
	elfsym_close(es);
}

static void test_pie(void)
{
	check_layout("pie", 1);
}

static void test_nopie(void)
{
	check_layout("nopie", 0);
}

static void test_stripped_debuglink(void)
{
	struct elfsym *es = open_in("stripped");
	char p[256], found[256];
	const struct elfsym_sym *s;
	const uint8_t *id;

	CHECK(es != NULL);
	if (!es)
		return;
	CHECK(!elfsym_has_symtab(es));
	CHECK(by_name(es, "fn_a", NULL) == NULL);
	CHECK(elfsym_build_id(es, &id) == 10);
	snprintf(p, sizeof(p), "%s/stripped", dir);
	CHECK(elfsym_load_debug(es, p, NULL, found, sizeof(found)) == 1);
	CHECK(strstr(found, "stripped.debug") != NULL);
	CHECK(elfsym_has_symtab(es));
	s = by_name(es, "fn_a", NULL);
	CHECK(s && s->from_debug);
	CHECK(by_name(es, "dup", "b.c") != NULL);
	elfsym_close(es);
}

static void test_debug_wrong_build_id(void)
{
	struct elfsym *es = open_in("wrongdbg");
	char p[256];

	CHECK(es != NULL);
	if (!es)
		return;
	snprintf(p, sizeof(p), "%s/wrongdbg", dir);
	CHECK(elfsym_load_debug(es, p, NULL, NULL, 0) == 0);
	CHECK(!elfsym_has_symtab(es));
	elfsym_close(es);
}

static void test_not_elf(void)
{
	struct tm_err err = { 0 };
	char p[256];

	snprintf(p, sizeof(p), "%s/b.c", dir);
	CHECK(elfsym_open(p, -1, p, &err) == NULL);
	CHECK(err.code == TM_EXIT_DATA);
	tm_err_clear(&err);
	CHECK(elfsym_open("/nonexistent/x", -1, NULL, &err) == NULL);
	CHECK(err.code == TM_EXIT_ENV);
}

/*
 * Small files are read into memory, large ones (past 1 MiB) mapped: the same
 * symbols, offsets and bytes either way, opened by path or by descriptor,
 * and reads past the end fail as pread(2) of the file would.
 */
static void test_read_and_mapped(void)
{
	struct elfsym *small = open_in("pie"), *big = open_in("big"), *byfd = NULL;
	const struct elfsym_sym *a, *b;
	struct tm_err err = { 0 };
	struct stat st;
	uint8_t x[16], y[16];
	uint64_t off = 0, off2 = 0;
	char p[256];
	int fd;

	CHECK(small != NULL && big != NULL);
	snprintf(p, sizeof(p), "%s/big", dir);
	CHECK(stat(p, &st) == 0 && st.st_size > (1 << 20));
	if (!small || !big)
		goto out;
	CHECK_EQ_U64(elfsym_count(small), elfsym_count(big));
	a = by_name(small, "fn_a", NULL);
	b = by_name(big, "fn_a", NULL);
	CHECK(a && b && a->addr == b->addr && a->size == b->size);
	if (!a || !b)
		goto out;
	CHECK(elfsym_vaddr_to_off(small, a->addr, &off) == 0);
	CHECK(elfsym_vaddr_to_off(big, b->addr, &off2) == 0 && off == off2);
	CHECK(elfsym_pread(small, off, x, sizeof(x)) == 0);
	CHECK(elfsym_pread(big, off, y, sizeof(y)) == 0);
	CHECK(memcmp(x, y, sizeof(x)) == 0);
	snprintf(p, sizeof(p), "%s/pie", dir);
	CHECK(stat(p, &st) == 0);
	CHECK(elfsym_pread(small, (uint64_t)st.st_size - 1, x, 1) == 0);
	CHECK(elfsym_pread(small, (uint64_t)st.st_size - 1, x, 2) < 0);
	CHECK(elfsym_pread(small, (uint64_t)st.st_size, x, 0) == 0);
	CHECK(elfsym_pread(small, UINT64_MAX - 8, x, 8) < 0);
	CHECK(elfsym_pread(big, UINT64_MAX - 8, x, 8) < 0);
	/* By descriptor: the caller's stays open and is not moved. */
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0) {
		byfd = elfsym_open(NULL, fd, "pie", &err);
		CHECK(byfd != NULL);
		if (byfd) {
			b = by_name(byfd, "fn_a", NULL);
			CHECK(b && b->addr == a->addr);
			CHECK(elfsym_pread(byfd, off, y, sizeof(y)) == 0);
			CHECK(elfsym_pread(small, off, x, sizeof(x)) == 0);
			CHECK(memcmp(x, y, sizeof(x)) == 0);
			elfsym_close(byfd);
		}
		CHECK(lseek(fd, 0, SEEK_CUR) == 0);
		CHECK(fcntl(fd, F_GETFD) >= 0);
		close(fd);
	}
	/* An empty file is not an ELF file. */
	snprintf(p, sizeof(p), "%s/empty", dir);
	CHECK(elfsym_open(p, -1, p, &err) == NULL);
	CHECK(err.code == TM_EXIT_DATA);
out:
	elfsym_close(small);
	elfsym_close(big);
}

int main(void)
{
	if (build() != 0) {
		printf("gcc/binutils failed: cannot build the ELF fixtures\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_build_id);
	RUN(test_pie);
	RUN(test_nopie);
	RUN(test_stripped_debuglink);
	RUN(test_debug_wrong_build_id);
	RUN(test_not_elf);
	RUN(test_read_and_mapped);
	sh("rm -rf %s", dir);
	UNIT_END();
}

/*
 * The trace-conflicts test program. Each part makes one kind of conflict
 * between the runtime edges and GCC's static call graph:
 *   - a table of function pointers (main -> op_inc, op_dbl: indirect calls);
 *   - relay() ends in a call to sink(), which GCC -O2 turns into a jmp (a
 *     sibling call: at runtime main -> sink, the relay frame replaced);
 *   - helper() is small and static: -O2 inlines it, so main -> leaf at
 *     runtime where the -O0 graph says main -> helper -> leaf;
 *   - qsort() calls by_value() back from libc;
 *   - a plugin loaded with dlopen (plugin.c) and called through dlsym;
 *   - nofp() keeps no frame pointer: a sampling unwinder skips its frame
 *     (main -> nofp -> deep sampled as main -> deep).
 * VERSION 2 (-DVERSION=2) is a later release: main also calls audit().
 * Run: app [PLUGIN.so]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*op_fn)(int);

static int op_inc(int x)
{
	return x + 1;
}

static int op_dbl(int x)
{
	return x * 2;
}

/* Not static and not const: GCC cannot turn the calls through it into direct ones. */
op_fn ops[2] = { op_inc, op_dbl };

__attribute__((noinline)) int leaf(int x)
{
	volatile int v = x;

	return v * 3;
}

static int helper(int x)
{
	return leaf(x) + 1;
}

__attribute__((noinline)) int sink(int x)
{
	volatile int v = x;

	return v * 7 + 3;
}

__attribute__((noinline)) int relay(int x)
{
	return sink(x + 1);
}

__attribute__((noinline)) int deep(int x)
{
	volatile int v = x;

	return v - 1;
}

__attribute__((noinline, optimize("omit-frame-pointer"))) int nofp(int x)
{
	return deep(x) + deep(x + 1);
}

#if VERSION >= 2
__attribute__((noinline)) int audit(int x)
{
	volatile int v = x;

	return v ^ 0x5a;
}
#endif

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int run_plugin(const char *path, int x)
{
	void *h = dlopen(path, RTLD_NOW);
	int (*entry)(int);
	int r = -1;

	if (!h)
		return -1;
	entry = (int (*)(int))dlsym(h, "plugin_entry");
	if (entry)
		r = entry(x);
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	int v[4] = { 4, 1, 3, 2 };
	int total = 0;

	qsort(v, 4, sizeof v[0], by_value);
	for (int i = 0; i < 4; i++)
		total += ops[(i + argc) % 2](v[i]);
	total += relay(argc);
	total += helper(argc);
	total += nofp(argc);
#if VERSION >= 2
	total += audit(total);
#endif
	if (argc > 1)
		total += run_plugin(argv[1], total);
	printf("%d\n", total);
	return 0;
}

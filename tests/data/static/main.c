/* Test program for the static-graph importers: direct calls, a static
 * function whose name also exists in util.c, function pointers, a qsort
 * callback, a signal handler and a dlopen'ed plugin. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

typedef int (*binop_fn)(int, int);

struct op {
	const char *name;
	binop_fn fn;
};

static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }

static const struct op ops[] = { { "add", add }, { "mul", mul } };

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static volatile sig_atomic_t stopped;

static void onsig(int sig) { stopped = sig; }

/* Same name as util.c's helper: both are TU-local. */
static int helper(int x) { return x + 1; }

int apply(binop_fn f, int a, int b)
{
	return f(a, b);
}

static int load_plugin(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	if (!h)
		return -1;
	int (*entry)(int) = (int (*)(int))dlsym(h, "plugin_entry");
	int r = entry ? entry(helper(1)) : -1;
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	int v[4] = { 3, 1, 2, 0 };
	int total = 0;

	signal(SIGINT, onsig);
	qsort(v, 4, sizeof v[0], cmp);
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		total += ops[i].fn(v[i], v[i + 1]);
	total += apply(add, helper(total), util_sum(v, 4));
	if (argc > 1)
		total += load_plugin(argv[1]);
	printf("%d\n", total);
	return 0;
}

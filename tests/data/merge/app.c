/*
 * The trace-merge test program: direct calls, static functions with the same
 * name in two files, a table of function pointers, a qsort callback, a
 * dlopen'ed plugin (plugin.c) and a function looked up by name with dlsym
 * (no static call reaches it). Built at test time (link with -rdynamic -ldl);
 * run it as "app [PLUGIN.so [CONFIG [NAME-ARG]]]".
 */
#define _GNU_SOURCE 1	/* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

typedef int (*handler_fn)(const char *);

static int on_text(const char *s)
{
	return parse_text(s);
}

static int on_bin(const char *s)
{
	return (int)strlen(s) * 2;
}

static handler_fn handlers[] = { on_text, on_bin };

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Same name as parse.c's helper: both are TU-local. */
static int helper(int x)
{
	return x + 1;
}

static int run_plugin(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	int (*run)(int);
	int r = -1;

	if (!h)
		return -1;
	run = (int (*)(int))dlsym(h, "plugin_run");
	if (run)
		r = run(helper(2));
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	int v[5] = { 5, 3, 1, 4, 2 };
	int total;

	qsort(v, 5, sizeof v[0], by_value);
	total = helper(v[0]);
	for (int i = 0; i < 4; i++)
		total += handlers[i % 2](argv[0]);
	total += load_config(argc > 2 ? argv[2] : "key=value");
	if (argc > 1)
		total += run_plugin(argv[1]);
	if (argc > 3) {
		int (*f)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "by_name");

		if (f)
			total += f(argv[3]);
	}
	printf("%d\n", total);
	return 0;
}

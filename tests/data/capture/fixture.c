/*
 * fixture.c - a program with a known call graph for trace-capture tests:
 * direct calls, a PLT call into libfix.so, a static (file-local) function,
 * calls through a function pointer, a tail call, an inlined call and dlopen.
 *
 * Usage: fixture [N [PLUGIN.so]] - runs the graph N times (default 1);
 * N < 0 runs it every 10 ms until killed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fixlib.h"

#define NI __attribute__((noipa))

volatile int sink;

NI int target_fp(int x)
{
	sink += x;
	return x + 1;
}

/* Called out of line only through a pointer; inlined into inl_caller. */
int maybe_inl(int x)
{
	return x * 3 + 1;
}

NI int inl_caller(int x)
{
	int r = maybe_inl(x);

	sink += r;
	return r;
}

NI int call_via_ptr(int (*fp)(int), int x)
{
	int r = fp(x);

	sink += r;
	return r;
}

NI int tail_callee(int x)
{
	sink += x;
	return x * 2;
}

/* Ends in a jump to tail_callee: its caller is seen as main. */
NI int tail_caller(int x)
{
	sink++;
	return tail_callee(x + 1);
}

static NI int helper(int x)
{
	sink += x;
	return x - 1;
}

NI int mid_b(int x)
{
	int r = lib_entry(x);

	r += helper(x);
	sink += r;
	return r;
}

NI int mid_a(int x)
{
	int r = mid_b(x);

	sink += r;
	return r;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, i;
	int (*plug)(int) = NULL;
	void *h;

	if (argc > 2) {
		h = dlopen(argv[2], RTLD_NOW);
		if (!h || !(*(void **)&plug = dlsym(h, "plug_fn"))) {
			fprintf(stderr, "fixture: %s\n", dlerror());
			return 2;
		}
	}
	for (i = 0; n < 0 || i < n; i++) {
		if (n < 0) {
			struct timespec ts = { 0, 10000000 };

			nanosleep(&ts, NULL);
		}
		mid_a(i);
		call_via_ptr(target_fp, i);
		call_via_ptr(maybe_inl, i);
		tail_caller(i);
		inl_caller(i);
		if (plug)
			sink += plug(i);
	}
	return 0;
}

/* fixlib.c - libfix.so: an exported entry that calls a file-local leaf. */
#include "fixlib.h"

#define NI __attribute__((noipa))

volatile int fixlib_sink;

static NI int lib_leaf(int x)
{
	fixlib_sink += x;
	return x ^ 5;
}

NI int lib_entry(int x)
{
	int r = lib_leaf(x);

	fixlib_sink += r;
	return r + 1;
}

/* plugin.c - libplug.so, loaded by the fixture with dlopen; calls into libfix.so. */
#include "fixlib.h"

#define NI __attribute__((noipa))

NI int plug_fn(int x)
{
	int r = lib_entry(x);

	return r + 2;
}

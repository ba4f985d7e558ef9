/*
 * The second translation unit of the trace-merge test program: a static
 * helper with the same name as app.c's, the "vulnerable" foo_parse reached
 * through a static function, a noinline function GCC -O2 clones with a
 * constant argument (.constprop), a function only reached through a lookup
 * by name (by_name) and two functions nobody calls (never_called,
 * legacy_format).
 */
#include <string.h>

#include "parse.h"

static int helper(int x)
{
	return x * 3;
}

/* Called with a constant factor only: -O2 makes weigh.constprop.0. */
static __attribute__((noinline)) int weigh(const char *s, int n, int factor)
{
	int w = 0;

	for (int i = 0; i < n; i++)
		w += s[i] * factor + (w >> 3);
	return w;
}

int foo_parse(const char *s, int n)
{
	return weigh(s, n, 7) + helper(n);
}

static int scan(const char *s, int n)
{
	return n > 0 ? foo_parse(s, n) : 0;
}

int load_config(const char *s)
{
	return scan(s, (int)strlen(s));
}

int parse_text(const char *s)
{
	return helper(s[0]) + weigh(s, 1, 7);
}

int never_called(const char *s)
{
	return foo_parse(s, 1) + 1;
}

int legacy_format(const char *s)
{
	return s[0] == '#';
}

/* Called by app.c through dlsym(RTLD_DEFAULT, "by_name"): no static edge. */
int by_name(const char *s)
{
	return parse_text(s) + 2;
}

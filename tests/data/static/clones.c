/* Functions shaped so that GCC -O2 emits its clone kinds: .constprop.N
 * (a constant argument), .isra.N (a struct passed by pointer but only one
 * field used), .part.N (partial inlining of an early-exit test) and .cold
 * (an unlikely error path split out). */
#include <stdio.h>
#include <stdlib.h>

struct cfg {
	int verbose;
	int level;
	char pad[200];
};

static __attribute__((noinline)) int scaled(int x, int factor)
{
	int s = 0;
	for (int i = 0; i < x; i++)
		s += i * factor + (s >> 3);
	return s;
}

static __attribute__((noinline)) int level_of(const struct cfg *c, int x)
{
	int s = x;
	for (int i = 0; i < c->level; i++)
		s = s * 31 + i;
	return s;
}

/* An early exit in front of a body too big to inline. */
static int check(const char *p, int n)
{
	if (!p)
		return 0;
	int s = 0;
	for (int i = 0; i < n; i++) {
		s += p[i] * i;
		if (s > 100000)
			s = s % 977 + printf("%d %d %d %d\n", s, i, n, p[i]);
		if (s < -100000)
			s = s % 131 + printf("%d %d %d\n", s, i, n);
		if ((s & 0xffff) == 0x1234)
			s += puts(p);
	}
	return s;
}

static __attribute__((noinline)) int guarded(int x, const char *why)
{
	if (__builtin_expect(x < 0, 0)) {
		fprintf(stderr, "negative %d: %s\n", x, why);
		fprintf(stderr, "%s %s %d\n", why, why, x * 3);
		fflush(stderr);
		exit(3);
	}
	int s = 0;
	for (int i = 0; i < x; i++)
		s += why[i % 8] * i;
	return s;
}

int clones_run(const struct cfg *c, const char *p, int n)
{
	return scaled(n, 7) + scaled(n + 1, 7) + level_of(c, n) + level_of(c, 2 * n) +
	    check(p, n) + check(p + 1, n - 1) + check(p + 2, n - 2) + guarded(n, p) +
	    guarded(n + 1, "x");
}

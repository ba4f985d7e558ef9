/* The second translation unit: a static helper with the same name as
 * main.c's, a public function, and a function nobody calls. */
#include "util.h"

static int helper(int x) { return x * 2; }

int util_sum(const int *v, int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += helper(v[i]);
	return s;
}

int util_unused(int x)
{
	return helper(x) + 7;
}

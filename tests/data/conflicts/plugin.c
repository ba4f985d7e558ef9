/* The plugin app.c loads with dlopen(): an exported entry and a static helper. */
int plugin_entry(int x);

static __attribute__((noinline)) int twice(int x)
{
	volatile int v = x;

	return 2 * v;
}

int plugin_entry(int x)
{
	return twice(x) + 1;
}

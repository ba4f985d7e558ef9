/* The plugin app.c loads with dlopen: an exported entry and a static helper. */
int plugin_run(int x);

static int twice(int x)
{
	return 2 * x;
}

int plugin_run(int x)
{
	return twice(x) + 1;
}

/* A plugin loaded with dlopen by main.c. */
int plugin_entry(int x);

static int twice(int x) { return 2 * x; }

int plugin_entry(int x)
{
	return twice(x) + 1;
}

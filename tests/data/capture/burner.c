/*
 * burner.c - short-lived frame-pointer program for the sampling test of
 * exited processes: main -> burn_a -> burn_b -> spin (-> tick), burning
 * MS milliseconds of CPU time, then exiting.
 * Usage: burner MS
 */
#include <stdlib.h>
#include <time.h>

#define NI __attribute__((noipa))

volatile unsigned long burn_sink;

NI void tick(unsigned long i)
{
	burn_sink += i;
}

/* Not a leaf, so it keeps its frame pointer (GCC drops it in frameless leaves). */
NI unsigned long spin(unsigned long n)
{
	unsigned long i, s = 0;

	for (i = 0; i < n; i++) {
		s += i * 7 ^ (s >> 5);
		if ((i & 0xffff) == 0)
			tick(i);
	}
	burn_sink += s;
	return s;
}

NI unsigned long burn_b(unsigned long n)
{
	unsigned long r = spin(n);

	burn_sink += r;
	return r;
}

NI unsigned long burn_a(unsigned long n)
{
	unsigned long r = burn_b(n);

	burn_sink += r;
	return r;
}

static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double ms = argc > 1 ? atof(argv[1]) : 30.0, t0 = cpu_ms();

	do
		burn_a(100000);
	while (cpu_ms() - t0 < ms);
	return 0;
}

/*
 * sampfp.c - frame-pointer program for the sampling false-edge test:
 * main -> mid_a -> mid_b -> leaf_c (libnofp.so) -> vuln_fn, and
 * main -> mid_a -> fp_spin (a frame-pointer leaf that burns CPU too).
 * Usage: sampfp SECONDS
 */
#include <stdlib.h>
#include <time.h>

#define NI __attribute__((noipa))

unsigned long leaf_c(unsigned long n);

volatile unsigned long samp_sink;

NI void fp_tick(unsigned long i)
{
	samp_sink += i;
}

/* Not a leaf, so it keeps its frame pointer (GCC drops it in frameless leaves). */
NI unsigned long fp_spin(unsigned long n)
{
	unsigned long i, s = 0;

	for (i = 0; i < n; i++) {
		s += i * 7 ^ (s >> 5);
		if ((i & 0xffff) == 0)
			fp_tick(i);
	}
	samp_sink += s;
	return s;
}

NI unsigned long mid_b(unsigned long n)
{
	unsigned long r = leaf_c(n);

	samp_sink += r;
	return r;
}

NI unsigned long mid_a(unsigned long n)
{
	unsigned long r = mid_b(n) + fp_spin(n);

	samp_sink += r;
	return r;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		mid_a(200000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}

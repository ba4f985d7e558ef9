/*
 * nofp.c - libnofp.so, built without frame pointers: leaf_c -> vuln_fn, where
 * vuln_fn spins. A frame-pointer unwind from vuln_fn skips leaf_c and reports
 * the false edge mid_b -> vuln_fn.
 */
#define NI __attribute__((noipa))

volatile unsigned long nofp_sink;

NI unsigned long vuln_fn(unsigned long n)
{
	unsigned long i, s = 0;

	for (i = 0; i < n; i++)
		s += i * i ^ (s >> 3);
	nofp_sink += s;
	return s;
}

NI unsigned long leaf_c(unsigned long n)
{
	unsigned long r = vuln_fn(n);

	nofp_sink += r;
	return r + 1;
}

// The same static name as cxx_a.cc, and the other user of shared_inl.
#include "cxx.h"

static int local() { return 5; }

struct Impl : Base {
	int f(int x) override { return x + local(); }
};

int main()
{
	Impl i;
	return call_b(&i) + shared_inl(2);
}

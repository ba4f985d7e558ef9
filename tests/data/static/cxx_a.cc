// A static function, an anonymous-namespace function, a virtual call.
#include "cxx.h"

static int local() { return 1; }

namespace {
int anon() { return 2; }
}

int call_b(Base *b)
{
	return b->f(local() + anon()) + shared_inl(1);
}

/* Shared by cxx_a.cc and cxx_b.cc: an inline function both TUs emit
 * (COMDAT: one symbol in the program) and a class with a virtual call. */
#ifndef CXX_H
#define CXX_H
inline int shared_inl(int x) { return x * 3; }

struct Base {
	virtual int f(int x) = 0;
	virtual ~Base() {}
};

int call_b(Base *b);
#endif

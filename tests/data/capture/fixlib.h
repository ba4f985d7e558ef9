/* fixlib.h - the shared library of the trace-capture fixture. */
#ifndef FIXLIB_H
#define FIXLIB_H
int lib_entry(int x);
#endif

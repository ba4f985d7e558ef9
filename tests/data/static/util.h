#ifndef UTIL_H
#define UTIL_H
int util_sum(const int *v, int n);
int util_unused(int x);
#endif

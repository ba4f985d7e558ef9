/*
 * unit.h - the smallest useful unit-test harness: CHECK() records a failure and
 * carries on; UNIT_MAIN() runs the listed tests and ends with "N passed, N failed".
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_current_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		unit_current_failed = 1; \
	} \
} while (0)

#define CHECK_EQ_U64(a, b) do { \
	unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
	if (a_ != b_) { \
		fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", \
		    __FILE__, __LINE__, #a, #b, a_, b_); \
		unit_current_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
		fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
		    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		unit_current_failed = 1; \
	} \
} while (0)

#define RUN(test) do { \
	unit_current_failed = 0; \
	test(); \
	if (unit_current_failed) { unit_failed++; fprintf(stderr, "FAIL %s\n", #test); } \
	else unit_passed++; \
} while (0)

#define UNIT_END() do { \
	printf("%d passed, %d failed\n", unit_passed, unit_failed); \
	return unit_failed ? 1 : 0; \
} while (0)

#endif

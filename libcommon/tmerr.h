/*
 * tmerr.h - error reporting shared by every library module: an error code that
 * maps onto the documented exit status, and one human-readable line.
 */
#ifndef TM_TMERR_H
#define TM_TMERR_H

/* Exit codes of every binary (see STYLE: exit codes). */
enum tm_exit {
	TM_EXIT_OK       = 0,
	TM_EXIT_NEGATIVE = 1,	/* a negative answer the user asked for */
	TM_EXIT_USAGE    = 2,
	TM_EXIT_DATA     = 3,	/* corrupt, truncated, wrong version, unparsable */
	TM_EXIT_ENV      = 4,	/* I/O, permission, privilege, platform */
};

struct tm_err {
	int code;		/* enum tm_exit; 0 = no error */
	char msg[512];
};

#if defined(__MINGW32__) && !defined(__clang__)
/* mingw's "printf" is msvcrt's; the Windows build uses the C99 one. */
#define TM_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__)
#define TM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TM_PRINTF(a, b)
#endif

/* Record an error unless one is already recorded (the first cause wins). */
void tm_err_set(struct tm_err *e, int code, const char *fmt, ...) TM_PRINTF(3, 4);
/* Same, appending ": strerror(errnum)". */
void tm_err_errno(struct tm_err *e, int code, int errnum, const char *fmt, ...) TM_PRINTF(4, 5);
void tm_err_clear(struct tm_err *e);

#endif

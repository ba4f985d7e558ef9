/*
 * tmerr.c - error recording (see tmerr.h).
 */
#include "tmerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tm_err_set(struct tm_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code)
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void tm_err_errno(struct tm_err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!e || e->code)
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
}

void tm_err_clear(struct tm_err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

/*
 * warncb.c - warnings through the caller's callback (see warncb.h).
 */
#include "warncb.h"

#include <stdarg.h>
#include <stdio.h>

void warncb_printf(warncb_fn fn, void *arg, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(arg, buf);
}

/*
 * graphlex.c - the lexical layer of the static graph readers (see graphlex.h).
 */
#include "graphlex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int graphlex_fail(struct graphlex_err *e, unsigned long line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (e->status != SG_OK)
		return e->status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (e->errsize)
		snprintf(e->err, e->errsize, "%s:%lu: %s", e->name, line, msg);
	e->status = SG_EDATA;
	return SG_EDATA;
}

int graphlex_nomem(struct graphlex_err *e, unsigned long line)
{
	if (e->status == SG_OK) {
		if (e->errsize)
			snprintf(e->err, e->errsize, "%s:%lu: out of memory", e->name, line);
		e->status = SG_ENOMEM;
	}
	return e->status;
}

void graphlex_init(struct graphlex *lx, struct graphlex_err *e, const char *buf, size_t len,
    const char *name, char *err, size_t errsize)
{
	lx->p = buf;
	lx->end = buf + len;
	lx->line = 1;
	lx->line_start = 1;
	e->name = name ? name : "<input>";
	e->err = err;
	e->errsize = errsize;
	e->status = SG_OK;
	if (errsize)
		err[0] = '\0';
}

int graphlex_put(struct graphlex_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > SG_MAX_STRLEN + 1)
		return -2;
	if (graphlex_reserve(b, b->len + n + 1))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/*
 * graphlex.c - the lexical layer of the static graph readers (see graphlex.h).
 */
#include "graphlex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

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

int graphlex_skip(struct graphlex *lx, int hash_lines, unsigned long *open_line)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->line_start = 1;
			lx->p++;
		} else if (graphlex_is_space(c)) {
			lx->p++;
		} else if ((c == '#' && hash_lines && lx->line_start) ||
		    (c == '/' && lx->end - lx->p >= 2 && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->end - lx->p >= 2 && lx->p[1] == '*') {
			*open_line = lx->line;
			lx->p += 2;
			for (;;) {
				if (lx->end - lx->p < 2) {
					lx->p = lx->end;
					return -1;
				}
				if (lx->p[0] == '*' && lx->p[1] == '/') {
					lx->p += 2;
					break;
				}
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
		} else {
			break;
		}
	}
	return 0;
}

int graphlex_string(struct graphlex *lx, struct graphlex_err *e, const char **s, size_t *len)
{
	unsigned long line = lx->line;
	const char *start = ++lx->p;

	while (lx->p < lx->end && *lx->p != '"') {
		if (*lx->p == '\0')
			return graphlex_fail(e, lx->line, "NUL byte in string");
		if (*lx->p == '\\' && lx->end - lx->p >= 2)
			lx->p++;
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
		if ((size_t)(lx->p - start) > SG_MAX_STRLEN)
			return graphlex_fail(e, line, "string longer than %u bytes", SG_MAX_STRLEN);
	}
	if (lx->p >= lx->end)
		return graphlex_fail(e, line, "unterminated string");
	*s = start;
	*len = (size_t)(lx->p - start);
	lx->p++;
	return SG_OK;
}

int graphlex_reserve(struct graphlex_buf *b, size_t need)
{
	void *p = b->p;

	if (mem_grow(&p, &b->cap, need, 1) < 0)
		return -1;
	b->p = p;
	return 0;
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

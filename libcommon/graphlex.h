/*
 * graphlex.h - what the text readers of static call graphs (vcg.h for GCC
 * .ci files, dotgraph.h for DOT) share: a bounds-checked cursor that counts
 * lines, skips blanks and comments and scans quoted strings; scratch text
 * buffers; and the parse status with "NAME:LINE: what is wrong" messages.
 */
#ifndef TM_GRAPHLEX_H
#define TM_GRAPHLEX_H

#include <stddef.h>

#include "mem.h"
#include "sgraph.h"
#include "tmerr.h"

/* A parse's outcome: SG_OK until the first failure, whose message is kept. */
struct graphlex_err {
	const char *name;	/* the input, in messages */
	char *err;		/* the caller's message buffer (errsize 0: none) */
	size_t errsize;
	int status;		/* enum sg_status */
};

/* Record bad data at line (only the first failure counts); returns the status. */
int graphlex_fail(struct graphlex_err *e, unsigned long line, const char *fmt, ...) TM_PRINTF(3, 4);
/* Record an allocation failure at line; returns the status. */
int graphlex_nomem(struct graphlex_err *e, unsigned long line);

/* The cursor over the input; a copy of it is a saved position. */
struct graphlex {
	const char *p, *end;
	unsigned long line;
	int line_start;		/* only blanks so far on this line ('#' lines) */
};

/*
 * Start a parse of buf[0..len) named name ("<input>" when NULL) at line 1,
 * with errors into err[0..errsize) (cleared).
 */
void graphlex_init(struct graphlex *lx, struct graphlex_err *e, const char *buf, size_t len,
    const char *name, char *err, size_t errsize);

static inline int graphlex_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Skip blanks and comments (// and C comments, and with hash_lines lines
 * whose first non-blank is '#'). 0, or -1 at an unterminated comment, which
 * opened at *open_line. Inline, as graphlex_string: the readers' inner loops.
 */
static inline int graphlex_skip(struct graphlex *lx, int hash_lines, unsigned long *open_line)
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

/*
 * At an opening '"': the string's raw text (escapes kept, a backslash only
 * keeping the next byte from ending it) in *s and *len, the cursor past the
 * closing quote. SG_OK, or SG_EDATA for a NUL byte, an unterminated string
 * or one longer than SG_MAX_STRLEN.
 */
static inline int graphlex_string(struct graphlex *lx, struct graphlex_err *e, const char **s,
    size_t *len)
{
	unsigned long line = lx->line;
	const char *start = ++lx->p;

	while (lx->p < lx->end && *lx->p != '"') {
		/* An escaped NUL is a NUL too: names are C strings downstream. */
		if (*lx->p == '\\' && lx->end - lx->p >= 2)
			lx->p++;
		if (*lx->p == '\0')
			return graphlex_fail(e, lx->line, "NUL byte in string");
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

/* A growable scratch buffer; it grows to the longest text seen, no further. */
struct graphlex_buf {
	char *p;
	size_t len, cap;
};

/* Room for need bytes. 0, or -1 on allocation failure. */
static inline int graphlex_reserve(struct graphlex_buf *b, size_t need)
{
	void *p = b->p;

	if (need <= b->cap)
		return 0;
	if (mem_grow(&p, &b->cap, need, 1) < 0)
		return -1;
	b->p = p;
	return 0;
}

/* Append s[0..n) and keep the text NUL-terminated: 0, -1 out of memory, -2 over SG_MAX_STRLEN. */
int graphlex_put(struct graphlex_buf *b, const char *s, size_t n);

#endif

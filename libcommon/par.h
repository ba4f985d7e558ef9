/*
 * par.h - two-way fork/join for the sorts of the output phase, which run
 * when the other core has nothing else to do.
 */
#ifndef TM_PAR_H
#define TM_PAR_H

/*
 * Run fn(a) on a helper thread and fn(b) on the calling one; return when
 * both are done. When no thread can be started, run both on the caller.
 * fn must not touch what the other call touches.
 */
void par_both(void (*fn)(void *), void *a, void *b);

/* Below this many items, a sort is not split: a thread costs more than it saves. */
#define PAR_SORT_MIN 65536

#endif

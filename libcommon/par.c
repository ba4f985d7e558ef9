/*
 * par.c - two-way fork/join (see par.h).
 */
#include "par.h"

#include <pthread.h>

struct par_job {
	void (*fn)(void *);
	void *arg;
};

static void *par_start(void *p)
{
	struct par_job *j = p;

	j->fn(j->arg);
	return NULL;
}

void par_both(void (*fn)(void *), void *a, void *b)
{
	struct par_job j = { fn, a };
	pthread_t t;

	if (pthread_create(&t, NULL, par_start, &j) != 0) {
		fn(a);
		fn(b);
		return;
	}
	fn(b);
	pthread_join(t, NULL);
}

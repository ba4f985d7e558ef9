/*
 * The asynchronous transfers of the trace-conflicts tests: a signal handler
 * (entered from the kernel's signal frame, whose return address is libc's
 * rt_sigreturn trampoline), a thread start routine (entered from libc's
 * start_thread) and an exit handler (entered from libc's exit path). No
 * static call reaches any of the three. Link with -pthread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	got = sig;
}

static void *worker(void *arg)
{
	return (void *)((long)arg + 1);
}

static void bye(void)
{
	fflush(stdout);
}

int main(void)
{
	pthread_t t;
	void *r = NULL;

	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
	if (pthread_create(&t, NULL, worker, (void *)41L) == 0)
		pthread_join(t, &r);
	atexit(bye);
	printf("%d %ld\n", (int)got, (long)r);
	return 0;
}

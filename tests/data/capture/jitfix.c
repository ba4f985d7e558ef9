/*
 * jitfix.c - a program that compiles code at run time, for the perf map tests
 * of trace-capture. It writes x86-64 trampolines into an anonymous page that
 * it then makes executable, names them in /tmp/perf-PID.map as JITs do
 * ("START SIZE name", hex), and calls them; each trampoline calls a C function
 * of this program:
 *
 *   jit_trampoline, jit_other, jit_late -> jit_callee
 *   jit_burner                          -> jit_burn
 *
 * Usage: jitfix MODE N
 *   named    the map names jit_trampoline, which is called N times
 *   unnamed  the map names jit_other only; jit_trampoline is called N times
 *   grow     as named, then jit_late is appended to the map and called N times
 *   spin     jit_burner calls jit_burn (a frame-pointer function that burns
 *            CPU) for N seconds
 *
 * It prints "jit 0xPAGE" (the trampolines' page) on stdout. Before it goes on
 * after a change to the map, and before it exits, it waits (up to 10 s) until
 * another process has read the map (inotify): a tracer must read it while the
 * process lives. It exits 3 when nobody read it. The map is removed at exit.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NI __attribute__((noipa))

enum { SLOT = 64, T_TRAMPOLINE = 0, T_OTHER = 1, T_LATE = 2, T_BURNER = 3 };

/* push rbp; mov rbp,rsp; movabs rax,FN; call rax; pop rbp; ret */
static const unsigned char tramp[] = {
	0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd0, 0x5d, 0xc3,
};

volatile long jit_sink;
static char map_path[64];
static int ino_fd = -1;

NI long jit_callee(long x)
{
	jit_sink += x;
	return x + 1;
}

NI void jit_tick(long i)
{
	jit_sink += i;
}

/* Not a leaf, so it keeps its frame pointer. */
NI long jit_burn(long n)
{
	long i, s = 0;

	for (i = 0; i < n; i++) {
		s += i * 7 ^ (s >> 5);
		if ((i & 0xffff) == 0)
			jit_tick(i);
	}
	jit_sink += s;
	return s;
}

static void remove_map(void)
{
	unlink(map_path);
}

static void map_add(unsigned char *page, int slot, const char *name)
{
	FILE *f = fopen(map_path, "a");

	if (!f || fprintf(f, "%lx %zx %s\n", (unsigned long)(uintptr_t)(page + slot * SLOT),
	    sizeof(tramp), name) < 0 || fclose(f) != 0) {
		perror(map_path);
		exit(1);
	}
}

/* Forget the reads of the map seen so far. */
static void forget_reads(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(ino_fd, buf, sizeof(buf)) > 0)
		;
}

/* Wait until some process has read the map (since the last forget_reads). */
static void wait_read(void)
{
	struct pollfd pfd = { .fd = ino_fd, .events = POLLIN };

	if (poll(&pfd, 1, 10000) != 1) {
		fprintf(stderr, "jitfix: %s: not read by any other process\n", map_path);
		exit(3);
	}
}

static long call(unsigned char *page, int slot, long x)
{
	long (*fn)(long);
	void *p = page + slot * SLOT;

	memcpy(&fn, &p, sizeof(fn));
	return fn(x);
}

int main(int argc, char **argv)
{
#if defined(__x86_64__)
	const char *mode = argc > 2 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0, i;
	void *targets[] = { (void *)jit_callee, (void *)jit_callee, (void *)jit_callee,
	    (void *)jit_burn };
	unsigned char *page;
	int s;

	if (strcmp(mode, "named") && strcmp(mode, "unnamed") && strcmp(mode, "grow") &&
	    strcmp(mode, "spin")) {
		fprintf(stderr, "usage: jitfix named|unnamed|grow|spin N\n");
		return 2;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(page, 0xcc, 4096);
	for (s = 0; s < 4; s++) {
		uint64_t fn = (uint64_t)(uintptr_t)targets[s];

		memcpy(page + s * SLOT, tramp, sizeof(tramp));
		memcpy(page + s * SLOT + 6, &fn, sizeof(fn));
	}
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) < 0) {
		perror("mprotect");
		return 1;
	}
	printf("jit %p\n", (void *)page);
	fflush(stdout);

	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	unlink(map_path);
	atexit(remove_map);
	if (strcmp(mode, "unnamed") == 0)
		map_add(page, T_OTHER, "jit_other");
	else
		map_add(page, strcmp(mode, "spin") == 0 ? T_BURNER : T_TRAMPOLINE,
		    strcmp(mode, "spin") == 0 ? "jit_burner" : "jit_trampoline");
	ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino_fd < 0 || inotify_add_watch(ino_fd, map_path, IN_CLOSE_NOWRITE) < 0) {
		perror("inotify");
		return 1;
	}

	if (strcmp(mode, "spin") == 0) {
		struct timespec t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			call(page, T_BURNER, 200000);
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < (double)n);
		wait_read();
		return 0;
	}
	for (i = 0; i < n; i++)
		call(page, T_TRAMPOLINE, i);
	wait_read();
	if (strcmp(mode, "grow") == 0) {
		/* The map was read: what a reader learns now comes from an append. */
		forget_reads();
		map_add(page, T_LATE, "jit_late");
		for (i = 0; i < n; i++)
			call(page, T_LATE, i);
		wait_read();
	}
	return 0;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "jitfix: writes x86-64 code: not on this machine\n");
	return 2;
#endif
}

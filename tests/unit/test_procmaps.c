/*
 * test_procmaps.c - /proc/PID/maps lines, container ids from cgroup paths,
 * perf maps (parsed, and read from this process's /tmp/perf-PID.map as it
 * grows, is replaced, or is not a file of ours), and reading this process's
 * own maps, mapped files and start time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procmaps.h"
#include "unit.h"

static void test_parse_line(void)
{
	char l1[] = "7f12a4c00000-7f12a4c28000 r-xp 00028000 fd:01 1835019                    /usr/lib/x86_64-linux-gnu/libc.so.6";
	char l2[] = "5600d1e5e000-5600d1e7f000 rw-p 00000000 00:00 0                          [heap]";
	char l3[] = "7ffd1c1d2000-7ffd1c1f3000 rw-p 00000000 00:00 0";
	char bad1[] = "zzzz-7f r-xp 0 0:0 0";
	char bad2[] = "7f12a4c28000-7f12a4c00000 r-xp 00000000 fd:01 1 /x";	/* end < start */
	struct procmaps_ent e;

	CHECK(procmaps_parse_line(l1, &e) == 0);
	CHECK_EQ_U64(e.start, 0x7f12a4c00000ull);
	CHECK_EQ_U64(e.end, 0x7f12a4c28000ull);
	CHECK_EQ_U64(e.off, 0x28000);
	CHECK_EQ_U64(e.dev_major, 0xfd);
	CHECK_EQ_U64(e.dev_minor, 1);
	CHECK_EQ_U64(e.ino, 1835019);
	CHECK(e.prot == (PROT_READ | PROT_EXEC));
	CHECK_STR(e.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	CHECK(procmaps_parse_line(l2, &e) == 0);
	CHECK_STR(e.path, "[heap]");
	CHECK(e.prot == (PROT_READ | PROT_WRITE));
	CHECK(procmaps_parse_line(l3, &e) == 0);
	CHECK_STR(e.path, "");
	CHECK_EQ_U64(e.ino, 0);
	CHECK(procmaps_parse_line(bad1, &e) < 0);
	CHECK(procmaps_parse_line(bad2, &e) < 0);
}

static void test_parse_find(void)
{
	const char text[] =
	    "1000-2000 r--p 00000000 08:01 10 /bin/x\n"
	    "2000-5000 r-xp 00001000 08:01 10 /bin/x\n"
	    "garbage line\n"
	    "9000-a000 rw-p 00000000 00:00 0\n";
	struct procmaps pm;
	char *t = strdup(text);
	const struct procmaps_ent *e;

	memset(&pm, 0, sizeof(pm));
	CHECK(t && procmaps_parse(&pm, t, strlen(text)) == 0);
	CHECK_EQ_U64(pm.n, 3);
	e = procmaps_find(&pm, 0x2abc);
	CHECK(e && e->start == 0x2000 && e->off == 0x1000);
	CHECK(procmaps_find(&pm, 0x5000) == NULL);
	CHECK(procmaps_find(&pm, 0xfff) == NULL);
	e = procmaps_find(&pm, 0x9fff);
	CHECK(e && e->ino == 0);
	procmaps_free(&pm);
}

static void test_container_id(void)
{
	const char *id = "4f9c2a1b0e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c";
	char path[512], out[128];

	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "docker://", 9) == 0 && strcmp(out + 9, id) == 0);
	snprintf(path, sizeof(path), "/docker/%s", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "docker://", 9) == 0);
	snprintf(path, sizeof(path),
	    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/"
	    "cri-containerd-%s.scope", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "containerd://", 13) == 0 && strcmp(out + 13, id) == 0);
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod0a1b-22/%s", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "containerd://", 13) == 0);
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-pod9.slice/crio-%s.scope", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "cri-o://", 8) == 0);
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope/container", id);
	CHECK(procmaps_container_id(path, out, sizeof(out)) > 0);
	CHECK(strncmp(out, "podman://", 9) == 0 && strcmp(out + 9, id) == 0);
	CHECK(procmaps_container_id("/user.slice/user-1000.slice/session-2.scope", out,
	    sizeof(out)) == 0);
	CHECK(procmaps_container_id("/", out, sizeof(out)) == 0);
	/* 63 hex digits is not an id */
	CHECK(procmaps_container_id("/docker/4f9c2a1b0e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4", out,
	    sizeof(out)) == 0);
	CHECK(procmaps_container_id(path, out, 20) == 0);	/* too small: nothing */
}

static void test_perfmap(void)
{
	const char text[] = "7f0000001000 40 jit_fn_a\n7f0000000100 10 stub b\nbad\n";
	struct perfmap m;
	char *t = strdup(text);
	const struct perfmap_sym *s;

	memset(&m, 0, sizeof(m));
	CHECK(t && perfmap_parse(&m, t, strlen(text)) == 0);
	CHECK_EQ_U64(m.n, 2);
	s = perfmap_find(&m, 0x7f0000001020);
	CHECK(s && strcmp(s->name, "jit_fn_a") == 0);
	s = perfmap_find(&m, 0x7f0000000105);
	CHECK(s && strcmp(s->name, "stub b") == 0);
	CHECK(perfmap_find(&m, 0x7f0000001040) == NULL);
	CHECK(perfmap_find(&m, 0x10) == NULL);
	perfmap_free(&m);
}

/* A name longer than PERFMAP_NAME_MAX is no symbol; a later line wins at one start. */
static void test_perfmap_lines(void)
{
	size_t len = PERFMAP_NAME_MAX + 64, n;
	char *t = malloc(len + 1);
	struct perfmap m;
	const struct perfmap_sym *s;

	CHECK(t != NULL);
	if (!t)
		return;
	n = (size_t)snprintf(t, len, "100 10 old\n200 10 ");
	memset(t + n, 'x', PERFMAP_NAME_MAX + 1);
	n += PERFMAP_NAME_MAX + 1;
	n += (size_t)snprintf(t + n, len + 1 - n, "\n100 20 new\n");
	memset(&m, 0, sizeof(m));
	CHECK(perfmap_parse(&m, t, n) == 0);
	CHECK_EQ_U64(m.n, 2);
	s = perfmap_find(&m, 0x105);
	CHECK(s && strcmp(s->name, "new") == 0);
	CHECK(perfmap_find(&m, 0x205) == NULL);
	perfmap_free(&m);
}

static char pm_path[64];

static void pm_write(const char *mode, const char *text)
{
	FILE *f = fopen(pm_path, mode);

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int pm_sorted(const struct perfmap *m)
{
	size_t i;

	for (i = 1; i < m->n; i++)
		if (m->syms[i].start < m->syms[i - 1].start)
			return 0;
	return 1;
}

/* This process's own /tmp/perf-PID.map, read as a JIT writes it. */
static void test_perfmap_update(void)
{
	struct perfmap m;
	const struct perfmap_sym *s;
	char other[80];

	snprintf(pm_path, sizeof(pm_path), "/tmp/perf-%d.map", (int)getpid());
	unlink(pm_path);
	memset(&m, 0, sizeof(m));
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 0);	/* no map yet */
	CHECK_EQ_U64(m.n, 0);

	/* Whole lines only: the last one is being written. */
	pm_write("w", "1000 10 a\n2000 10 b\n3000 10 part");
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 1);
	CHECK_EQ_U64(m.n, 2);
	CHECK(perfmap_find(&m, 0x3005) == NULL);
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 0);	/* unchanged */

	/* Appended lines, out of order: merged in. */
	pm_write("a", "ial\n1800 10 c\n1000 20 a2\n");
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 1);
	CHECK_EQ_U64(m.n, 5);
	CHECK(pm_sorted(&m));
	s = perfmap_find(&m, 0x3005);
	CHECK(s && strcmp(s->name, "partial") == 0);
	s = perfmap_find(&m, 0x1805);
	CHECK(s && strcmp(s->name, "c") == 0);
	s = perfmap_find(&m, 0x1015);	/* the later line at 0x1000 */
	CHECK(s && strcmp(s->name, "a2") == 0);
	s = perfmap_find(&m, 0x2000);
	CHECK(s && strcmp(s->name, "b") == 0);

	/* Truncated or replaced: the caller reads it again. */
	pm_write("w", "4000 10 d\n");
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 2);
	perfmap_free(&m);
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 1);
	CHECK_EQ_U64(m.n, 1);
	CHECK(perfmap_find(&m, 0x1005) == NULL);
	perfmap_free(&m);

	/* The limit: text plus 24 bytes per symbol. */
	pm_write("w", "1000 10 a\n2000 10 b\n3000 10 c\n");
	CHECK(perfmap_update(getpid(), &m, 30 + 2 * sizeof(struct perfmap_sym)) == 1);
	CHECK(m.full);
	CHECK_EQ_U64(m.n, 2);
	CHECK(perfmap_find(&m, 0x2005) != NULL);
	CHECK(perfmap_find(&m, 0x3005) == NULL);
	pm_write("a", "4000 10 d\n");
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == 0);	/* full: nothing more */
	perfmap_free(&m);
	CHECK(perfmap_update(getpid(), &m, 15) == 1);	/* 15 bytes of text: one line */
	CHECK(m.full && m.done == 10 && m.n == 0);
	perfmap_free(&m);

	/* A symlink, even to a file of ours, or a FIFO: not read. */
	snprintf(other, sizeof(other), "%s.target", pm_path);
	rename(pm_path, other);
	CHECK(symlink(other, pm_path) == 0);
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == -1);
	CHECK_EQ_U64(m.n, 0);
	unlink(pm_path);
	unlink(other);
	CHECK(mkfifo(pm_path, 0600) == 0);
	CHECK(perfmap_update(getpid(), &m, 1 << 20) == -1);
	unlink(pm_path);
	perfmap_free(&m);
}

static void test_self(void)
{
	struct procmaps pm;
	struct tm_err err = { 0 };
	const struct procmaps_ent *e;
	int fd;

	CHECK(procmaps_read(0, &pm, &err) == 0);
	e = procmaps_find(&pm, (uint64_t)(uintptr_t)&test_self);
	CHECK(e && (e->prot & PROT_EXEC) && e->path[0] == '/');
	if (e) {
		fd = procmaps_open_mapped(getpid(), e->start, e->end, e->path);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	procmaps_free(&pm);
	CHECK(procmaps_ns_pid(getpid()) > 0);
}

/* A start time for this process; none for a child that has been reaped. */
static void test_start_time(void)
{
	uint64_t t = 0, t2 = 0;
	pid_t child;

	CHECK(procmaps_start_time(getpid(), &t) == 0 && t > 0);
	CHECK(procmaps_start_time(getpid(), &t2) == 0 && t2 == t);
	child = fork();
	if (child == 0)
		_exit(0);
	CHECK(child > 0);
	if (child > 0) {
		waitpid(child, NULL, 0);
		CHECK(procmaps_start_time(child, &t2) < 0);
	}
}

int main(void)
{
	RUN(test_parse_line);
	RUN(test_parse_find);
	RUN(test_container_id);
	RUN(test_perfmap);
	RUN(test_perfmap_lines);
	RUN(test_perfmap_update);
	RUN(test_self);
	RUN(test_start_time);
	UNIT_END();
}

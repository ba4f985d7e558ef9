/*
 * test_procmaps.c - /proc/PID/maps lines, container ids from cgroup paths,
 * perf maps, and reading this process's own maps and mapped files.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int main(void)
{
	RUN(test_parse_line);
	RUN(test_parse_find);
	RUN(test_container_id);
	RUN(test_perfmap);
	RUN(test_self);
	UNIT_END();
}

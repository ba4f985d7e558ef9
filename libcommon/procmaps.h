/*
 * procmaps.h - what /proc says about a process: /proc/PID/maps parsing,
 * opening mapped files through map_files or the process root, cgroups and
 * container ids, start times, JIT perf maps.
 *
 * Paths in maps are as seen inside the process's mount namespace; files are
 * reached through /proc/PID/map_files/START-END (no path resolution, works
 * for deleted files) or /proc/PID/root/PATH. JIT symbols come from
 * /tmp/perf-NSPID.map inside the process's root.
 */
#ifndef TM_PROCMAPS_H
#define TM_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tmerr.h"

struct procmaps_ent {
	uint64_t start, end;
	uint64_t off;		/* file offset of start */
	uint64_t ino;
	unsigned dev_major, dev_minor;
	unsigned prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	const char *path;	/* "" for anonymous; "[heap]", "/usr/lib/..." */
};

struct procmaps {
	struct procmaps_ent *ents;
	size_t n, cap;
	char *text;		/* the file contents the paths point into */
	size_t text_len;
};

/*
 * Parse one maps line ("start-end perms off maj:min ino   path"); path
 * points into line (up to the end, without the newline). 0 or -1.
 */
int procmaps_parse_line(char *line, struct procmaps_ent *e);

/* Read /proc/PID/maps (pid 0 = self). 0 or -1 (err set; ENOENT when gone). */
int procmaps_read(pid_t pid, struct procmaps *pm, struct tm_err *err);
/* Parse maps text (taken over, freed by procmaps_free). 0 or -1. */
int procmaps_parse(struct procmaps *pm, char *text, size_t len);
void procmaps_free(struct procmaps *pm);

/* The mapping containing addr, or NULL. */
const struct procmaps_ent *procmaps_find(const struct procmaps *pm, uint64_t addr);

/*
 * A read-only fd on a file mapped by pid: /proc/PID/map_files/START-END,
 * else /proc/PID/root/PATH when path is given. -1 (errno) on failure.
 */
int procmaps_open_mapped(pid_t pid, uint64_t start, uint64_t end, const char *path);

/* The cgroup v2 path of pid ("0::/path" of /proc/PID/cgroup). 0 or -1. */
int procmaps_cgroup_path(pid_t pid, char *out, size_t size);

/* The cgroup v2 id of a cgroup directory (its inode number). 0 or -1 (errno). */
int procmaps_cgroup_id(const char *dir, uint64_t *id);

/*
 * A container id from a cgroup path, in the Kubernetes form RUNTIME://ID:
 * docker (/docker/ID, docker-ID.scope), containerd (cri-containerd-ID.scope,
 * /kubepods/.../ID), cri-o (crio-ID.scope), podman (libpod-ID.scope).
 * Returns the length written, 0 when the path names no container.
 */
size_t procmaps_container_id(const char *cgroup_path, char *out, size_t size);

/* The innermost namespace pid of pid (NStgid in /proc/PID/status), or pid. */
pid_t procmaps_ns_pid(pid_t pid);

/*
 * When pid started, in clock ticks since boot (/proc/PID/stat field 22): with
 * the pid, it tells a process from a later one that reuses the pid. 0 or -1.
 */
int procmaps_start_time(pid_t pid, uint64_t *ticks);

/* Kernel dev_t (major << 20 | minor) to major and minor. */
static inline void procmaps_kdev(uint32_t kdev, unsigned *major, unsigned *minor)
{
	*major = kdev >> 20;
	*minor = kdev & 0xfffff;
}

/*
 * A JIT symbol from a perf map: "START SIZE name" per line, hex numbers, as
 * JITs write /tmp/perf-PID.map (perf's convention). The traced process writes
 * it: every line is untrusted, and lines are only ever appended.
 */
struct perfmap_sym {
	uint64_t start, size;
	const char *name;
};

#define PERFMAP_NAME_MAX 4096	/* a longer name is no symbol: its line is skipped */

struct perfmap {
	struct perfmap_sym *syms;	/* sorted by start; equal starts in file order */
	size_t n, cap;
	char *text;			/* perfmap_parse: the text taken over */
	/* perfmap_update: the file as read so far */
	char **chunks;			/* the text of each read, names point into it */
	size_t nchunks, chunks_cap;
	uint64_t dev, ino;		/* the file read (0, 0 before the first read) */
	uint64_t done;			/* bytes of whole lines read */
	size_t held;			/* text plus symbol entries, held against the limit */
	int full;			/* the limit was reached: nothing more is read */
	pid_t nspid;			/* the process's innermost pid, 0 until known */
};

/* Parse perf map text (taken over; text[len] must be NUL). 0 or -1. */
int perfmap_parse(struct perfmap *m, char *text, size_t len);

/*
 * Read pid's perf map, /tmp/perf-NSPID.map inside the process's root
 * (/proc/PID/root, resolved there: symlinks cannot leave it), or the lines
 * appended to it since the last call; m starts zeroed. Only a regular file
 * (not a symlink) owned by the process's user is read, and only whole lines. At
 * most `max` bytes are held (text plus one entry per symbol); past that, m->full
 * is set and nothing more is read. Returns 1 when lines were read, 0 when
 * nothing changed or there is no map (or no process), 2 when the file was
 * replaced or truncated (perfmap_free, then read again), -1 on error (errno).
 */
int perfmap_update(pid_t pid, struct perfmap *m, size_t max);

/* The symbol whose range holds addr: the one starting last at or below it. */
const struct perfmap_sym *perfmap_find(const struct perfmap *m, uint64_t addr);
void perfmap_free(struct perfmap *m);

#endif

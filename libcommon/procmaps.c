/*
 * procmaps.c - /proc/PID/maps, mapped files, cgroups, container ids, perf maps
 * (see procmaps.h).
 */
#include "procmaps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "mem.h"

/* Read a whole (proc) file into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int parse_hex(char **p, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(*p, &end, 16);
	if (end == *p || errno)
		return -1;
	*p = end;
	return 0;
}

int procmaps_parse_line(char *line, struct procmaps_ent *e)
{
	char *p = line;
	uint64_t v;

	memset(e, 0, sizeof(*e));
	if (parse_hex(&p, &e->start) < 0 || *p++ != '-' || parse_hex(&p, &e->end) < 0 ||
	    *p++ != ' ')
		return -1;
	if (strlen(p) < 5)
		return -1;
	if (p[0] == 'r')
		e->prot |= PROT_READ;
	if (p[1] == 'w')
		e->prot |= PROT_WRITE;
	if (p[2] == 'x')
		e->prot |= PROT_EXEC;
	p += 4;
	if (*p++ != ' ' || parse_hex(&p, &e->off) < 0 || *p++ != ' ')
		return -1;
	if (parse_hex(&p, &v) < 0 || *p++ != ':')
		return -1;
	e->dev_major = (unsigned)v;
	if (parse_hex(&p, &v) < 0 || *p++ != ' ')
		return -1;
	e->dev_minor = (unsigned)v;
	errno = 0;
	e->ino = strtoull(p, &p, 10);
	if (errno)
		return -1;
	while (*p == ' ')
		p++;
	e->path = p;
	return e->end > e->start ? 0 : -1;
}

int procmaps_parse(struct procmaps *pm, char *text, size_t len)
{
	char *line = text, *nl;

	pm->text = text;
	pm->text_len = len;
	while (line < text + len) {
		struct procmaps_ent e;

		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (nl)
			*nl = '\0';
		if (*line && procmaps_parse_line(line, &e) == 0) {
			if (mem_grow((void **)&pm->ents, &pm->cap, pm->n + 1, sizeof(e)) < 0)
				return -1;
			pm->ents[pm->n++] = e;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

int procmaps_read(pid_t pid, struct procmaps *pm, struct tm_err *err)
{
	char path[64];
	char *text;
	size_t len;

	memset(pm, 0, sizeof(*pm));
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	text = slurp(path, &len);
	if (!text) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s", path);
		return -1;
	}
	if (procmaps_parse(pm, text, len) < 0) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", path);
		procmaps_free(pm);
		return -1;
	}
	return 0;
}

void procmaps_free(struct procmaps *pm)
{
	free(pm->ents);
	free(pm->text);
	memset(pm, 0, sizeof(*pm));
}

const struct procmaps_ent *procmaps_find(const struct procmaps *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	/* maps are sorted by address. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->ents[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pm->n && pm->ents[lo].start <= addr)
		return &pm->ents[lo];
	return NULL;
}

int procmaps_open_mapped(pid_t pid, uint64_t start, uint64_t end, const char *path)
{
	char buf[4200];
	int fd;

	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || !path || path[0] != '/')
		return fd;
	if ((size_t)snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)pid, path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(buf, O_RDONLY | O_CLOEXEC);
}

int procmaps_cgroup_path(pid_t pid, char *out, size_t size)
{
	char path[64], *text, *line, *nl;
	size_t len;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	text = slurp(path, &len);
	if (!text)
		return -1;
	for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "0::", 3) == 0 && strlen(line + 3) < size) {
			strcpy(out, line + 3);
			rc = 0;
			break;
		}
	}
	free(text);
	return rc;
}

int procmaps_cgroup_id(const char *dir, uint64_t *id)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	*id = (uint64_t)st.st_ino;
	return 0;
}

/* Length of the run of hex digits at s (up to 64+1). */
static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (n < 65 && isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

static const struct {
	const char *prefix;	/* before the id in a path component */
	const char *runtime;
} cg_patterns[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "libpod-", "podman" },
	{ "containerd-", "containerd" },
};

size_t procmaps_container_id(const char *cg, char *out, size_t size)
{
	const char *comp, *next, *runtime = NULL, *id = NULL;
	const char *kube = strstr(cg, "kubepods");
	size_t i, n;

	/* The innermost component that holds a 64-digit id wins. */
	for (comp = cg; comp && *comp; comp = next) {
		const char *c;

		while (*comp == '/')
			comp++;
		next = strchr(comp, '/');
		for (i = 0; i < sizeof(cg_patterns) / sizeof(cg_patterns[0]); i++) {
			size_t pl = strlen(cg_patterns[i].prefix);

			if (strncmp(comp, cg_patterns[i].prefix, pl) == 0 && hex_run(comp + pl) == 64) {
				id = comp + pl;
				runtime = cg_patterns[i].runtime;
				break;
			}
		}
		if (i < sizeof(cg_patterns) / sizeof(cg_patterns[0]))
			continue;
		c = comp;
		if (hex_run(c) == 64 && (c[64] == '\0' || c[64] == '/')) {
			/* A bare id: /docker/ID, /kubepods/.../ID, /libpod_parent/.../ID. */
			id = c;
			if (comp - cg >= 8 && strncmp(comp - 8, "/docker/", 8) == 0)
				runtime = "docker";
			else if (strstr(cg, "libpod"))
				runtime = "podman";
			else if (strstr(cg, "crio"))
				runtime = "cri-o";
			else if (kube)
				runtime = "containerd";
			else
				runtime = "docker";
		}
	}
	if (!id)
		return 0;
	n = (size_t)snprintf(out, size, "%s://%.64s", runtime, id);
	return n < size ? n : 0;
}

pid_t procmaps_ns_pid(pid_t pid)
{
	char path[64], *text, *p, *nl;
	size_t len;
	pid_t ns = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = slurp(path, &len);
	if (!text)
		return pid;
	p = strstr(text, "\nNStgid:");
	if (p) {
		p += 8;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		/* The last number is the innermost namespace's. */
		while (*p) {
			char *end;
			long v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			ns = (pid_t)v;
			p = end;
		}
	}
	free(text);
	return ns;
}

int procmaps_start_time(pid_t pid, uint64_t *ticks)
{
	char path[64], *text, *p, *tok, *save, *end;
	size_t len;
	int field, rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = slurp(path, &len);
	if (!text)
		return -1;
	/* "pid (comm) state ppid ...": comm may hold anything, up to the last ')'. */
	p = strrchr(text, ')');
	tok = p ? strtok_r(p + 1, " \n", &save) : NULL;
	for (field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " \n", &save);
	if (tok) {
		errno = 0;
		*ticks = strtoull(tok, &end, 10);
		rc = end != tok && !*end && !errno ? 0 : -1;
	}
	free(text);
	return rc;
}

/* By start; equal starts in text order (names point into one buffer). */
static int pm_cmp(const void *a, const void *b)
{
	const struct perfmap_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/*
 * Add the lines of text (NUL at text[len]) to m: sort them, then merge them
 * after the symbols already there, a later line winning over an earlier one
 * at the same start. Stops once `max` bytes would be held (m->full).
 */
static int perfmap_add(struct perfmap *m, char *text, size_t len, size_t max)
{
	struct perfmap_sym *tmp;
	char *line = text, *nl, *p;
	size_t first = m->n, k, i, j, w;

	while (line < text + len) {
		struct perfmap_sym s;

		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (nl)
			*nl = '\0';
		p = line;
		if (parse_hex(&p, &s.start) == 0 && *p == ' ' && (p++, parse_hex(&p, &s.size) == 0) &&
		    *p == ' ' && p[1] && strnlen(p + 1, PERFMAP_NAME_MAX + 1) <= PERFMAP_NAME_MAX) {
			if (m->held > max || max - m->held < sizeof(s)) {
				m->full = 1;
				break;
			}
			s.name = p + 1;
			if (mem_grow((void **)&m->syms, &m->cap, m->n + 1, sizeof(s)) < 0)
				return -1;
			m->syms[m->n++] = s;
			m->held += sizeof(s);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	k = m->n - first;
	if (k > 1)
		qsort(m->syms + first, k, sizeof(*m->syms), pm_cmp);
	if (!first || !k || m->syms[first].start >= m->syms[first - 1].start)
		return 0;
	/* Merge the new run into the old from the back; ties keep the new one last. */
	tmp = malloc(k * sizeof(*tmp));
	if (!tmp)
		return -1;
	memcpy(tmp, m->syms + first, k * sizeof(*tmp));
	i = first;
	j = k;
	w = m->n;
	while (j > 0) {
		if (i > 0 && m->syms[i - 1].start > tmp[j - 1].start)
			m->syms[--w] = m->syms[--i];
		else
			m->syms[--w] = tmp[--j];
	}
	free(tmp);
	return 0;
}

int perfmap_parse(struct perfmap *m, char *text, size_t len)
{
	m->text = text;
	return perfmap_add(m, text, len, SIZE_MAX);
}

/* Open rel below the directory dfd as if dfd were the root; no symlink at the end. */
static int open_in_root(int dfd, const char *rel)
{
	int fd;
#ifdef SYS_openat2
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
#endif
	/* Without openat2: the directories' symlinks are resolved in our root. */
	fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	return fd;
}

/* Open pid's perf map; -1 with errno (ENOENT: no map, or no process). */
static int perfmap_open(pid_t pid, struct perfmap *m, struct stat *st)
{
	char path[64];
	struct stat ps;
	int dfd, fd, e;

	if (!m->nspid)
		m->nspid = procmaps_ns_pid(pid);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	snprintf(path, sizeof(path), "tmp/perf-%d.map", (int)m->nspid);
	fd = open_in_root(dfd, path);
	e = errno;
	close(dfd);
	if (fd < 0) {
		errno = e == ELOOP ? EPERM : e;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (fstat(fd, st) < 0 || stat(path, &ps) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/*
	 * A regular file of the process's user: not a file of someone else's
	 * that the process pointed to (a link to root's files, a FIFO).
	 */
	if (!S_ISREG(st->st_mode) || st->st_uid != ps.st_uid) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int perfmap_update(pid_t pid, struct perfmap *m, size_t max)
{
	struct stat st;
	char *buf, *nl;
	size_t want, got = 0, len;
	ssize_t r;
	int fd = perfmap_open(pid, m, &st);

	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	if ((m->dev || m->ino) && ((uint64_t)st.st_dev != m->dev || (uint64_t)st.st_ino != m->ino ||
	    (uint64_t)st.st_size < m->done)) {
		close(fd);
		return 2;
	}
	m->dev = (uint64_t)st.st_dev;
	m->ino = (uint64_t)st.st_ino;
	if (m->full) {
		close(fd);
		return 0;
	}
	want = (uint64_t)st.st_size - m->done > SIZE_MAX - 1 ? SIZE_MAX - 1 :
	    (size_t)((uint64_t)st.st_size - m->done);
	if (m->held > max || want > max - m->held) {
		want = m->held > max ? 0 : max - m->held;
		m->full = 1;
	}
	if (!want || mem_grow((void **)&m->chunks, &m->chunks_cap, m->nchunks + 1,
	    sizeof(*m->chunks)) < 0 || !(buf = malloc(want + 1))) {
		close(fd);
		return want ? -1 : 0;
	}
	while (got < want) {
		r = pread(fd, buf + got, want - got, (off_t)(m->done + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	/* Whole lines only: a JIT may be writing the last one. */
	nl = got ? memrchr(buf, '\n', got) : NULL;
	if (!nl) {
		free(buf);
		return 0;
	}
	len = (size_t)(nl - buf) + 1;
	buf[len] = '\0';
	m->chunks[m->nchunks++] = buf;
	m->done += len;
	m->held += len;
	if (perfmap_add(m, buf, len, max) < 0)
		return -1;
	return 1;
}

const struct perfmap_sym *perfmap_find(const struct perfmap *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (addr - m->syms[lo - 1].start < m->syms[lo - 1].size)
		return &m->syms[lo - 1];
	return NULL;
}

void perfmap_free(struct perfmap *m)
{
	size_t i;

	for (i = 0; i < m->nchunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	free(m->syms);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

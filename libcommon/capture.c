/*
 * capture.c - the trace-capture engine (see capture.h).
 *
 * Kernel side: bpf/capture.bpf.c. User side, every 100 ms: drain the ring
 * buffer (first sights of edges and stacks, process exits) and resolve the
 * caller's mapping to a module, or anonymous code to a line of the process's
 * perf map, while the process still lives; keep a sampled stack's build ids
 * and file offsets, for the frames of processes gone before their maps were
 * read; at the end of each window read the count maps, turn count deltas into
 * edges between symbolized nodes, and write them with the probe coverage of
 * the window.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/capture.h"
#include "capture.skel.h"
#include "elfsym.h"
#include "esformat.h"
#include "idmap.h"
#include "mem.h"
#include "procmaps.h"
#include "x86tail.h"

#define CAP_DRAIN_NS	100000000ull	/* ring buffer drain period */
#define CAP_CONF_PROBE	100
#define CAP_CONF_SAMPLE	50
#define CAP_BPF_TRACE_UPROBE_MULTI 48	/* enum bpf_attach_type, newer than the uapi headers */
#define CAP_JIT_MAP_MAX	(16u << 20)	/* bytes of perf map held per process */

/* User-side loss counters, written to the trailer beside the kernel's. */
enum cap_uloss {
	CAP_UL_EDGE_EVICTED,
	CAP_UL_CALLER_UNRESOLVED,
	CAP_UL_SAMPLE_UNTRUSTED,
	CAP_UL_SAMPLE_UNRESOLVED,
	CAP_UL_ATTACH_FAILED,
	CAP_UL_LATE_EDGE,
	CAP_UL_SAMPLE_UNVERIFIED,
	CAP_UL_SAMPLE_BID_ONLY,
	CAP_UL_MAX,
};

static const char *const kloss_names[CAP_ST_MAX] = {
	[CAP_ST_NEW_EDGES] = NULL,	/* not a loss */
	[CAP_ST_RINGBUF_FULL] = "ringbuf_full",
	[CAP_ST_EDGE_MAP_FULL] = "edge_map_full",
	[CAP_ST_VMA_FAIL] = "find_vma_failed",
	[CAP_ST_RET_FAULT] = "return_address_fault",
	[CAP_ST_SAMPLES] = NULL,
	[CAP_ST_STACK_FAIL] = "stack_failed",
	[CAP_ST_SAMPLE_MAP_FULL] = "sample_map_full",
	[CAP_ST_PIDS_FULL] = "pid_map_full",
	[CAP_ST_BID_STACK_FAIL] = "stack_build_id_failed",
};

static const char *const uloss_names[CAP_UL_MAX] = {
	[CAP_UL_EDGE_EVICTED] = "edge_evicted",
	[CAP_UL_CALLER_UNRESOLVED] = "caller_unresolved",
	[CAP_UL_SAMPLE_UNTRUSTED] = "sample_edge_untrusted",
	[CAP_UL_SAMPLE_UNRESOLVED] = "sample_frame_unresolved",
	[CAP_UL_ATTACH_FAILED] = "probe_attach_failed",
	[CAP_UL_LATE_EDGE] = "edge_resolved_late",
	[CAP_UL_SAMPLE_UNVERIFIED] = "sample_edge_unverified",
	[CAP_UL_SAMPLE_BID_ONLY] = "sample_frame_build_id_only",
};

struct cap_module {
	uint32_t kdev;
	uint64_t ino;
	char *path;		/* as seen by the process */
	char *open_path;	/* where we open it, NULL = not openable */
	struct elfsym *es;	/* NULL until opened, or when unreadable */
	int tried;		/* open attempted */
	int fd_tried;		/* opened through a process's map_files (or failed to) */
	int anon;		/* not a file: JIT code, named by path ("[jit:EXE]") */
	int byid;		/* no file at hand: known by its build id alone (bid) */
	int bid_noted;		/* its build id is in the build-id index, or it has none */
	uint8_t bid[CAP_BID_SIZE];	/* byid: the build id (bid_len bytes) */
	uint8_t bid_len;
	uint32_t h;		/* writer handle, 0 until first use */
};

/* A build id seen in a sampled stack, and its module once known. */
struct cap_bid {
	uint8_t id[CAP_BID_SIZE];	/* zero-padded to 20 bytes, as the kernel gives it */
	uint32_t mod;			/* module index, UINT32_MAX until resolved */
};

/* A frame of a sampled stack as the kernel gave it at first sight. */
struct cap_sframe {
	uint32_t bid;		/* index + 1 into bids; 0: the kernel gave the address only */
	uint64_t off;		/* file offset in that module */
};

struct cap_target {
	uint32_t mod;		/* index into mods */
	char *sym;
	const char *file;	/* STT_FILE of a local, inside the module's elfsym */
	uint64_t off;
	uint32_t node_h;
	int attached;
	uint64_t attach_ns, detach_ns;	/* CLOCK_REALTIME */
};

struct cap_proc {
	uint32_t tgid;
	char comm[CAP_COMM_LEN + 1];
	uint64_t cgroup;
	char container[96];
	uint32_t ctx_h;
	uint64_t start;		/* start time (clock ticks since boot), 0 = unknown */
	int exited;
	int maps_loaded;
	uint64_t maps_drain;	/* the drain in which maps were read */
	struct procmaps maps;
	struct perfmap jit;	/* its perf map, as read so far */
	int jit_warned;
	uint32_t jit_mod;	/* index + 1 of its "[jit:EXE]" module, 0 until needed */
	uint32_t jit_reread_win;	/* window + 1 of the last whole re-read */
};

struct cap_kedge {
	struct cap_ekey key;
	uint32_t mod;		/* caller module index, UINT32_MAX = unresolved */
	uint64_t off;		/* caller file offset of the return address */
	uint32_t node_h;	/* caller node made when resolved (JIT code), else 0 */
	uint64_t seen;		/* count already written */
	uint32_t proc;
	uint32_t gen;
	int dead;
	int deferred;		/* its counts were left to the next read once */
};

struct cap_kstack {
	struct cap_skey key;
	uint64_t seen;
	uint32_t proc;
	uint32_t sf, nsf;	/* its first-sight frames in sframes (nsf 0: none) */
};

struct cap_wedge {
	uint32_t caller, callee, ctx;
	uint32_t evidence;
	uint8_t conf;
	uint64_t count, first, last;
};

#define DEFINE_VEC(T, name) T *name; size_t n_##name, cap_##name

struct cap {
	const struct capture_opts *o;
	struct es_writer *w;
	struct tm_err *err;
	struct capture_bpf *skel;
	struct ring_buffer *rb;
	int64_t mono_to_real;
	uint32_t host_h;

	DEFINE_VEC(struct cap_module, mods);
	struct idmap mod_idx;
	DEFINE_VEC(struct cap_target, tgts);
	DEFINE_VEC(struct cap_proc, procs);
	struct idmap proc_idx;
	DEFINE_VEC(struct cap_kedge, kedges);
	struct idmap kedge_idx;
	DEFINE_VEC(struct cap_kstack, kstacks);
	struct idmap kstack_idx;
	DEFINE_VEC(struct cap_sframe, sframes);
	DEFINE_VEC(struct cap_bid, bids);
	struct idmap bid_idx;
	DEFINE_VEC(struct cap_wedge, wedges);
	struct idmap wedge_idx;

	int *link_fds;		/* uprobe_multi links */
	size_t nlink_fds;
	struct bpf_link **links;	/* single uprobes, perf events, tracepoints */
	size_t nlinks, links_cap;
	int *perf_fds;
	size_t nperf_fds;

	uint32_t gen;
	uint32_t nwin;		/* windows flushed */
	uint64_t drains;	/* ring buffer drains */
	uint64_t uloss[CAP_UL_MAX];
	uint64_t win_start;	/* realtime ns */
	uint64_t last_read_mono;
	pid_t child;
	int multi_ok;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_to_real(const struct cap *c, uint64_t mono)
{
	return (uint64_t)((int64_t)mono + c->mono_to_real);
}

static void cap_warn(const struct cap *c, const char *fmt, ...) TM_PRINTF(2, 3);
static void cap_warn(const struct cap *c, const char *fmt, ...)
{
	va_list ap;

	if (c->o->quiet)
		return;
	fprintf(stderr, "%s: warning: ", c->o->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void cap_verbose(const struct cap *c, const char *fmt, ...) TM_PRINTF(2, 3);
static void cap_verbose(const struct cap *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->o->verbose || c->o->quiet)
		return;
	fprintf(stderr, "%s: ", c->o->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int nomem(struct cap *c)
{
	tm_err_set(c->err, TM_EXIT_ENV, "out of memory");
	return -1;
}

/* ---- modules ---- */

static int mod_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;
	const struct cap_module *m = &c->mods[id - 1], *k = key;

	return m->kdev == k->kdev && m->ino == k->ino;
}

static uint32_t kdev_of(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

static uint64_t mod_hash(uint32_t kdev, uint64_t ino)
{
	return mem_hash_u64(mem_hash_u64(0x6d6f64, kdev), ino);
}

static uint32_t mod_find(const struct cap *c, uint32_t kdev, uint64_t ino)
{
	struct cap_module k = { .kdev = kdev, .ino = ino };
	uint32_t id = idmap_find(&c->mod_idx, mod_hash(kdev, ino), mod_eq, c, &k);

	return id ? id - 1 : UINT32_MAX;
}

/* ---- the build-id index of modules (sampled frames of exited processes) ---- */

static uint64_t bid_hash(const uint8_t *id)
{
	return mem_hash(id, CAP_BID_SIZE, 0x626964);
}

static int bid_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;

	return memcmp(c->bids[id - 1].id, key, CAP_BID_SIZE) == 0;
}

/* The index of build id `id` (20 bytes) in bids, added if new; UINT32_MAX on ENOMEM. */
static uint32_t bid_intern(struct cap *c, const uint8_t *id)
{
	uint64_t h = bid_hash(id);
	uint32_t i = idmap_find(&c->bid_idx, h, bid_eq, c, id);
	struct cap_bid *b;

	if (i)
		return i - 1;
	if (mem_grow((void **)&c->bids, &c->cap_bids, c->n_bids + 1, sizeof(*c->bids)) < 0 ||
	    idmap_insert(&c->bid_idx, h, (uint32_t)c->n_bids + 1) < 0)
		return UINT32_MAX;
	b = &c->bids[c->n_bids];
	memcpy(b->id, id, CAP_BID_SIZE);
	b->mod = UINT32_MAX;
	return (uint32_t)c->n_bids++;
}

/* An ELF build id zero-padded as the kernel reports it; 0 when it cannot match. */
static int bid_pad(const uint8_t *id, size_t len, uint8_t *out)
{
	if (len == 0 || len > CAP_BID_SIZE)
		return 0;
	memset(out, 0, CAP_BID_SIZE);
	memcpy(out, id, len);
	return 1;
}

/* Enter module idx under its build id, read from its open ELF or, unopened, its file. */
static void mod_note_bid(struct cap *c, uint32_t idx)
{
	struct cap_module *m = &c->mods[idx];
	uint8_t raw[ELFSYM_BUILD_ID_MAX], key[CAP_BID_SIZE];
	const uint8_t *id = raw;
	size_t len = 0;
	uint32_t b;

	if (m->bid_noted || m->anon || m->byid)
		return;
	if (m->es) {
		len = elfsym_build_id(m->es, &id);
	} else if (!m->tried && m->open_path) {
		struct tm_err e = { 0 };
		int r = elfsym_read_build_id(m->open_path, raw, sizeof(raw), &e);

		len = r > 0 ? (size_t)r : 0;
	} else if (!m->tried) {
		return;
	}
	m->bid_noted = 1;
	if (!bid_pad(id, len, key) || (b = bid_intern(c, key)) == UINT32_MAX)
		return;
	if (c->bids[b].mod == UINT32_MAX)
		c->bids[b].mod = idx;
}

/*
 * Register a module. fd >= 0 opens it now (a map_files fd that may vanish);
 * otherwise it is opened lazily from open_path. Returns the index or UINT32_MAX.
 */
static uint32_t mod_add(struct cap *c, uint32_t kdev, uint64_t ino, const char *path,
    const char *open_path, int fd)
{
	struct cap_module *m;
	uint32_t idx = mod_find(c, kdev, ino);

	if (idx != UINT32_MAX)
		return idx;
	if (mem_grow((void **)&c->mods, &c->cap_mods, c->n_mods + 1, sizeof(*c->mods)) < 0)
		return UINT32_MAX;
	m = &c->mods[c->n_mods];
	memset(m, 0, sizeof(*m));
	m->kdev = kdev;
	m->ino = ino;
	m->path = strdup(path ? path : "");
	m->open_path = open_path ? strdup(open_path) : NULL;
	if (!m->path || (open_path && !m->open_path) ||
	    idmap_insert(&c->mod_idx, mod_hash(kdev, ino), (uint32_t)c->n_mods + 1) < 0) {
		free(m->path);
		free(m->open_path);
		return UINT32_MAX;
	}
	if (fd >= 0) {
		struct tm_err e = { 0 };

		m->tried = m->fd_tried = 1;
		m->es = elfsym_open(NULL, fd, path, &e);
	}
	c->n_mods++;
	mod_note_bid(c, (uint32_t)(c->n_mods - 1));
	return (uint32_t)(c->n_mods - 1);
}

static struct elfsym *mod_elf(struct cap *c, struct cap_module *m)
{
	if (!m->tried && m->open_path) {
		struct tm_err e = { 0 };

		m->tried = 1;
		m->es = elfsym_open(m->open_path, -1, m->path, &e);
		mod_note_bid(c, (uint32_t)(m - c->mods));
	}
	if (m->es && c->o->symbolize && !elfsym_has_symtab(m->es)) {
		const char *p = m->open_path ? m->open_path : m->path;
		char root[64] = "";
		const char *r = strstr(p, "/root/");

		/* Debug files live in the process's root when we went through it. */
		if (strncmp(p, "/proc/", 6) == 0 && r)
			snprintf(root, sizeof(root), "%.*s", (int)(r - p + 5), p);
		elfsym_load_debug(m->es, p, root[0] ? root : NULL, NULL, 0);
	}
	return m->es;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

static uint32_t mod_handle(struct cap *c, uint32_t idx)
{
	struct cap_module *m = &c->mods[idx];
	struct es_module em;
	const uint8_t *id;
	size_t len;

	if (m->h)
		return m->h;
	memset(&em, 0, sizeof(em));
	em.name = m->anon || m->byid ? m->path : m->path[0] ? base_name(m->path) : "[unknown]";
	em.path = m->path[0] && !m->anon && !m->byid ? m->path : NULL;
	em.id_kind = ES_ID_NONE;
	if (m->byid) {
		em.id_kind = ES_ID_GNU;
		memcpy(em.build_id, m->bid, m->bid_len);
		em.build_id_len = m->bid_len;
	} else if (mod_elf(c, m) && (len = elfsym_build_id(m->es, &id)) > 0 &&
	    len <= ES_BUILD_ID_MAX) {
		em.id_kind = ES_ID_GNU;
		memcpy(em.build_id, id, len);
		em.build_id_len = len;
	}
	m->h = es_writer_module(c->w, &em);
	return m->h;
}

/* The unknown module: an address in a mapping that could not be identified. */
/*
 * A module no file backs (JIT code, or a build id alone): kept out of mod_idx,
 * whose (dev, ino) keys only files have, and never opened. UINT32_MAX on ENOMEM.
 */
static uint32_t mod_add_fileless(struct cap *c, const char *name)
{
	struct cap_module *m;

	if (mem_grow((void **)&c->mods, &c->cap_mods, c->n_mods + 1, sizeof(*c->mods)) < 0)
		return UINT32_MAX;
	m = &c->mods[c->n_mods];
	memset(m, 0, sizeof(*m));
	m->kdev = UINT32_MAX;
	m->tried = 1;
	m->path = strdup(name);
	if (!m->path)
		return UINT32_MAX;
	return (uint32_t)c->n_mods++;
}

static uint32_t mod_unknown(struct cap *c)
{
	return mod_add(c, UINT32_MAX, UINT64_MAX, "", NULL, -1);
}

/*
 * The module of build id bids[b], for a sampled frame whose process may be
 * gone: a module already known (every registered module is entered under its
 * build id), else the binary that /usr/lib/debug/.build-id/xx/rest names (the
 * distributions' link to it, not the .debug file, whose program headers no
 * longer give file offsets), else a module known by its build id alone, named
 * by it, for offline symbolization. UINT32_MAX on ENOMEM.
 */
static uint32_t mod_by_bid(struct cap *c, uint32_t b)
{
	char hex[2 * CAP_BID_SIZE + 1], path[128], real[PATH_MAX];
	uint8_t got[ELFSYM_BUILD_ID_MAX], key[CAP_BID_SIZE];
	struct tm_err e = { 0 };
	struct cap_module *m;
	struct stat st;
	uint32_t idx = UINT32_MAX;
	size_t len = CAP_BID_SIZE;
	int r;

	if (c->bids[b].mod != UINT32_MAX)
		return c->bids[b].mod;
	/* A 16-byte (md5, uuid) id comes zero-padded to 20. */
	while (len > 16 && c->bids[b].id[len - 1] == 0)
		len--;
	if (len < CAP_BID_SIZE && len > 16)
		len = CAP_BID_SIZE;
	es_build_id_format(ES_ID_GNU, c->bids[b].id, len, hex, sizeof(hex));
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s", hex, hex + 2);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && realpath(path, real) &&
	    (r = elfsym_read_build_id(real, got, sizeof(got), &e)) > 0 &&
	    bid_pad(got, (size_t)r, key) && memcmp(key, c->bids[b].id, CAP_BID_SIZE) == 0)
		idx = mod_add(c, kdev_of(st.st_dev), st.st_ino, real, real, -1);
	if (idx == UINT32_MAX) {
		idx = mod_add_fileless(c, hex);
		if (idx == UINT32_MAX)
			return UINT32_MAX;
		m = &c->mods[idx];
		m->byid = 1;
		m->bid_noted = 1;
		memcpy(m->bid, c->bids[b].id, CAP_BID_SIZE);
		m->bid_len = (uint8_t)len;
	}
	c->bids[b].mod = idx;
	return idx;
}

/* Register the file-backed executable mappings of a maps table. */
static void mods_from_maps(struct cap *c, pid_t pid, const struct procmaps *pm, int open_now)
{
	uint32_t idx;
	size_t i;

	for (i = 0; i < pm->n; i++) {
		const struct procmaps_ent *e = &pm->ents[i];
		uint32_t kdev = (uint32_t)(e->dev_major << 20 | e->dev_minor);
		char op[4200];
		int fd = -1;

		if (!(e->prot & PROT_EXEC) || e->path[0] != '/' || e->ino == 0)
			continue;
		idx = mod_find(c, kdev, e->ino);
		/*
		 * Known, unless it could not be opened: the process that showed
		 * it was gone before its map_files were. This one may do.
		 */
		if (idx != UINT32_MAX && (pid == 0 || !open_now || c->mods[idx].es ||
		    c->mods[idx].fd_tried || c->mods[idx].anon || c->mods[idx].byid))
			continue;
		if (pid == 0) {
			mod_add(c, kdev, e->ino, e->path, e->path, -1);
			continue;
		}
		snprintf(op, sizeof(op), "/proc/%d/root%s", (int)pid, e->path);
		if (open_now)
			fd = procmaps_open_mapped(pid, e->start, e->end, e->path);
		if (idx == UINT32_MAX) {
			mod_add(c, kdev, e->ino, e->path, op, fd);
		} else if (fd >= 0) {
			struct cap_module *m = &c->mods[idx];
			struct tm_err err = { 0 };

			m->tried = m->fd_tried = 1;
			m->es = elfsym_open(NULL, fd, m->path, &err);
			m->bid_noted = 0;
			mod_note_bid(c, idx);
		}
		if (fd >= 0)
			close(fd);
	}
}

/* ---- nodes and contexts ---- */

static uint32_t node_handle(struct cap *c, uint32_t midx, uint64_t off, int is_ret)
{
	struct cap_module *m = &c->mods[midx];
	struct es_node n;
	const struct elfsym_sym *s = NULL;
	uint64_t q = is_ret && off ? off - 1 : off;

	memset(&n, 0, sizeof(n));
	n.module = mod_handle(c, midx);
	if (!n.module)
		return 0;
	n.offset = q;
	if (c->o->symbolize && mod_elf(c, m))
		s = elfsym_lookup_off(m->es, q);
	if (s) {
		uint64_t entry;

		if (elfsym_vaddr_to_off(m->es, s->addr, &entry) == 0)
			n.offset = entry;
		n.symbol = es_writer_cstring(c->w, s->name);
		if (s->file)
			n.file = es_writer_cstring(c->w, s->file);
	}
	return es_writer_node(c->w, &n);
}

static uint32_t ctx_handle(struct cap *c, struct cap_proc *p)
{
	struct es_context x;

	if (p->ctx_h)
		return p->ctx_h;
	memset(&x, 0, sizeof(x));
	x.host = c->host_h;
	x.cgroup = p->cgroup;
	if (p->container[0])
		x.container = es_writer_cstring(c->w, p->container);
	if (c->o->per_process) {
		x.pid = p->tgid;
		if (p->comm[0])
			x.comm = es_writer_cstring(c->w, p->comm);
	}
	p->ctx_h = es_writer_context(c->w, &x);
	return p->ctx_h;
}

/* ---- processes ---- */

static int proc_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;

	return c->procs[id - 1].tgid == *(const uint32_t *)key;
}

static struct cap_proc *proc_get(struct cap *c, uint32_t tgid, const char *comm,
    uint64_t cgroup)
{
	uint64_t h = mem_hash_u64(0x70726f63, tgid);
	uint32_t id = idmap_find(&c->proc_idx, h, proc_eq, c, &tgid);
	struct cap_proc *p;
	uint64_t start;
	char cg[4096];

	if (id) {
		p = &c->procs[id - 1];
		if (p->exited && comm && procmaps_start_time((pid_t)tgid, &start) == 0 &&
		    start != p->start) {
			/*
			 * The tgid was reused: a new process. (Not an event of the
			 * process after its exit, such as a sample taken while it
			 * was exiting: that one is gone, or has the same start.)
			 */
			p->start = start;
			p->exited = 0;
			p->ctx_h = 0;
			if (p->maps_loaded)
				procmaps_free(&p->maps);
			p->maps_loaded = 0;
			perfmap_free(&p->jit);
			p->jit_warned = 0;
			p->jit_mod = p->jit_reread_win = 0;
		}
		if (comm && strncmp(p->comm, comm, CAP_COMM_LEN) != 0) {
			snprintf(p->comm, sizeof(p->comm), "%.*s", CAP_COMM_LEN, comm);
			p->ctx_h = 0;
		}
		return p;
	}
	if (mem_grow((void **)&c->procs, &c->cap_procs, c->n_procs + 1, sizeof(*c->procs)) < 0 ||
	    idmap_insert(&c->proc_idx, h, (uint32_t)c->n_procs + 1) < 0)
		return NULL;
	p = &c->procs[c->n_procs++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->cgroup = cgroup;
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%.*s", CAP_COMM_LEN, comm);
	procmaps_start_time((pid_t)tgid, &p->start);
	if (procmaps_cgroup_path((pid_t)tgid, cg, sizeof(cg)) == 0)
		procmaps_container_id(cg, p->container, sizeof(p->container));
	return p;
}

/* Read p's maps (again): the old ones stay when the process is gone. */
static int proc_read_maps(struct cap *c, struct cap_proc *p, int open_now)
{
	struct tm_err e = { 0 };
	struct procmaps pm;

	if (procmaps_read((pid_t)p->tgid, &pm, &e) < 0)
		return -1;
	if (p->maps_loaded)
		procmaps_free(&p->maps);
	p->maps = pm;
	p->maps_loaded = 1;
	p->maps_drain = c->drains;
	mods_from_maps(c, (pid_t)p->tgid, &p->maps, open_now);
	return 0;
}

static int proc_load_maps(struct cap *c, struct cap_proc *p, int open_now)
{
	return p->maps_loaded ? 0 : proc_read_maps(c, p, open_now);
}

/* ---- JIT code: perf maps ---- */

/*
 * The module of p's JIT code, "[jit:EXE]" with EXE the basename of its
 * executable (else its command name): one module per program, whatever the
 * process, that no file can be confused with. Called while p lives.
 */
static uint32_t jit_module(struct cap *c, struct cap_proc *p)
{
	static const char deleted[] = " (deleted)";
	char link[64], exe[4096], name[300];
	const char *b = p->comm;
	ssize_t n;
	size_t i, l;

	if (p->jit_mod)
		return p->jit_mod - 1;
	snprintf(link, sizeof(link), "/proc/%u/exe", p->tgid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		l = (size_t)n;
		if (l > sizeof(deleted) - 1 && strcmp(exe + l - (sizeof(deleted) - 1), deleted) == 0)
			exe[l - (sizeof(deleted) - 1)] = '\0';
		b = base_name(exe);
	}
	if (b[0])
		snprintf(name, sizeof(name), "[jit:%.255s]", b);
	else
		snprintf(name, sizeof(name), "[jit]");
	for (i = 0; i < c->n_mods; i++)
		if (c->mods[i].anon && strcmp(c->mods[i].path, name) == 0)
			break;
	if (i == c->n_mods) {
		if (mod_add_fileless(c, name) == UINT32_MAX)
			return UINT32_MAX;
		c->mods[i].anon = 1;
	}
	p->jit_mod = (uint32_t)i + 1;
	return (uint32_t)i;
}

/*
 * The JIT symbol at addr in p's perf map. With `may_read` (the first sight of
 * an edge or stack: the process most likely still runs), a miss looks at the
 * file: the first time it is read whole, then only the lines appended since
 * (JITs append); a map replaced or truncated is read again whole at most once
 * a window. So the file costs one open and fstat per miss at a first sight,
 * and each byte of it is read once.
 */
static const struct perfmap_sym *jit_find(struct cap *c, struct cap_proc *p, uint64_t addr,
    int may_read)
{
	const struct perfmap_sym *s = perfmap_find(&p->jit, addr);
	int r;

	if (s || !may_read || p->exited)
		return s;
	/* Its executable first: once the map has been read, the process may be gone. */
	if (jit_module(c, p) == UINT32_MAX)
		return NULL;
	r = perfmap_update((pid_t)p->tgid, &p->jit, CAP_JIT_MAP_MAX);
	if (r == 2 && p->jit_reread_win != c->nwin + 1) {
		p->jit_reread_win = c->nwin + 1;
		perfmap_free(&p->jit);
		r = perfmap_update((pid_t)p->tgid, &p->jit, CAP_JIT_MAP_MAX);
	}
	if (r < 0 && !p->jit_warned) {
		p->jit_warned = 1;
		cap_warn(c, "pid %u: /tmp/perf-%d.map: %s: JIT code left unnamed", p->tgid,
		    (int)(p->jit.nspid ? p->jit.nspid : (pid_t)p->tgid),
		    errno == EPERM ? "not a regular file of the process's user" :
		    strerror(errno));
	}
	if (r != 1)
		return NULL;
	if (p->jit.full && !p->jit_warned) {
		p->jit_warned = 1;
		cap_warn(c, "pid %u: perf map over %u MiB: the rest is not read", p->tgid,
		    CAP_JIT_MAP_MAX >> 20);
	}
	return perfmap_find(&p->jit, addr);
}

/* The node of a JIT symbol: "[jit:EXE]!name", offset 0 (no file), flagged jit. */
static uint32_t jit_node(struct cap *c, struct cap_proc *p, const char *name)
{
	struct es_node n;

	if (!p->jit_mod)
		return 0;
	memset(&n, 0, sizeof(n));
	n.module = mod_handle(c, p->jit_mod - 1);
	n.symbol = es_writer_cstring(c->w, name);
	n.flags = ES_NODE_JIT;
	return n.module && n.symbol ? es_writer_node(c->w, &n) : 0;
}

/* Anonymous executable memory, where JITs put code (not [vdso] and the like). */
static int jit_region(const struct procmaps_ent *e)
{
	return e->ino == 0 && (e->prot & PROT_EXEC) &&
	    (e->path[0] == '\0' || strncmp(e->path, "[anon:", 6) == 0);
}

/* ---- kernel edges (shadow of the BPF edge map) ---- */

static uint64_t ekey_hash(const struct cap_ekey *k)
{
	return mem_hash_u64(mem_hash_u64(mem_hash_u64(0x65646765, k->tgid), k->cookie), k->ret);
}

static int kedge_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;
	const struct cap_ekey *a = &c->kedges[id - 1].key, *b = key;

	return a->tgid == b->tgid && a->cookie == b->cookie && a->ret == b->ret;
}

static struct cap_kedge *kedge_get(struct cap *c, const struct cap_ekey *k, int *created)
{
	uint64_t h = ekey_hash(k);
	uint32_t id = idmap_find(&c->kedge_idx, h, kedge_eq, c, k);
	struct cap_kedge *e;

	*created = 0;
	if (id)
		return &c->kedges[id - 1];
	if (mem_grow((void **)&c->kedges, &c->cap_kedges, c->n_kedges + 1,
	    sizeof(*c->kedges)) < 0 ||
	    idmap_insert(&c->kedge_idx, h, (uint32_t)c->n_kedges + 1) < 0)
		return NULL;
	e = &c->kedges[c->n_kedges++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->mod = UINT32_MAX;
	*created = 1;
	return e;
}

/*
 * The caller's file by the path the kernel saw, when the process is gone:
 * accepted only if that path here is the same inode.
 */
static uint32_t mod_by_kpath(struct cap *c, const struct cap_vma *v, const char *kpath)
{
	struct stat st;

	if (!kpath || kpath[0] != '/' || stat(kpath, &st) != 0 || kdev_of(st.st_dev) != v->dev ||
	    (uint64_t)st.st_ino != v->ino)
		return UINT32_MAX;
	return mod_add(c, v->dev, v->ino, kpath, kpath, -1);
}

/*
 * Resolve the caller's mapping to a module and file offset, or, in anonymous
 * memory, to a symbol of the process's perf map (p may be NULL).
 */
static void kedge_resolve(struct cap *c, struct cap_kedge *ke, struct cap_proc *p,
    const struct cap_vma *v, const char *kpath)
{
	uint32_t idx = UINT32_MAX;
	int fd;

	ke->node_h = 0;
	if (v->err == 1 && p) {
		const struct perfmap_sym *s = jit_find(c, p, ke->key.ret - 1, 1);

		if (s && (ke->node_h = jit_node(c, p, s->name)) != 0) {
			ke->mod = p->jit_mod - 1;
			ke->off = 0;
			return;
		}
	}
	if (v->err == 0) {
		idx = mod_find(c, v->dev, v->ino);
		if (idx == UINT32_MAX) {
			char link[128], path[4096];
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64,
			    ke->key.tgid, (uint64_t)v->start, (uint64_t)v->end);
			n = readlink(link, path, sizeof(path) - 1);
			path[n > 0 ? n : 0] = '\0';
			fd = procmaps_open_mapped((pid_t)ke->key.tgid, v->start, v->end, NULL);
			if (fd >= 0) {
				char op[4200];

				snprintf(op, sizeof(op), "/proc/%u/root%s", ke->key.tgid, path);
				idx = mod_add(c, v->dev, v->ino, path, op, fd);
				close(fd);
			} else {
				idx = mod_by_kpath(c, v, kpath);
			}
		}
		if (idx != UINT32_MAX) {
			ke->mod = idx;
			ke->off = ke->key.ret - v->start + (v->pgoff << 12);
			return;
		}
	}
	/* Not a file, or gone before we looked: module+address. */
	c->uloss[CAP_UL_CALLER_UNRESOLVED]++;
	ke->mod = mod_unknown(c);
	ke->off = ke->key.ret;
}

/* An edge found in the map without its ring event: resolve from /proc now. */
static void kedge_resolve_late(struct cap *c, struct cap_kedge *ke)
{
	struct cap_proc *p = proc_get(c, ke->key.tgid, NULL, 0);
	const struct procmaps_ent *e;
	struct cap_vma v = { .err = -1 };

	c->uloss[CAP_UL_LATE_EDGE]++;
	if (p && proc_load_maps(c, p, 1) == 0 && (e = procmaps_find(&p->maps, ke->key.ret))) {
		v.start = e->start;
		v.end = e->end;
		v.pgoff = e->off >> 12;
		v.ino = e->ino;
		v.dev = (uint32_t)(e->dev_major << 20 | e->dev_minor);
		v.err = e->ino ? 0 : 1;
	}
	if (p)
		ke->proc = (uint32_t)(p - c->procs);
	kedge_resolve(c, ke, p, &v, NULL);
}

/* ---- ring buffer events ---- */

/* "/a/b/c" from the event's innermost-first components, or NULL. */
static const char *event_path(const struct cap_event *ev, char *buf, size_t size)
{
	unsigned n = ev->npath & 0xff, i;
	size_t len = 0;

	if (!(ev->npath & CAP_PATH_COMPLETE) || n == 0 || n > CAP_PATH_DEPTH)
		return NULL;
	for (i = n; i-- > 0;) {
		size_t l = strnlen(ev->path[i], CAP_NAME_LEN);

		if (l == 0 || l >= CAP_NAME_LEN || len + l + 2 > size)
			return NULL;	/* truncated component: not a path to trust */
		buf[len++] = '/';
		memcpy(buf + len, ev->path[i], l);
		len += l;
	}
	buf[len] = '\0';
	return buf;
}

/* ---- sampled stacks (shadow of the BPF sample map) ---- */

static int kstack_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;
	const struct cap_skey *a = &c->kstacks[id - 1].key, *b = key;

	return a->tgid == b->tgid && a->stackid == b->stackid;
}

/* The shadow of a sampled stack, made for process p (NULL: looked up) if new. */
static struct cap_kstack *kstack_get(struct cap *c, const struct cap_skey *k, struct cap_proc *p)
{
	uint64_t h = mem_hash_u64(mem_hash_u64(0x737461, k->tgid), (uint32_t)k->stackid);
	uint32_t id = idmap_find(&c->kstack_idx, h, kstack_eq, c, k);
	struct cap_kstack *ks;

	if (id)
		return &c->kstacks[id - 1];
	if (!p && !(p = proc_get(c, k->tgid, NULL, 0)))
		return NULL;
	if (mem_grow((void **)&c->kstacks, &c->cap_kstacks, c->n_kstacks + 1,
	    sizeof(*c->kstacks)) < 0 ||
	    idmap_insert(&c->kstack_idx, h, (uint32_t)c->n_kstacks + 1) < 0)
		return NULL;
	ks = &c->kstacks[c->n_kstacks++];
	memset(ks, 0, sizeof(*ks));
	ks->key = *k;
	ks->proc = (uint32_t)(p - c->procs);
	return ks;
}

/*
 * Keep the build-id frames of a stack's first sight: the build id (interned)
 * and file offset of each frame the kernel could name, for when the process
 * is gone by the time its maps are wanted.
 */
static void kstack_keep_frames(struct cap *c, struct cap_kstack *ks,
    const struct cap_bid_frame *fr, uint32_t n)
{
	uint32_t i, b;

	if (ks->nsf || !n)
		return;
	if (mem_grow((void **)&c->sframes, &c->cap_sframes, c->n_sframes + n,
	    sizeof(*c->sframes)) < 0)
		return;
	for (i = 0; i < n && fr[i].status != CAP_BID_EMPTY; i++) {
		struct cap_sframe *sf = &c->sframes[c->n_sframes + i];

		sf->bid = 0;
		sf->off = fr[i].off_or_ip;
		if (fr[i].status == CAP_BID_VALID &&
		    (b = bid_intern(c, fr[i].build_id)) != UINT32_MAX)
			sf->bid = b + 1;
	}
	ks->sf = (uint32_t)c->n_sframes;
	ks->nsf = i;
	c->n_sframes += i;
}

/*
 * The first sight of a sampled stack: while the process still runs, read its
 * maps again if the stack has an address they do not hold (code mapped since:
 * JIT code, dlopen; at most once per drain), and look its anonymous code up
 * in the perf map, so that both are at hand when the window is written.
 */
static void sample_first_sight(struct cap *c, struct cap_proc *p, int32_t stackid)
{
	uint64_t ips[CAP_MAX_STACK];
	uint32_t sid = (uint32_t)stackid;
	int i;

	if (stackid < 0 || p->exited || !p->maps_loaded || !c->skel)
		return;
	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &sid, ips) != 0)
		return;
	for (i = 0; i < CAP_MAX_STACK && ips[i]; i++) {
		const struct procmaps_ent *e = procmaps_find(&p->maps, ips[i]);

		if (!e && p->maps_drain != c->drains && proc_read_maps(c, p, 1) == 0)
			e = procmaps_find(&p->maps, ips[i]);
		if (e && jit_region(e))
			jit_find(c, p, i ? ips[i] - 1 : ips[i], 1);
	}
}

/* CAP_EV_SAMPLE: a header and as many build-id frames as the record holds. */
static void on_sample_event(struct cap *c, const void *data, size_t len)
{
	size_t hdr = offsetof(struct cap_sevent, frames);
	struct cap_sevent ev;
	struct cap_skey k;
	struct cap_kstack *ks;
	struct cap_proc *p;
	char comm[CAP_COMM_LEN + 1];
	uint32_t n;

	if (len < hdr)
		return;
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, len < sizeof(ev) ? len : sizeof(ev));
	n = ev.nframes;
	if (n > CAP_MAX_STACK || n > (len - hdr) / sizeof(ev.frames[0]))
		n = 0;
	memcpy(comm, ev.comm, CAP_COMM_LEN);
	comm[CAP_COMM_LEN] = '\0';
	p = proc_get(c, ev.tgid, comm, ev.cgroup);
	if (!p)
		return;
	proc_load_maps(c, p, 1);
	sample_first_sight(c, p, ev.stackid);
	if (ev.stackid < 0)
		return;
	k.tgid = ev.tgid;
	k.stackid = ev.stackid;
	ks = kstack_get(c, &k, p);
	if (ks)
		kstack_keep_frames(c, ks, ev.frames, n);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct cap *c = ctx;
	char kpath[CAP_PATH_DEPTH * CAP_NAME_LEN + 1];
	struct cap_event ev;
	struct cap_proc *p;
	char comm[CAP_COMM_LEN + 1];
	uint32_t type;

	if (len < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	if (type == CAP_EV_SAMPLE) {
		on_sample_event(c, data, len);
		return 0;
	}
	if (len < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	memcpy(comm, ev.comm, CAP_COMM_LEN);
	comm[CAP_COMM_LEN] = '\0';
	if (ev.type == CAP_EV_EXIT) {
		uint32_t id = idmap_find(&c->proc_idx, mem_hash_u64(0x70726f63, ev.tgid), proc_eq, c,
		    &ev.tgid);

		if (id) {
			c->procs[id - 1].exited = 1;
			/* Probe edges are named at first sight: its perf map is done with. */
			if (!(c->o->modes & CAPTURE_SAMPLE))
				perfmap_free(&c->procs[id - 1].jit);
		}
		return 0;
	}
	p = proc_get(c, ev.tgid, comm, ev.cgroup);
	if (!p)
		return 0;
	if (ev.type == CAP_EV_EDGE) {
		struct cap_ekey k = { .tgid = ev.tgid, .cookie = ev.cookie, .ret = ev.ret };
		struct cap_kedge *ke;
		int created;

		if (ev.cookie >= c->n_tgts)
			return 0;
		ke = kedge_get(c, &k, &created);
		if (!ke)
			return 0;
		if (!created && !ke->dead && ke->mod != UINT32_MAX)
			return 0;
		if (ke->dead) {
			/* Evicted, then seen again: the kernel count restarted. */
			ke->dead = 0;
			ke->seen = 0;
		}
		ke->proc = (uint32_t)(p - c->procs);
		kedge_resolve(c, ke, p, &ev.vma, event_path(&ev, kpath, sizeof(kpath)));
	}
	return 0;
}

/* Handle what the ring buffer holds. */
static void cap_drain(struct cap *c)
{
	c->drains++;
	ring_buffer__consume(c->rb);
}

/* ---- window edges ---- */

static int wedge_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct cap *c = ctx;
	const struct cap_wedge *a = &c->wedges[id - 1], *b = key;

	return a->caller == b->caller && a->callee == b->callee && a->ctx == b->ctx &&
	    a->evidence == b->evidence;
}

static int wedge_add(struct cap *c, const struct cap_wedge *x)
{
	uint64_t h = mem_hash_u64(mem_hash_u64(mem_hash_u64(mem_hash_u64(1, x->caller),
	    x->callee), x->ctx), x->evidence);
	uint32_t id = idmap_find(&c->wedge_idx, h, wedge_eq, c, x);
	struct cap_wedge *e;

	if (id) {
		e = &c->wedges[id - 1];
		e->count = es_count_add(e->count, x->count);
		if (x->first < e->first)
			e->first = x->first;
		if (x->last > e->last)
			e->last = x->last;
		return 0;
	}
	if (mem_grow((void **)&c->wedges, &c->cap_wedges, c->n_wedges + 1,
	    sizeof(*c->wedges)) < 0 ||
	    idmap_insert(&c->wedge_idx, h, (uint32_t)c->n_wedges + 1) < 0)
		return nomem(c);
	c->wedges[c->n_wedges++] = *x;
	return 0;
}

static int wedge_cmp(const void *a, const void *b)
{
	const struct cap_wedge *x = a, *y = b;

	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	if (x->ctx != y->ctx)
		return x->ctx < y->ctx ? -1 : 1;
	return x->evidence < y->evidence ? -1 : x->evidence > y->evidence;
}

/*
 * Probe edges: count deltas of the kernel map since the last read. `final`
 * for the read after the capture ended.
 */
static int read_probe_edges(struct cap *c, uint64_t win_start, int final)
{
	int fd = bpf_map__fd(c->skel->maps.edges);
	struct cap_ekey k, next;
	struct cap_eval v;
	int first = 1;
	size_t i;

	c->gen++;
	while (bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
		struct cap_kedge *ke;
		struct cap_proc *p;
		struct cap_wedge we;
		int created;

		first = 0;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v) != 0 || k.cookie >= c->n_tgts)
			continue;
		ke = kedge_get(c, &k, &created);
		if (!ke)
			return nomem(c);
		if ((created || ke->mod == UINT32_MAX) && c->rb) {
			/*
			 * The edge's first-sight event is usually still in the
			 * ring: submitted after the drain that began this read.
			 * Drain again (its handler resolves the edge from the
			 * event, which holds the mapping even when the process
			 * has exited since) before falling back to /proc.
			 */
			size_t at = (size_t)(ke - c->kedges);

			cap_drain(c);
			ke = &c->kedges[at];
		}
		ke->gen = c->gen;
		ke->dead = 0;
		if (ke->mod == UINT32_MAX) {
			/*
			 * Still no event: the probe that made the entry may be
			 * running on another CPU, between the map update and the
			 * submit. Leave its counts to the next read, once; at the
			 * last read, or the second time, resolve it from /proc.
			 */
			if (!final && !ke->deferred) {
				ke->deferred = 1;
				continue;
			}
			kedge_resolve_late(c, ke);
		}
		if (v.count <= ke->seen)
			continue;
		p = &c->procs[ke->proc];
		memset(&we, 0, sizeof(we));
		we.count = v.count - ke->seen;
		we.first = mono_to_real(c, v.first_ns);
		if (ke->seen && we.first < win_start)
			we.first = win_start;	/* earlier hits belong to earlier windows */
		we.last = mono_to_real(c, v.last_ns);
		ke->seen = v.count;
		we.caller = ke->node_h ? ke->node_h : node_handle(c, ke->mod, ke->off, 1);
		we.callee = c->tgts[k.cookie].node_h;
		we.ctx = ctx_handle(c, p);
		we.evidence = ES_EV_EBPF_PROBE;
		we.conf = CAP_CONF_PROBE;
		if (!we.caller || !we.callee || !we.ctx)
			return -1;
		if (wedge_add(c, &we) < 0)
			return -1;
	}
	for (i = 0; i < c->n_kedges; i++) {
		struct cap_kedge *ke = &c->kedges[i];

		if (ke->gen != c->gen && !ke->dead) {
			ke->dead = 1;
			c->uloss[CAP_UL_EDGE_EVICTED]++;
		}
	}
	return 0;
}

/* ---- sampled edges ---- */

struct cap_frame {
	uint32_t mod;
	uint64_t off;
	const struct elfsym_sym *sym;
	struct elfsym *es;
	uint32_t node_h;	/* JIT code: its node (no ELF, never trusted to unwind) */
};

static int resolve_frame(struct cap *c, struct cap_proc *p, uint64_t ip, int is_ret,
    struct cap_frame *f)
{
	const struct procmaps_ent *e;
	uint32_t kdev;

	memset(f, 0, sizeof(*f));
	if (!p->maps_loaded && (p->exited || proc_load_maps(c, p, 1) < 0))
		return -1;
	e = procmaps_find(&p->maps, ip);
	if (e && jit_region(e)) {
		const struct perfmap_sym *s = jit_find(c, p, is_ret ? ip - 1 : ip, 0);

		if (!s || !(f->node_h = jit_node(c, p, s->name)))
			return -1;
		f->mod = p->jit_mod - 1;
		return 0;
	}
	if (!e || e->ino == 0)
		return -1;
	kdev = (uint32_t)(e->dev_major << 20 | e->dev_minor);
	f->mod = mod_find(c, kdev, e->ino);
	if (f->mod == UINT32_MAX)
		return -1;
	f->off = ip - e->start + e->off;
	f->es = mod_elf(c, &c->mods[f->mod]);
	if (f->es)
		f->sym = elfsym_lookup_off(f->es, is_ret ? f->off - 1 : f->off);
	return 0;
}

/* Whether module idx is not known to have a build id other than bids[b]'s. */
static int mod_may_be_bid(struct cap *c, uint32_t idx, uint32_t b)
{
	struct cap_module *m = &c->mods[idx];
	uint8_t key[CAP_BID_SIZE];
	const uint8_t *id;
	size_t len;

	if (m->anon || !mod_elf(c, m) || (len = elfsym_build_id(m->es, &id)) == 0 ||
	    !bid_pad(id, len, key))
		return 1;
	return memcmp(key, c->bids[b].id, CAP_BID_SIZE) == 0;
}

/*
 * Frame i of a stack from its first-sight build id and file offset (sf),
 * when /proc did not place it: its process was gone before its maps were
 * read, or they were read before the frame's file was mapped.
 */
static int resolve_frame_bid(struct cap *c, const struct cap_sframe *sf, int is_ret,
    struct cap_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (!sf || !sf->bid || (f->mod = mod_by_bid(c, sf->bid - 1)) == UINT32_MAX)
		return -1;
	f->off = sf->off;
	f->es = mod_elf(c, &c->mods[f->mod]);
	if (f->es)
		f->sym = elfsym_lookup_off(f->es, is_ret ? f->off - 1 : f->off);
	return 0;
}

#define CAP_EPILOGUE_SCAN 16384	/* bytes of a function decoded to find its epilogue */

/*
 * Whether the frame set up by the prologue that ends at file offset `from`
 * still holds at `pc`: no pop %rbp or leave on the straight line from there
 * to pc (compilers schedule stores between the pop and the ret), a ret or jmp
 * starting another path. Functions longer than CAP_EPILOGUE_SCAN before pc
 * are taken as intact; undecodable code is not.
 */
static int frame_intact(const struct elfsym *es, uint64_t from, uint64_t pc)
{
	uint8_t code[CAP_EPILOGUE_SCAN];
	size_t i = 0, len = (size_t)(pc - from);
	int torn = 0;

	if (pc - from > sizeof(code))
		return 1;
	if (len && elfsym_pread(es, from, code, len) < 0)
		return 0;
	while (i < len) {
		struct x86tail_insn in;
		unsigned l = x86tail_decode(code + i, len - i, from + i, &in);

		if (!l)
			return 0;
		if ((l == 1 && (code[i] == 0x5d || code[i] == 0xc9)) ||
		    (l == 2 && (code[i] & 0xf1) == 0x40 && code[i + 1] == 0x5d))
			torn = 1;	/* pop %rbp (no REX.B), leave */
		else if (in.kind == X86TAIL_RET || in.kind == X86TAIL_JMP ||
		    in.kind == X86TAIL_JMP_IND)
			torn = 0;
		i += l;
	}
	return !torn;
}

/*
 * Whether the unwind from frame i to frame i+1 can be trusted: the function
 * of frame i keeps a frame pointer, and (for the sampled pc) the pc is past
 * the prologue and before the epilogue that tears the frame down.
 */
static int frame_trusted(const struct cap_frame *f, int leaf)
{
	unsigned prologue;
	uint64_t entry;
	uint8_t b;

	if (!f->sym || !f->es || !elfsym_has_frame_pointer(f->es, f->sym, &prologue))
		return 0;
	if (!leaf)
		return 1;
	if (elfsym_vaddr_to_off(f->es, f->sym->addr, &entry) < 0 || f->off < entry + prologue)
		return 0;
	if (elfsym_pread(f->es, f->off, &b, 1) < 0 || b == 0xc3)
		return 0;
	return frame_intact(f->es, entry + prologue, f->off);
}

/* Why the frame pairs above a frame are not written. */
enum cap_stop {
	CAP_STOP_NONE,
	CAP_STOP_UNTRUSTED,	/* its unwind cannot be trusted, or it is in no module */
	CAP_STOP_UNVERIFIED,	/* in a module known by build id only: no code to check */
};

/*
 * Sampled edges: count deltas of the kernel map since the last read, each
 * stack's adjacent frames placed through the process's maps, else through
 * the build ids of the stack's first sight.
 */
static int read_samples(struct cap *c, uint64_t win_start)
{
	int fd = bpf_map__fd(c->skel->maps.samples), sfd = bpf_map__fd(c->skel->maps.stacks);
	struct cap_skey k, next;
	struct cap_sval v;
	uint64_t ips[CAP_MAX_STACK];
	struct cap_frame fr[CAP_MAX_STACK];
	int first = 1;

	while (bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
		uint64_t delta;
		uint32_t sid;
		struct cap_kstack *ks;
		struct cap_proc *p;
		enum cap_stop stop;
		int n, i;

		first = 0;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v) != 0)
			continue;
		ks = kstack_get(c, &k, NULL);
		if (!ks)
			return nomem(c);
		if (v.count <= ks->seen)
			continue;
		delta = v.count - ks->seen;
		ks->seen = v.count;
		p = &c->procs[ks->proc];
		sid = (uint32_t)k.stackid;
		memset(ips, 0, sizeof(ips));
		if (bpf_map_lookup_elem(sfd, &sid, ips) != 0)
			continue;
		for (n = 0; n < CAP_MAX_STACK && ips[n]; n++)
			;
		for (i = 0; i < n; i++) {
			const struct cap_sframe *sf = (uint32_t)i < ks->nsf ?
			    &c->sframes[ks->sf + (uint32_t)i] : NULL;

			if (resolve_frame(c, p, ips[i], i > 0, &fr[i]) == 0 &&
			    (!sf || !sf->bid || fr[i].node_h || mod_may_be_bid(c, fr[i].mod, sf->bid - 1)))
				continue;
			if (resolve_frame_bid(c, sf, i > 0, &fr[i]) < 0)
				fr[i].mod = UINT32_MAX;
		}
		/* Edges frame[i+1] -> frame[i], while every frame up to i is trusted. */
		stop = CAP_STOP_NONE;
		for (i = 0; i + 1 < n; i++) {
			struct cap_wedge we;

			if (!stop && (fr[i].mod == UINT32_MAX || !frame_trusted(&fr[i], i == 0)))
				stop = fr[i].mod != UINT32_MAX && c->mods[fr[i].mod].byid ?
				    CAP_STOP_UNVERIFIED : CAP_STOP_UNTRUSTED;
			if (stop) {
				c->uloss[stop == CAP_STOP_UNVERIFIED ? CAP_UL_SAMPLE_UNVERIFIED :
				    CAP_UL_SAMPLE_UNTRUSTED] += delta;
				continue;
			}
			if (fr[i + 1].mod == UINT32_MAX) {
				c->uloss[CAP_UL_SAMPLE_UNRESOLVED] += delta;
				stop = CAP_STOP_UNTRUSTED;
				continue;
			}
			if (c->mods[fr[i + 1].mod].byid)
				c->uloss[CAP_UL_SAMPLE_BID_ONLY] += delta;
			memset(&we, 0, sizeof(we));
			we.caller = fr[i + 1].node_h ? fr[i + 1].node_h :
			    node_handle(c, fr[i + 1].mod, fr[i + 1].off, 1);
			we.callee = fr[i].node_h ? fr[i].node_h : node_handle(c, fr[i].mod, fr[i].off, 0);
			we.ctx = ctx_handle(c, p);
			if (!we.caller || !we.callee || !we.ctx)
				return -1;
			we.count = delta;
			we.first = mono_to_real(c, v.first_ns);
			if (we.first < win_start)
				we.first = win_start;
			we.last = mono_to_real(c, v.last_ns);
			we.evidence = ES_EV_EBPF_SAMPLE;
			we.conf = CAP_CONF_SAMPLE;
			if (wedge_add(c, &we) < 0)
				return -1;
		}
	}
	return 0;
}

static int flush_window(struct cap *c, uint64_t end, int final)
{
	uint32_t win;
	size_t i;

	if (c->rb)
		cap_drain(c);
	win = es_writer_window(c->w, c->win_start, end);
	if (!win)
		return -1;
	if ((c->o->modes & CAPTURE_PROBE) && read_probe_edges(c, c->win_start, final) < 0)
		return -1;
	if ((c->o->modes & CAPTURE_SAMPLE) && read_samples(c, c->win_start) < 0)
		return -1;
	if (c->n_wedges > 1)
		qsort(c->wedges, c->n_wedges, sizeof(*c->wedges), wedge_cmp);
	for (i = 0; i < c->n_wedges; i++) {
		const struct cap_wedge *x = &c->wedges[i];
		struct es_edge e;

		memset(&e, 0, sizeof(e));
		e.caller = x->caller;
		e.callee = x->callee;
		e.count = x->count;
		e.first_ns = x->first;
		e.last_ns = x->last;
		e.ctx = x->ctx;
		e.window = win;
		e.evidence = x->evidence;
		e.confidence = x->conf;
		if (es_writer_edge(c->w, &e) < 0)
			return -1;
	}
	for (i = 0; i < c->n_tgts; i++) {
		const struct cap_target *t = &c->tgts[i];
		struct es_coverage cov;

		if (!t->attached && !t->detach_ns)
			continue;
		memset(&cov, 0, sizeof(cov));
		cov.node = t->node_h;
		cov.method = ES_COV_ENTRY_PROBE;
		cov.start_ns = t->attach_ns > c->win_start ? t->attach_ns : c->win_start;
		cov.end_ns = t->detach_ns && t->detach_ns < end ? t->detach_ns : end;
		if (cov.end_ns < cov.start_ns)
			continue;
		if (es_writer_coverage(c->w, &cov) < 0)
			return -1;
	}
	c->n_wedges = 0;
	idmap_clear(&c->wedge_idx);
	c->win_start = end;
	c->nwin++;
	/* Its stacks are all read now: the perf map of a process that exited goes. */
	for (i = 0; i < c->n_procs; i++)
		if (c->procs[i].exited)
			perfmap_free(&c->procs[i].jit);
	return es_writer_flush(c->w);
}

/* ---- targets ---- */

static int tgt_add(struct cap *c, uint32_t midx, const char *name, const char *file,
    uint64_t off)
{
	struct cap_target *t;
	size_t i;

	for (i = 0; i < c->n_tgts; i++)
		if (c->tgts[i].mod == midx && c->tgts[i].off == off)
			return 0;	/* the same entry through another glob or alias */
	if (mem_grow((void **)&c->tgts, &c->cap_tgts, c->n_tgts + 1, sizeof(*c->tgts)) < 0)
		return nomem(c);
	t = &c->tgts[c->n_tgts];
	memset(t, 0, sizeof(*t));
	t->mod = midx;
	t->sym = strdup(name);
	t->file = file;
	t->off = off;
	if (!t->sym)
		return nomem(c);
	c->n_tgts++;
	return 0;
}

struct match_arg {
	struct cap *c;
	uint32_t midx;
	size_t n;
	int rc;
};

static int on_match(void *arg, const struct elfsym_sym *s, uint64_t off)
{
	struct match_arg *a = arg;

	if (tgt_add(a->c, a->midx, s->name, s->file, off) < 0) {
		a->rc = -1;
		return 1;
	}
	a->n++;
	return 0;
}

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Look a file name up in a ':'-separated list of directories. */
static int search_dirs(const char *dirs, const char *name, char *out, size_t size)
{
	const char *p = dirs, *colon;

	while (p && *p) {
		size_t n;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n && (size_t)snprintf(out, size, "%.*s/%s", (int)n, p, name) < size &&
		    file_exists(out))
			return 0;
		p = colon ? colon + 1 : NULL;
	}
	return -1;
}

/* Copy s to out with every `from` replaced by `to`. 0 or -1 (too long). */
static int str_replace_all(const char *s, const char *from, const char *to, char *out,
    size_t size)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;

	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			if (n + tl >= size)
				return -1;
			memcpy(out + n, to, tl);
			n += tl;
			s += fl;
			continue;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = *s++;
	}
	out[n] = '\0';
	return 0;
}

/*
 * The path to attach to for MODULE: a path as given (inside the target's
 * root for --pid), a module mapped by the target process, the command
 * itself, a library in the usual directories, or an executable on PATH.
 */
static int resolve_module(struct cap *c, const char *mod, char *out, size_t size)
{
	static const char libdirs[] = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
	    "/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";
	const char *env;

	if (strchr(mod, '/')) {
		if (c->o->scope == CAPTURE_SCOPE_PID && mod[0] == '/' &&
		    (size_t)snprintf(out, size, "/proc/%d/root%s", (int)c->o->pid, mod) < size &&
		    file_exists(out))
			return 0;
		if ((size_t)snprintf(out, size, "%s", mod) < size && file_exists(out))
			return 0;
		return -1;
	}
	if (c->o->scope == CAPTURE_SCOPE_PID) {
		struct procmaps pm;
		struct tm_err e = { 0 };
		size_t i;
		int found = -1;

		if (procmaps_read(c->o->pid, &pm, &e) == 0) {
			for (i = 0; i < pm.n && found < 0; i++) {
				const struct procmaps_ent *m = &pm.ents[i];

				if ((m->prot & PROT_EXEC) && m->path[0] == '/' &&
				    strcmp(base_name(m->path), mod) == 0 &&
				    (size_t)snprintf(out, size, "/proc/%d/root%s", (int)c->o->pid,
				    m->path) < size)
					found = 0;
			}
			procmaps_free(&pm);
		}
		if (found == 0)
			return 0;
	}
	if (c->o->scope == CAPTURE_SCOPE_CMD && c->o->argv && c->o->argv[0]) {
		const char *a0 = c->o->argv[0];
		char exe[4096];
		struct elfsym *es;
		struct tm_err e = { 0 };

		if (strchr(a0, '/'))
			snprintf(exe, sizeof(exe), "%s", a0);
		else if (!(env = getenv("PATH")) || search_dirs(env, a0, exe, sizeof(exe)) < 0)
			exe[0] = '\0';
		if (exe[0] && strcmp(base_name(exe), mod) == 0)
			return (size_t)snprintf(out, size, "%s", exe) < size ? 0 : -1;
		/* The command's own library search path (RUNPATH, $ORIGIN). */
		if (exe[0] && (es = elfsym_open(exe, -1, exe, &e)) != NULL) {
			const char *rp = elfsym_runpath(es);
			int found = -1;

			if (rp && !strstr(rp, "$ORIGIN"))
				found = search_dirs(rp, mod, out, size);
			else if (rp) {
				char dirs[4096], origin[4096];
				const char *slash = strrchr(exe, '/');

				snprintf(origin, sizeof(origin), "%.*s", slash ? (int)(slash - exe) : 1,
				    slash ? exe : ".");
				if (str_replace_all(rp, "$ORIGIN", origin, dirs, sizeof(dirs)) == 0)
					found = search_dirs(dirs, mod, out, size);
			}
			elfsym_close(es);
			if (found == 0)
				return 0;
		}
	}
	if ((env = getenv("LD_LIBRARY_PATH")) && search_dirs(env, mod, out, size) == 0)
		return 0;
	if (search_dirs(libdirs, mod, out, size) == 0)
		return 0;
	if ((env = getenv("PATH")) && search_dirs(env, mod, out, size) == 0)
		return 0;
	return -1;
}

/* Add the targets of one "MODULE:GLOB" (or "MODULE!GLOB"). */
static int add_probe_spec(struct cap *c, const char *spec, const char *where)
{
	const char *sep = strchr(spec, '!');
	char mod[4096], path[4096];
	struct match_arg a;
	struct stat st;
	uint32_t midx;
	struct elfsym *es;

	if (!sep)
		sep = strchr(spec, ':');
	if (!sep || sep == spec || !sep[1] || (size_t)(sep - spec) >= sizeof(mod)) {
		tm_err_set(c->err, TM_EXIT_USAGE, "%s: '%s': expected MODULE:GLOB", where, spec);
		return -1;
	}
	memcpy(mod, spec, (size_t)(sep - spec));
	mod[sep - spec] = '\0';
	if (resolve_module(c, mod, path, sizeof(path)) < 0 || stat(path, &st) < 0) {
		tm_err_set(c->err, TM_EXIT_ENV, "%s: module '%s' not found", where, mod);
		return -1;
	}
	midx = mod_add(c, (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev)), st.st_ino, path,
	    path, -1);
	if (midx == UINT32_MAX)
		return nomem(c);
	if (!c->mods[midx].open_path || strcmp(c->mods[midx].open_path, path) != 0) {
		/* Known through a process: attach by this path all the same. */
		free(c->mods[midx].open_path);
		c->mods[midx].open_path = strdup(path);
		if (!c->mods[midx].open_path)
			return nomem(c);
	}
	es = mod_elf(c, &c->mods[midx]);
	if (!es) {
		tm_err_set(c->err, TM_EXIT_DATA, "%s: %s: cannot read ELF symbols", where, path);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.midx = midx;
	elfsym_match(es, sep + 1, on_match, &a);
	if (a.rc < 0)
		return -1;
	if (a.n == 0)
		cap_warn(c, "%s: no function of %s matches '%s'", where, path, sep + 1);
	return 0;
}

static int load_probe_file(struct cap *c, const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char line[8192];
	unsigned lineno = 0;
	struct stat st;
	int rc = 0;

	if (!f) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "%s", file);
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		tm_err_set(c->err, TM_EXIT_ENV, "%s: is a directory", file);
		fclose(f);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char where[4200], *s = line, *e;
		size_t got = strlen(line);

		lineno++;
		/* A NUL inside the line ends strlen early: the line is text or bad. */
		if (got + 1 < sizeof(line) && !strchr(line, '\n') && !feof(f)) {
			tm_err_set(c->err, TM_EXIT_DATA, "%s:%u: NUL byte in the line", file, lineno);
			rc = -1;
			break;
		}
		if (!strchr(line, '\n') && !feof(f)) {
			tm_err_set(c->err, TM_EXIT_DATA, "%s:%u: line too long", file, lineno);
			rc = -1;
			break;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%u", file, lineno);
		rc = add_probe_spec(c, s, where);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- attaching ---- */

/* bpf_attr.link_create for BPF_TRACE_UPROBE_MULTI (newer than the 6.1 uapi). */
struct cap_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 umflags;
	__u32 pid;
	__u32 pad;
};

static int link_uprobe_multi(int prog_fd, const char *path, const uint64_t *offs,
    const uint64_t *cookies, uint32_t cnt, uint32_t pid)
{
	struct cap_uprobe_multi_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.attach_type = CAP_BPF_TRACE_UPROBE_MULTI;
	a.path = (__u64)(uintptr_t)path;
	a.offsets = (__u64)(uintptr_t)offs;
	a.cookies = (__u64)(uintptr_t)cookies;
	a.cnt = cnt;
	a.pid = pid;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

static int add_link(struct cap *c, struct bpf_link *l)
{
	if (mem_grow((void **)&c->links, &c->links_cap, c->nlinks + 1, sizeof(*c->links)) < 0) {
		bpf_link__destroy(l);
		return nomem(c);
	}
	c->links[c->nlinks++] = l;
	return 0;
}

/*
 * Whether x86-64 uprobes emulate the target's first instruction (push of a
 * register) instead of single-stepping it (endbr64, sub, mov, ...).
 */
static int first_insn_emulated(struct cap *c, const struct cap_target *t)
{
	struct elfsym *es = mod_elf(c, &c->mods[t->mod]);
	uint8_t b[2];

	if (!es || elfsym_pread(es, t->off, b, sizeof(b)) < 0)
		return 1;
	return (b[0] >= 0x50 && b[0] <= 0x57) || (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57);
}

static int attach_probes(struct cap *c)
{
	uint32_t pid = c->o->scope == CAPTURE_SCOPE_PID && !c->o->follow_children ?
	    (uint32_t)c->o->pid : 0;
	uint64_t *offs = NULL, *cookies = NULL;
	size_t i, j, nattached = 0;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int rc = 0;

	offs = calloc(c->n_tgts ? c->n_tgts : 1, sizeof(*offs));
	cookies = calloc(c->n_tgts ? c->n_tgts : 1, sizeof(*cookies));
	c->link_fds = calloc(c->n_mods ? c->n_mods : 1, sizeof(*c->link_fds));
	if (!offs || !cookies || !c->link_fds) {
		rc = nomem(c);
		goto out;
	}
	for (i = 0; i < c->n_mods; i++) {
		const char *path = c->mods[i].open_path;
		uint32_t cnt = 0;
		int fd = -1;

		for (j = 0; j < c->n_tgts; j++) {
			if (c->tgts[j].mod != i)
				continue;
			offs[cnt] = c->tgts[j].off;
			cookies[cnt] = j;
			cnt++;
		}
		if (!cnt)
			continue;
		if (c->multi_ok) {
			fd = link_uprobe_multi(bpf_program__fd(c->skel->progs.cap_probe_multi), path,
			    offs, cookies, cnt, pid);
			if (fd < 0 && c->o->attach == CAPTURE_ATTACH_MULTI) {
				tm_err_errno(c->err, TM_EXIT_ENV, errno, "%s: uprobe_multi link", path);
				rc = -1;
				goto out;
			}
			if (fd < 0) {
				cap_verbose(c, "uprobe_multi unavailable (%s); one uprobe per target",
				    strerror(errno));
				c->multi_ok = 0;
			}
		}
		if (fd >= 0) {
			uint64_t t = now_ns(CLOCK_REALTIME);

			c->link_fds[c->nlink_fds++] = fd;
			for (j = 0; j < c->n_tgts; j++) {
				if (c->tgts[j].mod == i) {
					c->tgts[j].attached = 1;
					c->tgts[j].attach_ns = t;
					nattached++;
				}
			}
			continue;
		}
		for (j = 0; j < c->n_tgts; j++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo);
			struct bpf_link *l;

			if (c->tgts[j].mod != i)
				continue;
			uo.bpf_cookie = j;
			l = bpf_program__attach_uprobe_opts(c->skel->progs.cap_probe_single,
			    pid ? (pid_t)pid : -1, path, c->tgts[j].off, &uo);
			if (!l) {
				cap_warn(c, "%s: %s: cannot attach uprobe: %s", path, c->tgts[j].sym,
				    strerror(errno));
				c->uloss[CAP_UL_ATTACH_FAILED]++;
				continue;
			}
			if (add_link(c, l) < 0) {
				rc = -1;
				goto out;
			}
			c->tgts[j].attached = 1;
			c->tgts[j].attach_ns = now_ns(CLOCK_REALTIME);
			nattached++;
		}
	}
	if (c->o->verbose) {
		size_t slow = 0;

		for (j = 0; j < c->n_tgts; j++)
			slow += !first_insn_emulated(c, &c->tgts[j]);
		if (slow)
			cap_verbose(c, "%zu of %zu targets start with an instruction the kernel "
			    "single-steps (each hit costs several times more than a push)", slow,
			    c->n_tgts);
	}
	cap_verbose(c, "attached %zu of %zu probes (%s) in %.3f s", nattached, c->n_tgts,
	    c->multi_ok ? "uprobe_multi" : "single uprobes",
	    (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	if (c->n_tgts && !nattached) {
		tm_err_set(c->err, TM_EXIT_ENV, "no probe could be attached");
		rc = -1;
	}
out:
	free(offs);
	free(cookies);
	return rc;
}

static void detach_all(struct cap *c)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t;
	size_t i, n = c->nlink_fds + c->nlinks;

	if (!n)
		return;
	for (i = 0; i < c->nlink_fds; i++)
		close(c->link_fds[i]);
	c->nlink_fds = 0;
	for (i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
	for (i = 0; i < c->nperf_fds; i++)
		close(c->perf_fds[i]);
	c->nperf_fds = 0;
	t = now_ns(CLOCK_REALTIME);
	for (i = 0; i < c->n_tgts; i++) {
		if (c->tgts[i].attached) {
			c->tgts[i].attached = 0;
			c->tgts[i].detach_ns = t;
		}
	}
	cap_verbose(c, "detached %zu links in %.3f s", n, (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
}

static int attach_samplers(struct cap *c)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, n = 0;

	if (ncpu <= 0) {
		tm_err_set(c->err, TM_EXIT_ENV, "cannot count CPUs");
		return -1;
	}
	c->perf_fds = calloc((size_t)ncpu, sizeof(*c->perf_fds));
	if (!c->perf_fds)
		return nomem(c);
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr pa;
		struct bpf_link *l;
		int fd;

		memset(&pa, 0, sizeof(pa));
		pa.type = PERF_TYPE_SOFTWARE;
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		pa.size = sizeof(pa);
		pa.freq = 1;
		pa.sample_freq = c->o->freq;
		fd = (int)syscall(__NR_perf_event_open, &pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue;	/* offline CPU */
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "perf_event_open (cpu-clock)");
			return -1;
		}
		c->perf_fds[c->nperf_fds++] = fd;
		l = bpf_program__attach_perf_event(c->skel->progs.cap_sample, fd);
		if (!l) {
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "attach perf_event program");
			return -1;
		}
		if (add_link(c, l) < 0)
			return -1;
		n++;
	}
	cap_verbose(c, "sampling %d CPUs at %u Hz", n, c->o->freq);
	return 0;
}

/* ---- loading ---- */

static int load_bpf(struct cap *c, int with_multi)
{
	struct capture_bpf *s;
	const struct capture_opts *o = c->o;
	int err;

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	s = capture_bpf__open();
	if (!s) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "cannot open the BPF object");
		return -1;
	}
	s->rodata->self_tgid = (__u32)getpid();
	s->rodata->follow_children = o->scope == CAPTURE_SCOPE_CMD || o->follow_children;
	s->rodata->filter_mode = o->scope == CAPTURE_SCOPE_CGROUP ? CAP_FILTER_CGROUP :
	    o->scope == CAPTURE_SCOPE_ALL ? CAP_FILTER_ALL : CAP_FILTER_PIDS;
	if (o->map_entries) {
		bpf_map__set_max_entries(s->maps.edges, o->map_entries);
		bpf_map__set_max_entries(s->maps.samples, o->map_entries);
	}
	if (o->ring_size)
		bpf_map__set_max_entries(s->maps.events, o->ring_size);
	if (!(o->modes & CAPTURE_PROBE) || !with_multi)
		bpf_program__set_autoload(s->progs.cap_probe_multi, false);
	else
		bpf_program__set_expected_attach_type(s->progs.cap_probe_multi,
		    (enum bpf_attach_type)CAP_BPF_TRACE_UPROBE_MULTI);
	if (!(o->modes & CAPTURE_PROBE) || o->attach == CAPTURE_ATTACH_MULTI)
		bpf_program__set_autoload(s->progs.cap_probe_single, false);
	if (!(o->modes & CAPTURE_SAMPLE))
		bpf_program__set_autoload(s->progs.cap_sample, false);
	if (s->rodata->filter_mode != CAP_FILTER_PIDS || !s->rodata->follow_children)
		bpf_program__set_autoload(s->progs.cap_fork, false);
	bpf_program__set_autoattach(s->progs.cap_probe_multi, false);
	bpf_program__set_autoattach(s->progs.cap_probe_single, false);
	bpf_program__set_autoattach(s->progs.cap_sample, false);
	err = capture_bpf__load(s);
	if (err) {
		capture_bpf__destroy(s);
		if (with_multi && o->attach != CAPTURE_ATTACH_MULTI)
			return load_bpf(c, 0);
		tm_err_errno(c->err, TM_EXIT_ENV, -err, "cannot load the BPF programs");
		return -1;
	}
	c->skel = s;
	c->multi_ok = with_multi && (o->modes & CAPTURE_PROBE);
	if (o->attach == CAPTURE_ATTACH_SINGLE)
		c->multi_ok = 0;
	return 0;
}

static int attach_tracepoints(struct cap *c)
{
	struct bpf_link *l;

	if (bpf_program__autoload(c->skel->progs.cap_fork)) {
		l = bpf_program__attach(c->skel->progs.cap_fork);
		if (!l) {
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "attach sched_process_fork");
			return -1;
		}
		if (add_link(c, l) < 0)
			return -1;
	}
	l = bpf_program__attach(c->skel->progs.cap_exit);
	if (!l) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "attach sched_process_exit");
		return -1;
	}
	return add_link(c, l);
}

int capture_check_env(struct tm_err *err)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		tm_err_set(err, TM_EXIT_ENV,
		    "kernel BTF missing (/sys/kernel/btf/vmlinux): needs CONFIG_DEBUG_INFO_BTF");
		return -1;
	}
	if (geteuid() != 0) {
		/* Not root: BPF may still work with CAP_BPF+CAP_PERFMON; loading tells. */
		struct bpf_insn prog[2] = {
			{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
			{ .code = 0x95 },				/* exit */
		};
		int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "tm_probe", "GPL", prog, 2, NULL);

		if (fd < 0) {
			tm_err_set(err, TM_EXIT_ENV,
			    "cannot load BPF programs: needs root or CAP_BPF+CAP_PERFMON");
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* ---- scope ---- */

static int pids_add(struct cap *c, uint32_t pid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.pids), &pid, &one, BPF_ANY) < 0) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "pid map");
		return -1;
	}
	return 0;
}

/* Add the existing descendants of pid (from /proc/PID/task/TID/children). */
static void pids_add_children(struct cap *c, pid_t pid, int depth)
{
	char path[96], buf[8192], *p, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0 && pids_add(c, (uint32_t)v) == 0 && depth < 16)
			pids_add_children(c, (pid_t)v, depth + 1);
	}
}

static int setup_scope(struct cap *c)
{
	const struct capture_opts *o = c->o;

	if (o->scope == CAPTURE_SCOPE_PID) {
		if (kill(o->pid, 0) < 0 && errno == ESRCH) {
			tm_err_set(c->err, TM_EXIT_ENV, "pid %d: no such process", (int)o->pid);
			return -1;
		}
		if (pids_add(c, (uint32_t)o->pid) < 0)
			return -1;
		if (o->follow_children)
			pids_add_children(c, o->pid, 0);
	} else if (o->scope == CAPTURE_SCOPE_CGROUP) {
		int fd = open(o->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		__u32 key = 0;

		if (fd < 0) {
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "%s", o->cgroup);
			return -1;
		}
		if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.cgroups), &key, &fd, BPF_ANY) < 0) {
			tm_err_errno(c->err, TM_EXIT_ENV, errno, "%s: not a cgroup v2 directory",
			    o->cgroup);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Fork the command, held on a pipe until the probes are attached. */
static int spawn(struct cap *c, int *gate)
{
	int p[2], ep[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "pipe");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "fork");
		return -1;
	}
	if (pid == 0) {
		char go;
		int e;

		close(p[1]);
		close(ep[0]);
		/* The command must not write into the edge stream. */
		if (c->o->stream_on_stdout && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);
		if (read(p[0], &go, 1) != 1)
			_exit(126);
		execvp(c->o->argv[0], c->o->argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(p[0]);
	close(ep[1]);
	c->child = pid;
	gate[0] = p[1];
	gate[1] = ep[0];
	return 0;
}

/* Release the child; report an exec failure. */
static int release(struct cap *c, int *gate)
{
	int e = 0;
	ssize_t n;

	if (write(gate[0], "g", 1) != 1) {
		tm_err_errno(c->err, TM_EXIT_ENV, errno, "start command");
		return -1;
	}
	close(gate[0]);
	n = read(gate[1], &e, sizeof(e));
	close(gate[1]);
	if (n == (ssize_t)sizeof(e)) {
		tm_err_errno(c->err, e == ENOENT ? TM_EXIT_USAGE : TM_EXIT_ENV, e, "%s",
		    c->o->argv[0]);
		return -1;
	}
	return 0;
}

/* ---- run ---- */

static void write_losses(struct cap *c)
{
	int fd = bpf_map__fd(c->skel->maps.stats), ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	__u32 i;
	int j;

	vals = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*vals));
	for (i = 0; vals && i < CAP_ST_MAX; i++) {
		uint64_t sum = 0;

		if (!kloss_names[i] || bpf_map_lookup_elem(fd, &i, vals) != 0)
			continue;
		for (j = 0; j < ncpu; j++)
			sum += vals[j];
		if (i == CAP_ST_STACK_FAIL || i == CAP_ST_SAMPLE_MAP_FULL ||
		    i == CAP_ST_BID_STACK_FAIL) {
			if (!(c->o->modes & CAPTURE_SAMPLE))
				continue;
		} else if (i != CAP_ST_RINGBUF_FULL && i != CAP_ST_PIDS_FULL &&
		    !(c->o->modes & CAPTURE_PROBE)) {
			continue;
		}
		es_writer_loss(c->w, kloss_names[i], sum);
	}
	free(vals);
	for (i = 0; i < CAP_UL_MAX; i++) {
		int sample = i == CAP_UL_SAMPLE_UNTRUSTED || i == CAP_UL_SAMPLE_UNRESOLVED ||
		    i == CAP_UL_SAMPLE_UNVERIFIED || i == CAP_UL_SAMPLE_BID_ONLY;

		if (sample ? !(c->o->modes & CAPTURE_SAMPLE) : !(c->o->modes & CAPTURE_PROBE))
			continue;
		es_writer_loss(c->w, uloss_names[i], c->uloss[i]);
	}
}

static void cap_free(struct cap *c)
{
	size_t i;

	detach_all(c);
	if (c->rb)
		ring_buffer__free(c->rb);
	if (c->skel)
		capture_bpf__destroy(c->skel);
	for (i = 0; i < c->n_mods; i++) {
		elfsym_close(c->mods[i].es);
		free(c->mods[i].path);
		free(c->mods[i].open_path);
	}
	for (i = 0; i < c->n_tgts; i++)
		free(c->tgts[i].sym);
	for (i = 0; i < c->n_procs; i++) {
		if (c->procs[i].maps_loaded)
			procmaps_free(&c->procs[i].maps);
		perfmap_free(&c->procs[i].jit);
	}
	free(c->mods);
	free(c->tgts);
	free(c->procs);
	free(c->kedges);
	free(c->kstacks);
	free(c->sframes);
	free(c->bids);
	free(c->wedges);
	free(c->link_fds);
	free(c->links);
	free(c->perf_fds);
	idmap_free(&c->mod_idx);
	idmap_free(&c->proc_idx);
	idmap_free(&c->kedge_idx);
	idmap_free(&c->kstack_idx);
	idmap_free(&c->bid_idx);
	idmap_free(&c->wedge_idx);
}

static int write_header(struct cap *c, uint64_t start)
{
	const struct capture_opts *o = c->o;
	struct es_param params[10];
	struct es_header h;
	char freq[32], win[32], probes[4096], scope[64];
	size_t np = 0, i, n = 0;

	for (i = 0; i < o->nprobes && n < sizeof(probes); i++)
		n += (size_t)snprintf(probes + n, sizeof(probes) - n, "%s%s", i ? " " : "",
		    o->probes[i]);
	if (n == 0)
		probes[0] = '\0';
	snprintf(freq, sizeof(freq), "%u", o->freq);
	snprintf(win, sizeof(win), "%" PRIu64, o->window_ns);
	switch (o->scope) {
	case CAPTURE_SCOPE_CMD:
		snprintf(scope, sizeof(scope), "command");
		break;
	case CAPTURE_SCOPE_PID:
		snprintf(scope, sizeof(scope), "pid:%d%s", (int)o->pid,
		    o->follow_children ? "+children" : "");
		break;
	case CAPTURE_SCOPE_CGROUP:
		snprintf(scope, sizeof(scope), "cgroup");
		break;
	default:
		snprintf(scope, sizeof(scope), "all");
		break;
	}
	params[np++] = (struct es_param){ "mode", (o->modes & CAPTURE_PROBE) ?
	    ((o->modes & CAPTURE_SAMPLE) ? "probe,sample" : "probe") : "sample" };
	params[np++] = (struct es_param){ "scope", scope };
	if (o->scope == CAPTURE_SCOPE_CGROUP)
		params[np++] = (struct es_param){ "cgroup", o->cgroup };
	if (o->modes & CAPTURE_SAMPLE)
		params[np++] = (struct es_param){ "freq", freq };
	if (probes[0])
		params[np++] = (struct es_param){ "probes", probes };
	if (o->probe_file)
		params[np++] = (struct es_param){ "probe_file", o->probe_file };
	params[np++] = (struct es_param){ "window_ns", win };
	params[np++] = (struct es_param){ "symbolize", o->symbolize ? "yes" : "no" };
	params[np++] = (struct es_param){ "attach", c->multi_ok ? "uprobe_multi" : "uprobe" };
	if (o->cmdline)
		params[np++] = (struct es_param){ "command", o->cmdline };
	memset(&h, 0, sizeof(h));
	h.producer = "trace-capture " TM_VERSION;
	h.host = o->host;
	h.source = "ebpf";
	h.start_ns = start;
	h.params = params;
	h.nparams = np;
	return es_writer_begin(c->w, &h);
}

int capture_run(const struct capture_opts *o, struct es_writer *w,
    volatile sig_atomic_t *stop, int *status, struct tm_err *err)
{
	struct cap c;
	int gate[2] = { -1, -1 }, rc = -1, done = 0, wst = 0;
	uint64_t start, next_drain, now, deadline;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.w = w;
	c.err = err;
	c.child = -1;
	idmap_init(&c.mod_idx);
	idmap_init(&c.proc_idx);
	idmap_init(&c.kedge_idx);
	idmap_init(&c.kstack_idx);
	idmap_init(&c.bid_idx);
	idmap_init(&c.wedge_idx);
	*status = 0;

	/* Targets first: a bad probe is a usage or data error, before any BPF. */
	for (i = 0; i < o->nprobes; i++)
		if (add_probe_spec(&c, o->probes[i], "--probe") < 0)
			goto out;
	if (o->probe_file && load_probe_file(&c, o->probe_file) < 0)
		goto out;
	if ((o->modes & CAPTURE_PROBE) && c.n_tgts == 0) {
		tm_err_set(err, TM_EXIT_USAGE, "no function matches the probes");
		goto out;
	}
	if (capture_check_env(err) < 0 || load_bpf(&c, o->attach != CAPTURE_ATTACH_SINGLE) < 0)
		goto out;
	c.rb = ring_buffer__new(bpf_map__fd(c.skel->maps.events), on_event, &c, NULL);
	if (!c.rb) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "ring buffer");
		goto out;
	}
	/* Modules this process maps are the same files as most targets': know them now. */
	{
		struct procmaps self;
		struct tm_err e = { 0 };

		if (procmaps_read(0, &self, &e) == 0) {
			mods_from_maps(&c, 0, &self, 0);
			procmaps_free(&self);
		}
	}
	if (o->scope == CAPTURE_SCOPE_CMD) {
		char path[4096];
		struct stat st;

		if (resolve_module(&c, base_name(o->argv[0]), path, sizeof(path)) == 0 &&
		    stat(path, &st) == 0)
			mod_add(&c, (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev)),
			    st.st_ino, path, path, -1);
		if (spawn(&c, gate) < 0 || pids_add(&c, (uint32_t)c.child) < 0)
			goto out;
	}
	if (setup_scope(&c) < 0 || attach_tracepoints(&c) < 0)
		goto out;
	c.host_h = o->host ? es_writer_cstring(w, o->host) : 0;
	if ((o->modes & CAPTURE_PROBE) && attach_probes(&c) < 0)
		goto out;
	if ((o->modes & CAPTURE_SAMPLE) && attach_samplers(&c) < 0)
		goto out;
	start = now_ns(CLOCK_REALTIME);
	c.mono_to_real = (int64_t)start - (int64_t)now_ns(CLOCK_MONOTONIC);
	c.win_start = start;
	if (write_header(&c, start) < 0)
		goto out;
	for (i = 0; i < c.n_tgts; i++) {
		struct es_node n;
		struct cap_target *t = &c.tgts[i];

		memset(&n, 0, sizeof(n));
		n.module = mod_handle(&c, t->mod);
		n.offset = t->off;
		if (o->symbolize) {
			n.symbol = es_writer_cstring(w, t->sym);
			if (t->file)
				n.file = es_writer_cstring(w, t->file);
		}
		t->node_h = es_writer_node(w, &n);
		if (!t->node_h)
			goto out;
	}
	if (o->scope == CAPTURE_SCOPE_CMD && release(&c, gate) < 0) {
		gate[0] = gate[1] = -1;
		waitpid(c.child, NULL, 0);
		c.child = -1;
		goto out;
	}
	gate[0] = gate[1] = -1;

	next_drain = now_ns(CLOCK_MONOTONIC) + CAP_DRAIN_NS;
	deadline = o->duration_ns ? now_ns(CLOCK_MONOTONIC) + o->duration_ns : 0;
	while (!done) {
		struct timespec ts = { 0, 10000000 };	/* 10 ms: child exit and signals */

		nanosleep(&ts, NULL);
		now = now_ns(CLOCK_MONOTONIC);
		if (c.child > 0) {
			pid_t r = waitpid(c.child, &wst, WNOHANG);

			if (r == c.child) {
				*status = WIFEXITED(wst) ? WEXITSTATUS(wst) :
				    WIFSIGNALED(wst) ? 128 + WTERMSIG(wst) : 1;
				c.child = -1;
				done = 1;
			}
		}
		if (*stop || (deadline && now >= deadline))
			done = 1;
		if (now >= next_drain || done) {
			cap_drain(&c);
			next_drain = now + CAP_DRAIN_NS;
		}
		if (!done && o->window_ns && now_ns(CLOCK_REALTIME) >= c.win_start + o->window_ns &&
		    flush_window(&c, now_ns(CLOCK_REALTIME), 0) < 0)
			goto out;
	}
	if (flush_window(&c, now_ns(CLOCK_REALTIME), 1) < 0)
		goto out;
	detach_all(&c);
	if (c.child > 0) {
		/* Stopped before the command ended: end it too, and report how. */
		kill(c.child, SIGTERM);
		if (waitpid(c.child, &wst, 0) == c.child)
			*status = WIFEXITED(wst) ? WEXITSTATUS(wst) :
			    WIFSIGNALED(wst) ? 128 + WTERMSIG(wst) : 1;
		c.child = -1;
	}
	write_losses(&c);
	if (es_writer_end(w) < 0)
		goto out;
	rc = 0;
out:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	if (c.child > 0) {
		/* An error after the command started: do not leave it behind. */
		kill(c.child, SIGTERM);
		waitpid(c.child, NULL, 0);
	}
	cap_free(&c);
	return rc;
}

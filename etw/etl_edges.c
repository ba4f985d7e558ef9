/*
 * etl_edges.c - sampled stacks to symbolized caller->callee edges.
 *
 * One pass over the events, in timestamp order, builds:
 *   - histories of images, JIT methods and processes (each with a lifetime,
 *     because addresses and pids are reused);
 *   - a table of raw frame pairs (pid, window, caller address, callee
 *     address) with count and first/last timestamp.
 * Symbolization waits for emit(), because the trace tells us things late:
 * stack-key definitions come after their references, CLR rundown
 * (MethodDCEndVerbose) and Image DCEnd come at the very end. At emit() each
 * raw pair is resolved against the final tables at its first timestamp, and
 * pairs that resolve to the same symbolic edge are merged. Memory is
 * proportional to distinct address pairs and to the tables, not to the
 * number of samples; no allocation happens per event except amortized
 * table growth.
 */
#include "etl_edges.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING	8		/* recent sample timestamps kept per thread */
#define HALVES	65536		/* lone stack halves remembered for joining */
#define NONE	UINT32_MAX
#define TS_MAX	UINT64_MAX

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	h ^= 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

/* Grow a vector to hold at least need elements; 0 on success. */
static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return -1;
		n *= 2;
	}
	void *p = realloc(*v, n * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = n;
	return 0;
}

/* ---- a map from a pair of u64 to a u32, linear probing ------------------ */

struct mslot {
	uint64_t a, b;
	uint32_t v;
	uint32_t used;
};

struct map {
	struct mslot *s;
	size_t cap, n;		/* cap is 0 or a power of two */
};

static size_t map_home(const struct map *m, uint64_t a, uint64_t b)
{
	return (size_t)(mix64(a ^ mix64(b)) & (m->cap - 1));
}

static uint32_t *map_get(const struct map *m, uint64_t a, uint64_t b)
{
	if (!m->cap)
		return NULL;
	for (size_t i = map_home(m, a, b);; i = (i + 1) & (m->cap - 1)) {
		struct mslot *s = &m->s[i];
		if (!s->used)
			return NULL;
		if (s->a == a && s->b == b)
			return &s->v;
	}
}

static int map_put(struct map *m, uint64_t a, uint64_t b, uint32_t v)
{
	if ((m->n + 1) * 4 > m->cap * 3) {
		struct map nm = { .cap = m->cap ? m->cap * 2 : 64 };
		nm.s = calloc(nm.cap, sizeof *nm.s);
		if (!nm.s)
			return -1;
		for (size_t i = 0; i < m->cap; i++)
			if (m->s[i].used) {
				size_t j = map_home(&nm, m->s[i].a, m->s[i].b);
				while (nm.s[j].used)
					j = (j + 1) & (nm.cap - 1);
				nm.s[j] = m->s[i];
			}
		nm.n = m->n;
		free(m->s);
		*m = nm;
	}
	size_t i = map_home(m, a, b);
	while (m->s[i].used) {
		if (m->s[i].a == a && m->s[i].b == b) {
			m->s[i].v = v;
			return 0;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->s[i] = (struct mslot){ a, b, v, 1 };
	m->n++;
	return 0;
}

/* Remove with backward-shift, so no tombstones accumulate. */
static void map_del(struct map *m, uint64_t a, uint64_t b)
{
	if (!m->cap)
		return;
	size_t mask = m->cap - 1, i = map_home(m, a, b);
	while (m->s[i].used && !(m->s[i].a == a && m->s[i].b == b))
		i = (i + 1) & mask;
	if (!m->s[i].used)
		return;
	m->s[i].used = 0;
	m->n--;
	for (size_t j = (i + 1) & mask; m->s[j].used; j = (j + 1) & mask) {
		size_t h = map_home(m, m->s[j].a, m->s[j].b);
		/* Move s[j] into the hole at i if its home is not in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			m->s[i] = m->s[j];
			m->s[j].used = 0;
			i = j;
		}
	}
}

/* ---- interned strings ---------------------------------------------------- */

struct pool {
	char *buf;
	size_t len, cap;
	struct map idx;		/* (hash, length) -> offset */
};

/* Intern s[0..n); returns the offset of the NUL-terminated copy, or NONE. */
static uint32_t pool_add(struct pool *p, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n, 0);
	/* Probe (h, n), (h+1, n)...: equal hashes with different text get new keys. */
	for (uint64_t k = h;; k++) {
		uint32_t *v = map_get(&p->idx, k, n);
		if (!v)
			break;
		if (memcmp(p->buf + *v, s, n) == 0)
			return *v;
	}
	if (p->len + n + 1 > UINT32_MAX - 1)
		return NONE;
	if (grow((void **)&p->buf, &p->cap, p->len + n + 1, 1))
		return NONE;
	uint32_t off = (uint32_t)p->len;
	memcpy(p->buf + off, s, n);
	p->buf[off + n] = '\0';
	p->len += n + 1;
	uint64_t k = h;
	while (map_get(&p->idx, k, n))
		k++;
	if (map_put(&p->idx, k, n, off))
		return NONE;
	return off;
}

static const char *pool_str(const struct pool *p, uint32_t off)
{
	return p->buf + off;
}

/* ---- the tables ------------------------------------------------------------ */

struct image {
	uint32_t pid;
	uint32_t path, name;		/* strings */
	uint64_t base, size;
	uint64_t start_ts, end_ts;
	uint32_t tds;
	uint32_t ident;			/* index into idents, or NONE */
	uint32_t module;		/* assigned at emit */
	uint32_t seq;			/* insertion order: makes sorting total */
	uint64_t maxend;		/* emit: max base+size up to here within the pid */
};

/* PDB identity and PE stamp of an image, from KernelTraceControl events. */
struct ident {
	uint8_t guid[16];
	uint32_t age;
	uint32_t pdb_name;		/* string */
	uint32_t tds;
	uint8_t has_pdb;
};

struct method {
	uint32_t pid;
	uint32_t symbol;		/* string "Namespace.Type::Method" */
	uint64_t start, size;
	uint64_t start_ts, end_ts;
	uint64_t clr_module;		/* CLR ModuleID */
	uint32_t module;		/* assigned at emit */
	uint32_t seq;
	uint64_t maxend;
};

struct clrmod {
	uint32_t assembly;		/* string */
	uint32_t path;			/* string */
	uint8_t guid[16];
	uint32_t age;
	uint8_t has_pdb;
};

struct process {
	uint32_t pid;
	uint32_t name;			/* string */
	uint32_t seq;
	uint64_t start_ts, end_ts;
};

struct module {
	uint32_t name, path, pdb_name;	/* strings */
	uint8_t guid[16];
	uint32_t age;
	uint32_t tds, size;
	uint8_t has_pdb, kernel, managed;
	uint32_t rank;			/* position in sorted order, for output order */
};

enum { HALF_KERNEL = 1, HALF_USER = 2 };

struct thread {
	uint64_t ring[RING];		/* recent SampledProfile timestamps */
	uint32_t ring_head;
};

/* A stack half waiting for its partner (kernel option only). */
struct half {
	uint64_t ts;			/* the sample's timestamp */
	uint64_t addr;			/* outermost kernel frame or innermost user frame */
	uint32_t tid, pid;
	uint8_t kind;			/* HALF_*, 0 = slot free */
};

/* A stack-key reference waiting for its definition. */
struct pref {
	uint64_t event_ts;
	uint32_t pid, tid;
	uint32_t next;			/* next pending ref with the same key, or NONE */
};

/* A counted pair of raw addresses. */
struct pair {
	uint64_t caller, callee;
	uint64_t window;
	uint32_t pid;
	uint32_t used;
	uint64_t count, first_ts, last_ts;
};

/* One end after symbolization. */
struct endkey {
	uint32_t module;
	uint32_t symbol;		/* string, or NONE for module + rva */
	uint64_t rva;
};

struct fedge {
	struct endkey caller, callee;
	uint64_t window;
	uint32_t pid;
	uint32_t used;
	uint64_t count, first_ts, last_ts;
};

struct etl_edges {
	struct etl_edges_opts opts;
	struct etl_clock clock;
	unsigned ptrsize;
	int emitted;

	struct pool strings;
	uint32_t s_empty, s_unknown, s_jit;

	struct image *images;
	size_t nimages, cimages;
	struct map open_images;		/* (pid, base) -> image */

	struct ident *idents;
	size_t nidents, cidents;
	struct map pending_ident;	/* (pid, base) -> ident not yet claimed by an image */

	struct method *methods;
	size_t nmethods, cmethods;
	struct map open_methods;	/* (pid, start) -> method */

	struct clrmod *clrmods;
	size_t nclrmods, cclrmods;
	struct map clrmod_of;		/* (pid, ModuleID) -> clrmod */

	struct process *procs;
	size_t nprocs, cprocs;
	struct map open_procs;		/* (pid, 0) -> process */
	struct map container_of;	/* (pid, 0) -> string */

	struct thread *threads;
	size_t nthreads, cthreads;
	struct map thread_of;		/* (tid, 0) -> thread */

	struct half *halves;		/* FIFO ring of HALVES, oldest overwritten */
	uint32_t half_head;
	uint32_t chalves;		/* slots allocated: grows to HALVES, then wraps */
	struct map half_of;		/* (tid | kind << 32, ts) -> halves slot */

	struct pref *prefs;
	size_t nprefs, cprefs;
	uint32_t pref_free;		/* free list through next */
	struct map pending_key;		/* (key, 0) -> first pref */

	struct pair *pairs;		/* open addressing, cap a power of two */
	size_t npairs, cpairs;

	struct module *modules;
	size_t nmodules, cmodules;
	struct map module_of;		/* (hash, name) -> module, at emit */

	uint64_t min_ts, max_ts;
	struct etl_edges_stats st;
};

/* ---- construction ---------------------------------------------------------- */

struct etl_edges *etl_edges_new(const struct etl_edges_opts *opts,
    const struct etl_clock *clock, unsigned trace_ptrsize)
{
	struct etl_edges *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	if (opts)
		b->opts = *opts;
	b->clock = *clock;
	b->ptrsize = trace_ptrsize == 4 ? 4 : 8;
	b->pref_free = NONE;
	b->min_ts = TS_MAX;
	b->s_empty = pool_add(&b->strings, "", 0);
	b->s_unknown = pool_add(&b->strings, "[unknown]", 9);
	b->s_jit = pool_add(&b->strings, "[jit]", 5);
	if (b->s_empty == NONE || b->s_unknown == NONE || b->s_jit == NONE) {
		etl_edges_free(b);
		return NULL;
	}
	return b;
}

void etl_edges_free(struct etl_edges *b)
{
	if (!b)
		return;
	free(b->strings.buf);
	free(b->strings.idx.s);
	free(b->images);
	free(b->open_images.s);
	free(b->idents);
	free(b->pending_ident.s);
	free(b->methods);
	free(b->open_methods.s);
	free(b->clrmods);
	free(b->clrmod_of.s);
	free(b->procs);
	free(b->open_procs.s);
	free(b->container_of.s);
	free(b->threads);
	free(b->thread_of.s);
	free(b->halves);
	free(b->half_of.s);
	free(b->prefs);
	free(b->pending_key.s);
	free(b->pairs);
	free(b->modules);
	free(b->module_of.s);
	free(b);
}

void etl_edges_get_stats(const struct etl_edges *b, struct etl_edges_stats *st)
{
	*st = b->st;
	st->images = b->nimages;
	st->methods = b->nmethods;
	st->modules = b->nmodules;
	st->processes = b->nprocs;
}

/* ---- helpers --------------------------------------------------------------- */

static int is_kernel(const struct etl_edges *b, uint64_t addr)
{
	return b->ptrsize == 8 ? (addr >> 63) != 0 : addr >= 0x80000000u;
}

static int pid_wanted(const struct etl_edges *b, uint32_t pid)
{
	if (b->opts.npids == 0)
		return 1;
	for (size_t i = 0; i < b->opts.npids; i++)
		if (b->opts.pids[i] == pid)
			return 1;
	return 0;
}

/* The last path component, after '\' or '/'. */
static const char *basename_of(const char *path)
{
	const char *s = path;
	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/')
			s = p + 1;
	return s;
}

/* ---- threads and samples --------------------------------------------------- */

static struct thread *thread_get(struct etl_edges *b, uint32_t tid)
{
	uint32_t *v = map_get(&b->thread_of, tid, 0);
	if (v)
		return &b->threads[*v];
	if (grow((void **)&b->threads, &b->cthreads, b->nthreads + 1, sizeof *b->threads))
		return NULL;
	uint32_t i = (uint32_t)b->nthreads;
	if (map_put(&b->thread_of, tid, 0, i))
		return NULL;
	b->nthreads++;
	memset(&b->threads[i], 0, sizeof b->threads[i]);
	/* Timestamps of 0 never match: ring slots start "empty". */
	return &b->threads[i];
}

static int on_sample(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_sample s;

	b->st.samples++;
	if (etl_decode_sample(ev, &s) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	if (b->opts.all_stacks)
		return ETL_OK;
	struct thread *t = thread_get(b, s.tid);
	if (!t)
		return ETL_ENOMEM;
	t->ring[t->ring_head++ % RING] = ev->ts;
	return ETL_OK;
}

/* Whether the event logged at event_ts on tid was a sample. */
static int is_sample(struct etl_edges *b, uint32_t tid, uint64_t event_ts)
{
	if (b->opts.all_stacks)
		return 1;
	uint32_t *v = map_get(&b->thread_of, tid, 0);
	if (!v || event_ts == 0)
		return 0;
	const struct thread *t = &b->threads[*v];
	for (int i = 0; i < RING; i++)
		if (t->ring[i] == event_ts)
			return 1;
	return 0;
}

/* ---- frame pairs ----------------------------------------------------------- */

static uint64_t window_of(const struct etl_edges *b, uint64_t ts)
{
	if (!b->opts.window_ns)
		return 0;
	return etl_clock_unix_ns(&b->clock, ts) / b->opts.window_ns;
}

static size_t pair_home(const struct etl_edges *b, uint32_t pid, uint64_t win,
    uint64_t caller, uint64_t callee)
{
	uint64_t h = mix64(caller ^ mix64(callee ^ mix64(((uint64_t)pid << 32) ^ win)));
	return (size_t)(h & (b->cpairs - 1));
}

static int pair_grow(struct etl_edges *b)
{
	size_t ncap = b->cpairs ? b->cpairs * 2 : 64;
	struct pair *np = calloc(ncap, sizeof *np), *old = b->pairs;
	size_t ocap = b->cpairs;

	if (!np)
		return ETL_ENOMEM;
	b->pairs = np;
	b->cpairs = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].used)
			continue;
		size_t j = pair_home(b, old[i].pid, old[i].window, old[i].caller, old[i].callee);
		while (np[j].used)
			j = (j + 1) & (ncap - 1);
		np[j] = old[i];
	}
	free(old);
	return ETL_OK;
}

static int add_pair(struct etl_edges *b, uint32_t pid, uint64_t win, uint64_t caller,
    uint64_t callee, uint64_t ts)
{
	if ((b->npairs + 1) * 4 > b->cpairs * 3 && pair_grow(b) != ETL_OK)
		return ETL_ENOMEM;
	size_t i = pair_home(b, pid, win, caller, callee);
	for (;; i = (i + 1) & (b->cpairs - 1)) {
		struct pair *p = &b->pairs[i];
		if (!p->used) {
			*p = (struct pair){ .caller = caller, .callee = callee, .window = win,
			    .pid = pid, .used = 1, .count = 1, .first_ts = ts, .last_ts = ts };
			b->npairs++;
			break;
		}
		if (p->caller == caller && p->callee == callee && p->pid == pid && p->window == win) {
			p->count++;
			if (ts < p->first_ts)
				p->first_ts = ts;
			if (ts > p->last_ts)
				p->last_ts = ts;
			break;
		}
	}
	b->st.pairs++;
	return ETL_OK;
}

/*
 * The kernel half and the user half of one sample share (tid, timestamp) but
 * resolve at different times (a stack-key definition can come much later),
 * so lone halves wait in a bounded FIFO; the oldest is forgotten when full.
 */
static int join_half(struct etl_edges *b, uint32_t pid, uint32_t tid, uint64_t ts,
    int kind, uint64_t addr, uint64_t win)
{
	int other = kind == HALF_KERNEL ? HALF_USER : HALF_KERNEL;
	uint32_t *v = map_get(&b->half_of, tid | (uint64_t)other << 32, ts);

	if (v) {
		struct half *h = &b->halves[*v];
		uint64_t user_inner = kind == HALF_USER ? addr : h->addr;
		uint64_t kernel_outer = kind == HALF_KERNEL ? addr : h->addr;
		h->kind = 0;
		map_del(&b->half_of, tid | (uint64_t)other << 32, ts);
		b->st.halves_joined++;
		return add_pair(b, pid, win, user_inner, kernel_outer, ts);
	}
	if (b->half_head == b->chalves) {
		/* Not wrapped yet and every slot taken: grow towards HALVES. */
		size_t ncap = b->chalves ? (size_t)b->chalves * 2 : 256;
		struct half *nh;

		if (ncap > HALVES)
			ncap = HALVES;
		nh = realloc(b->halves, ncap * sizeof *nh);
		if (!nh)
			return ETL_ENOMEM;
		memset(nh + b->chalves, 0, (ncap - b->chalves) * sizeof *nh);
		b->halves = nh;
		b->chalves = (uint32_t)ncap;
	}
	struct half *h = &b->halves[b->half_head];
	if (h->kind)
		map_del(&b->half_of, h->tid | (uint64_t)h->kind << 32, h->ts);
	*h = (struct half){ .ts = ts, .addr = addr, .tid = tid, .pid = pid, .kind = (uint8_t)kind };
	if (map_put(&b->half_of, tid | (uint64_t)kind << 32, ts, b->half_head))
		return ETL_ENOMEM;
	b->half_head = (b->half_head + 1) % HALVES;
	return ETL_OK;
}

/*
 * Count the adjacent pairs of one stack (half). Frame 0 is the innermost;
 * frame i+1 called frame i. Without the kernel option a pair is counted only
 * when both frames are user-mode. With it, the kernel half and the user half
 * of one sample (same event timestamp and thread) are joined by one more
 * pair: innermost user frame -> outermost kernel frame.
 */
static int count_stack(struct etl_edges *b, uint32_t pid, uint32_t tid, uint64_t event_ts,
    const struct etl_frames *f)
{
	uint64_t win = window_of(b, event_ts);
	int rc;

	b->st.sample_stacks++;
	b->st.frames += f->n;
	if (f->n == 0)
		return ETL_OK;
	uint64_t callee = etl_frame(f, 0);
	int callee_k = is_kernel(b, callee);
	for (uint32_t i = 1; i < f->n; i++) {
		uint64_t caller = etl_frame(f, i);
		int caller_k = is_kernel(b, caller);
		if (b->opts.kernel || (!caller_k && !callee_k)) {
			rc = add_pair(b, pid, win, caller, callee, event_ts);
			if (rc)
				return rc;
		}
		callee = caller;
		callee_k = caller_k;
	}
	if (!b->opts.kernel)
		return ETL_OK;

	uint64_t inner = etl_frame(f, 0), outer = etl_frame(f, f->n - 1);
	int kind = is_kernel(b, inner) ? (is_kernel(b, outer) ? HALF_KERNEL : 0) : HALF_USER;
	if (!kind)
		return ETL_OK;		/* kernel and user frames already together */
	return join_half(b, pid, tid, event_ts, kind,
	    kind == HALF_KERNEL ? outer : inner, win);
}

static void note_ts(struct etl_edges *b, uint64_t ts)
{
	if (ts < b->min_ts)
		b->min_ts = ts;
	if (ts > b->max_ts)
		b->max_ts = ts;
}

static int on_stack(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_stack s;

	b->st.stacks++;
	if (etl_decode_stack(ev, &s) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	if (!pid_wanted(b, s.pid) || !is_sample(b, s.tid, s.event_ts))
		return ETL_OK;
	note_ts(b, s.event_ts);
	return count_stack(b, s.pid, s.tid, s.event_ts, &s.frames);
}

static int on_stack_ref(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_stack_ref r;

	b->st.key_refs++;
	if (etl_decode_stack_ref(ev, &r) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	if (!pid_wanted(b, r.pid) || !is_sample(b, r.tid, r.event_ts))
		return ETL_OK;

	uint32_t i;
	if (b->pref_free != NONE) {
		i = b->pref_free;
		b->pref_free = b->prefs[i].next;
	} else {
		if (b->nprefs >= NONE - 1 ||
		    grow((void **)&b->prefs, &b->cprefs, b->nprefs + 1, sizeof *b->prefs))
			return ETL_ENOMEM;
		i = (uint32_t)b->nprefs++;
	}
	/* Prepend; order within one key does not matter for counting. */
	uint32_t *head = map_get(&b->pending_key, r.key, 0);
	b->prefs[i] = (struct pref){ .event_ts = r.event_ts, .pid = r.pid, .tid = r.tid,
	    .next = head ? *head : NONE };
	if (map_put(&b->pending_key, r.key, 0, i))
		return ETL_ENOMEM;
	return ETL_OK;
}

/* A definition resolves every reference to its key made since the last one. */
static int on_stack_def(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_stack_def d;

	b->st.key_defs++;
	if (etl_decode_stack_def(ev, &d) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	uint32_t *head = map_get(&b->pending_key, d.key, 0);
	if (!head)
		return ETL_OK;
	uint32_t i = *head;
	map_del(&b->pending_key, d.key, 0);
	while (i != NONE) {
		struct pref p = b->prefs[i];
		b->prefs[i].next = b->pref_free;
		b->pref_free = i;
		b->st.refs_resolved++;
		note_ts(b, p.event_ts);
		int rc = count_stack(b, p.pid, p.tid, p.event_ts, &d.frames);
		if (rc)
			return rc;
		i = p.next;
	}
	return ETL_OK;
}

/* ---- images ---------------------------------------------------------------- */

static uint32_t new_ident(struct etl_edges *b)
{
	if (b->nidents >= NONE - 1 ||
	    grow((void **)&b->idents, &b->cidents, b->nidents + 1, sizeof *b->idents))
		return NONE;
	memset(&b->idents[b->nidents], 0, sizeof b->idents[0]);
	b->idents[b->nidents].pdb_name = b->s_empty;
	return (uint32_t)b->nidents++;
}

static int on_image(struct etl_edges *b, const struct etl_event *ev, enum etl_class c)
{
	struct etl_image im;

	if (etl_decode_image(ev, &im) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	uint32_t *open = map_get(&b->open_images, im.pid, im.base);

	if (c == ETL_EV_IMAGE_UNLOAD) {
		if (open) {
			b->images[*open].end_ts = ev->ts;
			map_del(&b->open_images, im.pid, im.base);
			return ETL_OK;
		}
		/* Loaded before the trace started and never rundown: [start, now). */
	} else if (open) {
		struct image *o = &b->images[*open];
		if (o->size == im.size)
			return ETL_OK;	/* DCEnd (or a repeated DCStart) of the same image */
		o->end_ts = ev->ts;
		map_del(&b->open_images, im.pid, im.base);
	}

	if (b->nimages >= NONE - 1 ||
	    grow((void **)&b->images, &b->cimages, b->nimages + 1, sizeof *b->images))
		return ETL_ENOMEM;
	struct image *x = &b->images[b->nimages];
	char path[1024];
	size_t n = etl_str16_utf8(im.file_name, path, sizeof path);
	const char *base = basename_of(path);
	*x = (struct image){
		.pid = im.pid, .base = im.base, .size = im.size, .tds = im.time_date_stamp,
		.start_ts = (c == ETL_EV_IMAGE_LOAD) ? ev->ts : 0,
		.end_ts = (c == ETL_EV_IMAGE_UNLOAD) ? ev->ts : TS_MAX,
		.ident = NONE,
		.seq = (uint32_t)b->nimages,
		.path = pool_add(&b->strings, path, n),
		.name = pool_add(&b->strings, base, strlen(base)),
	};
	if (x->path == NONE || x->name == NONE)
		return ETL_ENOMEM;
	uint32_t *pend = map_get(&b->pending_ident, im.pid, im.base);
	if (pend) {
		x->ident = *pend;
		map_del(&b->pending_ident, im.pid, im.base);
	}
	uint32_t idx = (uint32_t)b->nimages++;
	if (c != ETL_EV_IMAGE_UNLOAD && map_put(&b->open_images, im.pid, im.base, idx))
		return ETL_ENOMEM;
	return ETL_OK;
}

/* The identity record for the image at (pid, base): its own, or a pending one. */
static struct ident *ident_for(struct etl_edges *b, uint32_t pid, uint64_t base)
{
	uint32_t *open = map_get(&b->open_images, pid, base);
	uint32_t *slot = open ? &b->images[*open].ident : map_get(&b->pending_ident, pid, base);

	if (slot && *slot != NONE)
		return &b->idents[*slot];
	uint32_t i = new_ident(b);
	if (i == NONE)
		return NULL;
	if (open)
		b->images[*open].ident = i;
	else if (map_put(&b->pending_ident, pid, base, i))
		return NULL;
	return &b->idents[i];
}

static int on_rsds(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_rsds r;

	if (etl_decode_rsds(ev, &r) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	struct ident *id = ident_for(b, r.pid, r.base);
	if (!id)
		return ETL_ENOMEM;
	memcpy(id->guid, r.guid_bytes, 16);
	id->age = r.age;
	id->has_pdb = 1;
	id->pdb_name = pool_add(&b->strings, r.pdb_name, r.pdb_name_len);
	return id->pdb_name == NONE ? ETL_ENOMEM : ETL_OK;
}

static int on_image_id(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_image_id r;

	if (etl_decode_image_id(ev, &r) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	struct ident *id = ident_for(b, r.pid, r.base);
	if (!id)
		return ETL_ENOMEM;
	id->tds = r.time_date_stamp;
	return ETL_OK;
}

/* ---- CLR ------------------------------------------------------------------- */

static int on_method(struct etl_edges *b, const struct etl_event *ev, enum etl_class c)
{
	struct etl_clr_method m;

	if (etl_decode_clr_method(ev, &m) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	uint32_t pid = ev->pid;
	uint32_t *open = map_get(&b->open_methods, pid, m.start);

	if (c == ETL_EV_CLR_METHOD_UNLOAD) {
		if (open) {
			b->methods[*open].end_ts = ev->ts;
			map_del(&b->open_methods, pid, m.start);
			return ETL_OK;
		}
	} else if (open) {
		struct method *o = &b->methods[*open];
		if (c != ETL_EV_CLR_METHOD_LOAD && o->size == m.size)
			return ETL_OK;	/* rundown of a method we saw loaded */
		o->end_ts = ev->ts;
		map_del(&b->open_methods, pid, m.start);
	}

	/* "Namespace.Type::Method"; MethodNamespace is the full type name. */
	char sym[1024];
	size_t n = etl_str16_utf8(m.ns, sym, sizeof sym - 3);
	memcpy(sym + n, "::", 3);
	n += 2;
	n += etl_str16_utf8(m.name, sym + n, sizeof sym - n);

	if (b->nmethods >= NONE - 1 ||
	    grow((void **)&b->methods, &b->cmethods, b->nmethods + 1, sizeof *b->methods))
		return ETL_ENOMEM;
	struct method *x = &b->methods[b->nmethods];
	*x = (struct method){
		.pid = pid, .start = m.start, .size = m.size, .clr_module = m.module_id,
		.seq = (uint32_t)b->nmethods,
		.start_ts = (c == ETL_EV_CLR_METHOD_LOAD) ? ev->ts : 0,
		.end_ts = (c == ETL_EV_CLR_METHOD_UNLOAD) ? ev->ts : TS_MAX,
		.symbol = pool_add(&b->strings, sym, n),
	};
	if (x->symbol == NONE)
		return ETL_ENOMEM;
	uint32_t idx = (uint32_t)b->nmethods++;
	if (c != ETL_EV_CLR_METHOD_UNLOAD && map_put(&b->open_methods, pid, m.start, idx))
		return ETL_ENOMEM;
	return ETL_OK;
}

static int on_module(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_clr_module m;

	if (etl_decode_clr_module(ev, &m) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	char path[1024];
	size_t n = etl_str16_utf8(m.il_path.nbytes ? m.il_path : m.native_path, path, sizeof path);
	/* The assembly name: the file name without its extension. */
	const char *base = basename_of(path);
	size_t blen = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		blen = (size_t)(dot - base);

	if (b->nclrmods >= NONE - 1 ||
	    grow((void **)&b->clrmods, &b->cclrmods, b->nclrmods + 1, sizeof *b->clrmods))
		return ETL_ENOMEM;
	struct clrmod *x = &b->clrmods[b->nclrmods];
	memset(x, 0, sizeof *x);
	x->path = pool_add(&b->strings, path, n);
	x->assembly = pool_add(&b->strings, base, blen);
	if (x->path == NONE || x->assembly == NONE)
		return ETL_ENOMEM;
	if (m.has_pdb) {
		/* Back to the on-disk GUID byte layout. */
		uint8_t *g = x->guid;
		for (int i = 0; i < 4; i++)
			g[i] = (uint8_t)(m.pdb_guid.d1 >> (8 * i));
		g[4] = (uint8_t)m.pdb_guid.d2;
		g[5] = (uint8_t)(m.pdb_guid.d2 >> 8);
		g[6] = (uint8_t)m.pdb_guid.d3;
		g[7] = (uint8_t)(m.pdb_guid.d3 >> 8);
		memcpy(g + 8, m.pdb_guid.d4, 8);
		x->age = m.pdb_age;
		x->has_pdb = 1;
	}
	if (map_put(&b->clrmod_of, ev->pid, m.module_id, (uint32_t)b->nclrmods))
		return ETL_ENOMEM;
	b->nclrmods++;
	return ETL_OK;
}

/* ---- processes and threads ------------------------------------------------- */

static int on_process(struct etl_edges *b, const struct etl_event *ev, enum etl_class c)
{
	struct etl_process p;

	if (etl_decode_process(ev, &p) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	uint32_t *open = map_get(&b->open_procs, p.pid, 0);
	if (c == ETL_EV_PROCESS_END || c == ETL_EV_PROCESS_DCEND) {
		/* DCEnd: still running at the end; End: it exited now. */
		if (open) {
			if (c == ETL_EV_PROCESS_END) {
				b->procs[*open].end_ts = ev->ts;
				map_del(&b->open_procs, p.pid, 0);
			}
			return ETL_OK;
		}
		/* Started before the trace and never seen: record it from here back. */
	} else if (open) {
		b->procs[*open].end_ts = ev->ts;
		map_del(&b->open_procs, p.pid, 0);
	}
	if (b->nprocs >= NONE - 1 ||
	    grow((void **)&b->procs, &b->cprocs, b->nprocs + 1, sizeof *b->procs))
		return ETL_ENOMEM;
	struct process *x = &b->procs[b->nprocs];
	*x = (struct process){
		.pid = p.pid,
		.seq = (uint32_t)b->nprocs,
		.start_ts = c == ETL_EV_PROCESS_START ? ev->ts : 0,
		.end_ts = c == ETL_EV_PROCESS_END ? ev->ts : TS_MAX,
		.name = pool_add(&b->strings, p.image_name, p.image_name_len),
	};
	if (x->name == NONE)
		return ETL_ENOMEM;
	uint32_t idx = (uint32_t)b->nprocs++;
	if (c != ETL_EV_PROCESS_END && map_put(&b->open_procs, p.pid, 0, idx))
		return ETL_ENOMEM;
	return ETL_OK;
}

static int on_thread_end(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_thread t;

	if (etl_decode_thread(ev, &t) != ETL_OK) {
		b->st.decode_errors++;
		return ETL_OK;
	}
	/*
	 * Forget the thread's sample ring so a reused tid cannot match stale
	 * samples. The slot itself stays allocated (tids are reused soon).
	 */
	uint32_t *v = map_get(&b->thread_of, t.tid, 0);
	if (v)
		memset(&b->threads[*v], 0, sizeof b->threads[*v]);
	return ETL_OK;
}

/* Remember the container of a process when an event carries one. */
static int note_container(struct etl_edges *b, const struct etl_event *ev)
{
	struct etl_ext_item it;
	uint32_t pos = 0;
	int rc;

	while ((rc = etl_ext_next(ev, &pos, &it)) == 1) {
		if (it.type != ETL_EXT_CONTAINER_ID || it.size < 16 || ev->pid == ETL_NO_ID)
			continue;
		struct etl_guid g;
		char txt[40];
		etl_guid_load(&g, it.data);
		etl_guid_format(&g, txt, sizeof txt);
		uint32_t s = pool_add(&b->strings, txt, strlen(txt));
		if (s == NONE || map_put(&b->container_of, ev->pid, 0, s))
			return ETL_ENOMEM;
	}
	return ETL_OK;
}

/* ---- feeding --------------------------------------------------------------- */

int etl_edges_add(struct etl_edges *b, const struct etl_event *ev)
{
	enum etl_class c = etl_event_classify(ev);

	if (ev->ext_len) {
		int rc = note_container(b, ev);
		if (rc)
			return rc;
	}
	switch (c) {
	case ETL_EV_SAMPLE:
		return on_sample(b, ev);
	case ETL_EV_STACK:
		return on_stack(b, ev);
	case ETL_EV_STACK_REF_KERNEL:
	case ETL_EV_STACK_REF_USER:
		return on_stack_ref(b, ev);
	case ETL_EV_STACK_KEY_DELETE:
	case ETL_EV_STACK_KEY_RUNDOWN:
		return on_stack_def(b, ev);
	case ETL_EV_IMAGE_LOAD:
	case ETL_EV_IMAGE_UNLOAD:
	case ETL_EV_IMAGE_DCSTART:
	case ETL_EV_IMAGE_DCEND:
		return on_image(b, ev, c);
	case ETL_EV_DBGID_RSDS:
		return on_rsds(b, ev);
	case ETL_EV_IMAGE_ID:
		return on_image_id(b, ev);
	case ETL_EV_CLR_METHOD_LOAD:
	case ETL_EV_CLR_METHOD_UNLOAD:
	case ETL_EV_CLR_METHOD_DCSTART:
	case ETL_EV_CLR_METHOD_DCEND:
		return on_method(b, ev, c);
	case ETL_EV_CLR_MODULE_LOAD:
	case ETL_EV_CLR_MODULE_DCSTART:
	case ETL_EV_CLR_MODULE_DCEND:
		return on_module(b, ev);
	case ETL_EV_PROCESS_START:
	case ETL_EV_PROCESS_END:
	case ETL_EV_PROCESS_DCSTART:
	case ETL_EV_PROCESS_DCEND:
		return on_process(b, ev, c);
	case ETL_EV_THREAD_END:
		return on_thread_end(b, ev);
	default:
		return ETL_OK;
	}
}

/* ---- emit: lookup structures ---------------------------------------------- */

static int cmp_image(const void *pa, const void *pb)
{
	const struct image *a = pa, *b = pb;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	if (a->start_ts != b->start_ts)
		return a->start_ts < b->start_ts ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_method(const void *pa, const void *pb)
{
	const struct method *a = pa, *b = pb;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->start_ts != b->start_ts)
		return a->start_ts < b->start_ts ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_process(const void *pa, const void *pb)
{
	const struct process *a = pa, *b = pb;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ts != b->start_ts)
		return a->start_ts < b->start_ts ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * Interval lookup over an array sorted by (pid, start): the last entry with
 * start <= addr, then backwards while the running max end (maxend) says an
 * earlier entry may still cover addr. Lifetimes pick among overlaps; the
 * most recent start wins.
 */
#define FIND_COVERING(arr, n, pid_, addr_, ts_, startf, sizef, out) do {	\
	size_t lo_ = 0, hi_ = (n);						\
	while (lo_ < hi_) {							\
		size_t mid_ = lo_ + (hi_ - lo_) / 2;				\
		if ((arr)[mid_].pid < (pid_) ||					\
		    ((arr)[mid_].pid == (pid_) && (arr)[mid_].startf <= (addr_)))	\
			lo_ = mid_ + 1;						\
		else								\
			hi_ = mid_;						\
	}									\
	(out) = NONE;								\
	for (size_t i_ = lo_; i_-- > 0;) {					\
		if ((arr)[i_].pid != (pid_) || (arr)[i_].maxend <= (addr_))	\
			break;							\
		if ((addr_) - (arr)[i_].startf < (arr)[i_].sizef &&		\
		    (arr)[i_].start_ts <= (ts_) && (ts_) <= (arr)[i_].end_ts) {	\
			(out) = (uint32_t)i_;					\
			break;							\
		}								\
	}									\
} while (0)

/* Intern a module description; returns its index or NONE. */
static uint32_t module_add(struct etl_edges *b, const struct module *m)
{
	uint64_t h = hash_bytes(m->guid, 16, ((uint64_t)m->name << 32) ^ m->path);
	h = mix64(h ^ ((uint64_t)m->age << 40) ^ ((uint64_t)m->tds << 8) ^ m->pdb_name ^
	    ((uint64_t)m->size << 20) ^ ((uint64_t)m->has_pdb << 1) ^ m->kernel ^
	    ((uint64_t)m->managed << 2));
	for (uint64_t k = h;; k++) {
		uint32_t *v = map_get(&b->module_of, k, 0);
		if (!v)
			break;
		const struct module *o = &b->modules[*v];
		if (o->name == m->name && o->path == m->path && o->pdb_name == m->pdb_name &&
		    o->age == m->age && o->tds == m->tds && o->size == m->size &&
		    o->has_pdb == m->has_pdb && o->kernel == m->kernel &&
		    o->managed == m->managed && memcmp(o->guid, m->guid, 16) == 0)
			return *v;
	}
	if (b->nmodules >= NONE - 1 ||
	    grow((void **)&b->modules, &b->cmodules, b->nmodules + 1, sizeof *b->modules))
		return NONE;
	uint64_t k = h;
	while (map_get(&b->module_of, k, 0))
		k++;
	if (map_put(&b->module_of, k, 0, (uint32_t)b->nmodules))
		return NONE;
	b->modules[b->nmodules] = *m;
	return (uint32_t)b->nmodules++;
}

static int build_modules(struct etl_edges *b)
{
	for (size_t i = 0; i < b->nimages; i++) {
		struct image *im = &b->images[i];
		struct module m = {
			.name = im->name, .path = im->path, .pdb_name = b->s_empty,
			.tds = im->tds, .size = (uint32_t)im->size,
			.kernel = (uint8_t)is_kernel(b, im->base),
		};
		if (im->ident != NONE) {
			const struct ident *id = &b->idents[im->ident];
			if (id->has_pdb) {
				memcpy(m.guid, id->guid, 16);
				m.age = id->age;
				m.pdb_name = id->pdb_name;
				m.has_pdb = 1;
			}
			if (id->tds)
				m.tds = id->tds;
		}
		if ((im->module = module_add(b, &m)) == NONE)
			return ETL_ENOMEM;
	}
	for (size_t i = 0; i < b->nmethods; i++) {
		struct method *me = &b->methods[i];
		struct module m = { .name = b->s_jit, .path = b->s_empty,
		    .pdb_name = b->s_empty, .managed = 1 };
		uint32_t *cm = map_get(&b->clrmod_of, me->pid, me->clr_module);
		if (cm) {
			const struct clrmod *c = &b->clrmods[*cm];
			m.name = c->assembly;
			m.path = c->path;
			if (c->has_pdb) {
				memcpy(m.guid, c->guid, 16);
				m.age = c->age;
				m.has_pdb = 1;
			}
		}
		if ((me->module = module_add(b, &m)) == NONE)
			return ETL_ENOMEM;
	}
	return ETL_OK;
}

static struct module unknown_module(const struct etl_edges *b, int kernel)
{
	struct module m = { .name = b->s_unknown, .path = b->s_empty,
	    .pdb_name = b->s_empty, .kernel = (uint8_t)kernel };
	return m;
}

static void prepare_lookup(struct etl_edges *b)
{
	if (b->nimages)
		qsort(b->images, b->nimages, sizeof *b->images, cmp_image);
	if (b->nmethods)
		qsort(b->methods, b->nmethods, sizeof *b->methods, cmp_method);
	if (b->nprocs)
		qsort(b->procs, b->nprocs, sizeof *b->procs, cmp_process);
	for (size_t i = 0; i < b->nimages; i++) {
		struct image *im = &b->images[i];
		uint64_t end = im->base + im->size < im->base ? TS_MAX : im->base + im->size;
		im->maxend = (i > 0 && b->images[i - 1].pid == im->pid &&
		    b->images[i - 1].maxend > end) ? b->images[i - 1].maxend : end;
	}
	for (size_t i = 0; i < b->nmethods; i++) {
		struct method *me = &b->methods[i];
		uint64_t end = me->start + me->size < me->start ? TS_MAX : me->start + me->size;
		me->maxend = (i > 0 && b->methods[i - 1].pid == me->pid &&
		    b->methods[i - 1].maxend > end) ? b->methods[i - 1].maxend : end;
	}
}

static void fill_end(const struct etl_edges *b, const struct endkey *k, struct etl_edge_end *e);

/* Ask the caller's symbolizer to name module + rva; k keeps it if not. */
static int symbolize(struct etl_edges *b, struct endkey *k)
{
	struct endkey mk = { k->module, NONE, 0 };
	struct etl_edge_end m;
	char name[1024];
	uint64_t srva = k->rva;

	fill_end(b, &mk, &m);
	name[0] = '\0';
	if (b->opts.symbolize(b->opts.symbolize_ctx, &m, k->rva, name, sizeof name, &srva) != 1 ||
	    !name[0])
		return ETL_OK;
	name[sizeof name - 1] = '\0';
	uint32_t s = pool_add(&b->strings, name, strlen(name));
	if (s == NONE)
		return ETL_ENOMEM;
	k->symbol = s;
	k->rva = srva;
	b->st.ends_symbolized++;
	return ETL_OK;
}

/* Symbolize one address of process pid at time ts. */
static int resolve(struct etl_edges *b, uint32_t pid, uint64_t addr, uint64_t ts,
    uint32_t unknown_mod[2], struct endkey *k)
{
	uint32_t hit;
	int kernel = is_kernel(b, addr);
	/* Kernel images are logged once, under pid 0. */
	uint32_t ipid = kernel ? 0 : pid;

	if (!kernel) {
		FIND_COVERING(b->methods, b->nmethods, pid, addr, ts, start, size, hit);
		if (hit != NONE) {
			const struct method *me = &b->methods[hit];
			*k = (struct endkey){ me->module, me->symbol, 0 };
			b->st.ends_jit++;
			return ETL_OK;
		}
	}
	FIND_COVERING(b->images, b->nimages, ipid, addr, ts, base, size, hit);
	if (hit == NONE && kernel && pid != 0)
		FIND_COVERING(b->images, b->nimages, pid, addr, ts, base, size, hit);
	if (hit != NONE) {
		const struct image *im = &b->images[hit];
		*k = (struct endkey){ im->module, NONE, addr - im->base };
		b->st.ends_image++;
		return b->opts.symbolize ? symbolize(b, k) : ETL_OK;
	}
	if (unknown_mod[kernel] == NONE) {
		struct module m = unknown_module(b, kernel);
		if ((unknown_mod[kernel] = module_add(b, &m)) == NONE)
			return ETL_ENOMEM;
	}
	*k = (struct endkey){ unknown_mod[kernel], NONE, addr };
	b->st.ends_unknown++;
	return ETL_OK;
}

static uint32_t process_name(const struct etl_edges *b, uint32_t pid, uint64_t ts)
{
	size_t lo = 0, hi = b->nprocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->procs[mid].pid < pid ||
		    (b->procs[mid].pid == pid && b->procs[mid].start_ts <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	/* The latest incarnation started by ts; else the first one of pid. */
	if (lo > 0 && b->procs[lo - 1].pid == pid)
		return b->procs[lo - 1].name;
	if (lo < b->nprocs && b->procs[lo].pid == pid)
		return b->procs[lo].name;
	return b->s_empty;
}

/* Case-insensitive match of an image name, ".exe" optional on either side. */
static int name_matches(const char *name, const char *want)
{
	size_t n = strlen(name), w = strlen(want);
	if (n >= 4 && strcmp(name + n - 4, ".exe") == 0)
		n -= 4;
	if (w >= 4 && strcmp(want + w - 4, ".exe") == 0)
		w -= 4;
	if (n != w)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)name[i]) != tolower((unsigned char)want[i]))
			return 0;
	return 1;
}

/* ---- emit: merge and order ------------------------------------------------- */

struct emit {
	struct fedge *e;
	size_t n, cap;
};

static int endkey_eq(const struct endkey *a, const struct endkey *b)
{
	return a->module == b->module && a->symbol == b->symbol && a->rva == b->rva;
}

static size_t fedge_home(const struct fedge *f, size_t cap)
{
	uint64_t h = mix64(((uint64_t)f->caller.module << 32 | f->caller.symbol) ^
	    mix64(f->caller.rva ^ mix64(((uint64_t)f->callee.module << 32 | f->callee.symbol) ^
	    mix64(f->callee.rva ^ mix64(((uint64_t)f->pid << 32) ^ f->window)))));
	return (size_t)(h & (cap - 1));
}

static int fedge_add(struct emit *em, const struct fedge *f)
{
	if ((em->n + 1) * 4 > em->cap * 3) {
		size_t ncap = em->cap ? em->cap * 2 : 1024;
		struct fedge *ne = calloc(ncap, sizeof *ne);
		if (!ne)
			return ETL_ENOMEM;
		for (size_t i = 0; i < em->cap; i++) {
			if (!em->e[i].used)
				continue;
			size_t j = fedge_home(&em->e[i], ncap);
			while (ne[j].used)
				j = (j + 1) & (ncap - 1);
			ne[j] = em->e[i];
		}
		free(em->e);
		em->e = ne;
		em->cap = ncap;
	}
	for (size_t i = fedge_home(f, em->cap);; i = (i + 1) & (em->cap - 1)) {
		struct fedge *x = &em->e[i];
		if (!x->used) {
			*x = *f;
			x->used = 1;
			em->n++;
			return ETL_OK;
		}
		if (x->pid == f->pid && x->window == f->window &&
		    endkey_eq(&x->caller, &f->caller) && endkey_eq(&x->callee, &f->callee)) {
			x->count += f->count;
			if (f->first_ts < x->first_ts)
				x->first_ts = f->first_ts;
			if (f->last_ts > x->last_ts)
				x->last_ts = f->last_ts;
			return ETL_OK;
		}
	}
}

/*
 * Output order: pid, window, then caller and callee by module rank (module
 * name, then identity) and symbol text or rva. The ranks make the order
 * independent of hashing and of the order events arrived in.
 */
static int cmp_str_off(const struct etl_edges *b, uint32_t x, uint32_t y)
{
	if (x == y)
		return 0;
	if (x == NONE || y == NONE)
		return x == NONE ? -1 : 1;
	return strcmp(pool_str(&b->strings, x), pool_str(&b->strings, y));
}

static int cmp_module(const struct etl_edges *b, uint32_t x, uint32_t y)
{
	const struct module *a = &b->modules[x], *c = &b->modules[y];
	int r = cmp_str_off(b, a->name, c->name);
	if (r)
		return r;
	if ((r = memcmp(a->guid, c->guid, 16)) != 0)
		return r;
	if (a->age != c->age)
		return a->age < c->age ? -1 : 1;
	if (a->tds != c->tds)
		return a->tds < c->tds ? -1 : 1;
	if (a->size != c->size)
		return a->size < c->size ? -1 : 1;
	if ((r = cmp_str_off(b, a->path, c->path)) != 0)
		return r;
	if ((r = cmp_str_off(b, a->pdb_name, c->pdb_name)) != 0)
		return r;
	if (a->kernel != c->kernel)
		return a->kernel < c->kernel ? -1 : 1;
	if (a->managed != c->managed)
		return a->managed < c->managed ? -1 : 1;
	return a->has_pdb - c->has_pdb;
}

/* Sort module indices with a small merge sort (qsort has no context). */
static void sort_modules(const struct etl_edges *b, uint32_t *v, uint32_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	sort_modules(b, v, tmp, h);
	sort_modules(b, v + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp_module(b, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

struct ranked {
	uint32_t pid;
	uint64_t window;
	uint32_t cm, cs_rank, em, es_rank;	/* module ranks, symbol ranks */
	uint64_t crva, erva;
	uint32_t idx;				/* into the fedge table */
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
#define CMPF(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	CMPF(pid);
	CMPF(window);
	CMPF(cm);
	CMPF(cs_rank);
	CMPF(crva);
	CMPF(em);
	CMPF(es_rank);
	CMPF(erva);
#undef CMPF
	return 0;
}

/* Rank of every string used as a symbol: strings sorted by text. */
struct symrank {
	const char *s;
	uint32_t off;
};

static int cmp_symrank(const void *pa, const void *pb)
{
	const struct symrank *a = pa, *b = pb;
	return strcmp(a->s, b->s);
}

static void fill_end(const struct etl_edges *b, const struct endkey *k, struct etl_edge_end *e)
{
	const struct module *m = &b->modules[k->module];
	e->module = pool_str(&b->strings, m->name);
	e->path = pool_str(&b->strings, m->path);
	e->pdb_guid = m->has_pdb ? m->guid : NULL;
	e->pdb_age = m->age;
	e->pdb_name = pool_str(&b->strings, m->pdb_name);
	e->time_date_stamp = m->tds;
	e->image_size = m->size;
	e->symbol = k->symbol == NONE ? NULL : pool_str(&b->strings, k->symbol);
	e->rva = k->rva;
	e->kernel = m->kernel;
	e->managed = m->managed;
}

int etl_edges_emit(struct etl_edges *b, etl_edge_fn fn, void *ctx)
{
	struct emit em = { 0 };
	struct ranked *rk = NULL;
	uint32_t *order = NULL, *tmp = NULL, *mrank = NULL;
	struct symrank *syms = NULL;
	struct map symrank_of = { 0 };
	uint32_t unknown_mod[2] = { NONE, NONE };
	int rc = ETL_ENOMEM;

	if (b->emitted)
		return ETL_OK;
	b->emitted = 1;

	/* References whose definition never came. */
	for (size_t i = 0; i < b->pending_key.cap; i++) {
		if (!b->pending_key.s[i].used)
			continue;
		for (uint32_t j = b->pending_key.s[i].v; j != NONE; j = b->prefs[j].next)
			b->st.refs_unresolved++;
	}
	prepare_lookup(b);
	if (build_modules(b) != ETL_OK)
		goto out;

	/* Resolve and merge. */
	for (size_t i = 0; i < b->cpairs; i++) {
		const struct pair *p = &b->pairs[i];
		if (!p->used)
			continue;
		struct fedge f = { .window = p->window, .pid = p->pid, .count = p->count,
		    .first_ts = p->first_ts, .last_ts = p->last_ts };
		if (resolve(b, p->pid, p->caller, p->first_ts, unknown_mod, &f.caller) ||
		    resolve(b, p->pid, p->callee, p->first_ts, unknown_mod, &f.callee) ||
		    fedge_add(&em, &f))
			goto out;
	}

	/* Ranks for deterministic order. */
	size_t nm = b->nmodules;
	order = malloc((nm ? nm : 1) * sizeof *order);
	tmp = malloc((nm ? nm : 1) * sizeof *tmp);
	mrank = malloc((nm ? nm : 1) * sizeof *mrank);
	if (!order || !tmp || !mrank)
		goto out;
	for (size_t i = 0; i < nm; i++)
		order[i] = (uint32_t)i;
	sort_modules(b, order, tmp, nm);
	for (size_t i = 0; i < nm; i++)
		mrank[order[i]] = (uint32_t)i;

	size_t nsym = 0;
	syms = malloc((em.n ? em.n * 2 : 1) * sizeof *syms);
	rk = malloc((em.n ? em.n : 1) * sizeof *rk);
	if (!syms || !rk)
		goto out;
	for (size_t i = 0; i < em.cap; i++) {
		const struct fedge *f = &em.e[i];
		if (!f->used)
			continue;
		const uint32_t s2[2] = { f->caller.symbol, f->callee.symbol };
		for (int j = 0; j < 2; j++) {
			if (s2[j] == NONE || map_get(&symrank_of, s2[j], 0))
				continue;
			if (map_put(&symrank_of, s2[j], 0, 0))
				goto out;
			syms[nsym++] = (struct symrank){ pool_str(&b->strings, s2[j]), s2[j] };
		}
	}
	if (nsym)
		qsort(syms, nsym, sizeof *syms, cmp_symrank);
	for (size_t i = 0; i < nsym; i++)
		*map_get(&symrank_of, syms[i].off, 0) = (uint32_t)i + 1;

	size_t nr = 0;
	for (size_t i = 0; i < em.cap; i++) {
		const struct fedge *f = &em.e[i];
		if (!f->used)
			continue;
		uint32_t *cs = f->caller.symbol == NONE ? NULL : map_get(&symrank_of, f->caller.symbol, 0);
		uint32_t *es = f->callee.symbol == NONE ? NULL : map_get(&symrank_of, f->callee.symbol, 0);
		rk[nr++] = (struct ranked){
			.pid = f->pid, .window = f->window,
			.cm = mrank[f->caller.module], .cs_rank = cs ? *cs : 0, .crva = f->caller.rva,
			.em = mrank[f->callee.module], .es_rank = es ? *es : 0, .erva = f->callee.rva,
			.idx = (uint32_t)i,
		};
	}
	if (nr)
		qsort(rk, nr, sizeof *rk, cmp_ranked);

	uint64_t span_lo = b->min_ts == TS_MAX ? 0 : etl_clock_unix_ns(&b->clock, b->min_ts);
	uint64_t span_hi = b->min_ts == TS_MAX ? 0 : etl_clock_unix_ns(&b->clock, b->max_ts);
	rc = ETL_OK;
	for (size_t i = 0; i < nr; i++) {
		const struct fedge *f = &em.e[rk[i].idx];
		uint32_t pname = process_name(b, f->pid, f->first_ts);
		if (b->opts.process_name &&
		    !name_matches(pool_str(&b->strings, pname), b->opts.process_name))
			continue;
		uint32_t *cont = map_get(&b->container_of, f->pid, 0);
		struct etl_edge e = {
			.count = f->count,
			.first_ns = etl_clock_unix_ns(&b->clock, f->first_ts),
			.last_ns = etl_clock_unix_ns(&b->clock, f->last_ts),
			.pid = f->pid,
			.process = pool_str(&b->strings, pname),
			.container_id = cont ? pool_str(&b->strings, *cont) : NULL,
		};
		if (b->opts.window_ns) {
			e.window_start_ns = f->window * b->opts.window_ns;
			e.window_end_ns = e.window_start_ns + b->opts.window_ns;
		} else {
			e.window_start_ns = span_lo;
			e.window_end_ns = span_hi;
		}
		fill_end(b, &f->caller, &e.caller);
		fill_end(b, &f->callee, &e.callee);
		b->st.edges++;
		if ((rc = fn(&e, ctx)) != 0)
			break;
	}
out:
	free(em.e);
	free(rk);
	free(order);
	free(tmp);
	free(mrank);
	free(syms);
	free(symrank_of.s);
	return rc;
}

/* ---- whole file ------------------------------------------------------------ */

int etl_edges_from_etl(const uint8_t *data, size_t len, const struct etl_edges_opts *opts,
    etl_edge_fn fn, void *ctx, struct etl_edges_stats *st, struct etl_error *err)
{
	struct etl_error e0;
	struct etl_error *e = err ? err : &e0;
	struct etl_clock clk;
	struct etl_event ev;
	int rc;

	memset(e, 0, sizeof *e);
	struct etl_reader *r = etl_reader_open(data, len, e);
	if (!r)
		return e->code ? e->code : ETL_EFORMAT;
	etl_reader_clock(r, &clk);
	struct etl_edges *b = etl_edges_new(opts, &clk, etl_reader_logfile(r)->pointer_size);
	if (!b) {
		etl_reader_close(r);
		e->code = ETL_ENOMEM;
		snprintf(e->msg, sizeof e->msg, "out of memory");
		return ETL_ENOMEM;
	}
	while ((rc = etl_reader_next(r, &ev)) == 1) {
		if ((rc = etl_edges_add(b, &ev)) != ETL_OK) {
			e->code = rc;
			snprintf(e->msg, sizeof e->msg, "out of memory building the edge tables");
			break;
		}
	}
	if (rc < 0 && !e->code)
		*e = *etl_reader_error(r);
	if (rc == 0)
		rc = etl_edges_emit(b, fn, ctx);
	if (st)
		etl_edges_get_stats(b, st);
	etl_edges_free(b);
	etl_reader_close(r);
	return rc;
}

int etl_edge_end_format(const struct etl_edge_end *e, char *buf, size_t cap)
{
	if (e->symbol)
		return snprintf(buf, cap, "%s!%s", e->module, e->symbol);
	return snprintf(buf, cap, "%s+0x%llx", e->module, (unsigned long long)e->rva);
}

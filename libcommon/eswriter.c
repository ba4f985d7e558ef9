/*
 * eswriter.c - the edge stream writer (see eswriter.h, docs/FORMAT.md).
 *
 * Producer-facing handles index the intern tables. Per segment, each handle is
 * given a stream id the first time an edge or coverage record uses it, and its
 * definition is queued; queued definitions are written (strings, modules,
 * nodes, contexts, windows - each kind only refers to kinds before it) just
 * before the record that needs them.
 *
 * Packed msgpack collects in a raw buffer; each MiB of it is compressed and
 * written. With opts.async a thread of the writer does that while the caller
 * packs the next MiB into a second buffer (double buffering): the thread makes
 * the same ZSTD_compressStream2 calls on the same buffers in the same order,
 * so the bytes do not depend on it. Errors of the thread surface at the next
 * hand-over, flush or end.
 */
#include "eswriter.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "idmap.h"
#include "mem.h"
#include "strtab.h"

#ifdef __linux__
#define ESW_THREADS 1
#include <pthread.h>
#endif

#define RAW_FLUSH_BYTES   (1u << 20)	/* compress once this much msgpack is buffered */
#define STRINGS_PER_REC   4096
#define STRING_BYTES_PER_REC (1u << 20)
#define NODES_PER_REC     4096

/*
 * A module as interned: its identity is name + build id; the path and purl
 * are attributes, taken from the first time the module is interned (the same
 * library seen at two paths, say in two containers, is one module).
 */
struct wmodule {
	uint32_t name;
	uint32_t id_kind;
	uint32_t build_id_len;
	uint8_t build_id[ES_BUILD_ID_MAX];
};

struct wmodattr {
	uint32_t path, purl;
};

/* One kind of interned value: its table and its per-segment stream ids. */
struct kind {
	void *vals;
	size_t n, cap;			/* handles 1..n; vals[0] unused */
	size_t size;			/* bytes per value */
	struct idmap map;
	uint32_t *sid;			/* stream id per handle, 0 = not yet in segment */
	size_t sid_cap;
	uint32_t nsid;			/* stream ids given in this segment */
	uint32_t *pending;		/* handles to define, in stream-id order */
	size_t npending, pending_cap;
};

struct wloss {
	char *name;
	uint64_t count;
};

struct es_writer {
	int fd;
	const char *name;
	struct tm_err *err;

	ZSTD_CCtx *cctx;
	uint8_t *raw;			/* msgpack bytes not yet compressed */
	size_t raw_len, raw_cap;
	uint8_t *zout;
	size_t zout_cap;
#ifdef ESW_THREADS
	/* opts.async: the buffer handed to the compressor thread. */
	int async, started, stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *job;			/* being compressed; NULL = thread idle */
	size_t job_len;
	uint8_t *spare;			/* the other buffer, when not the job */
	size_t spare_cap, job_cap;
	ZSTD_EndDirective job_mode;
	struct tm_err job_err;		/* the thread's first error */
#endif
	msgpack_packer pk;
	int pack_failed;

	int in_segment;
	uint64_t seg_records, seg_edges;

	const struct strtab *base;	/* borrowed: handles 1..base->n */
	struct strtab strs;		/* the writer's own: handles base->n + id */
	struct kind str;		/* stream ids of strings (vals unused) */
	struct kind mod, node, ctx, win;
	struct wmodattr *modattr;	/* per module handle */
	size_t modattr_cap;

	struct es_edge blk[ES_BLOCK_EDGES];
	size_t nblk;
	uint8_t col[8 * ES_BLOCK_EDGES];

	struct wloss *losses;
	size_t nlosses, losses_cap;
};

/* String handles: the borrowed table's ids, then the writer's own. */
static size_t base_n(const struct es_writer *w)
{
	return w->base ? w->base->n : 0;
}

static size_t nstrings(const struct es_writer *w)
{
	return base_n(w) + w->strs.n;
}

static const char *string_of(const struct es_writer *w, uint32_t h, size_t *len)
{
	return h <= base_n(w) ? strtab_get(w->base, h, len) :
	    strtab_get(&w->strs, (uint32_t)(h - base_n(w)), len);
}

/* ---- output ---- */

static int write_all(struct es_writer *w, const uint8_t *p, size_t n, struct tm_err *err)
{
	while (n) {
		ssize_t r = write(w->fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s: write error", w->name);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Compress buf[0..len) with the given directive and write the output. */
static int compress_buf(struct es_writer *w, const uint8_t *buf, size_t len,
    ZSTD_EndDirective mode, struct tm_err *err)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { w->zout, w->zout_cap, 0 };

		left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(left)) {
			tm_err_set(err, TM_EXIT_ENV, "%s: zstd: %s", w->name, ZSTD_getErrorName(left));
			return -1;
		}
		if (out.pos && write_all(w, w->zout, out.pos, err) < 0)
			return -1;
	} while (mode == ZSTD_e_continue ? in.pos < in.size : left != 0);
	return 0;
}

#ifdef ESW_THREADS
static void *compressor(void *arg)
{
	struct es_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->job && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->job)
			break;
		pthread_mutex_unlock(&w->lock);
		/* After an error, later jobs are dropped: the stream is lost anyway. */
		if (!w->job_err.code)
			compress_buf(w, w->job, w->job_len, w->job_mode, &w->job_err);
		pthread_mutex_lock(&w->lock);
		w->spare = w->job;
		w->spare_cap = w->job_cap;
		w->job = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Wait until the thread is idle; then report its error, if any. */
static int compressor_wait(struct es_writer *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->job)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (w->job_err.code) {
		if (!w->err->code)
			*w->err = w->job_err;
		return -1;
	}
	return 0;
}

/*
 * Hand the raw buffer to the thread and take the spare one; flush and end
 * wait for the thread, so that their bytes have reached the descriptor (and
 * their errors are known) when they return.
 */
static int compress_async(struct es_writer *w, ZSTD_EndDirective mode)
{
	uint8_t *buf;
	size_t cap;

	if (!w->started) {
		if (pthread_mutex_init(&w->lock, NULL) != 0)
			goto fail;
		if (pthread_cond_init(&w->cond, NULL) != 0) {
			pthread_mutex_destroy(&w->lock);
			goto fail;
		}
		if (pthread_create(&w->thread, NULL, compressor, w) != 0) {
			pthread_cond_destroy(&w->cond);
			pthread_mutex_destroy(&w->lock);
			goto fail;
		}
		w->started = 1;
	}
	if (compressor_wait(w) < 0)
		return -1;
	buf = w->spare;
	cap = w->spare_cap;
	pthread_mutex_lock(&w->lock);
	w->job = w->raw;
	w->job_len = w->raw_len;
	w->job_cap = w->raw_cap;
	w->job_mode = mode;
	w->spare = NULL;
	w->spare_cap = 0;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	w->raw = buf;
	w->raw_cap = cap;
	w->raw_len = 0;
	return mode == ZSTD_e_continue ? 0 : compressor_wait(w);
fail:
	/* No thread: compress in the caller's thread from now on. */
	w->async = 0;
	return 1;
}

static void compressor_stop(struct es_writer *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->spare);
	w->spare = NULL;
	w->started = 0;
}
#endif

/* Compress the raw buffer with the given directive and write the output. */
static int compress_raw(struct es_writer *w, ZSTD_EndDirective mode)
{
#ifdef ESW_THREADS
	if (w->async) {
		int r = compress_async(w, mode);

		if (r <= 0)
			return r;
	}
#endif
	if (compress_buf(w, w->raw, w->raw_len, mode, w->err) < 0)
		return -1;
	w->raw_len = 0;
	return 0;
}

static int pack_cb(void *data, const char *buf, size_t len)
{
	struct es_writer *w = data;
	void *raw = w->raw;

	if (mem_grow(&raw, &w->raw_cap, w->raw_len + len, 1) < 0) {
		w->pack_failed = 1;
		return -1;
	}
	w->raw = raw;
	memcpy(w->raw + w->raw_len, buf, len);
	w->raw_len += len;
	return 0;
}

/* Called after each complete record. */
static int record_done(struct es_writer *w)
{
	if (w->pack_failed) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
		return -1;
	}
	w->seg_records++;
	if (w->raw_len >= RAW_FLUSH_BYTES)
		return compress_raw(w, ZSTD_e_continue);
	return 0;
}

static void pack_key(msgpack_packer *pk, const char *k)
{
	size_t n = strlen(k);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, k, n);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void pack_record_start(msgpack_packer *pk, unsigned type, size_t nkeys)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_unsigned_int(pk, type);
	msgpack_pack_map(pk, nkeys);
}

/* ---- intern tables ---- */

static void kind_init(struct kind *k, size_t size)
{
	memset(k, 0, sizeof(*k));
	k->size = size;
	idmap_init(&k->map);
}

static void kind_free(struct kind *k)
{
	mem_big_free(k->vals, k->cap * k->size);
	mem_big_free(k->sid, k->sid_cap * sizeof(*k->sid));
	mem_big_free(k->pending, k->pending_cap * sizeof(*k->pending));
	idmap_free(&k->map);
}

/* Forget the stream ids of the previous segment. */
static void kind_new_segment(struct kind *k)
{
	if (k->sid)
		memset(k->sid, 0, k->sid_cap * sizeof(*k->sid));
	k->nsid = 0;
	k->npending = 0;
}

struct valkey {
	const struct kind *k;
	const void *val;
};

static int val_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct kind *k = ctx;

	return memcmp((const char *)k->vals + (size_t)id * k->size, key, k->size) == 0;
}

/*
 * Intern a fixed-size value (callers zero all padding so that memcmp and the
 * hash see only meaningful bytes).
 */
static uint32_t kind_intern(struct es_writer *w, struct kind *k, const void *val)
{
	uint64_t h = mem_hash(val, k->size, 0x7a3d);
	uint32_t id = idmap_find(&k->map, h, val_eq, k, val);

	if (id)
		return id;
	if (k->n >= UINT32_MAX - 1 || mem_big_grow(&k->vals, &k->cap, k->n + 2, k->size) < 0)
		goto nomem;
	memcpy((char *)k->vals + (k->n + 1) * k->size, val, k->size);
	if (idmap_insert(&k->map, h, (uint32_t)(k->n + 1)) < 0)
		goto nomem;
	return (uint32_t)++k->n;
nomem:
	tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
	return 0;
}

static const void *kind_val(const struct kind *k, uint32_t h)
{
	return (const char *)k->vals + (size_t)h * k->size;
}

/* The stream id of handle h, defining it (queueing its record) if new. */
static int kind_define(struct es_writer *w, struct kind *k, size_t nhandles, uint32_t h,
    uint32_t *out)
{
	void *p;

	if (h > nhandles) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: unknown handle %u",
		    w->name, (unsigned)h);
		return -1;
	}
	if (h >= k->sid_cap) {
		p = k->sid;
		if (mem_big_grow(&p, &k->sid_cap, (size_t)h + 1, sizeof(uint32_t)) < 0)
			goto nomem;
		k->sid = p;
	}
	if (k->sid[h]) {
		*out = k->sid[h];
		return 1;
	}
	p = k->pending;
	if (mem_big_grow(&p, &k->pending_cap, k->npending + 1, sizeof(uint32_t)) < 0)
		goto nomem;
	k->pending = p;
	k->pending[k->npending++] = h;
	k->sid[h] = ++k->nsid;
	*out = k->sid[h];
	return 0;
nomem:
	tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
	return -1;
}

static int def_string(struct es_writer *w, uint32_t h, uint32_t *sid)
{
	if (!h) {
		*sid = 0;
		return 0;
	}
	return kind_define(w, &w->str, nstrings(w), h, sid) < 0 ? -1 : 0;
}

static int def_module(struct es_writer *w, uint32_t h, uint32_t *sid)
{
	const struct wmodule *m;
	uint32_t s;
	int r = kind_define(w, &w->mod, w->mod.n, h, sid);

	if (r != 0)
		return r < 0 ? -1 : 0;
	m = kind_val(&w->mod, h);
	if (def_string(w, m->name, &s) < 0 || def_string(w, w->modattr[h].path, &s) < 0 ||
	    def_string(w, w->modattr[h].purl, &s) < 0)
		return -1;
	return 0;
}

static int def_node(struct es_writer *w, uint32_t h, uint32_t *sid)
{
	const struct es_node *n;
	uint32_t s;
	int r;

	if (!h) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: edge without node", w->name);
		return -1;
	}
	r = kind_define(w, &w->node, w->node.n, h, sid);
	if (r != 0)
		return r < 0 ? -1 : 0;
	n = kind_val(&w->node, h);
	if (def_module(w, n->module, &s) < 0 || def_string(w, n->symbol, &s) < 0 ||
	    def_string(w, n->file, &s) < 0)
		return -1;
	return 0;
}

static int def_ctx(struct es_writer *w, uint32_t h, uint32_t *sid)
{
	const struct es_context *c;
	uint32_t s;
	int r;

	if (!h) {
		*sid = 0;
		return 0;
	}
	r = kind_define(w, &w->ctx, w->ctx.n, h, sid);
	if (r != 0)
		return r < 0 ? -1 : 0;
	c = kind_val(&w->ctx, h);
	if (def_string(w, c->host, &s) < 0 || def_string(w, c->comm, &s) < 0 ||
	    def_string(w, c->container, &s) < 0)
		return -1;
	return 0;
}

static int def_window(struct es_writer *w, uint32_t h, uint32_t *sid)
{
	if (!h) {
		*sid = 0;
		return 0;
	}
	return kind_define(w, &w->win, w->win.n, h, sid) < 0 ? -1 : 0;
}

/* ---- definition records ---- */

static uint32_t sid_of(const struct kind *k, uint32_t h)
{
	return h ? k->sid[h] : 0;
}

static int write_strings(struct es_writer *w)
{
	size_t i = 0;

	while (i < w->str.npending) {
		size_t j = i, bytes = 0;

		while (j < w->str.npending && j - i < STRINGS_PER_REC && bytes < STRING_BYTES_PER_REC) {
			size_t len = 0;

			string_of(w, w->str.pending[j], &len);
			bytes += len;
			j++;
		}
		pack_record_start(&w->pk, ES_REC_STRINGS, 2);
		pack_key(&w->pk, "base");
		msgpack_pack_uint32(&w->pk, w->str.sid[w->str.pending[i]]);
		pack_key(&w->pk, "s");
		msgpack_pack_array(&w->pk, j - i);
		for (; i < j; i++) {
			size_t len = 0;
			const char *s = string_of(w, w->str.pending[i], &len);

			msgpack_pack_str(&w->pk, len);
			msgpack_pack_str_body(&w->pk, s, len);
		}
		if (record_done(w) < 0)
			return -1;
	}
	w->str.npending = 0;
	return 0;
}

static int write_modules(struct es_writer *w)
{
	size_t i;

	for (i = 0; i < w->mod.npending; i++) {
		uint32_t h = w->mod.pending[i];
		const struct wmodule *m = kind_val(&w->mod, h);
		const struct wmodattr *a = &w->modattr[h];
		size_t nkeys = 2 + !!a->path + !!a->purl + (m->id_kind ? 2 : 0);

		pack_record_start(&w->pk, ES_REC_MODULE, nkeys);
		pack_key(&w->pk, "id");
		msgpack_pack_uint32(&w->pk, w->mod.sid[h]);
		pack_key(&w->pk, "name");
		msgpack_pack_uint32(&w->pk, sid_of(&w->str, m->name));
		if (a->path) {
			pack_key(&w->pk, "path");
			msgpack_pack_uint32(&w->pk, sid_of(&w->str, a->path));
		}
		if (a->purl) {
			pack_key(&w->pk, "purl");
			msgpack_pack_uint32(&w->pk, sid_of(&w->str, a->purl));
		}
		if (m->id_kind) {
			pack_key(&w->pk, "id_kind");
			msgpack_pack_uint32(&w->pk, m->id_kind);
			pack_key(&w->pk, "build_id");
			msgpack_pack_bin(&w->pk, m->build_id_len);
			msgpack_pack_bin_body(&w->pk, m->build_id, m->build_id_len);
		}
		if (record_done(w) < 0)
			return -1;
	}
	w->mod.npending = 0;
	return 0;
}

/* Node columns: name, and the value of column c for node n. */
static const char *const node_cols[] = { "module", "symbol", "offset", "flags", "state", "file", "line" };

static uint64_t node_col(const struct es_writer *w, const struct es_node *n, unsigned c)
{
	switch (c) {
	case 0: return sid_of(&w->mod, n->module);
	case 1: return sid_of(&w->str, n->symbol);
	case 2: return n->offset;
	case 3: return n->flags;
	case 4: return n->state;
	case 5: return sid_of(&w->str, n->file);
	default: return n->line;
	}
}

static int write_nodes(struct es_writer *w)
{
	const unsigned ncols = sizeof(node_cols) / sizeof(node_cols[0]);
	size_t i = 0;

	while (i < w->node.npending) {
		size_t j = i + NODES_PER_REC < w->node.npending ? i + NODES_PER_REC : w->node.npending;
		unsigned present = 1, c, nkeys = 1;	/* "module" is always written */
		size_t k;

		for (c = 1; c < ncols; c++)
			for (k = i; k < j; k++)
				if (node_col(w, kind_val(&w->node, w->node.pending[k]), c)) {
					present |= 1u << c;
					break;
				}
		for (c = 0; c < ncols; c++)
			nkeys += (present >> c) & 1;
		pack_record_start(&w->pk, ES_REC_NODES, nkeys);
		pack_key(&w->pk, "base");
		msgpack_pack_uint32(&w->pk, w->node.sid[w->node.pending[i]]);
		for (c = 0; c < ncols; c++) {
			if (!((present >> c) & 1))
				continue;
			pack_key(&w->pk, node_cols[c]);
			msgpack_pack_array(&w->pk, j - i);
			for (k = i; k < j; k++)
				msgpack_pack_uint64(&w->pk,
				    node_col(w, kind_val(&w->node, w->node.pending[k]), c));
		}
		if (record_done(w) < 0)
			return -1;
		i = j;
	}
	w->node.npending = 0;
	return 0;
}

static int write_contexts(struct es_writer *w)
{
	size_t i;

	for (i = 0; i < w->ctx.npending; i++) {
		uint32_t h = w->ctx.pending[i];
		const struct es_context *c = kind_val(&w->ctx, h);
		size_t nkeys = 1 + !!c->host + !!c->comm + !!c->container + !!c->pid + !!c->cgroup;

		pack_record_start(&w->pk, ES_REC_CONTEXT, nkeys);
		pack_key(&w->pk, "id");
		msgpack_pack_uint32(&w->pk, w->ctx.sid[h]);
		if (c->host) {
			pack_key(&w->pk, "host");
			msgpack_pack_uint32(&w->pk, sid_of(&w->str, c->host));
		}
		if (c->comm) {
			pack_key(&w->pk, "comm");
			msgpack_pack_uint32(&w->pk, sid_of(&w->str, c->comm));
		}
		if (c->container) {
			pack_key(&w->pk, "container");
			msgpack_pack_uint32(&w->pk, sid_of(&w->str, c->container));
		}
		if (c->pid) {
			pack_key(&w->pk, "pid");
			msgpack_pack_uint32(&w->pk, c->pid);
		}
		if (c->cgroup) {
			pack_key(&w->pk, "cgroup");
			msgpack_pack_uint64(&w->pk, c->cgroup);
		}
		if (record_done(w) < 0)
			return -1;
	}
	w->ctx.npending = 0;
	return 0;
}

static int write_windows(struct es_writer *w)
{
	size_t i;

	for (i = 0; i < w->win.npending; i++) {
		uint32_t h = w->win.pending[i];
		const struct es_window *v = kind_val(&w->win, h);

		pack_record_start(&w->pk, ES_REC_WINDOW, 3);
		pack_key(&w->pk, "id");
		msgpack_pack_uint32(&w->pk, w->win.sid[h]);
		pack_key(&w->pk, "start");
		msgpack_pack_uint64(&w->pk, v->start_ns);
		pack_key(&w->pk, "end");
		msgpack_pack_uint64(&w->pk, v->end_ns);
		if (record_done(w) < 0)
			return -1;
	}
	w->win.npending = 0;
	return 0;
}

static int write_pending(struct es_writer *w)
{
	if (write_strings(w) < 0 || write_modules(w) < 0 || write_nodes(w) < 0 ||
	    write_contexts(w) < 0 || write_windows(w) < 0)
		return -1;
	return 0;
}

/* ---- edge blocks ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

enum { C_CALLER, C_CALLEE, C_COUNT, C_FIRST, C_LAST, C_CTX, C_WINDOW, C_EVIDENCE,
	C_SITE, C_CONFIDENCE, C_CLASS, C_CONFLICT, C_RESOLUTION, C_NCOLS };

static const struct {
	const char *name;
	unsigned width;
	int required;
} edge_cols[C_NCOLS] = {
	{ ES_COL_CALLER, 4, 1 }, { ES_COL_CALLEE, 4, 1 }, { ES_COL_COUNT, 8, 1 },
	{ ES_COL_FIRST, 8, 1 }, { ES_COL_LAST, 8, 1 }, { ES_COL_CTX, 4, 0 },
	{ ES_COL_WINDOW, 4, 0 }, { ES_COL_EVIDENCE, 4, 0 }, { ES_COL_SITE, 4, 0 },
	{ ES_COL_CONFIDENCE, 1, 0 }, { ES_COL_CLASS, 1, 0 }, { ES_COL_CONFLICT, 1, 0 },
	{ ES_COL_RESOLUTION, 1, 0 },
};

static uint64_t edge_col(const struct es_edge *e, unsigned c)
{
	switch (c) {
	case C_CALLER: return e->caller;
	case C_CALLEE: return e->callee;
	case C_COUNT: return e->count;
	case C_FIRST: return e->first_ns;
	case C_LAST: return e->last_ns;
	case C_CTX: return e->ctx;
	case C_WINDOW: return e->window;
	case C_EVIDENCE: return e->evidence;
	case C_SITE: return e->site;
	case C_CONFIDENCE: return e->confidence;
	case C_CLASS: return e->edge_class;
	case C_CONFLICT: return e->conflict;
	default: return e->resolution;
	}
}

static int write_block(struct es_writer *w)
{
	size_t i, n = w->nblk;
	unsigned c, present = 0, nkeys = 1;

	if (!n)
		return 0;
	/* Give every handle its stream id (queueing definitions), in edge order. */
	for (i = 0; i < n; i++) {
		struct es_edge *e = &w->blk[i];

		if (def_node(w, e->caller, &e->caller) < 0 || def_node(w, e->callee, &e->callee) < 0 ||
		    def_ctx(w, e->ctx, &e->ctx) < 0 || def_window(w, e->window, &e->window) < 0 ||
		    def_string(w, e->site, &e->site) < 0)
			return -1;
	}
	if (write_pending(w) < 0)
		return -1;
	for (c = 0; c < C_NCOLS; c++) {
		if (edge_cols[c].required) {
			present |= 1u << c;
			continue;
		}
		for (i = 0; i < n; i++)
			if (edge_col(&w->blk[i], c)) {
				present |= 1u << c;
				break;
			}
	}
	for (c = 0; c < C_NCOLS; c++)
		nkeys += (present >> c) & 1;
	pack_record_start(&w->pk, ES_REC_EDGES, nkeys);
	pack_key(&w->pk, "n");
	msgpack_pack_uint32(&w->pk, (uint32_t)n);
	for (c = 0; c < C_NCOLS; c++) {
		unsigned wd = edge_cols[c].width;

		if (!((present >> c) & 1))
			continue;
		for (i = 0; i < n; i++) {
			uint64_t v = edge_col(&w->blk[i], c);

			if (wd == 8)
				put_le64(w->col + 8 * i, v);
			else if (wd == 4)
				put_le32(w->col + 4 * i, (uint32_t)v);
			else
				w->col[i] = (uint8_t)v;
		}
		pack_key(&w->pk, edge_cols[c].name);
		msgpack_pack_bin(&w->pk, wd * n);
		msgpack_pack_bin_body(&w->pk, w->col, wd * n);
	}
	w->seg_edges += n;
	w->nblk = 0;
	return record_done(w);
}

/* ---- public API ---- */

struct es_writer *es_writer_new(int fd, const char *name, const struct es_writer_opts *opts,
    struct tm_err *err)
{
	struct es_writer *w = calloc(1, sizeof(*w));
	int level = opts && opts->level ? opts->level : 3;
	size_t r;

	if (!w) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		return NULL;
	}
	w->fd = fd;
	w->name = name;
	w->err = err;
	strtab_init(&w->strs);
	kind_init(&w->str, 0);
	kind_init(&w->mod, sizeof(struct wmodule));
	kind_init(&w->node, sizeof(struct es_node));
	kind_init(&w->ctx, sizeof(struct es_context));
	kind_init(&w->win, sizeof(struct es_window));
	w->cctx = ZSTD_createCCtx();
	w->zout_cap = ZSTD_CStreamOutSize();
	w->zout = malloc(w->zout_cap);
	if (!w->cctx || !w->zout) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		es_writer_free(w);
		return NULL;
	}
	r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r)) {
		tm_err_set(err, TM_EXIT_ENV, "%s: zstd: %s", name, ZSTD_getErrorName(r));
		es_writer_free(w);
		return NULL;
	}
	msgpack_packer_init(&w->pk, w, pack_cb);
#ifdef ESW_THREADS
	w->async = opts && opts->async;
#endif
	return w;
}

void es_writer_free(struct es_writer *w)
{
	size_t i;

	if (!w)
		return;
#ifdef ESW_THREADS
	compressor_stop(w);
#endif
	ZSTD_freeCCtx(w->cctx);
	free(w->zout);
	free(w->raw);
	strtab_free(&w->strs);
	kind_free(&w->str);
	kind_free(&w->mod);
	free(w->modattr);
	kind_free(&w->node);
	kind_free(&w->ctx);
	kind_free(&w->win);
	for (i = 0; i < w->nlosses; i++)
		free(w->losses[i].name);
	free(w->losses);
	free(w);
}

/* Strings outside the string table obey the same length limit. */
static int too_long(struct es_writer *w, const char *s)
{
	if (s && strlen(s) > ES_STRING_MAX) {
		tm_err_set(w->err, TM_EXIT_DATA, "%s: string of %zu bytes exceeds the %u-byte limit",
		    w->name, strlen(s), (unsigned)ES_STRING_MAX);
		return 1;
	}
	return 0;
}

static int param_cmp(const void *a, const void *b)
{
	const struct es_param *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int es_writer_begin(struct es_writer *w, const struct es_header *h)
{
	struct es_param *params = NULL;
	size_t i, nkeys = 4;

	if (w->err->code)
		return -1;
	if (w->in_segment && es_writer_end(w) < 0)
		return -1;
	if (too_long(w, h->producer) || too_long(w, h->host) || too_long(w, h->source))
		return -1;
	for (i = 0; i < h->nparams; i++)
		if (!h->params[i].key || too_long(w, h->params[i].key) || too_long(w, h->params[i].value)) {
			tm_err_set(w->err, TM_EXIT_DATA, "%s: bad header parameter", w->name);
			return -1;
		}
	kind_new_segment(&w->str);
	kind_new_segment(&w->mod);
	kind_new_segment(&w->node);
	kind_new_segment(&w->ctx);
	kind_new_segment(&w->win);
	w->seg_records = 0;
	w->seg_edges = 0;
	w->in_segment = 1;

	if (h->nparams) {
		params = malloc(h->nparams * sizeof(*params));
		if (!params) {
			tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
			return -1;
		}
		memcpy(params, h->params, h->nparams * sizeof(*params));
		qsort(params, h->nparams, sizeof(*params), param_cmp);
	}
	nkeys += !!h->host + !!h->source + !!h->start_ns + !!h->end_ns + !!h->nparams;
	pack_record_start(&w->pk, ES_REC_HEADER, nkeys);
	pack_key(&w->pk, "format");
	pack_cstr(&w->pk, ES_FORMAT_NAME);
	pack_key(&w->pk, "major");
	msgpack_pack_uint32(&w->pk, ES_FORMAT_MAJOR);
	pack_key(&w->pk, "minor");
	msgpack_pack_uint32(&w->pk, ES_FORMAT_MINOR);
	pack_key(&w->pk, "producer");
	pack_cstr(&w->pk, h->producer ? h->producer : "unknown");
	if (h->host) {
		pack_key(&w->pk, "host");
		pack_cstr(&w->pk, h->host);
	}
	if (h->source) {
		pack_key(&w->pk, "source");
		pack_cstr(&w->pk, h->source);
	}
	if (h->start_ns) {
		pack_key(&w->pk, "start");
		msgpack_pack_uint64(&w->pk, h->start_ns);
	}
	if (h->end_ns) {
		pack_key(&w->pk, "end");
		msgpack_pack_uint64(&w->pk, h->end_ns);
	}
	if (h->nparams) {
		pack_key(&w->pk, "params");
		msgpack_pack_map(&w->pk, h->nparams);
		for (i = 0; i < h->nparams; i++) {
			pack_cstr(&w->pk, params[i].key);
			pack_cstr(&w->pk, params[i].value ? params[i].value : "");
		}
	}
	free(params);
	return record_done(w);
}

int es_writer_borrow_strings(struct es_writer *w, const struct strtab *t)
{
	size_t i;

	if (w->base || w->strs.n || w->mod.n || w->node.n || w->ctx.n) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: strings borrowed after interning",
		    w->name);
		return -1;
	}
	for (i = 1; i <= t->n; i++)
		if (t->ents[i].len > ES_STRING_MAX) {
			tm_err_set(w->err, TM_EXIT_DATA,
			    "%s: string of %u bytes exceeds the %u-byte limit", w->name,
			    (unsigned)t->ents[i].len, (unsigned)ES_STRING_MAX);
			return -1;
		}
	w->base = t;
	return 0;
}

uint32_t es_writer_string(struct es_writer *w, const char *s, size_t len)
{
	uint32_t h;

	if (!s)
		return 0;
	if (len > ES_STRING_MAX) {
		tm_err_set(w->err, TM_EXIT_DATA, "%s: string of %zu bytes exceeds the %u-byte limit",
		    w->name, len, (unsigned)ES_STRING_MAX);
		return 0;
	}
	if (w->base && (h = strtab_find(w->base, s, len)) != 0)
		return h;
	h = strtab_intern(&w->strs, s, len);
	if (!h || base_n(w) + h > UINT32_MAX - 1) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
		return 0;
	}
	return (uint32_t)(base_n(w) + h);
}

uint32_t es_writer_cstring(struct es_writer *w, const char *s)
{
	return s ? es_writer_string(w, s, strlen(s)) : 0;
}

uint32_t es_writer_module(struct es_writer *w, const struct es_module *m)
{
	struct wmodule v;
	uint32_t path, purl, h;
	size_t old;
	void *p;

	memset(&v, 0, sizeof(v));
	if (!m->name || !*m->name) {
		tm_err_set(w->err, TM_EXIT_DATA, "%s: module without a name", w->name);
		return 0;
	}
	if (m->id_kind > ES_ID_KIND_MAX || m->build_id_len > ES_BUILD_ID_MAX ||
	    (m->id_kind && !m->build_id_len)) {
		tm_err_set(w->err, TM_EXIT_DATA, "%s: module %s: bad identity", w->name, m->name);
		return 0;
	}
	v.name = es_writer_cstring(w, m->name);
	path = es_writer_cstring(w, m->path);
	purl = es_writer_cstring(w, m->purl);
	if (w->err->code)
		return 0;
	v.id_kind = m->id_kind;
	if (m->id_kind) {
		v.build_id_len = (uint32_t)m->build_id_len;
		memcpy(v.build_id, m->build_id, m->build_id_len);
	}
	old = w->mod.n;
	h = kind_intern(w, &w->mod, &v);
	if (!h || h <= old)
		return h;
	p = w->modattr;
	if (mem_grow(&p, &w->modattr_cap, (size_t)h + 1, sizeof(*w->modattr)) < 0) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
		return 0;
	}
	w->modattr = p;
	w->modattr[h].path = path;
	w->modattr[h].purl = purl;
	return h;
}

uint32_t es_writer_node(struct es_writer *w, const struct es_node *n)
{
	struct es_node v;

	if (!n->module || n->module > w->mod.n || n->symbol > nstrings(w) || n->file > nstrings(w)) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: bad node handles", w->name);
		return 0;
	}
	memset(&v, 0, sizeof(v));
	v.module = n->module;
	v.symbol = n->symbol;
	v.offset = n->offset;
	v.flags = n->flags;
	v.state = n->state;
	v.file = n->file;
	v.line = n->line;
	return kind_intern(w, &w->node, &v);
}

uint32_t es_writer_context(struct es_writer *w, const struct es_context *c)
{
	struct es_context v;

	if (c->host > nstrings(w) || c->comm > nstrings(w) || c->container > nstrings(w)) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: bad context handles", w->name);
		return 0;
	}
	memset(&v, 0, sizeof(v));
	v.host = c->host;
	v.comm = c->comm;
	v.container = c->container;
	v.pid = c->pid;
	v.cgroup = c->cgroup;
	return kind_intern(w, &w->ctx, &v);
}

uint32_t es_writer_window(struct es_writer *w, uint64_t start_ns, uint64_t end_ns)
{
	struct es_window v;

	memset(&v, 0, sizeof(v));
	v.start_ns = start_ns;
	v.end_ns = end_ns;
	return kind_intern(w, &w->win, &v);
}

int es_writer_edge(struct es_writer *w, const struct es_edge *e)
{
	if (w->err->code)
		return -1;
	if (!w->in_segment) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: edge outside a segment", w->name);
		return -1;
	}
	if (e->confidence > 100) {
		tm_err_set(w->err, TM_EXIT_DATA, "%s: edge confidence %u is above 100", w->name,
		    (unsigned)e->confidence);
		return -1;
	}
	if (!e->caller || e->caller > w->node.n || !e->callee || e->callee > w->node.n ||
	    e->ctx > w->ctx.n || e->window > w->win.n || e->site > nstrings(w)) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: bad edge handles", w->name);
		return -1;
	}
	w->blk[w->nblk++] = *e;
	if (w->nblk == ES_BLOCK_EDGES)
		return write_block(w);
	return 0;
}

int es_writer_coverage(struct es_writer *w, const struct es_coverage *cov)
{
	uint32_t node, ctx;

	if (w->err->code)
		return -1;
	if (!w->in_segment || !cov->node || cov->node > w->node.n || cov->ctx > w->ctx.n) {
		tm_err_set(w->err, TM_EXIT_ENV, "%s: internal error: bad coverage record", w->name);
		return -1;
	}
	/* Keep the stream in call order: earlier edges go out first. */
	if (write_block(w) < 0 || def_node(w, cov->node, &node) < 0 || def_ctx(w, cov->ctx, &ctx) < 0 ||
	    write_pending(w) < 0)
		return -1;
	pack_record_start(&w->pk, ES_REC_COVERAGE, 4 + !!ctx);
	pack_key(&w->pk, "node");
	msgpack_pack_uint32(&w->pk, node);
	pack_key(&w->pk, "method");
	msgpack_pack_uint32(&w->pk, cov->method);
	pack_key(&w->pk, "start");
	msgpack_pack_uint64(&w->pk, cov->start_ns);
	pack_key(&w->pk, "end");
	msgpack_pack_uint64(&w->pk, cov->end_ns);
	if (ctx) {
		pack_key(&w->pk, "ctx");
		msgpack_pack_uint32(&w->pk, ctx);
	}
	return record_done(w);
}

int es_writer_loss(struct es_writer *w, const char *name, uint64_t count)
{
	size_t i;
	void *p;

	if (w->err->code || too_long(w, name))
		return -1;
	for (i = 0; i < w->nlosses; i++)
		if (strcmp(w->losses[i].name, name) == 0) {
			w->losses[i].count = es_count_add(w->losses[i].count, count);
			return 0;
		}
	p = w->losses;
	if (mem_grow(&p, &w->losses_cap, w->nlosses + 1, sizeof(*w->losses)) < 0)
		goto nomem;
	w->losses = p;
	w->losses[w->nlosses].name = strdup(name);
	if (!w->losses[w->nlosses].name)
		goto nomem;
	w->losses[w->nlosses++].count = count;
	return 0;
nomem:
	tm_err_set(w->err, TM_EXIT_ENV, "%s: out of memory", w->name);
	return -1;
}

int es_writer_flush(struct es_writer *w)
{
	if (w->err->code)
		return -1;
	if (write_block(w) < 0 || write_pending(w) < 0)
		return -1;
	return compress_raw(w, ZSTD_e_flush);
}

static int loss_cmp(const void *a, const void *b)
{
	const struct wloss *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int es_writer_end(struct es_writer *w)
{
	size_t i, nkeys = 5;

	if (w->err->code)
		return -1;
	if (!w->in_segment)
		return 0;
	if (write_block(w) < 0 || write_pending(w) < 0)
		return -1;
	if (w->nlosses)
		qsort(w->losses, w->nlosses, sizeof(*w->losses), loss_cmp);
	nkeys += !!w->nlosses;
	pack_record_start(&w->pk, ES_REC_TRAILER, nkeys);
	pack_key(&w->pk, "records");
	msgpack_pack_uint64(&w->pk, w->seg_records);
	pack_key(&w->pk, "edges");
	msgpack_pack_uint64(&w->pk, w->seg_edges);
	pack_key(&w->pk, "strings");
	msgpack_pack_uint32(&w->pk, w->str.nsid);
	pack_key(&w->pk, "modules");
	msgpack_pack_uint32(&w->pk, w->mod.nsid);
	pack_key(&w->pk, "nodes");
	msgpack_pack_uint32(&w->pk, w->node.nsid);
	if (w->nlosses) {
		pack_key(&w->pk, "losses");
		msgpack_pack_map(&w->pk, w->nlosses);
		for (i = 0; i < w->nlosses; i++) {
			pack_cstr(&w->pk, w->losses[i].name);
			msgpack_pack_uint64(&w->pk, w->losses[i].count);
		}
	}
	for (i = 0; i < w->nlosses; i++)
		free(w->losses[i].name);
	w->nlosses = 0;
	w->in_segment = 0;
	if (record_done(w) < 0)
		return -1;
	return compress_raw(w, ZSTD_e_end);
}

uint64_t es_writer_edges(const struct es_writer *w)
{
	return w->seg_edges + w->nblk;
}

size_t es_writer_memory(const struct es_writer *w)
{
	const struct kind *ks[] = { &w->str, &w->mod, &w->node, &w->ctx, &w->win };
	size_t i, total = sizeof(*w) + w->raw_cap + w->zout_cap + strtab_bytes(&w->strs) +
	    ZSTD_sizeof_CCtx(w->cctx);

#ifdef ESW_THREADS
	/* The thread's buffer: job or spare, whichever it is now (both bounded
	 * by the same record-size rule as the raw buffer). */
	if (w->started)
		total += w->raw_cap;
#endif

	for (i = 0; i < 5; i++)
		total += ks[i]->cap * ks[i]->size + idmap_bytes(&ks[i]->map) +
		    (ks[i]->sid_cap + ks[i]->pending_cap) * sizeof(uint32_t);
	return total;
}

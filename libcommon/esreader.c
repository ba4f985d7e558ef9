/*
 * esreader.c - the edge stream reader (see esreader.h, docs/FORMAT.md).
 *
 * Decompressed bytes accumulate in one buffer. A record is decoded only once
 * mpr_scan has found all of it in the buffer, so the decoders below work on
 * complete, bounded input; a record still incomplete at max_record bytes is
 * rejected rather than buffered without limit.
 */
#include "esreader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "mem.h"
#include "mpread.h"
#include "strtab.h"
#include "zsource.h"

#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define DEFAULT_MAX_DEFS   ((size_t)256 << 20)
#define INITIAL_BUF        ((size_t)64 << 10)
#define STEADY_BUF         ((size_t)1 << 20)

struct rmodule {
	uint32_t name, path, purl;
	uint32_t id_kind;
	uint32_t build_id_len;
	uint8_t build_id[ES_BUILD_ID_MAX];
};

struct es_reader {
	int fd;
	const char *name;
	struct tm_err *err;
	size_t max_record;
	size_t max_defs;
	size_t defs;			/* bytes of the segment's definition tables */
	int allow_truncated;

	struct zsource *zs;

	uint8_t *buf;			/* decompressed bytes; unparsed ones in [start, len) */
	size_t start, len, cap;
	struct mpr_scan scan;		/* how far the record at start has been walked */
	uint64_t fills;			/* reads that brought data */

	unsigned segment;
	int in_segment;
	uint64_t seg_records, seg_edges;

	struct strtab strs;
	struct rmodule *mods;
	size_t nmods, mods_cap;
	struct es_node *nodes;
	size_t nnodes, nodes_cap;
	struct es_context *ctxs;
	size_t nctxs, ctxs_cap;
	struct es_window *wins;
	size_t nwins, wins_cap;

	struct es_edge *edges;		/* the last block decoded */
	size_t edges_cap;
	struct es_coverage cov;

	struct strtab hstrs;		/* header strings */
	struct es_header header;
	struct es_param *params;
	size_t params_cap;
	uint32_t *param_ids;		/* key, value string ids (pairs) */
	size_t param_ids_cap;

	struct strtab lstrs;		/* loss names */
	struct es_loss *losses;
	size_t losses_cap;
	uint32_t *loss_ids;		/* lstrs ids of the losses being decoded */
	size_t loss_ids_cap;
	struct es_trailer trailer;

	int truncated;			/* truncations seen (allow_truncated) */
	int stopped;			/* end of input reached at a truncation */
	char trunc_msg[256];
};

/* ---- errors ---- */

static int bad(struct es_reader *r, const char *fmt, ...) TM_PRINTF(2, 3);

static int bad(struct es_reader *r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->segment)
		tm_err_set(r->err, TM_EXIT_DATA, "%s: segment %u: %s", r->name, r->segment, what);
	else
		tm_err_set(r->err, TM_EXIT_DATA, "%s: %s", r->name, what);
	return -1;
}

/* A truncation: an error, or the quiet end of input with allow_truncated. */
static int truncated(struct es_reader *r, const char *what)
{
	if (r->allow_truncated) {
		if (r->segment)
			snprintf(r->trunc_msg, sizeof(r->trunc_msg), "segment %u: %s", r->segment, what);
		else
			snprintf(r->trunc_msg, sizeof(r->trunc_msg), "%s", what);
		r->truncated++;
		r->stopped = 1;
		return 0;
	}
	return bad(r, "truncated stream: %s", what);
}

static const char *record_name(unsigned type)
{
	switch (type) {
	case ES_REC_HEADER: return "header";
	case ES_REC_STRINGS: return "strings";
	case ES_REC_MODULE: return "module";
	case ES_REC_NODES: return "nodes";
	case ES_REC_CONTEXT: return "context";
	case ES_REC_WINDOW: return "window";
	case ES_REC_EDGES: return "edges";
	case ES_REC_COVERAGE: return "coverage";
	case ES_REC_TRAILER: return "trailer";
	default: return "unknown";
	}
}

/* ---- input ---- */

static int zstd_fail(struct es_reader *r, size_t code)
{
	switch (ZSTD_getErrorCode(code)) {
	case ZSTD_error_checksum_wrong:
		return bad(r, "corrupt stream: zstd checksum mismatch");
	case ZSTD_error_prefix_unknown:
		return bad(r, "corrupt stream: bad zstd frame header (not zstd data)");
	case ZSTD_error_frameParameter_windowTooLarge:
		return bad(r, "zstd window larger than 2^27 bytes (refused)");
	default:
		return bad(r, "corrupt stream: zstd: %s", ZSTD_getErrorName(code));
	}
}

/*
 * Decompress more bytes into buf[len..cap). Returns the number of bytes
 * produced (> 0), 0 at the clean end of the input, -1 on error; a stream
 * that ends inside a zstd frame is reported as truncated (-1, or 0 with
 * allow_truncated).
 */
static long fill(struct es_reader *r)
{
	size_t n;

	switch (zs_read(r->zs, r->buf + r->len, r->cap - r->len, &n)) {
	case ZS_DATA:
		r->len += n;
		r->fills++;
		return (long)n;
	case ZS_END:
		return 0;
	case ZS_EMPTY:
		return bad(r, "empty input (not an edge stream)");
	case ZS_NOTZSTD:
		return bad(r, "not an edge stream (not zstd-compressed data)");
	case ZS_TRUNC:
		return truncated(r, "input ends inside a zstd frame") < 0 ? -1 : 0;
	case ZS_CORRUPT:
		return zstd_fail(r, zs_zstd_error(r->zs));
	case ZS_IO:
		tm_err_errno(r->err, TM_EXIT_ENV, zs_errno(r->zs), "%s: read error", r->name);
		return -1;
	default:
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
}

/*
 * Make room after the unparsed bytes: move them to the front, and grow the
 * buffer when a record fills it. It starts small, for the many short inputs
 * (one per test, per fuzzer run), and doubles up to STEADY_BUF while the input
 * goes on, so that long inputs are read in large pieces.
 */
static int make_room(struct es_reader *r)
{
	size_t want = 0;

	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (r->len == r->cap)
		want = r->cap + 1;
	else if (r->cap < STEADY_BUF && r->fills > 1)
		want = 2 * r->cap;
	if (want) {
		void *p = r->buf;

		if (r->len == r->cap && r->cap > r->max_record)
			return bad(r, "record larger than the %s limit", "max-record");
		if (mem_grow(&p, &r->cap, want, 1) < 0) {
			tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
			return -1;
		}
		r->buf = p;
	}
	return 0;
}

/* ---- tables ---- */

static void reset_tables(struct es_reader *r)
{
	strtab_reset(&r->strs);
	r->nmods = r->nnodes = r->nctxs = r->nwins = 0;
	r->seg_records = r->seg_edges = 0;
	r->defs = 0;
}

/* Count `bytes` more of definitions against the limit, before storing them. */
static int charge_defs(struct es_reader *r, size_t bytes)
{
	if (bytes > r->max_defs - r->defs)
		return bad(r, "definitions larger than the %zu-byte limit (--max-defs)",
		    r->max_defs);
	r->defs += bytes;
	return 0;
}

const char *es_reader_string(const struct es_reader *r, uint32_t id, size_t *len)
{
	return strtab_get(&r->strs, id, len);
}

size_t es_reader_string_bytes(const struct es_reader *r)
{
	/* A new segment resets the table but keeps its memory. */
	return strtab_bytes(&r->strs);
}

int es_reader_module(const struct es_reader *r, uint32_t id, struct es_module *out)
{
	const struct rmodule *m;

	if (id == 0 || id > r->nmods)
		return -1;
	m = &r->mods[id];
	memset(out, 0, sizeof(*out));
	out->name = strtab_get(&r->strs, m->name, NULL);
	out->path = strtab_get(&r->strs, m->path, NULL);
	out->purl = strtab_get(&r->strs, m->purl, NULL);
	out->id_kind = m->id_kind;
	out->build_id_len = m->build_id_len;
	memcpy(out->build_id, m->build_id, m->build_id_len);
	return 0;
}

const struct es_node *es_reader_node(const struct es_reader *r, uint32_t id)
{
	return id && id <= r->nnodes ? &r->nodes[id] : NULL;
}

const struct es_context *es_reader_context(const struct es_reader *r, uint32_t id)
{
	return id && id <= r->nctxs ? &r->ctxs[id] : NULL;
}

const struct es_window *es_reader_window(const struct es_reader *r, uint32_t id)
{
	return id && id <= r->nwins ? &r->wins[id] : NULL;
}

size_t es_reader_node_name(const struct es_reader *r, uint32_t id, char *buf, size_t size)
{
	const struct es_node *n = es_reader_node(r, id);
	const char *mod, *sym;
	int len;

	if (!n) {
		len = snprintf(buf, size, "?");
		return (size_t)len;
	}
	mod = strtab_get(&r->strs, r->mods[n->module].name, NULL);
	sym = strtab_get(&r->strs, n->symbol, NULL);
	if (sym)
		len = snprintf(buf, size, "%s!%s", mod, sym);
	else
		len = snprintf(buf, size, "%s+0x%llx", mod, (unsigned long long)n->offset);
	return len < 0 ? 0 : (size_t)len;
}

unsigned es_reader_segment(const struct es_reader *r)
{
	return r->segment;
}

int es_reader_truncated(const struct es_reader *r, const char **msg)
{
	if (msg)
		*msg = r->trunc_msg;
	return r->truncated;
}

uint64_t es_reader_bytes_in(const struct es_reader *r)
{
	return zs_bytes_in(r->zs);
}

/* ---- record decoding ---- */

/* Read a key of a body map; -1 if it is not a string. */
static int read_key(struct es_reader *r, struct mpr *c, const char **k, uint32_t *klen,
    unsigned type)
{
	if (mpr_str(c, k, klen) != MPR_OK)
		return bad(r, "malformed %s record: map key is not a string", record_name(type));
	return 0;
}

static int key_is(const char *k, uint32_t klen, const char *want)
{
	return strlen(want) == klen && memcmp(k, want, klen) == 0;
}

static int get_uint(struct es_reader *r, struct mpr *c, uint64_t *v, const char *what)
{
	if (mpr_uint(c, v) != MPR_OK)
		return bad(r, "malformed record: %s is not an unsigned integer", what);
	return 0;
}

static int get_u32(struct es_reader *r, struct mpr *c, uint32_t *v, const char *what)
{
	if (mpr_u32(c, v) != MPR_OK)
		return bad(r, "malformed record: %s is not a 32-bit unsigned integer", what);
	return 0;
}

/* A string id that must refer to a defined string (0 allowed if optional). */
static int check_sid(struct es_reader *r, uint32_t sid, int optional, const char *what)
{
	if ((sid == 0 && !optional) || sid > r->strs.n)
		return bad(r, "undefined string id in %s", what);
	return 0;
}

static int copy_hstr(struct es_reader *r, struct mpr *c, uint32_t *id, const char *what)
{
	const char *s;
	uint32_t len;

	if (mpr_str(c, &s, &len) != MPR_OK)
		return bad(r, "malformed header: %s is not a string", what);
	if (len > ES_STRING_MAX)
		return bad(r, "header %s too long", what);
	*id = strtab_append(&r->hstrs, s, len);
	if (!*id) {
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
	return 0;
}

static int decode_header(struct es_reader *r, struct mpr *c)
{
	uint32_t n, i, format = 0, producer = 0, host = 0, source = 0, nparams = 0;
	uint64_t major = 0, minor = 0, start = 0, end = 0;
	int have_major = 0;

	if (r->in_segment) {
		if (truncated(r, "segment ends without a trailer (next segment follows)") < 0)
			return -1;
		r->stopped = 0;	/* salvaged: carry on with the next segment */
	}
	r->segment++;
	r->in_segment = 1;
	reset_tables(r);
	strtab_reset(&r->hstrs);
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed header record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;

		if (read_key(r, c, &k, &klen, ES_REC_HEADER) < 0)
			return -1;
		if (key_is(k, klen, "format")) {
			if (copy_hstr(r, c, &format, "format") < 0)
				return -1;
		} else if (key_is(k, klen, "major")) {
			if (get_uint(r, c, &major, "header major version") < 0)
				return -1;
			have_major = 1;
		} else if (key_is(k, klen, "minor")) {
			if (get_uint(r, c, &minor, "header minor version") < 0)
				return -1;
		} else if (key_is(k, klen, "producer")) {
			if (copy_hstr(r, c, &producer, "producer") < 0)
				return -1;
		} else if (key_is(k, klen, "host")) {
			if (copy_hstr(r, c, &host, "host") < 0)
				return -1;
		} else if (key_is(k, klen, "source")) {
			if (copy_hstr(r, c, &source, "source") < 0)
				return -1;
		} else if (key_is(k, klen, "start")) {
			if (get_uint(r, c, &start, "header start") < 0)
				return -1;
		} else if (key_is(k, klen, "end")) {
			if (get_uint(r, c, &end, "header end") < 0)
				return -1;
		} else if (key_is(k, klen, "params")) {
			uint32_t j, m;
			void *p;

			if (mpr_map(c, &m) != MPR_OK)
				return bad(r, "malformed header: params is not a map");
			p = r->param_ids;
			if (mem_grow(&p, &r->param_ids_cap, 2 * (size_t)m, sizeof(uint32_t)) < 0)
				goto nomem;
			r->param_ids = p;
			for (j = 0; j < m; j++)
				if (copy_hstr(r, c, &r->param_ids[2 * j], "parameter name") < 0 ||
				    copy_hstr(r, c, &r->param_ids[2 * j + 1], "parameter value") < 0)
					return -1;
			nparams = m;
		} else if (mpr_skip(c) != MPR_OK) {
			return bad(r, "malformed header record");
		}
	}
	if (!format || strcmp(strtab_get(&r->hstrs, format, NULL), ES_FORMAT_NAME) != 0)
		return bad(r, "not an edge stream (header format is not \"%s\")", ES_FORMAT_NAME);
	if (!have_major)
		return bad(r, "malformed header: no major version");
	if (major != ES_FORMAT_MAJOR) {
		char v[96];

		snprintf(v, sizeof(v), "%llu.%llu (this build reads %d.x)", (unsigned long long)major,
		    (unsigned long long)minor, ES_FORMAT_MAJOR);
		return bad(r, "unsupported format version %s", v);
	}
	if (nparams) {
		void *p = r->params;

		if (mem_grow(&p, &r->params_cap, nparams, sizeof(*r->params)) < 0)
			goto nomem;
		r->params = p;
	}
	/* Pointers into hstrs are taken only now: the arena no longer moves. */
	for (i = 0; i < nparams; i++) {
		r->params[i].key = strtab_get(&r->hstrs, r->param_ids[2 * i], NULL);
		r->params[i].value = strtab_get(&r->hstrs, r->param_ids[2 * i + 1], NULL);
	}
	memset(&r->header, 0, sizeof(r->header));
	r->header.major = (unsigned)major;
	r->header.minor = minor > 0xffff ? 0xffff : (unsigned)minor;
	r->header.producer = strtab_get(&r->hstrs, producer, NULL);
	r->header.host = strtab_get(&r->hstrs, host, NULL);
	r->header.source = strtab_get(&r->hstrs, source, NULL);
	r->header.start_ns = start;
	r->header.end_ns = end;
	r->header.params = r->params;
	r->header.nparams = nparams;
	return 0;
nomem:
	tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
	return -1;
}

static int decode_strings(struct es_reader *r, struct mpr *c)
{
	uint32_t n, i, base = 0, count, j;
	int have_base = 0, have_s = 0;

	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed strings record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;

		if (read_key(r, c, &k, &klen, ES_REC_STRINGS) < 0)
			return -1;
		if (key_is(k, klen, "base")) {
			if (get_u32(r, c, &base, "strings base") < 0)
				return -1;
			have_base = 1;
		} else if (key_is(k, klen, "s")) {
			if (!have_base || base != r->strs.n + 1)
				return bad(r, "strings record out of sequence");
			if (mpr_array(c, &count) != MPR_OK)
				return bad(r, "malformed strings record");
			for (j = 0; j < count; j++) {
				const char *s;
				uint32_t len;

				if (mpr_str(c, &s, &len) != MPR_OK)
					return bad(r, "malformed strings record: element is not a string");
				if (len > ES_STRING_MAX)
					return bad(r, "string longer than the 1 MiB limit");
				if (charge_defs(r, (size_t)len + 1 + sizeof(*r->strs.ents)) < 0)
					return -1;
				if (!strtab_append(&r->strs, s, len)) {
					tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
					return -1;
				}
			}
			have_s = 1;
		} else if (mpr_skip(c) != MPR_OK) {
			return bad(r, "malformed strings record");
		}
	}
	if (!have_s)
		return bad(r, "malformed strings record: no strings");
	return 0;
}

static int decode_module(struct es_reader *r, struct mpr *c)
{
	struct rmodule m;
	uint32_t n, i, id = 0;
	void *p;

	memset(&m, 0, sizeof(m));
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed module record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;
		int rc = 0;

		if (read_key(r, c, &k, &klen, ES_REC_MODULE) < 0)
			return -1;
		if (key_is(k, klen, "id"))
			rc = get_u32(r, c, &id, "module id");
		else if (key_is(k, klen, "name"))
			rc = get_u32(r, c, &m.name, "module name");
		else if (key_is(k, klen, "path"))
			rc = get_u32(r, c, &m.path, "module path");
		else if (key_is(k, klen, "purl"))
			rc = get_u32(r, c, &m.purl, "module purl");
		else if (key_is(k, klen, "id_kind"))
			rc = get_u32(r, c, &m.id_kind, "module id_kind");
		else if (key_is(k, klen, "build_id")) {
			const uint8_t *b;
			uint32_t len;

			if (mpr_bin(c, &b, &len) != MPR_OK || len > ES_BUILD_ID_MAX)
				return bad(r, "malformed module record: bad build_id");
			memcpy(m.build_id, b, len);
			m.build_id_len = len;
		} else if (mpr_skip(c) != MPR_OK)
			return bad(r, "malformed module record");
		if (rc < 0)
			return -1;
	}
	if (id != r->nmods + 1)
		return bad(r, "module record out of sequence");
	if (check_sid(r, m.name, 0, "module name") < 0 || check_sid(r, m.path, 1, "module path") < 0 ||
	    check_sid(r, m.purl, 1, "module purl") < 0)
		return -1;
	if ((m.id_kind == 0) != (m.build_id_len == 0))
		return bad(r, "malformed module record: id_kind and build_id disagree");
	if (charge_defs(r, sizeof(*r->mods)) < 0)
		return -1;
	p = r->mods;
	if (mem_grow(&p, &r->mods_cap, r->nmods + 2, sizeof(*r->mods)) < 0) {
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
	r->mods = p;
	r->mods[++r->nmods] = m;
	return 0;
}

/* Node columns, in the order of struct es_node fields we fill. */
enum { N_MODULE, N_SYMBOL, N_OFFSET, N_FLAGS, N_STATE, N_FILE, N_LINE, N_NCOLS };
static const char *const node_col_names[N_NCOLS] = {
	"module", "symbol", "offset", "flags", "state", "file", "line"
};

static int decode_nodes(struct es_reader *r, struct mpr *c)
{
	struct mpr col[N_NCOLS];
	uint32_t n, i, base = 0, count = 0, ncol[N_NCOLS];
	unsigned present = 0, k;
	int have_base = 0;
	void *p;

	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed nodes record");
	for (i = 0; i < n; i++) {
		const char *key;
		uint32_t klen;

		if (read_key(r, c, &key, &klen, ES_REC_NODES) < 0)
			return -1;
		if (key_is(key, klen, "base")) {
			if (get_u32(r, c, &base, "nodes base") < 0)
				return -1;
			have_base = 1;
			continue;
		}
		for (k = 0; k < N_NCOLS; k++)
			if (key_is(key, klen, node_col_names[k]))
				break;
		if (k < N_NCOLS) {
			if (mpr_array(c, &ncol[k]) != MPR_OK)
				return bad(r, "malformed nodes record: column %s is not an array",
				    node_col_names[k]);
			/* Remember where the column's elements start, then skip them. */
			col[k] = *c;
			present |= 1u << k;
			for (uint32_t j = 0; j < ncol[k]; j++)
				if (mpr_skip(c) != MPR_OK)
					return bad(r, "malformed nodes record");
		} else if (mpr_skip(c) != MPR_OK) {
			return bad(r, "malformed nodes record");
		}
	}
	if (!have_base || base != r->nnodes + 1)
		return bad(r, "nodes record out of sequence");
	if (!(present & 1))
		return bad(r, "malformed nodes record: no module column");
	count = ncol[N_MODULE];
	for (k = 0; k < N_NCOLS; k++)
		if ((present >> k & 1) && ncol[k] != count)
			return bad(r, "malformed nodes record: column %s has the wrong length",
			    node_col_names[k]);
	if (charge_defs(r, (size_t)count * sizeof(*r->nodes)) < 0)
		return -1;
	p = r->nodes;
	if (mem_big_grow(&p, &r->nodes_cap, r->nnodes + count + 1, sizeof(*r->nodes)) < 0) {
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
	r->nodes = p;
	memset(&r->nodes[r->nnodes + 1], 0, (size_t)count * sizeof(*r->nodes));
	for (k = 0; k < N_NCOLS; k++) {
		if (!(present >> k & 1))
			continue;
		for (i = 0; i < count; i++) {
			struct es_node *nd = &r->nodes[r->nnodes + 1 + i];
			uint64_t v;

			if (mpr_uint(&col[k], &v) != MPR_OK)
				return bad(r, "malformed nodes record: column %s holds a non-integer",
				    node_col_names[k]);
			if (k != N_OFFSET && v > UINT32_MAX)
				return bad(r, "malformed nodes record: column %s value out of range",
				    node_col_names[k]);
			switch (k) {
			case N_MODULE:
				if (v == 0 || v > r->nmods)
					return bad(r, "node refers to an undefined module");
				nd->module = (uint32_t)v;
				break;
			case N_SYMBOL:
				if (check_sid(r, (uint32_t)v, 1, "node symbol") < 0)
					return -1;
				nd->symbol = (uint32_t)v;
				break;
			case N_OFFSET: nd->offset = v; break;
			case N_FLAGS: nd->flags = (uint32_t)v; break;
			case N_STATE: nd->state = (uint32_t)v; break;
			case N_FILE:
				if (check_sid(r, (uint32_t)v, 1, "node file") < 0)
					return -1;
				nd->file = (uint32_t)v;
				break;
			default: nd->line = (uint32_t)v; break;
			}
		}
	}
	r->nnodes += count;
	return 0;
}

static int decode_context(struct es_reader *r, struct mpr *c)
{
	struct es_context x;
	uint32_t n, i, id = 0;
	void *p;

	memset(&x, 0, sizeof(x));
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed context record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;
		int rc = 0;

		if (read_key(r, c, &k, &klen, ES_REC_CONTEXT) < 0)
			return -1;
		if (key_is(k, klen, "id"))
			rc = get_u32(r, c, &id, "context id");
		else if (key_is(k, klen, "host"))
			rc = get_u32(r, c, &x.host, "context host");
		else if (key_is(k, klen, "comm"))
			rc = get_u32(r, c, &x.comm, "context comm");
		else if (key_is(k, klen, "container"))
			rc = get_u32(r, c, &x.container, "context container");
		else if (key_is(k, klen, "pid"))
			rc = get_u32(r, c, &x.pid, "context pid");
		else if (key_is(k, klen, "cgroup"))
			rc = get_uint(r, c, &x.cgroup, "context cgroup");
		else if (mpr_skip(c) != MPR_OK)
			return bad(r, "malformed context record");
		if (rc < 0)
			return -1;
	}
	if (id != r->nctxs + 1)
		return bad(r, "context record out of sequence");
	if (check_sid(r, x.host, 1, "context host") < 0 || check_sid(r, x.comm, 1, "context comm") < 0 ||
	    check_sid(r, x.container, 1, "context container") < 0)
		return -1;
	if (charge_defs(r, sizeof(*r->ctxs)) < 0)
		return -1;
	p = r->ctxs;
	if (mem_grow(&p, &r->ctxs_cap, r->nctxs + 2, sizeof(*r->ctxs)) < 0) {
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
	r->ctxs = p;
	r->ctxs[++r->nctxs] = x;
	return 0;
}

static int decode_window(struct es_reader *r, struct mpr *c)
{
	struct es_window x;
	uint32_t n, i, id = 0;
	void *p;

	memset(&x, 0, sizeof(x));
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed window record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;
		int rc = 0;

		if (read_key(r, c, &k, &klen, ES_REC_WINDOW) < 0)
			return -1;
		if (key_is(k, klen, "id"))
			rc = get_u32(r, c, &id, "window id");
		else if (key_is(k, klen, "start"))
			rc = get_uint(r, c, &x.start_ns, "window start");
		else if (key_is(k, klen, "end"))
			rc = get_uint(r, c, &x.end_ns, "window end");
		else if (mpr_skip(c) != MPR_OK)
			return bad(r, "malformed window record");
		if (rc < 0)
			return -1;
	}
	if (id != r->nwins + 1)
		return bad(r, "window record out of sequence");
	if (charge_defs(r, sizeof(*r->wins)) < 0)
		return -1;
	p = r->wins;
	if (mem_grow(&p, &r->wins_cap, r->nwins + 2, sizeof(*r->wins)) < 0) {
		tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
		return -1;
	}
	r->wins = p;
	r->wins[++r->nwins] = x;
	return 0;
}

enum { C_CALLER, C_CALLEE, C_COUNT, C_FIRST, C_LAST, C_CTX, C_WINDOW, C_EVIDENCE,
	C_SITE, C_CONFIDENCE, C_CLASS, C_CONFLICT, C_RESOLUTION, C_NCOLS };

static const struct {
	const char *name;
	unsigned width;
} edge_cols[C_NCOLS] = {
	{ ES_COL_CALLER, 4 }, { ES_COL_CALLEE, 4 }, { ES_COL_COUNT, 8 }, { ES_COL_FIRST, 8 },
	{ ES_COL_LAST, 8 }, { ES_COL_CTX, 4 }, { ES_COL_WINDOW, 4 }, { ES_COL_EVIDENCE, 4 },
	{ ES_COL_SITE, 4 }, { ES_COL_CONFIDENCE, 1 }, { ES_COL_CLASS, 1 }, { ES_COL_CONFLICT, 1 },
	{ ES_COL_RESOLUTION, 1 },
};

/* Decode a u32 id column and check every value against [min, max]. */
static int id_column(struct es_reader *r, const uint8_t *b, size_t n, size_t off,
    uint32_t min, uint64_t max, const char *what)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t v = mpr_le32(b + 4 * i);
		uint32_t *dst = (uint32_t *)((char *)&r->edges[i] + off);

		*dst = v;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (n && (lo < min || hi > max))
		return bad(r, "edge refers to an undefined %s", what);
	return 0;
}

static int decode_edges(struct es_reader *r, struct mpr *c, size_t *nedges)
{
	const uint8_t *col[C_NCOLS];
	uint32_t nkeys, i, len;
	uint64_t n = 0;
	unsigned present = 0, k;
	int have_n = 0;
	size_t j;

	if (mpr_map(c, &nkeys) != MPR_OK)
		return bad(r, "malformed edges record");
	for (i = 0; i < nkeys; i++) {
		const char *key;
		uint32_t klen;

		if (read_key(r, c, &key, &klen, ES_REC_EDGES) < 0)
			return -1;
		if (key_is(key, klen, "n")) {
			if (have_n)
				return bad(r, "malformed edges record: repeated key n");
			if (get_uint(r, c, &n, "edge count") < 0)
				return -1;
			if (n > ES_BLOCK_MAX)
				return bad(r, "edges record holds more than %s edges", "65536");
			have_n = 1;
			continue;
		}
		for (k = 0; k < C_NCOLS; k++)
			if (key_is(key, klen, edge_cols[k].name))
				break;
		if (k == C_NCOLS) {
			if (mpr_skip(c) != MPR_OK)
				return bad(r, "malformed edges record");
			continue;
		}
		if (present >> k & 1)
			return bad(r, "malformed edges record: repeated column %s", edge_cols[k].name);
		if (mpr_bin(c, &col[k], &len) != MPR_OK)
			return bad(r, "malformed edges record: column %s is not bin", edge_cols[k].name);
		if (!have_n || len != n * edge_cols[k].width)
			return bad(r, "malformed edges record: column %s has the wrong size",
			    edge_cols[k].name);
		present |= 1u << k;
	}
	if (!have_n)
		return bad(r, "malformed edges record: no edge count");
	if (n > r->edges_cap) {
		/* Sized by the records seen: most streams never need ES_BLOCK_MAX. */
		void *p = r->edges;

		if (mem_grow(&p, &r->edges_cap, (size_t)n, sizeof(*r->edges)) < 0) {
			tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
			return -1;
		}
		r->edges = p;
	}
	for (k = C_CALLER; k <= C_LAST; k++)
		if (!(present >> k & 1))
			return bad(r, "malformed edges record: no %s column", edge_cols[k].name);
	if (id_column(r, col[C_CALLER], n, offsetof(struct es_edge, caller), 1, r->nnodes,
		"caller node") < 0 ||
	    id_column(r, col[C_CALLEE], n, offsetof(struct es_edge, callee), 1, r->nnodes,
		"callee node") < 0)
		return -1;
	for (j = 0; j < n; j++) {
		struct es_edge *e = &r->edges[j];

		e->count = mpr_le64(col[C_COUNT] + 8 * j);
		e->first_ns = mpr_le64(col[C_FIRST] + 8 * j);
		e->last_ns = mpr_le64(col[C_LAST] + 8 * j);
	}
	for (k = C_CTX; k < C_NCOLS; k++) {
		static const size_t offs[C_NCOLS] = {
			[C_CTX] = offsetof(struct es_edge, ctx),
			[C_WINDOW] = offsetof(struct es_edge, window),
			[C_EVIDENCE] = offsetof(struct es_edge, evidence),
			[C_SITE] = offsetof(struct es_edge, site),
		};
		const uint64_t maxes[C_NCOLS] = {
			[C_CTX] = r->nctxs, [C_WINDOW] = r->nwins, [C_EVIDENCE] = UINT32_MAX,
			[C_SITE] = r->strs.n,
		};
		static const char *const whats[C_NCOLS] = {
			[C_CTX] = "context", [C_WINDOW] = "window", [C_EVIDENCE] = "evidence",
			[C_SITE] = "call-site string",
		};

		if (edge_cols[k].width == 1) {
			static const size_t u8offs[C_NCOLS] = {
				[C_CONFIDENCE] = offsetof(struct es_edge, confidence),
				[C_CLASS] = offsetof(struct es_edge, edge_class),
				[C_CONFLICT] = offsetof(struct es_edge, conflict),
				[C_RESOLUTION] = offsetof(struct es_edge, resolution),
			};

			for (j = 0; j < n; j++)
				*((uint8_t *)&r->edges[j] + u8offs[k]) = present >> k & 1 ? col[k][j] : 0;
			continue;
		}
		if (present >> k & 1) {
			if (id_column(r, col[k], n, offs[k], 0, maxes[k], whats[k]) < 0)
				return -1;
		} else {
			for (j = 0; j < n; j++)
				*(uint32_t *)((char *)&r->edges[j] + offs[k]) = 0;
		}
	}
	*nedges = (size_t)n;
	return 0;
}

static int decode_coverage(struct es_reader *r, struct mpr *c)
{
	uint32_t n, i;
	int have_node = 0;

	memset(&r->cov, 0, sizeof(r->cov));
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed coverage record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen, m;
		int rc = 0;

		if (read_key(r, c, &k, &klen, ES_REC_COVERAGE) < 0)
			return -1;
		if (key_is(k, klen, "node")) {
			rc = get_u32(r, c, &r->cov.node, "coverage node");
			have_node = 1;
		} else if (key_is(k, klen, "ctx")) {
			rc = get_u32(r, c, &r->cov.ctx, "coverage ctx");
		} else if (key_is(k, klen, "method")) {
			rc = get_u32(r, c, &m, "coverage method");
			r->cov.method = m;
		} else if (key_is(k, klen, "start")) {
			rc = get_uint(r, c, &r->cov.start_ns, "coverage start");
		} else if (key_is(k, klen, "end")) {
			rc = get_uint(r, c, &r->cov.end_ns, "coverage end");
		} else if (mpr_skip(c) != MPR_OK) {
			return bad(r, "malformed coverage record");
		}
		if (rc < 0)
			return -1;
	}
	if (!have_node || r->cov.node == 0 || r->cov.node > r->nnodes)
		return bad(r, "coverage record refers to an undefined node");
	if (r->cov.ctx > r->nctxs)
		return bad(r, "coverage record refers to an undefined context");
	return 0;
}

static int decode_trailer(struct es_reader *r, struct mpr *c)
{
	struct es_trailer *t = &r->trailer;
	uint32_t n, i, nl = 0;
	int have_records = 0, have_edges = 0, have_losses = 0;

	memset(t, 0, sizeof(*t));
	strtab_reset(&r->lstrs);
	if (mpr_map(c, &n) != MPR_OK)
		return bad(r, "malformed trailer record");
	for (i = 0; i < n; i++) {
		const char *k;
		uint32_t klen;
		int rc = 0;

		if (read_key(r, c, &k, &klen, ES_REC_TRAILER) < 0)
			return -1;
		if (key_is(k, klen, "records")) {
			rc = get_uint(r, c, &t->records, "trailer records");
			have_records = 1;
		} else if (key_is(k, klen, "edges")) {
			rc = get_uint(r, c, &t->edges, "trailer edges");
			have_edges = 1;
		} else if (key_is(k, klen, "strings")) {
			rc = get_uint(r, c, &t->strings, "trailer strings");
		} else if (key_is(k, klen, "modules")) {
			rc = get_uint(r, c, &t->modules, "trailer modules");
		} else if (key_is(k, klen, "nodes")) {
			rc = get_uint(r, c, &t->nodes, "trailer nodes");
		} else if (key_is(k, klen, "losses")) {
			uint32_t j;
			void *p;

			if (have_losses)
				return bad(r, "malformed trailer: repeated key losses");
			have_losses = 1;
			if (mpr_map(c, &nl) != MPR_OK)
				return bad(r, "malformed trailer: losses is not a map");
			p = r->losses;
			if (mem_grow(&p, &r->losses_cap, nl ? nl : 1, sizeof(*r->losses)) < 0)
				goto nomem;
			r->losses = p;
			p = r->loss_ids;
			if (mem_grow(&p, &r->loss_ids_cap, nl ? nl : 1, sizeof(*r->loss_ids)) < 0)
				goto nomem;
			r->loss_ids = p;
			for (j = 0; j < nl; j++) {
				const char *s;
				uint32_t len;

				if (mpr_str(c, &s, &len) != MPR_OK || len > ES_STRING_MAX)
					return bad(r, "malformed trailer: loss name");
				r->loss_ids[j] = strtab_append(&r->lstrs, s, len);
				if (!r->loss_ids[j])
					goto nomem;
				if (mpr_uint(c, &r->losses[j].count) != MPR_OK)
					return bad(r, "malformed trailer: loss count");
			}
		} else if (mpr_skip(c) != MPR_OK) {
			return bad(r, "malformed trailer record");
		}
		if (rc < 0)
			return -1;
	}
	/* Names point into lstrs only now: appending may have moved its bytes. */
	for (i = 0; i < nl; i++)
		r->losses[i].name = strtab_get(&r->lstrs, r->loss_ids[i], NULL);
	t->losses = r->losses;
	t->nlosses = nl;
	if (!have_records || !have_edges)
		return bad(r, "malformed trailer: no record or edge count");
	if (t->records != r->seg_records) {
		char what[96];

		snprintf(what, sizeof(what), "%llu records, trailer says %llu",
		    (unsigned long long)r->seg_records, (unsigned long long)t->records);
		return bad(r, "corrupt stream: segment has %s", what);
	}
	if (t->edges != r->seg_edges) {
		char what[96];

		snprintf(what, sizeof(what), "%llu edges, trailer says %llu",
		    (unsigned long long)r->seg_edges, (unsigned long long)t->edges);
		return bad(r, "corrupt stream: segment has %s", what);
	}
	r->in_segment = 0;
	return 0;
nomem:
	tm_err_set(r->err, TM_EXIT_ENV, "%s: out of memory", r->name);
	return -1;
}

/*
 * Decode one complete record at [p, p + len). Returns 1 with an event,
 * 0 for a record that yields none (definitions, unknown types), -1 on error.
 */
static int decode_record(struct es_reader *r, const uint8_t *p, size_t len, struct es_event *ev)
{
	struct mpr c;
	uint32_t n, i;
	uint64_t type;

	mpr_init(&c, p, len);
	if (mpr_array(&c, &n) != MPR_OK || n < 2 || mpr_uint(&c, &type) != MPR_OK) {
		if (!r->segment)
			return bad(r, "not an edge stream (no header record)");
		return bad(r, "corrupt stream: malformed record");
	}
	if (!r->in_segment && type != ES_REC_HEADER) {
		if (!r->segment)
			return bad(r, "not an edge stream (no header record)");
		return bad(r, "corrupt stream: %s record after the trailer", record_name((unsigned)type));
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = 0;
	switch (type) {
	case ES_REC_HEADER:
		if (decode_header(r, &c) < 0)
			return -1;
		ev->kind = ES_EVENT_HEADER;
		ev->header = &r->header;
		break;
	case ES_REC_STRINGS:
		if (decode_strings(r, &c) < 0)
			return -1;
		break;
	case ES_REC_MODULE:
		if (decode_module(r, &c) < 0)
			return -1;
		ev->kind = ES_EVENT_MODULE;
		ev->id = (uint32_t)r->nmods;
		break;
	case ES_REC_NODES:
		if (decode_nodes(r, &c) < 0)
			return -1;
		break;
	case ES_REC_CONTEXT:
		if (decode_context(r, &c) < 0)
			return -1;
		break;
	case ES_REC_WINDOW:
		if (decode_window(r, &c) < 0)
			return -1;
		break;
	case ES_REC_EDGES:
		if (decode_edges(r, &c, &ev->nedges) < 0)
			return -1;
		r->seg_edges += ev->nedges;
		ev->kind = ES_EVENT_EDGES;
		ev->edges = r->edges;
		break;
	case ES_REC_COVERAGE:
		if (decode_coverage(r, &c) < 0)
			return -1;
		ev->kind = ES_EVENT_COVERAGE;
		ev->coverage = &r->cov;
		break;
	case ES_REC_TRAILER:
		if (decode_trailer(r, &c) < 0)
			return -1;
		ev->kind = ES_EVENT_TRAILER;
		ev->trailer = &r->trailer;
		return 1;	/* not counted: the trailer counts what precedes it */
	default:
		/* An unknown record type from a newer writer: skipped whole. */
		break;
	}
	/* Elements after the body are reserved for extensions; ignore them. */
	for (i = 2; i < n; i++)
		if (mpr_skip(&c) != MPR_OK)
			return bad(r, "corrupt stream: malformed record");
	r->seg_records++;
	return ev->kind ? 1 : 0;
}

int es_reader_next(struct es_reader *r, struct es_event *ev)
{
	if (r->err->code)
		return -1;
	if (r->stopped)
		return 0;
	for (;;) {
		int s;

		s = r->len > r->start ? mpr_scan(&r->scan, r->buf + r->start, r->len - r->start) :
		    MPR_SHORT;
		if (s == MPR_OK) {
			size_t reclen = r->scan.off;
			const uint8_t *rec = r->buf + r->start;
			int d;

			mpr_scan_init(&r->scan);

			if (reclen > r->max_record)
				return bad(r, "record of %zu bytes is larger than the %zu-byte limit",
				    reclen, r->max_record);

			r->start += reclen;
			d = decode_record(r, rec, reclen, ev);
			if (d != 0)
				return d;
			continue;
		}
		if (s == MPR_DEEP)
			return bad(r, "corrupt stream: msgpack nested too deeply");
		if (s == MPR_BAD)
			return bad(r, "%s", r->segment ? "corrupt stream: invalid msgpack" :
			    "not an edge stream (invalid msgpack)");
		/* Short: the record continues past the buffered bytes. */
		if (r->len - r->start > r->max_record) {
			char lim[32];

			snprintf(lim, sizeof(lim), "%zu", r->max_record);
			return bad(r, "record larger than the %s-byte limit", lim);
		}
		if (make_room(r) < 0)
			return -1;
		{
			long got = fill(r);

			if (got < 0)
				return -1;
			if (got > 0)
				continue;
		}
		/* End of input. */
		if (r->stopped)
			return 0;
		if (r->len > r->start)
			return truncated(r, "input ends inside a record") < 0 ? -1 : 0;
		if (!r->segment)
			return bad(r, "not an edge stream (no header record)");
		if (r->in_segment)
			return truncated(r, "segment ends without a trailer") < 0 ? -1 : 0;
		return 0;
	}
}

struct es_reader *es_reader_new(int fd, const char *name, const struct es_reader_opts *opts,
    struct tm_err *err)
{
	struct es_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		return NULL;
	}
	r->fd = fd;
	r->name = name;
	r->err = err;
	r->max_record = opts && opts->max_record ? opts->max_record : DEFAULT_MAX_RECORD;
	r->max_defs = opts && opts->max_defs ? opts->max_defs : DEFAULT_MAX_DEFS;
	r->allow_truncated = opts ? opts->allow_truncated : 0;
	strtab_init(&r->strs);
	strtab_init(&r->hstrs);
	strtab_init(&r->lstrs);
	r->zs = zs_new(fd, !(opts && opts->single_thread));
	mpr_scan_init(&r->scan);
	r->cap = INITIAL_BUF;
	r->buf = malloc(r->cap);
	if (!r->zs || !r->buf) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		es_reader_free(r);
		return NULL;
	}
	return r;
}

void es_reader_free(struct es_reader *r)
{
	if (!r)
		return;
	zs_free(r->zs);
	free(r->buf);
	free(r->edges);
	free(r->mods);
	mem_big_free(r->nodes, r->nodes_cap * sizeof(*r->nodes));
	free(r->ctxs);
	free(r->wins);
	free(r->params);
	free(r->param_ids);
	free(r->losses);
	free(r->loss_ids);
	strtab_free(&r->strs);
	strtab_free(&r->hstrs);
	strtab_free(&r->lstrs);
	free(r);
}

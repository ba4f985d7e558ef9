/*
 * test_stream.c - the edge stream writer and reader: round trips, segments,
 * determinism, forward compatibility, and hostile input (cuts, flips, sizes).
 */
#include <fcntl.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "esreader.h"
#include "eswriter.h"
#include "strtab.h"
#include "unit.h"

/* ---- helpers ---- */

struct buf {
	unsigned char *p;
	size_t len;
};

/* Everything written to a temporary file, read back into memory. */
static struct buf slurp(FILE *f)
{
	struct buf b = { NULL, 0 };
	long n;

	fflush(f);
	n = lseek(fileno(f), 0, SEEK_END);
	b.p = malloc((size_t)n + 1);
	b.len = (size_t)n;
	if (pread(fileno(f), b.p, (size_t)n, 0) != n)
		b.len = 0;
	return b;
}

/* A file descriptor holding bytes[0..len). */
static FILE *file_of(const void *bytes, size_t len)
{
	FILE *f = tmpfile();

	if (len)
		fwrite(bytes, 1, len, f);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	return f;
}

/* Write the sample segment; `reverse` interns values in the opposite order. */
static void write_sample(struct es_writer *w, int reverse, const char *host, int nedges)
{
	struct es_header h;
	struct es_param params[2] = { { "mode", "probe" }, { "freq", "99" } };
	struct es_module m1, m2;
	struct es_node n;
	struct es_context c;
	struct es_edge e;
	struct es_coverage cov;
	uint32_t mod1, mod2, main_n, parse_n, anon_n, ctx, win, site;
	int i;

	memset(&h, 0, sizeof(h));
	h.producer = "test_stream";
	h.host = host;
	h.source = "ebpf";
	h.start_ns = 1000;
	h.end_ns = 9000;
	h.params = params;
	h.nparams = 2;
	CHECK(es_writer_begin(w, &h) == 0);

	memset(&m1, 0, sizeof(m1));
	m1.name = "prog";
	m1.path = "/usr/bin/prog";
	m1.id_kind = ES_ID_GNU;
	m1.build_id_len = 4;
	memcpy(m1.build_id, "\x01\x02\x03\x04", 4);
	memset(&m2, 0, sizeof(m2));
	m2.name = "libc.so.6";
	if (reverse) {
		mod2 = es_writer_module(w, &m2);
		mod1 = es_writer_module(w, &m1);
		es_writer_cstring(w, "unused string");
	} else {
		mod1 = es_writer_module(w, &m1);
		mod2 = es_writer_module(w, &m2);
	}
	memset(&n, 0, sizeof(n));
	n.module = mod2;
	n.offset = 0x1a2b;
	anon_n = es_writer_node(w, &n);
	n.module = mod1;
	n.offset = 0;
	n.symbol = es_writer_cstring(w, reverse ? "parse" : "main");
	if (reverse)
		parse_n = es_writer_node(w, &n);
	else
		main_n = es_writer_node(w, &n);
	n.symbol = es_writer_cstring(w, reverse ? "main" : "parse");
	n.flags = reverse ? ES_NODE_ENTRY : ES_NODE_INDIRECT_SITE;
	if (reverse) {
		main_n = es_writer_node(w, &n);
		n.symbol = es_writer_cstring(w, "parse");
		n.flags = ES_NODE_INDIRECT_SITE;
		parse_n = es_writer_node(w, &n);
	} else {
		parse_n = es_writer_node(w, &n);
		n.symbol = es_writer_cstring(w, "main");
		n.flags = ES_NODE_ENTRY;
		main_n = es_writer_node(w, &n);
	}
	memset(&c, 0, sizeof(c));
	c.pid = 42;
	c.comm = es_writer_cstring(w, "prog");
	ctx = es_writer_context(w, &c);
	win = es_writer_window(w, 0, 5000);
	site = es_writer_cstring(w, "prog.c:12");

	for (i = 0; i < nedges; i++) {
		memset(&e, 0, sizeof(e));
		e.caller = i % 3 ? main_n : parse_n;
		e.callee = i % 3 ? parse_n : anon_n;
		e.count = (uint64_t)i + 1;
		e.first_ns = 1000 + (uint64_t)i;
		e.last_ns = 2000 + (uint64_t)i;
		e.ctx = i % 2 ? ctx : 0;
		e.window = i % 5 ? win : 0;
		e.evidence = ES_EV_EBPF_PROBE;
		e.confidence = 100;
		e.site = i == 7 ? site : 0;
		e.edge_class = i == 9 ? ES_CLASS_CONFIRMED : 0;
		e.conflict = i == 9 ? ES_CONFLICT_TAIL_CALL : 0;
		e.resolution = i == 9 ? ES_RES_EXPLAINED : 0;
		CHECK(es_writer_edge(w, &e) == 0);
	}
	memset(&cov, 0, sizeof(cov));
	cov.node = parse_n;
	cov.method = ES_COV_ENTRY_PROBE;
	cov.start_ns = 1000;
	cov.end_ns = 9000;
	CHECK(es_writer_coverage(w, &cov) == 0);
	CHECK(es_writer_loss(w, "ringbuf_full", 3) == 0);
	CHECK(es_writer_loss(w, "lru_evictions", 1) == 0);
	CHECK(es_writer_loss(w, "ringbuf_full", 2) == 0);
	CHECK(es_writer_end(w) == 0);
}

static struct buf sample_n(int reverse, int segments, int nedges)
{
	struct tm_err err = { 0, "" };
	FILE *f = tmpfile();
	struct es_writer *w = es_writer_new(fileno(f), "sample", NULL, &err);
	struct buf b;
	int i;

	for (i = 0; i < segments; i++)
		write_sample(w, reverse, i ? "host-b" : "host-a", nedges);
	CHECK(err.code == 0);
	es_writer_free(w);
	b = slurp(f);
	fclose(f);
	return b;
}

static struct buf sample_stream(int reverse, int segments)
{
	return sample_n(reverse, segments, 10000);
}

/* Decode in the caller's thread instead of with read-ahead (both are tested). */
static int single_thread;

/* Summary of a decoded stream, to compare two decodes. */
struct summary {
	int rc;
	int err_code;
	unsigned segments, trailers, coverage, modules;
	uint64_t edges, count_sum, first_sum, ctx_edges, win_edges;
	uint64_t name_hash;
	uint64_t losses_ringbuf;
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static struct summary decode(const void *bytes, size_t len, int allow_truncated, char *msg,
    size_t msgsize)
{
	struct es_reader_opts opts = { .allow_truncated = allow_truncated,
		.single_thread = single_thread };
	struct tm_err err = { 0, "" };
	struct summary s;
	FILE *f = file_of(bytes, len);
	struct es_reader *r = es_reader_new(fileno(f), "in.es", &opts, &err);
	struct es_event ev;
	char name[256];
	size_t i;

	memset(&s, 0, sizeof(s));
	s.name_hash = 0xcbf29ce484222325ull;
	while ((s.rc = es_reader_next(r, &ev)) > 0) {
		switch (ev.kind) {
		case ES_EVENT_HEADER:
			s.segments++;
			s.name_hash = fnv(s.name_hash, ev.header->host ? ev.header->host : "-");
			break;
		case ES_EVENT_MODULE:
			s.modules++;
			break;
		case ES_EVENT_EDGES:
			for (i = 0; i < ev.nedges; i++) {
				const struct es_edge *e = &ev.edges[i];

				s.edges++;
				s.count_sum += e->count;
				s.first_sum += e->first_ns;
				s.ctx_edges += e->ctx != 0;
				s.win_edges += e->window != 0;
				es_reader_node_name(r, e->caller, name, sizeof(name));
				s.name_hash = fnv(s.name_hash, name);
				es_reader_node_name(r, e->callee, name, sizeof(name));
				s.name_hash = fnv(s.name_hash, name);
			}
			break;
		case ES_EVENT_COVERAGE:
			s.coverage++;
			break;
		case ES_EVENT_TRAILER:
			s.trailers++;
			for (i = 0; i < ev.trailer->nlosses; i++)
				if (strcmp(ev.trailer->losses[i].name, "ringbuf_full") == 0)
					s.losses_ringbuf += ev.trailer->losses[i].count;
			break;
		}
	}
	s.err_code = err.code;
	if (msg)
		snprintf(msg, msgsize, "%s", err.msg);
	es_reader_free(r);
	fclose(f);
	return s;
}

/* Compress raw msgpack bytes into one zstd frame with a checksum. */
static struct buf compress(const void *raw, size_t len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	struct buf b;

	b.p = malloc(ZSTD_compressBound(len));
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	b.len = ZSTD_compress2(c, b.p, ZSTD_compressBound(len), raw, len);
	ZSTD_freeCCtx(c);
	return b;
}

static struct buf decompress(const struct buf *in)
{
	struct buf b;
	unsigned long long n = ZSTD_getFrameContentSize(in->p, in->len);
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in->p, in->len, 0 };
	size_t cap = 1 << 20;

	(void)n;
	b.p = malloc(cap);
	b.len = 0;
	while (ib.pos < ib.size) {
		ZSTD_outBuffer ob = { b.p, cap, b.len };

		if (ZSTD_isError(ZSTD_decompressStream(d, &ob, &ib)))
			break;
		b.len = ob.pos;
		if (b.len == cap) {
			cap *= 2;
			b.p = realloc(b.p, cap);
		}
	}
	ZSTD_freeDStream(d);
	return b;
}

/* ---- tests ---- */

static void test_round_trip(void)
{
	struct buf b = sample_stream(0, 1);
	struct summary s = decode(b.p, b.len, 0, NULL, 0);

	CHECK_EQ_U64(s.rc, 0);
	CHECK_EQ_U64(s.segments, 1);
	CHECK_EQ_U64(s.trailers, 1);
	CHECK_EQ_U64(s.edges, 10000);
	CHECK_EQ_U64(s.count_sum, 10000ull * 10001 / 2);
	CHECK_EQ_U64(s.ctx_edges, 5000);
	CHECK_EQ_U64(s.win_edges, 8000);
	CHECK_EQ_U64(s.coverage, 1);
	CHECK_EQ_U64(s.modules, 2);
	CHECK_EQ_U64(s.losses_ringbuf, 5);
	free(b.p);
}

static void test_fields(void)
{
	struct buf b = sample_stream(0, 1);
	struct es_reader_opts opts = { .max_record = 0 };
	struct tm_err err = { 0, "" };
	FILE *f = file_of(b.p, b.len);
	struct es_reader *r = es_reader_new(fileno(f), "in.es", &opts, &err);
	struct es_event ev;
	char name[128];
	int seen_edge7 = 0, seen_edge9 = 0;
	uint64_t base = 0;

	while (es_reader_next(r, &ev) > 0) {
		size_t i;

		if (ev.kind == ES_EVENT_HEADER) {
			CHECK_STR(ev.header->producer, "test_stream");
			CHECK_STR(ev.header->source, "ebpf");
			CHECK_EQ_U64(ev.header->nparams, 2);
			/* Parameters are sorted by key. */
			CHECK_STR(ev.header->params[0].key, "freq");
			CHECK_STR(ev.header->params[1].value, "probe");
			CHECK_EQ_U64(ev.header->start_ns, 1000);
		}
		if (ev.kind == ES_EVENT_TRAILER) {
			CHECK_EQ_U64(ev.trailer->nlosses, 2);
			CHECK_STR(ev.trailer->losses[0].name, "lru_evictions");
			CHECK_EQ_U64(ev.trailer->losses[1].count, 5);
		}
		if (ev.kind == ES_EVENT_COVERAGE) {
			es_reader_node_name(r, ev.coverage->node, name, sizeof(name));
			CHECK_STR(name, "prog!parse");
			CHECK_EQ_U64(ev.coverage->method, ES_COV_ENTRY_PROBE);
		}
		if (ev.kind != ES_EVENT_EDGES)
			continue;
		for (i = 0; i < ev.nedges; i++, base++) {
			const struct es_edge *e = &ev.edges[i];

			if (base == 0) {
				es_reader_node_name(r, e->callee, name, sizeof(name));
				CHECK_STR(name, "libc.so.6+0x1a2b");
				es_reader_node_name(r, e->caller, name, sizeof(name));
				CHECK_STR(name, "prog!parse");
				CHECK(es_reader_node(r, e->caller)->flags == ES_NODE_INDIRECT_SITE);
			}
			if (base == 7) {
				const struct es_context *c = es_reader_context(r, e->ctx);
				const struct es_window *w = es_reader_window(r, e->window);
				struct es_module m;

				CHECK_STR(es_reader_string(r, e->site, NULL), "prog.c:12");
				CHECK(c && c->pid == 42);
				CHECK_STR(es_reader_string(r, c->comm, NULL), "prog");
				CHECK(w && w->end_ns == 5000);
				CHECK(es_reader_module(r, es_reader_node(r, e->caller)->module, &m) == 0);
				CHECK_STR(m.path, "/usr/bin/prog");
				CHECK_EQ_U64(m.build_id_len, 4);
				CHECK(memcmp(m.build_id, "\x01\x02\x03\x04", 4) == 0);
				CHECK_EQ_U64(e->confidence, 100);
				CHECK_EQ_U64(e->evidence, ES_EV_EBPF_PROBE);
				seen_edge7 = 1;
			}
			if (base == 9) {
				CHECK_EQ_U64(e->edge_class, ES_CLASS_CONFIRMED);
				CHECK_EQ_U64(e->conflict, ES_CONFLICT_TAIL_CALL);
				CHECK_EQ_U64(e->resolution, ES_RES_EXPLAINED);
				CHECK_STR(es_conflict_name(e->conflict), "tail-call");
				CHECK_STR(es_resolution_name(e->resolution), "explained");
				CHECK(es_conflict_from_name("unobservable", 12) == ES_CONFLICT_UNOBSERVABLE);
				CHECK(es_resolution_from_name("resolution9", 11) == 9);
				seen_edge9 = 1;
			} else {
				CHECK(e->conflict == 0 && e->resolution == 0);
			}
		}
	}
	CHECK(err.code == 0);
	CHECK(seen_edge7 && seen_edge9);
	es_reader_free(r);
	fclose(f);
	free(b.p);
}

static void test_deterministic(void)
{
	struct buf a = sample_stream(0, 2), b = sample_stream(0, 2), c = sample_stream(1, 2);

	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	/* Interning order does not matter: definitions follow first use. */
	CHECK(a.len == c.len && memcmp(a.p, c.p, a.len) == 0);
	free(a.p);
	free(b.p);
	free(c.p);
}

static void test_concatenation(void)
{
	struct buf one = sample_stream(0, 1), two = sample_stream(0, 2);
	unsigned char *cat = malloc(2 * one.len);
	struct summary s;

	memcpy(cat, one.p, one.len);
	memcpy(cat + one.len, one.p, one.len);
	s = decode(cat, 2 * one.len, 0, NULL, 0);
	CHECK_EQ_U64(s.rc, 0);
	CHECK_EQ_U64(s.segments, 2);
	CHECK_EQ_U64(s.edges, 20000);
	/* Two segments written by one writer decode the same way. */
	s = decode(two.p, two.len, 0, NULL, 0);
	CHECK_EQ_U64(s.segments, 2);
	CHECK_EQ_U64(s.edges, 20000);
	free(cat);
	free(one.p);
	free(two.p);
}

static void test_readable_by_msgpack_c(void)
{
	struct buf b = sample_stream(0, 1), raw = decompress(&b);
	msgpack_unpacked u;
	size_t off = 0;
	int records = 0, ok = 1;

	msgpack_unpacked_init(&u);
	while (msgpack_unpack_next(&u, (const char *)raw.p, raw.len, &off) == MSGPACK_UNPACK_SUCCESS) {
		msgpack_object o = u.data;

		if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size < 2 ||
		    o.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o.via.array.ptr[1].type != MSGPACK_OBJECT_MAP)
			ok = 0;
		records++;
	}
	CHECK(ok);
	CHECK(off == raw.len);
	CHECK(records > 5);
	msgpack_unpacked_destroy(&u);
	free(raw.p);
	free(b.p);
}

static void test_cut_everywhere(void)
{
	struct buf b = sample_n(0, 1, 300);
	size_t cut;
	int silent = 0, wrong_code = 0;

	for (cut = 0; cut < b.len; cut++) {
		struct summary s = decode(b.p, cut, 0, NULL, 0);

		if (s.rc == 0)
			silent++;
		if (s.rc < 0 && s.err_code != 3)
			wrong_code++;
	}
	CHECK_EQ_U64(silent, 0);
	CHECK_EQ_U64(wrong_code, 0);
	free(b.p);
}

static void test_flips(void)
{
	struct buf b = sample_n(0, 1, 300);
	struct summary ref = decode(b.p, b.len, 0, NULL, 0);
	uint64_t seed = 12345;
	int i, errors = 0, same = 0, differ = 0;

	for (i = 0; i < 2000; i++) {
		size_t pos;
		unsigned char old;
		struct summary s;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		pos = (size_t)(seed >> 33) % b.len;
		old = b.p[pos];
		b.p[pos] ^= (unsigned char)(1u << ((seed >> 20) & 7));
		s = decode(b.p, b.len, 0, NULL, 0);
		if (s.rc < 0)
			errors += s.err_code == 3;
		else if (memcmp(&s, &ref, sizeof(s)) == 0)
			same++;		/* e.g. a flip in an unused zstd header bit */
		else
			differ++;
		b.p[pos] = old;
	}
	/* A flip is either detected or harmless; it never changes data silently. */
	CHECK_EQ_U64(differ, 0);
	CHECK(errors > 1900);
	free(b.p);
}

static void test_allow_truncated(void)
{
	struct buf b = sample_stream(0, 1);
	struct summary s = decode(b.p, b.len * 3 / 4, 1, NULL, 0);
	struct summary strict = decode(b.p, b.len * 3 / 4, 0, NULL, 0);

	CHECK_EQ_U64(s.rc, 0);
	CHECK(s.edges > 0 && s.edges < 10000);
	CHECK_EQ_U64(s.trailers, 0);
	CHECK(strict.rc < 0 && strict.err_code == 3);
	free(b.p);
}

/* Build a raw stream from msgpack records packed by fn, compressed. */
static struct buf craft(void (*fn)(msgpack_packer *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct buf b;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	fn(&pk);
	b = compress(sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return b;
}

static void key(msgpack_packer *pk, const char *k)
{
	msgpack_pack_str(pk, strlen(k));
	msgpack_pack_str_body(pk, k, strlen(k));
}

static void header(msgpack_packer *pk, unsigned major, int extra_key)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_HEADER);
	msgpack_pack_map(pk, 4 + !!extra_key);
	key(pk, "format");
	key(pk, ES_FORMAT_NAME);
	key(pk, "major");
	msgpack_pack_uint8(pk, (uint8_t)major);
	key(pk, "minor");
	msgpack_pack_uint8(pk, 7);
	key(pk, "producer");
	key(pk, "crafted");
	if (extra_key) {
		key(pk, "future");
		msgpack_pack_array(pk, 1);
		msgpack_pack_nil(pk);
	}
}

static void trailer(msgpack_packer *pk, unsigned records, unsigned edges)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_TRAILER);
	msgpack_pack_map(pk, 2);
	key(pk, "records");
	msgpack_pack_uint32(pk, records);
	key(pk, "edges");
	msgpack_pack_uint32(pk, edges);
}

/* One edge between two nodes, with an unknown record type and column. */
static void future_stream(msgpack_packer *pk)
{
	static const unsigned char one[4] = { 1, 0, 0, 0 }, two[4] = { 2, 0, 0, 0 };
	static const unsigned char cnt[8] = { 9 }, zero8[8] = { 0 };

	header(pk, 1, 1);
	msgpack_pack_array(pk, 2);		/* strings */
	msgpack_pack_uint8(pk, ES_REC_STRINGS);
	msgpack_pack_map(pk, 2);
	key(pk, "base");
	msgpack_pack_uint8(pk, 1);
	key(pk, "s");
	msgpack_pack_array(pk, 3);
	key(pk, "mod");
	key(pk, "f");
	key(pk, "g");
	msgpack_pack_array(pk, 3);		/* module, with an extra envelope element */
	msgpack_pack_uint8(pk, ES_REC_MODULE);
	msgpack_pack_map(pk, 2);
	key(pk, "id");
	msgpack_pack_uint8(pk, 1);
	key(pk, "name");
	msgpack_pack_uint8(pk, 1);
	msgpack_pack_true(pk);
	msgpack_pack_array(pk, 2);		/* a record type from the future */
	msgpack_pack_uint8(pk, 99);
	msgpack_pack_map(pk, 1);
	key(pk, "x");
	msgpack_pack_uint8(pk, 1);
	msgpack_pack_array(pk, 2);		/* nodes */
	msgpack_pack_uint8(pk, ES_REC_NODES);
	msgpack_pack_map(pk, 3);
	key(pk, "base");
	msgpack_pack_uint8(pk, 1);
	key(pk, "module");
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, 1);
	msgpack_pack_uint8(pk, 1);
	key(pk, "symbol");
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, 2);
	msgpack_pack_uint8(pk, 3);
	msgpack_pack_array(pk, 2);		/* one edge, plus an unknown column */
	msgpack_pack_uint8(pk, ES_REC_EDGES);
	msgpack_pack_map(pk, 7);
	key(pk, "n");
	msgpack_pack_uint8(pk, 1);
	key(pk, "caller");
	msgpack_pack_bin(pk, 4);
	msgpack_pack_bin_body(pk, one, 4);
	key(pk, "callee");
	msgpack_pack_bin(pk, 4);
	msgpack_pack_bin_body(pk, two, 4);
	key(pk, "count");
	msgpack_pack_bin(pk, 8);
	msgpack_pack_bin_body(pk, cnt, 8);
	key(pk, "first");
	msgpack_pack_bin(pk, 8);
	msgpack_pack_bin_body(pk, zero8, 8);
	key(pk, "last");
	msgpack_pack_bin(pk, 8);
	msgpack_pack_bin_body(pk, zero8, 8);
	key(pk, "weight");
	msgpack_pack_bin(pk, 2);
	msgpack_pack_bin_body(pk, "xy", 2);
	trailer(pk, 6, 1);
}

static void test_forward_compatible(void)
{
	struct buf b = craft(future_stream);
	char msg[512];
	struct summary s = decode(b.p, b.len, 0, msg, sizeof(msg));

	CHECK_EQ_U64(s.rc, 0);
	CHECK_EQ_U64(s.edges, 1);
	CHECK_EQ_U64(s.count_sum, 9);
	if (s.rc)
		fprintf(stderr, "  %s\n", msg);
	free(b.p);
}

static void v2_stream(msgpack_packer *pk)
{
	header(pk, 2, 0);
	trailer(pk, 1, 0);
}

static void no_header_stream(msgpack_packer *pk)
{
	trailer(pk, 0, 0);
}

static void bad_count_stream(msgpack_packer *pk)
{
	header(pk, 1, 0);
	trailer(pk, 1, 5);
}

static void huge_array_stream(msgpack_packer *pk)
{
	header(pk, 1, 0);
	/* An array claiming 2^32-1 elements, with nothing behind it. */
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_STRINGS);
	msgpack_pack_map(pk, 2);
	key(pk, "base");
	msgpack_pack_uint8(pk, 1);
	key(pk, "s");
	msgpack_pack_array(pk, 0xffffffffu);
}

static void huge_string_stream(msgpack_packer *pk)
{
	header(pk, 1, 0);
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_STRINGS);
	msgpack_pack_map(pk, 2);
	key(pk, "base");
	msgpack_pack_uint8(pk, 1);
	key(pk, "s");
	msgpack_pack_array(pk, 1);
	msgpack_pack_str(pk, 0xfffffff0u);	/* 4 GiB declared, 3 bytes present */
	msgpack_pack_str_body(pk, "abc", 3);
}

static void deep_stream(msgpack_packer *pk)
{
	int i;

	header(pk, 1, 0);
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, 99);
	for (i = 0; i < 100000; i++)
		msgpack_pack_array(pk, 1);
	msgpack_pack_nil(pk);
}

static void undefined_id_stream(msgpack_packer *pk)
{
	header(pk, 1, 0);
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_MODULE);
	msgpack_pack_map(pk, 2);
	key(pk, "id");
	msgpack_pack_uint8(pk, 1);
	key(pk, "name");
	msgpack_pack_uint8(pk, 7);	/* no string 7 */
	trailer(pk, 2, 0);
}

/* Found by fuzz_stream: the second "losses" map leaked the first one's ids. */
static void repeated_losses_stream(msgpack_packer *pk)
{
	int i;

	header(pk, 1, 0);
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint8(pk, ES_REC_TRAILER);
	msgpack_pack_map(pk, 4);
	key(pk, "records");
	msgpack_pack_uint8(pk, 1);
	key(pk, "edges");
	msgpack_pack_uint8(pk, 0);
	for (i = 0; i < 2; i++) {
		key(pk, "losses");
		msgpack_pack_map(pk, 1);
		key(pk, "ringbuf_full");
		msgpack_pack_uint8(pk, 3);
	}
}

static void expect_error(void (*fn)(msgpack_packer *), const char *needle)
{
	struct buf b = craft(fn);
	char msg[512];
	struct summary s = decode(b.p, b.len, 0, msg, sizeof(msg));

	CHECK(s.rc < 0);
	CHECK_EQ_U64(s.err_code, 3);
	if (!strstr(msg, needle)) {
		fprintf(stderr, "  expected \"%s\" in \"%s\"\n", needle, msg);
		CHECK(0);
	}
	free(b.p);
}

static void test_bad_inputs(void)
{
	static const char text[] = "hello, this is not a stream\n";
	static const unsigned char zero[1] = { 0 };
	struct buf z = compress(text, sizeof(text) - 1);
	char msg[512];
	struct summary s;

	expect_error(v2_stream, "unsupported format version 2.7");
	expect_error(no_header_stream, "no header");
	expect_error(bad_count_stream, "trailer says 5");
	expect_error(huge_array_stream, "truncated");
	expect_error(huge_string_stream, "truncated");
	expect_error(deep_stream, "nested too deeply");
	expect_error(undefined_id_stream, "undefined string id");
	expect_error(repeated_losses_stream, "repeated key losses");

	s = decode("", 0, 0, msg, sizeof(msg));
	CHECK(s.rc < 0 && s.err_code == 3 && strstr(msg, "empty input"));
	s = decode(text, sizeof(text) - 1, 0, msg, sizeof(msg));
	CHECK(s.rc < 0 && s.err_code == 3 && strstr(msg, "not an edge stream"));
	s = decode(zero, 1, 0, msg, sizeof(msg));
	CHECK(s.rc < 0 && s.err_code == 3);
	s = decode(z.p, z.len, 0, msg, sizeof(msg));
	CHECK(s.rc < 0 && s.err_code == 3 && strstr(msg, "not an edge stream"));
	CHECK(strncmp(msg, "in.es: ", 7) == 0);
	free(z.p);
}

static void test_record_limit(void)
{
	/* A valid string record larger than a small limit is refused, bounded. */
	struct tm_err err = { 0, "" };
	struct es_reader_opts opts = { .max_record = 1 << 16 };
	FILE *f = tmpfile();
	struct es_writer *w = es_writer_new(fileno(f), "big", NULL, &err);
	struct es_header h;
	struct es_reader *r;
	struct es_event ev;
	struct es_node n;
	struct es_module m;
	struct es_edge e;
	static char big[200000];
	struct buf b;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(&m, 0, sizeof(m));
	memset(&n, 0, sizeof(n));
	memset(&e, 0, sizeof(e));
	memset(big, 'x', sizeof(big) - 1);
	h.producer = "t";
	es_writer_begin(w, &h);
	m.name = "m";
	n.module = es_writer_module(w, &m);
	n.symbol = es_writer_cstring(w, big);
	e.caller = e.callee = es_writer_node(w, &n);
	es_writer_edge(w, &e);
	es_writer_end(w);
	es_writer_free(w);
	b = slurp(f);
	fclose(f);
	f = file_of(b.p, b.len);
	r = es_reader_new(fileno(f), "big", &opts, &err);
	while ((rc = es_reader_next(r, &ev)) > 0)
		;
	CHECK(rc < 0);
	CHECK(strstr(err.msg, "larger than") != NULL);
	es_reader_free(r);
	fclose(f);
	free(b.p);
}

static void test_build_id_forms(void)
{
	uint8_t pe[20], back[ES_BUILD_ID_MAX];
	char buf[2 * ES_BUILD_ID_MAX + 1];
	int i, n;

	/* GUID {1B2C3D4E-5F60-7182-93A4-B5C6D7E8F901}, age 2, as stored in RSDS. */
	static const uint8_t guid[16] = { 0x4e, 0x3d, 0x2c, 0x1b, 0x60, 0x5f, 0x82, 0x71,
		0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9, 0x01 };
	memcpy(pe, guid, 16);
	pe[16] = 2;
	pe[17] = pe[18] = pe[19] = 0;
	es_build_id_format(ES_ID_PE_RSDS, pe, 20, buf, sizeof(buf));
	CHECK_STR(buf, "1B2C3D4E5F60718293A4B5C6D7E8F9012");
	n = es_build_id_parse(ES_ID_PE_RSDS, buf, strlen(buf), back);
	CHECK_EQ_U64(n, 20);
	CHECK(memcmp(back, pe, 20) == 0);
	for (i = 0; i < 20; i++)
		pe[i] = (uint8_t)(i * 13);
	es_build_id_format(ES_ID_GNU, pe, 20, buf, sizeof(buf));
	CHECK_EQ_U64(strlen(buf), 40);
	n = es_build_id_parse(ES_ID_GNU, buf, 40, back);
	CHECK(n == 20 && memcmp(back, pe, 20) == 0);
	CHECK(es_build_id_parse(ES_ID_GNU, "abc", 3, back) < 0);
	CHECK(es_build_id_parse(ES_ID_GNU, "AB", 2, back) < 0);
}

static void test_writer_rejects(void)
{
	struct tm_err err = { 0, "" };
	FILE *f = tmpfile();
	struct es_writer *w = es_writer_new(fileno(f), "w", NULL, &err);
	struct es_header h;
	struct es_edge e;
	struct es_module m;

	memset(&h, 0, sizeof(h));
	memset(&e, 0, sizeof(e));
	memset(&m, 0, sizeof(m));
	CHECK(es_writer_module(w, &m) == 0);	/* no name */
	CHECK(err.code == TM_EXIT_DATA);
	tm_err_clear(&err);
	h.producer = "t";
	CHECK(es_writer_begin(w, &h) == 0);
	e.caller = 5;				/* no such node */
	CHECK(es_writer_edge(w, &e) < 0);
	es_writer_free(w);
	fclose(f);
}

/*
 * A stream of several MiB (many hand-overs to the compressor thread, two
 * segments, a flush) written with and without opts.async.
 */
static struct buf big_stream(int async, int fd_out)
{
	struct tm_err err = { 0, "" };
	struct es_writer_opts o = { .async = async };
	FILE *f = fd_out < 0 ? tmpfile() : NULL;
	struct es_writer *w = es_writer_new(f ? fileno(f) : fd_out, "async", &o, &err);
	struct es_header h;
	struct es_module m;
	struct es_node n;
	struct es_edge e;
	struct buf b = { NULL, 0 };
	char sym[64];
	int seg, i, rc = 0;

	memset(&h, 0, sizeof(h));
	memset(&m, 0, sizeof(m));
	h.producer = "t";
	m.name = "m";
	for (seg = 0; seg < 2 && rc == 0; seg++) {
		rc |= es_writer_begin(w, &h);
		for (i = 0; i < 200000 && rc == 0; i++) {
			memset(&n, 0, sizeof(n));
			memset(&e, 0, sizeof(e));
			n.module = es_writer_module(w, &m);
			snprintf(sym, sizeof(sym), "fn_%d_%x", i, (unsigned)(i * 2654435761u));
			n.symbol = es_writer_cstring(w, sym);
			e.caller = es_writer_node(w, &n);
			n.symbol = es_writer_cstring(w, sym + 1);
			e.callee = es_writer_node(w, &n);
			e.count = (uint64_t)i * 7 + 1;
			e.first_ns = (uint64_t)i * 1000003;
			e.last_ns = e.first_ns + 5;
			rc |= es_writer_edge(w, &e);
			if (i == 100000)
				rc |= es_writer_flush(w);
		}
		rc |= es_writer_end(w);
	}
	if (fd_out >= 0) {
		/* The write error, whichever call it surfaced at. */
		CHECK(rc < 0 && err.code == TM_EXIT_ENV && strstr(err.msg, "write error"));
	} else {
		CHECK(rc == 0 && err.code == 0);
	}
	es_writer_free(w);
	if (f) {
		b = slurp(f);
		fclose(f);
	}
	return b;
}

static void test_async_same_bytes(void)
{
	struct buf a = big_stream(0, -1), b = big_stream(1, -1);
	int fd = open("/dev/full", O_WRONLY);

	CHECK(a.len > (1u << 20) && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	free(a.p);
	free(b.p);
	if (fd >= 0) {
		big_stream(1, fd);
		close(fd);
	}
}

/*
 * A writer that borrowed a string table writes the same bytes as one that
 * interned the strings itself, whatever the table holds besides them, and
 * strings it is given later find the table's or get new handles; it refuses
 * to borrow once something was interned, and refuses an over-long string in
 * the table.
 */
static struct buf borrowed_stream(const struct strtab *t)
{
	struct tm_err err = { 0, "" };
	FILE *f = tmpfile();
	struct es_writer *w = es_writer_new(fileno(f), "borrow", NULL, &err);
	struct es_header h;
	struct es_module m;
	struct es_node n;
	struct es_edge e;
	struct buf b;
	uint32_t i;

	memset(&h, 0, sizeof(h));
	memset(&m, 0, sizeof(m));
	h.producer = "t";
	m.name = "libm.so";
	if (t) {
		CHECK(es_writer_borrow_strings(w, t) == 0);
		CHECK(es_writer_cstring(w, "fn_5") == strtab_find(t, "fn_5", 4));
	}
	CHECK(es_writer_begin(w, &h) == 0);
	for (i = 0; i < 1000; i++) {
		char sym[32];

		memset(&n, 0, sizeof(n));
		memset(&e, 0, sizeof(e));
		snprintf(sym, sizeof(sym), "fn_%u", i);
		n.module = es_writer_module(w, &m);
		n.symbol = t ? strtab_find(t, sym, strlen(sym)) : es_writer_cstring(w, sym);
		e.caller = es_writer_node(w, &n);
		snprintf(sym, sizeof(sym), "fn_%u", (i * 7) % 1000);
		n.symbol = t ? strtab_find(t, sym, strlen(sym)) : es_writer_cstring(w, sym);
		e.callee = es_writer_node(w, &n);
		e.count = i + 1;
		CHECK(es_writer_edge(w, &e) == 0);
	}
	CHECK(es_writer_end(w) == 0 && err.code == 0);
	es_writer_free(w);
	b = slurp(f);
	fclose(f);
	return b;
}

static void test_writer_borrows_strings(void)
{
	struct tm_err err = { 0, "" };
	struct strtab t;
	struct buf a, b;
	struct es_writer *w;
	char sym[32], *big;
	uint32_t i;

	strtab_init(&t);
	/* Strings the segment never uses, before and among the used ones. */
	CHECK(strtab_intern(&t, "unused", 6) == 1);
	for (i = 1000; i-- > 0;) {
		snprintf(sym, sizeof(sym), "fn_%u", i);
		CHECK(strtab_intern(&t, sym, strlen(sym)) != 0);
		if (i % 100 == 0)
			CHECK(strtab_intern(&t, sym + 1, strlen(sym + 1)) != 0);
	}
	a = borrowed_stream(NULL);
	b = borrowed_stream(&t);
	CHECK(a.len > 0 && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	free(a.p);
	free(b.p);

	w = es_writer_new(-1, "borrow", NULL, &err);
	CHECK(es_writer_cstring(w, "x") != 0);
	CHECK(es_writer_borrow_strings(w, &t) < 0 && strstr(err.msg, "after interning"));
	es_writer_free(w);

	tm_err_clear(&err);
	big = calloc(1, (size_t)ES_STRING_MAX + 2);
	memset(big, 'a', (size_t)ES_STRING_MAX + 1);
	CHECK(strtab_intern(&t, big, (size_t)ES_STRING_MAX + 1) != 0);
	w = es_writer_new(-1, "borrow", NULL, &err);
	CHECK(es_writer_borrow_strings(w, &t) < 0 && err.code == TM_EXIT_DATA &&
	    strstr(err.msg, "exceeds"));
	es_writer_free(w);
	free(big);
	strtab_free(&t);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_fields);
	RUN(test_deterministic);
	RUN(test_concatenation);
	RUN(test_readable_by_msgpack_c);
	RUN(test_cut_everywhere);
	RUN(test_flips);
	single_thread = 1;
	RUN(test_cut_everywhere);
	RUN(test_flips);
	RUN(test_round_trip);
	RUN(test_bad_inputs);
	single_thread = 0;
	RUN(test_allow_truncated);
	RUN(test_forward_compatible);
	RUN(test_bad_inputs);
	RUN(test_record_limit);
	RUN(test_build_id_forms);
	RUN(test_writer_rejects);
	RUN(test_async_same_bytes);
	RUN(test_writer_borrows_strings);
	UNIT_END();
}

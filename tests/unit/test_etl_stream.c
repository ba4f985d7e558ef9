/*
 * test_etl_stream.c - the pieces of etw-capture around the decoder: PE
 * identity from image files, real-time records into the edge builder (the
 * live path, fed here with the events a session delivers), the symbolizer
 * hook, the computer name, and the stream written from it all, read back.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "esreader.h"
#include "eswriter.h"
#include "etl_live.h"
#include "etl_stream.h"
#include "pe_ident.h"

/* ---- little-endian builders --------------------------------------------- */

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put(struct buf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b->b[b->n++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void put_str8(struct buf *b, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(b->b + b->n, s, n);
	b->n += n;
}

static void put_str16(struct buf *b, const char *s)
{
	for (; *s; s++)
		put(b, (unsigned char)*s, 2);
	put(b, 0, 2);
}

static void guid_bytes(uint8_t out[16], uint32_t d1, uint16_t d2, uint16_t d3, uint64_t d4)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(d1 >> (8 * i));
	out[4] = (uint8_t)d2;
	out[5] = (uint8_t)(d2 >> 8);
	out[6] = (uint8_t)d3;
	out[7] = (uint8_t)(d3 >> 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(d4 >> (56 - 8 * i));
}

/* ---- PE identity ----------------------------------------------------------- */

/* A minimal PE32+ image: one section holding the debug directory and RSDS. */
static size_t make_pe(uint8_t *p, size_t cap, int with_rsds)
{
	const uint32_t lfanew = 0x80, opt = lfanew + 24, optsize = 240, sect = opt + optsize;
	const uint32_t raw = 0x200, va = 0x1000;

	memset(p, 0, cap);
	p[0] = 'M';
	p[1] = 'Z';
	memcpy(p + 0x3C, &lfanew, 4);
	memcpy(p + lfanew, "PE\0\0", 4);
	p[lfanew + 4] = 0x64;			/* AMD64 */
	p[lfanew + 5] = 0x86;
	p[lfanew + 6] = 1;			/* one section */
	uint32_t tds = 0x5f1f0000;
	memcpy(p + lfanew + 8, &tds, 4);
	p[lfanew + 20] = (uint8_t)optsize;
	p[opt] = 0x0B;				/* PE32+ */
	p[opt + 1] = 0x02;
	uint32_t soi = 0x3000, ndirs = 16, dbg_rva = va, dbg_size = 28;
	memcpy(p + opt + 56, &soi, 4);
	memcpy(p + opt + 108, &ndirs, 4);
	memcpy(p + opt + 112 + 6 * 8, &dbg_rva, 4);
	memcpy(p + opt + 112 + 6 * 8 + 4, &dbg_size, 4);
	memcpy(p + sect, ".rdata\0\0", 8);
	uint32_t vsize = 0x100, rawsize = 0x200;
	memcpy(p + sect + 8, &vsize, 4);
	memcpy(p + sect + 12, &va, 4);
	memcpy(p + sect + 16, &rawsize, 4);
	memcpy(p + sect + 20, &raw, 4);
	/* IMAGE_DEBUG_DIRECTORY: type 2 (CODEVIEW), data at raw + 0x40. */
	uint32_t type = with_rsds ? 2 : 4, cvsize = 24 + 10, cvraw = raw + 0x40;
	memcpy(p + raw + 12, &type, 4);
	memcpy(p + raw + 16, &cvsize, 4);
	memcpy(p + raw + 24, &cvraw, 4);
	memcpy(p + cvraw, "RSDS", 4);
	for (int i = 0; i < 16; i++)
		p[cvraw + 4 + i] = (uint8_t)(0xA0 + i);
	p[cvraw + 20] = 7;			/* age */
	memcpy(p + cvraw + 24, "test.pdb", 9);
	return raw + rawsize;
}

static void test_pe_synthetic(void)
{
	uint8_t pe[0x400];
	struct pe_ident id;
	size_t len = make_pe(pe, sizeof pe, 1);

	CHECK_EQ_U64(pe_ident_mem(pe, len, &id), ETL_OK);
	CHECK(id.has_rsds);
	CHECK_EQ_U64(id.guid[0], 0xA0);
	CHECK_EQ_U64(id.guid[15], 0xAF);
	CHECK_EQ_U64(id.age, 7);
	CHECK_STR(id.pdb_name, "test.pdb");
	CHECK_EQ_U64(id.time_date_stamp, 0x5f1f0000);
	CHECK_EQ_U64(id.size_of_image, 0x3000);

	len = make_pe(pe, sizeof pe, 0);
	CHECK_EQ_U64(pe_ident_mem(pe, len, &id), ETL_OK);
	CHECK(!id.has_rsds);

	/* Every truncation, and hostile offsets: an error or no RSDS, never a crash. */
	len = make_pe(pe, sizeof pe, 1);
	for (size_t n = 0; n < len; n++) {
		int rc = pe_ident_mem(pe, n, &id);
		CHECK(rc == ETL_OK || rc == ETL_ECORRUPT || rc == ETL_EFORMAT);
		if (n < 0x240 + 24)
			CHECK(!id.has_rsds);
	}
	uint8_t bad[0x400];
	memcpy(bad, pe, sizeof bad);
	bad[0x3C + 3] = 0x7f;			/* e_lfanew far away */
	CHECK_EQ_U64(pe_ident_mem(bad, len, &id), ETL_ECORRUPT);
	memcpy(bad, pe, sizeof bad);
	bad[0x80 + 24 + 112 + 6 * 8 + 1] = 0x70;	/* debug directory outside every section */
	CHECK_EQ_U64(pe_ident_mem(bad, len, &id), ETL_ECORRUPT);
	memcpy(bad, pe, sizeof bad);
	bad[0x200 + 24 + 1] = 0x7f;		/* CodeView data beyond the file */
	CHECK_EQ_U64(pe_ident_mem(bad, len, &id), ETL_ECORRUPT);
	CHECK_EQ_U64(pe_ident_mem((const uint8_t *)"ELF", 3, &id), ETL_EFORMAT);
}

static int sh(const char *fmt, ...) TM_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A real image: mingw-w64's linker writes RSDS with --build-id; objdump reads it back. */
static void test_pe_mingw(void)
{
	char dir[] = "/tmp/tm-pe-XXXXXX", path[256], line[512], want[80] = "";
	struct pe_ident id;
	unsigned age = 0;

	if (sh("command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && "
	    "command -v x86_64-w64-mingw32-objdump >/dev/null 2>&1") != 0) {
		printf("skip: test_pe_mingw needs mingw-w64 (x86_64-w64-mingw32-gcc)\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_U64(sh("cd %s && printf 'int main(void) { return 0; }\\n' > m.c && "
	    "x86_64-w64-mingw32-gcc -O1 -Wl,--build-id -o m.exe m.c && "
	    "x86_64-w64-mingw32-objdump -p m.exe > m.txt", dir), 0);
	snprintf(path, sizeof path, "%s/m.txt", dir);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof line, f)) {
		/* "(format RSDS signature <32 hex, GUID text order> age N pdb ...)" */
		const char *s = strstr(line, "RSDS signature ");
		if (s)
			sscanf(s, "RSDS signature %32s age %u", want, &age);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/m.exe", dir);
	CHECK_EQ_U64(pe_ident_file(path, &id), ETL_OK);
	CHECK(id.has_rsds);
	struct etl_guid g;
	char key[64], got[40];
	etl_guid_load(&g, id.guid);
	etl_pdb_key(&g, id.age, key, sizeof key);
	for (int i = 0; i < 32; i++)
		got[i] = (char)(key[i] >= 'A' && key[i] <= 'F' ? key[i] + 32 : key[i]);
	got[32] = '\0';
	CHECK_STR(got, want);
	CHECK_EQ_U64(id.age, age);
	CHECK(id.size_of_image > 0);
	sh("rm -rf %s", dir);
}

/* ---- a live session, as the consumer API delivers it ------------------------ */

static uint8_t g_perfinfo[16], g_stackwalk[16], g_image[16], g_process[16], g_clr[16];

static void init_guids(void)
{
	guid_bytes(g_perfinfo, 0xce1dbfb4, 0x137e, 0x4da6, 0x87b03f59aa102cbcULL);
	guid_bytes(g_stackwalk, 0xdef2fe46, 0x7bd6, 0x4b80, 0xbd94f57fe20d0ce3ULL);
	guid_bytes(g_image, 0x2cb15d1d, 0x5fc1, 0x11d2, 0xabe100a0c911f518ULL);
	guid_bytes(g_process, 0x3d6fa8d0, 0xfe05, 0x11d0, 0x9dda00c04fd7ba7cULL);
	guid_bytes(g_clr, 0xe13c0d23, 0xccbc, 0x4e12, 0x931bd9cc2eee27e4ULL);
}

#define PID	100
#define TID	7
#define APP	0x140000000ULL
#define NTDLL	0x7ff800000000ULL
#define JIT	0x7ff600001000ULL
#define KERN	0xfffff80000000000ULL

static int classic(struct etl_live *lv, const uint8_t *guid, uint8_t opcode, uint8_t version,
    uint32_t pid, uint64_t ts, const struct buf *b)
{
	struct etl_live_record r;

	memset(&r, 0, sizeof r);
	memcpy(r.provider, guid, 16);
	r.flags = ETL_LIVE_FLAG_CLASSIC | ETL_LIVE_FLAG_64_BIT;
	r.opcode = opcode;
	r.version = version;
	r.pid = pid;
	r.tid = TID;
	r.ts = ts;
	r.data = b->b;
	r.len = (uint16_t)b->n;
	return etl_live_add(lv, &r);
}

static void image(struct etl_live *lv, uint32_t pid, uint64_t base, uint64_t size, const char *path)
{
	struct buf b = { .n = 0 };

	put(&b, base, 8);
	put(&b, size, 8);
	put(&b, pid, 4);
	put(&b, 0, 4);		/* checksum */
	put(&b, 0, 4);		/* TimeDateStamp: 0, as in most rundowns */
	put(&b, 0, 4);		/* signature level/type */
	put(&b, base, 8);	/* DefaultBase */
	put(&b, 0, 16);
	put_str16(&b, path);
	CHECK_EQ_U64(classic(lv, g_image, 3, 2, pid, 1, &b), ETL_OK);	/* DCStart */
}

static void process(struct etl_live *lv, uint32_t pid, const char *name)
{
	struct buf b = { .n = 0 };

	put(&b, 0xffff000000001000ULL, 8);
	put(&b, pid, 4);
	put(&b, 4, 4);		/* parent */
	put(&b, 1, 4);		/* session */
	put(&b, 259, 4);	/* exit status: still running */
	put(&b, 0x1000, 8);	/* DirectoryTableBase */
	put(&b, 0, 4);		/* flags */
	put(&b, 0, 4);		/* no SID */
	put_str8(&b, name);
	put_str16(&b, name);
	CHECK_EQ_U64(classic(lv, g_process, 3, 4, pid, 1, &b), ETL_OK);
}

static void clr(struct etl_live *lv, uint16_t id, const struct buf *b, const uint8_t *container)
{
	struct etl_live_record r;
	struct etl_live_ext x = { ETL_EXT_CONTAINER_ID, 16, container };

	memset(&r, 0, sizeof r);
	memcpy(r.provider, g_clr, 16);
	r.flags = ETL_LIVE_FLAG_64_BIT | (container ? ETL_LIVE_FLAG_EXTENDED_INFO : 0);
	r.id = id;
	r.version = 1;
	r.pid = PID;
	r.tid = TID;
	r.ts = 2;
	r.data = b->b;
	r.len = (uint16_t)b->n;
	if (container) {
		r.ext = &x;
		r.next = 1;
	}
	CHECK_EQ_U64(etl_live_add(lv, &r), ETL_OK);
}

static void sample(struct etl_live *lv, uint64_t ts, const uint64_t *frames, int n)
{
	struct buf b = { .n = 0 };

	put(&b, frames[0], 8);
	put(&b, TID, 4);
	put(&b, 1, 2);
	put(&b, 0, 2);
	CHECK_EQ_U64(classic(lv, g_perfinfo, 46, 2, PID, ts, &b), ETL_OK);
	b.n = 0;
	put(&b, ts, 8);
	put(&b, PID, 4);
	put(&b, TID, 4);
	for (int i = 0; i < n; i++)
		put(&b, frames[i], 8);
	CHECK_EQ_U64(classic(lv, g_stackwalk, 32, 2, PID, ts, &b), ETL_OK);
}

/* The PE files of the fake machine: ntdll has an RSDS record, app.exe none. */
static int fake_identify(void *ctx, const char *nt_path, struct pe_ident *id)
{
	int *calls = ctx;
	size_t n = strlen(nt_path);

	(*calls)++;
	memset(id, 0, sizeof *id);
	if (n >= 9 && strcmp(nt_path + n - 9, "ntdll.dll") == 0) {
		for (int i = 0; i < 16; i++)
			id->guid[i] = (uint8_t)(i + 1);
		id->age = 3;
		strcpy(id->pdb_name, "ntdll.pdb");
		id->has_rsds = 1;
		return 1;
	}
	return n >= 7 && strcmp(nt_path + n - 7, "app.exe") == 0;
}

/* Names ntdll's two frames; everything else stays module+rva. */
static int fake_symbolize(void *ctx, const struct etl_edge_end *m, uint64_t rva, char *buf,
    size_t cap, uint64_t *sym_rva)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(m->module, "ntdll.dll") != 0 || !m->pdb_guid || m->pdb_age != 3)
		return 0;
	snprintf(buf, cap, "%s", rva < 0x1000 ? "RtlUserThreadStart" : "NtWaitForSingleObject");
	*sym_rva = rva & ~(uint64_t)0xff;
	return 1;
}

struct session {
	struct etl_edges *b;
	struct etl_live *lv;
	int identify_calls, symbolize_calls;
};

static void run_session(struct session *s, int kernel, int with_symbolizer)
{
	static const uint8_t container[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };
	struct etl_clock clk = { 1, 10000000, 0, 1700000000000000000ULL };
	struct etl_edges_opts o;
	struct buf b = { .n = 0 };

	memset(s, 0, sizeof *s);
	memset(&o, 0, sizeof o);
	o.kernel = kernel;
	if (with_symbolizer) {
		o.symbolize = fake_symbolize;
		o.symbolize_ctx = &s->symbolize_calls;
	}
	s->b = etl_edges_new(&o, &clk, 8);
	s->lv = etl_live_new(s->b, 8, fake_identify, &s->identify_calls);
	CHECK(s->b && s->lv);
	if (!s->b || !s->lv)
		return;
	process(s->lv, PID, "app.exe");
	image(s->lv, PID, APP, 0x10000, "\\Device\\HarddiskVolume1\\app\\app.exe");
	image(s->lv, PID, NTDLL, 0x200000, "\\Device\\HarddiskVolume1\\Windows\\System32\\ntdll.dll");
	image(s->lv, 7 * PID, NTDLL, 0x200000, "\\Device\\HarddiskVolume1\\Windows\\System32\\ntdll.dll");
	image(s->lv, 0, KERN, 0x800000, "\\SystemRoot\\system32\\ntoskrnl.exe");

	/* CLR: module App (IL path), method App.Program::Main at JIT, in a container. */
	put(&b, 0xAAA, 8);
	put(&b, 0xBBB, 8);
	put(&b, 0, 4);
	put(&b, 0, 4);
	put_str16(&b, "C:\\app\\App.dll");
	put_str16(&b, "");
	put(&b, 0, 2);
	clr(s->lv, 152, &b, container);
	b.n = 0;
	put(&b, 0x1, 8);
	put(&b, 0xAAA, 8);
	put(&b, JIT, 8);
	put(&b, 0x100, 4);
	put(&b, 0x06000001, 4);
	put(&b, 0, 4);
	put_str16(&b, "App.Program");
	put_str16(&b, "Main");
	put_str16(&b, "void  ()");
	put(&b, 0, 2);
	clr(s->lv, 143, &b, container);

	/* Two samples: kernel frame, ntdll, app, Main, ntdll (outermost). */
	const uint64_t st[] = { KERN + 0x500, NTDLL + 0x123, APP + 0x2000, JIT + 0x10, NTDLL + 0x5010 };
	sample(s->lv, 10000000, st, 5);
	sample(s->lv, 20000000, st, 5);
}

struct readback {
	char edges[8][200];
	uint64_t counts[8];
	int n;
	char ntdll_id[80], host[64], comm[32], container[40];
	uint32_t pid;
	uint64_t ntdll_offset;
	uint32_t jit_flags, kernel_flags;
	uint64_t losses;
};

static void read_stream(int fd, struct readback *rb)
{
	struct tm_err err = { 0, "" };
	struct es_reader_opts ro = { .single_thread = 1 };
	struct es_reader *r;
	struct es_event ev;

	memset(rb, 0, sizeof *rb);
	lseek(fd, 0, SEEK_SET);
	r = es_reader_new(fd, "test", &ro, &err);
	CHECK(r != NULL);
	if (!r)
		return;
	while (es_reader_next(r, &ev) > 0) {
		if (ev.kind == ES_EVENT_HEADER && ev.header->host)
			snprintf(rb->host, sizeof rb->host, "%s", ev.header->host);
		if (ev.kind == ES_EVENT_TRAILER)
			rb->losses = ev.trailer->nlosses;
		if (ev.kind == ES_EVENT_MODULE) {
			struct es_module m;
			if (es_reader_module(r, ev.id, &m) == 0 && strcmp(m.name, "ntdll.dll") == 0)
				es_build_id_format(m.id_kind, m.build_id, m.build_id_len, rb->ntdll_id,
				    sizeof rb->ntdll_id);
		}
		if (ev.kind != ES_EVENT_EDGES)
			continue;
		for (size_t i = 0; i < ev.nedges && rb->n < 8; i++) {
			const struct es_edge *e = &ev.edges[i];
			char a[80], c[80];
			es_reader_node_name(r, e->caller, a, sizeof a);
			es_reader_node_name(r, e->callee, c, sizeof c);
			snprintf(rb->edges[rb->n], sizeof rb->edges[0], "%s -> %s", a, c);
			rb->counts[rb->n++] = e->count;
			const struct es_node *cn = es_reader_node(r, e->caller);
			const struct es_node *en = es_reader_node(r, e->callee);
			rb->jit_flags |= (cn->flags | en->flags) & ES_NODE_JIT;
			rb->kernel_flags |= (cn->flags | en->flags) & ES_NODE_KERNEL;
			if (strncmp(c, "ntdll.dll!", 10) == 0)
				rb->ntdll_offset = en->offset;
			const struct es_context *x = es_reader_context(r, e->ctx);
			rb->pid = x->pid;
			if (x->comm)
				snprintf(rb->comm, sizeof rb->comm, "%s", es_reader_string(r, x->comm, NULL));
			if (x->container)
				snprintf(rb->container, sizeof rb->container, "%s",
				    es_reader_string(r, x->container, NULL));
			CHECK_EQ_U64(e->evidence, ES_EV_ETW_SAMPLE);
			CHECK_EQ_U64(e->confidence, ETL_STREAM_CONF_SAMPLE);
		}
	}
	CHECK_STR(err.msg, "");
	es_reader_free(r);
}

static int write_session(struct session *s, const char *host, struct readback *rb)
{
	char path[] = "/tmp/tm-etl-stream-XXXXXX";
	struct tm_err err = { 0, "" };
	struct etl_edges_opts eo = { 0 };
	struct etl_stream_opts so = { .producer = "test", .host = host, .input = "live",
		.edges = &eo, .interval_ns = 1000000 };
	struct etl_stream_info in = { .start_ns = 1700000000000000000ULL,
		.end_ns = 1700000003000000000ULL, .ptrsize = 8, .events_lost = 5 };
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	unlink(path);
	strcpy(in.host, "from-trace");
	struct es_writer *w = es_writer_new(fd, "test", NULL, &err);
	int rc = w ? etl_stream_write(w, s->b, &so, &in, &err) : -1;
	CHECK_EQ_U64(rc, 0);
	CHECK_STR(err.msg, "");
	es_writer_free(w);
	read_stream(fd, rb);
	close(fd);
	return rc;
}

static void test_live_session(void)
{
	struct session s;
	struct readback rb;
	struct etl_live_stats ls;

	init_guids();
	run_session(&s, 0, 0);
	etl_live_get_stats(s.lv, &ls);
	CHECK_EQ_U64(ls.images, 4);
	CHECK_EQ_U64(ls.files_read, 3);		/* ntdll's file is read once for both processes */
	CHECK_EQ_U64(s.identify_calls, 3);
	CHECK_EQ_U64(ls.identified, 2);
	CHECK_EQ_U64(ls.ext_dropped, 0);
	write_session(&s, NULL, &rb);
	/* Edges in output order: pid, window, then caller by module name. */
	CHECK_EQ_U64(rb.n, 3);
	CHECK_STR(rb.edges[0], "App!App.Program::Main -> app.exe+0x2000");
	CHECK_STR(rb.edges[1], "app.exe+0x2000 -> ntdll.dll+0x123");
	CHECK_STR(rb.edges[2], "ntdll.dll+0x5010 -> App!App.Program::Main");
	CHECK_EQ_U64(rb.counts[0], 2);
	/* The symbol-server key: the GUID in text order (first three fields LE), age. */
	CHECK_STR(rb.ntdll_id, "0403020106050807090A0B0C0D0E0F103");
	CHECK_STR(rb.host, "from-trace");
	CHECK_STR(rb.comm, "app.exe");
	CHECK_EQ_U64(rb.pid, PID);
	CHECK_STR(rb.container, "44332211-6655-8877-99aa-bbccddeeff00");
	CHECK_EQ_U64(rb.jit_flags, ES_NODE_JIT);
	CHECK_EQ_U64(rb.kernel_flags, 0);
	CHECK_EQ_U64(rb.losses, 1);		/* events_lost */
	etl_live_free(s.lv);
	etl_edges_free(s.b);

	/* With kernel frames: the user->kernel edge, flagged. */
	run_session(&s, 1, 0);
	write_session(&s, "override", &rb);
	CHECK_EQ_U64(rb.n, 4);
	CHECK_STR(rb.edges[2], "ntdll.dll+0x123 -> ntoskrnl.exe+0x500");
	CHECK_STR(rb.edges[3], "ntdll.dll+0x5010 -> App!App.Program::Main");
	CHECK_EQ_U64(rb.kernel_flags, ES_NODE_KERNEL);
	CHECK_STR(rb.host, "override");
	etl_live_free(s.lv);
	etl_edges_free(s.b);
}

static void test_symbolize_hook(void)
{
	struct session s;
	struct readback rb;
	struct etl_edges_stats st;

	init_guids();
	run_session(&s, 0, 1);
	write_session(&s, NULL, &rb);
	etl_edges_get_stats(s.b, &st);
	CHECK_EQ_U64(rb.n, 3);
	CHECK_STR(rb.edges[1], "app.exe+0x2000 -> ntdll.dll!RtlUserThreadStart");
	CHECK_STR(rb.edges[2], "ntdll.dll!NtWaitForSingleObject -> App!App.Program::Main");
	CHECK_EQ_U64(rb.ntdll_offset, 0x100);	/* the symbol's start, not the frame */
	CHECK_EQ_U64(st.ends_symbolized, 2);
	CHECK(s.symbolize_calls >= 3);		/* app.exe was asked too, and declined */
	etl_live_free(s.lv);
	etl_edges_free(s.b);
}

/* ---- record conversion and the computer name --------------------------------- */

static void test_live_event(void)
{
	uint8_t scratch[64], payload[24] = { 0 };
	uint8_t c1[16], c2[40];
	struct etl_live_ext ext[3] = {
		{ ETL_EXT_CONTAINER_ID, 16, c1 },
		{ 99, 40, c2 },			/* does not fit: dropped */
		{ 5, 4, c1 },
	};
	struct etl_live_record r;
	struct etl_event ev;
	struct etl_ext_item it;
	uint64_t dropped = 0;
	uint32_t pos = 0;

	init_guids();
	memset(c1, 0x5a, sizeof c1);
	memset(&r, 0, sizeof r);
	memcpy(r.provider, g_stackwalk, 16);
	r.flags = ETL_LIVE_FLAG_CLASSIC | ETL_LIVE_FLAG_32_BIT | ETL_LIVE_FLAG_EXTENDED_INFO;
	r.opcode = 32;
	r.pid = 1;
	r.tid = 2;
	r.ts = 3;
	r.data = payload;
	r.len = sizeof payload;
	r.ext = ext;
	r.next = 3;
	etl_live_event(&r, 8, scratch, sizeof scratch, &ev, &dropped);
	CHECK_EQ_U64(ev.ptrsize, 4);
	CHECK_EQ_U64(etl_event_classify(&ev), ETL_EV_STACK);
	CHECK_EQ_U64(dropped, 1);
	CHECK_EQ_U64(etl_ext_next(&ev, &pos, &it), 1);
	CHECK_EQ_U64(it.type, ETL_EXT_CONTAINER_ID);
	CHECK_EQ_U64(it.size, 16);
	CHECK(memcmp(it.data, c1, 16) == 0);
	CHECK_EQ_U64(etl_ext_next(&ev, &pos, &it), 1);
	CHECK_EQ_U64(it.type, 5);
	CHECK_EQ_U64(etl_ext_next(&ev, &pos, &it), 0);
	struct etl_stack stk;
	CHECK_EQ_U64(etl_decode_stack(&ev, &stk), ETL_OK);
	CHECK_EQ_U64(stk.frames.n, 2);

	/* No flags: the host's pointer size. */
	r.flags = ETL_LIVE_FLAG_CLASSIC;
	etl_live_event(&r, 8, scratch, sizeof scratch, &ev, NULL);
	CHECK_EQ_U64(ev.ptrsize, 8);
}

static void test_host_name(void)
{
	struct etl_stream_info in;
	struct etl_event ev;
	struct buf b = { .n = 0 };

	memset(&in, 0, sizeof in);
	memset(&ev, 0, sizeof ev);
	put(&b, 3600, 4);
	put(&b, 8, 4);
	put(&b, 16384, 4);
	put(&b, 4096, 4);
	put(&b, 65536, 4);
	put_str16(&b, "BUILD-HOST-7");
	ev.kind = ETL_HDR_SYSTEM;
	ev.group = 0x0B;
	ev.opcode = 10;
	ev.data = b.b;
	ev.len = (uint32_t)b.n;
	etl_stream_info_note(&in, &ev);
	CHECK_STR(in.host, "BUILD-HOST-7");

	/* Live form (class GUID), a name that runs to the end, control characters. */
	memset(&in, 0, sizeof in);
	init_guids();
	uint8_t cfg[16];
	guid_bytes(cfg, 0x01853a65, 0x418f, 0x4f36, 0xaefcdc0f1d2fd235ULL);
	ev.has_guid = 1;
	etl_guid_load(&ev.guid, cfg);
	ev.group = 0;
	ev.len = 20 + 6;		/* "BUI" without a terminator */
	etl_stream_info_note(&in, &ev);
	CHECK_STR(in.host, "BUI");
	memset(&in, 0, sizeof in);
	b.b[20] = 0x07;
	ev.len = (uint32_t)b.n;
	etl_stream_info_note(&in, &ev);
	CHECK_STR(in.host, "");
	ev.opcode = 11;			/* another config event */
	b.b[20] = 'X';
	etl_stream_info_note(&in, &ev);
	CHECK_STR(in.host, "");
}

int main(void)
{
	RUN(test_pe_synthetic);
	RUN(test_pe_mingw);
	RUN(test_live_event);
	RUN(test_live_session);
	RUN(test_symbolize_hook);
	RUN(test_host_name);
	UNIT_END();
}

/*
 * test_etl_edges.c - caller->callee edges from the PerfView x64 recording:
 * symbolized native frames with PDB identity, managed frames from CLR JIT
 * ranges, kernel option and half joining, filters, windows, determinism.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "etl_edges.h"
#include "test_etl_fixtures.h"

/* 2020-07-29 00:07:00.6236167 UTC and the header's EndTime, 10.07 s later. */
#define X64_START_NS	1595981220623616700ULL
#define X64_END_NS	1595981230693592300ULL

struct seen {
	uint64_t edges, count_sum, kernel_ends, managed_ends, both_managed;
	uint64_t bad_time, bad_window, unknown_ends;
	uint64_t ntdll_ok, ntdll_bad;
	uint64_t main_to_clr;		/* Test.x64!Test.Program::Main -> clr.dll */
	uint64_t test_proc, other_pid;
	uint32_t only_pid;
	uint64_t hash;			/* of the whole ordered output */
	uint64_t prev_window_start;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int on_edge(const struct etl_edge *e, void *ctx)
{
	struct seen *s = ctx;
	const struct etl_edge_end *ends[2] = { &e->caller, &e->callee };
	char a[512], b[512];

	s->edges++;
	s->count_sum += e->count;
	if (e->first_ns > e->last_ns || e->first_ns < X64_START_NS || e->last_ns > X64_END_NS)
		s->bad_time++;
	if (e->first_ns < e->window_start_ns || e->last_ns >= e->window_end_ns + 1)
		s->bad_window++;
	for (int i = 0; i < 2; i++) {
		const struct etl_edge_end *x = ends[i];
		s->kernel_ends += x->kernel;
		s->managed_ends += x->managed;
		s->unknown_ends += strcmp(x->module, "[unknown]") == 0;
		/*
		 * ntdll.dll appears as the native one (ntdll.pdb, the README's
		 * identity) and as the WOW64 one (wntdll.pdb) of 32-bit processes.
		 */
		if (strcmp(x->module, "ntdll.dll") == 0) {
			static const uint8_t g[16] = { 0xb6, 0xfd, 0x48, 0x60, 0xcd, 0x2d, 0xc1, 0x41,
			    0x88, 0x35, 0x59, 0x48, 0x44, 0xce, 0x71, 0x43 };
			static const uint8_t w[4] = { 0xdf, 0xd8, 0x83, 0xec };	/* ec83d8df-... */
			int native = x->pdb_guid && memcmp(x->pdb_guid, g, 16) == 0 &&
			    x->pdb_age == 2 && strcmp(x->pdb_name, "ntdll.pdb") == 0 &&
			    strstr(x->path, "\\System32\\ntdll.dll") != NULL;
			int wow = x->pdb_guid && memcmp(x->pdb_guid, w, 4) == 0 &&
			    x->pdb_age == 2 && strcmp(x->pdb_name, "wntdll.pdb") == 0 &&
			    strstr(x->path, "\\SysWOW64\\ntdll.dll") != NULL;
			if ((native || wow) && !x->symbol)
				s->ntdll_ok += native;
			else
				s->ntdll_bad++;
		}
	}
	s->both_managed += e->caller.managed && e->callee.managed;
	etl_edge_end_format(&e->caller, a, sizeof a);
	etl_edge_end_format(&e->callee, b, sizeof b);
	if (strcmp(a, "Test.x64!Test.Program::Main") == 0 && strcmp(e->callee.module, "clr.dll") == 0 &&
	    e->callee.pdb_guid && strncmp(b, "clr.dll+0x", 10) == 0)
		s->main_to_clr += e->count;
	if (e->pid == 3676 && strcmp(e->process, "Test.x64.exe") == 0)
		s->test_proc++;
	if (s->only_pid && e->pid != s->only_pid)
		s->other_pid++;
	s->hash = fnv(s->hash, a, strlen(a) + 1);
	s->hash = fnv(s->hash, b, strlen(b) + 1);
	s->hash = fnv(s->hash, &e->count, sizeof e->count);
	s->hash = fnv(s->hash, &e->first_ns, sizeof e->first_ns);
	s->hash = fnv(s->hash, &e->pid, sizeof e->pid);
	if (e->window_start_ns < s->prev_window_start && e->pid == s->only_pid)
		s->bad_window++;
	s->prev_window_start = e->pid == s->only_pid ? e->window_start_ns : s->prev_window_start;
	return 0;
}

static int run(const uint8_t *d, size_t len, const struct etl_edges_opts *o,
    struct seen *s, struct etl_edges_stats *st)
{
	struct etl_error err;
	uint32_t only = s->only_pid;

	memset(s, 0, sizeof *s);
	s->only_pid = only;
	s->hash = 0xcbf29ce484222325ULL;
	int rc = etl_edges_from_etl(d, len, o, on_edge, s, st, &err);
	if (rc)
		fprintf(stderr, "etl_edges_from_etl: %d %s\n", rc, err.msg);
	return rc;
}

static void test_user_edges(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_edges_opts o = { 0 };
	struct etl_edges_stats st;
	struct seen s = { 0 }, again = { 0 };

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_U64(run(d, len, &o, &s, &st), 0);
	CHECK_EQ_U64(st.samples, 79528);
	CHECK_EQ_U64(st.stacks, 252);
	CHECK_EQ_U64(st.key_refs, 9107);
	CHECK_EQ_U64(st.key_defs, 2921);
	CHECK_EQ_U64(st.refs_unresolved, 0);
	CHECK_EQ_U64(st.decode_errors, 0);
	CHECK(st.sample_stacks > 6000);
	CHECK(s.edges > 1000);
	CHECK_EQ_U64(s.edges, st.edges);
	CHECK_EQ_U64(s.count_sum, st.pairs);
	CHECK_EQ_U64(s.kernel_ends, 0);		/* no kernel frames without the option */
	CHECK(s.managed_ends > 100);
	CHECK(s.both_managed > 10);
	CHECK(s.main_to_clr > 0);
	CHECK(s.ntdll_ok > 100);
	CHECK_EQ_U64(s.ntdll_bad, 0);
	CHECK_EQ_U64(s.bad_time, 0);
	CHECK_EQ_U64(s.bad_window, 0);
	CHECK(s.test_proc > 100);
	/* Nearly every user frame is in a known image or JIT method. */
	CHECK(st.ends_unknown * 50 < st.ends_image + st.ends_jit);

	/* Same input, same output, in the same order. */
	CHECK_EQ_U64(run(d, len, &o, &again, NULL), 0);
	CHECK_EQ_U64(again.hash, s.hash);
	CHECK_EQ_U64(again.edges, s.edges);
	free(d);
}

static void test_kernel_edges(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_edges_opts o = { .kernel = 1 };
	struct etl_edges_stats st;
	struct seen s = { 0 };

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_U64(run(d, len, &o, &s, &st), 0);
	CHECK(s.kernel_ends > 1000);
	CHECK(st.halves_joined > 0);
	CHECK_EQ_U64(s.bad_time, 0);

	/*
	 * Stacks of every event: all 9,107 key references resolve, and the 1,613
	 * samples logged as a kernel half plus a user half are joined.
	 */
	o.all_stacks = 1;
	CHECK_EQ_U64(run(d, len, &o, &s, &st), 0);
	CHECK_EQ_U64(st.sample_stacks, 252 + 9107);
	CHECK_EQ_U64(st.refs_resolved, 9107);
	CHECK_EQ_U64(st.halves_joined, 1613);
	free(d);
}

static void test_filters_and_windows(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	static const uint32_t pid[] = { 3676 };
	struct etl_edges_opts o = { .pids = pid, .npids = 1 };
	struct etl_edges_stats st;
	struct seen by_pid = { .only_pid = 3676 }, by_name = { .only_pid = 3676 };
	struct seen win = { .only_pid = 3676 };

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_U64(run(d, len, &o, &by_pid, &st), 0);
	CHECK(by_pid.edges > 100);
	CHECK_EQ_U64(by_pid.other_pid, 0);
	CHECK_EQ_U64(by_pid.test_proc, by_pid.edges);
	CHECK(by_pid.managed_ends > 100);

	struct etl_edges_opts on = { .process_name = "TEST.X64" };
	CHECK_EQ_U64(run(d, len, &on, &by_name, &st), 0);
	CHECK_EQ_U64(by_name.edges, by_pid.edges);
	CHECK_EQ_U64(by_name.hash, by_pid.hash);
	CHECK_EQ_U64(by_name.other_pid, 0);

	/* One-second windows: same observations, split; windows in order. */
	o.window_ns = 1000000000ULL;
	CHECK_EQ_U64(run(d, len, &o, &win, &st), 0);
	CHECK_EQ_U64(win.count_sum, by_pid.count_sum);
	CHECK(win.edges > by_pid.edges);
	CHECK_EQ_U64(win.bad_window, 0);
	free(d);
}

/* Managed frames of the .NET Core rundown-only file: no samples, no edges. */
static void test_no_samples(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_RUNDOWN, &len);
	struct etl_edges_opts o = { 0 };
	struct etl_edges_stats st;
	struct seen s = { 0 };

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_U64(run(d, len, &o, &s, &st), 0);
	CHECK_EQ_U64(s.edges, 0);
	CHECK_EQ_U64(st.methods, 80);
	free(d);
}

static void test_format(void)
{
	struct etl_edge_end n = { .module = "ntdll.dll", .rva = 0x3c0b };
	struct etl_edge_end m = { .module = "mscorlib", .symbol = "System.String::Substring" };
	char buf[64];

	etl_edge_end_format(&n, buf, sizeof buf);
	CHECK_STR(buf, "ntdll.dll+0x3c0b");
	etl_edge_end_format(&m, buf, sizeof buf);
	CHECK_STR(buf, "mscorlib!System.String::Substring");
}

/* The builder fed by hand: a stack-key reference resolved by a later definition. */
static void test_builder_by_hand(void)
{
	struct etl_clock clk = { .type = 1, .freq = 10000000, .ref_ts = 1000,
	    .ref_unix_ns = 1600000000000000000ULL };
	struct etl_edges_opts o = { 0 };
	struct etl_edges *b = etl_edges_new(&o, &clk, 8);
	struct seen s = { 0 };
	uint8_t sample[16] = { 0 }, ref[24] = { 0 }, def[8 + 3 * 8] = { 0 };

	CHECK(b != NULL);
	if (!b)
		return;
	/* SampledProfile at ts 2000 on tid 7. */
	sample[8] = 7;
	struct etl_event ev = { .kind = ETL_HDR_PERFINFO, .ptrsize = 8, .group = 0x0F,
	    .opcode = 46, .ts = 2000, .data = sample, .len = sizeof sample,
	    .pid = ETL_NO_ID, .tid = ETL_NO_ID };
	CHECK_EQ_U64(etl_edges_add(b, &ev), ETL_OK);
	/* User stack-key reference for it: pid 42, tid 7, key 0x99. */
	ref[0] = 0xd0; ref[1] = 0x07;	/* event timestamp 2000 */
	ref[8] = 42; ref[12] = 7; ref[16] = 0x99;
	ev = (struct etl_event){ .kind = ETL_HDR_PERFINFO, .ptrsize = 8, .group = 0x18,
	    .opcode = 38, .ts = 2001, .data = ref, .len = sizeof ref };
	CHECK_EQ_U64(etl_edges_add(b, &ev), ETL_OK);
	/* Its definition, later: frames 0x1010 <- 0x2020 <- 0x3030. */
	def[0] = 0x99;
	def[8] = 0x10; def[9] = 0x10;
	def[16] = 0x20; def[17] = 0x20;
	def[24] = 0x30; def[25] = 0x30;
	ev = (struct etl_event){ .kind = ETL_HDR_PERFINFO, .ptrsize = 8, .group = 0x18,
	    .opcode = 35, .ts = 5000, .data = def, .len = sizeof def };
	CHECK_EQ_U64(etl_edges_add(b, &ev), ETL_OK);
	s.hash = 0xcbf29ce484222325ULL;
	CHECK_EQ_U64(etl_edges_emit(b, on_edge, &s), ETL_OK);
	struct etl_edges_stats st;
	etl_edges_get_stats(b, &st);
	CHECK_EQ_U64(st.refs_resolved, 1);
	CHECK_EQ_U64(s.edges, 2);
	CHECK_EQ_U64(s.unknown_ends, 4);
	CHECK_EQ_U64(s.count_sum, 2);
	etl_edges_free(b);
}

/* A stack (group StackWalk, opcode 32) of two frames for tid 7 at event_ts. */
static int add_stack(struct etl_edges *b, uint64_t event_ts, uint64_t f0, uint64_t f1)
{
	uint8_t d[32] = { 0 };

	for (int i = 0; i < 8; i++) {
		d[i] = (uint8_t)(event_ts >> (8 * i));
		d[16 + i] = (uint8_t)(f0 >> (8 * i));
		d[24 + i] = (uint8_t)(f1 >> (8 * i));
	}
	d[8] = 42;
	d[12] = 7;
	struct etl_event ev = { .kind = ETL_HDR_PERFINFO, .ptrsize = 8, .group = 0x18,
	    .opcode = 32, .ts = event_ts, .data = d, .len = sizeof d };
	return etl_edges_add(b, &ev);
}

/*
 * Lone kernel halves wait in a FIFO of 65536 that grows as they come: past
 * that, the oldest are forgotten, and a user half joins only the ones kept.
 */
static void test_halves_ring(void)
{
	struct etl_clock clk = { .type = 1, .freq = 10000000, .ref_ts = 1000,
	    .ref_unix_ns = 1600000000000000000ULL };
	struct etl_edges_opts o = { .kernel = 1, .all_stacks = 1 };
	struct etl_edges *b = etl_edges_new(&o, &clk, 8);
	const uint64_t k0 = 0xfffff80000001000ULL, k1 = 0xfffff80000002000ULL;
	const uint32_t n = 65536 + 10;
	struct etl_edges_stats st;
	int rc = ETL_OK;

	CHECK(b != NULL);
	if (!b)
		return;
	for (uint32_t i = 0; i < n && rc == ETL_OK; i++)
		rc = add_stack(b, 1000 + i, k0, k1);
	CHECK_EQ_U64(rc, ETL_OK);
	/* The newest 65536 are kept: the oldest of them (10) joins, the one
	 * before (9) was overwritten, the last ten join. */
	CHECK_EQ_U64(add_stack(b, 1000 + 10, 0x1000, 0x2000), ETL_OK);
	etl_edges_get_stats(b, &st);
	CHECK_EQ_U64(st.halves_joined, 1);
	CHECK_EQ_U64(add_stack(b, 1000 + 9, 0x1000, 0x2000), ETL_OK);
	etl_edges_get_stats(b, &st);
	CHECK_EQ_U64(st.halves_joined, 1);
	for (uint32_t i = n - 10; i < n; i++)
		CHECK_EQ_U64(add_stack(b, 1000 + i, 0x1000, 0x2000), ETL_OK);
	etl_edges_get_stats(b, &st);
	CHECK_EQ_U64(st.halves_joined, 11);
	etl_edges_free(b);
}

int main(void)
{
	RUN(test_format);
	RUN(test_builder_by_hand);
	RUN(test_halves_ring);
	if (!fx_prepare()) {
		printf("skip: %s/fixtures/etl not found\n", fx_shared());
		UNIT_END();
	}
	int x64 = fx_have(FX_X64);
	RUN_IF(x64, test_user_edges);
	RUN_IF(x64, test_kernel_edges);
	RUN_IF(x64, test_filters_and_windows);
	RUN_IF(fx_have(FX_RUNDOWN), test_no_samples);
	UNIT_END();
}

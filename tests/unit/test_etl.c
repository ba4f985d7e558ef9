/*
 * test_etl.c - the .etl reader and event decoders against real recordings:
 * the counts ../shared/fixtures/etl/README.md lists, the first plain stack,
 * ntdll's PDB identity, CLR method and module names, the airbus image events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "etl_reader.h"
#include "test_etl_fixtures.h"

struct tally {
	uint64_t n[ETL_EV__COUNT];
	uint64_t events;
	uint64_t method_load_64;	/* MethodLoadVerbose with a 64-bit header */
	int rc;
};

static void count_all(const uint8_t *d, size_t len, struct tally *t, struct etl_reader_stats *st)
{
	struct etl_error err;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	struct etl_event ev;

	memset(t, 0, sizeof *t);
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "open: %s\n", err.msg);
		t->rc = err.code;
		return;
	}
	while ((t->rc = etl_reader_next(r, &ev)) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		t->n[c]++;
		t->events++;
		if (c == ETL_EV_CLR_METHOD_LOAD && ev.ptrsize == 8)
			t->method_load_64++;
	}
	if (st)
		etl_reader_stats(r, st);
	etl_reader_close(r);
}

static void test_x64_header(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	CHECK(r != NULL);
	if (r) {
		const struct etl_logfile *lf = etl_reader_logfile(r);
		CHECK_STR(lf->session_name, "Relogger");
		CHECK_STR(lf->logfile_name, "[multiple files]");
		CHECK_EQ_U64(lf->pointer_size, 8);
		CHECK_EQ_U64(lf->ncpu, 8);
		CHECK_EQ_U64(lf->buffers_written, 360);
		CHECK_EQ_U64(lf->provider_version, 9200);
		CHECK_EQ_U64(lf->perf_freq, 10000000);
		CHECK_EQ_U64(lf->clock_type, 1);
		CHECK_EQ_U64(lf->log_file_mode, 0x04010001);
		CHECK_EQ_U64(lf->cpu_speed_mhz, 3592);
		CHECK_EQ_U64(lf->tz_bias_minutes, 480);
		CHECK_EQ_U64(lf->header_ts, 1942608875);
		/* StartTime 2020-07-29 00:07:00.6236167 UTC; the header record is that instant. */
		CHECK_EQ_U64(etl_reader_unix_ns(r, lf->header_ts), 1595981220623616700ULL);
		CHECK_EQ_U64(etl_reader_unix_ns(r, lf->header_ts + 10000000), 1595981221623616700ULL);
		CHECK_EQ_U64(etl_reader_unix_ns(r, lf->header_ts - 1), 1595981220623616600ULL);
		etl_reader_close(r);
	}
	free(d);
}

static void test_x64_counts(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct tally t;
	struct etl_reader_stats st;

	CHECK(d != NULL);
	if (!d)
		return;
	count_all(d, len, &t, &st);
	CHECK_EQ_U64(t.rc, 0);
	/* Buffers: 1 header + 359 XPRESS buffers over 8 processors, merged in order. */
	CHECK_EQ_U64(st.buffers, 360);
	CHECK_EQ_U64(st.compressed_buffers, 359);
	CHECK_EQ_U64(st.streams, 8);
	CHECK_EQ_U64(st.out_of_order, 0);
	CHECK_EQ_U64(st.events, 179474);
	CHECK_EQ_U64(t.n[ETL_EV_LOGFILE_HEADER], 1);
	CHECK_EQ_U64(t.n[ETL_EV_SAMPLE], 79528);
	CHECK_EQ_U64(t.n[ETL_EV_STACK], 252);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_REF_KERNEL], 2061);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_REF_USER], 7046);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_REF_KERNEL] + t.n[ETL_EV_STACK_REF_USER], 9107);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_KEY_DELETE], 1909);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_KEY_RUNDOWN], 1012);
	CHECK_EQ_U64(t.n[ETL_EV_STACK_KEY_DELETE] + t.n[ETL_EV_STACK_KEY_RUNDOWN], 2921);
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_DCSTART] + t.n[ETL_EV_IMAGE_DCEND], 3529);
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_DCSTART], 1763);	/* PerfView baseline: DCStart 1763 */
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_DCEND], 1766);	/* DCStop 1766 */
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_LOAD], 35);
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_UNLOAD], 32);
	CHECK_EQ_U64(t.n[ETL_EV_DBGID_RSDS], 3534);
	CHECK_EQ_U64(t.n[ETL_EV_IMAGE_ID], 3590);
	/* 288 from the x64 test process; the baseline's 290 adds 2 from 32-bit PerfView. */
	CHECK_EQ_U64(t.method_load_64, 288);
	CHECK_EQ_U64(t.n[ETL_EV_CLR_METHOD_LOAD], 290);
	CHECK_EQ_U64(t.n[ETL_EV_CLR_METHOD_UNLOAD], 288);
	CHECK_EQ_U64(t.n[ETL_EV_CLR_METHOD_DCEND], 16702);
	CHECK_EQ_U64(t.n[ETL_EV_CLR_MODULE_LOAD], 2);
	CHECK_EQ_U64(t.n[ETL_EV_CLR_MODULE_DCEND], 27);	/* baseline: ModuleDCStop 27 */
	CHECK_EQ_U64(t.n[ETL_EV_PROCESS_DCSTART], 32);
	CHECK_EQ_U64(t.n[ETL_EV_PROCESS_DCEND], 32);
	CHECK_EQ_U64(t.n[ETL_EV_PROCESS_START], 1);
	CHECK_EQ_U64(t.n[ETL_EV_PROCESS_END], 1);
	CHECK_EQ_U64(t.n[ETL_EV_THREAD_START], 9);
	CHECK_EQ_U64(t.n[ETL_EV_THREAD_END], 15);
	free(d);
}

/*
 * The README's first plain stack (first in file order) and the earliest
 * one in timestamp order, which the merge puts first.
 */
static void test_x64_plain_stacks(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;
	struct etl_event ev;
	int found = 0, first = 1;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	CHECK(r != NULL);
	while (r && etl_reader_next(r, &ev) == 1) {
		struct etl_stack s;
		if (etl_event_classify(&ev) != ETL_EV_STACK)
			continue;
		CHECK_EQ_U64(etl_decode_stack(&ev, &s), ETL_OK);
		CHECK_EQ_U64(s.frames.ptrsize, 8);
		if (first) {
			first = 0;
			CHECK_EQ_U64(s.event_ts, 1942903333);
			CHECK_EQ_U64(s.pid, 4);
			CHECK_EQ_U64(s.tid, 584);
			CHECK_EQ_U64(s.frames.n, 2);
			CHECK_EQ_U64(etl_frame(&s.frames, 0), 0xffffffffffd03003ULL);
			CHECK_EQ_U64(etl_frame(&s.frames, 1), 0xfffff88000dce191ULL);
		}
		/* That sample has a kernel half (the README's) and a user half. */
		if (s.event_ts == 1942908431 && s.tid == 3780) {
			CHECK_EQ_U64(s.pid, 3988);
			if (etl_frame(&s.frames, 0) >> 63) {
				found |= 1;
				CHECK_EQ_U64(s.frames.n, 2);
				CHECK_EQ_U64(etl_frame(&s.frames, 0), 0xffffffffffd03003ULL);
				CHECK_EQ_U64(etl_frame(&s.frames, 1), 0xfffff800215dae37ULL);
			} else {
				found |= 2;
				CHECK_EQ_U64(s.frames.n, 40);
				CHECK(!(etl_frame(&s.frames, 39) >> 63));
			}
		}
	}
	CHECK_EQ_U64(found, 3);
	etl_reader_close(r);
	free(d);
}

/* Stack keys: every definition carries frames; references carry the key. */
static void test_x64_stack_keys(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;
	struct etl_event ev;
	uint64_t defs_with_frames = 0, refs = 0, user_refs_user_pid = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	while (r && etl_reader_next(r, &ev) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		if (c == ETL_EV_STACK_KEY_DELETE || c == ETL_EV_STACK_KEY_RUNDOWN) {
			struct etl_stack_def sd;
			CHECK_EQ_U64(etl_decode_stack_def(&ev, &sd), ETL_OK);
			defs_with_frames += sd.frames.n > 0 && sd.key != 0;
		} else if (c == ETL_EV_STACK_REF_KERNEL || c == ETL_EV_STACK_REF_USER) {
			struct etl_stack_ref sr;
			CHECK_EQ_U64(etl_decode_stack_ref(&ev, &sr), ETL_OK);
			refs++;
			user_refs_user_pid += c == ETL_EV_STACK_REF_USER && sr.pid != 0;
		}
	}
	CHECK_EQ_U64(defs_with_frames, 2921);
	CHECK_EQ_U64(refs, 9107);
	CHECK_EQ_U64(user_refs_user_pid, 7046);
	etl_reader_close(r);
	free(d);
}

/* KernelTraceControl DbgID_RSDS: ntdll's PDB identity, in every process. */
static void test_x64_ntdll_identity(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;
	struct etl_event ev;
	int ntdll = 0, bad = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	while (r && etl_reader_next(r, &ev) == 1) {
		struct etl_rsds rs;
		char g[40], key[48];
		if (etl_event_classify(&ev) != ETL_EV_DBGID_RSDS)
			continue;
		CHECK_EQ_U64(etl_decode_rsds(&ev, &rs), ETL_OK);
		if (rs.pdb_name_len != 9 || memcmp(rs.pdb_name, "ntdll.pdb", 9) != 0)
			continue;
		ntdll++;
		etl_guid_format(&rs.guid, g, sizeof g);
		etl_pdb_key(&rs.guid, rs.age, key, sizeof key);
		bad += strcmp(g, "6048fdb6-2dcd-41c1-8835-594844ce7143") != 0 || rs.age != 2 ||
		    strcmp(key, "6048FDB62DCD41C18835594844CE71432") != 0 ||
		    rs.base != 0x7f9d02f0000ULL || rs.guid_bytes[0] != 0xb6;
	}
	CHECK(ntdll >= 2);
	CHECK_EQ_U64(bad, 0);
	etl_reader_close(r);
	free(d);
}

/* CLR runtime events of the x64 recording: JIT method ranges and modules. */
static void test_x64_clr(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_X64, &len);
	struct etl_error err;
	struct etl_event ev;
	int first = 1, mscorlib = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	while (r && etl_reader_next(r, &ev) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		char ns[256], name[256], path[512];
		if (c == ETL_EV_CLR_METHOD_LOAD && first) {
			struct etl_clr_method m;
			first = 0;
			CHECK_EQ_U64(etl_decode_clr_method(&ev, &m), ETL_OK);
			etl_str16_utf8(m.ns, ns, sizeof ns);
			etl_str16_utf8(m.name, name, sizeof name);
			/* PerfView baseline line 211. */
			CHECK_EQ_U64(ev.pid, 3676);
			CHECK_EQ_U64(ev.tid, 3680);
			CHECK_EQ_U64(m.method_id, 8767616885296ULL);
			CHECK_EQ_U64(m.module_id, 8767614955552ULL);
			CHECK_EQ_U64(m.start, 0x7f95eb10090ULL);
			CHECK_EQ_U64(m.size, 633);
			CHECK_EQ_U64(m.token, 100665049);
			CHECK_STR(ns, "System.AppDomain");
			CHECK_STR(name, "SetupDomain");
		}
		if (c == ETL_EV_CLR_MODULE_LOAD) {
			struct etl_clr_module m;
			CHECK_EQ_U64(etl_decode_clr_module(&ev, &m), ETL_OK);
			etl_str16_utf8(m.il_path, path, sizeof path);
			if (strstr(path, "\\mscorlib.dll")) {
				char g[40];
				mscorlib++;
				CHECK_EQ_U64(m.module_id, 8767614955552ULL);
				CHECK(m.has_pdb);
				etl_guid_format(&m.pdb_guid, g, sizeof g);
				CHECK_STR(g, "03ea52b2-54bd-4c79-b589-768d49ed6c2d");
			}
		}
	}
	CHECK(!first);
	CHECK_EQ_U64(mscorlib, 1);
	etl_reader_close(r);
	free(d);
}

/* Uncompressed modern CLR rundown: 80 MethodDCEndVerbose with their names. */
static void test_rundown(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_RUNDOWN, &len);
	struct etl_error err;
	struct etl_event ev;
	int methods = 0, modules = 0, stelem = 0, named = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	CHECK(r != NULL);
	if (r)
		CHECK_STR(etl_reader_logfile(r)->session_name, "PerfViewSessionRundown");
	while (r && etl_reader_next(r, &ev) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		char ns[256], name[256], sig[256], path[512];
		if (c == ETL_EV_CLR_METHOD_DCEND) {
			struct etl_clr_method m;
			methods++;
			CHECK_EQ_U64(etl_decode_clr_method(&ev, &m), ETL_OK);
			etl_str16_utf8(m.ns, ns, sizeof ns);
			etl_str16_utf8(m.name, name, sizeof name);
			etl_str16_utf8(m.sig, sig, sizeof sig);
			named += ns[0] && name[0] && m.start && m.size;
			if (strcmp(name, "StelemRef") == 0) {
				stelem++;
				CHECK_STR(ns, "System.Runtime.CompilerServices.CastHelpers");
				CHECK_STR(sig, "void  (class System.Array,int,class System.Object)");
				CHECK_EQ_U64(m.start, 0x7ffb48560020ULL);
				CHECK_EQ_U64(m.size, 93);
				CHECK_EQ_U64(ev.pid, 179596);
			}
		} else if (c == ETL_EV_CLR_MODULE_DCEND) {
			struct etl_clr_module m;
			modules++;
			CHECK_EQ_U64(etl_decode_clr_module(&ev, &m), ETL_OK);
			etl_str16_utf8(m.il_path, path, sizeof path);
			if (strstr(path, "System.Private.CoreLib.dll")) {
				char g[40];
				etl_guid_format(&m.pdb_guid, g, sizeof g);
				CHECK_STR(g, "a158dfa6-93cb-599e-547d-f11176b273e9");
				CHECK_EQ_U64(m.pdb_age, 1);
			}
		}
	}
	CHECK_EQ_U64(methods, 80);
	CHECK_EQ_U64(named, 80);
	CHECK_EQ_U64(stelem, 1);
	CHECK_EQ_U64(modules, 7);
	etl_reader_close(r);
	free(d);
}

/* .NET Core 3.1 user session: 5,409 MethodLoadVerbose and ModuleLoad v2. */
static void test_diaghub(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_DIAGHUB, &len);
	struct etl_error err;
	struct etl_event ev;
	int methods = 0, modules = 0, indexof = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	CHECK(r != NULL);
	while (r && etl_reader_next(r, &ev) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		char ns[256], name[256], sig[256];
		if (c == ETL_EV_CLR_METHOD_LOAD) {
			struct etl_clr_method m;
			methods++;
			CHECK_EQ_U64(etl_decode_clr_method(&ev, &m), ETL_OK);
			etl_str16_utf8(m.ns, ns, sizeof ns);
			etl_str16_utf8(m.name, name, sizeof name);
			etl_str16_utf8(m.sig, sig, sizeof sig);
			if (strcmp(ns, "System.SpanHelpers") == 0 && strcmp(name, "IndexOf") == 0 &&
			    strcmp(sig, "int32  (wchar&,wchar,int32)") == 0) {
				indexof++;
				CHECK_EQ_U64(m.start, 0x7ffcce57ba20ULL);
				CHECK_EQ_U64(m.size, 462);
				CHECK_EQ_U64(ev.pid, 2140);
			}
		} else if (c == ETL_EV_CLR_MODULE_LOAD) {
			struct etl_clr_module m;
			modules++;
			CHECK_EQ_U64(etl_decode_clr_module(&ev, &m), ETL_OK);
			CHECK(m.has_pdb);
		}
	}
	CHECK_EQ_U64(methods, 5409);
	CHECK_EQ_U64(modules, 56);
	CHECK_EQ_U64(indexof, 1);
	etl_reader_close(r);
	free(d);
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	if (m > n)
		return 0;
	for (size_t i = 0; i < m; i++) {
		char a = s[n - m + i], b = suffix[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* Windows 10, uncompressed 64 KiB buffers: 13,753 Image v3 events. */
static void test_airbus_images(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_AIRBUS, &len);
	struct etl_error err;
	struct etl_event ev;
	struct etl_reader_stats st;
	uint64_t images = 0, v3 = 0, named = 0, ntdll = 0, kernel = 0, procs = 0, svchost = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	struct etl_reader *r = etl_reader_open(d, len, &err);
	CHECK(r != NULL);
	if (!r) {
		free(d);
		return;
	}
	const struct etl_logfile *lf = etl_reader_logfile(r);
	CHECK_STR(lf->session_name, "PerfDiag Logger");
	CHECK_EQ_U64(lf->provider_version, 18362);
	CHECK_EQ_U64(lf->pointer_size, 8);
	while (etl_reader_next(r, &ev) == 1) {
		enum etl_class c = etl_event_classify(&ev);
		char name[1024];
		if (c >= ETL_EV_IMAGE_LOAD && c <= ETL_EV_IMAGE_DCEND) {
			struct etl_image im;
			images++;
			v3 += ev.version == 3;
			CHECK_EQ_U64(etl_decode_image(&ev, &im), ETL_OK);
			etl_str16_utf8(im.file_name, name, sizeof name);
			named += name[0] == '\\' && im.size > 0;
			ntdll += ends_with_ci(name, "\\system32\\ntdll.dll");
			kernel += ends_with_ci(name, "\\ntoskrnl.exe") && (im.base >> 63) && im.pid == 0;
		} else if (c >= ETL_EV_PROCESS_START && c <= ETL_EV_PROCESS_DCEND) {
			struct etl_process p;
			procs++;
			CHECK_EQ_U64(etl_decode_process(&ev, &p), ETL_OK);
			svchost += p.image_name_len == 11 && memcmp(p.image_name, "svchost.exe", 11) == 0;
		}
	}
	etl_reader_stats(r, &st);
	CHECK_EQ_U64(st.buffers, 49);
	CHECK_EQ_U64(st.compressed_buffers, 0);
	CHECK_EQ_U64(st.out_of_order, 0);
	CHECK_EQ_U64(images, 13753);
	CHECK_EQ_U64(v3, 13753);
	CHECK_EQ_U64(named, 13753);
	CHECK(ntdll > 0);
	CHECK(kernel >= 1);
	CHECK_EQ_U64(procs, 60 + 94 + 37);
	CHECK(svchost > 0);
	etl_reader_close(r);
	free(d);
}

/* diaghub's kernel file: image and process events, no samples. */
static void test_diaghub_kernel(void)
{
	size_t len;
	uint8_t *d = fx_load(FX_DIAGKERNEL, &len);
	struct tally t;

	CHECK(d != NULL);
	if (!d)
		return;
	count_all(d, len, &t, NULL);
	CHECK_EQ_U64(t.rc, 0);
	CHECK_EQ_U64(t.n[ETL_EV_SAMPLE], 0);
	CHECK(t.n[ETL_EV_IMAGE_DCEND] > 0);
	CHECK(t.n[ETL_EV_PROCESS_DCSTART] > 0);
	free(d);
}

/* Decoders reject payloads too short for their fields. */
static void test_short_payloads(void)
{
	uint8_t buf[8] = { 0 };
	struct etl_event ev = { .kind = ETL_HDR_SYSTEM, .ptrsize = 8, .version = 3,
	    .data = buf, .len = 4 };
	struct etl_sample s;
	struct etl_stack st;
	struct etl_stack_ref sr;
	struct etl_image im;
	struct etl_process p;
	struct etl_rsds rs;
	struct etl_clr_method m;
	struct etl_clr_module mo;
	struct etl_logfile lf;

	CHECK_EQ_U64(etl_decode_sample(&ev, &s), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_stack(&ev, &st), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_stack_ref(&ev, &sr), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_image(&ev, &im), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_process(&ev, &p), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_rsds(&ev, &rs), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_clr_method(&ev, &m), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_clr_module(&ev, &mo), (uint64_t)ETL_ECORRUPT);
	CHECK_EQ_U64(etl_decode_logfile(&ev, &lf), (uint64_t)ETL_ECORRUPT);
	/* A record shorter than its header, and one longer than the buffer. */
	uint8_t rec[32] = { 0x10, 0x00, 0x02, 0xC0, 0x10, 0x00 };
	uint32_t size;
	CHECK_EQ_U64(etl_event_parse(rec, sizeof rec, &ev, &size), (uint64_t)ETL_ECORRUPT);
	rec[4] = 0x40;
	CHECK_EQ_U64(etl_event_parse(rec, sizeof rec, &ev, &size), (uint64_t)ETL_ECORRUPT);
	rec[4] = 0x20;
	CHECK_EQ_U64(etl_event_parse(rec, sizeof rec, &ev, &size), ETL_OK);
	CHECK_EQ_U64(size, 32);
	CHECK_EQ_U64(ev.len, 0);
	rec[2] = 0x30;		/* no such header type */
	CHECK_EQ_U64(etl_event_parse(rec, sizeof rec, &ev, &size), (uint64_t)ETL_EUNSUPPORTED);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/*
 * Header kinds the fixtures do not contain (COMPACT, INSTANCE, PERFINFO with
 * PMC counters and a PEBS index, 32-bit EVENT_HEADER with extended items),
 * built byte by byte from the documented layouts.
 */
static void test_header_kinds(void)
{
	uint8_t r[160];
	struct etl_event ev;
	uint32_t size;

	/* COMPACT64: 24-byte header, Image DCStart v3. */
	memset(r, 0, sizeof r);
	put16(r, 3); r[2] = 0x04; r[3] = 0xC0; put16(r + 4, 24 + 8);
	r[6] = 3; r[7] = 0x14; put32(r + 8, 11); put32(r + 12, 22); put32(r + 16, 999);
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), ETL_OK);
	CHECK_EQ_U64(ev.kind, ETL_HDR_COMPACT);
	CHECK_EQ_U64(ev.ptrsize, 8);
	CHECK_EQ_U64(ev.tid, 11);
	CHECK_EQ_U64(ev.pid, 22);
	CHECK_EQ_U64(ev.ts, 999);
	CHECK_EQ_U64(ev.len, 8);
	CHECK(ev.data == r + 24);
	CHECK_EQ_U64(etl_event_classify(&ev), ETL_EV_IMAGE_DCSTART);

	/* PERFINFO64 with a PEBS index and 2 PMC counters: 16 + 8 + 16 bytes. */
	memset(r, 0, sizeof r);
	put16(r, 0x8202); r[2] = 0x11; r[3] = 0xC0; put16(r + 4, 40 + 16);
	r[6] = 46; r[7] = 0x0F; put32(r + 8, 1234);
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), ETL_OK);
	CHECK_EQ_U64(ev.kind, ETL_HDR_PERFINFO);
	CHECK_EQ_U64(ev.version, 2);
	CHECK_EQ_U64(ev.len, 16);
	CHECK(ev.data == r + 40);
	CHECK_EQ_U64(ev.pid, ETL_NO_ID);
	CHECK_EQ_U64(etl_event_classify(&ev), ETL_EV_SAMPLE);

	/* INSTANCE32: 72-byte header, size at +0, class guid at +24 (Process). */
	memset(r, 0, sizeof r);
	put16(r, 72 + 4); r[2] = 0x0B; r[3] = 0xC0; r[4] = 3; put16(r + 6, 4);
	static const uint8_t proc_guid[16] = { 0xd0, 0xa8, 0x6f, 0x3d, 0x05, 0xfe, 0xd0, 0x11,
	    0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c };
	memcpy(r + 24, proc_guid, 16);
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), ETL_OK);
	CHECK_EQ_U64(ev.kind, ETL_HDR_INSTANCE);
	CHECK_EQ_U64(ev.ptrsize, 4);
	CHECK_EQ_U64(ev.len, 4);
	CHECK_EQ_U64(etl_event_classify(&ev), ETL_EV_PROCESS_DCSTART);

	/* FULL64 from KernelTraceControl: DbgID_RSDS (type 36). */
	memset(r, 0, sizeof r);
	put16(r, 48); r[2] = 0x14; r[3] = 0xC0; r[4] = 36;
	static const uint8_t ktc[16] = { 0xd7, 0x75, 0xe6, 0xb3, 0x54, 0x25, 0x18, 0x4f,
	    0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde };
	memcpy(r + 24, ktc, 16);
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), ETL_OK);
	CHECK_EQ_U64(ev.kind, ETL_HDR_FULL);
	CHECK_EQ_U64(etl_event_classify(&ev), ETL_EV_DBGID_RSDS);

	/* EVENT_HEADER32 with one extended item (a container id) then 8 bytes. */
	memset(r, 0, sizeof r);
	put16(r, 80 + 8 + 16 + 8); r[2] = 0x12; r[3] = 0xC0; put16(r + 4, 0x0001);
	put32(r + 8, 5); put32(r + 12, 6);
	put16(r + 80, 8 + 16); put16(r + 82, ETL_EXT_CONTAINER_ID); put16(r + 84, 0);
	put16(r + 86, 16);
	r[88] = 0xAA;
	r[104] = 0x55;
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), ETL_OK);
	CHECK_EQ_U64(ev.kind, ETL_HDR_EVENT);
	CHECK_EQ_U64(ev.ptrsize, 4);
	CHECK_EQ_U64(ev.ext_len, 24);
	CHECK_EQ_U64(ev.len, 8);
	CHECK(ev.data == r + 104);
	struct etl_ext_item it;
	uint32_t pos = 0;
	CHECK_EQ_U64(etl_ext_next(&ev, &pos, &it), 1);
	CHECK_EQ_U64(it.type, ETL_EXT_CONTAINER_ID);
	CHECK_EQ_U64(it.size, 16);
	CHECK(it.data == r + 88);
	CHECK_EQ_U64(etl_ext_next(&ev, &pos, &it), 0);
	/* The item claims more data than the record holds. */
	put16(r + 86, 200);
	CHECK_EQ_U64(etl_event_parse(r, sizeof r, &ev, &size), (uint64_t)ETL_ECORRUPT);
}

/* Payloads with 4-byte pointers, and a Process event with a user SID. */
static void test_payload_layouts(void)
{
	uint8_t p[128];
	struct etl_event ev = { .kind = ETL_HDR_SYSTEM, .ptrsize = 4, .version = 2, .data = p };

	/* Image v2, P = 4: the name starts at 44. */
	memset(p, 0, sizeof p);
	put32(p, 0x10000000); put32(p + 4, 0x5000); put32(p + 8, 77); put32(p + 16, 0x5f00aa11);
	put32(p + 24, 0x10000000);
	const char *nm = "\\x\\a.dll";
	for (size_t i = 0; nm[i]; i++)
		p[44 + 2 * i] = (uint8_t)nm[i];
	ev.len = 44 + 2 * 9;
	struct etl_image im;
	char name[64];
	CHECK_EQ_U64(etl_decode_image(&ev, &im), ETL_OK);
	CHECK_EQ_U64(im.base, 0x10000000);
	CHECK_EQ_U64(im.size, 0x5000);
	CHECK_EQ_U64(im.pid, 77);
	CHECK_EQ_U64(im.time_date_stamp, 0x5f00aa11);
	CHECK_EQ_U64(im.default_base, 0x10000000);
	etl_str16_utf8(im.file_name, name, sizeof name);
	CHECK_STR(name, "\\x\\a.dll");

	/* StackWalk, P = 4: three 32-bit frames. */
	memset(p, 0, sizeof p);
	put32(p, 100); put32(p + 8, 9); put32(p + 12, 10);
	put32(p + 16, 0x401000); put32(p + 20, 0x402000); put32(p + 24, 0x80001234);
	ev.len = 28;
	struct etl_stack st;
	CHECK_EQ_U64(etl_decode_stack(&ev, &st), ETL_OK);
	CHECK_EQ_U64(st.frames.n, 3);
	CHECK_EQ_U64(etl_frame(&st.frames, 2), 0x80001234);
	CHECK_EQ_U64(st.pid, 9);

	/* Process v4, P = 8, with a SID of two sub-authorities. */
	memset(p, 0, sizeof p);
	ev.ptrsize = 8;
	ev.version = 4;
	put32(p + 8, 4242); put32(p + 12, 4);
	put32(p + 32, 0x10);			/* Flags */
	put32(p + 36, 0xdeadbeef);		/* TOKEN_USER: two pointers */
	p[52] = 1; p[53] = 2;			/* SID revision 1, 2 sub-authorities */
	memcpy(p + 68, "app.exe", 8);
	p[76] = 'r'; p[78] = 'u'; p[80] = 'n';
	ev.len = 84;
	struct etl_process pr;
	CHECK_EQ_U64(etl_decode_process(&ev, &pr), ETL_OK);
	CHECK_EQ_U64(pr.pid, 4242);
	CHECK_EQ_U64(pr.ppid, 4);
	CHECK_EQ_U64(pr.flags, 0x10);
	CHECK_EQ_U64(pr.image_name_len, 7);
	CHECK(memcmp(pr.image_name, "app.exe", 7) == 0);
	etl_str16_utf8(pr.command_line, name, sizeof name);
	CHECK_STR(name, "run");
	/* A SID count pointing past the payload. */
	p[53] = 60;
	CHECK_EQ_U64(etl_decode_process(&ev, &pr), (uint64_t)ETL_ECORRUPT);
}

/* UTF-16 conversion: surrogate pairs, lone surrogates, truncation. */
static void test_utf16(void)
{
	static const uint8_t s[] = { 'h', 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 'x', 0 };
	struct etl_str16 str = { s, sizeof s };
	char out[32];

	CHECK_EQ_U64(etl_str16_utf8(str, out, sizeof out), 11);
	CHECK_STR(out, "h\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
	CHECK_EQ_U64(etl_str16_utf8(str, out, 4), 3);	/* "h" + 2-byte char, no split */
	CHECK_STR(out, "h\xc3\xa9");
	str.nbytes = 3;		/* odd length: the half code unit is ignored */
	CHECK_EQ_U64(etl_str16_utf8(str, out, sizeof out), 1);
}

int main(void)
{
	RUN(test_short_payloads);
	RUN(test_header_kinds);
	RUN(test_payload_layouts);
	RUN(test_utf16);
	if (!fx_prepare()) {
		printf("skip: %s/fixtures/etl not found\n", fx_shared());
		UNIT_END();
	}
	int x64 = fx_have(FX_X64);
	RUN_IF(x64, test_x64_header);
	RUN_IF(x64, test_x64_counts);
	RUN_IF(x64, test_x64_plain_stacks);
	RUN_IF(x64, test_x64_stack_keys);
	RUN_IF(x64, test_x64_ntdll_identity);
	RUN_IF(x64, test_x64_clr);
	RUN_IF(fx_have(FX_RUNDOWN), test_rundown);
	RUN_IF(fx_have(FX_DIAGHUB), test_diaghub);
	RUN_IF(fx_have(FX_DIAGKERNEL), test_diaghub_kernel);
	RUN_IF(fx_have(FX_AIRBUS), test_airbus_images);
	UNIT_END();
}

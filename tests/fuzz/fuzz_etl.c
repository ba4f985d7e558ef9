/*
 * fuzz_etl.c - libFuzzer entry for the whole .etl decoder: buffer index,
 * XPRESS, the per-CPU merge, every payload decoder, and the edge builder.
 *   clang -fsanitize=fuzzer,address,undefined -Ietw ETW_SRC tests/fuzz/fuzz_etl.c
 * where ETW_SRC is every .c file of etw/ except the *_win.c ones.
 * Seed it with prefixes of real recordings (whole buffers).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etl_edges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_edge(const struct etl_edge *e, void *ctx)
{
	char a[256], b[256];
	size_t *n = ctx;

	/* Touch every string so ASan checks them. */
	*n += (size_t)etl_edge_end_format(&e->caller, a, sizeof a) +
	    (size_t)etl_edge_end_format(&e->callee, b, sizeof b) +
	    strlen(e->process) + strlen(e->caller.path) + strlen(e->callee.pdb_name);
	return 0;
}

/* Decode every payload the decoder knows, whatever its class says. */
static void decode_all(const uint8_t *data, size_t size)
{
	struct etl_error err;
	struct etl_reader *r = etl_reader_open(data, size, &err);
	struct etl_event ev;
	char buf[512];

	if (!r)
		return;
	while (etl_reader_next(r, &ev) == 1) {
		union {
			struct etl_sample s;
			struct etl_stack st;
			struct etl_stack_ref ref;
			struct etl_stack_def def;
			struct etl_image im;
			struct etl_process p;
			struct etl_thread t;
			struct etl_image_id id;
			struct etl_rsds rs;
			struct etl_clr_method m;
			struct etl_clr_module mo;
			struct etl_logfile lf;
		} u;
		struct etl_ext_item it;
		uint32_t pos = 0;

		etl_event_classify(&ev);
		if (etl_decode_stack(&ev, &u.st) == ETL_OK && u.st.frames.n)
			(void)etl_frame(&u.st.frames, u.st.frames.n - 1);
		if (etl_decode_stack_def(&ev, &u.def) == ETL_OK && u.def.frames.n)
			(void)etl_frame(&u.def.frames, u.def.frames.n - 1);
		etl_decode_sample(&ev, &u.s);
		etl_decode_stack_ref(&ev, &u.ref);
		if (etl_decode_image(&ev, &u.im) == ETL_OK)
			etl_str16_utf8(u.im.file_name, buf, sizeof buf);
		if (etl_decode_process(&ev, &u.p) == ETL_OK)
			etl_str16_utf8(u.p.command_line, buf, sizeof buf);
		etl_decode_thread(&ev, &u.t);
		etl_decode_image_id(&ev, &u.id);
		etl_decode_rsds(&ev, &u.rs);
		if (etl_decode_clr_method(&ev, &u.m) == ETL_OK)
			etl_str16_utf8(u.m.sig, buf, sizeof buf);
		if (etl_decode_clr_module(&ev, &u.mo) == ETL_OK)
			etl_str16_utf8(u.mo.native_path, buf, sizeof buf);
		etl_decode_logfile(&ev, &u.lf);
		while (etl_ext_next(&ev, &pos, &it) == 1)
			;
	}
	etl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etl_edges_opts o = { .kernel = 1, .all_stacks = 1 };
	struct etl_error err;
	size_t n = 0;

	/* data is libFuzzer's own exact-size heap copy of the input: ASan
	 * catches a read past the caller's bytes without a second copy. */
	decode_all(data, size);
	int rc = etl_edges_from_etl(data, size, &o, on_edge, &n, NULL, &err);
	if (rc > 0 || (rc < 0 && err.msg[0] == '\0'))
		abort();
	o.kernel = 0;
	o.all_stacks = 0;
	o.window_ns = 1000000;
	etl_edges_from_etl(data, size, &o, on_edge, &n, NULL, &err);
	return 0;
}

/*
 * test_conflicts.c - trace-conflicts' engine: the x86-64 length decoder (hand
 * encoded instructions, and instruction boundaries against objdump on this
 * very binary), the binary's code facts (a real tail call), and every
 * conflict class, policy, threshold, window count and the resolved stream
 * (also read again) on merged streams written here with the stream writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conflicts.h"
#include "conflicts_code.h"
#include "elfsym.h"
#include "esreader.h"
#include "eswriter.h"
#include "x86tail.h"
#include "unit.h"

/* ---- the decoder ---- */

struct enc {
	const char *what;
	unsigned char b[16];
	unsigned n;		/* bytes given */
	unsigned len;		/* expected length, 0 = invalid */
	unsigned kind;
	long long target;	/* relative to the address 0x1000, for direct transfers */
};

static const struct enc encs[] = {
	{ "call rel32", { 0xe8, 0x10, 0, 0, 0 }, 5, 5, X86TAIL_CALL, 0x15 },
	{ "jmp rel32", { 0xe9, 0xfb, 0xff, 0xff, 0xff }, 5, 5, X86TAIL_JMP, 0 },
	{ "jmp rel8", { 0xeb, 0x05 }, 2, 2, X86TAIL_JMP, 7 },
	{ "je rel8", { 0x74, 0xfe }, 2, 2, X86TAIL_JCC, 0 },
	{ "jne rel32", { 0x0f, 0x85, 0x00, 0x01, 0, 0 }, 6, 6, X86TAIL_JCC, 0x106 },
	{ "bnd jmp rel32", { 0xf2, 0xe9, 0, 0, 0, 0 }, 6, 6, X86TAIL_JMP, 6 },
	{ "call *%rax", { 0xff, 0xd0 }, 2, 2, X86TAIL_CALL_IND, 0 },
	{ "jmp *%rax", { 0xff, 0xe0 }, 2, 2, X86TAIL_JMP_IND, 0 },
	{ "notrack jmp *%rax", { 0x3e, 0xff, 0xe0 }, 3, 3, X86TAIL_JMP_IND, 0 },
	{ "jmp *disp(%rip)", { 0xff, 0x25, 1, 2, 3, 4 }, 6, 6, X86TAIL_JMP_IND, 0 },
	{ "call *0x8(%rax,%rbx,8)", { 0xff, 0x54, 0xd8, 0x08 }, 4, 4, X86TAIL_CALL_IND, 0 },
	{ "ret", { 0xc3 }, 1, 1, X86TAIL_RET, 0 },
	{ "ret $8", { 0xc2, 8, 0 }, 3, 3, X86TAIL_RET, 0 },
	{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4, X86TAIL_OTHER, 0 },
	{ "push %rbp", { 0x55 }, 1, 1, X86TAIL_OTHER, 0 },
	{ "mov %rsp,%rbp", { 0x48, 0x89, 0xe5 }, 3, 3, X86TAIL_OTHER, 0 },
	{ "movabs $imm64,%rax", { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, X86TAIL_OTHER, 0 },
	{ "mov $imm16,%ax", { 0x66, 0xb8, 1, 2 }, 4, 4, X86TAIL_OTHER, 0 },
	{ "mov $imm32,%eax", { 0xb8, 1, 2, 3, 4 }, 5, 5, X86TAIL_OTHER, 0 },
	{ "lea disp(%rip),%rax", { 0x48, 0x8d, 0x05, 1, 2, 3, 4 }, 7, 7, X86TAIL_OTHER, 0 },
	{ "movl $imm32,0x4(%rsp)", { 0xc7, 0x44, 0x24, 0x04, 1, 2, 3, 4 }, 8, 8, X86TAIL_OTHER, 0 },
	{ "testb $imm8,disp(%rip)", { 0xf6, 0x05, 1, 2, 3, 4, 5 }, 7, 7, X86TAIL_OTHER, 0 },
	{ "test $imm32,%eax", { 0xf7, 0xc0, 1, 2, 3, 4 }, 6, 6, X86TAIL_OTHER, 0 },
	{ "neg %eax", { 0xf7, 0xd8 }, 2, 2, X86TAIL_OTHER, 0 },
	{ "nopw 0(%rax,%rax)", { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 10, 10, X86TAIL_OTHER, 0 },
	{ "mov moffs64,%eax", { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 9, X86TAIL_OTHER, 0 },
	{ "enter $8,$0", { 0xc8, 8, 0, 0 }, 4, 4, X86TAIL_OTHER, 0 },
	{ "palignr $8,%xmm1,%xmm0", { 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08 }, 6, 6, X86TAIL_OTHER, 0 },
	{ "pshufb %xmm1,%xmm0", { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5, 5, X86TAIL_OTHER, 0 },
	{ "vzeroupper", { 0xc5, 0xf8, 0x77 }, 3, 3, X86TAIL_OTHER, 0 },
	{ "vpshufd $0,%xmm1,%xmm0", { 0xc5, 0xf9, 0x70, 0xc1, 0x00 }, 5, 5, X86TAIL_OTHER, 0 },
	{ "vbroadcastss disp(%rip),%xmm0", { 0xc4, 0xe2, 0x79, 0x18, 0x05, 1, 2, 3, 4 }, 9, 9, X86TAIL_OTHER, 0 },
	{ "vmovups disp(%rip),%zmm0", { 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x05, 1, 2, 3, 4 }, 10, 10,
	  X86TAIL_OTHER, 0 },
	{ "vpternlogd $0xff,%zmm0,%zmm0,%zmm0", { 0x62, 0xf3, 0x7d, 0x48, 0x25, 0xc0, 0xff }, 7, 7,
	  X86TAIL_OTHER, 0 },
	{ "lock cmpxchg %ecx,(%rdx)", { 0xf0, 0x0f, 0xb1, 0x0a }, 4, 4, X86TAIL_OTHER, 0 },
	{ "syscall", { 0x0f, 0x05 }, 2, 2, X86TAIL_OTHER, 0 },
	{ "invalid in 64-bit mode (push %es)", { 0x06 }, 1, 0, 0, 0 },
	{ "truncated call", { 0xe8, 0x00 }, 2, 0, 0, 0 },
	{ "truncated modrm", { 0x48, 0x8b }, 2, 0, 0, 0 },
};

static void test_decode(void)
{
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		struct x86tail_insn in;
		unsigned n = x86tail_decode(encs[i].b, encs[i].n, 0x1000, &in);

		if (n != encs[i].len)
			fprintf(stderr, "%s: length %u, expected %u\n", encs[i].what, n, encs[i].len);
		CHECK_EQ_U64(n, encs[i].len);
		if (!n)
			continue;
		CHECK_EQ_U64(in.kind, encs[i].kind);
		if (encs[i].kind == X86TAIL_CALL || encs[i].kind == X86TAIL_JMP || encs[i].kind == X86TAIL_JCC)
			CHECK_EQ_U64(in.target, (uint64_t)(0x1000 + encs[i].target));
	}
}

struct seen {
	unsigned calls, jumps, rets;
	uint64_t last_target;
};

static int count_xfer(void *arg, uint64_t at, const struct x86tail_insn *in)
{
	struct seen *s = arg;

	(void)at;
	if (in->kind == X86TAIL_CALL)
		s->calls++;
	if (in->kind == X86TAIL_JMP) {
		s->jumps++;
		s->last_target = in->target;
	}
	if (in->kind == X86TAIL_RET)
		s->rets++;
	return 0;
}

static void test_sweep(void)
{
	/* endbr64; push %rbp; mov %rsp,%rbp; call +0; pop %rbp; jmp 0x2000 */
	static const uint8_t fn[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0xe8, 0, 0, 0, 0,
		0x5d, 0xe9, 0xed, 0x0f, 0, 0 };
	static const uint8_t bad[] = { 0x55, 0x06, 0xc3 };
	struct seen s = { 0, 0, 0, 0 };
	uint64_t at = 0;

	CHECK(x86tail_sweep(fn, sizeof(fn), 0x1000, count_xfer, &s, NULL) == 0);
	CHECK_EQ_U64(s.calls, 1);
	CHECK_EQ_U64(s.jumps, 1);
	CHECK_EQ_U64(s.last_target, 0x2000);
	CHECK(x86tail_sweep(bad, sizeof(bad), 0x1000, NULL, NULL, &at) == -1);
	CHECK_EQ_U64(at, 0x1001);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every instruction boundary the sweep finds in this executable is one objdump prints. */
static void test_against_objdump(void)
{
	struct tm_err err = { 0, "" };
	struct elfsym *es = elfsym_open("/proc/self/exe", -1, "self", &err);
	size_t cap = 1 << 16, n = 0, i, checked = 0, fns = 0;
	uint64_t *addr = malloc(cap * sizeof(*addr));
	char line[512], cmd[256];
	FILE *p;

	CHECK(es != NULL && addr != NULL);
	if (!es || !addr) {
		free(addr);
		return;
	}
	snprintf(cmd, sizeof(cmd), "objdump -d --no-show-raw-insn /proc/%d/exe 2>/dev/null", (int)getpid());
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long long a;
		char colon;

		if (sscanf(line, " %llx%c", &a, &colon) == 2 && colon == ':' && strchr(line, '\t')) {
			if (n == cap) {
				cap *= 2;
				addr = realloc(addr, cap * sizeof(*addr));
				if (!addr)
					break;
			}
			addr[n++] = a;
		}
	}
	if (p)
		pclose(p);
	if (!n || !addr) {
		printf("test_against_objdump: objdump not available, boundary check skipped\n");
		free(addr);
		elfsym_close(es);
		return;
	}
	qsort(addr, n, sizeof(*addr), cmp_u64);
	for (i = 0; i < elfsym_count(es); i++) {
		const struct elfsym_sym *s = elfsym_at(es, i);
		uint8_t *buf;
		uint64_t off, o = 0;

		if (!s->size || s->size > (1u << 20) || elfsym_vaddr_to_off(es, s->addr, &off) < 0)
			continue;
		buf = malloc(s->size);
		if (!buf || elfsym_pread(es, off, buf, s->size) < 0) {
			free(buf);
			continue;
		}
		fns++;
		while (o < s->size) {
			struct x86tail_insn in;
			unsigned len = x86tail_decode(buf + o, s->size - o, s->addr + o, &in);
			uint64_t key = s->addr + o;

			CHECK(len > 0);
			CHECK(bsearch(&key, addr, n, sizeof(*addr), cmp_u64) != NULL);
			if (!len || !bsearch(&key, addr, n, sizeof(*addr), cmp_u64)) {
				fprintf(stderr, "%s+0x%llx: decoder and objdump disagree\n", s->name,
				    (unsigned long long)o);
				break;
			}
			checked++;
			o += len;
		}
		free(buf);
	}
	CHECK(fns > 50 && checked > 1000);
	free(addr);
	elfsym_close(es);
}

/* ---- the binary's code: a real tail call in this test program ---- */

__attribute__((noinline)) int test_tail_b(int x);
__attribute__((noinline)) int test_tail_a(int x);

__attribute__((noinline)) int test_tail_b(int x)
{
	volatile int v = x;

	return v * 5;
}

__attribute__((noinline)) int test_tail_a(int x)
{
	return test_tail_b(x + 3);
}

static void test_code(void)
{
	struct tm_err err = { 0, "" };
	struct cfcode *c = cfcode_open("/proc/self/exe", &err);
	uint32_t a[4], b[4];
	const struct cfcode_fn *fa, *fb;
	uint64_t at = 0;
	unsigned how;

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(cfcode_is_x86_64(c));
	CHECK_EQ_U64(cfcode_find(c, "test_tail_a", 11, 0, a, 4), 1);
	CHECK_EQ_U64(cfcode_find(c, "test_tail_b", 11, 0, b, 4), 1);
	CHECK_EQ_U64(cfcode_find(c, "no_such_function_here", 21, 1, a, 4), 0);
	/* A file qualifier narrows nothing away when the symbol table has one candidate. */
	CHECK_EQ_U64(cfcode_find(c, "test_conflicts.c:test_tail_a", 28, 0, a, 4), 1);
	fa = cfcode_fn(c, a[0]);
	fb = cfcode_fn(c, b[0]);
	CHECK(fa && fb && fa->decoded == 1);
	how = cfcode_reaches(c, a[0], fb->addr, &at);
	CHECK(how != 0);
	CHECK(at >= fa->addr && at < fa->addr + fa->size);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
	/* gcc and clang -O2 turn the call in tail position into a jump. */
	CHECK(how & CFCODE_JMP);
#endif
	CHECK_EQ_U64(cfcode_reaches(c, b[0], fa->addr, NULL), 0);
	CHECK(cfcode_at_offset(c, 0) < 0);
	cfcode_free(c);
	CHECK(test_tail_a(1) == 20);
}

/* ---- merged streams written here ---- */

struct tb {
	struct tm_err err;
	int fd;
	struct es_writer *w;
	uint32_t app, libc, plug;
	uint64_t wstart, wend;		/* the window of the next edges, 0 = none */
};

static void tb_begin(struct tb *t, const char *module_param, const char *build_id_param,
    const uint8_t *app_id)
{
	struct es_param p[3];
	struct es_header h;
	struct es_module m;
	size_t np = 0;

	memset(&h, 0, sizeof(h));
	if (module_param) {
		p[np].key = "module";
		p[np++].value = module_param;
	}
	if (build_id_param) {
		p[np].key = "build_id";
		p[np++].value = build_id_param;
	}
	h.producer = "test";
	h.source = "merge";
	h.params = p;
	h.nparams = np;
	CHECK(es_writer_begin(t->w, &h) == 0);
	memset(&m, 0, sizeof(m));
	m.name = "app";
	if (app_id) {
		m.id_kind = ES_ID_GNU;
		m.build_id_len = 4;
		memcpy(m.build_id, app_id, 4);
	}
	t->app = es_writer_module(t->w, &m);
	memset(&m, 0, sizeof(m));
	m.name = "libc.so.6";
	t->libc = es_writer_module(t->w, &m);
	m.name = "plugin.so";
	t->plug = es_writer_module(t->w, &m);
}

static void tb_init(struct tb *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = memfd_create("cf", 0);
	CHECK(t->fd >= 0);
	t->w = es_writer_new(t->fd, "mem", NULL, &t->err);
	CHECK(t->w != NULL);
}

static uint32_t nd(struct tb *t, uint32_t mod, const char *sym, uint32_t flags, uint32_t state)
{
	struct es_node n;

	memset(&n, 0, sizeof(n));
	n.module = mod;
	n.symbol = es_writer_cstring(t->w, sym);
	n.flags = flags;
	n.state = state;
	return es_writer_node(t->w, &n);
}

/* An edge with the class trace-merge gave it (0: none), in the current window. */
static void edc(struct tb *t, uint32_t a, uint32_t b, uint64_t count, uint32_t ev, uint8_t cls)
{
	struct es_edge e;

	memset(&e, 0, sizeof(e));
	e.caller = a;
	e.callee = b;
	e.count = count;
	e.evidence = ev;
	e.edge_class = cls;
	if (count) {
		e.first_ns = 1000;
		e.last_ns = 2000 + count;
	}
	if (t->wstart)
		e.window = es_writer_window(t->w, t->wstart, t->wend);
	CHECK(es_writer_edge(t->w, &e) == 0);
}

static void ed(struct tb *t, uint32_t a, uint32_t b, uint64_t count, uint32_t ev)
{
	edc(t, a, b, count, ev, 0);
}

/* Finish the stream and run the engine over it. */
static struct cf *tb_run(struct tb *t, unsigned policy, uint64_t min_count, uint64_t min_windows)
{
	struct cf_opts o;
	struct es_reader *r;
	struct cf *c;
	static struct tm_err err;

	CHECK(es_writer_end(t->w) == 0);
	es_writer_free(t->w);
	t->w = NULL;
	lseek(t->fd, 0, SEEK_SET);
	memset(&o, 0, sizeof(o));
	o.policy = policy;
	o.min_count = min_count;
	o.min_windows = min_windows;
	tm_err_clear(&err);
	c = cf_new(&o, &err);
	r = es_reader_new(t->fd, "mem", NULL, &err);
	CHECK(c && r);
	CHECK(cf_add_input(c, r, NULL) == 0);
	es_reader_free(r);
	CHECK(cf_finish(c) == 0);
	close(t->fd);
	return c;
}

/* The conflict of caller -> callee (names "module!symbol"), or NULL. */
static const struct cf_conflict *find(const struct cf *c, const char *a, const char *b)
{
	char x[256], y[256];

	for (size_t i = 0; i < cf_count(c); i++) {
		const struct cf_conflict *k = &cf_conflicts(c)[i];
		const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;

		if (e) {
			cf_node_name(c, e->caller, x, sizeof(x));
			cf_node_name(c, e->callee, y, sizeof(y));
			if (b && strcmp(x, a) == 0 && strcmp(y, b) == 0)
				return k;
		} else if (!b) {
			cf_node_name(c, k->node, x, sizeof(x));
			if (strcmp(x, a) == 0)
				return k;
		}
	}
	return NULL;
}

static const char *cls(const struct cf *c, const char *a, const char *b)
{
	const struct cf_conflict *k = find(c, a, b);

	return k ? cf_class_name(k->cls) : "none";
}

static const char *res(const struct cf *c, const char *a, const char *b)
{
	const struct cf_conflict *k = find(c, a, b);

	return k ? cf_resolution_name(k->resolution) : "none";
}

#define SR ES_STATE_STATIC_REACHABLE
#define CR ES_STATE_CONFIRMED_REACHABLE
#define RO ES_STATE_RUNTIME_OBSERVED
#define PROBE ES_EV_EBPF_PROBE
#define STAT ES_EV_STATIC

/*
 * The program of the classification tests:
 *   static: main -> mid -> leaf, main -> relay -> sink, main -> helper -> deep,
 *           main -> qsort, main -> signal, main -> printf, never -> leaf,
 *           main has an indirect site, op is address-taken, a.c:dup and b.c:dup.
 *   runtime (probe): main -> leaf (mid not observed: inlined), main -> relay and
 *           main -> sink (relay observed: tail call), main -> op (indirect),
 *           main -> mid2... (see below).
 */
static struct cf *classification_run(unsigned policy, uint64_t min_count)
{
	struct tb t;
	uint32_t main_, mid, leaf, relay, sink, helper, deep, qsort_, signal_, printf_, never, op, dupa,
	    dupb, lonely, orphan, msort, restore, start, pl, twice, crt, dup_rt, contested, mystery;

	tb_init(&t);
	tb_begin(&t, NULL, NULL, NULL);
	main_ = nd(&t, t.app, "main", ES_NODE_INDIRECT_SITE | ES_NODE_ENTRY, CR);
	mid = nd(&t, t.app, "mid", 0, SR);
	leaf = nd(&t, t.app, "leaf", 0, CR);
	relay = nd(&t, t.app, "relay", 0, CR);
	sink = nd(&t, t.app, "sink", 0, CR);
	helper = nd(&t, t.app, "helper", 0, SR);
	deep = nd(&t, t.app, "deep", 0, SR);
	qsort_ = nd(&t, t.app, "qsort", ES_NODE_EXTERNAL, SR);
	signal_ = nd(&t, t.app, "signal", ES_NODE_EXTERNAL, SR);
	printf_ = nd(&t, t.app, "printf", ES_NODE_EXTERNAL, SR);
	never = nd(&t, t.app, "never", 0, ES_STATE_STATIC_UNREACHABLE);
	op = nd(&t, t.app, "a.c:op", ES_NODE_ADDRESS_TAKEN, CR);
	dupa = nd(&t, t.app, "a.c:dup", 0, SR);
	dupb = nd(&t, t.app, "b.c:dup", 0, SR);
	lonely = nd(&t, t.app, "a.c:cmp", ES_NODE_ADDRESS_TAKEN, CR);
	orphan = nd(&t, t.app, "a.c:onsig", ES_NODE_ADDRESS_TAKEN, CR);
	contested = nd(&t, t.app, "by_name", 0, ES_STATE_CONTESTED);
	mystery = nd(&t, t.app, "mystery", 0, CR);
	msort = nd(&t, t.libc, "msort_with_tmp.part.0", 0, RO);
	restore = nd(&t, t.libc, "__restore_rt", 0, RO);
	start = nd(&t, t.libc, "__libc_start_call_main", 0, RO);
	pl = nd(&t, t.plug, "plugin_entry", 0, RO);
	twice = nd(&t, t.plug, "twice", 0, RO);
	crt = nd(&t, t.app, "frame_dummy", 0, RO);
	dup_rt = nd(&t, t.app, "dup", 0, RO);
	/* static */
	ed(&t, main_, mid, 0, STAT);
	ed(&t, mid, leaf, 0, STAT);
	ed(&t, relay, sink, 0, STAT);
	ed(&t, main_, helper, 0, STAT);
	ed(&t, helper, deep, 0, STAT);
	ed(&t, main_, qsort_, 0, STAT);
	ed(&t, main_, signal_, 0, STAT);
	ed(&t, main_, printf_, 0, STAT);
	ed(&t, never, leaf, 0, STAT);
	ed(&t, main_, dupa, 0, STAT);
	ed(&t, main_, dupb, 0, STAT);
	ed(&t, main_, mystery, 0, STAT);
	/* confirmed */
	ed(&t, main_, relay, 3, STAT | PROBE);
	/* runtime only */
	ed(&t, main_, leaf, 5, PROBE);		/* mid never observed: inlined */
	ed(&t, main_, sink, 3, PROBE);		/* relay observed: tail call */
	ed(&t, main_, op, 7, PROBE);		/* indirect site + address-taken */
	ed(&t, msort, lonely, 9, PROBE);	/* libc calls back (qsort registered) */
	ed(&t, restore, orphan, 1, PROBE);	/* signal handler */
	ed(&t, start, main_, 1, PROBE);		/* the entry */
	ed(&t, main_, pl, 1, PROBE);		/* dlopen plugin */
	ed(&t, pl, twice, 1, PROBE);
	ed(&t, crt, relay, 1, PROBE);		/* crt code the graph lacks */
	ed(&t, mystery, dup_rt, 2, PROBE);	/* two static "dup": identity */
	ed(&t, mystery, deep, 2, PROBE);	/* no path: unexplained */
	ed(&t, main_, contested, 1, PROBE);
	return tb_run(&t, policy, min_count, 1);
}

static void test_classes(void)
{
	struct cf *c = classification_run(CF_POLICY_EXPLAIN_ONLY, 1);
	const struct cf_conflict *k;

	CHECK_STR(cls(c, "app!main", "app!leaf"), "inlined");
	CHECK_STR(cls(c, "app!main", "app!sink"), "tail-call");
	k = find(c, "app!main", "app!sink");
	CHECK(k && k->confidence == CF_CONF_MEDIUM && (k->facts & CF_F_VIA_OBSERVED));
	CHECK_STR(cls(c, "app!main", "app!a.c:op"), "indirect-call");
	k = find(c, "app!main", "app!a.c:op");
	CHECK(k && k->confidence == CF_CONF_HIGH && (k->facts & CF_F_CALLER_ISITE) &&
	    (k->facts & CF_F_CALLEE_ADDR_TAKEN));
	CHECK_STR(cls(c, "libc.so.6!msort_with_tmp.part.0", "app!a.c:cmp"), "callback");
	CHECK_STR(cls(c, "libc.so.6!__restore_rt", "app!a.c:onsig"), "async-transfer");
	k = find(c, "libc.so.6!__restore_rt", "app!a.c:onsig");
	CHECK(k && k->async == CF_ASYNC_SIGNAL && (k->facts & CF_F_REGISTRATION));
	CHECK_STR(cls(c, "libc.so.6!__libc_start_call_main", "app!main"), "async-transfer");
	k = find(c, "libc.so.6!__libc_start_call_main", "app!main");
	CHECK(k && k->async == CF_ASYNC_ENTRY);
	CHECK_STR(cls(c, "app!main", "plugin.so!plugin_entry"), "dynamic-module");
	CHECK_STR(cls(c, "plugin.so!plugin_entry", "plugin.so!twice"), "dynamic-module");
	CHECK_STR(cls(c, "app!frame_dummy", "app!relay"), "out-of-scope");
	CHECK_STR(cls(c, "app!mystery", "app!dup"), "identity-mismatch");
	k = find(c, "app!mystery", "app!dup");
	CHECK(k && k->confidence == CF_CONF_MEDIUM);	/* two static functions named dup */
	CHECK_STR(cls(c, "app!mystery", "app!deep"), "unexplained");
	/* Static side: the caller ran / never ran; probes only, no probe on printf. */
	CHECK_STR(cls(c, "app!relay", "app!sink"), "not-exercised");
	CHECK_STR(cls(c, "app!never", "app!leaf"), "caller-not-executed");
	CHECK_STR(cls(c, "app!main", "app!printf"), "unobservable");
	/* Confirmed edges are no conflict. */
	CHECK_STR(cls(c, "app!main", "app!relay"), "none");
	CHECK_STR(cls(c, "app!by_name", NULL), "contested");
	/* Report order: most severe class first. */
	for (size_t i = 1; i < cf_count(c); i++)
		CHECK(cf_conflicts(c)[i - 1].cls <= cf_conflicts(c)[i].cls);
	CHECK_EQ_U64(cf_summary(c)->unresolved, cf_count(c));
	CHECK_EQ_U64(cf_unresolved(c, 1u << CF_UNEXPLAINED), 1);
	CHECK_EQ_U64(cf_unresolved(c, 1u << CF_NOT_PRESENT), 0);
	{
		char buf[1024];

		k = find(c, "app!main", "app!sink");
		cf_explain(c, k, buf, sizeof(buf));
		CHECK(strstr(buf, "static path app!main -> app!relay -> app!sink") != NULL);
	}
	cf_free(c);
}

static void test_policies(void)
{
	struct cf *c = classification_run(CF_POLICY_PREFER_RUNTIME, 1);

	CHECK_STR(res(c, "app!mystery", "app!deep"), "accepted");
	CHECK_STR(res(c, "app!main", "app!a.c:op"), "accepted");
	CHECK_STR(res(c, "app!main", "app!sink"), "explained");
	CHECK_STR(res(c, "app!main", "app!leaf"), "explained");
	CHECK_STR(res(c, "app!relay", "app!sink"), "kept");
	CHECK_STR(res(c, "app!by_name", NULL), "accepted");
	CHECK_EQ_U64(cf_summary(c)->unresolved, 0);
	cf_free(c);

	c = classification_run(CF_POLICY_PREFER_STATIC, 1);
	CHECK_STR(res(c, "app!mystery", "app!deep"), "rejected");
	CHECK_STR(res(c, "app!main", "app!a.c:op"), "accepted");
	CHECK_STR(res(c, "app!by_name", NULL), "open");
	CHECK_EQ_U64(cf_unresolved(c, 1u << CF_UNEXPLAINED), 0);
	CHECK_EQ_U64(cf_unresolved(c, 1u << CF_CONTESTED), 1);
	cf_free(c);

	/* --min-count: fewer observations are rejected under every policy. */
	c = classification_run(CF_POLICY_EXPLAIN_ONLY, 5);
	CHECK_STR(res(c, "app!mystery", "app!deep"), "rejected");
	CHECK(find(c, "app!mystery", "app!deep")->reason == CF_WHY_MIN_COUNT);
	CHECK_STR(res(c, "app!main", "app!a.c:op"), "open");
	CHECK_EQ_U64(cf_unresolved(c, 1u << CF_UNEXPLAINED), 0);
	cf_free(c);
}

/* Windows are counted per edge: the window column, else each segment's span. */
static void test_windows(void)
{
	struct tb t;
	struct cf *c;
	uint32_t a, b, d;

	tb_init(&t);
	for (int seg = 0; seg < 3; seg++) {
		tb_begin(&t, NULL, NULL, NULL);
		a = nd(&t, t.app, "main", ES_NODE_ENTRY, CR);
		b = nd(&t, t.app, "x", 0, CR);
		d = nd(&t, t.app, "y", 0, CR);
		ed(&t, a, b, 0, STAT);
		t.wstart = 100 * (uint64_t)(seg + 1);
		t.wend = t.wstart + 50;
		ed(&t, b, d, 1, PROBE);			/* seen in all three */
		if (seg == 0)
			ed(&t, a, d, 4, PROBE);		/* seen once */
		t.wstart = 0;
	}
	c = tb_run(&t, CF_POLICY_PREFER_RUNTIME, 1, 2);
	CHECK_EQ_U64(find(c, "app!x", "app!y")->windows, 3);
	CHECK_EQ_U64(cf_edge(c, find(c, "app!x", "app!y")->edge - 1)->count, 3);
	CHECK_STR(res(c, "app!x", "app!y"), "accepted");
	CHECK_EQ_U64(find(c, "app!main", "app!y")->windows, 1);
	CHECK_STR(res(c, "app!main", "app!y"), "rejected");
	CHECK(find(c, "app!main", "app!y")->reason == CF_WHY_MIN_WINDOWS);
	cf_free(c);
}

/* Records repeating an edge in windows already seen add counts, not windows. */
static void test_windows_repeated(void)
{
	struct tb t;
	struct cf *c;
	uint32_t a, b;

	tb_init(&t);
	tb_begin(&t, NULL, NULL, NULL);
	a = nd(&t, t.app, "x", 0, CR);
	b = nd(&t, t.app, "y", 0, CR);
	for (int i = 0; i < 1000; i++) {
		t.wstart = i % 2 ? 100 : 200;
		t.wend = t.wstart + 50;
		ed(&t, a, b, 1, PROBE);
	}
	t.wstart = 0;
	ed(&t, b, a, 1, PROBE);			/* no window: the segment's */
	ed(&t, b, a, 1, PROBE);
	c = tb_run(&t, CF_POLICY_PREFER_RUNTIME, 1, 3);
	CHECK_EQ_U64(find(c, "app!x", "app!y")->windows, 2);
	CHECK_EQ_U64(cf_edge(c, find(c, "app!x", "app!y")->edge - 1)->count, 1000);
	CHECK(find(c, "app!x", "app!y")->reason == CF_WHY_MIN_WINDOWS);
	CHECK_EQ_U64(find(c, "app!y", "app!x")->windows, 1);
	cf_free(c);
}

static void test_version_skew(void)
{
	static const uint8_t ran[4] = { 0xde, 0xad, 0xbe, 0xef };
	struct tb t;
	struct cf *c;
	uint32_t a, b, d;

	tb_init(&t);
	tb_begin(&t, "app", "01020304", ran);
	a = nd(&t, t.app, "main", ES_NODE_ENTRY, CR);
	b = nd(&t, t.app, "old", 0, SR);
	d = nd(&t, t.app, "new", 0, RO);
	ed(&t, a, b, 0, STAT);
	ed(&t, a, d, 2, PROBE);
	c = tb_run(&t, CF_POLICY_PREFER_STATIC, 1, 1);
	CHECK_STR(cls(c, "app!main", "app!new"), "version-skew");
	CHECK_STR(cls(c, "app!main", "app!old"), "version-skew");
	CHECK_STR(res(c, "app!main", "app!new"), "rejected");
	CHECK_STR(res(c, "app!main", "app!old"), "kept");
	CHECK_STR(cf_static_build_id(c), "01020304");
	cf_free(c);
}

static void test_names(void)
{
	uint32_t m = 0;
	char bad[64];

	for (unsigned k = 0; k < CF_NCLASSES; k++) {
		CHECK_EQ_U64(cf_class_parse(cf_class_name(k), strlen(cf_class_name(k))), k);
		CHECK_EQ_U64(cf_class_parse(cf_class_code(k), strlen(cf_class_code(k))), k);
		CHECK(strlen(cf_class_summary(k)) > 20);
	}
	/* One table of names: the stream's. */
	for (unsigned k = 0; k < CF_NCLASSES; k++) {
		CHECK_STR(cf_class_name(k), es_conflict_name(cf_es_conflict(k)));
		CHECK_EQ_U64(es_conflict_from_name(cf_class_name(k), strlen(cf_class_name(k))), k + 1);
	}
	for (unsigned r = 0; r < CF_NRES; r++) {
		CHECK_STR(cf_resolution_name(r), es_resolution_name(cf_es_resolution(r)));
		CHECK_EQ_U64(es_resolution_from_name(cf_resolution_name(r), strlen(cf_resolution_name(r))),
		    r + 1);
	}
	CHECK_STR(cf_class_name(CF_IDENTITY), "identity-mismatch");
	CHECK_STR(cf_class_name(CF_UNOBSERVABLE), "unobservable");
	CHECK_STR(cf_class_name(CF_NCLASSES), "?");
	CHECK_STR(cf_resolution_name(CF_RES_OPEN), "open");
	CHECK_STR(cf_resolution_name(CF_RES_KEPT), "kept");
	CHECK_STR(cf_resolution_name(CF_NRES), "?");
	CHECK(cf_class_parse("r-tailcall", 10) == CF_TAIL_CALL);
	CHECK(cf_class_parse("nope", 4) < 0);
	CHECK(cf_class_list_parse("tail-call,R-INDIRECT", &m, bad, sizeof(bad)) == 0);
	CHECK_EQ_U64(m, (1u << CF_TAIL_CALL) | (1u << CF_INDIRECT));
	CHECK(cf_class_list_parse("error", &m, bad, sizeof(bad)) == 0);
	CHECK_EQ_U64(m, (1u << CF_UNEXPLAINED) | (1u << CF_CONTESTED) | (1u << CF_VERSION_SKEW));
	CHECK(cf_class_list_parse("any", &m, bad, sizeof(bad)) == 0);
	CHECK_EQ_U64(m, (1u << CF_NCLASSES) - 1);
	CHECK(cf_class_list_parse("inlined,bogus", &m, bad, sizeof(bad)) < 0);
	CHECK_STR(bad, "bogus");
	CHECK(cf_class_list_parse("inlined,", &m, bad, sizeof(bad)) < 0);
	CHECK(cf_policy_parse("prefer-static") == CF_POLICY_PREFER_STATIC);
	CHECK(cf_policy_parse("prefer") < 0);
}

/* ---- the resolved stream ---- */

/* c's resolved stream in a memory file, at its start. */
static int resolved_fd(struct cf *c)
{
	struct tm_err err = { 0, "" };
	int fd = memfd_create("out", 0);
	struct es_writer *w = es_writer_new(fd, "out", NULL, &err);

	CHECK(w != NULL);
	CHECK(cf_write_stream(c, w, "test") == 0);
	es_writer_free(w);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The engine over the stream in fd (not closed), under policy. */
static struct cf *run_fd(int fd, unsigned policy)
{
	static struct tm_err err;
	struct cf_opts o;
	struct es_reader *r;
	struct cf *c;

	memset(&o, 0, sizeof(o));
	o.policy = policy;
	tm_err_clear(&err);
	lseek(fd, 0, SEEK_SET);
	c = cf_new(&o, &err);
	r = es_reader_new(fd, "out", NULL, &err);
	CHECK(c && r);
	CHECK(cf_add_input(c, r, NULL) == 0);
	es_reader_free(r);
	CHECK(cf_finish(c) == 0);
	return c;
}

/* An edge of a resolved stream, by name, with its callee's flags and state. */
struct out_edge {
	char a[128], b[128];
	uint8_t cls, conflict, resolution;
	uint32_t callee_flags, callee_state;
};

#define MAX_OUT 64

/* Read the resolved stream in fd: its edges into out, the header's parameter count. */
static size_t read_resolved(int fd, struct out_edge *out, size_t *nparams)
{
	struct tm_err err = { 0, "" };
	struct es_reader *r;
	struct es_event ev;
	size_t n = 0;

	lseek(fd, 0, SEEK_SET);
	r = es_reader_new(fd, "out", NULL, &err);
	CHECK(r != NULL);
	while (r && es_reader_next(r, &ev) > 0) {
		if (ev.kind == ES_EVENT_HEADER) {
			CHECK_STR(ev.header->source, "conflicts");
			*nparams = ev.header->nparams;
		} else if (ev.kind == ES_EVENT_EDGES) {
			for (size_t i = 0; i < ev.nedges && n < MAX_OUT; i++, n++) {
				const struct es_edge *e = &ev.edges[i];

				es_reader_node_name(r, e->caller, out[n].a, sizeof(out[n].a));
				es_reader_node_name(r, e->callee, out[n].b, sizeof(out[n].b));
				out[n].cls = e->edge_class;
				out[n].conflict = e->conflict;
				out[n].resolution = e->resolution;
				out[n].callee_flags = es_reader_node(r, e->callee)->flags;
				out[n].callee_state = es_reader_node(r, e->callee)->state;
			}
		}
	}
	CHECK(err.code == 0);
	es_reader_free(r);
	return n;
}

static const struct out_edge *out_find(const struct out_edge *out, size_t n, const char *a, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].a, a) == 0 && strcmp(out[i].b, b) == 0)
			return &out[i];
	return NULL;
}

/*
 * The resolved stream keeps every edge; each conflicting one carries its
 * class and resolution in the conflict and resolution columns, the rest none.
 */
static void test_resolved_stream(void)
{
	struct cf *c = classification_run(CF_POLICY_PREFER_STATIC, 1);
	struct out_edge out[MAX_OUT];
	size_t n, nparams = 0, marked = 0;
	int fd = resolved_fd(c);

	n = read_resolved(fd, out, &nparams);
	CHECK_EQ_U64(n, cf_edge_count(c));
	/* The input's none, and policy, min_count, min_windows, unresolved. */
	CHECK_EQ_U64(nparams, 4);
	for (size_t i = 0; i < n; i++) {
		const struct cf_conflict *k = find(c, out[i].a, out[i].b);

		if (k) {
			CHECK_EQ_U64(out[i].conflict, cf_es_conflict(k->cls));
			CHECK_EQ_U64(out[i].resolution, cf_es_resolution(k->resolution));
			marked++;
		} else {
			CHECK_EQ_U64(out[i].conflict, ES_CONFLICT_NONE);
			CHECK_EQ_U64(out[i].resolution, ES_RES_NONE);
		}
		/* The input gave no class: trace-merge's. */
		CHECK(out[i].cls >= ES_CLASS_CONFIRMED && out[i].cls <= ES_CLASS_MAX);
	}
	CHECK_EQ_U64(marked, cf_count(c) - cf_summary(c)->by_class[CF_CONTESTED]);
	{
		const struct out_edge *e = out_find(out, n, "app!mystery", "app!deep");

		CHECK(e && e->conflict == ES_CONFLICT_UNEXPLAINED && e->resolution == ES_RES_REJECTED);
		CHECK(e && e->cls == ES_CLASS_RUNTIME_ONLY);
		e = out_find(out, n, "app!main", "app!a.c:op");
		CHECK(e && e->conflict == ES_CONFLICT_INDIRECT_CALL && e->resolution == ES_RES_ACCEPTED);
		CHECK(e && e->cls == ES_CLASS_CONFIRMED_INDIRECT);
		e = out_find(out, n, "app!relay", "app!sink");
		CHECK(e && e->conflict == ES_CONFLICT_NOT_EXERCISED && e->resolution == ES_RES_KEPT);
		CHECK(e && e->cls == ES_CLASS_STATIC_ONLY);
		e = out_find(out, n, "app!main", "app!relay");
		CHECK(e && e->conflict == ES_CONFLICT_NONE && e->cls == ES_CLASS_CONFIRMED);
	}
	close(fd);
	cf_free(c);
}

/*
 * The class trace-merge gave (even one the policy would not), accepted
 * contested functions, the edges entering them, and the stream read again:
 * the conflicts are derived afresh, under the new policy.
 */
static void test_resolved_again(void)
{
	struct out_edge out[MAX_OUT], again[MAX_OUT];
	const struct out_edge *e;
	struct tb t;
	struct cf *c;
	uint32_t main_, a, b, helper, by_name;
	size_t n, n2, np;
	int fd, fd2, fd3;

	tb_init(&t);
	tb_begin(&t, NULL, NULL, NULL);
	main_ = nd(&t, t.app, "main", ES_NODE_ENTRY, CR);
	a = nd(&t, t.app, "a", 0, CR);
	b = nd(&t, t.app, "b", 0, CR);
	helper = nd(&t, t.app, "helper", 0, ES_STATE_CONTESTED);
	by_name = nd(&t, t.app, "by_name", 0, ES_STATE_CONTESTED);
	edc(&t, main_, a, 3, STAT | PROBE, ES_CLASS_CONFIRMED);
	/* main has no indirect-site flag: trace-merge's class stays all the same (main -> a -> b
	 * makes it a tail call). */
	edc(&t, main_, b, 2, PROBE, ES_CLASS_CONFIRMED_INDIRECT);
	/* A class this version does not know is kept. */
	edc(&t, a, b, 0, STAT, 9);
	/* Confirmed, into a contested function: no conflict of its own. */
	edc(&t, helper, by_name, 4, STAT | PROBE, ES_CLASS_CONFIRMED);
	c = tb_run(&t, CF_POLICY_PREFER_RUNTIME, 1, 1);
	CHECK_STR(res(c, "app!by_name", NULL), "accepted");
	CHECK_STR(cls(c, "app!helper", "app!by_name"), "none");
	fd = resolved_fd(c);
	cf_free(c);
	n = read_resolved(fd, out, &np);
	CHECK_EQ_U64(n, 4);
	e = out_find(out, n, "app!main", "app!a");
	CHECK(e && e->cls == ES_CLASS_CONFIRMED && e->conflict == 0 && e->resolution == 0);
	e = out_find(out, n, "app!main", "app!b");
	CHECK(e && e->cls == ES_CLASS_CONFIRMED_INDIRECT && e->conflict == ES_CONFLICT_TAIL_CALL &&
	    e->resolution == ES_RES_EXPLAINED);
	e = out_find(out, n, "app!a", "app!b");
	CHECK(e && e->cls == 9 && e->conflict != 0);
	e = out_find(out, n, "app!helper", "app!by_name");
	CHECK(e && e->cls == ES_CLASS_CONFIRMED && e->conflict == ES_CONFLICT_CONTESTED &&
	    e->resolution == ES_RES_ACCEPTED);
	CHECK(e && (e->callee_flags & ES_NODE_ACCEPTED) && e->callee_state == ES_STATE_CONFIRMED_REACHABLE);

	/* Read again under another policy: contested, and open, again. */
	c = run_fd(fd, CF_POLICY_PREFER_STATIC);
	CHECK_STR(cls(c, "app!by_name", NULL), "contested");
	CHECK_STR(res(c, "app!by_name", NULL), "open");
	CHECK_STR(cls(c, "app!helper", NULL), "contested");
	fd2 = resolved_fd(c);
	cf_free(c);
	n2 = read_resolved(fd2, again, &np);
	CHECK_EQ_U64(n2, n);
	for (size_t i = 0; i < n && i < n2; i++) {
		CHECK_STR(again[i].a, out[i].a);
		CHECK_STR(again[i].b, out[i].b);
		CHECK_EQ_U64(again[i].cls, out[i].cls);
		CHECK_EQ_U64(again[i].conflict, out[i].conflict);
	}
	e = out_find(again, n2, "app!helper", "app!by_name");
	CHECK(e && e->conflict == ES_CONFLICT_CONTESTED && e->resolution == ES_RES_OPEN);
	CHECK(e && !(e->callee_flags & ES_NODE_ACCEPTED) && e->callee_state == ES_STATE_CONTESTED);

	/* Under the first policy again: the same bytes as the first time. */
	c = run_fd(fd2, CF_POLICY_PREFER_RUNTIME);
	fd3 = resolved_fd(c);
	cf_free(c);
	{
		char b1[65536], b3[65536];
		ssize_t l1 = pread(fd, b1, sizeof(b1), 0), l3 = pread(fd3, b3, sizeof(b3), 0);

		CHECK(l1 > 0 && l1 == l3 && memcmp(b1, b3, (size_t)l1) == 0);
	}
	close(fd);
	close(fd2);
	close(fd3);
}

int main(void)
{
	RUN(test_decode);
	RUN(test_sweep);
	RUN(test_against_objdump);
	RUN(test_code);
	RUN(test_classes);
	RUN(test_policies);
	RUN(test_windows);
	RUN(test_windows_repeated);
	RUN(test_version_skew);
	RUN(test_names);
	RUN(test_resolved_stream);
	RUN(test_resolved_again);
	UNIT_END();
}

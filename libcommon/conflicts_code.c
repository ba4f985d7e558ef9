/*
 * conflicts_code.c - functions, frame pointers, calls and tail calls of a
 * binary (see conflicts_code.h).
 */
#include "conflicts_code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "mem.h"
#include "symname.h"
#include "x86tail.h"

/* Functions larger than this are not decoded (no compiler emits them). */
#define CFCODE_MAX_FN (16u << 20)

struct xfer {
	uint64_t at, target;
	uint8_t kind;		/* enum cfcode_reach bit */
};

struct fnstate {
	struct cfcode_fn f;
	uint32_t first, n;	/* transfers in c->xf */
	uint8_t done;
};

struct cfcode {
	char *path;
	const char *base;
	struct elfsym *es;
	int x86_64;
	size_t n;
	struct fnstate *fn;		/* [n] */
	uint32_t *by_name;		/* indices sorted by name */
	uint32_t *by_origin;		/* indices sorted by origin name */
	size_t *origin_len;		/* [n]: length of the origin name */
	struct xfer *xf;
	size_t nxf, xf_cap;
	uint8_t *buf;
	size_t buf_cap;
};

static int read_machine(const char *path, int *x86)
{
	unsigned char h[20];
	FILE *f = fopen(path, "rb");
	size_t got;

	*x86 = 0;
	if (!f)
		return -1;
	got = fread(h, 1, sizeof(h), f);
	fclose(f);
	/* ELFCLASS64, little-endian, e_machine EM_X86_64 (62). */
	if (got == sizeof(h) && h[4] == 2 && h[5] == 1 && h[18] == 62 && h[19] == 0)
		*x86 = 1;
	return 0;
}

static int name_cmp(const void *a, const void *b, void *ctx)
{
	const struct cfcode *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(c->fn[x].f.name, c->fn[y].f.name);

	return r ? r : (x < y ? -1 : x > y);
}

static int prefix_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int origin_cmp(const void *a, const void *b, void *ctx)
{
	const struct cfcode *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = prefix_cmp(c->fn[x].f.name, c->origin_len[x], c->fn[y].f.name, c->origin_len[y]);

	return r ? r : (x < y ? -1 : x > y);
}

struct cfcode *cfcode_open(const char *path, struct tm_err *err)
{
	struct cfcode *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return NULL;
	}
	c->path = strdup(path);
	if (!c->path)
		goto nomem;
	c->base = strrchr(c->path, '/') ? strrchr(c->path, '/') + 1 : c->path;
	c->es = elfsym_open(path, -1, path, err);
	if (!c->es)
		goto fail;
	if (read_machine(path, &c->x86_64) < 0)
		c->x86_64 = 0;
	c->n = elfsym_count(c->es);
	c->fn = calloc(c->n + 1, sizeof(*c->fn));
	c->by_name = malloc((c->n + 1) * sizeof(*c->by_name));
	c->by_origin = malloc((c->n + 1) * sizeof(*c->by_origin));
	c->origin_len = malloc((c->n + 1) * sizeof(*c->origin_len));
	if (!c->fn || !c->by_name || !c->by_origin || !c->origin_len)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		const struct elfsym_sym *s = elfsym_at(c->es, i);

		c->fn[i].f.addr = s->addr;
		c->fn[i].f.size = s->size;
		c->fn[i].f.name = s->name;
		c->fn[i].f.file = s->file;
		symname_base(s->name, strlen(s->name), &c->origin_len[i]);
		c->by_name[i] = c->by_origin[i] = (uint32_t)i;
	}
	qsort_r(c->by_name, c->n, sizeof(uint32_t), name_cmp, c);
	qsort_r(c->by_origin, c->n, sizeof(uint32_t), origin_cmp, c);
	return c;
nomem:
	tm_err_set(err, TM_EXIT_ENV, "out of memory");
fail:
	cfcode_free(c);
	return NULL;
}

void cfcode_free(struct cfcode *c)
{
	if (!c)
		return;
	if (c->es)
		elfsym_close(c->es);
	free(c->path);
	free(c->fn);
	free(c->by_name);
	free(c->by_origin);
	free(c->origin_len);
	free(c->xf);
	free(c->buf);
	free(c);
}

const char *cfcode_path(const struct cfcode *c)
{
	return c->path;
}

const char *cfcode_name(const struct cfcode *c)
{
	return c->base;
}

size_t cfcode_build_id(const struct cfcode *c, const uint8_t **id)
{
	return elfsym_build_id(c->es, id);
}

int cfcode_is_x86_64(const struct cfcode *c)
{
	return c->x86_64;
}

size_t cfcode_count(const struct cfcode *c)
{
	return c->n;
}

/* [lo, hi) of the entries of a sorted index whose key equals (s, len). */
static void range(const struct cfcode *c, const uint32_t *ix, int origin, const char *s, size_t len,
    size_t *lo, size_t *hi)
{
	size_t a = 0, b = c->n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;
		uint32_t k = ix[mid];
		size_t kl = origin ? c->origin_len[k] : strlen(c->fn[k].f.name);

		if (prefix_cmp(c->fn[k].f.name, kl, s, len) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	b = a;
	while (b < c->n) {
		uint32_t k = ix[b];
		size_t kl = origin ? c->origin_len[k] : strlen(c->fn[k].f.name);

		if (prefix_cmp(c->fn[k].f.name, kl, s, len) != 0)
			break;
		b++;
	}
	*hi = b;
}

size_t cfcode_find(const struct cfcode *c, const char *sym, size_t len, int origin, uint32_t *idx,
    size_t max)
{
	const char *file, *name;
	size_t flen = 0, nlen, lo, hi, i, n = 0, infile = 0;

	if (!symname_split_file(sym, len, &file, &flen, &name, &nlen)) {
		file = NULL;
		name = sym;
		nlen = len;
	}
	if (origin)
		symname_base(name, nlen, &nlen);
	range(c, origin ? c->by_origin : c->by_name, origin, name, nlen, &lo, &hi);
	if (file && hi - lo > 1) {
		for (i = lo; i < hi; i++) {
			const char *f = c->fn[(origin ? c->by_origin : c->by_name)[i]].f.file;

			if (f && symname_path_match(f, strlen(f), file, flen))
				infile++;
		}
	}
	for (i = lo; i < hi; i++) {
		uint32_t k = (origin ? c->by_origin : c->by_name)[i];
		const char *f = c->fn[k].f.file;

		if (infile && !(f && symname_path_match(f, strlen(f), file, flen)))
			continue;
		if (n < max)
			idx[n] = k;
		n++;
	}
	return n;
}

long cfcode_at_offset(const struct cfcode *c, uint64_t off)
{
	uint64_t va;
	size_t a = 0, b = c->n;

	if (elfsym_off_to_vaddr(c->es, off, &va) < 0)
		return -1;
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (c->fn[mid].f.addr < va)
			a = mid + 1;
		else
			b = mid;
	}
	return a < c->n && c->fn[a].f.addr == va ? (long)a : -1;
}

struct sweep {
	struct cfcode *c;
	struct fnstate *s;
	int oom;
};

static int on_xfer(void *arg, uint64_t at, const struct x86tail_insn *in)
{
	struct sweep *w = arg;
	struct cfcode_fn *f = &w->s->f;
	struct xfer x;
	void *p;

	switch (in->kind) {
	case X86TAIL_CALL_IND:
		f->indirect_calls++;
		return 0;
	case X86TAIL_JMP_IND:
		f->indirect_jumps++;
		return 0;
	case X86TAIL_CALL:
		x.kind = CFCODE_CALL;
		break;
	case X86TAIL_JMP:
	case X86TAIL_JCC:
		/* Jumps within the function are control flow, not transfers. */
		if (in->target >= f->addr && in->target < f->addr + f->size)
			return 0;
		x.kind = in->kind == X86TAIL_JMP ? CFCODE_JMP : CFCODE_JCC;
		break;
	default:
		return 0;
	}
	x.at = at;
	x.target = in->target;
	p = w->c->xf;
	if (mem_grow(&p, &w->c->xf_cap, w->c->nxf + 1, sizeof(*w->c->xf)) < 0) {
		w->oom = 1;
		return 1;
	}
	w->c->xf = p;
	w->c->xf[w->c->nxf++] = x;
	w->s->n++;
	return 0;
}

static void decode(struct cfcode *c, struct fnstate *s)
{
	struct sweep w = { c, s, 0 };
	uint64_t off;
	unsigned pro;
	void *p;

	s->done = 1;
	s->first = (uint32_t)c->nxf;
	s->n = 0;
	s->f.decoded = -1;
	if (!c->x86_64 || !s->f.size || s->f.size > CFCODE_MAX_FN)
		return;
	{
		struct elfsym_sym sym;

		memset(&sym, 0, sizeof(sym));
		sym.addr = s->f.addr;
		sym.size = s->f.size;
		sym.name = s->f.name;
		s->f.frame_pointer = elfsym_has_frame_pointer(c->es, &sym, &pro);
	}
	p = c->buf;
	if (elfsym_vaddr_to_off(c->es, s->f.addr, &off) < 0 ||
	    mem_grow(&p, &c->buf_cap, s->f.size, 1) < 0)
		return;
	c->buf = p;
	if (elfsym_pread(c->es, off, c->buf, s->f.size) < 0)
		return;
	if (x86tail_sweep(c->buf, s->f.size, s->f.addr, on_xfer, &w, NULL) == 0 && !w.oom)
		s->f.decoded = 1;
}

const struct cfcode_fn *cfcode_fn(struct cfcode *c, uint32_t idx)
{
	if (idx >= c->n)
		return NULL;
	if (!c->fn[idx].done)
		decode(c, &c->fn[idx]);
	return &c->fn[idx].f;
}

unsigned cfcode_reaches(struct cfcode *c, uint32_t idx, uint64_t target, uint64_t *at)
{
	const struct cfcode_fn *f = cfcode_fn(c, idx);
	unsigned how = 0;
	uint64_t first_jmp = 0, first_call = 0;
	size_t i;

	if (!f)
		return 0;
	for (i = 0; i < c->fn[idx].n; i++) {
		const struct xfer *x = &c->xf[c->fn[idx].first + i];

		if (x->target != target)
			continue;
		if (x->kind == CFCODE_CALL) {
			if (!(how & CFCODE_CALL))
				first_call = x->at;
		} else if (!(how & (CFCODE_JMP | CFCODE_JCC))) {
			first_jmp = x->at;
		}
		how |= x->kind;
	}
	if (at)
		*at = first_jmp ? first_jmp : first_call;
	return how;
}

size_t cfcode_aliases(const struct cfcode *c, uint32_t idx, uint32_t *out, size_t max)
{
	size_t n = 0, i;

	if (idx >= c->n)
		return 0;
	for (i = idx; i > 0 && c->fn[i - 1].f.addr == c->fn[idx].f.addr; i--)
		;
	for (; i < c->n && c->fn[i].f.addr == c->fn[idx].f.addr; i++) {
		if (i == idx)
			continue;
		if (n < max)
			out[n] = (uint32_t)i;
		n++;
	}
	return n;
}

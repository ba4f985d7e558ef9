/*
 * fuzz_procmaps.c - libFuzzer entry for the text parsers of trace-capture:
 * /proc/PID/maps, JIT perf maps (/tmp/perf-PID.map, written by the traced
 * process itself, so untrusted), container ids from cgroup paths, and the
 * symbol-name normalisation (clone suffixes, file qualifiers, paths).
 * The first byte chooses the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"
#include "symname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *text_of(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);

	if (t) {
		memcpy(t, data, size);
		t[size] = '\0';
	}
	return t;
}

static void maps(const uint8_t *data, size_t size)
{
	struct procmaps pm;
	char *t = text_of(data, size);
	size_t i;

	if (!t)
		return;
	memset(&pm, 0, sizeof pm);
	if (procmaps_parse(&pm, t, size) == 0) {
		for (i = 0; i < pm.n; i++) {
			const struct procmaps_ent *e = &pm.ents[i];

			if (!e->path)
				abort();
			(void)strlen(e->path);
			(void)procmaps_find(&pm, e->start);
			(void)procmaps_find(&pm, e->end - 1);
		}
		(void)procmaps_find(&pm, 0);
		(void)procmaps_find(&pm, UINT64_MAX);
	}
	procmaps_free(&pm);
}

static void perf(const uint8_t *data, size_t size)
{
	struct perfmap m;
	char *t = text_of(data, size);
	size_t i;

	if (!t)
		return;
	memset(&m, 0, sizeof m);
	if (perfmap_parse(&m, t, size) == 0) {
		for (i = 0; i < m.n; i++) {
			if (i && m.syms[i].start < m.syms[i - 1].start)
				abort();	/* sorted */
			(void)strlen(m.syms[i].name);
			(void)perfmap_find(&m, m.syms[i].start);
		}
		(void)perfmap_find(&m, UINT64_MAX);
	}
	perfmap_free(&m);
}

static void names(const uint8_t *data, size_t size)
{
	char *t = text_of(data, size), out[512], cid[160];
	const char *f, *n;
	size_t base, fl, nl;
	long w;

	if (!t)
		return;
	(void)symname_base(t, size, &base);
	if (base > size || (size && base == 0))
		abort();
	if (symname_split_file(t, size, &f, &fl, &n, &nl) && (f < t || f + fl > t + size ||
	    n < t || n + nl > t + size))
		abort();
	w = symname_normpath(t, size, "/usr/src", out, sizeof out);
	if (w >= (long)sizeof out || (w >= 0 && out[w] != '\0'))
		abort();
	if (w >= 0)
		(void)symname_path_match(out, (size_t)w, t, size);
	(void)symname_cxx_internal(t, size);
	if (procmaps_container_id(t, cid, sizeof cid) >= sizeof cid)
		abort();
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		maps(data + 1, size - 1);
		break;
	case 1:
		perf(data + 1, size - 1);
		break;
	default:
		names(data + 1, size - 1);
		break;
	}
	return 0;
}

/*
 * fuzz_elfsym.c - libFuzzer entry for the ELF readers on arbitrary bytes:
 * elfsym (headers, build id, .symtab/.dynsym, PT_LOAD mapping, DT_RUNPATH,
 * frame-pointer prologues) and, for trace-conflicts, cfcode (symbols in
 * address order and the x86-64 sweep of every function's code). The bytes
 * are a file (one memfd for the whole run, rewritten and cut to each input's
 * size, opened by its /proc/self/fd path); any input opens or fails with
 * code 3 or 4 and a message, never crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conflicts_code.h"
#include "elfsym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_match(void *arg, const struct elfsym_sym *s, uint64_t off)
{
	size_t *n = arg;

	(void)off;
	*n += strlen(s->name);
	return *n > 100000;
}

static void walk_elfsym(int fd)
{
	struct tm_err err = { 0, "" };
	struct elfsym *es = elfsym_open(NULL, fd, "fuzz.elf", &err);
	const uint8_t *id;
	uint8_t buf[64];
	size_t i, n, names = 0;
	uint64_t v;

	if (!es) {
		if ((err.code != 3 && err.code != 4) || err.msg[0] == '\0')
			abort();
		return;
	}
	if (elfsym_build_id(es, &id) > ELFSYM_BUILD_ID_MAX)
		abort();
	(void)elfsym_is_dyn(es);
	(void)elfsym_has_symtab(es);
	if (elfsym_runpath(es))
		names += strlen(elfsym_runpath(es));
	n = elfsym_count(es);
	for (i = 0; i < n && i < 4096; i++) {
		const struct elfsym_sym *s = elfsym_at(es, i);
		unsigned pro;

		if (!s || !s->name)
			abort();
		names += strlen(s->name) + (s->file ? strlen(s->file) : 0);
		if (i && s->addr < elfsym_at(es, i - 1)->addr)
			abort();	/* address order */
		if (elfsym_lookup(es, s->addr) == NULL)
			abort();
		if (elfsym_vaddr_to_off(es, s->addr, &v) == 0) {
			(void)elfsym_lookup_off(es, v);
			(void)elfsym_off_to_vaddr(es, v, &v);
		}
		if (i < 64)
			(void)elfsym_has_frame_pointer(es, s, &pro);
	}
	(void)elfsym_match(es, "*", on_match, &names);
	(void)elfsym_match(es, "[a-f]*_?", on_match, &names);
	(void)elfsym_pread(es, 0, buf, sizeof buf);
	(void)elfsym_pread(es, UINT64_MAX - 8, buf, sizeof buf);
	elfsym_close(es);
}

static void walk_cfcode(const char *path)
{
	struct tm_err err = { 0, "" };
	struct cfcode *c = cfcode_open(path, &err);
	const uint8_t *id;
	uint32_t idx[8];
	size_t i, n;

	if (!c) {
		if ((err.code != 3 && err.code != 4) || err.msg[0] == '\0')
			abort();
		return;
	}
	(void)cfcode_build_id(c, &id);
	(void)cfcode_name(c);
	n = cfcode_count(c);
	for (i = 0; i < n && i < 256; i++) {
		const struct cfcode_fn *f = cfcode_fn(c, (uint32_t)i);
		uint64_t at;

		if (!f || !f->name)
			abort();
		(void)cfcode_reaches(c, (uint32_t)i, f->addr + f->size, &at);
		(void)cfcode_aliases(c, (uint32_t)i, idx, 8);
		/* Every function is found by its own name (a ':' would be read as a
		 * file qualifier). */
		if (!strchr(f->name, ':') && cfcode_find(c, f->name, strlen(f->name), 1, idx, 8) == 0)
			abort();
	}
	if (cfcode_fn(c, (uint32_t)n) != NULL)
		abort();
	(void)cfcode_at_offset(c, 0x1000);
	cfcode_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One file for the run: a memfd per input costs more than reading it
	 * (fresh page-cache pages for every input, then their release). */
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz.elf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, (off_t)size) != 0 ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	walk_elfsym(fd);
	walk_cfcode(path);
	return 0;
}

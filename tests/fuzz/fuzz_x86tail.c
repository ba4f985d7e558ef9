/*
 * fuzz_x86tail.c - libFuzzer entry for the x86-64 instruction-length decoder
 * trace-conflicts sweeps function code with (the code of a binary given with
 * --binary is input like any other). Every decoded instruction is 1 to 15
 * bytes and lies inside the buffer; a sweep visits transfers in address order
 * and agrees with decoding instruction by instruction.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86tail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sweep {
	uint64_t last;
	size_t n;
};

static int on_transfer(void *arg, uint64_t at, const struct x86tail_insn *insn)
{
	struct sweep *s = arg;

	if (insn->len < 1 || insn->len > X86TAIL_MAX_LEN || insn->kind == X86TAIL_OTHER)
		abort();
	if (s->n && at <= s->last)
		abort();
	s->last = at;
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint64_t base = 0x401000;
	uint8_t *code = malloc(size ? size : 1);	/* exact size for ASan */
	struct x86tail_insn insn;
	struct sweep s = { 0, 0 };
	size_t off = 0, transfers = 0;
	uint64_t bad = 0;
	int rc, whole = 1;

	if (!code)
		return 0;
	memcpy(code, data, size);
	while (off < size) {
		unsigned len = x86tail_decode(code + off, size - off, base + off, &insn);

		if (len == 0) {
			whole = 0;
			break;
		}
		if (len > X86TAIL_MAX_LEN || len > size - off || insn.len != len)
			abort();
		if (insn.kind != X86TAIL_OTHER)
			transfers++;
		off += len;
	}
	rc = x86tail_sweep(code, size, base, on_transfer, &s, &bad);
	if (rc == 1 || (rc == 0) != whole)
		abort();
	if (rc == -1 && bad != base + off)
		abort();
	if (rc == 0 && s.n != transfers)
		abort();
	free(code);
	return 0;
}

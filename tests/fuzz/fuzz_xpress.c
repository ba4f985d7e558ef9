/*
 * fuzz_xpress.c - libFuzzer entry for MS-XCA plain LZ77 decompression.
 *   clang -fsanitize=fuzzer,address,undefined -Ietw ETW_SRC tests/fuzz/fuzz_xpress.c
 * where ETW_SRC is every .c file of etw/ except the *_win.c ones.
 * The first two input bytes choose the output capacity (0..65535).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cap = (size_t)data[0] | (size_t)data[1] << 8;
	/* Exactly cap bytes, so ASan catches a write one past the end. */
	uint8_t *out = malloc(cap ? cap : 1);
	size_t got = 0;

	if (!out)
		return 0;
	int rc = xpress_lz77_decompress(data + 2, size - 2, out, cap, &got);
	if (rc < XPRESS_OK || rc > XPRESS_ELENGTH || got > cap)
		abort();
	free(out);
	return 0;
}

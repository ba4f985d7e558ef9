/*
 * fuzz_stream.c - libFuzzer entry for the stream reader. Input bytes are
 * either the compressed stream itself (first byte odd) or the decompressed
 * msgpack records, compressed here first (first byte even), so that the
 * fuzzer reaches the record decoders and not only zstd's own checks.
 * Every input must decode or fail with code 3 and a message; never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "esreader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_reader_opts opts = { .max_record = 1 << 20, .single_thread = 1 };
	struct tm_err err = { 0, "" };
	struct es_reader *r;
	struct es_event ev;
	void *z = NULL;
	size_t zlen;
	char name[256];
	int fd, rc;

	if (size < 1)
		return 0;
	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		abort();
	opts.allow_truncated = data[0] & 2;
	if (data[0] & 1) {
		if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
	} else {
		/* One compression context for the whole run: creating one per
		 * input (ZSTD_compress) costs more than decoding the input. */
		static ZSTD_CCtx *cctx;

		if (!cctx && !(cctx = ZSTD_createCCtx()))
			abort();
		zlen = ZSTD_compressBound(size - 1);
		z = malloc(zlen);
		zlen = ZSTD_compressCCtx(cctx, z, zlen, data + 1, size - 1, 1);
		if (ZSTD_isError(zlen) || write(fd, z, zlen) != (ssize_t)zlen)
			abort();
		free(z);
	}
	lseek(fd, 0, SEEK_SET);
	r = es_reader_new(fd, "fuzz.es", &opts, &err);
	if (!r)
		abort();
	while ((rc = es_reader_next(r, &ev)) > 0) {
		size_t i;

		if (ev.kind != ES_EVENT_EDGES)
			continue;
		/* Every id an edge carries must resolve. */
		for (i = 0; i < ev.nedges; i++) {
			const struct es_edge *e = &ev.edges[i];

			es_reader_node_name(r, e->caller, name, sizeof(name));
			es_reader_node_name(r, e->callee, name, sizeof(name));
			if (!es_reader_node(r, e->caller) || !es_reader_node(r, e->callee))
				abort();
			if (e->ctx && !es_reader_context(r, e->ctx))
				abort();
			if (e->window && !es_reader_window(r, e->window))
				abort();
			if (e->site && !es_reader_string(r, e->site, NULL))
				abort();
		}
	}
	if (rc < 0 && (err.code != 3 || strncmp(err.msg, "fuzz.es: ", 9) != 0))
		abort();
	es_reader_free(r);
	close(fd);
	return 0;
}

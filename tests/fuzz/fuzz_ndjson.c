/*
 * fuzz_ndjson.c - libFuzzer entry for the NDJSON encoder (trace-cat
 * --encode) and the JSON parser under it: lines become a stream or fail with
 * code 3 and a "FILE:LINE:" message (the writer never sees bad input);
 * whatever is encoded must decode again.
 *
 * Speed: a stream writer costs megabytes of zstd context and buffers, which
 * under ASan means fresh mappings and page faults on every input (~1 ms). The
 * writer is made once and kept while it is healthy: after each input its
 * segment is ended and its output file emptied. That is safe because a
 * segment's bytes depend only on what is written into it, never on what the
 * writer interned before (eswriter.h), so an input encodes the same whatever
 * ran before it. The reader, needed only for the inputs that encode, is
 * still made per input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "esreader.h"
#include "eswriter.h"
#include "ndjson.h"

/* Past this, the writer's intern tables are dropped and it is made anew. */
#define WRITER_MEMORY_MAX ((size_t)32 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static FILE *devnull;
static struct es_writer *w;
static struct tm_err err;

/* What the writer wrote, read back: every event must decode. */
static void read_back(void)
{
	struct es_reader_opts opts = { .single_thread = 1 };
	struct tm_err rerr = { 0, "" };
	struct es_reader *r;
	struct es_event ev;
	int rc;

	lseek(fd, 0, SEEK_SET);
	r = es_reader_new(fd, "out.es", &opts, &rerr);
	if (!r)
		abort();
	while ((rc = es_reader_next(r, &ev)) > 0)
		ndjson_write_event(devnull, r, &ev);
	if (rc < 0)
		abort();
	es_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct ndjson_encoder *e;
	unsigned long line = 0;
	int rc = 0, reuse;

	if (fd < 0 && ((fd = memfd_create("fuzz", 0)) < 0 || !(devnull = fopen("/dev/null", "w"))))
		abort();
	if (!w && !(w = es_writer_new(fd, "out.es", NULL, &err)))
		abort();
	if (!(e = ndjson_encoder_new(w, "fuzz", &err)))
		abort();
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		rc = ndjson_encode_line(e, p, len, "in.ndjson", ++line);
		p += len + 1;
	}
	if (rc == 0)
		rc = ndjson_encoder_finish(e);
	/* Bad input is reported where it is, never by the writer behind. */
	if (rc < 0 && err.code == 3 && strncmp(err.msg, "in.ndjson:", 10) != 0)
		abort();
	if (rc == 0)
		read_back();

	/*
	 * Keep the writer only after success or a refused line: any other error
	 * (the writer's own, memory) may have left it half-way. A segment left
	 * open by a refused line is ended into the output about to be emptied.
	 */
	reuse = rc == 0 || (err.code == 3 && strncmp(err.msg, "in.ndjson:", 10) == 0);
	tm_err_clear(&err);
	if (reuse && rc < 0)
		reuse = ndjson_encoder_finish(e) == 0;
	ndjson_encoder_free(e);
	if (!reuse || es_writer_memory(w) > WRITER_MEMORY_MAX) {
		es_writer_free(w);
		w = NULL;
		tm_err_clear(&err);
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return 0;
}

/*
 * fuzz_ndjson.c - libFuzzer entry for the NDJSON encoder (trace-cat
 * --encode) and the JSON parser under it: lines become a stream or fail with
 * code 3 and a "FILE:LINE:" message; whatever is encoded must decode again.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "esreader.h"
#include "eswriter.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_err err = { 0, "" }, rerr = { 0, "" };
	struct es_reader_opts opts = { .single_thread = 1 };
	int fd = memfd_create("fuzz", 0), rc = 0;
	struct es_writer *w = es_writer_new(fd, "out.es", NULL, &err);
	struct ndjson_encoder *e = ndjson_encoder_new(w, "fuzz", &err);
	const char *p = (const char *)data, *end = p + size;
	unsigned long line = 0;
	struct es_reader *r;
	struct es_event ev;
	FILE *null = fopen("/dev/null", "w");

	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		rc = ndjson_encode_line(e, p, len, "in.ndjson", ++line);
		p += len + 1;
	}
	if (rc == 0)
		rc = ndjson_encoder_finish(e);
	if (rc < 0 && err.code == 3 && strncmp(err.msg, "in.ndjson:", 10) != 0 &&
	    strncmp(err.msg, "out.es:", 7) != 0)
		abort();
	ndjson_encoder_free(e);
	es_writer_free(w);
	if (rc == 0) {
		/* What the encoder accepted, the reader must read back in full. */
		lseek(fd, 0, SEEK_SET);
		r = es_reader_new(fd, "out.es", &opts, &rerr);
		while ((rc = es_reader_next(r, &ev)) > 0)
			ndjson_write_event(null, r, &ev);
		if (rc < 0)
			abort();
		es_reader_free(r);
	}
	fclose(null);
	close(fd);
	return 0;
}

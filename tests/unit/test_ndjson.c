/*
 * test_ndjson.c - the NDJSON encoder's limits: lines of at most 64 MiB (also
 * when read from a descriptor), strings a stream can hold, members of unknown
 * keys refused without building them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esreader.h"
#include "eswriter.h"
#include "ndjson.h"
#include "unit.h"

#define EDGE_HEAD "{\"type\":\"edge\",\"callee\":\"app!f\",\"count\":1,\"first_seen\":1,\"last_seen\":2"

/* An encoder writing to a temporary file. */
struct enc {
	FILE *f;
	struct tm_err err;
	struct es_writer *w;
	struct ndjson_encoder *e;
};

static void enc_open(struct enc *x)
{
	memset(x, 0, sizeof(*x));
	x->f = tmpfile();
	x->w = es_writer_new(fileno(x->f), "out.es", NULL, &x->err);
	x->e = ndjson_encoder_new(x->w, "test", &x->err);
}

static void enc_close(struct enc *x)
{
	ndjson_encoder_free(x->e);
	es_writer_free(x->w);
	fclose(x->f);
}

/* Encode one line; 0 or -1 with the message in x->err. */
static int enc_line(struct enc *x, const char *line, size_t len)
{
	tm_err_clear(&x->err);
	return ndjson_encode_line(x->e, line, len, "in.nd", 1);
}

/* The edges of what was encoded, read back; -1 if it does not read. */
static long enc_edges(struct enc *x, char *line, size_t cap)
{
	struct es_reader_opts opts = { .single_thread = 1 };
	struct tm_err rerr = { 0, "" };
	struct es_reader *r;
	struct es_event ev;
	long edges = 0;
	int rc;

	if (ndjson_encoder_finish(x->e) < 0)
		return -1;
	lseek(fileno(x->f), 0, SEEK_SET);
	r = es_reader_new(fileno(x->f), "out.es", &opts, &rerr);
	while ((rc = es_reader_next(r, &ev)) > 0) {
		if (ev.kind != ES_EVENT_EDGES)
			continue;
		edges += (long)ev.nedges;
		/* The first edge's NDJSON line, for the caller to encode again. */
		if (line && edges == (long)ev.nedges) {
			FILE *m = fmemopen(line, cap, "w");

			ndjson_write_event(m, r, &ev);
			fclose(m);
		}
	}
	es_reader_free(r);
	return rc < 0 ? -1 : edges;
}

/* EDGE_HEAD with a caller of module "mod" and a symbol of n 'a's, plus tail. */
static char *edge_with_symbol(const char *mod, size_t n, const char *tail, size_t *len)
{
	size_t hl = strlen(EDGE_HEAD), ml = strlen(mod), tl = strlen(tail);
	char *s = malloc(hl + ml + n + tl + 32), *o = s;

	memcpy(o, EDGE_HEAD, hl);
	o += hl;
	memcpy(o, ",\"caller\":\"", 11);
	o += 11;
	memcpy(o, mod, ml);
	o += ml;
	*o++ = '!';
	memset(o, 'a', n);
	o += n;
	*o++ = '"';
	memcpy(o, tail, tl);
	o += tl;
	*o++ = '}';
	*o = '\0';
	*len = (size_t)(o - s);
	return s;
}

static void test_line_limit(void)
{
	/* Refused before a byte of it is looked at (the buffer stays untouched). */
	char *big = malloc(NDJSON_LINE_MAX + 1);
	struct enc x;

	enc_open(&x);
	CHECK(big != NULL);
	CHECK(enc_line(&x, big, NDJSON_LINE_MAX + 1) < 0);
	CHECK(x.err.code == TM_EXIT_DATA);
	CHECK_STR(x.err.msg, "in.nd:1: line longer than 64 MiB");
	enc_close(&x);
	free(big);
}

static void test_string_limits(void)
{
	char *line, *back = malloc(ES_STRING_MAX + 4096);
	size_t len;
	struct enc x;

	/* A symbol a stream can hold, and the line it decodes to, encode. */
	enc_open(&x);
	line = edge_with_symbol("app", ES_STRING_MAX, "", &len);
	CHECK(enc_line(&x, line, len) == 0);
	CHECK(enc_edges(&x, back, ES_STRING_MAX + 4096) == 1);
	enc_close(&x);
	free(line);
	enc_open(&x);
	CHECK(enc_line(&x, back, strlen(back) - 1) == 0);
	CHECK(enc_edges(&x, NULL, 0) == 1);
	enc_close(&x);

	/* One byte more: refused at the input line, not by the writer. */
	enc_open(&x);
	line = edge_with_symbol("app", ES_STRING_MAX + 1, "", &len);
	CHECK(enc_line(&x, line, len) < 0 && x.err.code == TM_EXIT_DATA);
	CHECK_STR(x.err.msg, "in.nd:1: edge: caller: symbol of 1048577 bytes exceeds the "
	    "1048576-byte limit");
	free(line);
	/* The module's name, and strings of other members, alike. */
	memset(back, 'm', ES_STRING_MAX + 1);
	back[ES_STRING_MAX + 1] = '\0';
	line = edge_with_symbol(back, 1, "", &len);
	CHECK(enc_line(&x, line, len) < 0);
	CHECK(strstr(x.err.msg, "in.nd:1: edge: caller: module name of 1048577 bytes") == x.err.msg);
	free(line);
	memcpy(back, ",\"host\":\"", 9);
	memset(back + 9, 'h', ES_STRING_MAX + 1);
	strcpy(back + 9 + ES_STRING_MAX + 1, "\"");
	line = edge_with_symbol("app", 1, back, &len);
	CHECK(enc_line(&x, line, len) < 0);
	CHECK(strstr(x.err.msg, "in.nd:1: edge: host: string of 1048577 bytes") == x.err.msg);
	free(line);
	enc_close(&x);
	free(back);
}

static void test_unknown_key(void)
{
	/* 2 MB of numbers under an unknown key: refused by its name. */
	size_t n = 1000000, i, len;
	char *tail = malloc(2 * n + 16), *line;
	struct enc x;

	strcpy(tail, ",\"x\":[");
	for (i = 0; i < n; i++)
		memcpy(tail + 6 + 2 * i, "0,", 2);
	strcpy(tail + 6 + 2 * n - 1, "]");
	line = edge_with_symbol("app", 4, tail, &len);
	enc_open(&x);
	CHECK(enc_line(&x, line, len) < 0);
	CHECK_STR(x.err.msg, "in.nd:1: edge: x: unknown key");
	enc_close(&x);
	free(line);
	free(tail);
}

/* Write the NDJSON text of test_encode_fd into fd from a child process. */
static void write_lines(int fd, int long_line)
{
	static char pad[1 << 16];
	const char *first = EDGE_HEAD ",\"caller\":\"app!main\"}";
	size_t left;

	memset(pad, ' ', sizeof(pad));
	if (write(fd, first, strlen(first)) < 0)
		_exit(1);
	/* Spaces up to exactly NDJSON_LINE_MAX bytes: still one line. */
	for (left = NDJSON_LINE_MAX - strlen(first); left; ) {
		size_t n = left < sizeof(pad) ? left : sizeof(pad);

		if (write(fd, pad, n) != (ssize_t)n)
			_exit(1);
		left -= n;
	}
	if (write(fd, "\n\n{\"type\":\"trailer\"}\n", 21) != 21)
		_exit(1);
	/* Then, with long_line, a line one byte longer than the limit. */
	for (left = long_line ? NDJSON_LINE_MAX + 1 : 0; left; ) {
		size_t n = left < sizeof(pad) ? left : sizeof(pad);

		if (write(fd, pad, n) != (ssize_t)n)
			_exit(0);	/* the reader stopped: refused */
		left -= n;
	}
	_exit(0);
}

static int encode_from_child(struct enc *x, int long_line)
{
	int p[2], rc, status;
	pid_t pid;

	if (pipe(p) < 0)
		return -2;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		write_lines(p[1], long_line);
	}
	close(p[1]);
	tm_err_clear(&x->err);
	rc = ndjson_encode_fd(x->e, p[0], "pipe.nd");
	close(p[0]);
	waitpid(pid, &status, 0);
	return rc;
}

static void test_encode_fd(void)
{
	struct enc x;

	/* A line of exactly 64 MiB, a blank line, a trailer: accepted. */
	enc_open(&x);
	CHECK(encode_from_child(&x, 0) == 0);
	CHECK(enc_edges(&x, NULL, 0) == 1);
	enc_close(&x);

	/* A line of 64 MiB + 1 byte, without a newline in sight: refused. */
	enc_open(&x);
	CHECK(encode_from_child(&x, 1) < 0);
	CHECK(x.err.code == TM_EXIT_DATA);
	CHECK_STR(x.err.msg, "pipe.nd:4: line longer than 64 MiB");
	enc_close(&x);
}

static void test_encode_fd_lines(void)
{
	const char text[] = "\n" EDGE_HEAD ",\"caller\":\"app!main\"}\r\n"
	    EDGE_HEAD ",\"caller\":\"app!g\"}";
	struct enc x;
	FILE *in = tmpfile();

	/* CRLF, blank lines, and a last line without its newline. */
	fwrite(text, 1, sizeof(text) - 1, in);
	fflush(in);
	lseek(fileno(in), 0, SEEK_SET);
	enc_open(&x);
	CHECK(ndjson_encode_fd(x.e, fileno(in), "in.nd") == 0);
	CHECK(enc_edges(&x, NULL, 0) == 2);
	enc_close(&x);

	/* Errors are numbered from the first line of the descriptor. */
	fclose(in);
	in = tmpfile();
	fputs("\n\n{\"type\":\"edge\"}\n", in);
	fflush(in);
	lseek(fileno(in), 0, SEEK_SET);
	enc_open(&x);
	CHECK(ndjson_encode_fd(x.e, fileno(in), "in.nd") < 0);
	CHECK_STR(x.err.msg, "in.nd:3: edge: caller: missing");
	enc_close(&x);
	fclose(in);
}

int main(void)
{
	RUN(test_line_limit);
	RUN(test_string_limits);
	RUN(test_unknown_key);
	RUN(test_encode_fd);
	RUN(test_encode_fd_lines);
	UNIT_END();
}

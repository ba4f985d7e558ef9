/*
 * trace-cat - decode edge streams to NDJSON, encode NDJSON to a stream, or
 * print statistics. See trace-cat(1) and edgestream(5).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "esreader.h"
#include "esstats.h"
#include "eswriter.h"
#include "ndjson.h"
#include "outfile.h"
#include "progress.h"

static const char *prog = "trace-cat";

enum mode { MODE_DECODE, MODE_ENCODE, MODE_STATS };

struct options {
	enum mode mode;
	struct cli_std std;
	int json, allow_truncated, level, all;
	struct es_reader_opts reader;
};

enum { OPT_ALL = 256, OPT_ENCODE, OPT_STATS, OPT_JSON, OPT_ALLOW_TRUNCATED, OPT_LEVEL };

static const struct option long_options[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "encode", no_argument, NULL, OPT_ENCODE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allow-truncated", no_argument, NULL, OPT_ALLOW_TRUNCATED },
	{ "level", required_argument, NULL, OPT_LEVEL },
	CLI_READER_LONG_OPTIONS,
	CLI_STD_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] [FILE...]\n"
	    "Decode edge streams to NDJSON edge lines (default), encode NDJSON to a stream, or\n"
	    "print statistics. With no FILE, or when FILE is -, read standard input.\n"
	    "\n"
	    "Modes:\n"
	    "      --all              decode every record (header, module, edge, coverage,\n"
	    "                         trailer lines), not just edges: what --encode needs\n"
	    "                         to rebuild the stream byte for byte\n"
	    "      --encode           read NDJSON, write a zstd-compressed edge stream\n"
	    "      --stats            per-segment and total counts, time span, losses\n"
	    "      --json             with --stats: one JSON document\n"
	    "\n"
	    "Options:\n"
	    "  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	    "  -f, --force            write a binary stream to a terminal\n"
	    "      --allow-truncated  keep the complete records of a truncated stream\n"
	    CLI_READER_HELP
	    "      --level N          zstd level for --encode (1-19, default 3)\n"
	    "  -q, --quiet            no warnings or progress\n"
	    "  -v, --verbose          progress on stderr\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          version\n"
	    "\n"
	    "Exit status: 0 success, 2 usage error, 3 bad input data,\n"
	    "4 environment (I/O, permission).\n", prog);
}

/* Decode or summarise one input. */
static int read_input(const struct options *o, const char *path, FILE *out, struct esstats *st,
    struct progress *pg, uint64_t *edges_total, struct tm_err *err)
{
	struct es_reader_opts ropts = o->reader;
	const char *name = cli_input_name(path);
	struct es_reader *r;
	struct es_event ev;
	const char *msg;
	uint64_t edges_before = *edges_total;
	int fd, rc;

	ropts.allow_truncated = o->allow_truncated;
	fd = cli_open_input(path, err);
	if (fd < 0)
		return -1;
	r = es_reader_new(fd, name, &ropts, err);
	if (!r) {
		cli_close_input(fd);
		return -1;
	}
	while ((rc = es_reader_next(r, &ev)) > 0) {
		if (o->mode == MODE_STATS) {
			if (esstats_event(st, name, r, &ev) < 0) {
				tm_err_set(err, TM_EXIT_ENV, "out of memory");
				rc = -1;
				break;
			}
		} else {
			if (o->all || ev.kind == ES_EVENT_EDGES)
				ndjson_write_event(out, r, &ev);
		}
		if (ev.kind == ES_EVENT_EDGES) {
			*edges_total += ev.nedges;
			progress_update(pg, es_reader_bytes_in(r), *edges_total, 0);
		}
	}
	if (rc == 0 && es_reader_truncated(r, &msg) && !o->std.quiet) {
		progress_done(pg);
		cli_warn(prog, "%s: truncated stream (%s): kept %llu edges in %u segments before it",
		    name, msg, (unsigned long long)(*edges_total - edges_before), es_reader_segment(r));
	}
	if (o->mode == MODE_STATS)
		esstats_end_input(st);
	es_reader_free(r);
	cli_close_input(fd);
	return rc < 0 ? -1 : 0;
}

/* Read NDJSON lines of at most 64 MiB from fd and encode them. */
static int encode_input(const char *path, struct ndjson_encoder *enc, struct tm_err *err)
{
	int fd, rc;

	fd = cli_open_input(path, err);
	if (fd < 0)
		return -1;
	rc = ndjson_encode_fd(enc, fd, cli_input_name(path));
	cli_close_input(fd);
	return rc;
}

static int run(const struct options *o, char **files, int nfiles)
{
	static char *const stdin_only[] = { "-", NULL };
	struct tm_err err = { 0, "" };
	struct outfile of;
	struct progress pg;
	struct esstats st;
	FILE *out = NULL;
	uint64_t edges = 0;
	int i, rc = 0;

	if (nfiles == 0) {
		files = (char **)stdin_only;
		nfiles = 1;
	}
	if (o->mode == MODE_ENCODE && cli_refuse_terminal(prog, &o->std))
		return TM_EXIT_USAGE;
	if (outfile_open(&of, o->std.output, &err) < 0) {
		cli_error(prog, "%s", err.msg);
		return err.code;
	}
	outfile_cleanup_on_signals(&of);
	progress_init(&pg, prog, o->std.verbose, o->std.quiet);
	esstats_init(&st);

	if (o->mode == MODE_ENCODE) {
		struct es_writer_opts wopts = { .level = o->level, .async = 1 };
		struct es_writer *w = es_writer_new(of.fd, o->std.output ? o->std.output : "(stdout)", &wopts, &err);
		struct ndjson_encoder *enc = w ? ndjson_encoder_new(w, prog, &err) : NULL;

		for (i = 0; enc && i < nfiles && rc == 0; i++)
			rc = encode_input(files[i], enc, &err);
		if (enc && rc == 0)
			rc = ndjson_encoder_finish(enc);
		if (!enc)
			rc = -1;
		ndjson_encoder_free(enc);
		es_writer_free(w);
	} else {
		/* A duplicate descriptor: fclose(out) leaves of.fd to outfile_commit. */
		out = o->std.output ? fdopen(dup(of.fd), "w") : stdout;
		if (!out) {
			tm_err_errno(&err, TM_EXIT_ENV, errno, "%s", o->std.output);
			rc = -1;
		} else {
			static char obuf[1 << 16];

			setvbuf(out, obuf, _IOFBF, sizeof(obuf));
		}
		for (i = 0; out && i < nfiles && rc == 0; i++)
			rc = read_input(o, files[i], out, &st, &pg, &edges, &err);
		progress_done(&pg);
		if (out && o->mode == MODE_STATS && (rc == 0 || st.nsegs)) {
			/* Statistics of what was read are useful even after an error. */
			if (o->json)
				esstats_print_json(&st, out);
			else
				esstats_print_text(&st, out);
		}
		if (out && (fflush(out) != 0 || ferror(out)) && rc == 0) {
			tm_err_errno(&err, TM_EXIT_ENV, errno, "%s: write error",
			    o->std.output ? o->std.output : "(stdout)");
			rc = -1;
		}
		if (out && o->std.output && fclose(out) != 0 && rc == 0) {
			tm_err_errno(&err, TM_EXIT_ENV, errno, "%s: write error", o->std.output);
			rc = -1;
		}
	}
	esstats_free(&st);
	if (rc == 0 && outfile_commit(&of, &err) == 0) {
		outfile_cleanup_done();
		return TM_EXIT_OK;
	}
	outfile_abort(&of);
	outfile_cleanup_done();
	cli_error(prog, "%s", err.msg[0] ? err.msg : "failed");
	return err.code ? err.code : TM_EXIT_ENV;
}

int main(int argc, char **argv)
{
	struct options o;
	uint64_t v;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = cli_getopt(prog, argc, argv, CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_ENCODE:
			if (o.mode == MODE_STATS)
				return cli_usage_error(prog, "--encode and --stats are exclusive");
			o.mode = MODE_ENCODE;
			break;
		case OPT_STATS:
			if (o.mode == MODE_ENCODE)
				return cli_usage_error(prog, "--encode and --stats are exclusive");
			o.mode = MODE_STATS;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case CLI_OPT_MAX_RECORD:
		case CLI_OPT_MAX_DEFS:
			if (cli_reader_option(prog, c, optarg, &o.reader) < 0)
				return TM_EXIT_USAGE;
			break;
		case OPT_ALLOW_TRUNCATED:
			o.allow_truncated = 1;
			break;
		case OPT_LEVEL:
			if (cli_parse_u64(optarg, 19, &v) < 0 || v < 1)
				return cli_usage_error(prog, "--level: expected 1 to 19, got '%s'", optarg);
			o.level = (int)v;
			break;
		default:
			if ((rc = cli_std_option(prog, c, optarg, &o.std, usage)) != CLI_CONTINUE)
				return rc;
			break;
		}
	}
	if (o.json && o.mode != MODE_STATS)
		return cli_usage_error(prog, "--json goes with --stats");
	if (o.all && o.mode != MODE_DECODE)
		return cli_usage_error(prog, "--all applies to decoding");
	if (o.allow_truncated && o.mode == MODE_ENCODE)
		return cli_usage_error(prog, "--allow-truncated applies to reading streams");
	return run(&o, argv + optind, argc - optind);
}

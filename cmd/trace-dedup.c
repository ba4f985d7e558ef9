/*
 * trace-dedup - fold edge streams by edge identity within aligned time
 * windows into one deterministic stream. See trace-dedup(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dedup.h"
#include "esreader.h"
#include "eswriter.h"
#include "outfile.h"
#include "progress.h"

static const char *prog = "trace-dedup";

enum { OPT_WINDOW = 256, OPT_BY, OPT_MAX_MEMORY, OPT_LEVEL, OPT_ALLOW_TRUNCATED };

static const struct option long_options[] = {
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "by", required_argument, NULL, OPT_BY },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "allow-truncated", no_argument, NULL, OPT_ALLOW_TRUNCATED },
	CLI_READER_LONG_OPTIONS,
	CLI_STD_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] [FILE...]\n"
	    "Fold edge streams (any number of files and concatenated segments) into one\n"
	    "stream with one record per edge identity and window. With no FILE, or when\n"
	    "FILE is -, read standard input.\n"
	    "\n"
	    "      --window DURATION  aligned tumbling windows (30s, 5m, 1h, 1d); a record\n"
	    "                         counts in the window of its first_seen (default: the\n"
	    "                         whole input is one window)\n"
	    "      --by KEYS          context keys in the edge identity: none (default), or\n"
	    "                         a comma-separated set of host, container, pid, comm\n"
	    "      --max-memory SIZE  spill sorted runs to $TMPDIR beyond SIZE (64M, 1G)\n"
	    "      --level N          zstd level of the output (1-19, default 3)\n"
	    "      --allow-truncated  keep the complete records of truncated inputs\n"
	    CLI_READER_HELP
	    "  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	    "  -f, --force            write the binary stream to a terminal\n"
	    "  -q, --quiet            no warnings or progress\n"
	    "  -v, --verbose          progress and a summary on stderr\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          version\n"
	    "\n"
	    "Exit status: 0 success, 2 usage error, 3 bad input data,\n"
	    "4 environment (I/O, permission, temporary space).\n", prog);
}

struct options {
	struct dedup_opts d;
	struct cli_std std;
	int level, allow_truncated;
	struct es_reader_opts reader;
};

static int fold_input(const struct options *o, struct dedup *d, const char *path,
    struct progress *pg, struct tm_err *err)
{
	struct es_reader_opts ropts = o->reader;
	const char *name = cli_input_name(path), *msg;
	struct es_reader *r;
	uint64_t before = dedup_stats(d)->records;
	int fd, rc;

	ropts.allow_truncated = o->allow_truncated;
	fd = cli_open_input(path, err);
	if (fd < 0)
		return -1;
	r = es_reader_new(fd, name, &ropts, err);
	rc = r ? dedup_add(d, r, pg) : -1;
	if (rc == 0 && es_reader_truncated(r, &msg) && !o->std.quiet) {
		progress_done(pg);
		cli_warn(prog, "%s: truncated stream (%s): kept %llu edges before it", name, msg,
		    (unsigned long long)(dedup_stats(d)->records - before));
	}
	es_reader_free(r);
	cli_close_input(fd);
	return rc;
}

static int run(const struct options *o, char **files, int nfiles)
{
	static char *const stdin_only[] = { "-", NULL };
	struct tm_err err = { 0, "" };
	struct es_writer_opts wopts = { .level = o->level, .async = 1 };
	struct es_writer *w = NULL;
	struct dedup *d = NULL;
	struct progress pg;
	struct outfile of;
	uint64_t t0 = progress_now_ns(), t1 = 0;
	int i, rc = -1;

	if (nfiles == 0) {
		files = (char **)stdin_only;
		nfiles = 1;
	}
	if (cli_refuse_terminal(prog, &o->std))
		return TM_EXIT_USAGE;
	if (outfile_open(&of, o->std.output, &err) < 0) {
		cli_error(prog, "%s", err.msg);
		return err.code;
	}
	outfile_cleanup_on_signals(&of);
	progress_init(&pg, prog, o->std.verbose, o->std.quiet);
	d = dedup_new(&o->d, &err);
	for (i = 0; d && i < nfiles; i++)
		if (fold_input(o, d, files[i], &pg, &err) < 0)
			goto out;
	progress_done(&pg);
	t1 = progress_now_ns();
	w = d ? es_writer_new(of.fd, o->std.output ? o->std.output : "(stdout)", &wopts, &err) : NULL;
	if (!w || dedup_write(d, w, "trace-dedup " TM_VERSION) < 0 || outfile_commit(&of, &err) < 0)
		goto out;
	if (o->std.verbose) {
		const struct dedup_stats *s = dedup_stats(d);

		fprintf(stderr, "%s: %llu records in %llu segments -> %llu distinct edges "
		    "(%llu nodes, %llu modules), %llu spills, edge table peak %.1f MiB, "
		    "string tables %.1f MiB; read+fold %.2f s, sort+write %.2f s\n", prog,
		    (unsigned long long)s->records, (unsigned long long)s->segments,
		    (unsigned long long)s->distinct, (unsigned long long)s->nodes,
		    (unsigned long long)s->modules, (unsigned long long)s->spills,
		    (double)s->peak_bytes / 1048576.0, (double)s->string_bytes / 1048576.0,
		    (double)(t1 - t0) / 1e9,
		    (double)(progress_now_ns() - t1) / 1e9);
	}
	rc = 0;
out:
	progress_done(&pg);
	es_writer_free(w);
	dedup_free(d);
	if (rc < 0) {
		outfile_abort(&of);
		cli_error(prog, "%s", err.msg[0] ? err.msg : "failed");
	}
	outfile_cleanup_done();
	return rc < 0 ? (err.code ? err.code : TM_EXIT_ENV) : TM_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o;
	uint64_t v;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = cli_getopt(prog, argc, argv, CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_WINDOW:
			if (cli_parse_duration(optarg, &o.d.window_ns) < 0 || o.d.window_ns == 0)
				return cli_usage_error(prog, "--window: expected a duration such as 30s, 5m, 1h, got '%s'",
				    optarg);
			break;
		case OPT_BY:
			if (dedup_parse_by(optarg, &o.d.by) < 0)
				return cli_usage_error(prog, "--by: expected none or host,container,pid,comm, got '%s'",
				    optarg);
			break;
		case OPT_MAX_MEMORY:
			if (cli_parse_size(optarg, &o.d.max_memory) < 0 || o.d.max_memory < (1u << 20))
				return cli_usage_error(prog, "--max-memory: expected a size of at least 1M, got '%s'",
				    optarg);
			break;
		case OPT_LEVEL:
			if (cli_parse_u64(optarg, 19, &v) < 0 || v < 1)
				return cli_usage_error(prog, "--level: expected 1 to 19, got '%s'", optarg);
			o.level = (int)v;
			break;
		case CLI_OPT_MAX_RECORD:
		case CLI_OPT_MAX_DEFS:
			if (cli_reader_option(prog, c, optarg, &o.reader) < 0)
				return TM_EXIT_USAGE;
			break;
		case OPT_ALLOW_TRUNCATED:
			o.allow_truncated = 1;
			break;
		default:
			if ((rc = cli_std_option(prog, c, optarg, &o.std, usage)) != CLI_CONTINUE)
				return rc;
			break;
		}
	}
	return run(&o, argv + optind, argc - optind);
}

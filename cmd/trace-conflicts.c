/*
 * trace-conflicts - explain, resolve and report where runtime observation
 * contradicts the static call graph in a merged stream. See trace-conflicts(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conflicts.h"
#include "conflicts_out.h"
#include "esreader.h"
#include "eswriter.h"
#include "graphcli.h"
#include "outfile.h"
#include "progress.h"

static const char *prog = "trace-conflicts";

enum { OPT_BINARY = 256, OPT_POLICY, OPT_MIN_COUNT, OPT_MIN_WINDOWS, OPT_FORMAT, OPT_FAIL_ON };

static const struct option long_options[] = {
	GRAPHCLI_STATIC_OPTION,
	{ "binary", required_argument, NULL, OPT_BINARY },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "min-count", required_argument, NULL, OPT_MIN_COUNT },
	{ "min-windows", required_argument, NULL, OPT_MIN_WINDOWS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	GRAPHCLI_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] [MERGED-STREAM...]\n"
	    "Explain where runtime edges contradict the static call graph in merged streams\n"
	    "(trace-merge output; standard input when there are none, or for -), resolve\n"
	    "the conflicts under a policy and report them on standard output.\n"
	    "\n"
	    "      --static FILE        static graph (.ci file or directory, DOT, JSON): indirect\n"
	    "                           call site locations, and the graph if the input has none\n"
	    "      --binary PATH        the ELF that ran: confirms tail calls, inlining and frame\n"
	    "                           pointers from its code; build ids reveal version skew\n"
	    "      --policy POLICY      explain-only (default), prefer-runtime, prefer-static\n"
	    "      --min-count N        observations before a runtime edge is accepted (default 1)\n"
	    "      --min-windows K      collection windows it must be seen in (default 1)\n"
	    "      --format FMT         report: text (default), json, sarif, none\n"
	    "      --fail-on CLASSES    exit 1 if an unresolved conflict of these classes remains\n"
	    "                           (class names or codes, error, warning, note, any)\n"
	    "      --level N            zstd level of the -o stream (1-19, default 3)\n"
	    "      --allow-truncated    keep the complete records of truncated inputs\n"
	    CLI_READER_HELP
	    "  -o, --output FILE        write the resolved merged stream to FILE (atomically)\n"
	    "  -f, --force              write the stream to a terminal (-o -)\n"
	    "  -q, --quiet              no warnings or progress\n"
	    "  -v, --verbose            progress and a summary on stderr\n"
	    "  -h, --help               this help\n"
	    "  -V, --version            version\n"
	    "\n"
	    "Classes, most severe first: unexplained, contested, version-skew, out-of-scope,\n"
	    "dynamic-module, identity-mismatch, not-present, indirect-call, async-transfer,\n"
	    "callback, tail-call, inlined, unwind-artifact, not-exercised, caller-not-executed,\n"
	    "unobservable.\n"
	    "\n"
	    "Exit status: 0 success, 1 --fail-on matched an unresolved conflict, 2 usage error,\n"
	    "3 bad input data (including an unparsable static graph or binary), 4 environment\n"
	    "(I/O, memory).\n", prog);
}

enum { FMT_TEXT, FMT_JSON, FMT_SARIF, FMT_NONE };

struct options {
	struct graphcli g;		/* --static, --level, reader and standard options */
	const char *binary;
	struct cf_opts cf;
	int format, fail;
	uint32_t fail_mask;
};

static int add_input(void *c, struct es_reader *r, struct progress *pg)
{
	return cf_add_input(c, r, pg);
}

static void summary(const struct cf *c)
{
	const struct cf_summary *s = cf_summary(c);

	fprintf(stderr, "%s: %llu records in %llu segments: %llu functions, %llu edges\n", prog,
	    (unsigned long long)s->records, (unsigned long long)s->segments,
	    (unsigned long long)s->nodes, (unsigned long long)s->edges);
	fprintf(stderr, "%s: %llu conflicts, %llu unresolved;", prog, (unsigned long long)s->conflicts,
	    (unsigned long long)s->unresolved);
	for (unsigned r = 0; r < CF_NRES; r++)
		fprintf(stderr, "%s %llu %s", r ? "," : "", (unsigned long long)s->by_res[r],
		    cf_resolution_name(r));
	fputc('\n', stderr);
	for (unsigned k = 0; k < CF_NCLASSES; k++)
		if (s->by_class[k])
			fprintf(stderr, "%s:   %-20s %llu (%llu unresolved)\n", prog, cf_class_name(k),
			    (unsigned long long)s->by_class[k], (unsigned long long)s->open_by_class[k]);
}

static int report(const struct options *o, const struct cf *c, struct tm_err *err)
{
	struct cf_out_opts oo = { prog, TM_VERSION };
	int r;

	if (o->format == FMT_NONE)
		return 0;
	if (o->format == FMT_JSON)
		r = cf_write_json(c, stdout, &oo);
	else if (o->format == FMT_SARIF)
		r = cf_write_sarif(c, stdout, &oo);
	else
		r = cf_write_text(c, stdout, &oo);
	if (r < 0) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		return -1;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		tm_err_errno(err, TM_EXIT_ENV, errno ? errno : EIO, "(stdout): write error");
		return -1;
	}
	return 0;
}

static int run(const struct options *o, char **files, int nfiles)
{
	const struct cli_std *std = &o->g.std;
	const char *outname = std->output && strcmp(std->output, "-") ? std->output : "(stdout)";
	struct tm_err err = { 0, "" };
	struct es_writer_opts wopts = { .level = o->g.level, .async = 1 };
	struct es_writer *w = NULL;
	struct cf *c = NULL;
	struct cf_opts co = o->cf;
	struct progress pg;
	struct outfile of;
	int rc, opened = 0, answer = TM_EXIT_OK;
	size_t k;

	rc = graphcli_operands(&o->g, &files, &nfiles, 1, "merged stream");
	if (rc != CLI_CONTINUE)
		return rc;
	rc = -1;
	if (std->output && strcmp(std->output, "-") == 0 && cli_refuse_terminal(prog, std))
		return TM_EXIT_USAGE;
	co.warn = graphcli_warn;
	co.warn_arg = (void *)&o->g;
	progress_init(&pg, prog, std->verbose, std->quiet);
	c = cf_new(&co, &err);
	if (!c)
		goto out;
	if (o->binary && cf_set_binary(c, o->binary) < 0)
		goto out;
	for (k = 0; k < o->g.nstatic; k++)
		if (cf_add_static(c, o->g.statics[k]) < 0)
			goto out;
	if (graphcli_read(&o->g, files, nfiles, add_input, c, &pg, &err) < 0)
		goto out;
	progress_done(&pg);
	if (cf_finish(c) < 0)
		goto out;
	if (std->output) {
		if (outfile_open(&of, std->output, &err) < 0)
			goto out;
		opened = 1;
		outfile_cleanup_on_signals(&of);
		w = es_writer_new(of.fd, outname, &wopts, &err);
		if (!w || cf_write_stream(c, w, "trace-conflicts " TM_VERSION) < 0)
			goto out;
		es_writer_free(w);
		w = NULL;
		if (outfile_commit(&of, &err) < 0)
			goto out;
	}
	if (report(o, c, &err) < 0)
		goto out;
	if (std->verbose)
		summary(c);
	if (o->fail && cf_unresolved(c, o->fail_mask))
		answer = TM_EXIT_NEGATIVE;
	rc = 0;
out:
	progress_done(&pg);
	es_writer_free(w);
	rc = graphcli_end(&o->g, rc, answer, &err, opened ? &of : NULL);
	cf_free(c);
	return rc;
}

/* Parse the command line into o: -1 to go on, else the exit status. */
static int parse_args(struct options *o, int argc, char **argv)
{
	char bad[128];
	uint64_t v;
	int c, p;

	while ((c = cli_getopt(prog, argc, argv, CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_BINARY:
			if (!*optarg)
				return cli_usage_error(prog, "--binary: expected a file");
			o->binary = optarg;
			break;
		case OPT_POLICY:
			p = cf_policy_parse(optarg);
			if (p < 0)
				return cli_usage_error(prog, "--policy: expected explain-only, prefer-runtime or "
				    "prefer-static, got '%s'", optarg);
			o->cf.policy = (unsigned)p;
			break;
		case OPT_MIN_COUNT:
			if (cli_parse_u64(optarg, UINT64_MAX, &v) < 0 || v < 1)
				return cli_usage_error(prog, "--min-count: expected a positive integer, got '%s'", optarg);
			o->cf.min_count = v;
			break;
		case OPT_MIN_WINDOWS:
			if (cli_parse_u64(optarg, UINT32_MAX, &v) < 0 || v < 1)
				return cli_usage_error(prog, "--min-windows: expected a positive integer, got '%s'",
				    optarg);
			o->cf.min_windows = v;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = FMT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				o->format = FMT_SARIF;
			else if (strcmp(optarg, "none") == 0)
				o->format = FMT_NONE;
			else
				return cli_usage_error(prog, "--format: expected text, json, sarif or none, got '%s'",
				    optarg);
			break;
		case OPT_FAIL_ON:
			if (cf_class_list_parse(optarg, &o->fail_mask, bad, sizeof(bad)) < 0)
				return cli_usage_error(prog, "--fail-on: unknown conflict class '%s'", bad);
			o->fail = 1;
			break;
		default:
			p = graphcli_option(&o->g, c, optarg);
			if (p != CLI_CONTINUE)
				return p;
			break;
		}
	}
	if (o->g.std.output && strcmp(o->g.std.output, "-") == 0 && o->format != FMT_NONE)
		return cli_usage_error(prog, "-o -: the report goes to standard output (use --format none)");
	return -1;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.g.prog = prog;
	o.g.usage = usage;
	rc = parse_args(&o, argc, argv);
	if (rc < 0)
		rc = run(&o, argv + optind, argc - optind);
	graphcli_free(&o.g);
	return rc;
}

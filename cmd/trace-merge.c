/*
 * trace-merge - join runtime edge streams with static call graphs: classify
 * every edge and place every function on the reachability lattice. See trace-merge(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "esreader.h"
#include "eswriter.h"
#include "graphcli.h"
#include "merge.h"
#include "merge_out.h"
#include "outfile.h"
#include "progress.h"
#include "staticload.h"

static const char *prog = "trace-merge";

enum {
	OPT_STATIC_FORMAT = 256, OPT_MODULE, OPT_BINARY, OPT_ENTRY, OPT_FORMAT, OPT_FOCUS, OPT_WHY,
	OPT_PATHS, OPT_NO_RUNTIME,
};

static const struct option long_options[] = {
	GRAPHCLI_STATIC_OPTION,
	{ "static-format", required_argument, NULL, OPT_STATIC_FORMAT },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "binary", required_argument, NULL, OPT_BINARY },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "focus", required_argument, NULL, OPT_FOCUS },
	{ "why", required_argument, NULL, OPT_WHY },
	{ "paths", required_argument, NULL, OPT_PATHS },
	{ "no-runtime", no_argument, NULL, OPT_NO_RUNTIME },
	GRAPHCLI_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s --static GRAPH [OPTIONS] [RUNTIME-STREAM...]\n"
	    "Join runtime edge streams (standard input when there are none, or for -)\n"
	    "with static call graphs; classify every edge and every function.\n"
	    "\n"
	    "      --static FILE         static call graph: GCC .ci file or directory of them,\n"
	    "                            DOT, JSON, or an edge stream (repeatable)\n"
	    "      --static-format FMT   auto (default), ci, dot, json, stream\n"
	    "      --module NAME         runtime module the static graph describes\n"
	    "      --binary PATH         ELF file the static graph describes: binds by its\n"
	    "                            build id; main or its exports are the entry points\n"
	    "      --entry SYM           entry point (repeatable; default main, or the\n"
	    "                            exported functions of a shared library)\n"
	    "      --format FMT          stream (default), json, dot\n"
	    "      --focus SYM           json/dot: only the paths from the entry points to SYM\n"
	    "      --why SYM             print the call paths reaching SYM; exit 1 if none\n"
	    "      --paths N             --why: paths per kind (default 3)\n"
	    "      --no-runtime          read no runtime stream (static reachability only)\n"
	    "      --level N             zstd level of the output stream (1-19, default 3)\n"
	    "      --allow-truncated     keep the complete records of truncated inputs\n"
	    CLI_READER_HELP
	    "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
	    "  -f, --force               write the binary stream to a terminal\n"
	    "  -q, --quiet               no warnings or progress\n"
	    "  -v, --verbose             progress and a summary on stderr\n"
	    "  -h, --help                this help\n"
	    "  -V, --version             version\n"
	    "\n"
	    "Exit status: 0 success (--why: reached), 1 --why: not reached, or the --why or\n"
	    "--focus function is unknown, 2 usage error, 3 bad input data (including an\n"
	    "unparsable static graph), 4 environment (I/O, memory).\n", prog);
}

enum { FMT_STREAM, FMT_JSON, FMT_DOT };

struct options {
	struct graphcli g;		/* --static, --level, reader and standard options */
	const char **entries;
	size_t nentries;
	int static_format, format, format_given;
	const char *module, *binary, *focus, *why;
	unsigned paths;
	int no_runtime;
};

static int add_runtime(void *m, struct es_reader *r, struct progress *pg)
{
	return merge_add_runtime(m, r, pg);
}

/* A function named on the command line; 0 with a message when unknown. */
static uint32_t lookup(const struct options *o, const struct merge *m, const char *opt,
    const char *sym)
{
	char name[4096];
	size_t n;
	uint32_t id = merge_find(m, sym, &n);

	if (!id) {
		cli_error(prog, "%s %s: no such function in the static graph or the runtime edges", opt, sym);
		return 0;
	}
	if (n > 1 && !o->g.std.quiet) {
		merge_node_name(m, id, name, sizeof(name));
		cli_warn(prog, "%s %s: %zu functions match; using %s", opt, sym, n, name);
	}
	return id;
}

static void summary(const struct merge *m, uint64_t write_ns)
{
	const struct merge_stats *s = merge_stats(m);
	const uint8_t *id;
	size_t idlen;
	const char *mod = merge_binding_module(m, &id, &idlen);

	fprintf(stderr, "%s: static: %llu functions, %llu edges, %llu indirect call sites from %llu "
	    "inputs in %.2f s\n", prog, (unsigned long long)s->static_nodes,
	    (unsigned long long)s->static_edges, (unsigned long long)s->static_isites,
	    (unsigned long long)s->static_inputs, (double)s->static_ns / 1e9);
	fprintf(stderr, "%s: runtime: %llu records in %llu segments -> %llu edges between %llu "
	    "functions in %.2f s\n", prog, (unsigned long long)s->records,
	    (unsigned long long)s->segments, (unsigned long long)s->runtime_edges,
	    (unsigned long long)s->runtime_nodes, (double)s->runtime_ns / 1e9);
	fprintf(stderr, "%s: binding: %s%s%s; %llu runtime functions matched (%llu by alias), "
	    "%llu of the bound module not in the static graph, %llu ambiguous; %llu entry points\n",
	    prog, merge_binding_name(s->binding), mod ? " " : "", mod ? mod : "",
	    (unsigned long long)s->matched, (unsigned long long)s->aliased,
	    (unsigned long long)s->unmatched_bound, (unsigned long long)s->ambiguous,
	    (unsigned long long)s->entries);
	fprintf(stderr, "%s: edges: %llu confirmed, %llu confirmed-indirect, %llu static-only, "
	    "%llu runtime-only\n", prog,
	    (unsigned long long)s->by_class[ES_CLASS_CONFIRMED],
	    (unsigned long long)s->by_class[ES_CLASS_CONFIRMED_INDIRECT],
	    (unsigned long long)s->by_class[ES_CLASS_STATIC_ONLY],
	    (unsigned long long)s->by_class[ES_CLASS_RUNTIME_ONLY]);
	fprintf(stderr, "%s: join %.2f s, output %.2f s\n", prog, (double)s->join_ns / 1e9,
	    (double)write_ns / 1e9);
	fprintf(stderr, "%s: functions:", prog);
	for (unsigned k = 1; k <= ES_STATE_MAX; k++)
		fprintf(stderr, "%s %llu %s", k > 1 ? "," : "", (unsigned long long)s->by_state[k],
		    es_state_name(k));
	fputc('\n', stderr);
}

/* Text output (json, dot, --why) through stdio on the output descriptor. */
static FILE *text_out(const struct outfile *of, struct tm_err *err)
{
	int fd = dup(of->fd);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		tm_err_set(err, TM_EXIT_ENV, "cannot open the output");
	}
	return f;
}

static int text_close(FILE *f, const char *name, struct tm_err *err)
{
	int bad = fflush(f) != 0 || ferror(f);

	if (fclose(f) != 0 || bad) {
		tm_err_set(err, TM_EXIT_ENV, "%s: write error", name);
		return -1;
	}
	return 0;
}

static int run(const struct options *o, char **files, int nfiles)
{
	const struct cli_std *std = &o->g.std;
	const char *outname = std->output && strcmp(std->output, "-") ? std->output : "(stdout)";
	struct tm_err err = { 0, "" };
	struct merge_opts mo;
	struct es_writer_opts wopts = { .level = o->g.level, .async = 1 };
	struct es_writer *w = NULL;
	struct merge *m = NULL;
	struct progress pg;
	struct outfile of;
	uint32_t target = 0;
	uint64_t t_write = 0;
	int rc = -1, answer = TM_EXIT_OK, opened = 0;

	rc = graphcli_operands(&o->g, &files, &nfiles, !o->no_runtime, "runtime stream");
	if (rc != CLI_CONTINUE)
		return rc;
	rc = -1;
	if (o->format == FMT_STREAM && !o->why && cli_refuse_terminal(prog, std))
		return TM_EXIT_USAGE;

	memset(&mo, 0, sizeof(mo));
	mo.module = o->module;
	mo.entries = o->entries;
	mo.nentries = o->nentries;
	mo.warn = graphcli_warn;
	mo.warn_arg = (void *)&o->g;
	progress_init(&pg, prog, 0, 1);
	m = merge_new(&mo, &err);
	if (!m)
		goto out;
	if (o->binary && merge_bind_binary(m, o->binary) < 0)
		goto out;
	/* The static graphs load in a thread of their own while the runtime streams are read. */
	if (o->g.nstatic && merge_static_begin(m, o->g.statics, o->g.nstatic, o->static_format) < 0)
		goto out;
	progress_init(&pg, prog, std->quiet ? 0 : std->verbose, std->quiet);
	if (graphcli_read(&o->g, files, nfiles, add_runtime, m, &pg, &err) < 0)
		goto out;
	progress_done(&pg);
	if (merge_static_wait(m) < 0 || merge_finish(m) < 0)
		goto out;
	if (o->why || o->focus) {
		target = lookup(o, m, o->why ? "--why" : "--focus", o->why ? o->why : o->focus);
		if (!target) {
			answer = TM_EXIT_NEGATIVE;
			rc = 0;
			goto out;
		}
	}
	if (outfile_open(&of, std->output, &err) < 0)
		goto out;
	opened = 1;
	outfile_cleanup_on_signals(&of);
	t_write = progress_now_ns();
	if (o->format == FMT_STREAM && !o->why) {
		w = es_writer_new(of.fd, outname, &wopts, &err);
		if (!w || merge_write_stream(m, w, "trace-merge " TM_VERSION) < 0)
			goto out;
	} else {
		struct merge_out_opts oo = { "trace-merge " TM_VERSION, o->why ? 0 : target };
		FILE *f = text_out(&of, &err);
		int r;

		if (!f)
			goto out;
		if (o->why) {
			r = merge_why(m, f, target, o->paths);
			if (r >= 0)
				answer = r ? TM_EXIT_OK : TM_EXIT_NEGATIVE;
		} else if (o->format == FMT_JSON) {
			r = merge_write_json(m, f, &oo);
		} else {
			r = merge_write_dot(m, f, &oo);
		}
		if (text_close(f, outname, &err) < 0 || r < 0) {
			if (!err.code)
				tm_err_set(&err, TM_EXIT_ENV, "out of memory");
			goto out;
		}
	}
	if (outfile_commit(&of, &err) < 0)
		goto out;
	if (std->verbose)
		summary(m, progress_now_ns() - t_write);
	rc = 0;
out:
	progress_done(&pg);
	es_writer_free(w);
	rc = graphcli_end(&o->g, rc, answer, &err, opened ? &of : NULL);
	merge_free(m);
	return rc;
}

/* Parse the command line into o: CLI_CONTINUE to go on, else the exit status. */
static int parse_args(struct options *o, int argc, char **argv)
{
	uint64_t v;
	int c, rc;

	while ((c = cli_getopt(prog, argc, argv, CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_STATIC_FORMAT:
			o->static_format = staticload_format_parse(optarg);
			if (o->static_format < 0)
				return cli_usage_error(prog, "--static-format: expected auto, ci, dot, json or stream, got '%s'",
				    optarg);
			break;
		case OPT_MODULE:
			if (!*optarg)
				return cli_usage_error(prog, "--module: expected a module name");
			o->module = optarg;
			break;
		case OPT_BINARY:
			o->binary = optarg;
			break;
		case OPT_ENTRY:
			if (!*optarg)
				return cli_usage_error(prog, "--entry: expected a function name");
			if (graphcli_push(&o->entries, &o->nentries, optarg) < 0)
				return TM_EXIT_ENV;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "stream") == 0)
				o->format = FMT_STREAM;
			else if (strcmp(optarg, "json") == 0)
				o->format = FMT_JSON;
			else if (strcmp(optarg, "dot") == 0)
				o->format = FMT_DOT;
			else
				return cli_usage_error(prog, "--format: expected stream, json or dot, got '%s'", optarg);
			o->format_given = 1;
			break;
		case OPT_FOCUS:
			o->focus = optarg;
			break;
		case OPT_WHY:
			o->why = optarg;
			break;
		case OPT_PATHS:
			if (cli_parse_u64(optarg, 1000, &v) < 0 || v < 1)
				return cli_usage_error(prog, "--paths: expected 1 to 1000, got '%s'", optarg);
			o->paths = (unsigned)v;
			break;
		case OPT_NO_RUNTIME:
			o->no_runtime = 1;
			break;
		default:
			if ((rc = graphcli_option(&o->g, c, optarg)) != CLI_CONTINUE)
				return rc;
			break;
		}
	}
	if (o->why && o->format_given)
		return cli_usage_error(prog, "--why prints text; it takes no --format");
	if (o->why && o->focus)
		return cli_usage_error(prog, "--why and --focus cannot be combined");
	if (o->focus && o->format == FMT_STREAM)
		return cli_usage_error(prog, "--focus applies to --format json and dot");
	if (o->no_runtime && optind < argc)
		return cli_usage_error(prog, "--no-runtime takes no runtime stream operands");
	return CLI_CONTINUE;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.g.prog = prog;
	o.g.usage = usage;
	o.paths = 3;
	rc = parse_args(&o, argc, argv);
	if (rc == CLI_CONTINUE)
		rc = run(&o, argv + optind, argc - optind);
	graphcli_free(&o.g);
	free(o.entries);
	return rc;
}

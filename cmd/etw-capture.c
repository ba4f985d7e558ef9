/*
 * etw-capture - runtime call edges from ETW: decode a recorded .etl file
 * (any system) or capture live (Windows). See etw-capture(1).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "etl_stream.h"
#include "eswriter.h"
#include "live.h"
#include "outfile.h"
#include "progress.h"

static const char *prog = "etw-capture";

#define MAX_PIDS 256

enum {
	OPT_ETL = 256, OPT_KERNEL, OPT_PID, OPT_PROCESS_NAME, OPT_WINDOW, OPT_DURATION,
	OPT_INTERVAL, OPT_HOST, OPT_LEVEL,
};

static const struct option long_options[] = {
	{ "etl", required_argument, NULL, OPT_ETL },
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "process-name", required_argument, NULL, OPT_PROCESS_NAME },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "level", required_argument, NULL, OPT_LEVEL },
	CLI_STD_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s --etl FILE [OPTIONS]\n"
	    "       %s [OPTIONS]                 (live capture, Windows only)\n"
	    "Turn the sampled stacks of an ETW trace into an edge stream: adjacent frames\n"
	    "become caller->callee edges, symbolized per process (module+RVA with the PDB\n"
	    "identity, .NET methods by name). --etl decodes a recorded .etl file on any\n"
	    "system; without it, capture live through ETW until Ctrl-C or --duration.\n"
	    "\n"
	    "      --etl FILE            decode a recorded trace (- for standard input)\n"
	    "      --kernel              keep kernel-mode frames and user->kernel edges\n"
	    "      --pid PID             only this process (repeatable)\n"
	    "      --process-name NAME   only processes with this image name (.exe optional)\n"
	    "      --window DURATION     aligned windows (30s, 5m, 1h; default: the whole trace)\n"
	    "      --duration DURATION   live: stop after DURATION (default: Ctrl-C)\n"
	    "      --interval DURATION   live: sampling interval (default 1ms)\n"
	    "      --host NAME           host name in the stream (default: from the trace)\n"
	    "      --level N             zstd level of the output (1-19, default 3)\n"
	    "  -o, --output FILE         write to FILE (atomically) instead of stdout\n"
	    "  -f, --force               write the binary stream to a terminal\n"
	    "  -q, --quiet               no warnings or progress\n"
	    "  -v, --verbose             a summary on stderr\n"
	    "  -h, --help                this help\n"
	    "  -V, --version             version\n"
	    "\n"
	    "Exit status: 0 success, 2 usage error, 3 bad input data (corrupt or\n"
	    "truncated .etl), 4 environment (I/O, privilege, live capture unavailable).\n",
	    prog, prog);
}

struct options {
	const char *etl, *host, *process_name;
	struct cli_std std;
	uint32_t pids[MAX_PIDS];
	size_t npids;
	uint64_t window_ns, duration_ns, interval_ns;
	int kernel, level;
};

static void summary(const struct options *o, const struct etl_stream_stats *st, size_t bytes,
    uint64_t ns)
{
	double secs = (double)ns / 1e9;

	fprintf(stderr, "%s: %s: %.1f MiB, %" PRIu64 " buffers (%" PRIu64 " compressed), %"
	    PRIu64 " events, %" PRIu64 " samples, %" PRIu64 " stacks (%" PRIu64
	    " keyed, %" PRIu64 " unresolved) -> %" PRIu64 " edges; %.3f s, %.1f MB/s\n",
	    prog, cli_input_name(o->etl), (double)bytes / 1048576.0, st->reader.buffers,
	    st->reader.compressed_buffers, st->reader.events, st->edges.samples,
	    st->edges.sample_stacks, st->edges.refs_resolved, st->edges.refs_unresolved,
	    st->edges.edges, secs, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
}

/* The progress line of a long decode: on a terminal or with -v, not with -q. */
struct decode_progress {
	int enabled, shown;
	uint64_t t0, last;
};

static void on_progress(void *ctx, uint64_t events)
{
	struct decode_progress *p = ctx;
	uint64_t now = progress_now_ns();

	if (!p->enabled || now - p->t0 < 1000000000u || now - p->last < 500000000u)
		return;
	p->last = now;
	fprintf(stderr, "\r%s: decoding: %" PRIu64 " events, %.1f s\033[K", prog, events,
	    (double)(now - p->t0) / 1e9);
	p->shown = 1;
}

static void progress_clear(struct decode_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

static int run(const struct options *o)
{
	struct tm_err err = { 0, "" };
	struct etl_edges_opts eo;
	struct etl_stream_opts so;
	struct etl_stream_stats st;
	struct es_writer_opts wopts = { .level = o->level };
	struct es_writer *w = NULL;
	struct outfile of;
	uint8_t *data = NULL;
	size_t len = 0;
	uint64_t t0 = 0;
	int rc = -1, opened = 0;
	struct decode_progress dp = {
		.enabled = !o->std.quiet && (o->std.verbose || cli_is_terminal(STDERR_FILENO)),
	};

	memset(&eo, 0, sizeof eo);
	eo.kernel = o->kernel;
	eo.pids = o->pids;
	eo.npids = o->npids;
	eo.process_name = o->process_name;
	eo.window_ns = o->window_ns;
	memset(&so, 0, sizeof so);
	so.producer = "etw-capture " TM_VERSION;
	so.host = o->host;
	so.input = o->etl ? "etl" : "live";
	so.edges = &eo;
	so.progress = on_progress;
	so.progress_ctx = &dp;

	if (!o->etl && live_available(&err) < 0)
		goto out;
	if (cli_refuse_terminal(prog, &o->std))
		return TM_EXIT_USAGE;
	if (o->etl && etl_stream_load(o->etl, &data, &len, &err) < 0)
		goto out;
	if (outfile_open(&of, o->std.output, &err) < 0)
		goto out;
	opened = 1;
	outfile_cleanup_on_signals(&of);
	w = es_writer_new(of.fd, o->std.output ? o->std.output : "(stdout)", &wopts, &err);
	if (!w)
		goto out;
	if (o->etl) {
		int bad;

		t0 = dp.t0 = progress_now_ns();
		bad = etl_stream_from_etl(data, len, cli_input_name(o->etl), &so, w, &st, &err) < 0;
		progress_clear(&dp);
		if (bad)
			goto out;
	} else {
		struct live_opts lo = {
			.prog = prog, .duration_ns = o->duration_ns, .interval_ns = o->interval_ns,
			.verbose = o->std.verbose, .quiet = o->std.quiet,
		};
		so.interval_ns = o->interval_ns ? o->interval_ns : 1000000;
		if (live_run(&lo, &so, w, &err) < 0)
			goto out;
	}
	es_writer_free(w);
	w = NULL;
	if (outfile_commit(&of, &err) < 0)
		goto out;
	if (o->std.verbose && o->etl)
		summary(o, &st, len, progress_now_ns() - t0);
	if (o->etl && !o->std.quiet && st.edges.edges == 0) {
		if (st.edges.samples == 0)
			cli_warn(prog, "%s: no SampledProfile events, so no edges (record with the "
			    "Profile kernel flag and stacks on it)", cli_input_name(o->etl));
		else if (st.edges.sample_stacks == 0)
			cli_warn(prog, "%s: no stacks on the samples, so no edges (enable stack "
			    "walking for SampledProfile)", cli_input_name(o->etl));
	}
	rc = 0;
out:
	es_writer_free(w);
	free(data);
	if (rc < 0) {
		if (opened)
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

	live_platform_init();
	memset(&o, 0, sizeof o);
	while ((c = cli_getopt(prog, argc, argv, CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_ETL:
			o.etl = optarg;
			break;
		case OPT_KERNEL:
			o.kernel = 1;
			break;
		case OPT_PID:
			if (cli_parse_u64(optarg, UINT32_MAX, &v) < 0)
				return cli_usage_error(prog, "--pid: expected a process id, got '%s'", optarg);
			if (o.npids == MAX_PIDS)
				return cli_usage_error(prog, "--pid: at most %d processes", MAX_PIDS);
			o.pids[o.npids++] = (uint32_t)v;
			break;
		case OPT_PROCESS_NAME:
			if (!optarg[0])
				return cli_usage_error(prog, "--process-name: expected a name");
			o.process_name = optarg;
			break;
		case OPT_WINDOW:
			if (cli_parse_duration(optarg, &o.window_ns) < 0 || o.window_ns == 0)
				return cli_usage_error(prog, "--window: expected a duration such as 30s, 5m, 1h, got '%s'",
				    optarg);
			break;
		case OPT_DURATION:
			if (cli_parse_duration(optarg, &o.duration_ns) < 0 || o.duration_ns == 0)
				return cli_usage_error(prog, "--duration: expected a duration such as 30s, 5m, got '%s'",
				    optarg);
			break;
		case OPT_INTERVAL:
			/* ETW takes 100 ns units, from 0.1 ms up to 1 s. */
			if (cli_parse_duration(optarg, &o.interval_ns) < 0 ||
			    o.interval_ns < 100000 || o.interval_ns > 1000000000)
				return cli_usage_error(prog, "--interval: expected a duration from 100us to 1s, got '%s'",
				    optarg);
			break;
		case OPT_HOST:
			o.host = optarg;
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
	if (optind < argc)
		return cli_usage_error(prog, "unexpected operand '%s' (a recorded trace is --etl FILE)",
		    argv[optind]);
	if (o.etl && o.duration_ns)
		return cli_usage_error(prog, "--duration applies to live capture, not to --etl");
	if (o.etl && o.interval_ns)
		return cli_usage_error(prog, "--interval applies to live capture, not to --etl");
	return run(&o);
}

/*
 * trace-capture - capture runtime caller->callee edges with eBPF: exact entry
 * probes and/or stack sampling, for a command, a process, a cgroup or everything.
 * See trace-capture(1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "eswriter.h"
#include "outfile.h"

static const char *prog = "trace-capture";
/* --probe specs (pointers into argv); kept for the life of the process. */
static const char **probes;

/* Set by SIGINT/SIGTERM: the capture flushes, writes its trailer and stops. */
static volatile sig_atomic_t stop_requested;

enum {
	OPT_MODE = 256, OPT_PROBE, OPT_PROBE_FILE, OPT_PID, OPT_FOLLOW, OPT_CGROUP, OPT_ALL,
	OPT_FREQ, OPT_WINDOW, OPT_DURATION, OPT_SYMBOLIZE, OPT_CONTEXT, OPT_ATTACH,
	OPT_RING_SIZE, OPT_MAP_ENTRIES, OPT_HOST,
};

static const struct option long_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "probe", required_argument, NULL, OPT_PROBE },
	{ "probe-file", required_argument, NULL, OPT_PROBE_FILE },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "follow-children", no_argument, NULL, OPT_FOLLOW },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "freq", required_argument, NULL, OPT_FREQ },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "symbolize", required_argument, NULL, OPT_SYMBOLIZE },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
	{ "host", required_argument, NULL, OPT_HOST },
	CLI_STD_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] -- COMMAND [ARG...]\n"
	    "       %s [OPTIONS] --pid PID | --cgroup DIR | --all\n"
	    "Capture caller->callee edges with eBPF and write an edge stream.\n"
	    "\n"
	    "Modes:\n"
	    "      --mode MODE          probe, sample or probe,sample (default: probe when\n"
	    "                           probes are given, else sample)\n"
	    "      --probe MODULE:GLOB  entry probes on matching functions (repeatable),\n"
	    "                           e.g. libz.so.1:inflate* or /usr/bin/prog:*parse*\n"
	    "      --probe-file FILE    one module!symbol (or MODULE:GLOB) per line\n"
	    "      --freq HZ            sampling frequency (default 99)\n"
	    "\n"
	    "Scope (one):\n"
	    "  -- COMMAND [ARG...]      run COMMAND, follow it and its descendants, and exit\n"
	    "                           with its status\n"
	    "      --pid PID            one process\n"
	    "      --follow-children    with --pid: its children too\n"
	    "      --cgroup DIR         every process under a cgroup v2 directory\n"
	    "      --all                every process\n"
	    "\n"
	    "Output:\n"
	    "  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
	    "  -f, --force              write the binary stream to a terminal\n"
	    "      --window DURATION    one set of edges per window (default: one window)\n"
	    "      --duration DURATION  stop after DURATION (500ms, 30s, 5m, ...)\n"
	    "      --symbolize yes|no   no: module+offset only, for offline symbolization\n"
	    "      --context process|cgroup  edges per process (default) or per cgroup\n"
	    "      --host NAME          host name recorded in the stream (default: hostname)\n"
	    "\n"
	    "Tuning:\n"
	    "      --attach auto|multi|single  uprobe_multi links or one uprobe per target\n"
	    "      --ring-size SIZE     kernel ring buffer (default 1M)\n"
	    "      --map-entries N      kernel edge and stack map entries (default 65536)\n"
	    "  -q, --quiet              no warnings\n"
	    "  -v, --verbose            attach/detach times and counts on stderr\n"
	    "  -h, --help               this help\n"
	    "  -V, --version            version\n"
	    "\n"
	    "Exit status: 0 success (or the command's status), 2 usage error, 3 bad\n"
	    "input data, 4 environment (root or CAP_BPF+CAP_PERFMON, BTF, I/O).\n", prog, prog);
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_mode(const char *s, unsigned *modes)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*modes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "probe") == 0)
			*modes |= CAPTURE_PROBE;
		else if (strcmp(tok, "sample") == 0)
			*modes |= CAPTURE_SAMPLE;
		else
			return -1;
	}
	return *modes ? 0 : -1;
}

/* The command line of `-- CMD ARGS`, space-separated, for the header. */
static char *join_argv(char *const *argv)
{
	size_t n = 1, i;
	char *s;

	for (i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int main(int argc, char **argv)
{
	struct capture_opts o;
	struct cli_std std = { 0 };
	struct outfile out;
	struct es_writer *w;
	struct tm_err err = { 0 };
	struct sigaction sa;
	char host[256], *cmdline = NULL;
	uint64_t v;
	int c, nscopes = 0, status = 0, rc, modes_set = 0;

	memset(&o, 0, sizeof(o));
	o.prog = prog;
	o.freq = 99;
	o.symbolize = 1;
	o.per_process = 1;
	while ((c = cli_getopt(prog, argc, argv, "+" CLI_STD_SHORT, long_options)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (parse_mode(optarg, &o.modes) < 0)
				return cli_usage_error(prog, "--mode: '%s': expected probe, sample "
				    "or probe,sample", optarg);
			modes_set = 1;
			break;
		case OPT_PROBE: {
			const char **np = realloc(probes, (o.nprobes + 1) * sizeof(*probes));

			if (!np) {
				cli_error(prog, "out of memory");
				return TM_EXIT_ENV;
			}
			probes = np;
			probes[o.nprobes++] = optarg;
			break;
		}
		case OPT_PROBE_FILE:
			o.probe_file = optarg;
			break;
		case OPT_PID:
			if (cli_parse_u64(optarg, INT_MAX, &v) < 0 || v == 0)
				return cli_usage_error(prog, "--pid: '%s': not a process id", optarg);
			o.pid = (pid_t)v;
			o.scope = CAPTURE_SCOPE_PID;
			nscopes++;
			break;
		case OPT_FOLLOW:
			o.follow_children = 1;
			break;
		case OPT_CGROUP:
			o.cgroup = optarg;
			o.scope = CAPTURE_SCOPE_CGROUP;
			nscopes++;
			break;
		case OPT_ALL:
			o.scope = CAPTURE_SCOPE_ALL;
			nscopes++;
			break;
		case OPT_FREQ:
			if (cli_parse_u64(optarg, 100000, &v) < 0 || v == 0)
				return cli_usage_error(prog, "--freq: '%s': expected 1-100000 Hz",
				    optarg);
			o.freq = (unsigned)v;
			break;
		case OPT_WINDOW:
			if (cli_parse_duration(optarg, &o.window_ns) < 0 || o.window_ns == 0)
				return cli_usage_error(prog, "--window: '%s': not a duration", optarg);
			break;
		case OPT_DURATION:
			if (cli_parse_duration(optarg, &o.duration_ns) < 0 || o.duration_ns == 0)
				return cli_usage_error(prog, "--duration: '%s': not a duration",
				    optarg);
			break;
		case OPT_SYMBOLIZE:
			if (strcmp(optarg, "yes") == 0)
				o.symbolize = 1;
			else if (strcmp(optarg, "no") == 0)
				o.symbolize = 0;
			else
				return cli_usage_error(prog, "--symbolize: expected yes or no");
			break;
		case OPT_CONTEXT:
			if (strcmp(optarg, "process") == 0)
				o.per_process = 1;
			else if (strcmp(optarg, "cgroup") == 0)
				o.per_process = 0;
			else
				return cli_usage_error(prog, "--context: expected process or cgroup");
			break;
		case OPT_ATTACH:
			if (strcmp(optarg, "auto") == 0)
				o.attach = CAPTURE_ATTACH_AUTO;
			else if (strcmp(optarg, "multi") == 0)
				o.attach = CAPTURE_ATTACH_MULTI;
			else if (strcmp(optarg, "single") == 0)
				o.attach = CAPTURE_ATTACH_SINGLE;
			else
				return cli_usage_error(prog, "--attach: expected auto, multi or single");
			break;
		case OPT_RING_SIZE: {
			uint64_t p = 4096;

			if (cli_parse_size(optarg, &v) < 0 || v < 4096 || v > (1u << 30))
				return cli_usage_error(prog, "--ring-size: '%s': expected 4K-1G",
				    optarg);
			while (p < v)
				p <<= 1;	/* a power-of-two number of pages */
			o.ring_size = (uint32_t)p;
			break;
		}
		case OPT_MAP_ENTRIES:
			if (cli_parse_u64(optarg, 1u << 24, &v) < 0 || v == 0)
				return cli_usage_error(prog, "--map-entries: '%s': expected 1-16777216",
				    optarg);
			o.map_entries = (uint32_t)v;
			break;
		case OPT_HOST:
			o.host = optarg;
			break;
		default:
			if ((rc = cli_std_option(prog, c, optarg, &std, usage)) != CLI_CONTINUE)
				return rc;
			break;
		}
	}
	o.probes = probes;
	o.quiet = std.quiet;
	o.verbose = std.verbose;
	if (optind < argc) {
		o.argv = argv + optind;
		o.scope = CAPTURE_SCOPE_CMD;
		nscopes++;
	}
	if (nscopes != 1)
		return cli_usage_error(prog, nscopes ? "give only one of -- COMMAND, --pid, "
		    "--cgroup, --all" : "nothing to trace: give -- COMMAND, --pid, --cgroup or --all");
	if (o.follow_children && o.scope != CAPTURE_SCOPE_PID)
		return cli_usage_error(prog, "--follow-children needs --pid");
	if (!modes_set)
		o.modes = o.nprobes || o.probe_file ? CAPTURE_PROBE : CAPTURE_SAMPLE;
	if ((o.modes & CAPTURE_PROBE) && !o.nprobes && !o.probe_file)
		return cli_usage_error(prog, "probe mode needs --probe or --probe-file");
	if (!(o.modes & CAPTURE_PROBE) && (o.nprobes || o.probe_file))
		return cli_usage_error(prog, "--probe needs --mode probe");
	if (!o.host && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		o.host = host;
	}
	if (o.argv) {
		cmdline = join_argv(o.argv);
		o.cmdline = cmdline;
	}
	if (cli_refuse_terminal(prog, &std)) {
		free(probes);
		free(cmdline);
		return TM_EXIT_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	o.stream_on_stdout = !std.output || strcmp(std.output, "-") == 0;
	if (outfile_open(&out, std.output, &err) < 0) {
		cli_error(prog, "%s", err.msg);
		free(probes);
		free(cmdline);
		return err.code ? err.code : TM_EXIT_ENV;
	}
	w = es_writer_new(out.fd, std.output ? std.output : "(stdout)", NULL, &err);
	rc = w ? capture_run(&o, w, &stop_requested, &status, &err) : -1;
	es_writer_free(w);
	if (rc == 0 && outfile_commit(&out, &err) < 0)
		rc = -1;
	if (rc < 0) {
		outfile_abort(&out);
		cli_error(prog, "%s", err.msg);
		free(probes);
		free(cmdline);
		return err.code ? err.code : TM_EXIT_ENV;
	}
	free(probes);
	free(cmdline);
	return o.scope == CAPTURE_SCOPE_CMD ? status : TM_EXIT_OK;
}

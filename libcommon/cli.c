/*
 * cli.c - shared command-line helpers (see cli.h).
 */
#include "cli.h"
#include "esreader.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef O_BINARY
#define O_BINARY 0	/* only Windows translates line ends on read */
#endif

#ifndef TM_VERSION
#define TM_VERSION "0.0.0"
#endif

void cli_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warn(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return TM_EXIT_USAGE;
}

void cli_version(const char *prog)
{
	printf("%s (tracemerge) %s\n", prog, TM_VERSION);
}

/* Parse leading decimal digits (at least one); *end gets the rest. */
static int digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	*end = p;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (!s || digits(s, &v, &end) < 0 || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1000000000ull }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000ull }, { "m", 60000000000ull }, { "h", 3600000000000ull },
		{ "d", 86400000000000ull },
	};
	const char *end;
	uint64_t v;
	size_t i;

	if (!s || digits(s, &v, &end) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -1;
			*ns = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

void cli_format_duration(uint64_t ns, char *buf, size_t size)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "d", 86400000000000ull }, { "h", 3600000000000ull }, { "m", 60000000000ull },
		{ "s", 1000000000ull }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns % units[i].mult == 0 && ns) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(ns / units[i].mult),
			    units[i].suffix);
			return;
		}
	snprintf(buf, size, "0s");
}

int cli_parse_size(const char *s, uint64_t *bytes)
{
	const char *end;
	uint64_t v, mult = 1;

	if (!s || digits(s, &v, &end) < 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': mult = 1ull << 10; break;
	case 'M': case 'm': mult = 1ull << 20; break;
	case 'G': case 'g': mult = 1ull << 30; break;
	case 'T': case 't': mult = 1ull << 40; break;
	default: return -1;
	}
	if (*end && end[1] && !(end[1] == 'i' && end[2] == 'B' && !end[3]) &&
	    !(end[1] == 'B' && !end[2]))
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*bytes = v * mult;
	return 0;
}

void cli_format_time(uint64_t ns, char *buf, size_t size)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;

#ifdef _WIN32
	gmtime_s(&tm, &secs);
#else
	gmtime_r(&secs, &tm);
#endif
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned)(ns % 1000000000ull));
}

int cli_is_terminal(int fd)
{
	return isatty(fd);
}

int cli_open_input(const char *path, struct tm_err *err)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_BINARY);
	if (fd < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		tm_err_set(err, TM_EXIT_ENV, "%s: is a directory", path);
		return -1;
	}
	return fd;
}

void cli_close_input(int fd)
{
	if (fd != STDIN_FILENO && fd >= 0)
		close(fd);
}

const char *cli_input_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "(stdin)" : path;
}

int cli_getopt(const char *prog, int argc, char *const argv[], const char *shortopts,
    const struct option *longopts)
{
	char opts[128];
	const char *text;
	int c, plus = shortopts[0] == '+';

	/* ':' first (after '+') makes a missing argument return ':'. */
	snprintf(opts, sizeof(opts), "%s:%s", plus ? "+" : "", shortopts + plus);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	text = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (c == ':') {
		if (strncmp(text, "--", 2) == 0)
			fprintf(stderr, "%s: option '%s' requires an argument\n", prog, text);
		else
			fprintf(stderr, "%s: option '-%c' requires an argument\n", prog, optopt);
	} else if (strncmp(text, "--", 2) == 0 && optopt && strchr(text, '=')) {
		fprintf(stderr, "%s: option '%.*s' doesn't allow an argument\n", prog,
		    (int)(strchr(text, '=') - text), text);
	} else if (strncmp(text, "--", 2) == 0) {
		fprintf(stderr, "%s: unrecognized option '%s'\n", prog, text);
	} else {
		fprintf(stderr, "%s: invalid option '-%c'\n", prog, optopt);
	}
	return '?';
}

int cli_std_option(const char *prog, int c, const char *arg, struct cli_std *s, void (*usage)(void))
{
	switch (c) {
	case 'o':
		s->output = arg;
		return CLI_CONTINUE;
	case 'f':
		s->force = 1;
		return CLI_CONTINUE;
	case 'q':
		s->quiet = 1;
		return CLI_CONTINUE;
	case 'v':
		s->verbose = 1;
		return CLI_CONTINUE;
	case 'h':
		usage();
		return TM_EXIT_OK;
	case 'V':
		cli_version(prog);
		return TM_EXIT_OK;
	default:
		fprintf(stderr, "Try '%s --help'.\n", prog);
		return TM_EXIT_USAGE;
	}
}

int cli_refuse_terminal(const char *prog, const struct cli_std *s)
{
	if ((s->output && strcmp(s->output, "-") != 0) || s->force || !cli_is_terminal(STDOUT_FILENO))
		return 0;
	cli_error(prog, "refusing to write a binary stream to a terminal (use -o FILE or -f)");
	return 1;
}

int cli_reader_option(const char *prog, int c, const char *arg, struct es_reader_opts *o)
{
	uint64_t v;

	if (c == CLI_OPT_MAX_RECORD) {
		if (cli_parse_size(arg, &v) < 0 || v < 4096 || v > ((uint64_t)1 << 32)) {
			cli_usage_error(prog, "--max-record: expected a size from 4K to 4G, got '%s'", arg);
			return -1;
		}
		o->max_record = (size_t)v;
	} else {
		if (cli_parse_size(arg, &v) < 0 || v < 65536 || v > ((uint64_t)1 << 40) ||
		    v > SIZE_MAX) {
			cli_usage_error(prog, "--max-defs: expected a size from 64K to 1T, got '%s'", arg);
			return -1;
		}
		o->max_defs = (size_t)v;
	}
	return 0;
}

/*
 * cli.h - what every cmd/ main shares: one-line errors and warnings prefixed
 * with the program name, duration/size/time parsing, terminal checks.
 */
#ifndef TM_CLI_H
#define TM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tmerr.h"

/* "prog: message" on stderr. */
void cli_error(const char *prog, const char *fmt, ...) TM_PRINTF(2, 3);
/* "prog: warning: message" on stderr (callers honour -q). */
void cli_warn(const char *prog, const char *fmt, ...) TM_PRINTF(2, 3);
/* "prog: message" then "Try 'prog --help'." on stderr; returns TM_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...) TM_PRINTF(2, 3);
struct option;
/*
 * getopt_long(3) with errors in our form: "prog: unrecognized option
 * '--x'" or "prog: option '--x' requires an argument" on stderr, then '?'
 * (the caller adds "Try 'prog --help'." and exits 2). A leading '+' in
 * shortopts stops at the first operand, as with getopt_long.
 */
int cli_getopt(const char *prog, int argc, char *const argv[], const char *shortopts,
    const struct option *longopts);

/* The options every binary has, in its long-option table before the NULL row. */
#define CLI_STD_SHORT "o:fqvhV"
#define CLI_STD_LONG_OPTIONS \
	{ "output", required_argument, NULL, 'o' }, \
	{ "force", no_argument, NULL, 'f' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }

struct cli_std {
	const char *output;	/* -o FILE, NULL for stdout */
	int force, quiet, verbose;
};

#define CLI_CONTINUE (-1)

/*
 * The reader limits every binary that reads streams offers, in its long-option
 * table and its --help; cli_reader_option fills struct es_reader_opts from
 * them, or prints the usage error and returns -1.
 */
enum { CLI_OPT_MAX_RECORD = 0x1000, CLI_OPT_MAX_DEFS };
#define CLI_READER_LONG_OPTIONS \
	{ "max-record", required_argument, NULL, CLI_OPT_MAX_RECORD }, \
	{ "max-defs", required_argument, NULL, CLI_OPT_MAX_DEFS }
#define CLI_READER_HELP \
	"      --max-record SIZE  largest record accepted (default 64M)\n" \
	"      --max-defs SIZE    largest definitions of a segment (default 256M)\n"
struct es_reader_opts;
int cli_reader_option(const char *prog, int c, const char *arg, struct es_reader_opts *o);
/*
 * Handle one of the standard options (-o -f -q -v -h -V) or a getopt error:
 * CLI_CONTINUE to go on parsing, else the exit status main returns (0 after
 * --help or --version; 2 with "Try 'prog --help'." for anything else).
 */
int cli_std_option(const char *prog, int c, const char *arg, struct cli_std *s, void (*usage)(void));

/*
 * Refuse to write a binary stream to a terminal unless -f or -o FILE: prints
 * the error and returns 1 when refusing.
 */
int cli_refuse_terminal(const char *prog, const struct cli_std *s);

/* "prog: --version" output: "prog (tracemerge) X.Y.Z". */
void cli_version(const char *prog);

/*
 * Durations: "500ms", "30s", "5m", "1h", "1d", "250us", "100ns"; a bare
 * number is seconds. Result in ns. 0 or -1 (malformed, overflow).
 */
int cli_parse_duration(const char *s, uint64_t *ns);
/* The shortest exact form of a duration: "5m", "90s", "1500ms", "1d". */
void cli_format_duration(uint64_t ns, char *buf, size_t size);
/* Sizes: "4096", "64K", "64M", "1G", "1T" (powers of 1024). 0 or -1. */
int cli_parse_size(const char *s, uint64_t *bytes);
/* A non-negative decimal integer no larger than max. 0 or -1. */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* RFC 3339 UTC with nanoseconds: "2026-11-27T23:24:22.123456789Z". */
void cli_format_time(uint64_t ns, char *buf, size_t size);

/*
 * Open an input operand for reading; "-" is stdin. A directory is refused.
 * Returns the fd, or -1 with err set (TM_EXIT_ENV).
 */
int cli_open_input(const char *path, struct tm_err *err);
/* Close what cli_open_input returned (stdin stays open). */
void cli_close_input(int fd);
/* The name of an operand in messages: "(stdin)" for "-". */
const char *cli_input_name(const char *path);

/*
 * True when fd is a terminal: binary output must then be refused without -f.
 */
int cli_is_terminal(int fd);

#endif

/*
 * graphcli.h - the command line trace-merge and trace-conflicts share: the
 * repeatable --static, --level, the reader and standard options, the
 * operands and their input loop, and the end of a run. cmd/ keeps the rest.
 */
#ifndef TM_GRAPHCLI_H
#define TM_GRAPHCLI_H

#include <stddef.h>

#include "cli.h"
#include "esreader.h"
#include "outfile.h"
#include "progress.h"
#include "tmerr.h"

/* Long-option values of the shared options, for the cmd/ option tables. */
enum { GRAPHCLI_OPT_STATIC = 0x1100, GRAPHCLI_OPT_LEVEL, GRAPHCLI_OPT_ALLOW_TRUNCATED };
#define GRAPHCLI_STATIC_OPTION { "static", required_argument, NULL, GRAPHCLI_OPT_STATIC }
#define GRAPHCLI_LONG_OPTIONS \
	{ "level", required_argument, NULL, GRAPHCLI_OPT_LEVEL }, \
	{ "allow-truncated", no_argument, NULL, GRAPHCLI_OPT_ALLOW_TRUNCATED }, \
	CLI_READER_LONG_OPTIONS, \
	CLI_STD_LONG_OPTIONS

struct graphcli {
	const char *prog;
	void (*usage)(void);		/* --help */
	struct cli_std std;
	const char **statics;		/* --static FILE..., in order */
	size_t nstatic;
	int level;			/* --level N, 0 = the writer's default */
	struct es_reader_opts reader;	/* --allow-truncated, --max-record, --max-defs */
};

/*
 * One option getopt returned that the command does not handle itself: a
 * shared one, a standard one, or an error. CLI_CONTINUE to go on parsing,
 * else the exit status (usage errors printed, 0 after --help or --version).
 */
int graphcli_option(struct graphcli *g, int c, const char *arg);

/* Append s to the array *v of *n strings. 0, or -1 on allocation failure. */
int graphcli_push(const char ***v, size_t *n, const char *s);
void graphcli_free(struct graphcli *g);

/* Warnings of the engines (merge_warn_fn, cf_warn_fn): arg is the graphcli; -q silences. */
void graphcli_warn(void *arg, const char *msg);

/*
 * The stream operands: standard input when there are none and stdin_default.
 * CLI_CONTINUE, or the usage error's exit status when --static - would read
 * standard input too (what names the operands in the message).
 */
int graphcli_operands(const struct graphcli *g, char ***files, int *nfiles, int stdin_default,
    const char *what);

/* Reads one stream: 0, or -1 with the error set. */
typedef int (*graphcli_read_fn)(void *arg, struct es_reader *r, struct progress *pg);

/*
 * Every operand ("-" is stdin) through a reader with the options, to fn; a
 * truncated input kept with --allow-truncated is a warning. 0 or -1.
 */
int graphcli_read(const struct graphcli *g, char *const *files, int nfiles, graphcli_read_fn fn,
    void *arg, struct progress *pg, struct tm_err *err);

/*
 * The end of a run: when it failed (rc < 0) the unfinished output of (NULL
 * when not opened) is removed and the error printed; the signal cleanup
 * ends. Returns the exit status: err's code on failure, else answer.
 */
int graphcli_end(const struct graphcli *g, int rc, int answer, const struct tm_err *err,
    struct outfile *of);

#endif

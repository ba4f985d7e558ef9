/*
 * graphcli.c - the shared command line of the static-graph tools (see graphcli.h).
 */
#include "graphcli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int graphcli_push(const char ***v, size_t *n, const char *s)
{
	const char **p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -1;
	*v = p;
	p[(*n)++] = s;
	return 0;
}

void graphcli_free(struct graphcli *g)
{
	free(g->statics);
	g->statics = NULL;
	g->nstatic = 0;
}

int graphcli_option(struct graphcli *g, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case GRAPHCLI_OPT_STATIC:
		return graphcli_push(&g->statics, &g->nstatic, arg) < 0 ? TM_EXIT_ENV : CLI_CONTINUE;
	case GRAPHCLI_OPT_LEVEL:
		if (cli_parse_u64(arg, 19, &v) < 0 || v < 1)
			return cli_usage_error(g->prog, "--level: expected 1 to 19, got '%s'", arg);
		g->level = (int)v;
		return CLI_CONTINUE;
	case GRAPHCLI_OPT_ALLOW_TRUNCATED:
		g->reader.allow_truncated = 1;
		return CLI_CONTINUE;
	case CLI_OPT_MAX_RECORD:
	case CLI_OPT_MAX_DEFS:
		return cli_reader_option(g->prog, c, arg, &g->reader) < 0 ? TM_EXIT_USAGE : CLI_CONTINUE;
	default:
		return cli_std_option(g->prog, c, arg, &g->std, g->usage);
	}
}

void graphcli_warn(void *arg, const char *msg)
{
	const struct graphcli *g = arg;

	if (!g->std.quiet)
		cli_warn(g->prog, "%s", msg);
}

int graphcli_operands(const struct graphcli *g, char ***files, int *nfiles, int stdin_default,
    const char *what)
{
	static char *const stdin_only[] = { "-", NULL };

	if (*nfiles == 0 && stdin_default) {
		*files = (char **)stdin_only;
		*nfiles = 1;
	}
	for (size_t k = 0; k < g->nstatic; k++)
		for (int i = 0; i < *nfiles; i++)
			if (strcmp(g->statics[k], "-") == 0 && strcmp((*files)[i], "-") == 0)
				return cli_usage_error(g->prog, "--static - and the %s cannot both be standard input",
				    what);
	return CLI_CONTINUE;
}

int graphcli_read(const struct graphcli *g, char *const *files, int nfiles, graphcli_read_fn fn,
    void *arg, struct progress *pg, struct tm_err *err)
{
	for (int i = 0; i < nfiles; i++) {
		const char *name = cli_input_name(files[i]), *msg;
		struct es_reader *r;
		int fd = cli_open_input(files[i], err), rc;

		if (fd < 0)
			return -1;
		r = es_reader_new(fd, name, &g->reader, err);
		rc = r ? fn(arg, r, pg) : -1;
		if (rc == 0 && es_reader_truncated(r, &msg) && !g->std.quiet) {
			progress_done(pg);
			cli_warn(g->prog, "%s: truncated stream (%s): kept the complete records before it", name, msg);
		}
		es_reader_free(r);
		cli_close_input(fd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int graphcli_end(const struct graphcli *g, int rc, int answer, const struct tm_err *err,
    struct outfile *of)
{
	if (rc < 0) {
		if (of)
			outfile_abort(of);
		cli_error(g->prog, "%s", err->msg[0] ? err->msg : "failed");
	}
	if (of)
		outfile_cleanup_done();
	if (rc < 0)
		return err->code ? err->code : TM_EXIT_ENV;
	return answer;
}

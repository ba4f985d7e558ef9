/*
 * outfile.h - atomic output: write to a temporary file beside the target and
 * rename(2) it into place only when everything succeeded; "-" is stdout.
 */
#ifndef TM_OUTFILE_H
#define TM_OUTFILE_H

#include "tmerr.h"

struct outfile {
	int fd;			/* where to write */
	const char *path;	/* target path, or NULL for stdout */
	char *tmp;		/* temporary path while open, else NULL */
};

/* Open `path` (NULL or "-" = stdout) for writing. 0 or -1 (err set, code 4). */
int outfile_open(struct outfile *o, const char *path, struct tm_err *err);
/* Flush to disk, close and rename into place. 0 or -1 (temporary removed). */
int outfile_commit(struct outfile *o, struct tm_err *err);
/* Remove the temporary file (safe to call twice, and after commit). */
void outfile_abort(struct outfile *o);
/* The temporary path, or NULL. */
const char *outfile_tmp(const struct outfile *o);

/*
 * Remove o's temporary file if SIGINT, SIGTERM or SIGHUP ends the program
 * (then the signal's default action runs). One output per process.
 */
void outfile_cleanup_on_signals(const struct outfile *o);
/* Stop watching (after commit or abort). */
void outfile_cleanup_done(void);

#endif

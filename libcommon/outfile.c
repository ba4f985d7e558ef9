/*
 * outfile.c - atomic output files (see outfile.h).
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outfile_open(struct outfile *o, const char *path, struct tm_err *err)
{
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = STDOUT_FILENO;
	if (!path || strcmp(path, "-") == 0)
		return 0;
	o->path = path;
	n = strlen(path) + 16;
	o->tmp = malloc(n);
	if (!o->tmp) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", path);
		return -1;
	}
	/* Same directory as the target, so rename(2) is atomic. */
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s: cannot create", path);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	/* mkstemp creates 0600; outputs are ordinary files (umask applies). */
	{
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(o->fd, 0666 & ~mask) < 0) {
			/* Not fatal: the data is still correct, only the mode differs. */
		}
	}
	return 0;
}

int outfile_commit(struct outfile *o, struct tm_err *err)
{
	if (!o->tmp)
		return 0;
	if (fsync(o->fd) < 0 && errno != EINVAL) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s: write error", o->path);
		outfile_abort(o);
		return -1;
	}
	if (close(o->fd) < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s: write error", o->path);
		o->fd = -1;
		outfile_abort(o);
		return -1;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s: cannot rename into place", o->path);
		outfile_abort(o);
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (!o->tmp)
		return;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
}

const char *outfile_tmp(const struct outfile *o)
{
	return o->tmp;
}

/*
 * The one piece of process-wide state in libcommon: a signal handler can
 * reach nothing else. Written before the handlers are installed.
 */
static char signal_tmp[4096];
static volatile sig_atomic_t signal_tmp_set;

static void on_signal(int sig)
{
	if (signal_tmp_set)
		unlink(signal_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

void outfile_cleanup_on_signals(const struct outfile *o)
{
	if (!o->tmp || strlen(o->tmp) >= sizeof(signal_tmp))
		return;
	strcpy(signal_tmp, o->tmp);
	signal_tmp_set = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
#ifdef SIGHUP
	signal(SIGHUP, on_signal);
#endif
}

void outfile_cleanup_done(void)
{
	signal_tmp_set = 0;
}

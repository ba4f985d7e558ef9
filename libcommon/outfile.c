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

#ifndef O_BINARY
#define O_BINARY 0
#endif

#ifdef _WIN32
/*
 * Windows: files are created read-write (no mode to fix), _commit() is
 * fsync(), and rename() refuses to replace an existing file.
 */
#include <io.h>
#include <windows.h>
#define fsync(fd) _commit(fd)
static int replace_file(const char *from, const char *to)
{
	if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		return 0;
	errno = EACCES;
	return -1;
}
#else
#define replace_file(from, to) rename(from, to)
#endif

int outfile_open(struct outfile *o, const char *path, struct tm_err *err)
{
	struct stat st;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = STDOUT_FILENO;
	if (!path || strcmp(path, "-") == 0)
		return 0;
	o->path = path;
	/* A device or FIFO (/dev/null, NUL): renaming over it would replace it. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->fd = open(path, O_WRONLY | O_BINARY);
		if (o->fd < 0) {
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s: cannot open", path);
			return -1;
		}
		return 0;
	}
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
#ifndef _WIN32
	/* mkstemp creates 0600; outputs are ordinary files (umask applies). */
	{
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(o->fd, 0666 & ~mask) < 0) {
			/* Not fatal: the data is still correct, only the mode differs. */
		}
	}
#endif
	return 0;
}

int outfile_commit(struct outfile *o, struct tm_err *err)
{
	if (!o->tmp) {
		if (o->path && o->fd > STDERR_FILENO && close(o->fd) < 0) {
			o->fd = -1;
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s: write error", o->path);
			return -1;
		}
		if (o->path)
			o->fd = -1;
		return 0;
	}
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
	if (replace_file(o->tmp, o->path) < 0) {
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

/*
 * capture.h - the trace-capture engine: loads the BPF programs, attaches entry
 * probes and samplers, follows the scope, and writes edges per window.
 *
 * Probe mode counts (process, callee, return address) in the kernel; sample
 * mode counts user stacks and keeps only adjacent frames whose unwind is
 * trustworthy (frame pointers in every function below the pair). Both sides
 * are resolved to (build id, file offset) at first sight and symbolized with
 * elfsym, falling back to module+offset; code in anonymous memory is named
 * from the process's perf map (JIT code, module "[jit:EXE]").
 */
#ifndef TM_CAPTURE_H
#define TM_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eswriter.h"
#include "tmerr.h"

enum capture_mode {
	CAPTURE_PROBE  = 1u << 0,
	CAPTURE_SAMPLE = 1u << 1,
};

enum capture_scope {
	CAPTURE_SCOPE_CMD = 1,	/* run argv, follow it and its descendants */
	CAPTURE_SCOPE_PID,	/* one process (and its children with follow) */
	CAPTURE_SCOPE_CGROUP,	/* a cgroup v2 directory and everything under it */
	CAPTURE_SCOPE_ALL,	/* every process but ourselves */
};

enum capture_attach {
	CAPTURE_ATTACH_AUTO = 0,	/* uprobe_multi, else one uprobe per target */
	CAPTURE_ATTACH_MULTI,		/* uprobe_multi only */
	CAPTURE_ATTACH_SINGLE,		/* one perf-event uprobe per target */
};

struct capture_opts {
	const char *prog;		/* for warnings */
	int stream_on_stdout;		/* the stream goes to stdout: the command's goes to stderr */
	unsigned modes;			/* enum capture_mode bits */
	const char *const *probes;	/* "MODULE:GLOB" */
	size_t nprobes;
	const char *probe_file;		/* lines "module!symbol" or "module:glob" */
	unsigned scope;			/* enum capture_scope */
	char *const *argv;		/* CAPTURE_SCOPE_CMD */
	pid_t pid;			/* CAPTURE_SCOPE_PID */
	int follow_children;
	const char *cgroup;		/* CAPTURE_SCOPE_CGROUP: a cgroup v2 directory */
	uint64_t window_ns;		/* 0 = one window for the whole capture */
	uint64_t duration_ns;		/* 0 = until the command ends or a signal */
	unsigned freq;			/* sample mode, Hz */
	int symbolize;			/* 0: offsets only */
	int per_process;		/* context per process (pid, comm) or per cgroup only */
	unsigned attach;		/* enum capture_attach */
	uint32_t ring_size;		/* bytes, 0 = default */
	uint32_t map_entries;		/* edge/sample map entries, 0 = default */
	int verbose, quiet;
	const char *host;		/* NULL = gethostname */
	const char *cmdline;		/* for the header, may be NULL */
};

/*
 * Check that this process can load BPF programs and that the kernel has BTF.
 * 0, or -1 with err set (code 4) naming what is missing.
 */
int capture_check_env(struct tm_err *err);

/*
 * Run a capture and write one segment to w. `stop` is set by the caller's
 * signal handler. *status receives the command's exit status in the shell's
 * convention (128 + signal when killed); 0 for other scopes.
 * 0, or -1 with err set (2 usage, 3 bad data, 4 environment).
 */
int capture_run(const struct capture_opts *o, struct es_writer *w,
    volatile sig_atomic_t *stop, int *status, struct tm_err *err);

#endif

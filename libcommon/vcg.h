/*
 * vcg.h - reader of GCC -fcallgraph-info call graphs (".ci" files, VCG syntax)
 * into an sgraph: one file, many, or a directory tree of them merged as one program.
 *
 * One .ci file is one translation unit. Its TU-local functions are titled
 * "<input path>:<symbol>"; they become nodes (symbol, normalised path), so
 * "helper" in a.c and in b.c stay apart while one external function declared
 * in every TU is one node. C++ COMDAT/weak functions, which GCC also
 * file-qualifies, become one global node flagged SG_NODE_WEAK. Ellipse nodes
 * are declarations (SG_NODE_DECLARED; SG_NODE_EXTERNAL after sgraph_finish if
 * no TU defines them). Edges to the "__indirect_call" placeholder become
 * indirect call sites of the caller, with the call-site location. Stack sizes
 * from -fcallgraph-info=su are kept.
 *
 * Input is never trusted: every read is bounds-checked, nesting and string
 * lengths are limited, and a malformed file yields SG_EDATA with
 * "FILE:LINE: what is wrong" in err. Nothing here exits or prints.
 */
#ifndef TM_VCG_H
#define TM_VCG_H

#include <stddef.h>

#include "sgraph.h"

#define VCG_MAX_DEPTH 32        /* nested graph: blocks */
#define VCG_MAX_DIR_DEPTH 32    /* directory recursion */

struct vcg_options {
	/* Source root: TU paths under it are made relative to it (like
	 * -fdebug-prefix-map). NULL keeps paths as GCC wrote them, normalised. */
	const char *strip_prefix;
};

/* Parse buf[0..len); name is used in error messages. opt may be NULL. */
int vcg_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    const struct vcg_options *opt, char *err, size_t errsize);

/* Parse one file ("-" is stdin). */
int vcg_parse_file(struct sgraph *g, const char *path, const struct vcg_options *opt,
    char *err, size_t errsize);

/* Parse every *.ci file below dir (recursively, symlinks to directories not
 * followed), in byte order of their paths so the result is deterministic. An
 * empty tree is an error (SG_EDATA: "no .ci files"). */
int vcg_parse_dir(struct sgraph *g, const char *dir, const struct vcg_options *opt,
    char *err, size_t errsize);

/* A file or a directory, whichever path is. */
int vcg_parse_path(struct sgraph *g, const char *path, const struct vcg_options *opt,
    char *err, size_t errsize);

/* 1 when buf starts (after blanks/comments) like a VCG graph ("graph: {"). */
int vcg_sniff(const char *buf, size_t len);

#endif

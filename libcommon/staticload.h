/*
 * staticload.h - one static call graph as --static names it: a GCC .ci file
 * or a directory of them, DOT, JSON or an edge stream, in a format given or
 * sniffed from its first bytes. The graph formats are parsed into an sgraph;
 * an edge stream is handed to the caller, which knows its modules. Then
 * the functions of edge streams are looked up in it by name.
 */
#ifndef TM_STATICLOAD_H
#define TM_STATICLOAD_H

#include <stddef.h>

#include "sgraph.h"
#include "tmerr.h"

enum staticload_format {
	STATICLOAD_AUTO = 0,	/* sniffed: zstd magic, "graph: {", digraph, JSON; a directory is .ci */
	STATICLOAD_CI,		/* GCC -fcallgraph-info (VCG) file or directory of *.ci */
	STATICLOAD_DOT,		/* Graphviz DOT (LLVM opt -dot-callgraph, generic) */
	STATICLOAD_JSON,	/* PyCG adjacency, radare2 agCj, {"nodes","edges"} */
	STATICLOAD_STREAM,	/* an edge stream of static edges (trace-cat --encode) */
};

/* "auto", "ci", "dot", "json", "stream" -> format, or -1. */
int staticload_format_parse(const char *s);
const char *staticload_format_name(int f);

/* The format of a file from its first bytes (never STATICLOAD_AUTO), or -1. */
int staticload_sniff(const char *p, size_t len);

/*
 * Reads an edge stream of static edges from fd (named name in messages).
 * 0 or -1 with the error set.
 */
typedef int (*staticload_stream_fn)(void *arg, int fd, const char *name);

/*
 * Load path ("-" for stdin, or a directory of .ci files) in format into g.
 * An edge stream goes to stream(arg, ...): on the file itself when the
 * format is given, else on a copy of the sniffed bytes. Without stream, an
 * edge stream is refused (the caller takes graphs only). 0 or -1 (err:
 * TM_EXIT_DATA for an unparsable graph, TM_EXIT_ENV for I/O).
 */
int staticload_path(struct sgraph *g, const char *path, int format, staticload_stream_fn stream,
    void *arg, struct tm_err *err);

struct segmap;
/*
 * The static function that node of s (a runtime or merged function) is by
 * name: sgraph_resolve() on its symbol and source file. SG_NONE for an
 * unsymbolized node or no match; *how gets the resolve bits (0 if none).
 */
uint32_t staticload_resolve(const struct sgraph *g, const struct segmap *s, uint32_t node,
    unsigned *how);

#endif

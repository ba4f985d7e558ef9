/*
 * dotgraph.h - Graphviz DOT call-graph reader into an sgraph: LLVM opt
 * -dot-callgraph output (record labels "{name}") and generic "a" -> "b" graphs.
 *
 * The whole DOT language is accepted (strict/graph/digraph, subgraphs and
 * anonymous { } groups as edge ends, edge chains, ports, attribute lists,
 * quoted strings with \" and line continuations, '+' concatenation, HTML
 * strings, // and C comments, '#' lines); only what a call graph needs is kept.
 *
 * Naming (DOT_NAMES_AUTO): a node with a record label "{name|...}" or an LLVM
 * id ("Node0x55d0...") is named by its label, any other by its id. LLVM's
 * pseudo-nodes are not functions: "external caller" -> F marks F
 * SG_NODE_ADDR_TAKEN (address taken or exported); F -> "external callee" (or
 * an unlabelled Node0x id, as -callgraph-multigraph writes it) records an
 * indirect call site of F without location. An edge label "file:line[:col]"
 * becomes the call site; any other edge label (LLVM weights) is ignored.
 *
 * Input is never trusted: bounds-checked, nesting and sizes limited; malformed
 * input yields SG_EDATA with "FILE:LINE: what is wrong" in err.
 */
#ifndef TM_DOTGRAPH_H
#define TM_DOTGRAPH_H

#include <stddef.h>

#include "sgraph.h"

#define DOT_MAX_DEPTH 64                 /* nested subgraphs */
#define DOT_MAX_EXPANSION (1u << 24)     /* edges one statement may expand to */

enum dot_names {
	DOT_NAMES_AUTO = 0,  /* record labels and LLVM ids by label, others by id */
	DOT_NAMES_ID,        /* always the node id */
	DOT_NAMES_LABEL,     /* the label's first line when there is a label */
};

struct dot_options {
	enum dot_names names;
};

/* Parse buf[0..len); name is used in error messages. opt may be NULL. */
int dot_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    const struct dot_options *opt, char *err, size_t errsize);

/* Parse one file ("-" is stdin). */
int dot_parse_file(struct sgraph *g, const char *path, const struct dot_options *opt,
    char *err, size_t errsize);

/* 1 when buf starts (after blanks/comments) like a DOT graph. */
int dot_sniff(const char *buf, size_t len);

#endif

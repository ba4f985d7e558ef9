/*
 * jsongraph.h - JSON call-graph reader into an sgraph: PyCG's adjacency object,
 * radare2's agCj array, and the plain {"nodes": [...], "edges": [...]} form.
 *
 * Accepted documents (the form is recognised from the top-level shape):
 *   adjacency  {"caller": ["callee", ...], ...}             (PyCG "simple")
 *   r2         [{"name": "main", "imports": ["sym.foo"]}]   (radare2 agCj)
 *   plain      {"nodes": [NODE, ...], "edges": [EDGE, ...]}   (both keys)
 *     NODE  "name" or {"name": S, "file": S, "line": N, "external": B,
 *            "address_taken": B}
 *     EDGE  ["caller", "callee"] or {"caller": S, "callee": S, "file": S,
 *            "line": N, "col": N}; an edge object without "callee" but with
 *            "indirect": true is an indirect call site of the caller.
 * A name "path/file.c:name" is the TU-local function name of path/file.c (as in
 * GCC's .ci files). Callers and declared nodes are SG_NODE_DEFINED; "external"
 * nodes SG_NODE_DECLARED. Unknown keys are ignored: their values are checked
 * but never built, so they cost no memory. Errors are SG_EDATA with "FILE:
 * what is wrong" (JSON syntax errors with line and column).
 */
#ifndef TM_JSONGRAPH_H
#define TM_JSONGRAPH_H

#include <stddef.h>

#include "sgraph.h"

int jsongraph_parse_buffer(struct sgraph *g, const char *buf, size_t len, const char *name,
    char *err, size_t errsize);
int jsongraph_parse_file(struct sgraph *g, const char *path, char *err, size_t errsize);

#endif

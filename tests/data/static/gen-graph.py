#!/usr/bin/env python3
"""Generate a large synthetic static call graph for load benchmarks.

usage: gen-graph.py ci|dot FUNCS EDGES [SEED] > out

ci:  GCC -fcallgraph-info syntax, one graph: block per translation unit of
     200 functions (a quarter TU-local, titled "src/dNNN/uNNN.c:name"), callees
     outside the TU declared as ellipse nodes, some indirect call sites, and
     "=su" stack lines in the labels, like real .ci files concatenated.
dot: LLVM opt -dot-callgraph syntax (Node0x... ids, "{name}" record labels).
Deterministic for a given seed; nothing is written to the repository.
"""
import random
import sys


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("ci", "dot"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    fmt, nf, ne = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    per_tu = 200
    out = sys.stdout
    w = out.write

    def tu_of(f):
        return f // per_tu

    def path(t):
        return "src/d%03d/u%05d.c" % (t % 1000, t)

    def title(f):
        # a quarter of the functions are static
        if f % 4 == 3:
            return "%s:fn_%d" % (path(tu_of(f)), f)
        return "fn_%d" % f

    def callee_for(f):
        # static callees only from the same TU
        while True:
            c = rnd.randrange(nf) if rnd.random() < 0.7 else \
                tu_of(f) * per_tu + rnd.randrange(per_tu)
            c = min(c, nf - 1)
            if c % 4 != 3 or tu_of(c) == tu_of(f):
                return c

    per_fn = ne / nf
    if fmt == "ci":
        ntu = (nf + per_tu - 1) // per_tu
        edges_left = ne
        for t in range(ntu):
            p = path(t)
            w('graph: { title: "%s"\n' % p)
            declared = set()
            lo, hi = t * per_tu, min(nf, (t + 1) * per_tu)
            for f in range(lo, hi):
                w('node: { title: "%s" label: "fn_%d\\n%s:%d:5\\n%d bytes (static)" }\n'
                  % (title(f), f, p, 10 + 7 * (f - lo), 16 + f % 96))
                k = int(per_fn) + (1 if rnd.random() < per_fn - int(per_fn) else 0)
                k = min(k, edges_left)
                edges_left -= k
                for j in range(k):
                    c = callee_for(f)
                    if not (lo <= c < hi) and c not in declared:
                        declared.add(c)
                        w('node: { title: "%s" label: "fn_%d\\ninclude/api.h:%d:12" shape : ellipse }\n'
                          % (title(c), c, c % 5000))
                    w('edge: { sourcename: "%s" targetname: "%s" label: "%s:%d:%d" }\n'
                      % (title(f), title(c), p, 11 + 7 * (f - lo) + j, 3 + j))
                if f % 50 == 0:
                    if t == 0 and f == lo:
                        w('node: { title: "__indirect_call" label: "Indirect Call Placeholder" shape : ellipse }\n')
                    w('edge: { sourcename: "%s" targetname: "__indirect_call" label: "%s:%d:9" }\n'
                      % (title(f), p, 12 + 7 * (f - lo)))
            w("}\n")
    else:
        w('digraph "Call graph: big.ll" {\n\tlabel="Call graph: big.ll";\n\n')
        base = 0x5500000000
        for f in range(nf):
            w('\tNode0x%x [shape=record,label="{fn_%d}"];\n' % (base + 64 * f, f))
            k = int(per_fn) + (1 if rnd.random() < per_fn - int(per_fn) else 0)
            for _ in range(k):
                c = rnd.randrange(nf)
                w('\tNode0x%x -> Node0x%x;\n' % (base + 64 * f, base + 64 * c))
        w("}\n")


if __name__ == "__main__":
    main()

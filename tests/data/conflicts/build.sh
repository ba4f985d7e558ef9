#!/bin/sh
# Build the trace-conflicts test programs with the real producers, into OUT:
#   OUT/O0/  app, *.ci           gcc -O0 -fcallgraph-info (the source-level graph)
#   OUT/O2/  app, *.ci           gcc -O2 -fcallgraph-info (tail call, inlining)
#   OUT/v1/  app, *.ci           gcc -O2, an older release (VERSION 1)
#   OUT/v2/  app, *.ci           gcc -O2, the release that runs (VERSION 2)
#   OUT/plugin/ plugin.so, *.ci  the dlopen plugin
#   OUT/async/ async, *.ci       signal handler, thread start, exit handler
# Every binary keeps frame pointers (for sampling) and a GNU build id.
# usage: build.sh OUT
set -eu
out=$1
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/src"
cp "$src"/app.c "$src"/plugin.c "$src"/async.c "$out/src/"
cd "$out/src"
# GCC writes the .ci next to the output file (OUT/O0/app.ci).
cc() {
	mkdir -p "../$1"
	shift
	gcc -g -fno-omit-frame-pointer -fcallgraph-info -Wl,--build-id "$@"
}
cc O0 -O0 -DVERSION=1 -o ../O0/app app.c -ldl
cc O2 -O2 -DVERSION=1 -o ../O2/app app.c -ldl
cc v1 -O2 -DVERSION=1 -o ../v1/app app.c -ldl
cc v2 -O2 -DVERSION=2 -o ../v2/app app.c -ldl
cc plugin -O0 -shared -fPIC -o ../plugin/plugin.so plugin.c
cc async -O2 -o ../async/async async.c -pthread

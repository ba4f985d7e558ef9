#!/bin/sh
# Build the trace-merge test program with the real producers, into OUT:
#   OUT/O0/  app, app-app.ci, app-parse.ci          gcc -O0 -fcallgraph-info
#   OUT/O2/  app, app-app.ci, app-parse.ci          gcc -O2 -fcallgraph-info
#   OUT/lib/ libparse.so, libparse.so-parse.ci      gcc -O0 -shared
#   OUT/plugin/ plugin.so, plugin.so-plugin.ci      the dlopen plugin
#   OUT/dot/ prog.bc.callgraph.dot                  clang -O0 + llvm-link + opt (when installed)
# usage: build.sh OUT
set -eu
out=$1
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/src"
cp "$src"/app.c "$src"/parse.c "$src"/parse.h "$src"/plugin.c "$out/src/"
cd "$out/src"
# Relative source names: .ci titles and DWARF files are "app.c", "parse.c".
for o in 0 2; do
	mkdir -p ../O$o
	gcc -O$o -g -fcallgraph-info -Wl,--build-id -rdynamic -o app app.c parse.c -ldl
	mv app app-app.ci app-parse.ci ../O$o/
done
mkdir -p ../lib ../plugin
gcc -O0 -g -fcallgraph-info -shared -fPIC -Wl,--build-id -o libparse.so parse.c
mv libparse.so libparse.so-parse.ci ../lib/
gcc -O0 -g -fcallgraph-info -shared -fPIC -Wl,--build-id -o plugin.so plugin.c
mv plugin.so plugin.so-plugin.ci ../plugin/
if command -v clang >/dev/null 2>&1 && command -v opt >/dev/null 2>&1 && command -v llvm-link >/dev/null 2>&1; then
	mkdir -p ../dot
	clang -O0 -emit-llvm -c app.c -o app.bc
	clang -O0 -emit-llvm -c parse.c -o parse.bc
	llvm-link app.bc parse.bc -o ../dot/prog.bc
	cd ../dot
	# LLVM <= 14 has only the legacy pass; later ones the new pass manager's.
	opt -enable-new-pm=0 -dot-callgraph prog.bc -o /dev/null >/dev/null 2>&1 ||
		opt -passes=dot-callgraph prog.bc -o /dev/null >/dev/null 2>&1
	test -s prog.bc.callgraph.dot
fi

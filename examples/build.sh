#!/bin/sh
# build.sh [OUT] - build the example service and its parser plugin, and their
# static call graph, with GCC into OUT (default: build/examples under the
# repository root):
#   OUT/reqd                     the service
#   OUT/libreqparse.so           the parser plugin it loads with dlopen
#   OUT/static/reqd/*.ci         gcc -fcallgraph-info, one file per
#   OUT/static/libreqparse.so/   translation unit, beside the objects
# Every file is compiled with -O2 -g -fno-omit-frame-pointer -fcallgraph-info
# from examples/service/, so .ci titles and DWARF name the sources "reqd.c"
# and "reqparse.c".
set -eu

src=$(cd "$(dirname "$0")/service" && pwd)
out=${1:-$(dirname "$0")/../build/examples}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cc=${EXAMPLE_CC:-gcc}

command -v "$cc" >/dev/null 2>&1 || {
	echo "examples/build.sh: $cc not found (the static graph needs GCC's -fcallgraph-info)" >&2
	exit 4
}

flags="-O2 -g -fno-omit-frame-pointer -fcallgraph-info -Wall -Wextra"
rm -rf "$out/static"
mkdir -p "$out/static/reqd" "$out/static/libreqparse.so"
cd "$src"
# shellcheck disable=SC2086 # $flags: one word per flag
$cc $flags -fPIC -c reqparse.c -o "$out/static/libreqparse.so/reqparse.o"
$cc -shared -Wl,--build-id -o "$out/libreqparse.so" "$out/static/libreqparse.so/reqparse.o"
# shellcheck disable=SC2086
$cc $flags -c reqd.c -o "$out/static/reqd/reqd.o"
$cc -Wl,--build-id -o "$out/reqd" "$out/static/reqd/reqd.o" -ldl
test -s "$out/static/reqd/reqd.ci" && test -s "$out/static/libreqparse.so/reqparse.ci"

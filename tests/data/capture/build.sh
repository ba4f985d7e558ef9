#!/bin/sh
# build.sh OUTDIR - build the trace-capture fixtures with the real compilers.
#   fixture-fp-pie      frame pointers, PIE
#   fixture-nofp-nopie  no frame pointers, not PIE
#   fixture-stripped    stripped, symbols in .debug beside it (.gnu_debuglink)
#   libfix.so, libplug.so; sampfp + libnofp.so for the sampling false-edge case
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
cc=${CC:-gcc}
$cc -O2 -g -fPIC -shared -fno-omit-frame-pointer -o "$out/libfix.so" "$src/fixlib.c"
$cc -O2 -g -fPIC -shared -o "$out/libplug.so" "$src/plugin.c" -L"$out" -lfix
common="-O2 -g -I$src -L$out -Wl,-rpath,$out"
$cc $common -fno-omit-frame-pointer -fPIE -pie -o "$out/fixture-fp-pie" "$src/fixture.c" -lfix -ldl
$cc $common -fomit-frame-pointer -fno-pie -no-pie -o "$out/fixture-nofp-nopie" "$src/fixture.c" -lfix -ldl
$cc $common -fno-omit-frame-pointer -o "$out/fixture-stripped" "$src/fixture.c" -lfix -ldl
objcopy --only-keep-debug "$out/fixture-stripped" "$out/fixture-stripped.debug"
strip --strip-all "$out/fixture-stripped"
objcopy --add-gnu-debuglink="$out/fixture-stripped.debug" "$out/fixture-stripped"
# Sampling: a frame-pointer program calling a library built without them.
$cc -O2 -g -fPIC -shared -fomit-frame-pointer -o "$out/libnofp.so" "$src/nofp.c"
$cc -O2 -g -fno-omit-frame-pointer -I$src -L$out -Wl,-rpath,$out -o "$out/sampfp" "$src/sampfp.c" -lnofp

#!/bin/sh
# bench/capture.sh BIN - trace-capture benchmarks (root): per-hit probe cost
# beside bpftrace, sample-mode overhead at 99 Hz, attach/detach of 200 probes.
# Numbers are measurements of this machine, not pass/fail thresholds.
set -eu
bin=${1:-build/bin}
cap=$bin/trace-capture
[ "$(id -u)" = 0 ] || { echo "bench-capture: needs root for BPF" >&2; exit 4; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/tm-bench-capture.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$here/capture-work.c.in" "$tmp/work.c"
gcc -O2 -g -o "$tmp/work" "$tmp/work.c"
N=${BENCH_CAPTURE_CALLS:-1000000}

echo "== probe mode: ns per call ($N calls each; fp_target starts with push %rbp, nofp_target does not)"
base=$("$tmp/work" hot "$N")
echo "uninstrumented          fp_target nofp_target: $base"
out=$("$cap" -q --probe "$tmp/work:fp_target" --probe "$tmp/work:nofp_target" -o "$tmp/o.edges" -- "$tmp/work" hot "$N")
echo "trace-capture probe     fp_target nofp_target: $out"
if command -v bpftrace >/dev/null 2>&1; then
	bpftrace -e "uprobe:$tmp/work:fp_target, uprobe:$tmp/work:nofp_target { @[ustack(2)] = count(); }" \
	    -c "$tmp/work hot $N" >"$tmp/bt.out" 2>&1 || true
	echo "bpftrace ustack(2)      fp_target nofp_target: $(head -n 3 "$tmp/bt.out" | grep -E '^[0-9.]+ [0-9.]+$' || echo '(see below)')"
	grep -E '^[0-9.]+ [0-9.]+$' "$tmp/bt.out" >/dev/null || head -n 5 "$tmp/bt.out"
else
	echo "bpftrace: not installed"
fi

echo "== sample mode: CPU-bound loop, iterations/s (5 s each)"
base=$("$tmp/work" spin 5)
echo "uninstrumented:        $base"
out=$("$cap" -q --mode sample --freq 99 -o "$tmp/s.edges" -- "$tmp/work" spin 5)
echo "sampling at 99 Hz:     $out"
awk -v a="$base" -v b="$out" 'BEGIN { printf "overhead:              %.2f%%\n", (a - b) * 100 / a }'

echo "== attach and detach of 200 probes"
{
	i=0
	while [ $i -lt 200 ]; do
		echo "__attribute__((noipa)) int f$i(int x) { return x + $i; }"
		i=$((i + 1))
	done
	echo "int main(void) { return f0(0); }"
} >"$tmp/many.c"
gcc -O2 -o "$tmp/many" "$tmp/many.c"
for mode in multi single; do
	"$cap" -v --attach $mode --probe "$tmp/many:f*" -o "$tmp/m.edges" -- "$tmp/many" 2>"$tmp/err" || true
	echo "$mode: $(grep -E 'attached|detached' "$tmp/err" | sed 's/^trace-capture: //' | tr '\n' ';')"
done

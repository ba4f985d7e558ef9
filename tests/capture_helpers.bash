# capture_helpers.bash - helpers for tests/trace-capture.bats: where the
# binaries are, skipping without root/BTF, building fixtures, edge listings.

: "${TM_BIN:=$BATS_TEST_DIRNAME/../build/bin}"
: "${TM_BUILD:=$BATS_TEST_DIRNAME/../build}"
CAPTURE=$TM_BIN/trace-capture
TRACE_CAT=$TM_BIN/trace-cat

# Every record of a stream as NDJSON (header, modules, edges, coverage, trailer).
tcat() {
	"$TRACE_CAT" --all "$@"
}

# Skip unless this test can load BPF programs.
require_bpf() {
	[ "$(id -u)" = 0 ] || skip "needs root for BPF"
	[ -r /sys/kernel/btf/vmlinux ] || skip "needs BTF (/sys/kernel/btf/vmlinux)"
}

# Build the C fixtures once per file into $FX: burner (frame pointers, burns
# CPU for a few ms and exits), and jitfix (which writes x86-64 code at run
# time) only on x86-64.
build_fixtures() {
	FX=$BATS_FILE_TMPDIR/fx
	export FX
	if [ ! -x "$FX/fixture-fp-pie" ]; then
		sh "$BATS_TEST_DIRNAME/data/capture/build.sh" "$FX" >&2 || return 1
	fi
	[ -x "$FX/burner" ] ||
	    ${CC:-gcc} -O2 -g -fno-omit-frame-pointer -o "$FX/burner" \
	    "$BATS_TEST_DIRNAME/data/capture/burner.c" >&2 || return 1
	[ "$(uname -m)" = x86_64 ] || return 0
	[ -x "$FX/jitfix" ] ||
	    ${CC:-gcc} -O2 -g -fno-omit-frame-pointer -o "$FX/jitfix" \
	    "$BATS_TEST_DIRNAME/data/capture/jitfix.c" >&2
}

# Skip unless the JIT fixture can run here.
require_jit() {
	[ "$(uname -m)" = x86_64 ] || skip "the JIT fixture writes x86-64 code ($(uname -m))"
}

# "caller -> callee count" lines of a stream, sorted.
edges() {
	tcat "$1" | jq -r 'select(.type=="edge") | "\(.caller) -> \(.callee) \(.count)"' |
	    LC_ALL=C sort
}

# Edges summed over processes and windows: "caller -> callee total".
edge_totals() {
	tcat "$1" | jq -r 'select(.type=="edge") | "\(.caller) -> \(.callee)\t\(.count)"' |
	    awk -F'\t' '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' | LC_ALL=C sort
}

# The trailer's loss counters as "name=value" lines.
losses() {
	tcat "$1" | jq -r 'select(.type=="trailer") | .losses | to_entries[] |
	    "\(.key)=\(.value)"'
}

# Succeed when the jq FILTER, applied to the array of all records, is true.
jqall() {
	local out
	out=$(tcat "$1" | jq -s "$2") || return 1
	[ "$out" = true ] || { echo "jq '$2' gave $out" >&2; return 1; }
}

# helpers.bash - shared helpers for the bats suites (`load helpers`): where the
# binaries are, per-test scratch space, small streams made with the project's
# own encoder, and skips that say why.
#
# TM_BIN (set by `make bats`) is the directory of the binaries under test;
# without it, ../build/bin next to the tests. TM_SHARED is ../shared.

# shellcheck disable=SC2154 # status, output, lines, stderr*: set by bats' run
bats_require_minimum_version 1.5.0	# run --separate-stderr, run -N

: "${TM_BIN:=$BATS_TEST_DIRNAME/../build/bin}"
: "${TM_SHARED:=$BATS_TEST_DIRNAME/../../shared}"
TRACE_CAT=$TM_BIN/trace-cat

# ---- assertions: bats-support/bats-assert when installed, else a small
# subset with the same names and meaning ----

# Their load.bash files fork a dirname(1) per source file, for every test:
# where the usual src/ layout is there, the files are sourced directly.
tm_have_bats_assert=
for _d in ${BATS_LIB_PATH//:/ } /usr/lib/bats /usr/local/lib/bats /usr/share/bats \
    /opt/homebrew/lib /usr/local/lib; do
	if [ ! -f "$_d/bats-support/load.bash" ] || [ ! -f "$_d/bats-assert/load.bash" ]; then
		continue
	fi
	if [ -f "$_d/bats-support/src/output.bash" ] && [ -f "$_d/bats-assert/src/assert_output.bash" ]; then
		for _f in "$_d"/bats-support/src/*.bash "$_d"/bats-assert/src/*.bash; do
			# shellcheck disable=SC1090
			source "$_f"
		done
		unset _f
	else
		load "$_d/bats-support/load"
		load "$_d/bats-assert/load"
	fi
	tm_have_bats_assert=1
	break
done
unset _d

if [ -z "$tm_have_bats_assert" ]; then
	fail() {
		printf '%s\n' "${1:-failed}" >&2
		return 1
	}

	tm_show_run() {
		printf 'status: %s\noutput:\n%s\n' "$status" "$output" >&2
	}

	assert_success() {
		[ "$status" -eq 0 ] || { tm_show_run; fail "expected exit 0, got $status"; }
	}

	assert_failure() {
		if [ $# -gt 0 ]; then
			[ "$status" -eq "$1" ] || { tm_show_run; fail "expected exit $1, got $status"; }
		else
			[ "$status" -ne 0 ] || { tm_show_run; fail "expected a failure, got exit 0"; }
		fi
	}

	assert_equal() {
		[ "$1" = "$2" ] || fail "$(printf 'values differ\nactual:   %s\nexpected: %s' "$1" "$2")"
	}

	# tm_match MODE ACTUAL WANT: exact, partial or regexp.
	tm_match() {
		case $1 in
		partial) [[ $2 == *"$3"* ]] ;;
		regexp) [[ $2 =~ $3 ]] ;;
		*) [ "$2" = "$3" ] ;;
		esac
	}

	tm_mode_args() {
		mode=exact
		index=
		while [ $# -gt 0 ]; do
			case $1 in
			-p | --partial) mode=partial ;;
			-e | --regexp) mode=regexp ;;
			-n | --index) index=$2; shift ;;
			*) want=$1 ;;
			esac
			shift
		done
	}

	assert_output() {
		local mode index want
		if [ $# -eq 0 ]; then
			[ -n "$output" ] || fail "expected some output"
			return
		fi
		tm_mode_args "$@"
		tm_match "$mode" "$output" "$want" ||
			fail "$(printf 'output (%s) does not match\nactual:   %s\nexpected: %s' "$mode" "$output" "$want")"
	}

	refute_output() {
		local mode index want
		if [ $# -eq 0 ]; then
			[ -z "$output" ] || fail "$(printf 'expected no output, got:\n%s' "$output")"
			return
		fi
		tm_mode_args "$@"
		! tm_match "$mode" "$output" "$want" ||
			fail "$(printf 'output should not match (%s) %s\nactual: %s' "$mode" "$want" "$output")"
	}

	assert_line() {
		local mode index want l
		tm_mode_args "$@"
		if [ -n "$index" ]; then
			tm_match "$mode" "${lines[$index]}" "$want" ||
				fail "$(printf 'line %s (%s) does not match\nactual:   %s\nexpected: %s' "$index" "$mode" "${lines[$index]}" "$want")"
			return
		fi
		for l in "${lines[@]}"; do
			tm_match "$mode" "$l" "$want" && return 0
		done
		fail "$(printf 'no line matches (%s) %s\noutput:\n%s' "$mode" "$want" "$output")"
	}

	refute_line() {
		local mode index want l
		tm_mode_args "$@"
		for l in "${lines[@]}"; do
			! tm_match "$mode" "$l" "$want" || fail "$(printf 'a line matches (%s) %s: %s' "$mode" "$want" "$l")"
		done
	}
fi

# ---- set-up ----

# Call from setup(): a fresh, empty directory per test, as the working
# directory (a subdirectory: `run --separate-stderr` leaves its own files in
# BATS_TEST_TMPDIR).
tm_setup() {
	if [ -z "${BATS_TEST_TMPDIR:-}" ]; then
		BATS_TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/tm-bats.XXXXXX")
		tm_own_tmpdir=$BATS_TEST_TMPDIR
	fi
	TM_TMP=$BATS_TEST_TMPDIR/work
	export TM_TMP
	mkdir -p "$TM_TMP" && cd "$TM_TMP" || return 1
}

# Call from teardown() (only needed with bats older than 1.4).
tm_teardown() {
	if [ -n "${tm_own_tmpdir:-}" ]; then
		rm -rf "$tm_own_tmpdir"
	fi
}

# A binary under test must exist: a missing one is a build failure, not a skip.
require_bin() {
	local b
	for b in "$@"; do
		[ -x "$TM_BIN/$b" ] || fail "$TM_BIN/$b is missing: run make (or set TM_BIN)"
	done
}

# tm_parallel N FN: run `FN i` for i in 0..N-1, spread over the CPUs (at most
# 8 workers); prints what the calls printed, in no particular order. FN must
# not rely on `set -e` (use `cmd || rc=$?`) and must use per-i file names.
tm_parallel() {
	local n=$1 fn=$2 jobs w i
	jobs=$(nproc 2>/dev/null || echo 2)
	[ "$jobs" -le 8 ] || jobs=8
	for ((w = 0; w < jobs; w++)); do
		(
			for ((i = w; i < n; i += jobs)); do
				"$fn" "$i"
			done
		) >"$TM_TMP/.parallel.$w" 3>&- &
	done
	wait
	for ((w = 0; w < jobs; w++)); do
		cat "$TM_TMP/.parallel.$w"
		rm -f "$TM_TMP/.parallel.$w"
	done
}

# ---- skips that say why (.ci/run lists the skips it expects) ----

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root${1:+ for $1}"
}

require_btf() {
	[ -r /sys/kernel/btf/vmlinux ] || skip "needs BTF (/sys/kernel/btf/vmlinux)"
}

# require_shared [SUBPATH]: the shared fixtures (../shared) must be present.
require_shared() {
	[ -e "$TM_SHARED/${1:-}" ] || skip "needs ../shared${1:+/$1} (TM_SHARED=$TM_SHARED)"
}

# require_cmd CMD...: optional tools a test needs (script, setpriv, wine...).
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# ---- streams ----

# tm_encode OUT [NDJSON...]: encode NDJSON files (stdin without operands) to OUT.
tm_encode() {
	local out=$1
	shift
	"$TRACE_CAT" --encode -o "$out" "$@" || fail "trace-cat --encode -o $out $* failed"
}

# tm_edges N [CALLER_MODULE [CALLEE_MODULE]]: N distinct NDJSON edge lines.
tm_edges() {
	awk -v n="$1" -v a="${2:-app}" -v b="${3:-libx.so.1}" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"type\":\"edge\",\"caller\":\"%s!f%d\",\"callee\":\"%s!parse_%d\",\"count\":%d,\"first_seen\":%d,\"last_seen\":%d}\n",
			    a, i % 500, b, i, i + 1, 1000 + i, 2000 + i
	}'
}

# tm_raw STREAM: the decompressed msgpack bytes of a stream, on stdout.
tm_raw() {
	zstd -q -d -c -- "$1"
}

# tm_pack RAW OUT: compress msgpack bytes into a stream (zstd CLI, checksum on).
tm_pack() {
	zstd -q -c --check -- "$1" >"$2"
}

# tm_one_line_error PROG NAME [REGEX]: after `run --separate-stderr`, stderr is
# exactly one line "PROG: NAME: ..." (matching REGEX if given).
tm_one_line_error() {
	local prefix="$1: $2: "
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "$(printf 'expected one line on stderr, got %s:\n%s' "${#stderr_lines[@]}" "$stderr")"
	[[ ${stderr_lines[0]} == "$prefix"* ]] ||
		fail "$(printf 'stderr does not start with "%s":\n%s' "$prefix" "$stderr")"
	if [ -n "${3:-}" ]; then
		[[ ${stderr_lines[0]} =~ $3 ]] ||
			fail "$(printf 'stderr does not match /%s/:\n%s' "$3" "$stderr")"
	fi
}

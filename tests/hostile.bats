#!/usr/bin/env bats
# Hostile sizes (issue 9): inputs that declare, or decompress to, far more than
# they contain - a 4 GiB string, 2^32-element arrays and maps, deep nesting,
# zstd bombs, huge NDJSON lines and identifiers, an .etl buffer of 4 GiB - are
# rejected with one clear line, or decoded in a stream, with bounded memory.
#
# Memory is the peak RSS measured with GNU time (/usr/bin/time -f %M). The
# bounds, per test, are stated in the test names; the reasoning:
#   - a record is buffered whole, up to the record limit (64 MiB by default,
#     trace-cat --max-record): a reader may use the limit plus 40 MB;
#   - a stream under 100 KB must not drive a reader over 256 MB, whatever its
#     definitions declare (a limit, an error, or sharing, as the reader likes);
#   - an NDJSON line costs at most 16 bytes of memory per byte of line plus
#     32 MB (the JSON tree of the line), and lines over 64 MiB are refused;
#   - everything refused early (nesting, counts, windows, sizes) stays < 32 MB.
# Under the sanitizers (TM_BIN in build/san) every bound is doubled plus 64 MB
# (shadow memory, redzones; the quarantine is capped at 16 MB here).
# Inputs come from tests/data/hostile/gen.py (no binary files in the tree).

load helpers

GEN=$BATS_TEST_DIRNAME/data/hostile/gen.py

setup_file() {
	export FX=$BATS_FILE_TMPDIR
	cd "$FX" || return 1
	local k
	for k in str4g bin4g arr32 map32 edges4g nest zeros fcs window; do
		python3 "$GEN" stream "$k" "$k.es" || return 1
	done
	# 4000 EDGES records of 4096 identical edges: 64 KB in, 524 MB decompressed.
	python3 "$GEN" stream repeat repeat.es 4000 || return 1
	# Definitions: 512 strings of 1 MiB (21 KB), 16 Mi nodes (18 KB).
	python3 "$GEN" stream strbomb strbomb.es 512 || return 1
	python3 "$GEN" stream nodebomb nodebomb.es 16777216 || return 1
	if command -v gcc >/dev/null 2>&1; then
		gcc -O0 -fcallgraph-info -c -I"$BATS_TEST_DIRNAME/data/merge" \
		    "$BATS_TEST_DIRNAME/data/merge/app.c" -o app.o 2>/dev/null
		if [ -s app.ci ] && [ -x "$TM_BIN/trace-merge" ]; then
			"$TRACE_CAT" --encode -o rt.es "$BATS_TEST_DIRNAME/data/merge/runtime.ndjson" &&
				"$TM_BIN/trace-merge" -q --static app.ci -o merged.es rt.es
		fi
	fi
	return 0
}

setup() {
	tm_setup
	[ -x /usr/bin/time ] || skip "needs GNU time (/usr/bin/time)"
	case $TM_BIN in
	*/san/*) TM_SAN=1 ;;
	*) TM_SAN=${TM_SANITIZED:-} ;;
	esac
	if [ -n "$TM_SAN" ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16
	fi
}

teardown() {
	tm_teardown
}

# measure CMD...: run CMD (stdout to out.txt) under GNU time: sets status,
# stderr_lines (the program's own), RSS_MB (peak RSS) and CPU_S (user+sys).
measure() {
	local t=$TM_TMP/.time u s kb
	run --separate-stderr /usr/bin/time -f '%M %U %S' -o "$t" -- bash -c '"$@" >out.txt' - "$@"
	read -r kb u s < <(tail -n 1 "$t")
	RSS_MB=$((kb / 1024))
	CPU_S=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

# rss_below MB: the peak RSS of the last measure is under MB (the sanitized
# bound: 2 * MB + 64).
rss_below() {
	local bound=$1
	[ -z "$TM_SAN" ] || bound=$((2 * bound + 64))
	[ "$RSS_MB" -lt "$bound" ] || fail "peak RSS $RSS_MB MB, bound $bound MB"
}

# cpu_below S: user+sys seconds of the last measure (sanitized: 4 * S).
cpu_below() {
	local bound=$1
	[ -z "$TM_SAN" ] || bound=$((4 * bound))
	awk -v c="$CPU_S" -v b="$bound" 'BEGIN { exit !(c < b) }' ||
		fail "$CPU_S s of CPU, bound $bound s"
}

# The binaries that read runtime streams; reader_cmd NAME STREAM sets CMD to
# NAME reading STREAM with its output to -o out.es (trace-cat: --stats to
# out.stats).
STREAM_READERS="trace-cat trace-dedup trace-merge trace-conflicts"
reader_cmd() {
	case $1 in
	trace-cat) CMD=("$TRACE_CAT" --stats -o out.stats "$2") ;;
	trace-dedup) CMD=("$TM_BIN/trace-dedup" -o out.es "$2") ;;
	trace-merge) CMD=("$TM_BIN/trace-merge" --static "$FX/app.ci" -o out.es "$2") ;;
	trace-conflicts) CMD=("$TM_BIN/trace-conflicts" -q --format none -o out.es "$2") ;;
	esac
}

# every_reader STREAM STATUS REGEX RSS_MB CPU_S: every stream reader that is
# built exits STATUS with one line "PROG: STREAM: ..." matching REGEX (for
# STATUS != 0), leaves no output, and stays under the bounds.
every_reader() {
	local r n=0 msg=
	for r in $STREAM_READERS; do
		[ -x "$TM_BIN/$r" ] || continue
		case $r in trace-merge | trace-conflicts) [ -s "$FX/app.ci" ] || continue ;; esac
		n=$((n + 1))
		reader_cmd "$r" "$1"
		measure "${CMD[@]}"
		if [ "$status" -ne "$2" ]; then
			msg+="$r: exit $status (expected $2): ${stderr_lines[*]}"$'\n'
			continue
		fi
		if [ "$2" -ne 0 ]; then
			if [ "${#stderr_lines[@]}" -ne 1 ] || [[ ${stderr_lines[0]} != "$r: $1: "* ]] ||
			    ! [[ ${stderr_lines[0]} =~ $3 ]]; then
				msg+="$r: expected one line '$r: $1: ...' matching /$3/, got: ${stderr_lines[*]}"$'\n'
			fi
			[ ! -e out.es ] && [ ! -e out.stats ] || msg+="$r: an output file was left"$'\n'
		fi
		(rss_below "$4") 2>/dev/null || msg+="$r: peak RSS $RSS_MB MB over the bound of $4 MB"$'\n'
		(cpu_below "$5") 2>/dev/null || msg+="$r: $CPU_S s of CPU over the bound of $5 s"$'\n'
		rm -f out.es out.stats
	done
	[ "$n" -gt 0 ] || fail "no stream reader built in $TM_BIN"
	[ -z "$msg" ] || fail "$msg"
}

# cat_refuses STREAM REGEX RSS_MB CPU_S: trace-cat (the reader every tool
# shares) refuses STREAM with one line matching REGEX, under the bounds.
cat_refuses() {
	measure timeout 120 "$TRACE_CAT" --stats -o out.stats "$1"
	assert_equal "$status" 3
	tm_one_line_error trace-cat "$1" "$2"
	[ ! -e out.stats ] || fail "output file left"
	rss_below "$3"
	cpu_below "$4"
}

# ---- msgpack: declared lengths and counts ----

@test "str 32 declaring 4 GiB (then 100 MiB of data): 'record larger than the limit', every reader < 104 MB" {
	every_reader "$FX/str4g.es" 3 'record larger than the 67108864-byte limit' 104 10
}

@test "str 32 declaring 4 GiB with --max-record 1M: refused at 1 MiB, < 24 MB" {
	measure "$TRACE_CAT" --max-record 1M "$FX/str4g.es"
	assert_equal "$status" 3
	tm_one_line_error trace-cat "$FX/str4g.es" 'record larger than the 1048576-byte limit'
	rss_below 24
}

@test "bin 32 declaring 4 GiB in a header: refused at the record limit, < 104 MB" {
	cat_refuses "$FX/bin4g.es" 'record larger than the 67108864-byte limit' 104 2
}

# Each element of these is one byte: a reader that parses the partial record
# again from its start after every read does quadratic work (64 MiB of
# one-byte elements: 8 s of CPU against 0.2 s for a 64 MiB string).
@test "array 32 declaring 2^32-1 elements: refused at the record limit, < 104 MB and < 2 s of CPU" {
	cat_refuses "$FX/arr32.es" 'record larger than the 67108864-byte limit' 104 2
}

@test "map 32 declaring 2^32-1 pairs: refused at the record limit, < 104 MB and < 2 s of CPU" {
	cat_refuses "$FX/map32.es" 'record larger than the 67108864-byte limit' 104 2
}

@test "array 32 with --max-record 1M: refused at once, < 24 MB" {
	measure "$TRACE_CAT" --max-record 1M "$FX/arr32.es"
	assert_equal "$status" 3
	tm_one_line_error trace-cat "$FX/arr32.es" 'record larger than the 1048576-byte limit'
	rss_below 24
	cpu_below 2
}

@test "EDGES record with n = 2^32-1: 'more than 65536 edges', < 32 MB" {
	cat_refuses "$FX/edges4g.es" 'edges record holds more than 65536 edges' 32 1
}

@test "msgpack nested 100000 deep: 'nested too deeply', every reader < 32 MB" {
	every_reader "$FX/nest.es" 3 'msgpack nested too deeply' 32 2
}

# ---- zstd ----

@test "zstd bomb: 320 KiB declaring 10 GiB of zeros inside a record: refused at the limit, < 104 MB" {
	[ "$(stat -c %s "$FX/zeros.es")" -lt 400000 ]
	cat_refuses "$FX/zeros.es" 'record larger than the 67108864-byte limit' 104 2
}

@test "zstd frame declaring 2^62 bytes of content, and one asking for a 2^31 window: refused, < 32 MB" {
	cat_refuses "$FX/fcs.es" 'zstd window larger than 2\^27 bytes' 32 1
	cat_refuses "$FX/window.es" 'zstd window larger than 2\^27 bytes' 32 1
}

@test "zstd bomb of valid records (64 KB -> 524 MB, 16 Mi edges): streamed, every reader < 64 MB" {
	[ "$(stat -c %s "$FX/repeat.es")" -lt 200000 ]
	every_reader "$FX/repeat.es" 0 '' 64 60
	measure "$TRACE_CAT" --stats --json "$FX/repeat.es"
	assert_equal "$status" 0
	run jq -r '.total.edges' out.txt
	assert_output 16384000
}

@test "zstd bomb of valid records: trace-dedup folds them into one edge of count 16384000 (also with --max-memory 1M)" {
	require_bin trace-dedup
	measure "$TM_BIN/trace-dedup" -o d.es "$FX/repeat.es"
	assert_equal "$status" 0
	rss_below 64
	run -0 "$TRACE_CAT" d.es
	assert_equal "${#lines[@]}" 1
	assert_output --partial '"count":16384000'
	measure "$TM_BIN/trace-dedup" --max-memory 1M -o d1.es "$FX/repeat.es"
	assert_equal "$status" 0
	rss_below 64
	cmp d.es d1.es
}

# ---- definitions: memory that the record limit does not bound ----

# A segment's definitions live as long as the segment: the record limit does
# not bound them, and they compress extremely well. The reader counts them
# against --max-defs (256 MiB by default): a reader stays under the limit plus
# one record buffer (these records are 32 MiB) plus 32 MB. Every tool reads
# through the same reader, so trace-cat stands for all.
# def_bomb STREAM: exit 3, one line naming the file and the limit; < 320 MB.
def_bomb() {
	[ "$(stat -c %s "$1")" -lt 100000 ]
	measure timeout 120 "$TRACE_CAT" --stats -o out.stats "$1"
	assert_equal "$status" 3
	tm_one_line_error trace-cat "$1" 'definitions larger than the 268435456-byte limit \(--max-defs\)'
	[ ! -e out.stats ]
	rss_below 320
}

@test "definition bomb: 512 strings of 1 MiB from a 21 KB stream: refused at the 256 MiB definitions limit, < 320 MB" {
	def_bomb "$FX/strbomb.es"
}

@test "definition bomb: 16 Mi nodes from an 18 KB stream: refused at the 256 MiB definitions limit, < 320 MB" {
	def_bomb "$FX/nodebomb.es"
}

@test "--max-defs: every stream reader honours it; 8 strings of 1 MiB pass the default, not 4M" {
	python3 "$GEN" stream strbomb s8.es 8
	run -0 "$TRACE_CAT" --stats --json s8.es
	assert_equal "$(jq -r '.total.segments' <<<"$output")" 1
	local r
	for r in $STREAM_READERS; do
		[ -x "$TM_BIN/$r" ] || continue
		case $r in trace-merge | trace-conflicts) [ -s "$FX/app.ci" ] || continue ;; esac
		reader_cmd "$r" s8.es
		CMD+=(--max-defs 4M)
		measure "${CMD[@]}"
		assert_equal "$status" 3
		tm_one_line_error "$r" s8.es 'definitions larger than the 4194304-byte limit'
		[ ! -e out.es ] && [ ! -e out.stats ]
	done
	run -2 --separate-stderr "$TRACE_CAT" --max-defs 1K s8.es
	assert_equal "${stderr_lines[0]}" "trace-cat: --max-defs: expected a size from 64K to 1T, got '1K'"
}

# ---- NDJSON (trace-cat --encode) ----

# ndjson_refused KIND FILE ARG REGEX RSS_MB: trace-cat --encode refuses gen.py's
# NDJSON KIND at FILE:1 with one line matching REGEX, no output, < RSS_MB.
ndjson_refused() {
	python3 "$GEN" ndjson "$1" "$2" ${3:+"$3"}
	measure "$TRACE_CAT" --encode -o out.es "$2"
	assert_equal "$status" 3
	tm_one_line_error trace-cat "$2:1" "$4"
	[ ! -e out.es ]
	rss_below "$5"
}

@test "NDJSON: JSON nested 1,000,000 deep in one line: 'nesting too deep' at FILE:1, < 32 MB" {
	ndjson_refused nest deep.nd '' 'nesting too deep' 32
}

@test "NDJSON: a 100 MiB line is refused ('line longer than 64 MiB') having buffered no more than the limit, < 100 MB" {
	ndjson_refused longline long.nd 100M 'line longer than 64 MiB' 100
}

@test "NDJSON: a 10 MB line holding 5,000,000 numbers: refused with < 16 bytes per byte of line + 32 MB (192 MB)" {
	ndjson_refused wide wide.nd 5000000 '' 192
}

@test "NDJSON: a 2 MiB symbol is refused at FILE:LINE (the input, not the output), < 32 MB" {
	ndjson_refused longname name.nd 2M '1048576' 32
}

# ---- static graphs (trace-merge --static, trace-conflicts --static) ----

# static_refused FILE REGEX RSS_MB: every static importer refuses FILE.
static_refused() {
	local r n=0 msg=
	for r in trace-merge trace-conflicts; do
		[ -x "$TM_BIN/$r" ] || continue
		n=$((n + 1))
		if [ "$r" = trace-merge ]; then
			measure "$TM_BIN/$r" --static "$1" --no-runtime -o out.es
		else
			[ -s "$FX/merged.es" ] || fail "trace-merge did not make the merged stream"
			measure "$TM_BIN/$r" --static "$1" --format none -o out.es "$FX/merged.es"
		fi
		if [ "$status" -ne 3 ] || [ "${#stderr_lines[@]}" -ne 1 ] ||
		    ! [[ ${stderr_lines[0]} == "$r: $1:"* && ${stderr_lines[0]} =~ $2 ]]; then
			msg+="$r: exit $status, expected 3 and one line '$r: $1: ...' matching /$2/: ${stderr_lines[*]}"$'\n'
		fi
		[ ! -e out.es ] || msg+="$r: output file left"$'\n'
		(rss_below "$3") 2>/dev/null || msg+="$r: peak RSS $RSS_MB MB (bound $3 MB)"$'\n'
		rm -f out.es
	done
	[ "$n" -gt 0 ] || skip "trace-merge not built"
	[ -z "$msg" ] || fail "$msg"
}

@test "static JSON graph nested 1,000,000 deep: refused, < 32 MB" {
	python3 "$GEN" json nest deep.json
	static_refused deep.json 'nesting too deep' 32
}

@test "static JSON graph with an unknown key holding 5,000,000 numbers (10 MB): < 16 bytes per byte + 32 MB (192 MB)" {
	require_bin trace-merge
	python3 -c 'import sys; n = 5000000; open(sys.argv[1], "w").write("{\"nodes\":[\"main\"],\"edges\":[],\"x\":[" + "0," * (n - 1) + "0]}\n")' wide.json
	measure "$TM_BIN/trace-merge" --static wide.json --no-runtime -o out.es
	assert_equal "$status" 0
	rss_below 192
}

@test "static .ci graph with a 4 MiB identifier: refused, < 100 MB" {
	python3 "$GEN" ci longname long.ci 4M
	static_refused long.ci 'longer than 1048576 bytes' 100
}

@test "static DOT graph with a 4 MiB identifier, quoted and bare: refused, < 100 MB" {
	python3 -c 'import sys; open(sys.argv[1], "w").write("digraph g { main -> " + "f" * (4 << 20) + "; }\n")' bare.dot
	static_refused bare.dot 'longer than 1048576 bytes' 100
	python3 -c 'import sys; open(sys.argv[1], "w").write("digraph g { \"main\" -> \"" + "f" * (4 << 20) + "\"; }\n")' quoted.dot
	static_refused quoted.dot 'longer than 1048576 bytes' 100
}

@test "static DOT graph with subgraphs nested 1,000,000 deep: refused, < 32 MB" {
	python3 -c 'import sys; d = 1000000; open(sys.argv[1], "w").write("digraph g { " + "subgraph { " * d + "}" * d + " }\n")' deep.dot
	static_refused deep.dot 'nested deeper' 32
}

# ---- .etl (etw-capture --etl) ----

need_etl() {
	require_bin etw-capture
	require_shared fixtures/etl/net.4.5.2.x64.etl.zip
	"$BATS_TEST_DIRNAME/fixtures-etl.sh" "$TM_SHARED" "$FX/etl" >/dev/null
	[ -f "$FX/good.etl" ] || python3 "$GEN" etl prefix:40 "$FX/etl/net.4.5.2.x64.etl" "$FX/good.etl"
}

# etl_refused KIND FILE REGEX: etw-capture refuses gen.py's .etl KIND (made
# from a good prefix of a recorded trace) with one line, no output, < 32 MB.
etl_refused() {
	need_etl
	python3 "$GEN" etl "$1" "$FX/good.etl" "$2"
	measure "$TM_BIN/etw-capture" --etl "$2" -o out.es
	assert_equal "$status" 3
	tm_one_line_error etw-capture "$2" "$3"
	[ ! -e out.es ]
	rss_below 32
}

@test ".etl whose first buffer declares 4 GiB (BufferSize 0xFFFFFFFF): refused, < 32 MB" {
	etl_refused bufsize big.etl 'bad BufferSize 4294967295'
}

@test ".etl with a compressed buffer whose SavedOffset is 4 GiB: refused, < 32 MB" {
	etl_refused saved4g saved.etl 'SavedOffset 4294967295'
}

# The reader decompresses the first buffer of every processor before the first
# event, into one scratch buffer per processor of up to 16 MiB (MAX_BUFFER),
# 1 GiB in all (MAX_SCRATCH): 64 processors of XPRESS bombs (32 KB of file)
# reach that bound (measured: 1.05 GB, 16 s). Here 8 processors: the bound is
# 16 MiB per processor plus 40 MB.
@test ".etl XPRESS bombs, 8 processors x 16 MiB from 4.5 KB: < 168 MB, an error at the first bad record" {
	need_etl
	python3 "$GEN" etl scratch:8 "$FX/etl/net.4.5.2.x64.etl" scratch.etl
	[ "$(stat -c %s scratch.etl)" -lt 8192 ]
	measure "$TM_BIN/etw-capture" --etl scratch.etl -o out.es
	assert_equal "$status" 3
	tm_one_line_error etw-capture scratch.etl
	[ ! -e out.es ]
	rss_below 168
}

# ---- trace-capture --probe-file ----

@test "trace-capture: a 1 MiB line in a probe file: 'line too long' at FILE:1, before any capture" {
	require_bin trace-capture
	python3 -c 'import sys; open(sys.argv[1], "w").write("libc.so.6:" + "g" * (1 << 20) + "\n")' long.probes
	measure "$TM_BIN/trace-capture" --probe-file long.probes -o out.es -- true
	assert_equal "$status" 3
	tm_one_line_error trace-capture long.probes:1 'line too long'
	[ ! -e out.es ]
	rss_below 32
}

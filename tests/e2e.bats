#!/usr/bin/env bats
# End to end (issue 8), with the real producers: the example service of
# examples/ built with gcc -fcallgraph-info and captured live with eBPF, then
# trace-dedup, trace-merge (--why) and trace-conflicts; the x64 ETW recording
# through etw-capture --etl against a JSON graph of its managed methods;
# pipelines as users type them, with pipefail; a two-level batch reduce over
# per-window files of several hosts; make demo, live and recorded.

load helpers

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
E2E=$BATS_TEST_DIRNAME/data/e2e
VULN=libreqparse.so!reqparse.c:parse_header_v1

# Build the example once, with its static graph per module; as root with
# BTF, also capture every sample input once (several tests read them), with
# exact probes only, so that counts are exact (make demo adds sampling).
setup_file() {
	export EX=$BATS_FILE_TMPDIR/ex
	mkdir -p "$EX/cap"
	command -v gcc >/dev/null 2>&1 || return 0
	{
		sh "$ROOT/examples/build.sh" "$EX" &&
			"$TM_BIN/trace-merge" --static "$EX/static/reqd" --binary "$EX/reqd" \
				--no-runtime -o "$EX/static-reqd.es" &&
			"$TM_BIN/trace-merge" -q --static "$EX/static/libreqparse.so" \
				--binary "$EX/libreqparse.so" --entry main --no-runtime \
				-o "$EX/static-libreqparse.so.es"
	} >"$EX/build.log" 2>&1 || echo failed >"$EX/build-failed"
	write_probes "$EX/probes.txt"
	[ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ] && [ ! -e "$EX/build-failed" ] ||
		return 0
	local f n
	for f in "$ROOT"/examples/inputs/*.req; do
		n=$(basename "$f" .req)
		capture_exact "$EX/cap/$n.es" --mode probe --window 100ms --probe-file "$EX/probes.txt" -- \
			"$EX/reqd" "$EX/libreqparse.so" "$f" >>"$EX/capture.log" 2>&1 ||
			echo "$n: exit $?" >>"$EX/capture-failed"
	done
}

# capture_exact OUT TRACE-CAPTURE-ARGS...: a capture whose trailer counts no
# edge resolved late. trace-capture resolves every edge from its first-sight
# event, waiting one window for an event still in flight; only a lost event
# (ring buffer full) leaves an edge to be resolved from /proc, counted as
# edge_resolved_late. Assertions on exact edges need a capture without that
# loss: take it again, three times at most.
capture_exact() {
	local out=$1 try lost
	shift
	for try in 1 2 3; do
		"$TM_BIN/trace-capture" -q -o "$out" "$@" >/dev/null || return
		lost=$("$TM_BIN/trace-cat" --stats --json "$out" | jq '.total.losses.edge_resolved_late // 0') ||
			return
		[ "$lost" != 0 ] || return 0
		echo "capture_exact: try $try: edge_resolved_late=$lost" >&2
	done
	return 1
}

setup() {
	tm_setup
	require_bin trace-capture trace-cat trace-dedup trace-merge
	require_cmd gcc jq
	[ ! -e "$EX/build-failed" ] || fail "$(printf 'examples/build.sh failed:\n%s' "$(cat "$EX/build.log")")"
	STATIC=(--static "$EX/static-reqd.es" --static "$EX/static-libreqparse.so.es")
}

teardown() {
	tm_teardown
	if [ -n "${NOBODY_DIR:-}" ]; then
		rm -rf "$NOBODY_DIR"
	fi
	if [ -n "${SERVICE_PID:-}" ]; then
		kill "$SERVICE_PID" 2>/dev/null || true
		wait "$SERVICE_PID" 2>/dev/null || true
	fi
}

# The probes of the demo: the vulnerable function and the other header
# parsers, the plugin's entry, the request handlers, the qsort callback, the
# request loop and main, and a function nothing calls.
write_probes() {
	cat >"$1" <<EOF
$EX/libreqparse.so:parse_header_*
$EX/libreqparse.so:reqparse_line
$EX/reqd:handle_*
$EX/reqd:by_priority
$EX/reqd:serve_file
$EX/reqd:main
$EX/reqd:import_legacy_dump
EOF
}

# Skip without BPF; fail if the captures of setup_file failed.
need_captures() {
	require_root "for BPF"
	require_btf
	[ ! -e "$EX/capture-failed" ] ||
		fail "$(printf 'trace-capture of the example failed: %s\n%s' "$(cat "$EX/capture-failed")" "$(cat "$EX/capture.log")")"
}

need_conflicts() {
	require_bin trace-conflicts
}

# edge_class CALLER CALLEE < merge JSON
edge_class() {
	jq -r --arg a "$1" --arg b "$2" '.edges[] | select(.caller == $a and .callee == $b) | .class'
}

# edge_field CALLER CALLEE FIELD < merge JSON
edge_field() {
	jq -r --arg a "$1" --arg b "$2" --arg f "$3" \
		'.edges[] | select(.caller == $a and .callee == $b) | .[$f] | if type == "array" then join(",") else . end'
}

# node_state NAME < merge JSON
node_state() {
	jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .state'
}

# calls_to SYMBOL STREAM: observed calls of a function in a capture.
calls_to() {
	"$TM_BIN/trace-cat" "$2" |
		jq -s --arg f "$1" '[.[] | select(.callee | endswith("!" + $f)) | .count] | add // 0'
}

# ---- the example's static graph (no privileges needed) ----

@test "example: gcc -fcallgraph-info graphs: indirect call sites, address-taken targets, one entry" {
	run -0 --separate-stderr "$TM_BIN/trace-merge" "${STATIC[@]}" --no-runtime --format json
	echo "$output" >s.json
	assert_equal "$(jq -r '.entries | join(" ")' s.json)" "reqd!main"
	# Both dispatch tables and the dlsym pointer are indirect call sites.
	assert_equal "$(jq -r '.nodes[] | select(.name == "reqd!serve_file") | .flags | join(",")' s.json)" indirect-site
	assert_equal "$(jq -r '.nodes[] | select(.name == "libreqparse.so!reqparse_line") | .flags | join(",")' s.json)" indirect-site
	assert_equal "$(jq -r --arg n "$VULN" '.nodes[] | select(.name == $n) | .flags | join(",")' s.json)" address-taken
	# No direct call reaches the vulnerable function; the static graph only
	# says "may", through the indirect call sites.
	assert_equal "$(jq --arg n "$VULN" '[.edges[] | select(.callee == $n)] | length' s.json)" 0
	assert_equal "$(node_state "$VULN" <s.json)" static-reachable
	assert_equal "$(node_state 'reqd!reqd.c:handle_put' <s.json)" static-reachable
	# The plugin's entry is only found by name (dlsym): no static path.
	assert_equal "$(node_state libreqparse.so!reqparse_line <s.json)" static-unreachable
	assert_equal "$(node_state reqd!import_legacy_dump <s.json)" static-unreachable
	assert_equal "$(jq -r '.binding.kind' s.json)" none
}

# ---- eBPF: capture -> dedup -> merge -> conflicts on the example ----

@test "eBPF: only the legacy input reaches parse_header_v1, called from reqparse_line through the table" {
	need_captures
	assert_equal "$(calls_to parse_header_v1 "$EX/cap/01-catalog.es")" 0
	assert_equal "$(calls_to parse_header_v1 "$EX/cap/02-lookups.es")" 0
	assert_equal "$(calls_to parse_header_v1 "$EX/cap/03-legacy-client.es")" 2
	assert_equal "$(calls_to parse_header_v1 "$EX/cap/04-cleanup.es")" 0
	# The exact caller: the return address lies in reqparse_line (no tail call).
	run -0 sh -c "'$TM_BIN/trace-cat' '$EX/cap/03-legacy-client.es' | jq -r 'select(.callee == \"libreqparse.so!parse_header_v1\") | \"\\(.caller) \\(.evidence | join(\",\")) \\(.confidence)\"' | sort -u"
	assert_output "libreqparse.so!reqparse_line ebpf-probe 100"
	# Every capture records its probe coverage: parse_header_v1 was watched
	# in all four, also where it never ran.
	run -0 sh -c "cat '$EX'/cap/*.es | '$TM_BIN/trace-cat' --all | jq -r 'select(.type == \"coverage\" and .node == \"libreqparse.so!parse_header_v1\") | .method' | sort | uniq -c"
	assert_output --regexp '^ +([4-9]|[1-9][0-9]+) entry-probe$'
}

@test "eBPF: capture -> trace-dedup --window -> trace-merge: classes, states and counts on the example" {
	need_captures
	run -0 "$TM_BIN/trace-dedup" --window 5m -o dedup.es "$EX"/cap/*.es
	# Windows folded: one record per edge and 5-minute window.
	assert_equal "$("$TM_BIN/trace-cat" dedup.es | jq -s '[.[] | [.caller, .callee, .window_start]] | (length == (unique | length))')" true
	run -0 --separate-stderr "$TM_BIN/trace-merge" "${STATIC[@]}" dedup.es --format json
	echo "$output" >m.json
	# Through the dispatch table of the plugin, and through the dlsym pointer.
	assert_equal "$(edge_class libreqparse.so!reqparse_line "$VULN" <m.json)" confirmed-indirect
	assert_equal "$(edge_field libreqparse.so!reqparse_line "$VULN" count <m.json)" 2
	assert_equal "$(edge_field libreqparse.so!reqparse_line "$VULN" evidence <m.json)" ebpf-probe
	assert_equal "$(edge_class reqd!serve_file libreqparse.so!reqparse_line <m.json)" confirmed-indirect
	assert_equal "$(edge_field reqd!serve_file libreqparse.so!reqparse_line count <m.json)" 16
	assert_equal "$(edge_field libreqparse.so!reqparse_line libreqparse.so!reqparse.c:parse_header_v2 count <m.json)" 14
	# Through the handler table: 9 PUT, 3 STAT, 1 DEL in the inputs.
	assert_equal "$(edge_class reqd!serve_file 'reqd!reqd.c:handle_put' <m.json)" confirmed-indirect
	assert_equal "$(edge_field reqd!serve_file 'reqd!reqd.c:handle_put' evidence <m.json)" ebpf-probe
	assert_equal "$(edge_field reqd!serve_file 'reqd!reqd.c:handle_stat' count <m.json)" 3
	assert_equal "$(edge_field reqd!serve_file 'reqd!reqd.c:handle_del' count <m.json)" 1
	# A direct call, once per process, confirmed.
	assert_equal "$(edge_class reqd!main reqd!serve_file <m.json)" confirmed
	assert_equal "$(edge_field reqd!main reqd!serve_file evidence <m.json)" static,ebpf-probe
	assert_equal "$(edge_field reqd!main reqd!serve_file count <m.json)" 4
	# The qsort callback is called from libc: no static edge describes it.
	run -0 sh -c "jq -r '.edges[] | select(.callee == \"reqd!reqd.c:by_priority\") | \"\\(.caller | split(\"!\")[0]) \\(.class)\"' m.json | sort -u"
	assert_output "libc.so.6 runtime-only"
	# Never observed: the calls of a function whose entry probe never fired.
	assert_equal "$(edge_class reqd!import_legacy_dump reqd!fopen <m.json)" static-only
	# The lattice.
	assert_equal "$(node_state "$VULN" <m.json)" confirmed-reachable
	assert_equal "$(node_state libreqparse.so!reqparse_line <m.json)" contested
	assert_equal "$(node_state reqd!import_legacy_dump <m.json)" confirmed-unreachable
	assert_equal "$(node_state 'reqd!reqd.c:handle_del' <m.json)" confirmed-reachable
	assert_equal "$(node_state reqd!main <m.json)" confirmed-reachable
}

@test "eBPF: --why parse_header_v1: the observed path main -> serve_file -> reqparse_line -> parse_header_v1" {
	need_captures
	"$TM_BIN/trace-dedup" --window 5m -o dedup.es "$EX"/cap/*.es
	run -0 --separate-stderr "$TM_BIN/trace-merge" -q "${STATIC[@]}" dedup.es --why parse_header_v1
	assert_line --index 0 "$VULN: reached (confirmed-reachable)"
	assert_line --index 1 "runtime path 1:"
	assert_line --index 2 "  reqd!main"
	assert_line --index 3 --regexp '^    -> reqd!serve_file  \[confirmed; static,ebpf-probe; 4 calls; reqd\.c:[0-9]+\]$'
	assert_line --index 4 "    -> libreqparse.so!reqparse_line  [confirmed-indirect; ebpf-probe; 16 calls]"
	assert_line --index 5 "    -> $VULN  [confirmed-indirect; ebpf-probe; 2 calls]"
	assert_line --index 6 "static path 1:"
	assert_line "    ~> $VULN  [may: address-taken, through an indirect call site in reqd!serve_file]"
}

@test "eBPF: without the legacy input, parse_header_v1 is statically reachable yet never observed" {
	need_captures
	"$TM_BIN/trace-dedup" --window 5m -o dedup.es "$EX/cap/01-catalog.es" "$EX/cap/02-lookups.es" "$EX/cap/04-cleanup.es"
	run -0 "$TM_BIN/trace-merge" -q "${STATIC[@]}" dedup.es --format json
	echo "$output" >m.json
	# An exact probe watched it for the whole capture and never fired, but a
	# reachable function that did not run in one window stays reachable.
	assert_equal "$(node_state "$VULN" <m.json)" static-reachable
	assert_equal "$(jq -r --arg n "$VULN" '.nodes[] | select(.name == $n) | .runtime' m.json)" unobserved
	assert_equal "$(node_state libreqparse.so!reqparse.c:parse_header_v2 <m.json)" confirmed-reachable
	run -0 "$TM_BIN/trace-merge" -q "${STATIC[@]}" dedup.es --why parse_header_v1
	assert_line --index 0 "$VULN: reached (static-reachable)"
	refute_line --partial "runtime path"
}

@test "eBPF: trace-conflicts on the merged example: the dlsym entry, resolved indirect calls, the qsort callback" {
	need_captures
	need_conflicts
	"$TM_BIN/trace-dedup" --window 5m "$EX"/cap/*.es | "$TM_BIN/trace-merge" -q "${STATIC[@]}" -o merged.es
	run -0 --separate-stderr "$TM_BIN/trace-conflicts" --static "$EX/static/reqd" \
		--static "$EX/static/libreqparse.so" --format json merged.es
	echo "$output" >c.json
	# conflict CALLER CALLEE: "class code location" of an edge's conflict.
	conflict() {
		jq -r --arg a "$1" --arg b "$2" '.conflicts[] | select(.caller == $a and .callee == $b) |
			"\(.class) \(.code) \(.location)"' c.json
	}
	# Source lines of the call sites, from the sources.
	local src=$ROOT/examples/service site_table site_parse site_qsort line_main
	site_parse=reqparse.c:$(grep -n 'header_parsers\[req->version - 1\](line, req)' "$src/reqparse.c" | cut -d: -f1)
	site_table=reqd.c:$(grep -n 'parse(line, &req)' "$src/reqd.c" | cut -d: -f1)
	site_qsort=reqd.c:$(grep -n 'qsort(st->e' "$src/reqd.c" | cut -d: -f1)
	line_main=reqd.c:$(grep -n '^int main' "$src/reqd.c" | cut -d: -f1)
	# The function the service finds with dlsym: no static path reaches it.
	assert_equal "$(jq -r '.conflicts[] | select(.function == "libreqparse.so!reqparse_line") | "\(.class) \(.level) \(.via)"' c.json)" \
		"contested error reqd!serve_file"
	# Both tables of pointers, located at their indirect call sites.
	assert_equal "$(conflict libreqparse.so!reqparse_line "$VULN")" "indirect-call R-INDIRECT $site_parse"
	assert_equal "$(conflict reqd!serve_file libreqparse.so!reqparse_line)" "indirect-call R-INDIRECT $site_table"
	assert_equal "$(conflict reqd!serve_file 'reqd!reqd.c:handle_put')" "indirect-call R-INDIRECT $site_table"
	# qsort calls the comparison back from libc, handed over in store_report.
	run -0 jq -r '.conflicts[] | select(.callee == "reqd!reqd.c:by_priority") | "\(.class) \(.location)"' c.json
	assert_output "callback $site_qsort"
	# libc enters main; the dynamic loader is outside the static scope.
	assert_equal "$(conflict libc.so.6!__libc_start_call_main reqd!main)" "async-transfer R-ASYNC $line_main"
	# The static side: the probe on import_legacy_dump never fired.
	assert_equal "$(jq -r '[.conflicts[] | select(.caller == "reqd!import_legacy_dump") | "\(.class) \(.confidence)"] | unique | join(" ")' c.json)" \
		"caller-not-executed high"
	# Nothing unexplained; --fail-on gates on the contested function only.
	assert_equal "$(jq '[.conflicts[] | select(.class == "unexplained")] | length' c.json)" 0
	run -0 "$TM_BIN/trace-conflicts" --format none --fail-on unexplained merged.es
	run -1 "$TM_BIN/trace-conflicts" --format none --fail-on contested merged.es
}

@test "eBPF: the conflict fixtures through the whole chain: a tail call confirmed from the code, dispatch, callback, plugin" {
	require_root "for BPF"
	require_btf
	need_conflicts
	local p=$TM_TMP/cf
	sh "$BATS_TEST_DIRNAME/data/conflicts/build.sh" "$p" >/dev/null 2>&1 || fail "tests/data/conflicts/build.sh failed"
	capture_exact cap.es --window 100ms --probe "$p/O2/app:*" --probe "$p/plugin/plugin.so:*" \
		-- "$p/O2/app" "$p/plugin/plugin.so" || fail "trace-capture of the conflict fixture failed"
	run -0 bash -c "set -o pipefail
	    '$TM_BIN/trace-dedup' --window 1m cap.es |
	    '$TM_BIN/trace-merge' -q --static '$p/O2' --binary '$p/O2/app' |
	    '$TM_BIN/trace-conflicts' -q --binary '$p/O2/app' --format json >c.json"
	conflict() {
		jq -r --arg a "$1" --arg b "$2" '[.conflicts[] | select(.caller == $a and .callee == $b) |
			"\(.class)\(if .via then " via " + .via else "" end)"] | join(",")' c.json
	}
	# relay() ends in "jmp sink": the probe sees main -> sink.
	assert_equal "$(conflict app!main app!sink)" "tail-call via app!relay"
	assert_equal "$(conflict app!main app!app.c:op_inc)" indirect-call
	assert_equal "$(jq -r '[.conflicts[] | select(.callee == "app!app.c:by_value") | .class] | unique | join(",")' c.json)" callback
	assert_equal "$(conflict app!main plugin.so!plugin_entry)" dynamic-module
	assert_equal "$(jq '[.conflicts[] | select(.class == "unexplained")] | length' c.json)" 0
}

# ---- ETW: a recorded Windows trace, decoded anywhere ----

@test "ETW: x64 recording -> etw-capture --etl --window -> trace-dedup --window -> trace-merge (JSON graph) -> trace-conflicts" {
	require_shared fixtures/etl/net.4.5.2.x64.etl.zip
	require_bin etw-capture
	# Unzipped once into build/fixtures/etl (where the unit tests look too).
	"$BATS_TEST_DIRNAME/fixtures-etl.sh" "$TM_SHARED" >/dev/null
	run -0 "$TM_BIN/etw-capture" --etl "$ROOT/build/fixtures/etl/net.4.5.2.x64.etl" --window 1s -o x64.es
	run -0 "$TM_BIN/trace-dedup" --window 5s -o x64-5s.es x64.es
	# 1 s windows fold into 5 s windows: fewer windows, the same total count.
	w1=$("$TM_BIN/trace-cat" x64.es | jq -r .window_start | sort -u | wc -l)
	w5=$("$TM_BIN/trace-cat" x64-5s.es | jq -r .window_start | sort -u | wc -l)
	[ "$w1" -ge 10 ] && [ "$w5" -ge 2 ] && [ "$w5" -lt "$w1" ] || fail "windows: 1s $w1, 5s $w5"
	assert_equal "$("$TM_BIN/trace-cat" --stats --json x64-5s.es | jq .total.count)" \
		"$("$TM_BIN/trace-cat" --stats --json x64.es | jq .total.count)"
	run -0 --separate-stderr "$TM_BIN/trace-merge" --static "$E2E/x64-managed.json" --module Test.x64 --entry Test.Program::Main x64-5s.es --format json
	echo "$output" >m.json
	assert_equal "$(jq -r '.binding | "\(.kind) \(.module)"' m.json)" "name Test.x64"
	# The C# compiler's calls, confirmed by sampled managed frames.
	assert_equal "$(edge_class 'Test.x64!Test.Program::Main' 'mscorlib!System.DateTime::get_Now' <m.json)" confirmed
	assert_equal "$(edge_field 'Test.x64!Test.Program::Main' 'mscorlib!System.DateTime::get_Now' count <m.json)" 4684
	assert_equal "$(edge_field 'Test.x64!Test.Program::Main' 'mscorlib!System.DateTime::get_Now' evidence <m.json)" static,etw-sample
	assert_equal "$(edge_class 'Test.x64!Test.Program::Main' 'mscorlib!System.String::Format' <m.json)" confirmed
	assert_equal "$(edge_class 'Test.x64!Test.Program::Main' 'mscorlib!System.GC::KeepAlive' <m.json)" confirmed
	# The JIT inlined Console.WriteLine: the static call is never seen, the
	# call into the writer it inlined is runtime-only.
	assert_equal "$(edge_class 'Test.x64!Test.Program::Main' 'Test.x64!System.Console::WriteLine' <m.json)" static-only
	assert_equal "$(edge_class 'Test.x64!Test.Program::Main' 'mscorlib!System.IO.TextWriter+SyncTextWriter::WriteLine' <m.json)" runtime-only
	# The CLR calls Main; runtime helpers have no symbols (module+RVA).
	assert_equal "$(edge_class clr.dll+0xa7f3 'Test.x64!Test.Program::Main' <m.json)" runtime-only
	assert_equal "$(node_state 'Test.x64!Test.Program::Main' <m.json)" confirmed-reachable
	assert_equal "$(node_state 'Test.x64!Test.Program::Unused' <m.json)" static-unreachable
	need_conflicts
	"$TM_BIN/trace-merge" --static "$E2E/x64-managed.json" --module Test.x64 --entry Test.Program::Main x64-5s.es -o merged.es
	run -0 --separate-stderr "$TM_BIN/trace-conflicts" --format json merged.es
	echo "$output" >c.json
	conflict() {
		jq -r --arg a "$1" --arg b "$2" '.conflicts[] | select(.caller == $a and .callee == $b) | .class' c.json
	}
	# The CLR enters Main; mscorlib and clr.dll lie outside the graph of Test.x64.
	assert_equal "$(conflict clr.dll+0xa7f3 'Test.x64!Test.Program::Main')" async-transfer
	assert_equal "$(conflict 'Test.x64!Test.Program::Main' 'mscorlib!System.IO.TextWriter+SyncTextWriter::WriteLine')" dynamic-module
	assert_equal "$(conflict 'Test.x64!Test.Program::Main' clr.dll+0x5222)" dynamic-module
	# The static side: Main ran but the (inlined) call was not seen; Unused never ran.
	assert_equal "$(conflict 'Test.x64!Test.Program::Main' 'Test.x64!System.Console::WriteLine')" not-exercised
	assert_equal "$(conflict 'Test.x64!Test.Program::Unused' 'Test.x64!System.Console::WriteLine')" caller-not-executed
	assert_equal "$(jq '[.conflicts[] | select(.class == "unexplained" or .class == "contested")] | length' c.json)" 0
}

# ---- pipelines, as users type them ----

# Start the example as a long-running service (reqd -l 1: serve the files
# again every second); its pid in SERVICE_PID.
start_service() {
	"$EX/reqd" -l 1 "$EX/libreqparse.so" "$@" >/dev/null 2>&1 3>&- &
	SERVICE_PID=$!
}

@test "pipeline: trace-capture --pid | trace-dedup | trace-merge --static | trace-conflicts --format sarif" {
	require_root "for BPF"
	require_btf
	need_conflicts
	start_service "$ROOT/examples/inputs/01-catalog.req" "$ROOT/examples/inputs/03-legacy-client.req"
	run -0 bash -c "set -o pipefail
	    '$TM_BIN/trace-capture' --pid $SERVICE_PID --duration 2500ms --window 500ms \
	        --mode probe,sample --probe-file '$EX/probes.txt' |
	    '$TM_BIN/trace-dedup' --window 1m |
	    '$TM_BIN/trace-merge' ${STATIC[*]} |
	    '$TM_BIN/trace-conflicts' --format sarif >report.sarif"
	assert_equal "$(jq -r .version report.sarif)" 2.1.0
	assert_equal "$(jq -r '.runs[0].tool.driver.name' report.sarif)" trace-conflicts
	# A result for the dispatch through the plugin's table, located in reqparse.c.
	run -0 jq -r '.runs[0].results[] | select(.ruleId == "indirect-call") | .locations[0].physicalLocation.artifactLocation.uri' report.sarif
	assert_line --partial reqparse.c
	# The same pipeline answering --why, and the running service reached it.
	run -0 bash -c "set -o pipefail
	    '$TM_BIN/trace-capture' --pid $SERVICE_PID --duration 1500ms --probe-file '$EX/probes.txt' |
	    '$TM_BIN/trace-dedup' | '$TM_BIN/trace-merge' -q ${STATIC[*]} --why parse_header_v1"
	assert_line --index 0 "$VULN: reached (confirmed-reachable)"
	assert_line --regexp "^    -> $VULN  \[confirmed-indirect; ebpf-probe; [0-9]+ calls?\]$"
}

@test "pipeline: with set -o pipefail a failing stage fails the pipeline, whatever the last stage does" {
	require_root "for BPF"
	require_btf
	need_conflicts
	start_service "$ROOT/examples/inputs/03-legacy-client.req"
	stages_after="'$TM_BIN/trace-dedup' | '$TM_BIN/trace-merge' ${STATIC[*]} | '$TM_BIN/trace-conflicts' --format sarif | tee report.sarif >/dev/null"
	# The capture fails (no such process): tee, the last stage, succeeds.
	run bash -c "'$TM_BIN/trace-capture' --pid 999999999 --duration 1s --probe-file '$EX/probes.txt' | $stages_after"
	assert_success
	run --separate-stderr bash -c "set -o pipefail; '$TM_BIN/trace-capture' --pid 999999999 --duration 1s --probe-file '$EX/probes.txt' | $stages_after"
	assert_failure
	[[ $stderr == *"trace-capture: pid 999999999: "* ]] || fail "no trace-capture error: $stderr"
	# The merge fails (a static graph that does not exist): exit 4 from it.
	# PIPESTATUS and $? of the pipeline, read together: "stages: S1 ... S5 STATUS".
	run --separate-stderr bash -c "set -o pipefail
	    '$TM_BIN/trace-capture' --pid $SERVICE_PID --duration 1s --probe-file '$EX/probes.txt' |
	    '$TM_BIN/trace-dedup' | '$TM_BIN/trace-merge' --static /nonexistent/graph.ci |
	    '$TM_BIN/trace-conflicts' --format sarif | tee report.sarif >/dev/null
	    st=(\"\${PIPESTATUS[@]}\" \$?); echo \"stages: \${st[*]}\"; exit \${st[5]}"
	assert_failure
	[[ $output =~ ^stages:\ [0-9]+\ [0-9]+\ 4\ ([1-9][0-9]*)\ 0\ ([0-9]+)$ ]] || fail "PIPESTATUS: $output"
	# The status of the pipeline is that of its last failing stage.
	assert_equal "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
	[[ $stderr == *"trace-merge: /nonexistent/graph.ci: "* ]] || fail "no trace-merge error: $stderr"
	# A stage that dies mid-stream: the next one reports the truncation (3).
	run --separate-stderr bash -c "set -o pipefail
	    '$TM_BIN/trace-capture' --pid $SERVICE_PID --duration 1s --probe-file '$EX/probes.txt' |
	    head -c 100 | '$TM_BIN/trace-dedup' | '$TM_BIN/trace-cat' --stats"
	assert_failure 3
	[[ $stderr == *"trace-dedup: (stdin): "* ]] || fail "no trace-dedup error: $stderr"
	# --fail-on: the report is written and the pipeline fails (exit 1), so CI
	# uploads the SARIF and still marks the job failed.
	run bash -c "set -o pipefail
	    '$TM_BIN/trace-capture' --pid $SERVICE_PID --duration 1500ms --probe-file '$EX/probes.txt' |
	    '$TM_BIN/trace-dedup' | '$TM_BIN/trace-merge' -q ${STATIC[*]} |
	    '$TM_BIN/trace-conflicts' --format sarif --fail-on contested >report.sarif"
	assert_failure 1
	assert_equal "$(jq -r .version report.sarif)" 2.1.0
}

# ---- nightly batch merges ----

@test "batch: per-window files of three hosts reduced in two levels equal a single-level reduce, byte for byte" {
	require_root "for BPF"
	require_btf
	local h r in n=0 nreq=0 inputs=(01-catalog 02-lookups 03-legacy-client 04-cleanup)
	# Every host writes one file per capture window (as a cron job capturing
	# for a while every few minutes would), each with 100 ms windows inside.
	for h in web-1 web-2 db-1; do
		mkdir -p "spool/$h"
		for r in 1 2 3; do
			in=$ROOT/examples/inputs/${inputs[n++ % 4]}.req
			"$TM_BIN/trace-capture" -q --host "$h" --window 100ms --probe-file "$EX/probes.txt" \
				-o "spool/$h/$r.es" -- "$EX/reqd" "$EX/libreqparse.so" "$in" >/dev/null ||
				fail "trace-capture --host $h failed"
			nreq=$((nreq + $(grep -c '^[A-Z]' "$in")))
		done
	done
	# Level 1, per host (hourly); level 2, across hosts (nightly).
	mkdir hourly
	for h in web-1 web-2 db-1; do
		run -0 "$TM_BIN/trace-dedup" --by host --window 1h -o "hourly/$h.es" spool/"$h"/*.es
	done
	run -0 "$TM_BIN/trace-dedup" --by host --window 1h -o nightly.es hourly/*.es
	# The same in one level, from the files and from their concatenation.
	run -0 "$TM_BIN/trace-dedup" --by host --window 1h -o single.es spool/*/*.es
	cmp nightly.es single.es
	cat spool/*/*.es | "$TM_BIN/trace-dedup" --by host --window 1h -o cat.es
	cmp cat.es single.es
	# Another grouping (by run across hosts), folded in the other order.
	mkdir byrun
	for r in 1 2 3; do
		"$TM_BIN/trace-dedup" --by host --window 1h -o "byrun/$r.es" spool/*/"$r".es
	done
	"$TM_BIN/trace-dedup" --by host --window 1h -o other.es byrun/3.es byrun/1.es byrun/2.es
	cmp other.es single.es
	# The hosts are kept apart, and the counts add up.
	assert_equal "$("$TM_BIN/trace-cat" single.es | jq -r .host | sort -u | tr '\n' ' ')" "db-1 web-1 web-2 "
	total() {
		cat "$@" | "$TM_BIN/trace-cat" |
			jq -s '[.[] | select(.callee == "libreqparse.so!reqparse_line") | .count] | add'
	}
	assert_equal "$(total single.es)" "$(total spool/*/*.es)"
	# One call of the plugin per request line.
	assert_equal "$(total single.es)" "$nreq"
}

# ---- make demo ----

@test "make demo: live capture, the inputs that reach parse_header_v1, the path, the conflicts, graph.svg" {
	require_root "for BPF"
	require_btf
	need_conflicts
	run -0 env TM_DEMO_OUT="$TM_TMP/demo" make -C "$ROOT" --no-print-directory demo
	assert_line "tracemerge demo: live eBPF capture of the example service (examples/service/)"
	assert_line --regexp '^  03-legacy-client\.req +parse_header_v1 called 2 times  <- reaches the vulnerable function$'
	assert_line --regexp '^  01-catalog\.req +parse_header_v1 not called$'
	assert_line "$VULN: reached (confirmed-reachable)"
	# Sampling may add to the exact counts (a sample in the callee).
	assert_line --regexp '^    -> libreqparse\.so!reqparse_line  \[confirmed-indirect; ebpf-probe(,ebpf-sample)?; [0-9]+ calls\]$'
	assert_line --regexp "^    -> libreqparse\.so!reqparse\.c:parse_header_v1  \[confirmed-indirect; ebpf-probe(,ebpf-sample)?; [0-9]+ calls\]$"
	assert_line --partial "== conflicts: where the runtime and the static graph disagree"
	assert_line --regexp '^  libreqparse\.so!reqparse_line +- +- +- +- +open$'
	assert_line "demo: parse_header_v1 is reached at run time: see the runtime path above"
	assert_line "demo: graph written to $TM_TMP/demo/graph.svg (merged stream $TM_TMP/demo/merged.es, SARIF $TM_TMP/demo/conflicts.sarif)"
	refute_output --partial "(recorded)"
	head -c 200 "$TM_TMP/demo/graph.svg" | grep -q '<svg\|<?xml'
	grep -q 'parse_header_v1' "$TM_TMP/demo/graph.svg"
	assert_equal "$(jq -r .version "$TM_TMP/demo/conflicts.sarif")" 2.1.0
}

# The recorded path of the demo, as scripts/demo runs it for make demo.
check_recorded_demo() {
	assert_line "tracemerge demo: recorded capture of the example service (examples/service/)"
	assert_line --regexp '^  03-legacy-client\.req +parse_header_v1 called 2 times  <- reaches the vulnerable function$'
	assert_line --partial "== merge (recorded): "
	assert_line --partial "== conflicts (recorded): "
	assert_line "$VULN: reached (confirmed-reachable)"
	assert_line "    -> $VULN  [confirmed-indirect; ebpf-probe; 2 calls]"
	assert_line "demo: parse_header_v1 is reached at run time (recorded): see the runtime path above"
	refute_output --partial "live eBPF capture"
}

@test "demo without BPF privileges (setpriv --reuid=nobody): one line says so, then the recorded capture" {
	require_root "to drop privileges with setpriv"
	require_cmd setpriv
	need_conflicts
	# What the demo reads, where nobody can read it whatever the checkout's modes.
	NOBODY_DIR=$(mktemp -d /tmp/tm-e2e-demo.XXXXXX)
	mkdir -p "$NOBODY_DIR/repo/scripts" "$NOBODY_DIR/repo/examples" "$NOBODY_DIR/bin" "$NOBODY_DIR/out"
	cp "$ROOT/scripts/demo" "$NOBODY_DIR/repo/scripts/"
	cp -R "$ROOT/examples/recorded" "$NOBODY_DIR/repo/examples/"
	cp "$TM_BIN"/trace-* "$NOBODY_DIR/bin/"
	chmod -R a+rX "$NOBODY_DIR"
	chmod 0777 "$NOBODY_DIR/out"
	run -0 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		env TM_BIN="$NOBODY_DIR/bin" TM_DEMO_OUT="$NOBODY_DIR/out/demo" sh "$NOBODY_DIR/repo/scripts/demo"
	assert_line --index 0 "demo: no live capture: not root, so no BPF; using the capture recorded in examples/recorded/"
	[ "$(grep -c '^demo: no live capture' <<<"$output")" -eq 1 ]
	check_recorded_demo
	[ -s "$NOBODY_DIR/out/demo/graph.svg" ]
}

@test "demo with TM_DEMO_RECORDED=1: the recorded path, labelled, for anyone" {
	need_conflicts
	run -0 env TM_DEMO_RECORDED=1 TM_BIN="$TM_BIN" TM_DEMO_OUT="$TM_TMP/demo" sh "$ROOT/scripts/demo"
	assert_line --index 0 "demo: no live capture: TM_DEMO_RECORDED=1 is set; using the capture recorded in examples/recorded/"
	check_recorded_demo
	[ -s "$TM_TMP/demo/graph.svg" ]
}

@test "demo: a missing binary is one clear line and exit 1" {
	mkdir bin
	run -1 --separate-stderr env TM_BIN="$TM_TMP/bin" TM_DEMO_OUT="$TM_TMP/demo" sh "$ROOT/scripts/demo"
	assert_equal "$stderr" "demo: $TM_TMP/bin/trace-capture is missing: run make (or make demo)"
	run -2 --separate-stderr sh "$ROOT/scripts/demo" --bogus
	assert_equal "$stderr" "usage: scripts/demo [--record]"
}

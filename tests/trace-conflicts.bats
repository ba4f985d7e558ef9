#!/usr/bin/env bats
# trace-conflicts (issue 7): the test programs of tests/data/conflicts built
# with gcc -O0 and -O2 (function-pointer dispatch, a sibling call, an inlined
# helper, a qsort callback, a dlopen plugin, a signal handler, a thread start,
# an exit handler, and an older release for version skew), captured with
# trace-capture (as root) or described in NDJSON the way trace-capture writes
# it, merged with trace-merge; then the class of specific edges, the policies,
# --min-count and --min-windows, --fail-on, the JSON and SARIF reports and the
# resolved stream.

load helpers

CONFLICTS=$TM_BIN/trace-conflicts
MERGE=$TM_BIN/trace-merge
CAPTURE=$TM_BIN/trace-capture

setup_file() {
	command -v gcc >/dev/null 2>&1 || return 0
	"$BATS_TEST_DIRNAME/data/conflicts/build.sh" "$BATS_FILE_TMPDIR/prog" >/dev/null 2>&1 ||
		echo "build.sh failed" >"$BATS_FILE_TMPDIR/build-failed"
}

setup() {
	tm_setup
	require_bin trace-conflicts trace-merge trace-cat
	require_cmd gcc jq readelf nm
	[ ! -e "$BATS_FILE_TMPDIR/build-failed" ] || fail "tests/data/conflicts/build.sh failed"
	P=$BATS_FILE_TMPDIR/prog
}

teardown() {
	tm_teardown
}

# Real captures need BPF.
require_capture() {
	require_root "for BPF"
	require_btf
	[ -x "$CAPTURE" ] || fail "$CAPTURE is missing: run make"
}

# capture NAME PROBE-MODULE... -- CMD...: a trace-capture --probe run, made once per file.
capture() {
	local name=$1 out="$BATS_FILE_TMPDIR/$1.es" args=()
	shift
	while [ "$1" != -- ]; do
		args+=(--probe "$1:*")
		shift
	done
	shift
	if [ ! -s "$out" ]; then
		"$CAPTURE" -q "${args[@]}" -o "$out.tmp" -- "$@" >/dev/null || fail "trace-capture $name failed"
		mv "$out.tmp" "$out"
	fi
	cp "$out" "$name.es"
}

# class CALLER CALLEE < JSON report: the class of one edge ("none" when no conflict).
class() {
	jq -r --arg a "$1" --arg b "$2" \
		'[.conflicts[] | select(.caller == $a and .callee == $b) | .class] | if length == 0 then "none" else join(",") end'
}

# field CALLER CALLEE KEY < JSON
field() {
	jq -r --arg a "$1" --arg b "$2" --arg k "$3" '.conflicts[] | select(.caller == $a and .callee == $b) | .[$k]'
}

# fn_class FUNCTION < JSON: the class of a node conflict.
fn_class() {
	jq -r --arg f "$1" '[.conflicts[] | select(.function == $f) | .class] | if length == 0 then "none" else join(",") end'
}

build_id() {
	readelf -n "$1" | awk '/Build ID/ { print $3 }'
}

# The runtime edges of "app ./plugin.so" (the -O2 build) as trace-capture --probe
# writes them, for tests that do not need root; BID is the build id of $P/O2/app.
o2_runtime_ndjson() {
	local bid
	bid=$(build_id "$P/O2/app")
	sed "s/@BID@/$bid/g" <<'EOF'
{"type":"edge","caller":"libc.so.6!__libc_start_call_main","callee":"app!main","callee_build_id":"@BID@","count":1,"first_seen":1700000001000000000,"last_seen":1700000001000000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"libc.so.6!msort_with_tmp.part.0","callee":"app!by_value","callee_build_id":"@BID@","callee_file":"app.c","count":5,"first_seen":1700000001100000000,"last_seen":1700000001200000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!op_inc","callee_build_id":"@BID@","callee_file":"app.c","count":2,"first_seen":1700000001300000000,"last_seen":1700000001400000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!op_dbl","callee_build_id":"@BID@","callee_file":"app.c","count":2,"first_seen":1700000001310000000,"last_seen":1700000001410000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!relay","callee_build_id":"@BID@","count":1,"first_seen":1700000001500000000,"last_seen":1700000001500000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!sink","callee_build_id":"@BID@","count":1,"first_seen":1700000001510000000,"last_seen":1700000001510000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!leaf","callee_build_id":"@BID@","count":1,"first_seen":1700000001600000000,"last_seen":1700000001600000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!nofp","callee_build_id":"@BID@","count":1,"first_seen":1700000001700000000,"last_seen":1700000001700000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!nofp","caller_build_id":"@BID@","callee":"app!deep","callee_build_id":"@BID@","count":2,"first_seen":1700000001710000000,"last_seen":1700000001720000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"plugin.so!plugin_entry","count":1,"first_seen":1700000001800000000,"last_seen":1700000001800000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"plugin.so!plugin_entry","callee":"plugin.so!twice","callee_file":"plugin.c","count":1,"first_seen":1700000001810000000,"last_seen":1700000001810000000,"evidence":["ebpf-probe"],"confidence":100}
EOF
}

# Edges no static analysis explains, sampling artifacts and naming problems
# (trace-capture --mode sample and other producers make such records).
o2_odd_ndjson() {
	local bid sink
	bid=$(build_id "$P/O2/app")
	sink=$(nm "$P/O2/app" | awk '$3 == "sink" { sub(/^0+/, "", $1); print $1 }')
	sed -e "s/@BID@/$bid/g" -e "s/@SINK@/$sink/g" <<'EOF'
{"type":"edge","caller":"app!relay","caller_build_id":"@BID@","callee":"app!op_inc","callee_build_id":"@BID@","callee_file":"app.c","count":4,"first_seen":1700000002000000000,"last_seen":1700000003000000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"app!deep","callee_build_id":"@BID@","count":3,"first_seen":1700000002000000000,"last_seen":1700000003000000000,"evidence":["ebpf-sample"],"confidence":40}
{"type":"edge","caller":"app!leaf","caller_build_id":"@BID@","callee":"app!sink","callee_build_id":"@BID@","count":1,"first_seen":1700000002000000000,"last_seen":1700000002000000000,"evidence":["ebpf-sample"],"confidence":40}
{"type":"edge","caller":"app!relay","caller_build_id":"@BID@","callee":"app+0x@SINK@","callee_build_id":"@BID@","count":2,"first_seen":1700000002000000000,"last_seen":1700000003000000000,"evidence":["ebpf-probe"],"confidence":100}
{"type":"edge","caller":"app!main","caller_build_id":"@BID@","callee":"libc.so.6!__printf_chk","count":1,"first_seen":1700000002000000000,"last_seen":1700000002000000000,"evidence":["ebpf-probe"],"confidence":100}
EOF
}

# The merged stream of the -O2 graph with the NDJSON runtime edges (and the odd ones).
o2_merged() {
	o2_runtime_ndjson >rt.ndjson
	o2_odd_ndjson >>rt.ndjson
	tm_encode rt.es rt.ndjson
	run -0 "$MERGE" -q --static "$P/O2" rt.es -o merged.es
}

# ---- real captures ----

@test "capture of the -O2 program, -O2 graph: indirect calls, a tail call confirmed from the code, callback, plugin, entry" {
	require_capture
	capture o2 "$P/O2/app" "$P/plugin/plugin.so" -- "$P/O2/app" "$P/plugin/plugin.so"
	run -0 "$MERGE" -q --static "$P/O2" o2.es -o m.es
	run -0 "$CONFLICTS" -q m.es --binary "$P/O2/app" --format json
	echo "$output" >r.json
	# Function-pointer dispatch: main has an indirect call site, op_inc is address-taken.
	assert_equal "$(class app!main app!app.c:op_inc <r.json)" indirect-call
	assert_equal "$(class app!main app!app.c:op_dbl <r.json)" indirect-call
	assert_equal "$(field app!main app!app.c:op_inc confidence <r.json)" high
	# The sibling call: relay's code ends in "jmp sink".
	assert_equal "$(class app!main app!sink <r.json)" tail-call
	assert_equal "$(field app!main app!sink via <r.json)" app!relay
	assert_equal "$(jq -r '.conflicts[] | select(.callee == "app!sink" and .caller == "app!main") | .facts | index("code-tail-jump") != null' r.json)" true
	relay=$(nm "$P/O2/app" | awk '$3 == "relay" { print $1 }')
	jmp=$(jq -r '.conflicts[] | select(.callee == "app!sink" and .caller == "app!main") | .code_at' r.json)
	objdump -d --no-show-raw-insn "$P/O2/app" | grep -q "^ *${jmp#0x}:.*jmp.*<sink>" ||
		fail "objdump shows no jmp to sink at $jmp"
	# ... so the static edge relay -> sink cannot be observed as such.
	assert_equal "$(class app!relay app!sink <r.json)" unobservable
	assert_equal "$(field app!relay app!sink facts <r.json | jq -r 'join(",")')" tail-jump-only
	# With the -O2 graph of the same build, the inlined helper is no conflict.
	assert_equal "$(class app!main app!leaf <r.json)" none
	# qsort calls by_value back from libc; the dlopen plugin is outside the static scope.
	assert_equal "$(jq -r '[.conflicts[] | select(.callee == "app!app.c:by_value") | .class] | unique | join(",")' r.json)" callback
	assert_equal "$(class app!main plugin.so!plugin_entry <r.json)" dynamic-module
	assert_equal "$(class plugin.so!plugin_entry plugin.so!twice <r.json)" dynamic-module
	assert_equal "$(jq -r '[.conflicts[] | select(.callee == "app!main") | "\(.class) \(.async)"] | unique | join(",")' r.json)" "async-transfer entry"
	# The C runtime's start files are not in any .ci.
	assert_equal "$(jq -r '[.conflicts[] | select(.callee == "app!frame_dummy") | .class] | unique | join(",")' r.json)" out-of-scope
	# Probes only, none on qsort: the static edge could not have been seen.
	assert_equal "$(class app!main app!qsort <r.json)" unobservable
}

@test "capture of the -O2 program against the -O0 graph: the inlined helper (confirmed by --binary), static edges not in the binary" {
	require_capture
	capture o2 "$P/O2/app" "$P/plugin/plugin.so" -- "$P/O2/app" "$P/plugin/plugin.so"
	run -0 "$MERGE" -q --static "$P/O0" o2.es -o m.es
	# Without the binary: a two-hop static path whose middle never ran.
	run -0 "$CONFLICTS" -q m.es --format json
	echo "$output" >r.json
	assert_equal "$(class app!main app!leaf <r.json)" inlined
	assert_equal "$(field app!main app!leaf via <r.json)" app!app.c:helper
	assert_equal "$(field app!main app!leaf confidence <r.json)" medium
	assert_equal "$(class app!main app!sink <r.json)" tail-call
	assert_equal "$(field app!main app!sink confidence <r.json)" medium
	assert_equal "$(class app!app.c:helper app!leaf <r.json)" caller-not-executed
	# With it: helper has no code of its own, relay jumps to sink.
	run -0 "$CONFLICTS" -q m.es --binary "$P/O2/app" --format json
	echo "$output" >rb.json
	assert_equal "$(class app!main app!leaf <rb.json)" inlined
	assert_equal "$(field app!main app!leaf confidence <rb.json)" high
	assert_equal "$(field app!main app!leaf facts <rb.json | jq -r 'join(",")')" static-path,code-absent
	assert_equal "$(class app!main app!sink <rb.json)" tail-call
	assert_equal "$(field app!main app!sink confidence <rb.json)" high
	assert_equal "$(class app!main app!app.c:helper <rb.json)" not-present
	assert_equal "$(class app!app.c:helper app!leaf <rb.json)" not-present
	assert_equal "$(class app!main app!app.c:run_plugin <rb.json)" not-present
	# run_plugin was inlined into main at -O2: its indirect call now comes from main.
	assert_equal "$(class app!main plugin.so!plugin_entry <rb.json)" dynamic-module
}

@test "capture of the -O0 program, -O0 graph: no artifacts; a caller whose entry probe never fired" {
	require_capture
	capture o0 "$P/O0/app" -- "$P/O0/app"
	run -0 "$MERGE" -q --static "$P/O0" o0.es -o m.es
	run -0 "$CONFLICTS" -q m.es --binary "$P/O0/app" --format json
	echo "$output" >r.json
	assert_equal "$(jq '[.conflicts[] | select(.class == "tail-call" or .class == "inlined" or .class == "unexplained")] | length' r.json)" 0
	assert_equal "$(class app!main app!relay <r.json)" none
	assert_equal "$(class app!relay app!sink <r.json)" none
	assert_equal "$(class app!main app!app.c:op_inc <r.json)" indirect-call
	# No plugin argument: run_plugin never ran, and an exact probe watched it.
	assert_equal "$(class app!app.c:run_plugin app!dlopen <r.json)" caller-not-executed
	assert_equal "$(field app!app.c:run_plugin app!dlopen confidence <r.json)" high
	assert_equal "$(field app!app.c:run_plugin app!dlopen facts <r.json | jq -r 'join(",")')" caller-probed
}

@test "capture of a signal handler, a thread start and an exit handler: asynchronous transfers, contested functions" {
	require_capture
	capture async "$P/async/async" -- "$P/async/async"
	run -0 "$MERGE" -q --static "$P/async" async.es -o m.es
	run -0 "$CONFLICTS" -q m.es --format json
	echo "$output" >r.json
	for f in on_signal worker bye; do
		assert_equal "$(jq -r --arg f "async!async.c:$f" '[.conflicts[] | select(.callee == $f) | .class] | join(",")' r.json)" async-transfer
		# No static path reaches them (main has no indirect call site).
		assert_equal "$(fn_class "async!async.c:$f" <r.json)" contested
	done
	# The signal frame returns to libc's rt_sigreturn trampoline: read from libc's code.
	assert_equal "$(jq -r '.conflicts[] | select(.callee == "async!async.c:on_signal") | "\(.async) \(.confidence) \(.via)"' r.json)" \
		"signal high async!signal"
	assert_equal "$(jq -r '.conflicts[] | select(.callee == "async!async.c:on_signal") | .location' r.json)" async.c:35
	# Thread start and exit handlers are told apart by libc's function names (with its symbols).
	caller=$(jq -r '.conflicts[] | select(.callee == "async!async.c:worker") | .caller' r.json)
	if [[ $caller != *+0x* ]]; then
		assert_equal "$(jq -r '.conflicts[] | select(.callee == "async!async.c:worker") | "\(.async) \(.via)"' r.json)" \
			"thread async!pthread_create"
		assert_equal "$(jq -r '.conflicts[] | select(.callee == "async!async.c:bye") | "\(.async) \(.via)"' r.json)" \
			"exit async!atexit"
	fi
	# prefer-runtime accepts the observations: the contested functions are resolved.
	run -0 "$CONFLICTS" -q m.es --policy prefer-runtime --fail-on contested -o res.es --format json
	assert_equal "$(echo "$output" | jq -r '[.conflicts[] | select(.class == "contested") | .resolution] | unique | join(",")')" accepted
	run -0 "$TRACE_CAT" res.es
	assert_equal "$(echo "$output" | jq -r 'select(.callee == "async!async.c:on_signal") | "\(.callee_state) \(.callee_flags | index("accepted") != null)"' | sort -u)" \
		"confirmed-reachable true"
	run -1 "$CONFLICTS" -q m.es --fail-on contested --format none
}

@test "version skew: a static graph of the older release against a capture of the newer one" {
	require_capture
	capture v2 "$P/v2/app" -- "$P/v2/app"
	# trace-merge bound the graph to the old binary's build id: nothing joins.
	run -0 "$MERGE" -q --static "$P/v1" --binary "$P/v1/app" v2.es -o m1.es
	run -0 --separate-stderr "$CONFLICTS" m1.es --format json
	echo "$output" >r1.json
	assert_equal "$(jq -r '[.conflicts[].class] | unique | join(",")' r1.json)" version-skew
	assert_equal "$(class app!main app!audit <r1.json)" version-skew
	assert_equal "$(jq -r .static_build_id r1.json)" "$(build_id "$P/v1/app")"
	assert_line --partial "$(build_id "$P/v2/app")"
	[[ $stderr == *"warning: module app: the static graph describes another build"* ]] || fail "no warning: $stderr"
	# Joined by name, the --binary of the old release says which build the graph is.
	run -0 "$MERGE" -q --static "$P/v1" v2.es -o m2.es
	run -0 "$CONFLICTS" -q m2.es --format json
	assert_equal "$(echo "$output" | class app!main app!audit)" out-of-scope
	run -0 "$CONFLICTS" -q m2.es --binary "$P/v1/app" --format json
	assert_equal "$(echo "$output" | class app!main app!audit)" version-skew
	assert_equal "$(echo "$output" | class app!main app!relay)" none
	# The matching release: no skew.
	run -0 "$MERGE" -q --static "$P/v2" --binary "$P/v2/app" v2.es -o m3.es
	run -0 "$CONFLICTS" -q m3.es --binary "$P/v2/app" --format json
	assert_equal "$(echo "$output" | jq '[.conflicts[] | select(.class == "version-skew")] | length')" 0
	assert_equal "$(echo "$output" | class app!main app!audit)" none
	# --fail-on version-skew gates on it.
	run -1 "$CONFLICTS" -q m1.es --fail-on version-skew --format none
	run -0 "$CONFLICTS" -q m3.es --fail-on version-skew --format none
}

@test "windows: two captures merged one by one; --min-windows 2 rejects what only one run showed" {
	require_capture
	capture o2 "$P/O2/app" "$P/plugin/plugin.so" -- "$P/O2/app" "$P/plugin/plugin.so"
	capture o2-noplugin "$P/O2/app" "$P/plugin/plugin.so" -- "$P/O2/app"
	run -0 "$MERGE" -q --static "$P/O2" o2.es -o w1.es
	run -0 "$MERGE" -q --static "$P/O2" o2-noplugin.es -o w2.es
	cat w1.es w2.es >both.es
	run -0 "$CONFLICTS" -q both.es --policy prefer-runtime --min-windows 2 --format json
	echo "$output" >r.json
	assert_equal "$(field app!main app!app.c:op_inc windows <r.json)" 2
	assert_equal "$(field app!main app!app.c:op_inc resolution <r.json)" accepted
	assert_equal "$(field app!main plugin.so!plugin_entry windows <r.json)" 1
	assert_equal "$(field app!main plugin.so!plugin_entry resolution <r.json)" rejected
	assert_equal "$(field app!main plugin.so!plugin_entry reason <r.json)" min-windows
}

# ---- NDJSON runtime edges (no root needed) ----

@test "unexplained, unwinding artifacts, identity mismatches (NDJSON in trace-capture's shape)" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --format json
	echo "$output" >r.json
	# relay never calls op_inc, statically or in its code: a gap worth escalating.
	assert_equal "$(class app!relay app!app.c:op_inc <r.json)" unexplained
	assert_equal "$(field app!relay app!app.c:op_inc level <r.json)" error
	# Sampled main -> deep: nofp keeps no frame pointer, so the unwinder skipped it.
	assert_equal "$(class app!main app!deep <r.json)" unwind-artifact
	assert_equal "$(field app!main app!deep via <r.json)" app!nofp
	assert_equal "$(field app!main app!deep facts <r.json | jq -r 'join(",")')" static-path,no-frame-pointer,sampled-only
	# A single sampled pair with no static explanation.
	assert_equal "$(class app!leaf app!sink <r.json)" unwind-artifact
	assert_equal "$(field app!leaf app!sink confidence <r.json)" low
	# An address the capture did not symbolize is sink in the binary.
	sink=$(nm "$P/O2/app" | awk '$3 == "sink" { sub(/^0+/, "", $1); print $1 }')
	assert_equal "$(class app!relay "app+0x$sink" <r.json)" identity-mismatch
	assert_equal "$(field app!relay "app+0x$sink" via <r.json)" app!sink
	# __printf_chk is the fortified printf main calls statically.
	assert_equal "$(class app!main libc.so.6!__printf_chk <r.json)" identity-mismatch
	assert_equal "$(field app!main libc.so.6!__printf_chk via <r.json)" app!printf
	# And the ordinary cases, as in a real capture.
	assert_equal "$(class app!main app!app.c:op_inc <r.json)" indirect-call
	assert_equal "$(class app!main app!sink <r.json)" tail-call
	assert_equal "$(class libc.so.6!msort_with_tmp.part.0 app!app.c:by_value <r.json)" callback
	assert_equal "$(class app!main plugin.so!plugin_entry <r.json)" dynamic-module
}

@test "--policy: explain-only leaves everything open, prefer-runtime accepts, prefer-static rejects the unexplained" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --format json
	assert_equal "$(echo "$output" | jq -r '[.conflicts[].resolution] | unique | join(",")')" open
	assert_equal "$(echo "$output" | jq '.summary.unresolved == .summary.conflicts')" true
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-runtime --format json
	echo "$output" >rt.json
	assert_equal "$(field app!relay app!app.c:op_inc resolution <rt.json)" accepted
	assert_equal "$(field app!main app!app.c:op_inc resolution <rt.json)" accepted
	assert_equal "$(field app!main app!sink resolution <rt.json)" explained
	assert_equal "$(field app!main app!deep resolution <rt.json)" rejected
	assert_equal "$(field app!main app!qsort resolution <rt.json)" kept
	assert_equal "$(jq .summary.unresolved rt.json)" 0
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-static --format json
	echo "$output" >st.json
	assert_equal "$(field app!relay app!app.c:op_inc resolution <st.json)" rejected
	assert_equal "$(field app!relay app!app.c:op_inc reason <st.json)" policy
	assert_equal "$(field app!main app!app.c:op_inc resolution <st.json)" accepted
	assert_equal "$(field app!main plugin.so!plugin_entry resolution <st.json)" accepted
}

@test "--min-count: runtime edges seen fewer times are rejected, under every policy" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --policy prefer-runtime --min-count 3 --format json
	echo "$output" >r.json
	# by_value: 5 calls; op_inc: 2; relay -> op_inc: 4.
	assert_equal "$(field libc.so.6!msort_with_tmp.part.0 app!app.c:by_value resolution <r.json)" accepted
	assert_equal "$(field app!main app!app.c:op_inc resolution <r.json)" rejected
	assert_equal "$(field app!main app!app.c:op_inc reason <r.json)" min-count
	assert_equal "$(field app!relay app!app.c:op_inc resolution <r.json)" accepted
	run -0 "$CONFLICTS" -q merged.es --min-count 5 --format json
	assert_equal "$(echo "$output" | field app!relay app!app.c:op_inc resolution)" rejected
	assert_equal "$(echo "$output" | field libc.so.6!msort_with_tmp.part.0 app!app.c:by_value resolution)" open
	# The text report says why.
	run -0 "$CONFLICTS" -q merged.es --min-count 5
	assert_line --partial "rejected (count < 5)"
}

@test "--min-windows: per-window dedup, merge per window, concatenated; and windows on the edges of one stream" {
	bid=$(build_id "$P/O2/app")
	for w in 1 2 3; do
		{
			# op_inc in every window, op_dbl in the first two, relay -> op_inc in one.
			echo "{\"type\":\"edge\",\"caller\":\"app!main\",\"caller_build_id\":\"$bid\",\"callee\":\"app!op_inc\",\"callee_build_id\":\"$bid\",\"callee_file\":\"app.c\",\"count\":1,\"first_seen\":${w}00000000000,\"last_seen\":${w}00000000001,\"evidence\":[\"ebpf-probe\"]}"
			[ $w = 3 ] || echo "{\"type\":\"edge\",\"caller\":\"app!main\",\"caller_build_id\":\"$bid\",\"callee\":\"app!op_dbl\",\"callee_build_id\":\"$bid\",\"callee_file\":\"app.c\",\"count\":1,\"first_seen\":${w}00000000000,\"last_seen\":${w}00000000001,\"evidence\":[\"ebpf-probe\"]}"
			[ $w != 2 ] || echo "{\"type\":\"edge\",\"caller\":\"app!relay\",\"caller_build_id\":\"$bid\",\"callee\":\"app!op_inc\",\"callee_build_id\":\"$bid\",\"callee_file\":\"app.c\",\"count\":9,\"first_seen\":${w}00000000000,\"last_seen\":${w}00000000001,\"evidence\":[\"ebpf-probe\"]}"
		} >w$w.ndjson
		tm_encode w$w.raw.es w$w.ndjson
		run -0 "$TM_BIN/trace-dedup" --window 1m -o w$w.es w$w.raw.es
		run -0 "$MERGE" -q --static "$P/O2" w$w.es -o m$w.es
	done
	cat m1.es m2.es m3.es >all.es
	run -0 "$CONFLICTS" -q all.es --policy prefer-runtime --min-windows 2 --format json
	echo "$output" >r.json
	assert_equal "$(field app!main app!app.c:op_inc windows <r.json) $(field app!main app!app.c:op_inc count <r.json)" "3 3"
	assert_equal "$(field app!main app!app.c:op_dbl windows <r.json)" 2
	assert_equal "$(field app!main app!app.c:op_dbl resolution <r.json)" accepted
	assert_equal "$(field app!relay app!app.c:op_inc windows <r.json)" 1
	assert_equal "$(field app!relay app!app.c:op_inc resolution <r.json)" rejected
	assert_equal "$(field app!relay app!app.c:op_inc reason <r.json)" min-windows
	run -0 "$CONFLICTS" -q all.es --policy prefer-runtime --min-windows 3 --format json
	assert_equal "$(echo "$output" | field app!main app!app.c:op_dbl resolution)" rejected
	# One stream whose edges carry their windows (as a per-window merged stream would).
	cat >win.ndjson <<EOF
{"type":"header","source":"merge","params":{"module":"app"}}
{"type":"edge","caller":"app!main","callee":"app!x","count":0,"evidence":["static"]}
{"type":"edge","caller":"app!main","callee":"app!y","count":2,"evidence":["ebpf-probe"],"window_start":60000000000,"window_end":120000000000}
{"type":"edge","caller":"app!main","callee":"app!y","count":3,"evidence":["ebpf-probe"],"window_start":120000000000,"window_end":180000000000}
{"type":"edge","caller":"app!main","callee":"app!z","count":5,"evidence":["ebpf-probe"],"window_start":120000000000,"window_end":180000000000}
EOF
	tm_encode win.es win.ndjson
	run -0 "$CONFLICTS" -q win.es --policy prefer-runtime --min-windows 2 --format json
	assert_equal "$(echo "$output" | jq -r '[.conflicts[] | select(.side == "runtime") | "\(.callee) \(.windows) \(.count) \(.resolution)"] | join(",")')" \
		"app!y 2 5 accepted,app!z 1 5 rejected"
}

@test "--fail-on: exit 1 while an unresolved conflict of the classes remains; resolved or absent, exit 0" {
	o2_merged
	run -1 "$CONFLICTS" -q merged.es --fail-on unexplained --format none
	assert_equal "$output" ""
	run -1 "$CONFLICTS" -q merged.es --fail-on R-UNEXPLAINED,tail-call --format none
	run -1 "$CONFLICTS" -q merged.es --fail-on error --format none
	# Nothing of the class: 0.
	run -0 "$CONFLICTS" -q merged.es --fail-on version-skew,not-present --format none
	# Rejected by prefer-static, accepted by prefer-runtime: resolved either way.
	run -0 "$CONFLICTS" -q merged.es --policy prefer-static --fail-on unexplained --format none
	run -0 "$CONFLICTS" -q merged.es --policy prefer-runtime --fail-on any --format none
	# Below --min-count: rejected as noise.
	run -0 "$CONFLICTS" -q merged.es --min-count 5 --fail-on unexplained --format none
	# The report is still written when the answer is 1.
	run -1 "$CONFLICTS" -q merged.es --fail-on unexplained --format json
	assert_equal "$(echo "$output" | jq .summary.classes.unexplained.unresolved)" 1
	# Usage errors: 2, one line and a hint.
	run -2 --separate-stderr "$CONFLICTS" merged.es --fail-on nonsense
	assert_equal "${stderr_lines[0]}" "trace-conflicts: --fail-on: unknown conflict class 'nonsense'"
	assert_equal "${stderr_lines[1]}" "Try 'trace-conflicts --help'."
}

@test "--format sarif: SARIF 2.1.0 structure, one rule per class, results at the call site" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --static "$P/O2" --format sarif
	echo "$output" >r.sarif
	jq -e . r.sarif >/dev/null
	# The required top level: version, $schema, runs[].tool.driver.name and rules.
	assert_equal "$(jq -r '.version' r.sarif)" 2.1.0
	assert_equal "$(jq -r '."$schema"' r.sarif)" \
		https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
	assert_equal "$(jq '.runs | length' r.sarif)" 1
	assert_equal "$(jq -r '.runs[0].tool.driver.name' r.sarif)" trace-conflicts
	# One rule per class, unique ids, each with a description and a default level.
	assert_equal "$(jq '.runs[0].tool.driver.rules | length' r.sarif)" 16
	assert_equal "$(jq '[.runs[0].tool.driver.rules[].id] | unique | length' r.sarif)" 16
	assert_equal "$(jq '[.runs[0].tool.driver.rules[] | select((.shortDescription.text | length) > 0 and (.fullDescription.text | length) > 0 and (.defaultConfiguration.level | IN("error","warning","note")))] | length' r.sarif)" 16
	# Every result: a known ruleId and the matching ruleIndex, a level, a message, locations.
	jq -e '.runs[0] as $r | [$r.tool.driver.rules[].id] as $ids | $r.results | length > 0 and all(
		(.ruleId | IN($ids[])) and ($ids[.ruleIndex] == .ruleId) and
		(.level | IN("none","note","warning","error")) and (.kind | IN("fail","informational")) and
		((.kind == "fail") or (.level == "none")) and
		(.message.text | type == "string" and length > 0) and
		(.locations | type == "array" and length == 1) and
		(.locations[0].logicalLocations[0].fullyQualifiedName | type == "string") and
		(if .locations[0].physicalLocation then
			(.locations[0].physicalLocation.artifactLocation.uri | type == "string" and length > 0) and
			((.locations[0].physicalLocation.region // {startLine: 1}).startLine >= 1)
		 else true end))' r.sarif >/dev/null || fail "a result lacks the required structure"
	# The indirect call is located at main's indirect call site (from --static), the
	# tail call at the static call of relay, with counts and evidence in properties.
	assert_equal "$(jq -r '.runs[0].results[] | select(.properties.callee == "app!app.c:op_inc" and .properties.caller == "app!main") | .locations[0].physicalLocation | "\(.artifactLocation.uri):\(.region.startLine)"' r.sarif)" \
		"app.c:$(grep -n 'total += ops' "$P/src/app.c" | cut -d: -f1)"
	assert_equal "$(jq -r '.runs[0].results[] | select(.ruleId == "tail-call") | "\(.level) \(.properties.count) \(.properties.evidence | join(",")) \(.locations[0].physicalLocation.artifactLocation.uri):\(.locations[0].physicalLocation.region.startLine)"' r.sarif)" \
		"note 1 ebpf-probe app.c:$(grep -n 'total += relay' "$P/src/app.c" | cut -d: -f1)"
	assert_equal "$(jq -r '.runs[0].results[] | select(.ruleId == "unexplained") | .level' r.sarif)" error
	# Resolved conflicts are informational.
	run -0 "$CONFLICTS" -q merged.es --policy prefer-runtime --format sarif
	assert_equal "$(echo "$output" | jq -r '[.runs[0].results[] | "\(.kind)/\(.level)"] | unique | join(",")')" informational/none
	# Python's json module parses it too (strict RFC 8259).
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' r.sarif
	fi
}

@test "--format json and text: summary counts are those of the list; the table is grouped by class, most severe first" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --format json
	echo "$output" >r.json
	assert_equal "$(jq '.summary.conflicts == (.conflicts | length)' r.json)" true
	assert_equal "$(jq '(.conflicts | length) as $n | [.summary.classes[].count] | add == $n' r.json)" true
	assert_equal "$(jq '.summary.classes["tail-call"].count' r.json)" 1
	assert_equal "$(jq -r '.conflicts[] | select(.class == "tail-call") | "\(.first_seen) \(.first_seen_utc)"' r.json)" \
		"1700000001510000000 2023-11-14T22:13:21.510000000Z"
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app"
	echo "$output" >r.txt
	assert_line --index 0 --regexp '^trace-conflicts: [0-9]+ conflicts, [0-9]+ unresolved \(policy explain-only, min-count 1, min-windows 1\)$'
	assert_equal "$(grep -E '^[a-z-]+ \(' r.txt | cut -d' ' -f1 | head -4 | paste -sd' ')" \
		"unexplained dynamic-module identity-mismatch indirect-call"
	assert_line --partial "tail-call (R-TAILCALL, note): 1 conflict, 1 unresolved, 1 call, 2023-11-14T22:13:21.510000000Z .. 2023-11-14T22:13:21.510000000Z"
	assert_line --regexp '^  app!main -> app!sink +1 +1 +2023-11-14T22:13:21.510000000Z +2023-11-14T22:13:21.510000000Z +open$'
	assert_line --partial "static path app!main -> app!relay -> app!sink; app!relay jumps to app!sink at 0x"
}

# edge CALLER CALLEE < NDJSON: one edge's class, conflict and resolution ("-" for none).
edge() {
	jq -r --arg a "$1" --arg b "$2" \
		'select(.type == "edge" and .caller == $a and .callee == $b) | "\(.class // "-") \(.conflict // "-") \(.resolution // "-")"'
}

@test "-o: the resolved stream keeps every edge and trace-merge's class, and marks conflicts and resolutions; the same input gives the same bytes" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-static -o res.es --format json
	echo "$output" >r.json
	run -0 "$TRACE_CAT" --all res.es
	echo "$output" >res.ndjson
	head -1 res.ndjson >hdr.json
	assert_equal "$(jq -r '.source + " " + .params.policy' hdr.json)" "conflicts prefer-static"
	assert_equal "$(jq -r '[.params | keys[] | select(startswith("class"))] | length' hdr.json)" 0
	# Every edge of the merged stream is there, with the class trace-merge gave it.
	"$TRACE_CAT" merged.es | jq -c '[.caller, .callee, .class]' | sort >m.classes
	"$TRACE_CAT" res.es | jq -c '[.caller, .callee, .class]' | sort >r.classes
	assert_equal "$(wc -l <r.classes)" "$(wc -l <m.classes)"
	cmp m.classes r.classes
	# The conflict and resolution of each edge, by name (trace-cat's NDJSON).
	assert_equal "$(edge app!relay app!app.c:op_inc <res.ndjson)" "runtime-only unexplained rejected"
	assert_equal "$(edge app!main app!app.c:op_inc <res.ndjson)" "confirmed-indirect indirect-call accepted"
	assert_equal "$(edge app!main app!sink <res.ndjson)" "confirmed-indirect tail-call explained"
	assert_equal "$(edge app!main app!qsort <res.ndjson)" "static-only not-exercised kept"
	assert_equal "$(edge app!main app!relay <res.ndjson)" "confirmed - -"
	# Those of the report, edge for edge; no other edge has one.
	assert_equal "$(jq -c '[.conflicts[] | select(.caller) | [.caller, .callee, .class, .resolution]] | sort' r.json)" \
		"$(jq -sc '[.[] | select(.type == "edge" and .conflict) | [.caller, .callee, .conflict, .resolution]] | sort' res.ndjson)"
	# trace-dedup keeps them.
	run -0 "$TM_BIN/trace-dedup" -o dd.es res.es
	run -0 "$TRACE_CAT" dd.es
	assert_equal "$(echo "$output" | edge app!relay app!app.c:op_inc)" "runtime-only unexplained rejected"
	assert_equal "$(echo "$output" | edge app!main app!app.c:op_inc)" "confirmed-indirect indirect-call accepted"
	# Deterministic, and readable again by trace-conflicts (the classes come out the same).
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-static -o res2.es --format none
	cmp res.es res2.es
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --format json
	a=$(echo "$output" | jq -c '[.conflicts[] | [.class, .caller, .callee, .function]]')
	run -0 "$CONFLICTS" -q res.es --binary "$P/O2/app" --format json
	assert_equal "$(echo "$output" | jq -c '[.conflicts[] | [.class, .caller, .callee, .function]]')" "$a"
	# -o - writes the stream to stdout, the report then being none.
	run -0 "$CONFLICTS" -q merged.es -o - --format none
	run -2 "$CONFLICTS" -q merged.es -o -
}

@test "-o on a resolved stream: resolved again under the new policy, as from the merged stream" {
	o2_merged
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-static -o st.es --format none
	# The same policy again: the same bytes.
	run -0 "$CONFLICTS" -q st.es --binary "$P/O2/app" --policy prefer-static -o st2.es --format none
	cmp st.es st2.es
	# Another policy: what it decides on the merged stream.
	run -0 "$CONFLICTS" -q merged.es --binary "$P/O2/app" --policy prefer-runtime -o rt.es --format json
	a=$(echo "$output" | jq -c '[.conflicts[] | [.class, .resolution, .caller, .callee, .function]]')
	run -0 "$CONFLICTS" -q st.es --binary "$P/O2/app" --policy prefer-runtime -o rt2.es --format json
	assert_equal "$(echo "$output" | jq -c '[.conflicts[] | [.class, .resolution, .caller, .callee, .function]]')" "$a"
	cmp rt.es rt2.es
	run -0 "$TRACE_CAT" rt2.es
	assert_equal "$(echo "$output" | edge app!relay app!app.c:op_inc)" "runtime-only unexplained accepted"
}

@test "-o: a contested function accepted is flagged and confirmed-reachable, the edges entering it contested; read again, contested again" {
	cat >m.ndjson <<'EOF'
{"type":"header","source":"merge","params":{"module":"app"}}
{"type":"edge","caller":"app!main","caller_flags":["entry"],"caller_state":"confirmed-reachable","callee":"app!relay","callee_state":"confirmed-reachable","count":3,"evidence":["static","ebpf-probe"],"class":"confirmed"}
{"type":"edge","caller":"libc.so.6!start_thread","callee":"app!worker","callee_state":"contested","count":1,"evidence":["ebpf-probe"],"class":"runtime-only"}
{"type":"edge","caller":"app!worker","caller_state":"contested","callee":"app!step","callee_state":"contested","count":2,"evidence":["static","ebpf-probe"],"class":"confirmed"}
EOF
	tm_encode m.es m.ndjson
	run -0 "$CONFLICTS" -q m.es --policy prefer-runtime -o res.es --format json
	assert_equal "$(echo "$output" | jq -r '[.conflicts[] | select(.class == "contested") | "\(.function) \(.resolution)"] | sort | join(",")')" \
		"app!step accepted,app!worker accepted"
	run -0 "$TRACE_CAT" res.es
	echo "$output" >res.ndjson
	# worker -> step has no conflict of its own: it carries step's.
	assert_equal "$(edge app!worker app!step <res.ndjson)" "confirmed contested accepted"
	assert_equal "$(jq -r 'select(.callee == "app!step") | "\(.callee_flags | join(",")) \(.callee_state)"' res.ndjson)" \
		"accepted confirmed-reachable"
	assert_equal "$(jq -r 'select(.callee == "app!relay") | .callee_flags // [] | join(",")' res.ndjson)" ""
	assert_equal "$(edge app!main app!relay <res.ndjson)" "confirmed - -"
	# Read again under prefer-static: the functions are contested, and open, again.
	run -0 "$CONFLICTS" -q res.es --policy prefer-static -o st.es --format json
	assert_equal "$(echo "$output" | jq -r '[.conflicts[] | select(.class == "contested") | "\(.function) \(.resolution)"] | sort | join(",")')" \
		"app!step open,app!worker open"
	run -0 "$TRACE_CAT" st.es
	assert_equal "$(echo "$output" | edge app!worker app!step)" "confirmed contested open"
	assert_equal "$(echo "$output" | jq -r 'select(.callee == "app!step") | "\(.callee_flags // [] | join(",")) \(.callee_state)"')" \
		" contested"
	run -1 "$CONFLICTS" -q res.es --fail-on contested --format none
	# And under prefer-runtime: what the first run wrote.
	run -0 "$CONFLICTS" -q st.es --policy prefer-runtime -o res2.es --format none
	cmp res.es res2.es
}

@test "--static: the graph of an input without one; indirect call sites located" {
	bid=$(build_id "$P/O2/app")
	# A merged stream made without a static graph: trace-merge --no-runtime is the
	# other way round, so write one by hand with the names trace-merge gives.
	cat >rt.ndjson <<EOF
{"type":"header","source":"merge","params":{"module":"app"}}
{"type":"edge","caller":"app!main","caller_build_id":"$bid","callee":"app!app.c:op_inc","callee_build_id":"$bid","count":2,"evidence":["ebpf-probe"]}
{"type":"edge","caller":"app!main","caller_build_id":"$bid","callee":"app!sink","callee_build_id":"$bid","count":1,"evidence":["ebpf-probe"]}
EOF
	tm_encode rt.es rt.ndjson
	run -0 --separate-stderr "$CONFLICTS" rt.es --format json
	[[ $stderr == *"the input holds no static call graph"* ]] || fail "no warning: $stderr"
	run -0 "$CONFLICTS" -q rt.es --static "$P/O2" --binary "$P/O2/app" --format json
	echo "$output" >r.json
	assert_equal "$(class app!main app!app.c:op_inc <r.json)" indirect-call
	assert_equal "$(field app!main app!app.c:op_inc location <r.json)" "app.c:$(grep -n 'total += ops' "$P/src/app.c" | cut -d: -f1)"
	assert_equal "$(class app!main app!sink <r.json)" tail-call
	# A static graph trace-conflicts cannot read: 3.
	echo 'not a graph' >bad.txt
	run -3 --separate-stderr "$CONFLICTS" rt.es --static bad.txt
	tm_one_line_error trace-conflicts bad.txt
}

@test "errors: bad input 3, environment 4, usage 2, each one line" {
	o2_merged
	printf 'garbage' >junk.es
	run -3 --separate-stderr "$CONFLICTS" junk.es
	tm_one_line_error trace-conflicts junk.es
	head -c 100 merged.es >trunc.es
	run -3 --separate-stderr "$CONFLICTS" trunc.es
	tm_one_line_error trace-conflicts trunc.es
	run -4 --separate-stderr "$CONFLICTS" no-such.es
	tm_one_line_error trace-conflicts no-such.es
	run -3 --separate-stderr "$CONFLICTS" merged.es --binary "$P/src/app.c"
	tm_one_line_error trace-conflicts "$P/src/app.c"
	run -4 --separate-stderr "$CONFLICTS" merged.es --binary no-such-binary
	tm_one_line_error trace-conflicts no-such-binary
	run -2 --separate-stderr "$CONFLICTS" merged.es --policy sometimes
	assert_equal "${stderr_lines[0]}" "trace-conflicts: --policy: expected explain-only, prefer-runtime or prefer-static, got 'sometimes'"
	run -2 "$CONFLICTS" merged.es --min-count 0
	run -2 "$CONFLICTS" merged.es --min-windows x
	run -2 "$CONFLICTS" merged.es --format xml
	run -2 "$CONFLICTS" --bogus
	# No partial output left behind.
	run -3 "$CONFLICTS" trunc.es -o out.es
	[ ! -e out.es ] || fail "out.es left behind"
	[ -z "$(ls -A | grep -v -e '^junk.es$' -e '^trunc.es$' -e '^merged.es$' -e '^rt' )" ] || fail "leftovers: $(ls -A)"
}

@test "--help, --version" {
	run -0 "$CONFLICTS" --help
	assert_line --index 0 "Usage: trace-conflicts [OPTIONS] [MERGED-STREAM...]"
	assert_line --partial "--fail-on CLASSES"
	run -0 "$CONFLICTS" --version
	assert_output --partial "trace-conflicts (tracemerge) "
}

#!/usr/bin/env bats
# trace-capture: exact probe edges from C fixtures (FP/no-FP, PIE/non-PIE,
# stripped + debug file, PLT, function pointers, tail call, inlining, dlopen),
# JIT code named from perf maps, scopes, windows, losses, signals, and the
# sampling false-edge case.

load capture_helpers

setup_file() {
	build_fixtures
}

setup() {
	FX=$BATS_FILE_TMPDIR/fx
}

# Probes on every interesting function of fixture variant $1.
probes_for() {
	local f=$FX/fixture-$1
	echo --probe "$f:mid_*" --probe "$f:target_fp" --probe "$f:tail_*" \
	    --probe "$f:maybe_inl" --probe "$f:helper" --probe "$f:inl_caller" \
	    --probe "libfix.so:lib_*" --probe "$FX/libplug.so:plug_fn"
}

expected_edges() {
	local m=fixture-$1 n=$2
	cat <<EOT | LC_ALL=C sort
$m!call_via_ptr -> $m!maybe_inl $n
$m!call_via_ptr -> $m!target_fp $n
$m!main -> $m!inl_caller $n
$m!main -> $m!mid_a $n
$m!main -> $m!tail_callee $n
$m!main -> $m!tail_caller $n
$m!main -> libplug.so!plug_fn $n
$m!mid_a -> $m!mid_b $n
$m!mid_b -> $m!helper $n
$m!mid_b -> libfix.so!lib_entry $n
libfix.so!lib_entry -> libfix.so!lib_leaf $((2 * n))
libplug.so!plug_fn -> libfix.so!lib_entry $n
EOT
}

@test "usage: no scope is a usage error" {
	run "$CAPTURE" --probe x:y
	[ "$status" -eq 2 ]
	[[ "$output" == *"nothing to trace"* ]]
	[[ "$output" == *"Try 'trace-capture --help'."* ]]
}

@test "usage: --help exits 0 and mentions exit status" {
	run "$CAPTURE" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Exit status"* ]]
}

@test "usage: bad probe spec and unknown module" {
	run "$CAPTURE" --probe nocolon -o "$BATS_TEST_TMPDIR/x" -- true
	[ "$status" -eq 2 ]
	run "$CAPTURE" --probe no-such-module.so:f -o "$BATS_TEST_TMPDIR/x" -- true
	[ "$status" -eq 4 ]
	[[ "$output" == *"module 'no-such-module.so' not found"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "missing privilege: one line naming what is needed, exit 4" {
	[ "$(id -u)" = 0 ] || skip "needs root to drop privileges"
	command -v setpriv >/dev/null || skip "needs setpriv"
	run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	    "$CAPTURE" --probe libc.so.6:getpid -o /tmp/tm-capture-noperm.$$ -- true
	[ "$status" -eq 4 ]
	[[ "$output" == *"needs root or CAP_BPF+CAP_PERFMON"* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e /tmp/tm-capture-noperm.$$ ]
}

@test "probe: PIE with frame pointers, PLT, pointers, tail call, inlining, dlopen" {
	require_bpf
	run "$CAPTURE" $(probes_for fp-pie) -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/fixture-fp-pie" 5 "$FX/libplug.so"
	[ "$status" -eq 0 ]
	diff -u <(expected_edges fp-pie 5) <(edges "$BATS_TEST_TMPDIR/o.edges")
}

@test "probe: no frame pointers, not PIE: the same exact edges" {
	require_bpf
	run "$CAPTURE" $(probes_for nofp-nopie) -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/fixture-nofp-nopie" 7 "$FX/libplug.so"
	[ "$status" -eq 0 ]
	diff -u <(expected_edges nofp-nopie 7) <(edges "$BATS_TEST_TMPDIR/o.edges")
}

@test "probe: stripped binary symbolized from its separate debug file" {
	require_bpf
	[ -z "$(nm "$FX/fixture-stripped" 2>/dev/null)" ]
	run "$CAPTURE" $(probes_for stripped) -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/fixture-stripped" 3 "$FX/libplug.so"
	[ "$status" -eq 0 ]
	diff -u <(expected_edges stripped 3) <(edges "$BATS_TEST_TMPDIR/o.edges")
}

@test "probe: local functions carry their file, build ids and offsets match the ELF" {
	require_bpf
	"$CAPTURE" --probe "$FX/fixture-fp-pie:helper" --probe "libfix.so:lib_leaf" \
	    -o "$BATS_TEST_TMPDIR/o.edges" -- "$FX/fixture-fp-pie" 2
	run sh -c "'$TRACE_CAT' --all '$BATS_TEST_TMPDIR/o.edges' | jq -r 'select(.type==\"edge\") | \"\(.callee) \(.callee_file) \(.callee_offset) \(.callee_build_id)\"' | sort"
	bid=$(readelf -n "$FX/fixture-fp-pie" | awk '/Build ID/ { print $3 }')
	# helper's file offset: st_value in a PIE whose text is mapped at offset == vaddr
	off=$((16#$(nm "$FX/fixture-fp-pie" | awk '$3 == "helper" { print $1 }')))
	[[ "${lines[0]}" == "fixture-fp-pie!helper fixture.c $off $bid" ]]
	[[ "${lines[1]}" == "libfix.so!lib_leaf fixlib.c "* ]]
}

@test "probe: one uprobe per target (fallback path) gives the same edges" {
	require_bpf
	run "$CAPTURE" --attach single $(probes_for fp-pie) -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/fixture-fp-pie" 4 "$FX/libplug.so"
	[ "$status" -eq 0 ]
	diff -u <(expected_edges fp-pie 4) <(edges "$BATS_TEST_TMPDIR/o.edges")
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="header")) | .[0].params.attach == "uprobe"'
}

@test "probe: coverage for every attached target, losses in the trailer" {
	require_bpf
	"$CAPTURE" $(probes_for fp-pie) -o "$BATS_TEST_TMPDIR/o.edges" -- "$FX/fixture-fp-pie" 1
	run sh -c "'$TRACE_CAT' --all '$BATS_TEST_TMPDIR/o.edges' | jq -r 'select(.type==\"coverage\") | \"\(.node) \(.method) \(.end > .start)\"' | sort"
	[ "${#lines[@]}" -eq 11 ]
	[[ "$output" == *"fixture-fp-pie!maybe_inl entry-probe true"* ]]
	[[ "$output" == *"libplug.so!plug_fn entry-probe true"* ]]
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'ringbuf_full=0'
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'caller_unresolved=0'
}

@test "probe: --symbolize no leaves module+offset for offline symbolization" {
	require_bpf
	"$CAPTURE" --symbolize no --probe "$FX/fixture-fp-pie:mid_b" -o "$BATS_TEST_TMPDIR/o.edges" \
	    -- "$FX/fixture-fp-pie" 2
	run sh -c "'$TRACE_CAT' --all '$BATS_TEST_TMPDIR/o.edges' | jq -r 'select(.type==\"edge\") | \"\(.caller) \(.callee) \(.count)\"'"
	off=$(printf %x $((16#$(nm "$FX/fixture-fp-pie" | awk '$3 == "mid_b" { print $1 }'))))
	[[ "$output" == "fixture-fp-pie+0x"*" fixture-fp-pie+0x$off 2" ]]
}

@test "probe: the command's exit status is passed through" {
	require_bpf
	run "$CAPTURE" --probe "$FX/fixture-fp-pie:mid_a" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run "$CAPTURE" --probe "$FX/fixture-fp-pie:mid_a" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    /nonexistent/cmd
	[ "$status" -eq 2 ]
}

@test "probe: 500 short-lived runs: every edge has a build id and a symbol" {
	require_bpf
	run "$CAPTURE" --probe "$FX/fixture-fp-pie:mid_*" --probe "$FX/libfix.so:lib_entry" \
	    -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    sh -c "i=0; while [ \$i -lt 500 ]; do '$FX/fixture-fp-pie' 1 || exit 1; i=\$((i+1)); done"
	[ "$status" -eq 0 ]
	diff -u - <(edge_totals "$BATS_TEST_TMPDIR/o.edges") <<EOT
fixture-fp-pie!main -> fixture-fp-pie!mid_a 500
fixture-fp-pie!mid_a -> fixture-fp-pie!mid_b 500
fixture-fp-pie!mid_b -> libfix.so!lib_entry 500
EOT
	# 500 processes, each edge with both build ids and no unknown module
	run sh -c "'$TRACE_CAT' --all '$BATS_TEST_TMPDIR/o.edges' | jq -r 'select(.type==\"edge\") | .pid' | sort -u"
	[ "${#lines[@]}" -eq 500 ]
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge")) | all(.caller_build_id != null and .callee_build_id != null and (.caller | test("\\+0x") | not))'
}

@test "scope: --pid and a binary that exists only in another mount namespace" {
	require_bpf
	command -v unshare >/dev/null || skip "needs unshare"
	mnt=$BATS_TEST_TMPDIR/ns
	mkdir -p "$mnt"
	unshare --mount --pid --fork --kill-child sh -c "
	    mount -t tmpfs tmcap '$mnt' &&
	    cp '$FX/fixture-fp-pie' '$mnt/nsfix' && exec '$mnt/nsfix' -1" \
	    </dev/null >/dev/null 2>&1 3>&- &
	upid=$!
	pid=
	for _ in $(seq 50); do
		pid=$(pgrep -f "^$mnt/nsfix" || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	[ ! -e "$mnt/nsfix" ]
	run "$CAPTURE" --pid "$pid" --probe "$mnt/nsfix:mid_b" --probe libfix.so:lib_entry \
	    --duration 1s -o "$BATS_TEST_TMPDIR/o.edges"
	kill -9 "$pid" 2>/dev/null || true
	kill "$upid" 2>/dev/null || true
	wait "$upid" 2>/dev/null || true
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	[[ "${lines[0]}" == "nsfix!mid_a -> nsfix!mid_b "* ]]
	[[ "${lines[1]}" == "nsfix!mid_b -> libfix.so!lib_entry "* ]]
	jqall "$BATS_TEST_TMPDIR/o.edges" "map(select(.type==\"edge\")) | length > 0 and all(.pid == $pid and (.caller_build_id | length) == 40)"
}

@test "windows: --window splits a run into several windows of edges" {
	require_bpf
	run "$CAPTURE" --window 300ms --duration 1200ms --probe "$FX/fixture-fp-pie:mid_a" \
	    -o "$BATS_TEST_TMPDIR/o.edges" -- "$FX/fixture-fp-pie" -1
	[ "$status" -eq 143 ]
	n=$(tcat "$BATS_TEST_TMPDIR/o.edges" | jq -r 'select(.type=="edge") | .window_start' | sort -u | wc -l)
	[ "$n" -ge 3 ]
}

# Start a looping fixture under capture, send signal $1 mid-run, check the stream.
signal_mid_run() {
	"$CAPTURE" --probe "$FX/fixture-fp-pie:mid_a" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/fixture-fp-pie" -1 &
	cpid=$!
	# The command starts only once the probes are attached: wait for it
	# (a loaded machine may take seconds), then let it run a little.
	for _ in $(seq 200); do
		pgrep -f "^$FX/fixture-fp-pie -1" >/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	kill -"$1" "$cpid"
	wait "$cpid" || true
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="trailer")) | length == 1 and .[0].edges >= 1'
	run edges "$BATS_TEST_TMPDIR/o.edges"
	[[ "$output" == "fixture-fp-pie!main -> fixture-fp-pie!mid_a "* ]]
}

@test "signals: SIGINT mid-run yields a complete stream with a trailer" {
	require_bpf
	signal_mid_run INT
}

@test "signals: SIGTERM mid-run yields a complete stream with a trailer" {
	require_bpf
	signal_mid_run TERM
}

@test "losses: a tiny ring buffer and edge map give non-zero loss counters" {
	require_bpf
	run "$CAPTURE" --ring-size 4K --map-entries 4 --probe "$FX/fixture-fp-pie:*_*" \
	    --probe "$FX/libfix.so:lib_*" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    sh -c "for i in \$(seq 200); do '$FX/fixture-fp-pie' 1 & done; wait"
	[ "$status" -eq 0 ]
	losses "$BATS_TEST_TMPDIR/o.edges" >"$BATS_TEST_TMPDIR/l"
	cat "$BATS_TEST_TMPDIR/l"
	grep -q '^ringbuf_full=[1-9]' "$BATS_TEST_TMPDIR/l"
	grep -q '^edge_evicted=[1-9]' "$BATS_TEST_TMPDIR/l"
}

@test "sample: frame-pointer program calling a no-frame-pointer library: no false edge" {
	require_bpf
	run "$CAPTURE" --mode sample --freq 499 -o "$BATS_TEST_TMPDIR/o.edges" -- "$FX/sampfp" 2
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	echo "$output"
	# the real chain is mid_b -> leaf_c -> vuln_fn; an FP unwind would say mid_b -> vuln_fn
	[[ "$output" != *"-> libnofp.so!vuln_fn"* ]]
	[[ "$output" != *"sampfp!main -> sampfp!fp_spin"* ]]
	[[ "$output" == *"sampfp!mid_a -> sampfp!fp_spin "* ]]
	[[ "$output" == *"sampfp!main -> sampfp!mid_a "* ]]
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -q '^sample_edge_untrusted=[1-9]'
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge")) | all(.evidence == ["ebpf-sample"] and .confidence < 100)'
}

# 40 processes of 30 ms of CPU time each, sampled at 999 Hz: about 30 samples
# per process, most of them taken in processes that are gone when the ring
# buffer is next drained (every 100 ms), so that /proc no longer has their
# maps. Every process must show the whole chain, symbolized, with build ids.
@test "sample: 40 short-lived processes: each one's edges, with build ids and symbols" {
	require_bpf
	local o=$BATS_TEST_TMPDIR/o.edges d=$BATS_TEST_TMPDIR pair n total lost
	run "$CAPTURE" --mode sample --freq 999 -o "$o" -- \
	    sh -c "i=0; while [ \$i -lt 40 ]; do '$FX/burner' 30 || exit 1; i=\$((i+1)); done"
	[ "$status" -eq 0 ]
	edge_totals "$o" | tee "$d/totals"
	losses "$o" | tee "$d/losses"
	# inside the burner: the three calls that burn, and tick at most
	grep '^burner!.* -> burner!' "$d/totals" | cut -d' ' -f1-3 >"$d/pairs"
	diff -u - <(grep -v 'burner!spin -> burner!tick' "$d/pairs") <<EOT
burner!burn_a -> burner!burn_b
burner!burn_b -> burner!spin
burner!main -> burner!burn_a
EOT
	# every one of the 40 processes has each of them
	for pair in main:burn_a burn_a:burn_b burn_b:spin; do
		n=$(tcat "$o" | jq -r --arg a "burner!${pair%:*}" --arg b "burner!${pair#*:}" \
		    'select(.type=="edge" and .caller == $a and .callee == $b) | .pid' | sort -u | wc -l)
		echo "$pair: $n processes"
		[ "$n" -eq 40 ]
	done
	# every edge with an end in the burner: both ends symbolized, with build ids
	jqall "$o" 'map(select(.type=="edge" and ((.caller | startswith("burner")) or (.callee | startswith("burner"))))) | all(.caller_build_id != null and .callee_build_id != null and (.caller | contains("!")) and (.callee | contains("!")))'
	# frame pairs lost for want of a module: at most 1% of main -> burn_a's samples
	total=$(awk '$1 == "burner!main" && $3 == "burner!burn_a" { print $4 }' "$d/totals")
	lost=$(awk -F= '$1 == "sample_frame_unresolved" || $1 == "sample_edge_unverified" { n += $2 } END { print n + 0 }' "$d/losses")
	echo "main -> burn_a: $total samples; unresolved or unverified: $lost"
	[ "$total" -ge 400 ]
	[ $((lost * 100)) -le "$total" ]
}

@test "probe,sample: both evidence kinds in one stream" {
	require_bpf
	run "$CAPTURE" --mode probe,sample --freq 499 --probe "$FX/sampfp:mid_b" \
	    -o "$BATS_TEST_TMPDIR/o.edges" -- "$FX/sampfp" 1
	[ "$status" -eq 0 ]
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge" and .evidence == ["ebpf-probe"])) | length == 1 and .[0].caller == "sampfp!mid_a"'
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge" and .evidence == ["ebpf-sample"])) | length > 0'
}

@test "scope: --cgroup captures the processes of a cgroup v2 directory" {
	require_bpf
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || skip "needs a cgroup v2 mount"
	cg=$root/tmcap-$$
	mkdir "$cg" || skip "cannot create a cgroup under $root"
	sh -c "echo \$\$ > '$cg/cgroup.procs'; exec '$FX/fixture-fp-pie' -1" </dev/null >/dev/null 2>&1 3>&- &
	fpid=$!
	sleep 0.3
	run "$CAPTURE" --cgroup "$cg" --duration 700ms --probe "$FX/fixture-fp-pie:mid_a" \
	    -o "$BATS_TEST_TMPDIR/o.edges"
	cgid=$(stat -c %i "$cg")
	kill "$fpid"
	wait "$fpid" || true
	rmdir "$cg"
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	[[ "$output" == "fixture-fp-pie!main -> fixture-fp-pie!mid_a "* ]]
	jqall "$BATS_TEST_TMPDIR/o.edges" "map(select(.type==\"edge\")) | all(.pid == $fpid and .cgroup == $cgid)"
}

@test "scope: --all captures processes it did not start and was not pointed at" {
	require_bpf
	# Two loops of the fixture, started before the capture, not its children.
	"$FX/fixture-fp-pie" -1 </dev/null >/dev/null 2>&1 3>&- &
	p1=$!
	"$FX/fixture-fp-pie" -1 </dev/null >/dev/null 2>&1 3>&- &
	p2=$!
	run "$CAPTURE" --all --probe "$FX/fixture-fp-pie:mid_b" --duration 1s -o "$BATS_TEST_TMPDIR/o.edges"
	kill -9 "$p1" "$p2" 2>/dev/null || true
	wait "$p1" "$p2" 2>/dev/null || true
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	[[ "${lines[0]}" == "fixture-fp-pie!mid_a -> fixture-fp-pie!mid_b "* ]]
	# both processes, each edge with its own pid
	jqall "$BATS_TEST_TMPDIR/o.edges" "[.[] | select(.type==\"edge\") | .pid] | unique == ([$p1, $p2] | sort)"
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="header")) | .[0].params.scope == "all"'
}

@test "scope: --pid --follow-children follows processes forked after the start" {
	require_bpf
	# Generous margins: on a loaded machine attaching can take a second or two.
	sh -c "sleep 3; '$FX/fixture-fp-pie' 3; '$FX/fixture-fp-pie' 4" </dev/null >/dev/null 2>&1 3>&- &
	spid=$!
	run "$CAPTURE" --pid "$spid" --follow-children --duration 8s \
	    --probe "$FX/fixture-fp-pie:mid_a" -o "$BATS_TEST_TMPDIR/o.edges"
	wait "$spid" || true
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "fixture-fp-pie!main -> fixture-fp-pie!mid_a 3" ]]
	[[ "${lines[1]}" == "fixture-fp-pie!main -> fixture-fp-pie!mid_a 4" ]]
}

@test "exited processes: callers in modules the tracer never mapped still symbolize" {
	require_bpf
	# The command is sh: neither the fixture nor libplug.so is known up front,
	# and each fixture run is over long before the ring buffer is drained.
	run "$CAPTURE" --probe "$FX/libfix.so:lib_entry" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do '$FX/fixture-fp-pie' 1 '$FX/libplug.so'; done"
	[ "$status" -eq 0 ]
	diff -u - <(edge_totals "$BATS_TEST_TMPDIR/o.edges") <<EOT
fixture-fp-pie!mid_b -> libfix.so!lib_entry 10
libplug.so!plug_fn -> libfix.so!lib_entry 10
EOT
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'caller_unresolved=0'
}

# New edges appear while windows are being flushed, the last ones right before
# the process exits: each must be resolved from its first-sight event (which
# holds the mapping), never found in the map first and looked up in /proc
# after the process has gone.
@test "windows: 128 call sites first hit during 5 ms window flushes, then exit: none resolved late" {
	require_bpf
	local d=$BATS_TEST_TMPDIR i
	cat >"$d/sites.c" <<'C'
#include <unistd.h>
__attribute__((noinline)) void target(void) { __asm__ volatile(""); }
#define C1 target(); usleep(1000);
#define C4 C1 C1 C1 C1
#define C16 C4 C4 C4 C4
int main(void) { C16 C16 C16 C16 C16 C16 C16 C16 return 0; }
C
	gcc -O1 -g -o "$d/sites" "$d/sites.c"
	for i in 1 2 3; do
		"$CAPTURE" -q --window 5ms --probe "$d/sites:target" -o "$d/o$i.es" -- "$d/sites"
		[ "$(edge_totals "$d/o$i.es")" = "sites!main -> sites!target 128" ]
		losses "$d/o$i.es" >"$d/l$i"
		grep -qx caller_unresolved=0 "$d/l$i"
		grep -qx edge_resolved_late=0 "$d/l$i"
	done
}

# JIT code: jitfix writes trampolines into anonymous memory, names them in
# /tmp/perf-PID.map, and calls jit_callee (or jit_burn) through them.

# The address of jitfix's trampoline page, from its "jit 0x..." line in $output.
jit_page() {
	printf '%s\n' "$output" | awk '$1 == "jit" { print $2; exit }'
}

@test "jit: a caller in JIT code is named from the process's perf map" {
	require_bpf
	require_jit
	run "$CAPTURE" --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/jitfix" named 5
	[ "$status" -eq 0 ]
	[ "$(edges "$BATS_TEST_TMPDIR/o.edges")" = "[jit:jitfix]!jit_trampoline -> jitfix!jit_callee 5" ]
	# flagged jit, no build id or offset: nothing but the name identifies it
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge")) | length == 1 and .[0].caller_flags == ["jit"] and .[0].caller_build_id == null and .[0].caller_offset == null and .[0].callee_flags == null'
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="module" and .name == "[jit:jitfix]")) | length == 1 and .[0].path == null'
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'caller_unresolved=0'
	pid=$(tcat "$BATS_TEST_TMPDIR/o.edges" | jq -r 'select(.type=="edge") | .pid')
	[ ! -e "/tmp/perf-$pid.map" ]
}

@test "jit: an address the perf map does not name stays module+address" {
	require_bpf
	require_jit
	run "$CAPTURE" --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/jitfix" unnamed 4
	[ "$status" -eq 0 ]
	page=$(jit_page)
	[ -n "$page" ]
	# the return address minus one: the call ends 16 bytes into the trampoline
	[ "$(edges "$BATS_TEST_TMPDIR/o.edges")" = "[unknown]+$(printf '0x%x' $((page + 15))) -> jitfix!jit_callee 4" ]
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'caller_unresolved=1'
}

@test "jit: lines appended to the perf map after it was read name later callers" {
	require_bpf
	require_jit
	run "$CAPTURE" --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/jitfix" grow 3
	[ "$status" -eq 0 ]
	diff -u - <(edges "$BATS_TEST_TMPDIR/o.edges") <<EOT
[jit:jitfix]!jit_late -> jitfix!jit_callee 3
[jit:jitfix]!jit_trampoline -> jitfix!jit_callee 3
EOT
	losses "$BATS_TEST_TMPDIR/o.edges" | grep -qx 'caller_unresolved=0'
}

@test "jit: the perf map is read in the process's root, named by its namespace pid" {
	require_bpf
	require_jit
	command -v unshare >/dev/null || skip "needs unshare"
	# In a new mount and pid namespace, on a tmpfs over /tmp: the map is
	# /tmp/perf-1.map there, which the tracer's /tmp does not have. The
	# fixture is opened first because that tmpfs hides $FX too.
	run "$CAPTURE" --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    unshare --mount --pid --fork sh -c \
	    "exec 3<'$FX/jitfix' && mount -t tmpfs tmjit /tmp && exec /proc/self/fd/3 named 3"
	[ "$status" -eq 0 ]
	[ "$(edges "$BATS_TEST_TMPDIR/o.edges")" = "[jit:jitfix]!jit_trampoline -> jitfix!jit_callee 3" ]
}

@test "jit: the same JIT function in two processes folds into one edge" {
	require_bpf
	require_jit
	"$CAPTURE" -q --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/a.edges" -- \
	    sh -c "'$FX/jitfix' named 2 && '$FX/jitfix' named 3" >/dev/null
	"$CAPTURE" -q --probe "$FX/jitfix:jit_callee" -o "$BATS_TEST_TMPDIR/b.edges" -- \
	    "$FX/jitfix" named 4 >/dev/null
	# two processes in one stream: one caller node
	jqall "$BATS_TEST_TMPDIR/a.edges" 'map(select(.type=="edge")) | length == 2 and (map(.pid) | unique | length) == 2 and (map(.caller) | unique) == ["[jit:jitfix]!jit_trampoline"]'
	"$TM_BIN/trace-dedup" -o "$BATS_TEST_TMPDIR/d.edges" "$BATS_TEST_TMPDIR/a.edges" \
	    "$BATS_TEST_TMPDIR/b.edges"
	[ "$(edges "$BATS_TEST_TMPDIR/d.edges")" = "[jit:jitfix]!jit_trampoline -> jitfix!jit_callee 9" ]
}

@test "jit sample: a frame-pointer function called from JIT code has the JIT caller" {
	require_bpf
	require_jit
	run "$CAPTURE" --mode sample --freq 499 -o "$BATS_TEST_TMPDIR/o.edges" -- \
	    "$FX/jitfix" spin 2
	[ "$status" -eq 0 ]
	run edges "$BATS_TEST_TMPDIR/o.edges"
	echo "$output"
	[[ "$output" == *"[jit:jitfix]!jit_burner -> jitfix!jit_burn "* ]]
	# how the JIT code keeps its frame is unknown: nothing above it is trusted
	[[ "$output" != *"-> [jit:jitfix]!"* ]]
	jqall "$BATS_TEST_TMPDIR/o.edges" 'map(select(.type=="edge" and .caller_flags == ["jit"])) | length == 1 and .[0].evidence == ["ebpf-sample"] and .[0].count > 10'
}

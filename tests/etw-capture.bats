#!/usr/bin/env bats
# etw-capture (issue 6): --etl on the real Windows recordings of
# ../shared/fixtures/etl - symbolized managed frames, PDB identities, round
# trip through trace-cat, determinism, filters, windows, kernel frames,
# hostile files - and the Windows build (make windows) under wine: the same
# bytes as the Linux build, and a clear failure of live capture.

load helpers

ETW=$TM_BIN/etw-capture
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${TM_WIN_EXE:=$ROOT/build/win/etw-capture.exe}"

# 2020-07-29T00:07:00.6236167Z and the logfile header's EndTime.
X64_START=1595981220623616700
X64_END=1595981230693592300

setup_file() {
	export FX=$BATS_FILE_TMPDIR WINEDEBUG=-all
	[ -x "$ETW" ] || {
		echo "$ETW is missing: run make (or set TM_BIN)" >&2
		return 1
	}
	if [ -d "$TM_SHARED/fixtures/etl" ]; then
		"$BATS_TEST_DIRNAME/fixtures-etl.sh" "$TM_SHARED" "$FX/etl" >/dev/null
		"$ETW" --etl "$FX/etl/net.4.5.2.x64.etl" -o "$FX/x64.es"
		"$TRACE_CAT" "$FX/x64.es" >"$FX/x64.nd"
		"$TRACE_CAT" --all "$FX/x64.es" >"$FX/x64.all"
	fi
	# The Windows build, when mingw-w64 is there (incremental: quick once built).
	if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
		make -C "$ROOT" --no-print-directory windows >"$FX/win-build.log" 2>&1
		echo $? >"$FX/win-build.rc"
	fi
}

setup() {
	tm_setup
}

teardown() {
	tm_teardown
}

need_x64() {
	require_shared fixtures/etl/net.4.5.2.x64.etl.zip
	require_cmd jq
	X64=$FX/etl/net.4.5.2.x64.etl
}

# The .exe and wine: skip only for what the machine lacks, fail on a build error.
need_wine() {
	require_cmd x86_64-w64-mingw32-gcc wine
	local rc
	rc=$(cat "$FX/win-build.rc" 2>/dev/null || echo 1)
	if [ "$rc" = 4 ]; then
		skip "make windows: $(tail -n 1 "$FX/win-build.log")"
	fi
	[ "$rc" = 0 ] && [ -f "$TM_WIN_EXE" ] ||
		fail "$(printf 'make windows failed (%s):\n%s' "$rc" "$(tail -n 20 "$FX/win-build.log")")"
}

# ------------------------------------------------------------------ options

@test "cli: --help on stdout, exit 0; --version" {
	run -0 --separate-stderr "$ETW" --help
	assert_line --index 0 'Usage: etw-capture --etl FILE [OPTIONS]'
	assert_output --partial '--process-name NAME'
	[ -z "$stderr" ]
	run -0 "$ETW" -V
	assert_output --partial 'etw-capture (tracemerge)'
}

@test "cli: usage errors are one line plus the hint, exit 2" {
	run -2 --separate-stderr "$ETW" --etl x.etl --duration 5s
	assert_equal "${stderr_lines[0]}" 'etw-capture: --duration applies to live capture, not to --etl'
	assert_equal "${stderr_lines[1]}" "Try 'etw-capture --help'."
	run -2 --separate-stderr "$ETW" --etl x.etl --pid abc
	assert_equal "${stderr_lines[0]}" "etw-capture: --pid: expected a process id, got 'abc'"
	run -2 --separate-stderr "$ETW" --etl x.etl --window 0
	[[ ${stderr_lines[0]} == 'etw-capture: --window: expected a duration'* ]]
	run -2 --separate-stderr "$ETW" trace.etl
	assert_equal "${stderr_lines[0]}" "etw-capture: unexpected operand 'trace.etl' (a recorded trace is --etl FILE)"
	run -2 --separate-stderr "$ETW" --bogus
	assert_equal "${#stderr_lines[@]}" 2
}

@test "live: the Linux build says live capture needs Windows, exit 4, nothing written" {
	run -4 --separate-stderr "$ETW" -o out.es --duration 1s
	assert_equal "$stderr" 'etw-capture: live capture needs Windows (ETW); here, decode a recorded trace with --etl FILE'
	[ -z "$output" ]
	[ ! -e out.es ]
	[ -z "$(ls)" ]
}

@test "terminal: the binary stream is refused on a terminal without -f" {
	need_x64
	require_cmd script
	run -2 script -qec "'$ETW' --etl '$X64'" /dev/null </dev/null
	assert_output --partial 'etw-capture: refusing to write a binary stream to a terminal'
	run -0 script -qec "'$ETW' --etl '$X64' -f" /dev/null </dev/null
	[[ $output == $'\x28\xb5\x2f\xfd'* ]] || fail "no zstd frame on the terminal"
}

# ------------------------------------------------------------ the x64 recording

@test "x64: a non-empty stream whose header describes the trace" {
	need_x64
	head -n 1 "$FX/x64.all" >header.json
	run -0 jq -r '[.producer, .source, .host, .params.input, .params.kernel, .params.session,
	    .params.os_version, .params.pointer_size, .params.cpus] | join(" ")' header.json
	assert_output "etw-capture 0.1.0 etw BRIANROB-W8 etl no Relogger 6.2.9200 8 8"
	# ns times as text: jq's numbers are doubles.
	grep -q "\"start\":$X64_START,\"end\":$X64_END," header.json || fail "$(cat header.json)"
	# Without --window every edge has the trace's start and end as its window.
	run -0 grep -c "\"window_start\":$X64_START,\"window_end\":$X64_END" "$FX/x64.nd"
	assert_output 4114
	run -0 jq -s 'length' "$FX/x64.nd"
	assert_output 4114
	run -0 jq -s 'map(.count) | add' "$FX/x64.nd"
	assert_output 112721
	# Every edge is an ETW sample inside the trace, in a window holding it.
	run -0 jq -s --argjson s "$X64_START" --argjson e "$X64_END" 'map(select(
	    .evidence != ["etw-sample"] or (.confidence != 50 and .confidence != 25) or
	    .first_seen < $s or .last_seen > $e or .first_seen > .last_seen or
	    .first_seen < .window_start or .last_seen > .window_end or
	    .host != "BRIANROB-W8" or (.pid | type) != "number")) | length' "$FX/x64.nd"
	assert_output 0
	tail -n 1 "$FX/x64.all" >trailer.json
	run -0 jq -c '[.type, .edges]' trailer.json
	assert_output '["trailer",4114]'
}

@test "x64: managed frames are symbolized as Assembly!Namespace.Type::Method, flagged jit" {
	need_x64
	# The test program's Main, called from clr.dll, and its hot path into mscorlib.
	run -0 jq -c 'select(.callee == "Test.x64!Test.Program::Main") | [.caller, .count, .pid, .comm]' "$FX/x64.nd"
	assert_output '["clr.dll+0xa7f3",4912,3676,"Test.x64.exe"]'
	run -0 jq -c 'select(.caller == "mscorlib!System.DateTime::get_Now" and
	    .callee == "mscorlib!System.TimeZoneInfo::GetDateTimeNowUtcOffsetFromUtc") |
	    [.count, .caller_flags, .callee_flags]' "$FX/x64.nd"
	assert_output '[4464,["jit"],["jit"]]'
	run -0 jq -s 'map(select(.caller_flags == ["jit"])) | length' "$FX/x64.nd"
	assert_output 654
	run -0 jq -s 'map(select(.caller_flags == ["jit"] and .callee_flags == ["jit"])) | length' "$FX/x64.nd"
	assert_output 498
	# Native frames stay module+RVA; nothing is a kernel frame without --kernel.
	run -0 jq -s 'map(select((.caller | test("^[^!]+\\+0x[0-9a-f]+$")) and .caller_flags == null)) | length > 1000' "$FX/x64.nd"
	assert_output true
	run -0 jq -s 'map(select((.caller_flags // []) + (.callee_flags // []) | index("kernel"))) | length' "$FX/x64.nd"
	assert_output 0
}

@test "x64: module records carry the PDB identity (ntdll: 6048fdb6-2dcd-41c1-8835-594844ce7143, age 2)" {
	need_x64
	run -0 jq -c 'select(.type == "module" and .name == "ntdll.dll") | [.build_id_kind, .build_id, .path]' "$FX/x64.all"
	assert_line '["pe-rsds","6048FDB62DCD41C18835594844CE71432","\\Device\\HarddiskVolume2\\Windows\\System32\\ntdll.dll"]'
	# WOW64's ntdll of 32-bit processes is another module with its own PDB.
	run -0 jq -r 'select(.type == "module" and .name == "ntdll.dll") | .build_id' "$FX/x64.all"
	assert_line --regexp '^EC83D8DF'
	run -0 jq -s 'map(select(.type == "module" and .build_id_kind == "pe-rsds")) | length > 50' "$FX/x64.all"
	assert_output true
	# The managed assembly's identity is its PDB's (from the CLR's ModuleLoad).
	run -0 jq -r 'select(.type == "module" and .name == "Test.x64") | .build_id_kind' "$FX/x64.all"
	assert_output pe-rsds
}

@test "x64: trace-cat --all | trace-cat --encode rebuilds the stream byte for byte" {
	need_x64
	"$TRACE_CAT" --encode -o again.es "$FX/x64.all"
	cmp again.es "$FX/x64.es"
}

@test "x64: deterministic: the same trace gives the same bytes (file, stdin, -o, stdout)" {
	need_x64
	"$ETW" --etl "$X64" >a.es
	"$ETW" --etl - -o b.es <"$X64"
	cmp a.es "$FX/x64.es"
	cmp b.es "$FX/x64.es"
	"$ETW" --etl "$X64" --kernel --window 1s -o k1.es
	"$ETW" --etl "$X64" --kernel --window 1s -o k2.es
	cmp k1.es k2.es
}

@test "x64: --pid keeps only those processes; --process-name matches the image name" {
	need_x64
	"$ETW" --etl "$X64" --pid 3676 -o p.es
	run -0 jq -s -c 'map(.pid) | unique' <("$TRACE_CAT" p.es)
	assert_output '[3676]'
	run -0 jq -s 'length' <("$TRACE_CAT" p.es)
	assert_output 1285
	# The same edges as the unfiltered stream has for that pid.
	grep '"pid":3676,' "$FX/x64.nd" >want.nd
	"$TRACE_CAT" p.es >got.nd
	cmp got.nd want.nd
	# Case-insensitive, ".exe" optional.
	"$ETW" --etl "$X64" --process-name test.x64 -o n.es
	"$TRACE_CAT" n.es >name.nd
	cmp name.nd want.nd
	run -0 jq -r '.params.process_name' <(head -n 1 <("$TRACE_CAT" --all n.es))
	assert_output test.x64
	# Two pids; a pid that is not there gives an empty, valid stream.
	"$ETW" --etl "$X64" --pid 3676 --pid 3988 -o two.es
	run -0 jq -s -c 'map(.pid) | unique' <("$TRACE_CAT" two.es)
	assert_output '[3676,3988]'
	"$ETW" --etl "$X64" --pid 999999 -o none.es
	run -0 "$TRACE_CAT" none.es
	assert_output ''
	run -0 jq -r '.params.pid' <(head -n 1 <("$TRACE_CAT" --all two.es))
	assert_output '3676,3988'
}

@test "x64: --window splits edges into aligned windows; the counts add up" {
	need_x64
	"$ETW" --etl "$X64" --window 2s -o w.es
	"$TRACE_CAT" w.es >w.nd
	run -0 jq -s -c 'map([.window_start, .window_end]) | unique | map(.[0] % 2000000000, .[1] - .[0]) | unique' w.nd
	assert_output '[0,2000000000]'
	run -0 jq -s 'map([.window_start, .window_end]) | unique | length' w.nd
	assert_output 6
	run -0 jq -s 'map(select(.first_seen < .window_start or .first_seen >= .window_end)) | length' w.nd
	assert_output 0
	run -0 jq -s 'map(.count) | add' w.nd
	assert_output 112721
	run -0 jq -r '.params.window_ns' <(head -n 1 <("$TRACE_CAT" --all w.es))
	assert_output 2000000000
}

@test "x64: --kernel adds kernel frames, flagged, and the user->kernel edges" {
	need_x64
	"$ETW" --etl "$X64" --kernel -o k.es
	"$TRACE_CAT" k.es >k.nd
	run -0 jq -s 'map(select((.caller_flags // []) + (.callee_flags // []) | index("kernel"))) | length' k.nd
	assert_output 2434
	# The user edges are all still there.
	run -0 jq -s 'map(select((.caller_flags // []) + (.callee_flags // []) | index("kernel") | not)) | length' k.nd
	assert_output 4114
	run -0 jq -s 'map(select(.caller_flags == null and (.callee_flags // [] | index("kernel")))) | length > 100' k.nd
	assert_output true
	run -0 jq -r 'select(.type == "module" and .name == "ntoskrnl.exe") | .build_id_kind' <("$TRACE_CAT" --all k.es)
	assert_output pe-rsds
	run -0 jq -r '.params.kernel' <(head -n 1 <("$TRACE_CAT" --all k.es))
	assert_output yes
}

@test "x64: -v prints one summary line with the decode rate" {
	need_x64
	run -0 --separate-stderr "$ETW" --etl "$X64" -v -o v.es
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} =~ ^etw-capture:\ .*net\.4\.5\.2\.x64\.etl:\ 4\.7\ MiB,\ 360\ buffers\ \(359\ compressed\),\ 179474\ events,\ 79528\ samples,.*\ 4114\ edges\;\ .*MB/s$ ]] ||
		fail "unexpected summary: $stderr"
	cmp v.es "$FX/x64.es"
}

@test "other recordings: no samples is an empty stream and a warning; the computer name becomes the host" {
	require_shared fixtures/etl/ShutdownPerfDiagLogger.etl
	require_cmd jq
	run -0 --separate-stderr "$ETW" --etl "$TM_SHARED/fixtures/etl/ShutdownPerfDiagLogger.etl" -o a.es
	tm_one_line_error etw-capture "warning" 'no SampledProfile events'
	run -0 "$TRACE_CAT" a.es
	assert_output ''
	run -0 jq -c '[.params.os_version, .params.session, .host]' <(head -n 1 <("$TRACE_CAT" --all a.es))
	assert_output '["10.0.18362","PerfDiag Logger",null]'
	run -0 --separate-stderr "$ETW" --etl "$TM_SHARED/fixtures/etl/ShutdownPerfDiagLogger.etl" -q -o b.es
	[ -z "$stderr" ]
	require_shared fixtures/etl/diaghub-dotnetcore3.1-win-x64-diagsession.zip
	run -0 --separate-stderr "$ETW" --etl "$FX/etl/diaghub-dotnetcore3.1-win-x64-diagsession/diaghub.kernel.1.etl" -q -o c.es
	[ -z "$stderr" ]
	run -0 jq -r '.host' <(head -n 1 <("$TRACE_CAT" --all c.es))
	assert_output liha-test
}

# ------------------------------------------------------------ hostile files

@test "hostile: a truncated recording is exit 3 and one line, and leaves no output" {
	need_x64
	head -c 2000000 "$X64" >trunc.etl
	run -3 --separate-stderr "$ETW" --etl trunc.etl -o out.es
	tm_one_line_error etw-capture trunc.etl 'buffer 183 at offset 1987562: truncated \(14822 bytes declared, 12438 left\)$'
	[ ! -e out.es ]
	[ -z "$(ls -A | grep -v trunc.etl)" ]
	head -c 100 "$X64" >tiny.etl
	run -3 --separate-stderr "$ETW" --etl tiny.etl -o out.es
	tm_one_line_error etw-capture tiny.etl 'truncated'
	: >empty.etl
	run -3 --separate-stderr "$ETW" --etl empty.etl -o out.es
	tm_one_line_error etw-capture empty.etl 'no buffers'
	printf 'not a trace at all, just text\n' >text.etl
	run -3 --separate-stderr "$ETW" --etl text.etl
	tm_one_line_error etw-capture text.etl
}

@test "hostile: byte-flipped recordings give exit 0 or 3 with one line, never a crash" {
	need_x64
	cp "$X64" flip.etl
	# A compressed buffer's data: caught by the XPRESS decoder.
	printf '\x5a' | dd of=flip.etl bs=1 seek=5503 conv=notrunc status=none
	run -3 --separate-stderr "$ETW" --etl flip.etl -o out.es
	tm_one_line_error etw-capture flip.etl 'buffer 1 at offset 512: XPRESS data'
	# The second buffer's BufferSize.
	cp "$X64" size.etl
	printf '\xff\xff\xff\x7f' | dd of=size.etl bs=1 seek=512 conv=notrunc status=none
	run -3 --separate-stderr "$ETW" --etl size.etl -o out.es
	tm_one_line_error etw-capture size.etl 'buffer 1 at offset 512: bad BufferSize'
	[ ! -e out.es ]
	# Flips spread over the file: whatever they hit, a clean answer.
	flip_one() {
		local i=$1 off rc=0
		off=$(( (i * 2654435761 + 12345) % 4879401 ))
		cp "$X64" "f$i.etl"
		printf '\xa5' | dd of="f$i.etl" bs=1 seek="$off" conv=notrunc status=none
		"$ETW" --etl "f$i.etl" -o "f$i.es" 2>"f$i.err" || rc=$?
		echo "$i $off $rc $(wc -l <"f$i.err")"
		rm -f "f$i.etl"
	}
	tm_parallel 24 flip_one >flips.txt
	run -0 awk '!(($3 == 0 && $4 == 0) || ($3 == 3 && $4 == 1))' flips.txt
	assert_output ''
	run -0 awk '$3 == 3' flips.txt
	[ "${#lines[@]}" -ge 1 ] || fail "no flip was detected: $(cat flips.txt)"
}

@test "io: a missing file or a directory is exit 4" {
	run -4 --separate-stderr "$ETW" --etl nonexistent.etl
	tm_one_line_error etw-capture nonexistent.etl 'No such file or directory'
	run -4 --separate-stderr "$ETW" --etl .
	tm_one_line_error etw-capture . 'is a directory'
}

@test "io: -o /dev/null writes to the device and leaves it one" {
	need_x64
	run -0 "$ETW" --etl "$X64" -o /dev/null
	[ -c /dev/null ] || fail "/dev/null was replaced by a file"
}

# ------------------------------------------------------------ the Windows build

@test "windows: etw-capture.exe --help works under wine" {
	need_wine
	run -0 --separate-stderr wine "$TM_WIN_EXE" --help
	assert_line --index 0 'Usage: etw-capture --etl FILE [OPTIONS]'
	run -2 --separate-stderr wine "$TM_WIN_EXE" --etl x.etl --duration 1s
	# The Windows C runtime ends stderr lines with CR LF.
	assert_equal "${stderr_lines[0]%$'\r'}" 'etw-capture: --duration applies to live capture, not to --etl'
}

@test "windows: etw-capture.exe --etl gives the same bytes as the Linux build" {
	need_wine
	need_x64
	cp "$X64" x64.etl
	run -0 wine "$TM_WIN_EXE" --etl x64.etl -o out.es
	cmp out.es "$FX/x64.es"
	# Again over an existing output (Windows' rename does not replace), and on stdout.
	run -0 wine "$TM_WIN_EXE" --etl x64.etl -o out.es --kernel --window 2s
	"$ETW" --etl x64.etl -o linux.es --kernel --window 2s
	cmp out.es linux.es
	wine "$TM_WIN_EXE" --etl x64.etl >stdout.es
	cmp stdout.es "$FX/x64.es"
	[ -z "$(ls -A | grep -v -e '^x64.etl$' -e '^out.es$' -e '^linux.es$' -e '^stdout.es$')" ]
}

@test "windows: decoder errors are the same one line and exit 3 under wine" {
	need_wine
	need_x64
	head -c 2000000 "$X64" >trunc.etl
	run -3 --separate-stderr wine "$TM_WIN_EXE" --etl trunc.etl -o out.es
	assert_equal "${stderr_lines[${#stderr_lines[@]}-1]%$'\r'}" 'etw-capture: trunc.etl: buffer 183 at offset 1987562: truncated (14822 bytes declared, 12438 left)'
	[ ! -e out.es ]
}

@test "windows: live capture under wine fails with a clear message (wine stubs ETW), exit 4" {
	need_wine
	run -4 --separate-stderr wine "$TM_WIN_EXE" --duration 1s -o live.es
	assert_equal "${stderr_lines[${#stderr_lines[@]}-1]%$'\r'}" "etw-capture: live capture: TraceSetInformation: ETW is not implemented here (wine $(wine --version 2>/dev/null | sed -n 's/^wine-\([0-9.]*\).*/\1/p') stubs it); decode a trace recorded on Windows with --etl FILE"
	[ -z "$output" ]
	[ ! -e live.es ]
}

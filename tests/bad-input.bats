#!/usr/bin/env bats
# Bad-input matrix (issue 9): every binary, on every kind of bad input it can
# be given - empty, not its format, cut at many offsets, bytes changed, a
# wrong format version, a directory, an unreadable file, a full disk on -o and
# a full standard output - exits with its documented status (3 bad data,
# 4 environment), prints exactly one line "PROG: FILE: ..." on stderr naming
# the file at fault, and leaves no output file and no temporary file behind.
#
# A "subject" is one binary reading one kind of input:
#   cat        trace-cat -o OUT STREAM            (decode)
#   stats      trace-cat --stats -o OUT STREAM
#   encode     trace-cat --encode -o OUT NDJSON
#   dedup      trace-dedup -o OUT STREAM
#   merge      trace-merge --static GOOD.ci -o OUT STREAM   (runtime input)
#   static     trace-merge --static GRAPH --no-runtime -o OUT
#   conflicts  trace-conflicts -o OUT MERGED-STREAM    (the report on stdout)
#   conflicts-static  trace-conflicts --static GRAPH -o OUT MERGED-STREAM
#   etw        etw-capture --etl ETL -o OUT
#   probes     trace-capture --probe-file FILE -o OUT -- true
# Inputs are made here: streams with trace-cat --encode, the static graph with
# gcc -fcallgraph-info, the .etl from the recordings in ../shared/fixtures/etl
# (the first 40 buffers of net.4.5.2.x64.etl), the rest with
# tests/data/hostile/gen.py.

load helpers

GEN=$BATS_TEST_DIRNAME/data/hostile/gen.py
SUBJECTS="cat stats encode dedup merge static conflicts conflicts-static etw probes"

# The NDJSON the good stream is made from: two modules, a coverage record,
# a trailer with a loss, and 60 more edges (a few KiB of stream).
good_nd() {
	cat <<'EOF'
{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"bad-input","host":"h1","source":"ebpf","start":1000,"end":9000,"params":{"mode":"probe"}}
{"type":"module","name":"app","path":"/usr/bin/app","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"edge","caller":"app!main","caller_build_id":"aabbccdd","callee":"app!on_text","callee_build_id":"aabbccdd","count":3,"first_seen":1500,"last_seen":2500,"evidence":["ebpf-probe"],"confidence":90,"site":"app.c:10","window_start":1000,"window_end":9000,"pid":42,"comm":"app"}
{"type":"edge","caller":"app!on_text","caller_build_id":"aabbccdd","callee":"libc.so.6!strlen","count":1,"first_seen":1600,"last_seen":1600}
{"type":"coverage","node":"app!on_text","node_build_id":"aabbccdd","method":"entry-probe","start":1000,"end":9000}
EOF
	tm_edges 60 app libx.so.1
}

setup_file() {
	export FX=$BATS_FILE_TMPDIR
	cd "$FX" || return 1
	[ -x "$TRACE_CAT" ] || {
		echo "$TRACE_CAT is missing: run make (or set TM_BIN)" >&2
		return 1
	}
	good_nd >good.nd
	"$TRACE_CAT" --encode -o good.es good.nd || return 1
	# The static graph and the merged stream trace-conflicts reads.
	if command -v gcc >/dev/null 2>&1; then
		gcc -O0 -fcallgraph-info -c -I"$BATS_TEST_DIRNAME/data/merge" \
		    "$BATS_TEST_DIRNAME/data/merge/app.c" -o app.o 2>/dev/null && [ -s app.ci ] ||
			echo "gcc -fcallgraph-info failed" >gcc-failed
		if [ -s app.ci ] && [ -x "$TM_BIN/trace-merge" ]; then
			"$TM_BIN/trace-merge" -q --static app.ci -o merged.es good.es ||
				echo "trace-merge on the good inputs failed" >merge-failed
		fi
	fi
	# The .etl: the first 40 buffers of a real recording (580 KiB, 518 edges).
	if [ -f "$TM_SHARED/fixtures/etl/net.4.5.2.x64.etl.zip" ]; then
		"$BATS_TEST_DIRNAME/fixtures-etl.sh" "$TM_SHARED" "$FX/etl" >/dev/null &&
			python3 "$GEN" etl prefix:40 "$FX/etl/net.4.5.2.x64.etl" good.etl
	fi
	printf 'libc.so.6:getpid\n' >good.probes
	# Wrong versions.
	python3 "$GEN" stream major2 major2.es
	sed '1s/"major":1/"major":2/' good.nd >major2.nd
	[ ! -f good.etl ] || python3 "$GEN" etl lznt1 good.etl lznt1.etl
	# Not the expected format.
	printf 'hello, world\n' >text.txt
	zstd -q -c text.txt >text.zst
	cp /bin/true elf.bin
	return 0
}

setup() {
	tm_setup
	mkdir -p in out
}

teardown() {
	if [ -n "${TM_MOUNT:-}" ]; then
		umount "$TM_MOUNT" 2>/dev/null || umount -l "$TM_MOUNT" 2>/dev/null
	fi
	if [ -n "${TM_WORLD:-}" ]; then
		rm -rf "$TM_WORLD"
	fi
	tm_teardown
}

# ---- subjects ----

# subject_bin SUBJ: the binary's name, printed and in SUBJECT_BIN.
subject_bin() {
	case $1 in
	cat | stats | encode) SUBJECT_BIN=trace-cat ;;
	dedup) SUBJECT_BIN=trace-dedup ;;
	merge | static) SUBJECT_BIN=trace-merge ;;
	conflicts | conflicts-static) SUBJECT_BIN=trace-conflicts ;;
	etw) SUBJECT_BIN=etw-capture ;;
	probes) SUBJECT_BIN=trace-capture ;;
	*) return 1 ;;
	esac
	echo "$SUBJECT_BIN"
}

# The good input of a subject, under $FX.
subject_good() {
	case $1 in
	cat | stats | dedup | merge) echo "$FX/good.es" ;;
	conflicts) echo "$FX/merged.es" ;;
	encode) echo "$FX/good.nd" ;;
	static | conflicts-static) echo "$FX/app.ci" ;;
	etw) echo "$FX/good.etl" ;;
	probes) echo "$FX/good.probes" ;;
	esac
}

# need_subject SUBJ: skip with the reason when the binary or its inputs are
# not there (CI has them all).
need_subject() {
	local b
	b=$(subject_bin "$1") || fail "unknown subject $1"
	[ -x "$TM_BIN/$b" ] || skip "$b not built"
	case $1 in
	merge | static | conflicts | conflicts-static)
		command -v gcc >/dev/null 2>&1 || skip "needs gcc"
		[ ! -e "$FX/gcc-failed" ] || fail "$(cat "$FX/gcc-failed")"
		;;
	esac
	case $1 in
	conflicts | conflicts-static) [ ! -e "$FX/merge-failed" ] || fail "$(cat "$FX/merge-failed")" ;;
	etw) require_shared fixtures/etl/net.4.5.2.x64.etl.zip ;;
	esac
	true
}

# subject_cmd SUBJ IN OUT: the command line, in the array CMD; with OUT
# empty, no -o: the output (trace-conflicts: the report) goes to stdout.
subject_cmd() {
	local b o=()
	subject_bin "$1" >/dev/null
	b=$TM_BIN/$SUBJECT_BIN
	[ -z "$3" ] || o=(-o "$3")
	case $1 in
	cat) CMD=("$b" "${o[@]}" "$2") ;;
	stats) CMD=("$b" --stats "${o[@]}" "$2") ;;
	encode) CMD=("$b" --encode "${o[@]}" "$2") ;;
	dedup) CMD=("$b" "${o[@]}" "$2") ;;
	merge) CMD=("$b" --static "${APP_CI:-$FX/app.ci}" "${o[@]}" "$2") ;;
	static) CMD=("$b" --static "$2" --no-runtime "${o[@]}") ;;
	conflicts) CMD=("$b" "${o[@]}" "$2") ;;
	conflicts-static) CMD=("$b" --static "$2" "${o[@]}" "${MERGED:-$FX/merged.es}") ;;
	etw) CMD=("$b" --etl "$2" "${o[@]}") ;;
	probes) CMD=("$b" --probe-file "$2" "${o[@]}" -- true) ;;
	esac
}

# check_one SUBJ IN OUTDIR ALLOWED [NAME]: run SUBJ on IN with -o OUTDIR/result
# (stdout goes to /dev/null: the report of trace-conflicts). Prints nothing
# when the run is acceptable, else one line saying what is wrong. ALLOWED is
# the set of acceptable exit statuses ("3", "0 3", ...). On an error: exactly
# one stderr line "PROG: NAME: ..." or "PROG: NAME:LINE: ..." (NAME defaults
# to IN; "*" accepts any "PROG: ..." line), and OUTDIR empty; on success:
# OUTDIR holds exactly the result, which is left there.
check_one() {
	local subj=$1 in=$2 dir=$3 allowed=$4 name=${5:-$2} prog rc=0 err=$3.err left
	local -a lines files
	subject_bin "$subj" >/dev/null || return 1
	prog=$SUBJECT_BIN
	subject_cmd "$subj" "$in" "$dir/result"
	"${CMD[@]}" >/dev/null 2>"$err" <"${STDIN:-/dev/null}" || rc=$?
	mapfile -t lines <"$err"
	shopt -s nullglob dotglob
	files=("$dir"/*)
	shopt -u nullglob dotglob
	left=${files[*]}
	left=${left//"$dir/"/}
	if [[ " $allowed " != *" $rc "* ]]; then
		echo "$subj $in: exit $rc (expected $allowed): ${lines[*]:0:3}"
	elif [ "$rc" -eq 0 ]; then
		[ "$left" = result ] || echo "$subj $in: exit 0 but the output directory holds: $left"
	else
		if [ "${#lines[@]}" -ne 1 ]; then
			echo "$subj $in: exit $rc with ${#lines[@]} lines on stderr: ${lines[*]:0:3}"
		elif ! [[ $name == "*" && ${lines[0]} == "$prog: "* ||
		    ${lines[0]} == "$prog: $name: "* || ${lines[0]} == "$prog: $name:"[0-9]*": "* ]]; then
			echo "$subj $in: the error does not start with '$prog: $name: ': ${lines[0]}"
		fi
		[ -z "$left" ] || echo "$subj $in: exit $rc but left in the output directory: $left"
	fi
}

# expect SUBJ IN ALLOWED [NAME]: check_one in a fresh output directory, and
# fail with its message.
expect() {
	local msg
	rm -rf out && mkdir out
	msg=$(check_one "$1" "$2" out "$3" "${4:-}")
	[ -z "$msg" ] || fail "$msg"
}

# ---- the cases ----

case_empty() {
	need_subject "$1"
	: >in/empty
	case $1 in
	encode)
		# Documented: empty NDJSON is a valid stream of one empty segment.
		expect "$1" in/empty 0
		run -0 "$TRACE_CAT" --all out/result
		assert_line --index 0 --partial '"type":"header"'
		;;
	probes)
		# No probes at all: the usage error "no function matches the probes" (2)
		# or bad data (3); either way one line and no output.
		expect "$1" in/empty "2 3" "*"
		;;
	*) expect "$1" in/empty 3 ;;
	esac
}

# case_not_format SUBJ: files of another format.
case_not_format() {
	need_subject "$1"
	local f
	case $1 in
	encode) set -- "$1" elf.bin good.es ;;
	static | conflicts-static) set -- "$1" elf.bin text.zst ;;
	etw) set -- "$1" text.txt elf.bin good.es ;;
	probes) set -- "$1" elf.bin ;;
	*) set -- "$1" text.txt text.zst elf.bin good.nd ;;
	esac
	for f in "${@:2}"; do
		cp "$FX/$f" "in/$f"
		expect "$1" "in/$f" 3
	done
}

# case_cuts SUBJ: the good input cut at the first 8 offsets, at 24 more
# spread over it and one byte before its end. A cut stream is always an error; NDJSON, a .ci file and an
# .etl may be cut at a line or buffer boundary and still be valid (exit 0).
case_cuts() {
	need_subject "$1"
	local good len k allowed=3 fails
	good=$(subject_good "$1")
	len=$(stat -c %s "$good")
	case $1 in encode | static | conflicts-static | etw) allowed="0 3" ;; esac
	for ((k = 1; k < 8 && k < len; k++)); do
		head -c "$k" "$good" >"in/cut.$k"
	done
	for ((k = 8; k < len; k += (len - 8) / 24 + 1)); do
		head -c "$k" "$good" >"in/cut.$k"
	done
	head -c $((len - 1)) "$good" >"in/cut.$((len - 1))"
	cut_one() {
		local f=${CUTS[$1]}
		mkdir -p "out.$1"
		check_one "$SUBJ" "$f" "out.$1" "$allowed"
	}
	SUBJ=$1
	CUTS=(in/cut.*)
	fails=$(tm_parallel "${#CUTS[@]}" cut_one)
	[ -z "$fails" ] || fail "$(printf '%s of %s cuts misbehave:\n%s' "$(wc -l <<<"$fails")" "${#CUTS[@]}" "$fails")"
}

# case_flips SUBJ: 24 seeded copies with 1-4 bytes changed: exit 3 (one line,
# no output) or exit 0; a stream whose bytes changed and still decodes must
# give the same output as the original (zstd checksums every frame).
case_flips() {
	need_subject "$1"
	local good fails ref=""
	good=$(subject_good "$1")
	python3 "$GEN" flips "$good" in/flip 24 9 || fail "gen.py flips failed"
	case $1 in
	cat | stats | dedup | merge | conflicts)
		mkdir -p ref
		subject_cmd "$1" "$good" ref/result
		"${CMD[@]}" >/dev/null 2>&1 || fail "$1 on the good input failed"
		ref=ref/result
		;;
	esac
	flip_one() {
		local f=in/flip.$1 msg
		mkdir -p "out.$1"
		msg=$(check_one "$SUBJ" "$f" "out.$1" "0 3")
		[ -z "$msg" ] || echo "$msg"
		if [ -z "$msg" ] && [ -n "$REF" ] && [ -f "out.$1/result" ] &&
		    ! cmp -s "$REF" "out.$1/result"; then
			echo "$SUBJ $f: exit 0 but the output differs from the good input's"
		fi
		rm -f "out.$1/result"
	}
	SUBJ=$1 REF=$ref
	if [ "$1" = stats ]; then
		REF=	# --stats names the input in its output
	fi
	fails=$(tm_parallel 24 flip_one)
	[ -z "$fails" ] || fail "$(printf '%s of 24 flipped copies misbehave:\n%s' "$(wc -l <<<"$fails")" "$fails")"
}

case_version() {
	need_subject "$1"
	case $1 in
	encode) cp "$FX/major2.nd" in/major2.nd && expect "$1" in/major2.nd 3 ;;
	etw) cp "$FX/lznt1.etl" in/lznt1.etl && expect "$1" in/lznt1.etl 3 ;;
	*) cp "$FX/major2.es" in/major2.es && expect "$1" in/major2.es 3 ;;
	esac
}

case_directory() {
	need_subject "$1"
	mkdir -p in/dir
	case $1 in
	# A directory of .ci files is a static graph; one without any is bad data.
	static | conflicts-static) expect "$1" in/dir 3 ;;
	*) expect "$1" in/dir 4 ;;
	esac
}

# case_stdin SUBJ: a cut input on standard input ("-") is named (stdin).
case_stdin() {
	need_subject "$1"
	local good len
	good=$(subject_good "$1")
	len=$(stat -c %s "$good")
	head -c $((len / 2)) "$good" >in/half
	case $1 in
	encode) printf '{"type":"edge","caller":' >in/half ;;	# an unfinished line
	static) printf 'graph: { title: "a.c"\nnode: { title: "ma' >in/half ;;
	esac
	STDIN=in/half expect "$1" - 3 "(stdin)"
}

case_missing() {
	need_subject "$1"
	expect "$1" in/no-such-file 4
}

# case_unreadable SUBJ: a file the (unprivileged) user cannot read, in a
# directory tree it can enter; the output directory is writable by it.
case_unreadable() {
	need_subject "$1"
	require_root "to drop privileges"
	require_cmd setpriv
	local good msg
	good=$(subject_good "$1")
	TM_WORLD=$(mktemp -d /tmp/tm-unreadable.XXXXXX)
	chmod 755 "$TM_WORLD"
	mkdir "$TM_WORLD/out" && chmod 777 "$TM_WORLD/out"
	cp "$good" "$TM_WORLD/input" && chmod 600 "$TM_WORLD/input"
	# The other inputs of the command, readable by the user.
	cp "$FX/app.ci" "$TM_WORLD/app.ci" 2>/dev/null && chmod 644 "$TM_WORLD/app.ci"
	cp "$FX/merged.es" "$TM_WORLD/merged.es" 2>/dev/null && chmod 644 "$TM_WORLD/merged.es"
	APP_CI=$TM_WORLD/app.ci MERGED=$TM_WORLD/merged.es
	subject_cmd "$1" "$TM_WORLD/input" "$TM_WORLD/out/result"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "${CMD[@]}"
	assert_failure 4
	tm_one_line_error "$(subject_bin "$1")" "$TM_WORLD/input" 'Permission denied'
	[ -z "$(ls -A "$TM_WORLD/out")" ] || fail "left in the output directory: $(ls -A "$TM_WORLD/out")"
}

# mount_full DIR: a 64 KiB tmpfs at DIR, filled up.
mount_full() {
	require_root "to mount a tmpfs"
	mkdir -p "$1"
	mount -t tmpfs -o size=64k tmpfs "$1" 2>/dev/null || skip "mount -t tmpfs not permitted here"
	TM_MOUNT=$(cd "$1" && pwd)
	dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || true	# ends with ENOSPC
	[ "$(df -k --output=avail "$1" | tail -n 1 | tr -d ' ')" = 0 ] || fail "could not fill the tmpfs"
}

case_full_disk() {
	need_subject "$1"
	local good
	good=$(subject_good "$1")
	if [ "$1" = probes ]; then
		require_root "for BPF"
		require_btf
	fi
	mount_full full
	subject_cmd "$1" "$good" full/result
	run --separate-stderr "${CMD[@]}"
	assert_failure 4
	tm_one_line_error "$(subject_bin "$1")" full/result 'No space left on device'
	assert_equal "$(ls -A full)" fill
}

case_full_stdout() {
	need_subject "$1"
	local good
	good=$(subject_good "$1")
	if [ "$1" = probes ]; then
		require_root "for BPF"
		require_btf
	fi
	subject_cmd "$1" "$good" ""
	run --separate-stderr bash -c '"$@" >/dev/full' - "${CMD[@]}"
	assert_failure 4
	tm_one_line_error "$(subject_bin "$1")" "(stdout)" 'No space left on device'
}

# ---- coverage of the matrix ----

@test "matrix: every binary in TM_BIN has subjects here" {
	local f b known
	for f in "$TM_BIN"/*; do
		[ -x "$f" ] || continue
		b=$(basename "$f")
		known=
		for s in $SUBJECTS; do
			[ "$(subject_bin "$s")" = "$b" ] && known=1
		done
		[ -n "$known" ] || fail "$b has no subject in tests/bad-input.bats"
	done
}

# ---- trace-cat (decode) ----
@test "trace-cat: empty input" { case_empty cat; }
@test "trace-cat: not a stream (text, zstd text, ELF, NDJSON)" { case_not_format cat; }
@test "trace-cat: a stream cut at 32 offsets" { case_cuts cat; }
@test "trace-cat: 24 byte-flipped streams" { case_flips cat; }
@test "trace-cat: wrong format version" { case_version cat; }
@test "trace-cat: a directory" { case_directory cat; }
@test "trace-cat: a missing file" { case_missing cat; }
@test "trace-cat: a cut stream on stdin is named (stdin)" { case_stdin cat; }
@test "trace-cat: an unreadable file" { case_unreadable cat; }
@test "trace-cat: full disk on -o" { case_full_disk cat; }
@test "trace-cat: full standard output" { case_full_stdout cat; }

# ---- trace-cat --stats ----
@test "trace-cat --stats: empty input" { case_empty stats; }
@test "trace-cat --stats: not a stream" { case_not_format stats; }
@test "trace-cat --stats: a stream cut at 32 offsets" { case_cuts stats; }
@test "trace-cat --stats: 24 byte-flipped streams" { case_flips stats; }
@test "trace-cat --stats: wrong format version" { case_version stats; }
@test "trace-cat --stats: full disk on -o" { case_full_disk stats; }

# ---- trace-cat --encode (NDJSON) ----
@test "trace-cat --encode: empty input is an empty stream (documented)" { case_empty encode; }
@test "trace-cat --encode: not NDJSON (ELF, a stream)" { case_not_format encode; }
@test "trace-cat --encode: NDJSON cut at 32 offsets" { case_cuts encode; }
@test "trace-cat --encode: 24 byte-flipped NDJSON files" { case_flips encode; }
@test "trace-cat --encode: a header with major version 2" { case_version encode; }
@test "trace-cat --encode: a directory" { case_directory encode; }
@test "trace-cat --encode: a missing file" { case_missing encode; }
@test "trace-cat --encode: a cut line on stdin is named (stdin)" { case_stdin encode; }
@test "trace-cat --encode: an unreadable file" { case_unreadable encode; }
@test "trace-cat --encode: full disk on -o" { case_full_disk encode; }
@test "trace-cat --encode: full standard output" { case_full_stdout encode; }

# ---- trace-dedup ----
@test "trace-dedup: empty input" { case_empty dedup; }
@test "trace-dedup: not a stream" { case_not_format dedup; }
@test "trace-dedup: a stream cut at 32 offsets" { case_cuts dedup; }
@test "trace-dedup: 24 byte-flipped streams" { case_flips dedup; }
@test "trace-dedup: wrong format version" { case_version dedup; }
@test "trace-dedup: a directory" { case_directory dedup; }
@test "trace-dedup: a missing file" { case_missing dedup; }
@test "trace-dedup: a cut stream on stdin is named (stdin)" { case_stdin dedup; }
@test "trace-dedup: an unreadable file" { case_unreadable dedup; }
@test "trace-dedup: full disk on -o" { case_full_disk dedup; }
@test "trace-dedup: full standard output" { case_full_stdout dedup; }

# ---- trace-merge, runtime stream ----
@test "trace-merge: empty runtime stream" { case_empty merge; }
@test "trace-merge: runtime input not a stream" { case_not_format merge; }
@test "trace-merge: runtime stream cut at 32 offsets" { case_cuts merge; }
@test "trace-merge: 24 byte-flipped runtime streams" { case_flips merge; }
@test "trace-merge: runtime stream of a wrong format version" { case_version merge; }
@test "trace-merge: runtime operand is a directory" { case_directory merge; }
@test "trace-merge: runtime operand missing" { case_missing merge; }
@test "trace-merge: a cut runtime stream on stdin is named (stdin)" { case_stdin merge; }
@test "trace-merge: unreadable runtime stream" { case_unreadable merge; }
@test "trace-merge: full disk on -o" { case_full_disk merge; }
@test "trace-merge: full standard output" { case_full_stdout merge; }

# ---- trace-merge --static ----
@test "trace-merge --static: empty graph file" { case_empty static; }
@test "trace-merge --static: not a graph (ELF, zstd text)" { case_not_format static; }
@test "trace-merge --static: a .ci cut at 32 offsets" { case_cuts static; }
@test "trace-merge --static: 24 byte-flipped .ci files" { case_flips static; }
@test "trace-merge --static: a static stream of a wrong format version" { case_version static; }
@test "trace-merge --static: a directory without .ci files" { case_directory static; }
@test "trace-merge --static: a missing file" { case_missing static; }
@test "trace-merge --static: a cut .ci on stdin is named (stdin)" { case_stdin static; }
@test "trace-merge --static: an unreadable file" { case_unreadable static; }

# ---- trace-conflicts ----
@test "trace-conflicts: empty input" { case_empty conflicts; }
@test "trace-conflicts: not a stream" { case_not_format conflicts; }
@test "trace-conflicts: a merged stream cut at 32 offsets" { case_cuts conflicts; }
@test "trace-conflicts: 24 byte-flipped merged streams" { case_flips conflicts; }
@test "trace-conflicts: wrong format version" { case_version conflicts; }
@test "trace-conflicts: a directory" { case_directory conflicts; }
@test "trace-conflicts: a missing file" { case_missing conflicts; }
@test "trace-conflicts: a cut merged stream on stdin is named (stdin)" { case_stdin conflicts; }
@test "trace-conflicts: an unreadable file" { case_unreadable conflicts; }
@test "trace-conflicts: full disk on -o" { case_full_disk conflicts; }
@test "trace-conflicts: full standard output (the report)" { case_full_stdout conflicts; }

# ---- trace-conflicts --static ----
@test "trace-conflicts --static: empty graph file" { case_empty conflicts-static; }
@test "trace-conflicts --static: not a graph (ELF, zstd text)" { case_not_format conflicts-static; }
@test "trace-conflicts --static: a .ci cut at 32 offsets" { case_cuts conflicts-static; }
@test "trace-conflicts --static: 24 byte-flipped .ci files" { case_flips conflicts-static; }
@test "trace-conflicts --static: a directory without .ci files" { case_directory conflicts-static; }
@test "trace-conflicts --static: a missing file" { case_missing conflicts-static; }
@test "trace-conflicts --static: an unreadable file" { case_unreadable conflicts-static; }

# ---- etw-capture --etl ----
@test "etw-capture: empty .etl" { case_empty etw; }
@test "etw-capture: not an .etl (text, ELF, a stream)" { case_not_format etw; }
@test "etw-capture: an .etl cut at 32 offsets" { case_cuts etw; }
@test "etw-capture: 24 byte-flipped .etl files" { case_flips etw; }
@test "etw-capture: a buffer compressed with an unsupported format (LZNT1)" { case_version etw; }
@test "etw-capture: a directory" { case_directory etw; }
@test "etw-capture: a missing file" { case_missing etw; }
@test "etw-capture: a cut .etl on stdin is named (stdin)" { case_stdin etw; }
@test "etw-capture: an unreadable file" { case_unreadable etw; }
@test "etw-capture: full disk on -o" { case_full_disk etw; }
@test "etw-capture: full standard output" { case_full_stdout etw; }

# ---- trace-capture --probe-file ----
@test "trace-capture: empty probe file" { case_empty probes; }
@test "trace-capture: a probe file that is not text (ELF)" { case_not_format probes; }
@test "trace-capture: a probe file that is a directory" { case_directory probes; }
@test "trace-capture: a missing probe file" { case_missing probes; }

@test "trace-capture: a probe file line with a NUL byte is bad data at FILE:1, not 'line too long'" {
	need_subject probes
	printf 'libc.so.6:get\000pid\n' >in/nul.probes
	expect probes in/nul.probes 3
	run --separate-stderr "$TM_BIN/trace-capture" --probe-file in/nul.probes -o out/result -- true
	tm_one_line_error trace-capture in/nul.probes:1
	[[ $stderr != *'too long'* ]] || fail "a 17-byte line reported as too long: $stderr"
}
@test "trace-capture: an unreadable probe file" { case_unreadable probes; }
@test "trace-capture: full disk on -o" { case_full_disk probes; }
@test "trace-capture: full standard output" { case_full_stdout probes; }

#!/usr/bin/env bats
# trace-dedup: the laws (idempotent, order-independent, associative, all
# byte-identical), folding, edge and module identity, windows, spilling,
# signals, errors and progress (issue 3). Inputs are NDJSON encoded here with
# trace-cat --encode, and synthetic streams from build/bench/gen-stream.

load helpers

DEDUP=$TM_BIN/trace-dedup
: "${TM_BUILD:=$BATS_TEST_DIRNAME/../build}"
GEN=$TM_BUILD/bench/gen-stream

# Times: T0 = 1700000000 s (2023-11-14T22:13:20Z), not a multiple of 5 min;
# its 5-minute window starts at 1699999800 s. All times in ns.
U64_MAX=18446744073709551615

# Three inputs that overlap: the same edges on several hosts and pids, one
# library (build id aabbccdd) under three names and paths, another library
# with the same name and a different build id, unsymbolized nodes, edges with
# and without context, without first_seen, spanning windows, coverage that
# overlaps across inputs, losses, several segments, a near-saturated count.
write_a() {
	cat <<'EOF'
{"type":"header","producer":"test","host":"h1","source":"ebpf","start":1700000000000000000,"end":1700000600000000000}
{"type":"module","name":"libx.so.1","path":"/usr/lib/libx.so.1","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"module","name":"app","path":"/usr/bin/app"}
{"type":"edge","caller":"app!main","callee":"libx.so.1!parse","callee_build_id":"aabbccdd","count":3,"first_seen":1700000010000000000,"last_seen":1700000020000000000,"evidence":["ebpf-probe"],"confidence":90,"pid":42,"comm":"app"}
{"type":"edge","caller":"app!main","callee":"app!init","count":1,"first_seen":1700000005000000000,"last_seen":1700000400000000000,"host":"h1","pid":42,"comm":"app"}
{"type":"edge","caller":"app+0x1a2b","callee":"libx.so.1!parse","callee_build_id":"aabbccdd","count":2,"first_seen":1700000100000000000,"last_seen":1700000110000000000,"evidence":["ebpf-sample"],"confidence":40,"container":"c1","cgroup":7}
{"type":"edge","caller":"app!main","callee":"app!cleanup","count":6}
{"type":"coverage","node":"libx.so.1!parse","node_build_id":"aabbccdd","method":"entry-probe","start":1700000000000000000,"end":1700000300000000000,"host":"h1"}
{"type":"trailer","losses":{"ringbuf_full":5}}
{"type":"header","producer":"test","host":"h2","source":"ebpf","start":1700000300000000000,"end":1700000900000000000}
{"type":"module","name":"libx.so.1.2","path":"/opt/lib/libx.so.1.2","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"edge","caller":"app!main","callee":"libx.so.1.2!parse","callee_build_id":"aabbccdd","count":4,"first_seen":1700000310000000000,"last_seen":1700000320000000000,"evidence":["ebpf-sample"],"confidence":50,"pid":42,"comm":"app"}
{"type":"edge","caller":"app!main","callee":"app!init","count":2,"first_seen":1700000305000000000,"last_seen":1700000306000000000,"pid":43,"comm":"app"}
{"type":"edge","caller":"app!main","callee":"app!cleanup","count":1,"window_start":1700000400000000000,"window_end":1700000700000000000}
{"type":"coverage","node":"libx.so.1.2!parse","node_build_id":"aabbccdd","method":"entry-probe","start":1700000200000000000,"end":1700000500000000000}
{"type":"trailer","losses":{"ringbuf_full":1,"stack_truncated":2}}
EOF
}

write_b() {
	cat <<'EOF'
{"type":"header","producer":"test","host":"h3","source":"ebpf","start":1700000250000000000,"end":1700001000000000000}
{"type":"module","name":"libx.so.1","path":"/lib/libx.so.1","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"module","name":"libx.so.1","path":"/lib/other/libx.so.1","build_id_kind":"gnu","build_id":"11223344"}
{"type":"module","name":"app","path":"/srv/app"}
{"type":"edge","caller":"app!main","callee":"libx.so.1!parse","callee_build_id":"aabbccdd","count":7,"first_seen":1700000001000000000,"last_seen":1700000700000000000,"evidence":["static","ebpf-probe"],"confidence":100,"class":"confirmed","site":"main.c:10","host":"h1","pid":42,"comm":"app"}
{"type":"edge","caller":"app!main","callee":"libx.so.1!parse","callee_build_id":"11223344","count":1,"first_seen":1700000260000000000,"last_seen":1700000260000000000,"pid":7,"comm":"other"}
{"type":"edge","caller":"app!main","callee":"app!init","count":5,"first_seen":1700000900000000000,"last_seen":1700000950000000000,"pid":99,"comm":"other","container":"c2"}
{"type":"edge","caller":"app+0x1a2b","callee":"libx.so.1!parse","callee_build_id":"aabbccdd","count":18446744073709551610,"first_seen":1700000090000000000,"last_seen":1700000095000000000,"evidence":["ebpf-sample"],"confidence":30,"container":"c1","cgroup":7}
{"type":"coverage","node":"libx.so.1!parse","node_build_id":"aabbccdd","method":"entry-probe","start":1700000450000000000,"end":1700000800000000000,"pid":42}
{"type":"coverage","node":"app!init","method":"sampled","start":1700000250000000000,"end":1700000260000000000}
{"type":"trailer","losses":{"stack_truncated":3,"other":1}}
EOF
}

write_c() {
	cat <<'EOF'
{"type":"header","producer":"test","host":"h2","source":"ebpf","start":1700000000000000000,"end":1700000300000000000}
{"type":"module","name":"libx.so","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"edge","caller":"app!main","callee":"libx.so!parse","callee_build_id":"aabbccdd","count":10,"first_seen":1700000200000000000,"last_seen":1700000299000000000,"evidence":["ebpf-sample"],"confidence":60,"pid":42,"comm":"app"}
{"type":"edge","caller":"app+0x1a2b","callee":"libx.so!parse","callee_build_id":"aabbccdd","count":10,"first_seen":1700000150000000000,"last_seen":1700000160000000000,"container":"c1","cgroup":7}
{"type":"edge","caller":"app!main","callee":"app!init","count":3,"first_seen":1700000001000000000,"last_seen":1700000002000000000}
{"type":"trailer","losses":{"ringbuf_full":10}}
EOF
}

setup_file() {
	FX=$BATS_FILE_TMPDIR
	export FX TRACE_CAT DEDUP GEN U64_MAX
	[ -x "$DEDUP" ] && [ -x "$TRACE_CAT" ] && [ -x "$GEN" ] || {
		echo "$DEDUP, $TRACE_CAT or $GEN is missing: run make (or set TM_BIN, TM_BUILD)" >&2
		return 1
	}
	write_a >"$FX/a.nd"
	write_b >"$FX/b.nd"
	write_c >"$FX/c.nd"
	local x
	for x in a b c; do
		"$TRACE_CAT" --encode -o "$FX/$x.es" "$FX/$x.nd"
	done
	# Synthetic inputs that share edges: the same seed gives the same modules
	# (build ids) and edge keys; fewer records over 3 windows change the times.
	"$GEN" --edges 20000 --distinct 6000 --symbols 3000 --windows 4 --pids 4 --seed 1 -o "$FX/g1.es"
	"$GEN" --edges 12000 --distinct 6000 --symbols 3000 --windows 3 --pids 4 --seed 1 -o "$FX/g2.es"
	# Many distinct edges: spills at --max-memory 1M, runs for a second or two.
	"$GEN" --edges 300000 --distinct 200000 --windows 4 --seed 3 -o "$FX/big.es"
}

setup() {
	tm_setup
}

teardown() {
	tm_teardown
}

# The option sets every law is checked under (word-split on purpose).
OPTSETS=("" "--by host,pid" "--window 5m")

# enc NAME: encode NDJSON from stdin to NAME.es.
enc() {
	"$TRACE_CAT" --encode -o "$1.es" - || fail "trace-cat --encode -o $1.es failed"
}

# dd OUT OPTS... FILES...: run trace-dedup -o OUT, failing the test on an error.
dd_to() {
	local out=$1
	shift
	"$DEDUP" -o "$out" "$@" || fail "trace-dedup -o $out $* failed with $?"
}

# edges FILE: its edge lines.
edges() {
	"$TRACE_CAT" "$1"
}

# num KEY: the integer value of "KEY": on each stdin line (exact, no jq
# rounding of 64-bit numbers).
num() {
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# one_edge FILE CALLER CALLEE [GREP]: the single edge line with those nodes
# (and matching the extended regex GREP); fails unless there is exactly one.
one_edge() {
	local l
	l=$(edges "$1" | grep -F "\"caller\":\"$2\"," | grep -F "\"callee\":\"$3\"," |
		grep -E -- "${4:-.}") || true
	[ -n "$l" ] && [ "$(printf '%s\n' "$l" | wc -l)" -eq 1 ] ||
		fail "$(printf 'expected one edge %s -> %s /%s/ in %s, got:\n%s\nall:\n%s' "$2" "$3" "${4:-.}" "$1" "$l" "$(edges "$1")")"
	printf '%s\n' "$l"
}

# same A B WHAT: A and B are byte-identical streams.
same() {
	cmp -s "$1" "$2" ||
		fail "$(printf '%s: %s and %s differ\n--- %s\n%s\n--- %s\n%s' "$3" "$1" "$2" "$1" \
			"$("$TRACE_CAT" --all "$1")" "$2" "$("$TRACE_CAT" --all "$2")")"
}

# ---------------------------------------------------------------- laws

@test "laws: the inputs really overlap (more records in than distinct edges out) under every option set" {
	local o in out
	for o in "${OPTSETS[@]}"; do
		# shellcheck disable=SC2086
		run -0 --separate-stderr "$DEDUP" -v $o -o out.es "$FX/a.es" "$FX/b.es" "$FX/c.es"
		[[ $stderr =~ ([0-9]+)\ records\ in\ 4\ segments\ -\>\ ([0-9]+)\ distinct ]] || fail "[$o] $stderr"
		in=${BASH_REMATCH[1]} out=${BASH_REMATCH[2]}
		assert_equal "$in" 14
		[ "$out" -lt "$in" ] && [ "$out" -gt 3 ] || fail "[$o] $in records -> $out distinct"
		assert_equal "$(edges out.es | wc -l)" "$out"
	done
	# The synthetic pair shares modules and edge keys.
	run -0 --separate-stderr "$DEDUP" -v -o g.es "$FX/g1.es" "$FX/g2.es"
	[[ $stderr =~ 32000\ records\ in\ 2\ segments\ -\>\ ([0-9]+)\ distinct\ edges\ \([0-9]+\ nodes,\ 64\ modules\) ]] ||
		fail "$stderr"
	[ "${BASH_REMATCH[1]}" -lt 12000 ] || fail "g1 and g2 barely overlap: $stderr"
	# String tables are reported, and grow with the input's strings.
	[[ $stderr =~ string\ tables\ ([0-9.]+)\ MiB ]] || fail "$stderr"
	local small=${BASH_REMATCH[1]}
	run -0 --separate-stderr "$DEDUP" -v -o big.es "$FX/big.es"
	[[ $stderr =~ string\ tables\ ([0-9.]+)\ MiB ]] || fail "$stderr"
	awk -v s="$small" -v b="${BASH_REMATCH[1]}" 'BEGIN { exit !(s > 0 && b > 4 * s) }' ||
		fail "string tables: $small MiB for g1+g2, ${BASH_REMATCH[1]} MiB for big.es"
}

@test "law: idempotent, dedup(dedup(x)) = dedup(x), for default, --by host,pid and --window 5m" {
	local o
	cat "$FX/a.es" "$FX/b.es" "$FX/c.es" >x.es
	cat "$FX/g1.es" "$FX/g2.es" >g.es
	for o in "${OPTSETS[@]}"; do
		# shellcheck disable=SC2086
		{
			dd_to 1.es $o x.es
			dd_to 2.es $o 1.es
			dd_to 3.es $o 2.es
			dd_to g1.es $o g.es
			dd_to g2.es $o g1.es
		}
		same 1.es 2.es "idempotence [$o]"
		same 2.es 3.es "idempotence, third pass [$o]"
		same g1.es g2.es "idempotence, synthetic [$o]"
	done
}

@test "law: order-independent, dedup(a b) = dedup(b a), as file operands and as cat a b |" {
	local o
	for o in "${OPTSETS[@]}"; do
		# shellcheck disable=SC2086
		{
			dd_to ab.es $o "$FX/a.es" "$FX/b.es"
			dd_to ba.es $o "$FX/b.es" "$FX/a.es"
			cat "$FX/a.es" "$FX/b.es" | "$DEDUP" $o -o cab.es
			cat "$FX/b.es" "$FX/a.es" | "$DEDUP" $o -o cba.es
			dd_to abc.es $o "$FX/a.es" "$FX/b.es" "$FX/c.es"
			dd_to cab3.es $o "$FX/c.es" "$FX/a.es" "$FX/b.es"
			cat "$FX/b.es" "$FX/c.es" | "$DEDUP" $o -o bca.es - "$FX/a.es"
			dd_to g12.es $o "$FX/g1.es" "$FX/g2.es"
			cat "$FX/g2.es" "$FX/g1.es" | "$DEDUP" $o -o g21.es
		}
		same ab.es ba.es "files a b vs b a [$o]"
		same ab.es cab.es "cat a b | vs files [$o]"
		same ab.es cba.es "cat b a | vs files a b [$o]"
		same abc.es cab3.es "a b c vs c a b [$o]"
		same abc.es bca.es "a b c vs (cat b c |) - a [$o]"
		same g12.es g21.es "synthetic g1 g2 vs cat g2 g1 | [$o]"
	done
}

@test "law: associative, dedup(dedup(a) dedup(b)) = dedup(a b), and deeper trees" {
	local o
	for o in "${OPTSETS[@]}"; do
		# shellcheck disable=SC2086
		{
			dd_to a1.es $o "$FX/a.es"
			dd_to b1.es $o "$FX/b.es"
			dd_to c1.es $o "$FX/c.es"
			dd_to ab.es $o "$FX/a.es" "$FX/b.es"
			dd_to abc.es $o "$FX/a.es" "$FX/b.es" "$FX/c.es"
			dd_to t1.es $o a1.es b1.es
			cat a1.es b1.es | "$DEDUP" $o -o t2.es
			# ((a b) c) and (a (b c)) and (a (b (c)))
			dd_to t3.es $o ab.es "$FX/c.es"
			dd_to bc.es $o "$FX/b.es" c1.es
			dd_to t4.es $o "$FX/a.es" bc.es
			dd_to bc1.es $o b1.es c1.es
			dd_to t5.es $o a1.es bc1.es
			dd_to g1.es $o "$FX/g1.es"
			dd_to g2.es $o "$FX/g2.es"
			dd_to g12.es $o "$FX/g1.es" "$FX/g2.es"
			dd_to gt.es $o g2.es g1.es
		}
		same t1.es ab.es "dedup(dedup(a) dedup(b)) vs dedup(a b) [$o]"
		same t2.es ab.es "dedup(cat dedup(a) dedup(b)) vs dedup(a b) [$o]"
		same t3.es abc.es "((a b) c) [$o]"
		same t4.es abc.es "(a (b c)) [$o]"
		same t5.es abc.es "(dedup(a) dedup(dedup(b) dedup(c))) [$o]"
		same gt.es g12.es "synthetic tree [$o]"
	done
}

@test "coarsening: a fine result folded with fewer keys or nested longer windows equals the coarse fold of the raw input" {
	local f
	for f in abc g; do
		if [ "$f" = abc ]; then
			cat "$FX/a.es" "$FX/b.es" "$FX/c.es" >in.es
		else
			cat "$FX/g1.es" "$FX/g2.es" >in.es
		fi
		dd_to fine.es --window 5m --by host,pid in.es
		dd_to c1.es fine.es
		dd_to r1.es in.es
		same c1.es r1.es "[$f] dedup(dedup --window 5m --by host,pid) vs dedup"
		dd_to c2.es --window 1h --by host fine.es
		dd_to r2.es --window 1h --by host in.es
		same c2.es r2.es "[$f] --window 1h --by host of the 5m host,pid result vs of the raw input"
	done
}

# ---------------------------------------------------------------- folding

@test "fold: counts add, first_seen = min, last_seen = max, evidence = union, confidence = max" {
	enc x <<'EOF'
{"type":"edge","caller":"app!main","callee":"lib!f","count":3,"first_seen":5000,"last_seen":6000,"evidence":["ebpf-probe"],"confidence":90}
{"type":"edge","caller":"app!main","callee":"lib!f","count":4,"first_seen":2000,"last_seen":3000,"evidence":["ebpf-sample"],"confidence":40}
EOF
	enc y <<'EOF'
{"type":"edge","caller":"app!main","callee":"lib!f","count":10,"first_seen":4000,"last_seen":9000,"evidence":["static","ebpf-sample"],"confidence":20}
{"type":"edge","caller":"app!main","callee":"lib!g","count":1,"first_seen":1,"last_seen":1}
EOF
	dd_to out.es x.es y.es
	run -0 edges out.es
	assert_equal "${#lines[@]}" 2
	assert_equal "$(one_edge out.es app!main lib!f)" \
		'{"type":"edge","caller":"app!main","callee":"lib!f","count":17,"first_seen":2000,"last_seen":9000,"evidence":["static","ebpf-probe","ebpf-sample"],"confidence":90}'
	assert_equal "$(one_edge out.es app!main lib!g | num count)" 1
}

@test "fold: counts saturate at 18446744073709551615 and never wrap" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":18446744073709551610,"first_seen":1,"last_seen":1}
{"type":"edge","caller":"a!x","callee":"a!z","count":18446744073709551615,"first_seen":1,"last_seen":1}
{"type":"edge","caller":"a!x","callee":"a!w","count":9223372036854775808,"first_seen":1,"last_seen":1}
EOF
	enc y <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":10,"first_seen":2,"last_seen":2}
{"type":"edge","caller":"a!x","callee":"a!z","count":18446744073709551615,"first_seen":2,"last_seen":2}
{"type":"edge","caller":"a!x","callee":"a!w","count":9223372036854775807,"first_seen":2,"last_seen":2}
EOF
	dd_to out.es x.es y.es
	assert_equal "$(one_edge out.es a!x a!y | num count)" "$U64_MAX"
	assert_equal "$(one_edge out.es a!x a!z | num count)" "$U64_MAX"
	# 2^63 + 2^63-1 = 2^64-1 exactly: no saturation needed, no off-by-one.
	assert_equal "$(one_edge out.es a!x a!w | num count)" "$U64_MAX"
	# A saturated count folded again stays saturated.
	dd_to again.es out.es y.es
	assert_equal "$(one_edge again.es a!x a!y | num count)" "$U64_MAX"
	# Within one input too (the same key twice in one segment).
	cat x.es x.es >xx.es
	dd_to xx_out.es xx.es
	assert_equal "$(one_edge xx_out.es a!x a!y | num count)" "$U64_MAX"
}

@test "fold: a record without first_seen does not pull first_seen to 0" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"first_seen":5000,"last_seen":6000}
{"type":"edge","caller":"a!x","callee":"a!y","count":1}
EOF
	dd_to out.es x.es
	assert_equal "$(one_edge out.es a!x a!y | num first_seen)" 5000
	assert_equal "$(one_edge out.es a!x a!y | num last_seen)" 6000
	assert_equal "$(one_edge out.es a!x a!y | num count)" 2
}

@test "fold: losses are summed by name into the trailer (and saturate)" {
	dd_to out.es "$FX/a.es" "$FX/b.es" "$FX/c.es"
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"trailer\").losses"'
	assert_output '{"other":1,"ringbuf_full":16,"stack_truncated":5}'
	# One output segment, one trailer.
	assert_equal "$("$TRACE_CAT" --all out.es | grep -c '"type":"trailer"')" 1
	enc l1 <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":1}
{"type":"trailer","losses":{"drops":18446744073709551615}}
EOF
	dd_to l.es l1.es l1.es
	assert_equal "$("$TRACE_CAT" --all l.es | grep '"type":"trailer"' | num drops)" "$U64_MAX"
}

@test "fold: coverage records are carried; overlapping intervals of a node are merged, disjoint ones kept" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"lib!f","count":1}
{"type":"coverage","node":"lib!f","method":"entry-probe","start":1000,"end":5000}
{"type":"coverage","node":"lib!f","method":"entry-probe","start":9000,"end":9500}
{"type":"coverage","node":"lib!g","method":"entry-probe","start":1000,"end":2000}
EOF
	enc y <<'EOF'
{"type":"coverage","node":"lib!f","method":"entry-probe","start":4000,"end":7000}
{"type":"coverage","node":"lib!f","method":"entry-probe","start":2000,"end":3000}
{"type":"coverage","node":"lib!f","method":"sampled","start":1000,"end":2000}
EOF
	dd_to out.es x.es y.es
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"coverage\") | [.node,.method,.start,.end]"'
	assert_equal "${#lines[@]}" 4
	assert_line '["lib!f","entry-probe",1000,7000]'
	assert_line '["lib!f","entry-probe",9000,9500]'
	assert_line '["lib!f","sampled",1000,2000]'
	assert_line '["lib!g","entry-probe",1000,2000]'
	# Coverage of the fixtures: libx!parse's three entry-probe intervals across
	# inputs and names of the same build id become one.
	dd_to f.es "$FX/a.es" "$FX/b.es"
	run -0 bash -c '"$TRACE_CAT" --all f.es | grep "\"type\":\"coverage\"" | grep -F "\"node\":\"libx.so.1!parse\""'
	assert_equal "${#lines[@]}" 1
	assert_equal "$(printf '%s\n' "$output" | num start)" 1700000000000000000
	assert_equal "$(printf '%s\n' "$output" | num end)" 1700000800000000000
}

@test "fold: coverage is kept per context with --by host" {
	dd_to out.es --by host "$FX/a.es" "$FX/b.es"
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"coverage\" and .node==\"libx.so.1!parse\") | .host"'
	# a/seg1 on h1, a/seg2 on h2 (header host), b on h3 (header host).
	assert_equal "$output" "$(printf '"h1"\n"h2"\n"h3"')"
}

# ---------------------------------------------------------------- identity

@test "identity: --by none (the default) drops the context and folds across hosts and pids" {
	dd_to def.es "$FX/a.es" "$FX/b.es"
	dd_to none.es --by none "$FX/a.es" "$FX/b.es"
	same def.es none.es "default vs --by none"
	run -0 bash -c '"$TRACE_CAT" def.es | jq -c "[.host,.pid,.comm,.container,.cgroup] | map(select(. != null))" | sort -u'
	assert_output '[]'
	# app!main -> app!init: a/seg1 1 + a/seg2 2 + b 5 = 8, one record.
	assert_equal "$(one_edge def.es app!main app!init | num count)" 8
	run -0 bash -c '"$TRACE_CAT" --all def.es | jq -r "select(.type==\"header\").params.by"'
	assert_output none
}

@test "identity: --by host separates hosts; an edge without host context takes its segment header's host" {
	enc x <<'EOF'
{"type":"header","host":"h1","start":1}
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"host":"h1"}
{"type":"edge","caller":"a!x","callee":"a!y","count":2}
{"type":"edge","caller":"a!x","callee":"a!y","count":4,"pid":9,"comm":"c"}
{"type":"edge","caller":"a!x","callee":"a!y","count":8,"host":"h2"}
{"type":"trailer"}
{"type":"header","host":"h2","start":1}
{"type":"edge","caller":"a!x","callee":"a!y","count":16}
{"type":"trailer"}
{"type":"header","start":1}
{"type":"edge","caller":"a!x","callee":"a!y","count":32}
{"type":"trailer"}
EOF
	dd_to out.es --by host x.es
	run -0 bash -c '"$TRACE_CAT" out.es | jq -c "[.host,.count,.pid,.comm]"'
	assert_equal "${#lines[@]}" 3
	assert_line '["h1",7,null,null]'
	assert_line '["h2",24,null,null]'
	# No host anywhere: a record without context.
	assert_line '[null,32,null,null]'
}

@test "identity: --by pid, --by comm, --by container keep only that key" {
	enc x <<'EOF'
{"type":"header","host":"h1"}
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"host":"h1","pid":10,"comm":"one","container":"k1","cgroup":5}
{"type":"edge","caller":"a!x","callee":"a!y","count":2,"host":"h2","pid":10,"comm":"two","container":"k1","cgroup":6}
{"type":"edge","caller":"a!x","callee":"a!y","count":4,"host":"h2","pid":11,"comm":"one","container":"k2","cgroup":5}
{"type":"edge","caller":"a!x","callee":"a!y","count":8}
{"type":"trailer"}
EOF
	local q='jq -c "[.count,.host,.pid,.comm,.container,.cgroup]"'
	dd_to pid.es --by pid x.es
	run -0 bash -c "\"\$TRACE_CAT\" pid.es | $q"
	assert_equal "$output" "$(printf '%s\n' '[8,null,null,null,null,null]' '[3,null,10,null,null,null]' '[4,null,11,null,null,null]')"
	dd_to comm.es --by comm x.es
	run -0 bash -c "\"\$TRACE_CAT\" comm.es | $q"
	assert_equal "$output" "$(printf '%s\n' '[8,null,null,null,null,null]' '[5,null,null,"one",null,null]' '[2,null,null,"two",null,null]')"
	# container: the container id and the cgroup id.
	dd_to cont.es --by container x.es
	run -0 bash -c "\"\$TRACE_CAT\" cont.es | $q"
	assert_equal "$output" "$(printf '%s\n' '[8,null,null,null,null,null]' '[1,null,null,null,"k1",5]' '[2,null,null,null,"k1",6]' '[4,null,null,null,"k2",5]')"
	# Combined keys; the order of the list does not matter.
	dd_to hp.es --by host,pid x.es
	dd_to ph.es --by pid,host x.es
	diff <(edges hp.es) <(edges ph.es)
	run -0 bash -c "\"\$TRACE_CAT\" hp.es | $q"
	assert_equal "$output" "$(printf '%s\n' '[8,"h1",null,null,null,null]' '[1,"h1",10,null,null,null]' '[2,"h2",10,null,null,null]' '[4,"h2",11,null,null,null]')"
	dd_to all.es --by host,container,pid,comm x.es
	assert_equal "$(edges all.es | wc -l)" 4
}

@test "identity: one build id under two names and paths is one module; the least name and path are kept" {
	dd_to out.es "$FX/a.es" "$FX/b.es"
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"module\" and .build_id==\"aabbccdd\") | [.name,.path]"'
	# names libx.so.1, libx.so.1.2; paths /usr/lib/libx.so.1, /opt/lib/libx.so.1.2, /lib/libx.so.1
	assert_output '["libx.so.1","/lib/libx.so.1"]'
	# app!main -> parse in that library: 3 (a, pid 42 on h1) + 4 (a, seg 2,
	# as libx.so.1.2) + 7 (b) = 14, one record.
	assert_equal "$(one_edge out.es app!main libx.so.1!parse '"callee_build_id":"aabbccdd"' | num count)" 14
	refute_output --partial 'libx.so.1.2'
	run -0 edges out.es
	refute_output --partial 'libx.so.1.2!'
	# Adding a third name: libx.so < libx.so.1 wins.
	dd_to out3.es "$FX/a.es" "$FX/b.es" "$FX/c.es"
	assert_equal "$(one_edge out3.es app!main libx.so!parse | num count)" 24
}

@test "identity: the same name with different build ids is two modules" {
	dd_to out.es "$FX/a.es" "$FX/b.es"
	one_edge out.es app!main libx.so.1!parse '"callee_build_id":"11223344"' >/dev/null
	one_edge out.es app!main libx.so.1!parse '"callee_build_id":"aabbccdd"' >/dev/null
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"module\" and .name==\"libx.so.1\") | .build_id"'
	assert_equal "${#lines[@]}" 2
}

@test "identity: without a build id a module is identified by name (least path kept)" {
	enc x <<'EOF'
{"type":"module","name":"app","path":"/usr/bin/app"}
{"type":"module","name":"tool","path":"/usr/bin/app"}
{"type":"edge","caller":"app!main","callee":"app!f","count":1}
{"type":"edge","caller":"tool!main","callee":"tool!f","count":1}
EOF
	enc y <<'EOF'
{"type":"module","name":"app","path":"/opt/app"}
{"type":"edge","caller":"app!main","callee":"app!f","count":2}
EOF
	dd_to out.es x.es y.es
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"module\") | [.name,.path]"'
	assert_equal "$output" "$(printf '%s\n' '["app","/opt/app"]' '["tool","/usr/bin/app"]')"
	assert_equal "$(one_edge out.es app!main app!f | num count)" 3
	assert_equal "$(one_edge out.es tool!main tool!f | num count)" 1
}

@test "identity: unsymbolized nodes (module+0xOFFSET) are keyed by offset" {
	enc x <<'EOF'
{"type":"edge","caller":"app+0x10","callee":"lib!f","count":1}
{"type":"edge","caller":"app+0x10","callee":"lib!f","count":2}
{"type":"edge","caller":"app+0x20","callee":"lib!f","count":4}
EOF
	dd_to out.es x.es
	assert_equal "$(one_edge out.es app+0x10 lib!f | num count)" 3
	assert_equal "$(one_edge out.es app+0x20 lib!f | num count)" 4
}

@test "identity: static functions of one name in two source files stay apart" {
	enc x <<'EOF'
{"type":"edge","caller":"app!main","callee":"app!helper","callee_file":"a.c","count":1}
{"type":"edge","caller":"app!main","callee":"app!helper","callee_file":"b.c","count":2}
{"type":"edge","caller":"app!main","callee":"app!helper","callee_file":"a.c","count":4}
EOF
	dd_to out.es x.es
	run sh -c "'$TRACE_CAT' out.es | jq -c '[.callee_file, .count]'"
	assert_success
	assert_output $'["a.c",5]\n["b.c",2]'
}

# ---------------------------------------------------------------- windows

@test "--window 5m: windows are aligned to the Unix epoch, window_end = start + 5m" {
	dd_to out.es --window 5m "$FX/a.es"
	# app!main -> parse (h1, first 1700000010 s): window [1699999800, 1700000100) s.
	local l
	l=$(one_edge out.es app!main libx.so.1!parse '"count":3,')
	assert_equal "$(num window_start <<<"$l")" 1699999800000000000
	assert_equal "$(num window_end <<<"$l")" 1700000100000000000
	# Every window start is a multiple of 300 s, every window 300 s long.
	run -0 bash -c '"$TRACE_CAT" out.es | sed -n "s/.*\"window_start\":\([0-9]*\),\"window_end\":\([0-9]*\).*/\1 \2/p"'
	[ "${#lines[@]}" -gt 0 ]
	local s e
	while read -r s e; do
		[ $((s % 300000000000)) -eq 0 ] || fail "window_start $s is not aligned"
		[ $((e - s)) -eq 300000000000 ] || fail "window $s..$e is not 5m"
	done <<<"$output"
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -r "select(.type==\"header\").params.window"'
	assert_output 5m
}

@test "--window: 30s, 1h and 1d align to the epoch too (1d at midnight UTC)" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"first_seen":1700000025000000000,"last_seen":1700000025000000000}
EOF
	dd_to s.es --window 30s x.es
	dd_to h.es --window 1h x.es
	dd_to d.es --window 1d x.es
	dd_to n.es --window 300 x.es
	assert_equal "$(edges s.es | num window_start)" 1700000010000000000
	assert_equal "$(edges h.es | num window_start)" 1699999200000000000
	assert_equal "$(edges h.es | num window_end)" 1700002800000000000
	# 2023-11-14T00:00:00Z
	assert_equal "$(edges d.es | num window_start)" 1699920000000000000
	# A bare number is seconds.
	assert_equal "$(edges n.es | num window_start)" 1699999800000000000
}

@test "--window: an aggregated record counts whole in the window of its first_seen, even if last_seen is later" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":5,"first_seen":1700000010000000000,"last_seen":1700000700000000000}
{"type":"edge","caller":"a!x","callee":"a!y","count":7,"first_seen":1700000110000000000,"last_seen":1700000120000000000}
{"type":"edge","caller":"a!x","callee":"a!y","count":11,"first_seen":1700000050000000000,"last_seen":1700000060000000000}
EOF
	dd_to out.es --window 5m x.es
	run -0 bash -c '"$TRACE_CAT" out.es | sed "s/.*\"count\":\([0-9]*\),\"first_seen\":\([0-9]*\),\"last_seen\":\([0-9]*\),\"window_start\":\([0-9]*\),\"window_end\":\([0-9]*\).*/\1 \2 \3 \4 \5/"'
	assert_equal "${#lines[@]}" 2
	# Window [1699999800, 1700000100): the spanning record (5) and 11; its
	# last_seen stays 1700000700 although that is two windows later.
	assert_equal "${lines[0]}" "16 1700000010000000000 1700000700000000000 1699999800000000000 1700000100000000000"
	# Window [1700000100, 1700000400): only the record that started there.
	assert_equal "${lines[1]}" "7 1700000110000000000 1700000120000000000 1700000100000000000 1700000400000000000"
	# Nothing is counted in the window of last_seen.
	edges out.es | grep -q '"window_start":1700000700000000000' && fail "counted in last_seen's window" || true
}

@test "--window: a record without first_seen counts in its input window's start, else its segment's start" {
	enc x <<'EOF'
{"type":"header","start":1700000000000000000}
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"window_start":1700000400000000000,"window_end":1700000460000000000}
{"type":"edge","caller":"a!x","callee":"a!y","count":2}
{"type":"trailer"}
EOF
	dd_to out.es --window 5m x.es
	assert_equal "$(edges out.es | num count | tr '\n' ' ')" "2 1 "
	assert_equal "$(edges out.es | num window_start | tr '\n' ' ')" "1699999800000000000 1700000400000000000 "
}

@test "law: idempotent with --window for a record without times in a segment without a start time" {
	# Segment 1 has no start time: its timeless record counts in the window
	# that starts at 0. Segment 2 has a start, which becomes the output
	# header's start. Folding the output again must keep the record in the
	# window [0, 5m) it was given; a window start of 0 is a window.
	enc x <<'EOF'
{"type":"header","host":"h1"}
{"type":"edge","caller":"a!x","callee":"a!y","count":1}
{"type":"trailer"}
{"type":"header","host":"h1","start":1700000000000000000}
{"type":"edge","caller":"a!x","callee":"a!z","count":1,"first_seen":1700000010000000000,"last_seen":1700000010000000000}
{"type":"trailer"}
EOF
	dd_to 1.es --window 5m x.es
	assert_equal "$(one_edge 1.es a!x a!y | num window_start)" 0
	dd_to 2.es --window 5m 1.es
	same 1.es 2.es "dedup(dedup(x)) vs dedup(x), --window 5m"
}

@test "without --window: no window fields are output, even when the input has them" {
	dd_to out.es "$FX/a.es" "$FX/b.es"
	edges "$FX/a.es" | grep -q window_start || fail "fixture should have a window"
	run -0 edges out.es
	refute_output --partial window_start
	refute_output --partial window_end
	# And records from different input windows fold into one.
	assert_equal "$(one_edge out.es app!main app!cleanup | num count)" 7
	run -0 bash -c '"$TRACE_CAT" --all out.es | jq -c "select(.type==\"header\").params"'
	assert_output '{"by":"none"}'
}

@test "--window: window_end does not wrap past 2^64 for a first_seen in the last window" {
	enc x <<'EOF'
{"type":"edge","caller":"a!x","callee":"a!y","count":1,"first_seen":18446744073709551615,"last_seen":18446744073709551615}
EOF
	dd_to out.es --window 1d x.es
	local s e
	s=$(edges out.es | num window_start)
	e=$(edges out.es | num window_end)
	assert_equal "$s" 18446659200000000000
	# Compare as strings of equal length (bash arithmetic is signed 64-bit).
	[ "${#e}" -eq 20 ] && [[ $e > $s ]] ||
		fail "window_end $e is before window_start $s (wrapped around 2^64)"
}

# ---------------------------------------------------------------- spill

@test "--max-memory 1M: spills, and the output is byte-identical to the run without a limit" {
	mkdir tmp
	run -0 --separate-stderr env TMPDIR="$PWD/tmp" "$DEDUP" -v -o mem.es "$FX/big.es"
	[[ $stderr =~ ,\ 0\ spills ]] || fail "the unlimited run spilled: $stderr"
	run -0 --separate-stderr env TMPDIR="$PWD/tmp" "$DEDUP" --max-memory 1M -v -o spill.es "$FX/big.es"
	[[ $stderr =~ ,\ ([0-9]+)\ spills ]] || fail "no spill count in: $stderr"
	[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "no spills at 1M: $stderr"
	[[ $stderr =~ 300000\ records ]] || fail "$stderr"
	same mem.es spill.es "spilled vs in-memory"
	run -0 ls -A tmp
	assert_output ''
}

@test "--max-memory 1M with --window 5m --by pid: same output as in memory; stdin input" {
	mkdir tmp
	cat "$FX/g1.es" "$FX/big.es" "$FX/g2.es" >in.es
	dd_to mem.es --window 5m --by pid in.es
	run -0 --separate-stderr env TMPDIR="$PWD/tmp" "$DEDUP" --max-memory 1M --window 5m --by pid -v -o spill.es - <in.es
	[[ $stderr =~ ,\ ([1-9][0-9]*)\ spills ]] || fail "no spills: $stderr"
	same mem.es spill.es "spilled vs in-memory (--window 5m --by pid)"
	run -0 ls -A tmp
	assert_output ''
}

# ---------------------------------------------------------------- signals

@test "SIGINT mid-run: no output file, no temporary files, exit status 128+SIGINT" {
	mkdir out tmp
	TMPDIR=$PWD/tmp "$DEDUP" --max-memory 1M -o out/result.es "$FX/big.es" "$FX/big.es" 3>&- &
	local pid=$! i rc=0
	for ((i = 0; i < 200; i++)); do
		compgen -G 'out/*' >/dev/null && break
		sleep 0.02
	done
	sleep 0.3
	kill -0 "$pid" 2>/dev/null || fail "trace-dedup finished before the signal: make the input bigger"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 130
	run -0 ls -A out
	assert_output ''
	run -0 ls -A tmp
	assert_output ''
}

# ---------------------------------------------------------------- errors

@test "truncated input: exit 3, one line 'trace-dedup: FILE: ...', no -o file created" {
	head -c 60000 "$FX/big.es" >cut.es
	run -3 --separate-stderr "$DEDUP" -o out.es "$FX/a.es" cut.es
	tm_one_line_error trace-dedup cut.es 'truncat'
	[ -z "$output" ]
	run -0 ls -A
	assert_output cut.es
	# On stdout: nothing written either.
	run -3 --separate-stderr "$DEDUP" cut.es
	[ -z "$output" ] || fail "partial output on stdout"
	# A stream cut just before its trailer is truncated too.
	zstd -q -d -c "$FX/c.es" | head -c -8 | zstd -q --check -c >nt.es
	run -3 --separate-stderr "$DEDUP" -o out.es nt.es
	tm_one_line_error trace-dedup nt.es
	[ ! -e out.es ]
}

@test "not a stream: exit 3, one line naming the file; an existing -o target is kept" {
	echo 'hello, world' >text
	echo keep >out.es
	run -3 --separate-stderr "$DEDUP" -o out.es text
	tm_one_line_error trace-dedup text
	assert_equal "$(cat out.es)" keep
	zstd -q -c "$FX/a.nd" >ndjson.zst
	run -3 --separate-stderr "$DEDUP" ndjson.zst
	tm_one_line_error trace-dedup ndjson.zst
	# An empty input is not a stream either.
	: >empty
	run -3 --separate-stderr "$DEDUP" -o e.es empty
	tm_one_line_error trace-dedup empty
	[ ! -e e.es ]
}

@test "environment: an unusable TMPDIR when spilling, or a write error: exit 4, one line, no -o file" {
	run -4 --separate-stderr env TMPDIR="$PWD/missing" "$DEDUP" --max-memory 1M -o out.es "$FX/big.es"
	[ "${#stderr_lines[@]}" -eq 1 ] && [[ ${stderr_lines[0]} == "trace-dedup: "*missing* ]] || fail "$stderr"
	[ ! -e out.es ]
	run -0 ls -A
	assert_output ''
	[ -w /dev/full ] || skip "needs /dev/full"
	run -4 --separate-stderr bash -c '"$DEDUP" "$FX/a.es" >/dev/full'
	tm_one_line_error trace-dedup '(stdout)' 'write error'
}

@test "nonexistent file or a directory: exit 4, one line, no -o file" {
	run -4 --separate-stderr "$DEDUP" -o out.es "$FX/a.es" nonexistent.es
	tm_one_line_error trace-dedup nonexistent.es 'No such file'
	mkdir dir
	run -4 --separate-stderr "$DEDUP" -o out.es dir
	tm_one_line_error trace-dedup dir 'directory'
	run -0 ls -A
	assert_output dir
	run -4 --separate-stderr "$DEDUP" -o nodir/out.es "$FX/a.es"
	[ "${#stderr_lines[@]}" -eq 1 ] && [[ ${stderr_lines[0]} == "trace-dedup: "*nodir/out.es* ]] || fail "$stderr"
}

@test "usage errors: bad --window, --by, --max-memory values exit 2 with Try 'trace-dedup --help'." {
	local a
	for a in "--window=5x" "--window=0" "--window=-5m" "--window=" "--by=foo" "--by=host," \
		"--by=" "--by=none,host" "--max-memory=10" "--max-memory=1X" "--max-memory=0" \
		"--max-memory=512K" "--level=0"; do
		run -2 --separate-stderr "$DEDUP" "$a" "$FX/a.es"
		[ -z "$output" ] || fail "$a: output on stdout"
		assert_equal "${#stderr_lines[@]}" 2
		[[ ${stderr_lines[0]} == "trace-dedup: "* ]] || fail "$a: $stderr"
		assert_equal "${stderr_lines[1]}" "Try 'trace-dedup --help'."
	done
}

@test "usage errors: an unknown option or a missing argument: exit 2, 'trace-dedup: ...' (not argv[0]), then Try" {
	local a
	for a in --bogus -Z --window; do
		run -2 --separate-stderr "$DEDUP" "$a"
		[ -z "$output" ] || fail "$a: output on stdout"
		assert_equal "${#stderr_lines[@]}" 2
		[[ ${stderr_lines[0]} == "trace-dedup: "* ]] || fail "$a: the error line does not start with 'trace-dedup: ': $stderr"
		assert_equal "${stderr_lines[1]}" "Try 'trace-dedup --help'."
	done
}

@test "terminal: the binary stream is refused on a terminal without -f; -f and -o need no refusal" {
	require_cmd script
	run -2 script -qec "'$DEDUP' '$FX/a.es'" /dev/null </dev/null
	assert_output --partial 'trace-dedup: refusing to write a binary stream to a terminal'
	run -0 script -qec "'$DEDUP' -o t.es '$FX/a.es'" /dev/null </dev/null
	dd_to ref.es "$FX/a.es"
	same t.es ref.es "-o on a terminal"
	run -0 script -qec "'$DEDUP' -f '$FX/a.es' >/dev/null" /dev/null </dev/null
}

@test "--help and -h: usage on stdout, exit 0; --version and -V: one line" {
	local h
	for h in --help -h; do
		run -0 --separate-stderr "$DEDUP" "$h"
		[ -z "$stderr" ]
		assert_line --partial 'Usage: trace-dedup'
		assert_output --partial '--window'
		assert_output --partial '--by'
		assert_output --partial '--max-memory'
	done
	for h in --version -V; do
		run -0 --separate-stderr "$DEDUP" "$h"
		assert_equal "${#lines[@]}" 1
		assert_output --regexp '^trace-dedup .*[0-9]+\.[0-9]+'
	done
}

@test "--allow-truncated: keeps the complete records, warns on one line, exits 0; -q silences" {
	"$TRACE_CAT" --encode -o e.es <(tm_edges 20000)
	head -c 80000 e.es >cut.es
	run -0 --separate-stderr "$DEDUP" --allow-truncated -o out.es cut.es
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "trace-dedup: warning: cut.es: "*truncated* ]] || fail "$stderr"
	local kept
	kept=$(edges out.es | wc -l)
	[ "$kept" -gt 0 ] && [ "$kept" -lt 20000 ] || fail "kept $kept edges"
	# Exactly what trace-cat can read of it.
	assert_equal "$kept" "$("$TRACE_CAT" --allow-truncated -q cut.es | wc -l)"
	# The complete records are folded with the other inputs.
	dd_to ref.es "$FX/a.es"
	run -0 --separate-stderr "$DEDUP" --allow-truncated -q -o out2.es "$FX/a.es" cut.es
	[ -z "$stderr" ] || fail "-q: $stderr"
	assert_equal "$(edges out2.es | wc -l)" "$((kept + $(edges ref.es | wc -l)))"
	# An intact stream gives no warning.
	run -0 --separate-stderr "$DEDUP" --allow-truncated -o out3.es "$FX/a.es"
	[ -z "$stderr" ]
	same out3.es ref.es "--allow-truncated on an intact stream"
}

# ---------------------------------------------------------------- progress

@test "-v: one summary line on stderr (records, segments, distinct edges); stdout unchanged" {
	dd_to ref.es "$FX/a.es" "$FX/b.es"
	run -0 --separate-stderr "$DEDUP" -v -o v.es "$FX/a.es" "$FX/b.es"
	same v.es ref.es "-v changes the output"
	assert_equal "${#stderr_lines[@]}" 1
	local d
	d=$(edges ref.es | wc -l)
	[[ ${stderr_lines[0]} == "trace-dedup: 11 records in 3 segments -> $d distinct edges"* ]] || fail "$stderr"
	# Without -v: nothing on stderr (not a terminal).
	run -0 --separate-stderr "$DEDUP" -o q.es "$FX/a.es" "$FX/b.es"
	[ -z "$stderr" ] || fail "$stderr"
	run -0 --separate-stderr "$DEDUP" -q -o q.es "$FX/a.es" "$FX/b.es"
	[ -z "$stderr" ] || fail "$stderr"
}

# slow_big: writes ./slow_big, which prints big.es with a 1.5 s pause after
# its first third, so that a run takes longer than the one second before
# progress is first shown. A script, not a function: script(1) runs its
# command with $SHELL, which need not be bash and then sees no exported
# functions.
write_slow_big() {
	local n=$(($(stat -c %s "$FX/big.es") / 3))
	cat >slow_big <<-EOF
		#!/bin/sh
		head -c $n '$FX/big.es'
		sleep 1.5
		tail -c +$((n + 1)) '$FX/big.es'
	EOF
	chmod +x slow_big
}

@test "progress: a run past one second shows records, rate and distinct keys, with -v or on a terminal; cleared before the summary" {
	write_slow_big
	dd_to ref.es "$FX/big.es"
	local line=$'\r''trace-dedup: [0-9.]+ MiB read, [0-9]+ edges \([0-9.]+ M/s\), [0-9]+ distinct'$'\e''\[K'
	run -0 --separate-stderr bash -c './slow_big | "$DEDUP" -v -o v.es'
	[[ $stderr =~ $line ]] || fail "no progress line with -v: $(printf '%q' "$stderr")"
	[[ $stderr == *$'\r\e[K'"trace-dedup: 300000 records in 1 segments -> "* ]] ||
		fail "progress not cleared before the summary: $(printf '%q' "$stderr")"
	same v.es ref.es "-v with progress"
	# Standard error a terminal, no -v: the progress line, and no summary.
	run -0 script -qec "./slow_big | '$DEDUP' -o t.es" /dev/null </dev/null
	[[ $output =~ $line ]] || fail "no progress line on a terminal: $(printf '%q' "$output")"
	[[ $output != *records\ in* ]] || fail "$output"
	same t.es ref.es "progress on a terminal"
	# -q on a terminal: nothing.
	run -0 script -qec "./slow_big | '$DEDUP' -q -o q.es" /dev/null </dev/null
	[ -z "$output" ] || fail "-q on a terminal: $(printf '%q' "$output")"
}

@test "output: ~155,000 distinct edges (sorted on two threads) come out in canonical node order" {
	dd_to big.es "$FX/big.es"
	# Nodes are ranked by module name, then symbol, byte-wise: as sort(1)
	# orders these four fields in the C locale. -u: no key twice.
	run -0 bash -c '"$TRACE_CAT" big.es | jq -r "[.caller, .callee] | map(split(\"!\")) | flatten | @tsv" |
		LC_ALL=C sort -c -u -t "$(printf "\t")" -k1,1 -k2,2 -k3,3 -k4,4 && "$TRACE_CAT" big.es | wc -l'
	[ "$output" -gt 150000 ] || fail "$output edges"
}

@test "output: deterministic, and the result is a valid stream with one segment" {
	dd_to 1.es --by host,pid --window 5m "$FX/a.es" "$FX/b.es" "$FX/c.es"
	dd_to 2.es --by host,pid --window 5m "$FX/a.es" "$FX/b.es" "$FX/c.es"
	same 1.es 2.es "two runs"
	run -0 "$TRACE_CAT" --stats 1.es
	run -0 bash -c '"$TRACE_CAT" --all 1.es | grep -c "\"type\":\"header\""'
	assert_output 1
	run -0 bash -c '"$TRACE_CAT" --all 1.es | jq -r "select(.type==\"header\") | [.producer,.source] | @tsv"'
	assert_output --regexp $'^trace-dedup [0-9.]+\tdedup$'
	# Refolding in place (-o naming an input) is safe: the input is read first.
	cp 1.es inplace.es
	dd_to inplace.es --by host,pid --window 5m inplace.es
	same inplace.es 1.es "in-place refold"
}

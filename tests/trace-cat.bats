#!/usr/bin/env bats
# trace-cat: decoding, encoding, statistics, output conventions and strictness
# (issue 2, items 4-6). Every input is generated here with trace-cat --encode,
# or derived from such a stream with the zstd CLI and perl.

load helpers

# Canonical NDJSON (what `trace-cat --all` prints), so decode(encode(x)) == x.
write_small_nd() {
	cat <<'EOF'
{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"test","host":"h1","source":"ebpf","start":1000,"end":9000,"params":{"mode":"probe"}}
{"type":"module","name":"app","path":"/usr/bin/app","build_id_kind":"gnu","build_id":"aabbccdd"}
{"type":"module","name":"libc.so.6"}
{"type":"edge","caller":"app!main","caller_build_id":"aabbccdd","callee":"app!parse_args","callee_build_id":"aabbccdd","count":3,"first_seen":1500,"last_seen":2500,"evidence":["ebpf-probe"],"confidence":90,"class":"confirmed","site":"main.c:10","window_start":1000,"window_end":9000,"host":"h1","pid":42,"comm":"app","container":"c1","cgroup":7}
{"type":"edge","caller":"app+0x1234","caller_build_id":"aabbccdd","callee":"libc.so.6!malloc","count":1,"first_seen":1600,"last_seen":1600}
{"type":"coverage","node":"app!parse_args","node_build_id":"aabbccdd","method":"entry-probe","start":1000,"end":9000}
{"type":"trailer","records":9,"edges":2,"losses":{"ringbuf_full":5}}
EOF
}

# Two segments; every field the NDJSON form has, escapes, non-ASCII, the
# three identity kinds, unnamed bits/classes/states, a saturated count.
write_rich_nd() {
	cat <<'EOF'
{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"test 1.0","host":"build-host","source":"ebpf","start":1700000000000000000,"end":1700000060000000000,"params":{"mode":"probe,sample","rate":"99"}}
{"type":"module","name":"app","path":"/usr/bin/app","purl":"pkg:deb/debian/app@1.0","build_id_kind":"gnu","build_id":"0123456789abcdef0123456789abcdef01234567"}
{"type":"module","name":"libc.so.6","path":"/lib/x86_64-linux-gnu/libc.so.6","build_id_kind":"sha256","build_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
{"type":"module","name":"kernel32.dll","build_id_kind":"pe-rsds","build_id":"0123456789ABCDEF0123456789ABCDEF1A"}
{"type":"edge","caller":"app!main","caller_build_id":"0123456789abcdef0123456789abcdef01234567","caller_offset":4660,"caller_flags":["entry"],"caller_state":"confirmed-reachable","caller_file":"main.c","caller_line":10,"callee":"app!parse_config","callee_build_id":"0123456789abcdef0123456789abcdef01234567","callee_flags":["address-taken","indirect-site"],"count":12,"first_seen":1700000001000000000,"last_seen":1700000059000000000,"evidence":["static","ebpf-probe"],"confidence":100,"class":"confirmed","site":"main.c:12","window_start":1700000000000000000,"window_end":1700000060000000000,"host":"build-host","pid":4242,"comm":"app","container":"abc123","cgroup":9876}
{"type":"edge","caller":"app+0x1a2b","caller_build_id":"0123456789abcdef0123456789abcdef01234567","callee":"libc.so.6!malloc","callee_build_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","count":18446744073709551615,"first_seen":1700000002000000000,"last_seen":1700000002000000000,"evidence":["ebpf-sample","bit7"],"class":"runtime-only"}
{"type":"edge","caller":"kernel32.dll!BaseThreadInitThunk","caller_build_id":"0123456789ABCDEF0123456789ABCDEF1A","callee":"app!quote\"back\\slash\ttab é 日本","callee_build_id":"0123456789abcdef0123456789abcdef01234567","callee_flags":["jit","bit12"],"callee_state":"state42","count":1,"first_seen":0,"last_seen":0,"evidence":["etw-sample"],"confidence":50,"class":"class9"}
{"type":"coverage","node":"app!parse_config","node_build_id":"0123456789abcdef0123456789abcdef01234567","node_flags":["address-taken","indirect-site"],"method":"entry-probe","start":1700000000000000000,"end":1700000060000000000,"host":"build-host","pid":4242}
{"type":"coverage","node":"libc.so.6!malloc","node_build_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","method":"sampled","start":1,"end":2}
{"type":"trailer","records":12,"edges":3,"losses":{"ringbuf_full":12,"stack_truncated":3}}
{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"test 1.0","source":"static"}
{"type":"module","name":"app"}
{"type":"edge","caller":"app!main","callee":"app!parse_config","count":1,"first_seen":5,"last_seen":6,"evidence":["static"],"class":"static-only"}
{"type":"trailer","records":5,"edges":1}
EOF
}

# The smallest stream with every record type (header with params, strings,
# module, nodes, context, window, edges, coverage, trailer with a loss): the
# one cut at every byte offset.
write_tiny_nd() {
	cat <<'EOF'
{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"t","source":"s","params":{"m":"p"}}
{"type":"module","name":"a","build_id_kind":"gnu","build_id":"aabb"}
{"type":"edge","caller":"a!f","caller_build_id":"aabb","callee":"a+0x10","callee_build_id":"aabb","count":3,"first_seen":1,"last_seen":2,"evidence":["static"],"confidence":9,"class":"confirmed","site":"s","window_start":1,"window_end":2,"pid":4}
{"type":"coverage","node":"a!f","node_build_id":"aabb","method":"sampled","start":1,"end":2}
{"type":"trailer","records":8,"edges":1,"losses":{"l":1}}
EOF
}

setup_file() {
	FX=$BATS_FILE_TMPDIR
	export FX TRACE_CAT
	[ -x "$TRACE_CAT" ] || {
		echo "$TRACE_CAT is missing: run make (or set TM_BIN)" >&2
		return 1
	}
	write_small_nd >"$FX/small.nd"
	write_rich_nd >"$FX/rich.nd"
	write_tiny_nd >"$FX/tiny.nd"
	"$TRACE_CAT" --encode -o "$FX/tiny.es" "$FX/tiny.nd"
	zstd -q -d -c "$FX/tiny.es" >"$FX/tiny.raw"
	"$TRACE_CAT" --encode -o "$FX/small.es" "$FX/small.nd"
	"$TRACE_CAT" --encode -o "$FX/rich.es" "$FX/rich.nd"
	# Large enough for several zstd blocks and edge records, and > a pipe buffer.
	tm_edges 20000 >"$FX/big.nd"
	"$TRACE_CAT" --encode -o "$FX/big.es" "$FX/big.nd"
	"$TRACE_CAT" --all "$FX/big.es" >"$FX/big.all"
	zstd -q -d -c "$FX/small.es" >"$FX/small.raw"
}

setup() {
	tm_setup
}

teardown() {
	tm_teardown
}

# ---------------------------------------------------------------- decoding

@test "decode: default output is one self-contained edge line per edge" {
	run -0 --separate-stderr "$TRACE_CAT" "$FX/rich.es"
	[ -z "$stderr" ]
	assert_equal "${#lines[@]}" 4
	# Exactly the edge lines of the canonical NDJSON, in stream order.
	assert_output "$(grep '^{"type":"edge"' "$FX/rich.nd")"
}

@test "decode: an edge line carries names, count, times, build ids, context, window, evidence, class, site" {
	run -0 "$TRACE_CAT" "$FX/small.es"
	assert_line --index 0 '{"type":"edge","caller":"app!main","caller_build_id":"aabbccdd","callee":"app!parse_args","callee_build_id":"aabbccdd","count":3,"first_seen":1500,"last_seen":2500,"evidence":["ebpf-probe"],"confidence":90,"class":"confirmed","site":"main.c:10","window_start":1000,"window_end":9000,"host":"h1","pid":42,"comm":"app","container":"c1","cgroup":7}'
	# Checked field by field too (values fit a double exactly, so jq is exact).
	run -0 bash -c '"$TRACE_CAT" "$FX/small.es" | jq -c "select(.caller == \"app!main\") |
	    [.callee, .count, .first_seen, .last_seen, .caller_build_id, .evidence, .confidence,
	     .class, .site, .window_start, .window_end, .host, .pid, .comm, .container, .cgroup]"'
	assert_output '["app!parse_args",3,1500,2500,"aabbccdd",["ebpf-probe"],90,"confirmed","main.c:10",1000,9000,"h1",42,"app","c1",7]'
}

@test "decode: unsymbolized nodes print as module+0xOFFSET, symbolized ones as module!symbol" {
	run -0 bash -c '"$TRACE_CAT" "$FX/rich.es" | jq -r "\"\(.caller) -> \(.callee)\""'
	assert_line --index 0 'app!main -> app!parse_config'
	assert_line --index 1 'app+0x1a2b -> libc.so.6!malloc'
	assert_line --index 2 $'kernel32.dll!BaseThreadInitThunk -> app!quote"back\\slash\ttab é 日本'
}

@test "decode: node attributes (offset, flags, state, file, line) and all three identity kinds" {
	run -0 "$TRACE_CAT" "$FX/rich.es"
	assert_line --index 0 --partial '"caller_offset":4660,"caller_flags":["entry"],"caller_state":"confirmed-reachable","caller_file":"main.c","caller_line":10,'
	assert_line --index 1 --partial '"callee_build_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'
	assert_line --index 1 --partial '"count":18446744073709551615,"first_seen":1700000002000000000,'
	assert_line --index 1 --partial '"evidence":["ebpf-sample","bit7"],"class":"runtime-only"'
	assert_line --index 2 --partial '"caller_build_id":"0123456789ABCDEF0123456789ABCDEF1A"'
	assert_line --index 2 --partial '"callee_flags":["jit","bit12"],"callee_state":"state42"'
	assert_line --index 2 --partial '"class":"class9"'
}

@test "decode: trace-cat FILE | jq 'select(.callee|test(\"parse\"))' works without joins" {
	run -0 --separate-stderr bash -c '"$TRACE_CAT" "$FX/rich.es" | jq -c "select(.callee|test(\"parse\"))"'
	[ -z "$stderr" ] || fail "jq complained: $stderr"
	assert_equal "${#lines[@]}" 2
	run -0 bash -c '"$TRACE_CAT" "$FX/rich.es" | jq -r "select(.callee|test(\"parse\")) | .caller + \" \" + .callee"'
	assert_output $'app!main app!parse_config\napp!main app!parse_config'
}

@test "decode --all: header, module, edge, coverage and trailer lines in stream order" {
	run -0 "$TRACE_CAT" --all "$FX/rich.es"
	assert_output "$(cat "$FX/rich.nd")"
	run -0 bash -c '"$TRACE_CAT" --all "$FX/rich.es" | jq -r .type | tr "\n" " "'
	assert_output 'header module module module edge edge edge coverage coverage trailer header module edge trailer '
}

@test "decode --all: the trailer line carries record/edge counts and the losses" {
	run -0 bash -c '"$TRACE_CAT" --all "$FX/rich.es" | jq -c "select(.type == \"trailer\")"'
	assert_line --index 0 '{"type":"trailer","records":12,"edges":3,"losses":{"ringbuf_full":12,"stack_truncated":3}}'
	assert_line --index 1 '{"type":"trailer","records":5,"edges":1}'
}

@test "decode --all: coverage lines name the node and the method" {
	run -0 bash -c '"$TRACE_CAT" --all "$FX/small.es" | jq -c "select(.type == \"coverage\")"'
	assert_output '{"type":"coverage","node":"app!parse_args","node_build_id":"aabbccdd","method":"entry-probe","start":1000,"end":9000}'
}

@test "decode: no operand reads stdin, and '-' is stdin" {
	run -0 bash -c '"$TRACE_CAT" --all < "$FX/small.es"'
	assert_output "$(cat "$FX/small.nd")"
	run -0 bash -c '"$TRACE_CAT" --all - < "$FX/small.es"'
	assert_output "$(cat "$FX/small.nd")"
}

@test "decode: several operands are decoded in order, '-' among them" {
	run -0 bash -c '"$TRACE_CAT" "$FX/small.es" - "$FX/small.es" < "$FX/rich.es"'
	assert_output "$("$TRACE_CAT" "$FX/small.es"; "$TRACE_CAT" "$FX/rich.es"; "$TRACE_CAT" "$FX/small.es")"
}

# --------------------------------------------------------------- segments

@test "segments: a stream with two segments has two headers and two trailers" {
	run -0 bash -c '"$TRACE_CAT" --all "$FX/rich.es" | jq -c "select(.type == \"header\" or .type == \"trailer\") | [.type, .source, .edges]"'
	assert_output $'["header","ebpf",null]\n["trailer",null,3]\n["header","static",null]\n["trailer",null,1]'
}

@test "concatenation: cat a b | trace-cat is decoding a then b" {
	cat "$FX/small.es" "$FX/rich.es" "$FX/small.es" >cat.es
	run -0 "$TRACE_CAT" cat.es
	assert_output "$("$TRACE_CAT" "$FX/small.es"; "$TRACE_CAT" "$FX/rich.es"; "$TRACE_CAT" "$FX/small.es")"
	run -0 bash -c 'cat "$FX/small.es" "$FX/rich.es" | "$TRACE_CAT"'
	assert_output "$("$TRACE_CAT" "$FX/small.es" "$FX/rich.es")"
}

@test "concatenation: with --all too, cat a b | trace-cat is decoding a then b" {
	cat "$FX/small.es" "$FX/rich.es" >cat.es
	"$TRACE_CAT" --all cat.es >cat.nd
	"$TRACE_CAT" --all "$FX/small.es" >sep.nd
	"$TRACE_CAT" --all "$FX/rich.es" >>sep.nd
	cmp cat.nd sep.nd
	run -0 bash -c 'cat "$FX/rich.es" "$FX/small.es" | "$TRACE_CAT" --all'
	assert_output "$("$TRACE_CAT" --all "$FX/rich.es" "$FX/small.es")"
}

@test "concatenation: encode(decode(cat a b)) is byte-identical to cat a b" {
	cat "$FX/small.es" "$FX/rich.es" "$FX/big.es" >cat.es
	"$TRACE_CAT" --all cat.es | "$TRACE_CAT" --encode -o again.es
	cmp cat.es again.es
}

# --------------------------------------------------------------- round trip

@test "round trip: decode(encode(J)) == J for canonical NDJSON" {
	"$TRACE_CAT" --encode "$FX/rich.nd" -o r.es
	run -0 "$TRACE_CAT" --all r.es
	assert_output "$(cat "$FX/rich.nd")"
	"$TRACE_CAT" --encode <"$FX/small.nd" >s.es
	"$TRACE_CAT" --all s.es | cmp - "$FX/small.nd"
}

@test "round trip: encode(decode(S)) is byte-identical to S" {
	local s
	for s in small rich big; do
		"$TRACE_CAT" --all "$FX/$s.es" | "$TRACE_CAT" --encode >"$s.again"
		cmp "$FX/$s.es" "$s.again" || fail "$s: re-encoded stream differs"
	done
}

@test "round trip: default (edge-only) output re-encodes to the same edges" {
	"$TRACE_CAT" "$FX/rich.es" | "$TRACE_CAT" --encode -o e.es
	run -0 "$TRACE_CAT" e.es
	assert_output "$("$TRACE_CAT" "$FX/rich.es")"
}

@test "encode: edge lines without a header get a default header and trailer" {
	printf '%s\n' '{"type":"edge","caller":"a!f","callee":"b!g","count":2,"first_seen":1,"last_seen":3}' >e.nd
	run -0 bash -c '"$TRACE_CAT" --encode e.nd | "$TRACE_CAT" --all'
	assert_line --index 0 '{"type":"header","format":"tracemerge-edges","major":1,"minor":0,"producer":"trace-cat","source":"ndjson"}'
	assert_line --index 3 '{"type":"edge","caller":"a!f","callee":"b!g","count":2,"first_seen":1,"last_seen":3}'
	assert_line --index 4 '{"type":"trailer","records":6,"edges":1}'
}

@test "encode: empty input is a valid stream of one empty segment" {
	run -0 bash -c '"$TRACE_CAT" --encode </dev/null >empty.es && "$TRACE_CAT" --all empty.es'
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial '{"type":"header","format":"tracemerge-edges","major":1,'
	assert_line --index 1 --regexp '^\{"type":"trailer","records":[0-9]+,"edges":0\}$'
	run -0 "$TRACE_CAT" empty.es
	refute_output
}

@test "encode: blank lines, CRLF line ends and a missing final newline are accepted" {
	printf '\n  \n{"type":"edge","caller":"a!f","callee":"b!g","count":1,"first_seen":1,"last_seen":2}\r\n\r\n{"type":"edge","caller":"a!f","callee":"b!h","count":1,"first_seen":1,"last_seen":2}' >e.nd
	run -0 bash -c '"$TRACE_CAT" --encode e.nd | "$TRACE_CAT" | jq -r .callee'
	assert_output $'b!g\nb!h'
}

@test "encode: several operands and '-' form one input" {
	head -n 4 "$FX/small.nd" >a.nd
	sed -n 5,6p "$FX/small.nd" >b.nd
	tail -n 1 "$FX/small.nd" >c.nd
	"$TRACE_CAT" --encode a.nd - c.nd <b.nd >abc.es
	cmp abc.es "$FX/small.es"
}

@test "determinism: encoding the same NDJSON twice gives byte-identical streams" {
	"$TRACE_CAT" --encode "$FX/rich.nd" >1.es
	"$TRACE_CAT" --encode "$FX/rich.nd" >2.es
	cmp 1.es 2.es
	"$TRACE_CAT" --encode -o 3.es "$FX/big.nd"
	cmp 3.es "$FX/big.es"
	"$TRACE_CAT" --all "$FX/big.es" >a.nd
	cmp a.nd "$FX/big.all"
}

@test "--level: default is 3; levels 1 and 19 are deterministic and decode to the same records" {
	tm_edges 3000 >mid.nd
	"$TRACE_CAT" --encode -o l.es mid.nd
	"$TRACE_CAT" --encode --level 3 -o l3.es mid.nd
	cmp l3.es l.es
	"$TRACE_CAT" --all l.es >mid.all
	"$TRACE_CAT" --encode --level 1 -o l1.es mid.nd
	"$TRACE_CAT" --encode --level 19 -o l19.es mid.nd
	"$TRACE_CAT" --encode --level=19 -o l19b.es mid.nd
	cmp l19.es l19b.es
	"$TRACE_CAT" --all l1.es | cmp - mid.all
	"$TRACE_CAT" --all l19.es | cmp - mid.all
	# (no size comparison: on small records level 19 is not always smaller)
	if cmp -s l1.es l19.es; then fail "--level made no difference"; fi
}

# --------------------------------------------------------------- statistics

@test "--stats: per-segment blocks and a total, as text" {
	run -0 --separate-stderr "$TRACE_CAT" --stats "$FX/rich.es" "$FX/small.es"
	[ -z "$stderr" ]
	assert_line --index 0 "$FX/rich.es: segment 1"
	assert_line --regexp '^  producer +test 1\.0$'
	assert_line --regexp '^  source +ebpf$'
	assert_line --regexp '^  host +build-host$'
	assert_line --index 4 --regexp '^  edges +3$'
	assert_line --index 5 --regexp '^  count +18446744073709551615$'
	assert_line --regexp '^  records +12 \(modules 3, nodes 6, strings 15\)$'
	assert_line --regexp '^  coverage +2$'
	assert_line --regexp '^  span +2023-11-14T22:13:21(\.0+)?Z \.\. 2023-11-14T22:14:19(\.0+)?Z$'
	assert_line --regexp '^  losses +ringbuf_full=12 stack_truncated=3$'
	assert_line "$FX/rich.es: segment 2"
	assert_line "$FX/small.es: segment 1"
	assert_line --regexp '^  losses +ringbuf_full=5$'
	assert_line --regexp '^  losses +none$'
	run -0 bash -c '"$TRACE_CAT" --stats "$FX/rich.es" "$FX/small.es" | grep -c "^  trailer *yes$"'
	assert_output 3
	run -0 bash -c '"$TRACE_CAT" --stats "$FX/rich.es" "$FX/small.es" | sed -n "/^total/,\$p"'
	assert_line --index 0 'total: 3 segments, 6 edges, count 18446744073709551615, 3 complete'
	assert_line --index 1 --regexp '^  span +1970-01-01T00:00:00\.000000005Z \.\. 2023-11-14T22:14:19(\.0+)?Z$'
	assert_line --index 2 --regexp '^  losses +ringbuf_full=17 stack_truncated=3$'
}

@test "--stats --json: per-segment and total counts, span, losses, trailer yes/no" {
	run -0 --separate-stderr "$TRACE_CAT" --stats --json "$FX/small.es" "$FX/rich.es"
	[ -z "$stderr" ]
	assert_equal "${#lines[@]}" 1
	echo "$output" >stats.json
	jq -e '.segments | length == 3' stats.json
	jq -e --arg f "$FX/small.es" '.segments[0] == {"file":$f,"segment":1,"producer":"test","source":"ebpf","host":"h1","edges":2,"count":4,"records":9,"modules":2,"nodes":4,"strings":9,"coverage":1,"first_seen":1500,"last_seen":2500,"losses":{"ringbuf_full":5},"trailer":true}' stats.json
	jq -e '.segments[2] | .segment == 2 and .source == "static" and .host == null and .edges == 1 and .first_seen == 5 and .last_seen == 6 and .losses == {} and .trailer == true' stats.json
	jq -e '.total | .segments == 3 and .complete == 3 and .edges == 6 and .coverage == 3 and .first_seen == 5 and .losses == {"ringbuf_full":17,"stack_truncated":3}' stats.json
	# Exact 64-bit values (jq 1.6 reads numbers as doubles).
	assert_output --partial '"last_seen":1700000059000000000,"losses":{"ringbuf_full":17,"stack_truncated":3}}}'
	assert_output --partial '"count":18446744073709551615,"coverage":3,'
}

@test "--stats: reads stdin and concatenated input, numbering segments through it" {
	run -0 bash -c 'cat "$FX/small.es" "$FX/rich.es" | "$TRACE_CAT" --stats --json'
	echo "$output" | jq -e '[.segments[] | [.file, .segment]] == [["(stdin)",1],["(stdin)",2],["(stdin)",3]]'
}

@test "--stats -o FILE writes the statistics there" {
	run -0 "$TRACE_CAT" --stats -o st.txt "$FX/small.es"
	refute_output
	grep -q '^total: 1 segment, 2 edges, count 4, 1 complete$' st.txt
}

@test "--stats: a segment without its trailer is reported as missing (--allow-truncated)" {
	# Drop the trailer record ([15, {...}], msgpack 0x92 0x0f) from the payload.
	perl -0777 -e 'my $d = <STDIN>; print substr($d, 0, rindex($d, "\x92\x0f"))' <"$FX/small.raw" >nt.raw
	tm_pack nt.raw nt.es
	run -0 --separate-stderr "$TRACE_CAT" --stats --allow-truncated nt.es
	assert_line --regexp '^  trailer +MISSING'
	assert_line 'total: 1 segment, 2 edges, count 4, 0 complete'
	run -0 --separate-stderr "$TRACE_CAT" --stats --json --allow-truncated nt.es
	echo "$output" | jq -e '.segments[0].trailer == false and .total.complete == 0 and .segments[0].edges == 2'
	run -3 --separate-stderr "$TRACE_CAT" --stats nt.es
	tm_one_line_error trace-cat nt.es 'segment ends without a trailer'
}

# --------------------------------------------------------------- output

@test "-o FILE: written atomically, no temporary file left (decode, encode, stats)" {
	run -0 "$TRACE_CAT" -o out.nd "$FX/rich.es"
	refute_output
	run -0 "$TRACE_CAT" --encode -o out.es "$FX/rich.nd"
	run -0 "$TRACE_CAT" --stats --output out.txt "$FX/rich.es"
	run -0 ls -A
	assert_output $'out.es\nout.nd\nout.txt'
	"$TRACE_CAT" "$FX/rich.es" | cmp - out.nd
	cmp out.es "$FX/rich.es"
}

@test "-o -: standard output" {
	run -0 "$TRACE_CAT" -o - "$FX/small.es"
	assert_output "$("$TRACE_CAT" "$FX/small.es")"
	run -0 ls -A
	refute_output
}

@test "-o FILE: on failure the target is not created and no temporary file is left" {
	echo '{"type":"edge","caller":"a!f","callee":"b!g","count":"x"}' >bad.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o out.es "$FX/small.nd" bad.nd
	tm_one_line_error trace-cat bad.nd:1
	head -c 200 "$FX/big.es" >cut.es
	run -3 --separate-stderr "$TRACE_CAT" -o out.nd "$FX/small.es" cut.es
	tm_one_line_error trace-cat cut.es
	run -3 --separate-stderr "$TRACE_CAT" --stats -o out.txt cut.es
	run -0 ls -A
	assert_output $'bad.nd\ncut.es'
}

@test "-o FILE: on failure an existing target is not replaced" {
	echo precious >out.es
	echo precious >out.nd
	echo '{"type":"nope"}' >bad.nd
	run -3 "$TRACE_CAT" --encode -o out.es bad.nd
	echo hello >text
	run -3 "$TRACE_CAT" -o out.nd "$FX/small.es" text
	[ "$(cat out.es)" = precious ]
	[ "$(cat out.nd)" = precious ]
	run -0 ls -A
	assert_output $'bad.nd\nout.es\nout.nd\ntext'
}

@test "-o FILE: a success replaces an existing target" {
	echo old >out.es
	run -0 "$TRACE_CAT" --encode -o out.es "$FX/small.nd"
	cmp out.es "$FX/small.es"
}

@test "-o FILE: the file mode follows the umask" {
	(umask 022 && "$TRACE_CAT" -o a.nd "$FX/small.es")
	(umask 077 && "$TRACE_CAT" --encode -o b.es "$FX/small.nd")
	assert_equal "$(stat -c %a a.nd)" 644
	assert_equal "$(stat -c %a b.es)" 600
}

@test "-o FILE in a missing directory: exit 4, one line naming the file" {
	run -4 --separate-stderr "$TRACE_CAT" -o nodir/out.nd "$FX/small.es"
	tm_one_line_error trace-cat nodir/out.nd 'No such file or directory'
	[ -z "$output" ]
}

@test "-o FIFO: the output goes into the FIFO; it is not replaced by a regular file" {
	# What -o /dev/null would do to /dev/null (as root), shown safely on a FIFO.
	mkfifo out.fifo
	timeout 10 cat out.fifo >got 3>&- &
	local reader=$!
	run -0 timeout 10 "$TRACE_CAT" -o out.fifo "$FX/small.es"
	if [ ! -p out.fifo ]; then
		kill "$reader" 2>/dev/null || true
		wait "$reader" || true
		fail "-o replaced the FIFO with a regular file (so -o /dev/null replaces /dev/null)"
	fi
	wait "$reader"
	"$TRACE_CAT" "$FX/small.es" | cmp - got
}

@test "-o FILE: a SIGTERM while reading removes the temporary file" {
	mkfifo in.fifo
	"$TRACE_CAT" --encode -o out.es in.fifo 3>&- &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do
		compgen -G 'out.es.*' >/dev/null && break
		sleep 0.05
	done
	compgen -G 'out.es.*' >/dev/null || { kill "$pid"; fail "no temporary file appeared"; }
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	run -0 ls -A
	assert_output in.fifo
}

@test "write error on standard output: exit 4, one line" {
	[ -w /dev/full ] || skip "needs /dev/full"
	run -4 --separate-stderr bash -c '"$TRACE_CAT" "$FX/big.es" >/dev/full'
	tm_one_line_error trace-cat '(stdout)' 'write error'
	run -4 --separate-stderr bash -c '"$TRACE_CAT" --encode "$FX/small.nd" >/dev/full'
	tm_one_line_error trace-cat '(stdout)' 'write error'
}

@test "terminal: --encode refuses to write a binary stream to a terminal without -f" {
	require_cmd script
	run -2 script -qec "'$TRACE_CAT' --encode '$FX/small.nd'" /dev/null </dev/null
	assert_output --partial 'trace-cat: refusing to write a binary stream to a terminal'
	run -2 script -qec "'$TRACE_CAT' --encode -o - '$FX/small.nd'" /dev/null </dev/null
	assert_output --partial 'refusing to write a binary stream to a terminal'
}

@test "terminal: -f writes the stream anyway; -o FILE and NDJSON need no -f" {
	require_cmd script
	run -0 script -qec "'$TRACE_CAT' --encode -f '$FX/small.nd'" /dev/null </dev/null
	[[ $output == $'\x28\xb5\x2f\xfd'* ]] || fail "no zstd frame on the terminal: $output"
	run -0 script -qec "'$TRACE_CAT' --encode --force -o out.es '$FX/small.nd'" /dev/null </dev/null
	run -0 script -qec "'$TRACE_CAT' --encode -o out2.es '$FX/small.nd'" /dev/null </dev/null
	cmp out2.es "$FX/small.es"
	run -0 script -qec "'$TRACE_CAT' '$FX/small.es'" /dev/null </dev/null
	assert_output --partial '"callee":"app!parse_args"'
	run -0 script -qec "'$TRACE_CAT' --stats '$FX/small.es'" /dev/null </dev/null
	assert_output --partial 'total: 1 segment'
}

@test "SIGPIPE: trace-cat big | head -1 prints one line and nothing on stderr" {
	local env=(env)
	# SIGPIPE's default action, whatever the parent left (needs coreutils 8.31).
	if env --default-signal=PIPE true 2>/dev/null; then env+=(--default-signal=PIPE); fi
	run -0 "${env[@]}" bash -c \
	    '"$TRACE_CAT" "$FX/big.es" 2>err | head -n 1; echo "${PIPESTATUS[0]}" >rc'
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --partial '"callee":"libx.so.1!parse_0"'
	[ ! -s err ] || fail "stderr: $(cat err)"
	# Killed by SIGPIPE (141) or a clean exit; never an error exit.
	[[ $(cat rc) == 141 || $(cat rc) == 0 ]] || fail "exit $(cat rc)"
}

# --------------------------------------------------------------- help, version, usage

@test "--help and -h: usage on stdout, exit 0, nothing on stderr" {
	local h
	for h in --help -h; do
		run -0 --separate-stderr "$TRACE_CAT" $h
		[ -z "$stderr" ]
		assert_line --index 0 --partial 'Usage: trace-cat'
		assert_output --partial '--encode'
		assert_output --partial '--stats'
		assert_output --partial '--allow-truncated'
		assert_output --partial '--max-record'
		assert_output --partial '--level'
		assert_output --partial '--all'
	done
}

@test "--version and -V: one line on stdout, exit 0" {
	run -0 --separate-stderr "$TRACE_CAT" --version
	[ -z "$stderr" ]
	assert_output --regexp '^trace-cat .*[0-9]+\.[0-9]+\.[0-9]+$'
	local v=$output
	run -0 "$TRACE_CAT" -V
	assert_equal "$output" "$v"
}

@test "usage errors: exit 2, one line naming the problem, then Try 'trace-cat --help'." {
	local args
	while IFS= read -r args; do
		run --separate-stderr "$TRACE_CAT" $args </dev/null
		[ "$status" -eq 2 ] || fail "'$args': exit $status"
		[ -z "$output" ] || fail "'$args': stdout: $output"
		[ "${#stderr_lines[@]}" -eq 2 ] || fail "'$args': stderr: $stderr"
		[ "${stderr_lines[1]}" = "Try 'trace-cat --help'." ] || fail "'$args': $stderr"
	done <<'EOF'
--bogus
-x
-o
--level
--max-record
--encode=yes
--level 0
--level 20
--level x
--level -1
--max-record 1K
--max-record 5G
--max-record 12Q
--max-record abc
--json
--json --encode
--encode --stats
--stats --encode
--allow-truncated --encode
--all --encode
--all --stats
EOF
}

@test "usage errors: the program is named 'trace-cat:' (not argv[0]) on the error line" {
	local args
	for args in --bogus -x -o --encode=yes --level --level=0 --json; do
		run --separate-stderr "$TRACE_CAT" $args
		assert_equal "$status" 2
		[[ ${stderr_lines[0]} == "trace-cat: "* ]] || fail "'$args': $stderr"
	done
}

@test "usage: sizes for --max-record take K/M/G suffixes; --level takes 1..19" {
	local s
	for s in 4K 4096 64M 1G 4G; do
		run -0 "$TRACE_CAT" --max-record "$s" "$FX/small.es"
	done
	for s in 1 19; do
		run -0 "$TRACE_CAT" --encode --level "$s" -o "l$s.es" "$FX/small.nd"
	done
}

@test "-v: accepted; stdout unchanged, no error on stderr" {
	run -0 --separate-stderr "$TRACE_CAT" -v "$FX/big.es"
	assert_equal "${#lines[@]}" 20000
	[[ -z $stderr || $stderr != *error* ]] || fail "$stderr"
	run -0 "$TRACE_CAT" --verbose --all "$FX/small.es"
	assert_output "$(cat "$FX/small.nd")"
}

# --------------------------------------------------------------- truncation

@test "--allow-truncated: keeps the complete records, says how many, warns, exits 0" {
	head -c 80000 "$FX/big.es" >cut.es
	run -0 --separate-stderr "$TRACE_CAT" --allow-truncated cut.es
	local kept=${#lines[@]}
	[ "$kept" -gt 0 ] && [ "$kept" -lt 20000 ] || fail "kept $kept edges"
	# What it kept is a prefix of the intact stream's edges.
	diff <(printf '%s\n' "${lines[@]}") <("$TRACE_CAT" "$FX/big.es" | head -n "$kept")
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "trace-cat: warning: cut.es: "* ]] || fail "$stderr"
	[[ ${stderr_lines[0]} == *truncated* ]] || fail "$stderr"
	# The issue: "say how many it kept".
	[[ ${stderr_lines[0]} =~ kept\ ([0-9]+) ]] || fail "warning does not say how many it kept: $stderr"
	assert_equal "${BASH_REMATCH[1]}" "$kept"
}

@test "--allow-truncated: without it the same cut is an error (exit 3, one line)" {
	head -c 80000 "$FX/big.es" >cut.es
	run -3 --separate-stderr "$TRACE_CAT" cut.es
	tm_one_line_error trace-cat cut.es 'truncated'
}

@test "-q silences the --allow-truncated warning" {
	head -c 80000 "$FX/big.es" >cut.es
	run -0 --separate-stderr "$TRACE_CAT" --allow-truncated -q cut.es
	[ -z "$stderr" ] || fail "$stderr"
	[ "${#lines[@]}" -gt 0 ]
	run -0 --separate-stderr "$TRACE_CAT" --allow-truncated --quiet --stats cut.es
	[ -z "$stderr" ]
	assert_line --regexp '^  trailer +MISSING'
}

@test "--allow-truncated: a segment without a trailer before the next one; the next is still read" {
	perl -0777 -e 'my $d = <STDIN>; print substr($d, 0, rindex($d, "\x92\x0f"))' <"$FX/small.raw" >nt.raw
	cat nt.raw "$FX/small.raw" >mid.raw
	tm_pack mid.raw mid.es
	run -3 --separate-stderr "$TRACE_CAT" mid.es
	tm_one_line_error trace-cat mid.es 'segment 1: .*without a trailer'
	run -0 --separate-stderr "$TRACE_CAT" --allow-truncated --all mid.es
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '"type":"edge"')" 4
	assert_line --index 6 --partial '{"type":"header","format":"tracemerge-edges",'
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "trace-cat: warning: mid.es: "* ]] || fail "$stderr"
}

@test "--allow-truncated: an intact stream decodes the same, with no warning" {
	run -0 --separate-stderr "$TRACE_CAT" --allow-truncated --all "$FX/rich.es"
	[ -z "$stderr" ]
	assert_output "$(cat "$FX/rich.nd")"
}

@test "--allow-truncated does not excuse corruption" {
	cp "$FX/small.es" flip.es
	printf '\xff' | dd of=flip.es bs=1 seek=200 conv=notrunc status=none
	run -3 --separate-stderr "$TRACE_CAT" --allow-truncated flip.es
	tm_one_line_error trace-cat flip.es 'corrupt'
}

# --------------------------------------------------------------- strictness

# Check one truncated/corrupted input: exit 3 and one line naming it. Prints
# a line for each failure, nothing on success.
expect_rejected() {
	local f=$1 name=${2:-$1} rc=0 e
	"$TRACE_CAT" "$f" >/dev/null 2>"$f.err" || rc=$?
	mapfile -t e <"$f.err"
	if [ "$rc" -ne 3 ] || [ "${#e[@]}" -ne 1 ] || [[ ${e[0]} != "trace-cat: $name: "* ]]; then
		echo "$f: exit $rc: ${e[*]}"
	fi
	return 0
}

# write_prefixes FILE DIR: DIR/i holds the first i bytes of FILE, for every i < size.
write_prefixes() {
	mkdir -p "$2"
	perl -e 'local $/; open(my $f, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!"; my $d = <$f>;
	    for my $i (0 .. length($d) - 1) {
	        open(my $o, ">:raw", "$ARGV[1]/$i") or die "$ARGV[1]/$i: $!"; print $o substr($d, 0, $i); close $o }' "$1" "$2"
}

# write_flips FILE DIR SEED: DIR/0..199 are FILE with one byte XORed with 1..255.
write_flips() {
	mkdir -p "$2"
	perl -e 'srand($ARGV[2]); local $/; open(my $f, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!"; my $d = <$f>;
	    for my $i (0 .. 199) { my $c = $d; my $o = int(rand(length $d)); my $x = 1 + int(rand(255));
	        substr($c, $o, 1) = chr(ord(substr($c, $o, 1)) ^ $x);
	        open(my $o2, ">:raw", "$ARGV[1]/$i") or die "$ARGV[1]/$i: $!"; print $o2 $c; close $o2 }' "$1" "$2" "$3"
}

cut_one() {
	expect_rejected "cut/$1"
}

@test "strictness: a stream cut at every byte offset exits 3 with one line naming the file" {
	write_prefixes "$FX/tiny.es" cut
	run -0 tm_parallel "$(wc -c <"$FX/tiny.es")" cut_one
	[ -z "$output" ] || fail "$output"
	# ... and the whole stream is fine, and canonical.
	"$TRACE_CAT" --all "$FX/tiny.es" | cmp - "$FX/tiny.nd"
}

payload_cut_one() {
	expect_rejected "pcut/$1.zst"
}

@test "strictness: the msgpack payload cut at every byte offset (recompressed) exits 3" {
	write_prefixes "$FX/tiny.raw" pcut
	zstd -q --rm pcut/*
	run -0 tm_parallel "$(wc -c <"$FX/tiny.raw")" payload_cut_one
	[ -z "$output" ] || fail "$output"
}

stdin_cut_one() {
	local i=$(($1 * 37)) rc=0 e
	head -c "$i" "$FX/small.es" | "$TRACE_CAT" >/dev/null 2>"stdin.$i.err" || rc=$?
	mapfile -t e <"stdin.$i.err"
	if [ "$rc" -ne 3 ] || [ "${#e[@]}" -ne 1 ] || [[ ${e[0]} != "trace-cat: (stdin): "* ]]; then
		echo "offset $i: exit $rc: ${e[*]}"
	fi
	return 0
}

@test "strictness: a cut stream on stdin is named (stdin)" {
	local n
	n=$(wc -c <"$FX/small.es")
	run -0 tm_parallel $(((n + 36) / 37)) stdin_cut_one
	[ -z "$output" ] || fail "$output"
}

@test "strictness: cutting concatenated segments exits 0 only at a segment boundary" {
	local a n i rc
	cat "$FX/small.es" "$FX/small.es" >two.es
	a=$(wc -c <"$FX/small.es")
	n=$(wc -c <two.es)
	for i in $((a - 1)) "$a" $((a + 1)) $((a + 4)) $((a + 100)) $((n - 1)) "$n"; do
		rc=0
		head -c "$i" two.es >cut.es
		"$TRACE_CAT" cut.es >out 2>err || rc=$?
		if [ "$i" -eq "$a" ] || [ "$i" -eq "$n" ]; then
			[ "$rc" -eq 0 ] || fail "offset $i (a boundary): exit $rc: $(cat err)"
		else
			[ "$rc" -eq 3 ] || fail "offset $i: exit $rc: $(cat err)"
		fi
	done
}

# Prints "same", "rejected" or what went wrong.
flip_one() {
	local f=flip/$1 rc=0 e
	"$TRACE_CAT" --all "$f" >"$f.out" 2>"$f.err" || rc=$?
	mapfile -t e <"$f.err"
	if [ "$rc" -eq 0 ] && [ "${#e[@]}" -eq 0 ] && cmp -s "$f.out" ref; then
		echo same
	elif [ "$rc" -eq 3 ] && [ "${#e[@]}" -eq 1 ] && [[ ${e[0]} == "trace-cat: $f: "* ]]; then
		echo rejected
	else
		echo "$f: exit $rc: ${e[*]}"
	fi
	return 0
}

@test "strictness: 200 seeded byte flips: exit 3 with one line, or exit 0 with identical output" {
	"$TRACE_CAT" --all "$FX/small.es" >ref
	write_flips "$FX/small.es" flip 20260101
	run -0 tm_parallel 200 flip_one
	local rejected same
	rejected=$(grep -c '^rejected$' <<<"$output" || true)
	same=$(grep -c '^same$' <<<"$output" || true)
	echo "# $rejected rejected, $same harmless" >&3
	[ "$((rejected + same))" -eq 200 ] || fail "$(grep -v -e '^rejected$' -e '^same$' <<<"$output")"
	# zstd's checksum catches (nearly) everything.
	[ "$rejected" -ge 190 ]
}

# Prints "accepted", "rejected" or what went wrong.
payload_flip_one() {
	local f=pf/$1.zst rc=0 e
	"$TRACE_CAT" --all "$f" >"$f.out" 2>"$f.err" || rc=$?
	mapfile -t e <"$f.err"
	if [ "$rc" -eq 0 ] && [ "${#e[@]}" -eq 0 ]; then
		echo accepted
	elif [ "$rc" -eq 3 ] && [ "${#e[@]}" -eq 1 ] && [[ ${e[0]} == "trace-cat: $f: "* ]]; then
		echo rejected
		: >"$f.out"
	else
		echo "$f: exit $rc: ${e[*]}"
	fi
	return 0
}

@test "strictness: 200 seeded flips inside the msgpack payload: exit 0 or 3, never a crash; output stays valid JSON" {
	write_flips "$FX/small.raw" pf 7
	zstd -q --rm pf/*
	run -0 tm_parallel 200 payload_flip_one
	local rejected accepted
	rejected=$(grep -c '^rejected$' <<<"$output" || true)
	accepted=$(grep -c '^accepted$' <<<"$output" || true)
	echo "# $rejected rejected, $accepted accepted (a flipped count or time is undetectable)" >&3
	[ "$((rejected + accepted))" -eq 200 ] || fail "$(grep -v -e '^rejected$' -e '^accepted$' <<<"$output")"
	cat pf/*.out >accepted.ndjson
	iconv -f UTF-8 -t UTF-8 accepted.ndjson >/dev/null || fail "accepted output is not valid UTF-8"
	jq -c . accepted.ndjson >/dev/null
}

@test "strictness: a string that is not UTF-8 in a stream never yields invalid JSON" {
	# "libc.so.6!malloc" with one byte of "malloc" replaced by 0xff.
	perl -0777 -pe 's/malloc/m\xfflloc/' <"$FX/small.raw" >u.raw
	tm_pack u.raw u.es
	run --separate-stderr "$TRACE_CAT" u.es
	if [ "$status" -eq 0 ]; then
		printf '%s\n' "$output" | iconv -f UTF-8 -t UTF-8 >/dev/null ||
			fail "exit 0 but the output is not UTF-8: $output"
	else
		assert_equal "$status" 3
		tm_one_line_error trace-cat u.es
	fi
}

@test "strictness: wrong major version: exit 3, 'unsupported format version'" {
	# The header's "major" value (positive fixint 1) becomes 2.
	perl -0777 -pe 's/\xa5major\x01/\xa5major\x02/' <"$FX/small.raw" >v2.raw
	if cmp -s v2.raw "$FX/small.raw"; then fail "the major version was not patched"; fi
	tm_pack v2.raw v2.es
	run -3 --separate-stderr "$TRACE_CAT" v2.es
	tm_one_line_error trace-cat v2.es 'unsupported format version'
	assert_equal "$output" ""
	run -3 --separate-stderr "$TRACE_CAT" --stats v2.es
	tm_one_line_error trace-cat v2.es 'unsupported format version'
}

@test "strictness: a newer minor version is read" {
	perl -0777 -pe 's/\xa5minor\x00/\xa5minor\x05/' <"$FX/small.raw" >m5.raw
	if cmp -s m5.raw "$FX/small.raw"; then fail "the minor version was not patched"; fi
	tm_pack m5.raw m5.es
	run -0 "$TRACE_CAT" --all m5.es
	assert_line --index 0 --partial '"major":1,"minor":5,'
}

@test "strictness: NDJSON header with major 2 is rejected by --encode" {
	sed '1s/"major":1/"major":2/' "$FX/small.nd" >v2.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o v2.es v2.nd
	tm_one_line_error trace-cat v2.nd:1 'major: unsupported format version'
	[ ! -e v2.es ]
}

@test "strictness: empty file and empty stdin: exit 3" {
	: >empty
	run -3 --separate-stderr "$TRACE_CAT" empty
	tm_one_line_error trace-cat empty 'empty'
	run -3 --separate-stderr bash -c '"$TRACE_CAT" </dev/null'
	tm_one_line_error trace-cat '(stdin)' 'empty'
	run -3 --separate-stderr "$TRACE_CAT" --stats empty
	tm_one_line_error trace-cat empty
}

@test "strictness: files that are not streams: exit 3, 'not an edge stream'" {
	echo "hello, world" >text
	head -c 1000 /dev/urandom >random
	printf '\x28\xb5\x2f\xfd' >magic-only
	echo hi | zstd -q -c >hi.zst
	printf '\x92\x07\x80' | zstd -q -c >noheader.zst
	perl -0777 -pe 's/tracemerge-edges/tracemerge-edgez/' <"$FX/small.raw" | zstd -q -c >format.zst
	local f
	for f in text random hi.zst noheader.zst format.zst; do
		run -3 --separate-stderr "$TRACE_CAT" "$f"
		tm_one_line_error trace-cat "$f" 'not an edge stream'
	done
	run -3 --separate-stderr "$TRACE_CAT" magic-only
	tm_one_line_error trace-cat magic-only
	# An NDJSON file passed without --encode.
	run -3 --separate-stderr "$TRACE_CAT" "$FX/small.nd"
	tm_one_line_error trace-cat "$FX/small.nd" 'not an edge stream'
}

@test "strictness: garbage after a complete stream: exit 3" {
	{ cat "$FX/small.es"; echo junk; } >tail1.es
	{ cat "$FX/small.es"; head -c 16 /dev/zero; } >tail2.es
	{ cat "$FX/small.es"; echo hi | zstd -q -c; } >tail3.es
	local f
	for f in tail1.es tail2.es tail3.es; do
		run -3 --separate-stderr "$TRACE_CAT" "$f"
		tm_one_line_error trace-cat "$f"
	done
}

@test "strictness: a zstd window over 2^27 bytes is refused" {
	zstd -q -d -c "$FX/small.es" | zstd -q --long=30 -c >w.es
	run -3 --separate-stderr "$TRACE_CAT" w.es
	tm_one_line_error trace-cat w.es 'window'
}

@test "--max-record: a record over the limit is refused, wherever it falls in the buffer" {
	run -0 "$TRACE_CAT" --max-record 4K "$FX/small.es"
	run -0 "$TRACE_CAT" --max-record 1M "$FX/big.es"
	assert_equal "${#lines[@]}" 20000
	# big.es holds edge records of ~128 KiB: none may pass a 4 KiB limit.
	run -3 --separate-stderr "$TRACE_CAT" --max-record 4K "$FX/big.es"
	tm_one_line_error trace-cat "$FX/big.es" 'record.* larger than'
	assert_equal "${#lines[@]}" 0
}

@test "environment: a directory operand: exit 4 (decode, --stats, --encode)" {
	mkdir dir
	run -4 --separate-stderr "$TRACE_CAT" dir
	tm_one_line_error trace-cat dir 'directory'
	run -4 --separate-stderr "$TRACE_CAT" --stats dir
	tm_one_line_error trace-cat dir 'directory'
	run -4 --separate-stderr "$TRACE_CAT" --encode -o out.es dir
	tm_one_line_error trace-cat dir 'directory'
	[ ! -e out.es ]
}

@test "environment: a missing file: exit 4, 'No such file or directory'" {
	run -4 --separate-stderr "$TRACE_CAT" does-not-exist.es
	tm_one_line_error trace-cat does-not-exist.es 'No such file or directory'
	run -4 --separate-stderr "$TRACE_CAT" --encode -o out.es does-not-exist.nd
	tm_one_line_error trace-cat does-not-exist.nd 'No such file or directory'
	[ ! -e out.es ]
}

@test "environment: an unreadable file: exit 4, 'Permission denied'" {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/tm-perm.XXXXXX")
	chmod 755 "$d"
	cp "$FX/small.es" "$d/locked.es"
	chmod 000 "$d/locked.es"
	if [ "$(id -u)" != 0 ]; then
		run -4 --separate-stderr "$TRACE_CAT" "$d/locked.es"
	elif command -v setpriv >/dev/null 2>&1; then
		# Root ignores file modes: run as nobody instead.
		run -4 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$TRACE_CAT" "$d/locked.es"
	else
		rm -rf "$d"
		skip "runs as root without setpriv: file modes do not apply"
	fi
	rm -rf "$d"
	tm_one_line_error trace-cat "$d/locked.es" 'Permission denied'
}

@test "errors: a bad second operand is named; the first one's edges were written" {
	echo hello >text
	run -3 --separate-stderr "$TRACE_CAT" "$FX/small.es" text
	tm_one_line_error trace-cat text 'not an edge stream'
	assert_output "$("$TRACE_CAT" "$FX/small.es")"
}

# --------------------------------------------------------------- bad NDJSON

# Case i of the bad-NDJSON table: case/i.nd must fail with exit 3, one line
# "trace-cat: case/i.nd:2: ..." matching the regular expression in case/i.want.
bad_ndjson_one() {
	local f=case/$1 rc=0 e want
	"$TRACE_CAT" --encode -o "$f.es" "$f.nd" 2>"$f.err" || rc=$?
	mapfile -t e <"$f.err"
	want=$(<"$f.want")
	if [ "$rc" -ne 3 ] || [ "${#e[@]}" -ne 1 ] || [[ ${e[0]} != "trace-cat: $f.nd:2: "* ]] ||
	    ! [[ ${e[0]} =~ $want ]] || [ -e "$f.es" ]; then
		echo "$(sed -n 2p "$f.nd") (want /$want/): exit $rc: ${e[*]}"
	fi
	return 0
}

@test "--encode: bad NDJSON: exit 3, one line 'trace-cat: FILE:LINE: ...', no output file" {
	local spec want n=0
	mkdir case
	# Each case: the NDJSON line, a tab, a regular expression its error must match.
	while IFS=$'\t' read -r spec want; do
		printf '%s\n' '{"type":"edge","caller":"a!f","callee":"b!g","count":1,"first_seen":1,"last_seen":2}' "$spec" >"case/$n.nd"
		printf '%s' "$want" >"case/$n.want"
		n=$((n + 1))
	done <<'EOF'
{"type":"edge",	.
{"type":"edge","caller":"a!f"	.
not json	.
[1,2]	object
"edge"	object
{}	type
{"type":1}	type
{"type":"bogus"}	unknown record type
{"type":"edge","caller":"a!f","callee":"b!g","bogus":1}	bogus: unknown key
{"type":"edge","caller":"a!f","callee":"b!g","caller_bogus":1}	caller_bogus: unknown key
{"type":"header","format":"tracemerge-edges","major":1,"color":"red"}	color: unknown key
{"type":"edge","caller":"af","callee":"b!g"}	caller: .*module!symbol
{"type":"edge","caller":"a!f","callee":"b"}	callee: .*module!symbol
{"type":"edge","caller":"!f","callee":"b!g"}	caller: empty module
{"type":"edge","caller":"a+0x","callee":"b!g"}	caller
{"type":"edge","caller":"a+0xZZ","callee":"b!g"}	caller: bad hexadecimal
{"type":"edge","caller":"a+0x0012","callee":"b!g"}	caller: .*leading zeros
{"type":"edge","caller":"a+0x12","caller_offset":5,"callee":"b!g"}	caller_offset
{"type":"edge","callee":"b!g"}	caller: missing
{"type":"edge","caller":7,"callee":"b!g"}	caller: expected a string
{"type":"edge","caller":"a!f","callee":"b!g","count":"1"}	count: expected a non-negative integer
{"type":"edge","caller":"a!f","callee":"b!g","count":-1}	count: expected a non-negative integer
{"type":"edge","caller":"a!f","callee":"b!g","count":1.5}	count: expected a non-negative integer
{"type":"edge","caller":"a!f","callee":"b!g","count":18446744073709551616}	count
{"type":"edge","caller":"a!f","callee":"b!g","first_seen":null}	first_seen
{"type":"edge","caller":"a!f","callee":"b!g","confidence":101}	confidence
{"type":"edge","caller":"a!f","callee":"b!g","pid":4294967296}	pid
{"type":"edge","caller":"a!f","callee":"b!g","evidence":"static"}	evidence: expected an array
{"type":"edge","caller":"a!f","callee":"b!g","evidence":["telepathy"]}	evidence: unknown evidence
{"type":"edge","caller":"a!f","callee":"b!g","class":"great"}	class: unknown edge class
{"type":"edge","caller":"a!f","callee":"b!g","site":5}	site: expected a string
{"type":"edge","caller":"a!f","callee":"b!g","window_start":1}	window_start
{"type":"edge","caller":"a!f","callee":"b!g","caller_flags":["shiny"]}	caller_flags: unknown flag
{"type":"edge","caller":"a!f","callee":"b!g","callee_state":"molten"}	callee_state: unknown state
{"type":"edge","caller":"a!f","caller_build_id":"xyz","callee":"b!g"}	caller.*build id
{"type":"module","path":"/x"}	name: missing
{"type":"module","name":"m","build_id":"aabb"}	build_id
{"type":"module","name":"m","build_id_kind":"gnu","build_id":"AABB"}	build_id: malformed
{"type":"module","name":"m","build_id_kind":"sideways","build_id":"aabb"}	build_id_kind: unknown
{"type":"coverage","node":"a!f","method":"psychic"}	method: unknown coverage method
{"type":"coverage","method":"sampled"}	node: missing
{"type":"trailer","losses":{"x":"many"}}	losses
{"type":"trailer","losses":[1]}	losses
{"type":"header","format":"other-edges","major":1}	format
{"type":"header","format":"tracemerge-edges","major":"1"}	major
{"type":"header","format":"tracemerge-edges","major":1,"params":{"a":1}}	params
{"type":"edge","caller":"a!f","callee":"b!g"} trailing	.
EOF
	run -0 tm_parallel "$n" bad_ndjson_one
	[ -z "$output" ] || fail "$output"
}

@test "--encode: line numbers count blank lines and restart for each operand" {
	printf '\n\n{"type":"edge","caller":"a!f","callee":"b!g"}\n\n{"type":"nope"}\n' >one.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o out.es one.nd
	tm_one_line_error trace-cat one.nd:5
	head -n 4 one.nd >ok.nd
	printf '{"type":"edge","caller":"a!f","callee":"b!g"}\n{"type":"nope"}\n' >two.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o out.es ok.nd two.nd
	tm_one_line_error trace-cat two.nd:2 'unknown record type'
	run -3 --separate-stderr bash -c 'printf "{\"type\":\"nope\"}\n" | "$TRACE_CAT" --encode -o out.es'
	tm_one_line_error trace-cat '(stdin):1'
	[ ! -e out.es ]
}

@test "--encode: invalid UTF-8 in an NDJSON string is rejected (RFC 8259 §8.1)" {
	printf '{"type":"edge","caller":"a!f\xff","callee":"b!g","count":1,"first_seen":1,"last_seen":2}\n' >u.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o out.es u.nd
	tm_one_line_error trace-cat u.nd:1
	[ ! -e out.es ]
}

@test "--encode: a NUL (\\u0000) inside a string is either kept exactly or rejected" {
	local f
	for f in '"site":"a\u0000b"' '"host":"h\u0000x"' '"caller_file":"x\u0000.c"'; do
		printf '{"type":"edge","caller":"a!f","callee":"b!g","count":1,"first_seen":1,"last_seen":2,%s}\n' "$f" >n.nd
		run --separate-stderr "$TRACE_CAT" --encode -o n.es n.nd
		if [ "$status" -eq 0 ]; then
			run -0 "$TRACE_CAT" n.es
			assert_output --partial "$f"
		else
			assert_equal "$status" 3
			tm_one_line_error trace-cat n.nd:1
		fi
		rm -f n.es
	done
}

@test "round trip: a module name containing '!' survives decode and re-encode" {
	# Linux file names may contain '!'; craft "we!rd" by patching "weXrd".
	printf '%s\n' '{"type":"edge","caller":"weXrd!f","callee":"weXrd!g","count":1,"first_seen":1,"last_seen":2}' |
	    "$TRACE_CAT" --encode | zstd -q -d -c | perl -0777 -pe 's/weXrd/we!rd/g' >w.raw
	tm_pack w.raw w.es
	"$TRACE_CAT" --all w.es >1.nd
	grep -q '"name":"we!rd"' 1.nd
	run --separate-stderr bash -c '"$TRACE_CAT" --encode 1.nd | "$TRACE_CAT" --all'
	[ "$status" -eq 0 ] || fail "re-encoding the decoded stream failed: $stderr"
	assert_output "$(cat 1.nd)"
}

@test "conflict and resolution: names and unnamed values round trip; an unknown name is refused at its line" {
	cat >cr.nd <<'ND'
{"type":"edge","caller":"a!m","callee":"a!f","count":2,"first_seen":1,"last_seen":2,"class":"runtime-only","conflict":"tail-call","resolution":"explained"}
{"type":"edge","caller":"a!m","callee":"a!g","count":1,"first_seen":1,"last_seen":2,"conflict":"conflict99","resolution":"resolution7"}
ND
	run -0 "$TRACE_CAT" --encode -o cr.es cr.nd
	run -0 "$TRACE_CAT" cr.es
	assert_equal "$output" "$(cat cr.nd)"
	echo '{"type":"edge","caller":"a!m","callee":"a!f","conflict":"none"}' >bad.nd
	run -3 --separate-stderr "$TRACE_CAT" --encode -o bad.es bad.nd
	tm_one_line_error trace-cat bad.nd:1 'conflict: unknown conflict class'
	[ ! -e bad.es ]
}

#!/usr/bin/env bats
# trace-merge (issue 4): static graphs from the real producers (gcc
# -fcallgraph-info at -O0 and -O2, clang + opt -dot-callgraph, a shared
# library, JSON, a static edge stream) joined with runtime edges (NDJSON in
# the shape trace-capture writes, encoded with trace-cat --encode; and real
# captures when root): edge classes, lattice states, --why, --focus, JSON
# summary counts, DOT styling, aliases, build-id binding, errors.

load helpers

MERGE=$TM_BIN/trace-merge
DATA=$BATS_TEST_DIRNAME/data/merge

setup_file() {
	command -v gcc >/dev/null 2>&1 || return 0
	"$BATS_TEST_DIRNAME/data/merge/build.sh" "$BATS_FILE_TMPDIR/prog" >/dev/null 2>&1 ||
		echo "build.sh failed" >"$BATS_FILE_TMPDIR/build-failed"
}

setup() {
	tm_setup
	require_bin trace-merge trace-cat
	require_cmd gcc jq
	[ ! -e "$BATS_FILE_TMPDIR/build-failed" ] || fail "tests/data/merge/build.sh failed"
	P=$BATS_FILE_TMPDIR/prog
	tm_encode rt.es "$DATA/runtime.ndjson"
}

teardown() {
	tm_teardown
}

# After run --separate-stderr: exactly one line on stderr, "trace-merge: FILE: ..."
# or, from a parser that knows the line, "trace-merge: FILE:LINE: ...".
one_line_error() {
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "expected one line on stderr, got: $stderr"
	[[ ${stderr_lines[0]} == "trace-merge: $1: "* || ${stderr_lines[0]} =~ ^trace-merge:\ $1:[0-9]+:\  ]] ||
		fail "stderr does not start with 'trace-merge: $1:': $stderr"
}

# class CALLER CALLEE < JSON: the class of one edge.
edge_class() {
	jq -r --arg a "$1" --arg b "$2" '.edges[] | select(.caller == $a and .callee == $b) | .class'
}

# state NODE < JSON
node_state() {
	jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .state'
}

@test "gcc -O0 .ci directory: every edge class of the test program" {
	run -0 "$MERGE" --static "$P/O0" rt.es --format json
	echo "$output" >m.json
	# Direct calls seen at runtime.
	assert_equal "$(edge_class app!main app!load_config <m.json)" confirmed
	assert_equal "$(edge_class app!load_config app!parse.c:scan <m.json)" confirmed
	assert_equal "$(edge_class app!parse.c:scan app!foo_parse <m.json)" confirmed
	# TU-local functions of two files with the same name, told apart by the runtime's file.
	assert_equal "$(edge_class app!main app!app.c:helper <m.json)" confirmed
	assert_equal "$(edge_class app!foo_parse app!parse.c:helper <m.json)" confirmed
	# Through the handler table: main has an indirect call site.
	assert_equal "$(edge_class app!main app!app.c:on_text <m.json)" confirmed-indirect
	assert_equal "$(edge_class app!main app!app.c:on_bin <m.json)" confirmed-indirect
	# dlopen plugin and the dlsym lookup by name: indirect calls resolved at runtime.
	assert_equal "$(edge_class app!app.c:run_plugin plugin.so!plugin_run <m.json)" confirmed-indirect
	assert_equal "$(edge_class app!main app!by_name <m.json)" confirmed-indirect
	# The qsort callback comes from libc; the static graph knows no such edge.
	assert_equal "$(edge_class libc.so.6!msort_with_tmp.part.0 app!app.c:by_value <m.json)" runtime-only
	assert_equal "$(edge_class plugin.so!plugin_run plugin.so!twice <m.json)" runtime-only
	# In the static graph, never observed.
	assert_equal "$(edge_class app!main app!qsort <m.json)" static-only
	assert_equal "$(edge_class app!never_called app!foo_parse <m.json)" static-only
	# Call sites come from the static graph.
	assert_equal "$(jq -r '.edges[] | select(.caller == "app!parse.c:scan" and .callee == "app!foo_parse") | "\(.site) \(.count) \(.evidence|join(","))"' m.json)" \
		"parse.c:35 1204 static,ebpf-probe"
}

@test "gcc -O0: node states cover the whole lattice" {
	run -0 "$MERGE" --static "$P/O0" rt.es --format json
	echo "$output" >m.json
	assert_equal "$(node_state app!main <m.json)" confirmed-reachable
	assert_equal "$(node_state app!foo_parse <m.json)" confirmed-reachable
	assert_equal "$(node_state app!printf <m.json)" static-reachable
	# Dead code, without and with an entry probe that never fired.
	assert_equal "$(node_state app!legacy_format <m.json)" static-unreachable
	assert_equal "$(node_state app!never_called <m.json)" confirmed-unreachable
	# Reached only through dlsym(RTLD_DEFAULT, "by_name"): no static path, yet observed.
	assert_equal "$(node_state app!by_name <m.json)" contested
	# Outside the static graph's module.
	assert_equal "$(node_state plugin.so!plugin_run <m.json)" runtime-observed
	assert_equal "$(node_state plugin.so!plugin_unload <m.json)" runtime-unobserved
	# Sampled coverage proves nothing.
	assert_equal "$(node_state libidle.so.1!idle_loop <m.json)" unknown
	# Address-taken callbacks are reachable through main's indirect call site.
	assert_equal "$(node_state app!app.c:by_value <m.json)" confirmed-reachable
	assert_equal "$(jq -r '.nodes[] | select(.name == "app!main") | .flags | join(",")' m.json)" indirect-site,entry
	assert_equal "$(jq -r '.nodes[] | select(.name == "app!qsort") | .flags | join(",")' m.json)" external
	assert_equal "$(jq -r '.entries | join(",")' m.json)" app!main
	assert_equal "$(jq -r '.binding.kind + " " + .binding.module' m.json)" "inferred app"
}

@test "--format json: summary counts per class and per state" {
	run -0 "$MERGE" --static "$P/O0" rt.es --format json
	assert_equal "$(echo "$output" | jq -c .summary)" \
		'{"nodes":29,"edges":29,"classes":{"confirmed":12,"confirmed-indirect":4,"static-only":9,"runtime-only":4},"states":{"unknown":1,"static-reachable":6,"static-unreachable":1,"runtime-observed":6,"runtime-unobserved":1,"confirmed-reachable":12,"confirmed-unreachable":1,"contested":1}}'
	# The counts are those of the lists.
	assert_equal "$(echo "$output" | jq '[.edges[] | select(.class == "confirmed")] | length')" 12
	assert_equal "$(echo "$output" | jq '[.nodes[] | select(.state == "contested")] | length')" 1
}

@test "--why foo_parse: the runtime-confirmed path first, then static; exit 0" {
	run -0 "$MERGE" --static "$P/O0" rt.es --why foo_parse
	assert_equal "$output" "app!foo_parse: reached (confirmed-reachable)
runtime path 1:
  app!main
    -> app!load_config  [confirmed; static,ebpf-probe; 1 call; app.c:65]
    -> app!parse.c:scan  [confirmed; static,ebpf-probe; 1 call; parse.c:40]
    -> app!foo_parse  [confirmed; static,ebpf-probe; 1204 calls; parse.c:35]
static path 1: runtime path 1, every edge also static"
}

@test "--why: a static-only path, a contested function, an address-taken callback" {
	run -0 "$MERGE" --static "$P/O0" rt.es --why app!printf
	assert_line --index 0 "app!printf: reached (static-reachable)"
	assert_line --index 1 "static path 1:"
	assert_line --index 3 "    -> app!printf  [static-only; static; app.c:74]"
	assert_line "  no runtime path: never observed"
	run -0 "$MERGE" --static "$P/O0" rt.es --why by_name
	assert_line --index 0 "app!by_name: reached (contested)"
	assert_line "    -> app!by_name  [confirmed-indirect; ebpf-probe; 1 call]"
	assert_line "  no static path from the entry points (app!main)"
	run -0 "$MERGE" --static "$P/O0" rt.es --why by_value
	assert_line --index 1 "runtime path 1:"
	assert_line --index 2 "  libc.so.6!msort_with_tmp.part.0"
	assert_line "    ~> app!app.c:by_value  [may: address-taken, through an indirect call site in app!main]"
}

@test "--why: not reached exits 1; an unknown name exits 1 with one line on stderr" {
	run -1 "$MERGE" --static "$P/O0" rt.es --why never_called
	assert_line --index 0 "app!never_called: not reached (confirmed-unreachable)"
	assert_line "  not observed: an exact entry probe was attached and never fired"
	assert_line "  no static path from the entry points (app!main)"
	run -1 "$MERGE" --static "$P/O0" rt.es --why legacy_format
	assert_line --index 0 "app!legacy_format: not reached (static-unreachable)"
	run -1 --separate-stderr "$MERGE" --static "$P/O0" rt.es --why no_such_function
	assert_equal "$output" ""
	assert_equal "$stderr" "trace-merge: --why no_such_function: no such function in the static graph or the runtime edges"
}

@test "--format dot: confirmed solid, static-only dashed grey, runtime-only red, nodes coloured by state" {
	run -0 "$MERGE" --static "$P/O0" rt.es --format dot
	echo "$output" >m.dot
	assert_line --index 0 'digraph "trace-merge" {'
	assert_line --partial '"app!main" -> "app!load_config" [style=solid, color="#000000", tooltip="confirmed", label="1"'
	assert_line --partial '"app!main" -> "app!app.c:on_text" [style=solid, color="#2166ac", tooltip="confirmed-indirect"'
	assert_line --partial '"app!main" -> "app!qsort" [style=dashed, color="#9e9e9e", tooltip="static-only"]'
	assert_line --partial '"libc.so.6!msort_with_tmp.part.0" -> "app!app.c:by_value" [style=solid, color="#d73027", tooltip="runtime-only", label="7"'
	assert_line --partial '"app!by_name" [fillcolor="#f46d43"'
	assert_line --partial '"app!main" [fillcolor="#5aae61", fontcolor="#000000", tooltip="confirmed-reachable", penwidth=2]'
	assert_line --partial '"app!never_called" [fillcolor="#9e9e9e"'
	assert_equal "$(grep -c -- ' -> ' m.dot)" 29
	require_cmd dot
	dot -Tsvg m.dot >graph.svg
	grep -q '<svg' graph.svg
}

@test "--focus foo_parse: JSON and DOT keep only the paths from the entry points to it" {
	run -0 "$MERGE" --static "$P/O0" rt.es --format json --focus foo_parse
	assert_equal "$(echo "$output" | jq -r '[.nodes[].name] | join(" ")')" \
		"app!foo_parse app!load_config app!main app!parse.c:scan"
	assert_equal "$(echo "$output" | jq -r '.focus + " " + (.summary.edges|tostring)')" "app!foo_parse 3"
	run -0 "$MERGE" --static "$P/O0" rt.es --format dot --focus foo_parse
	assert_equal "$(echo "$output" | grep -c -- ' -> ')" 3
	assert_line --partial '"app!foo_parse" [fillcolor="#5aae61", fontcolor="#000000", tooltip="confirmed-reachable", peripheries=2]'
	run -1 --separate-stderr "$MERGE" --static "$P/O0" rt.es --format dot --focus nope
	assert_equal "$stderr" "trace-merge: --focus nope: no such function in the static graph or the runtime edges"
}

@test "aliases: weigh.constprop.0 at runtime (an -O2 binary) matches weigh of the -O0 .ci, and is recorded" {
	nm "$P/O2/app" | grep -q ' weigh.constprop.0$' || skip "this gcc made no weigh.constprop.0 at -O2"
	cat >o2.ndjson <<'EOF'
{"type":"edge","caller":"app!main","callee":"app!load_config","count":1,"evidence":["ebpf-sample"]}
{"type":"edge","caller":"app!load_config","callee":"app!weigh.constprop.0","callee_file":"parse.c","count":5,"evidence":["ebpf-sample"]}
{"type":"edge","caller":"app!parse_text","callee":"app!weigh.constprop.0","callee_file":"parse.c","count":2,"evidence":["ebpf-sample"]}
EOF
	tm_encode o2.es o2.ndjson
	# Against -O0: the clone is an alias of its origin; the inlined frames show as runtime-only.
	run -0 "$MERGE" --static "$P/O0" o2.es --format json
	echo "$output" >m.json
	assert_equal "$(edge_class app!parse_text app!parse.c:weigh <m.json)" confirmed
	assert_equal "$(edge_class app!load_config app!parse.c:weigh <m.json)" runtime-only
	assert_equal "$(jq -c '.nodes[] | select(.name == "app!parse.c:weigh") | [.aliases, .match, .flags]' m.json)" \
		'[["weigh.constprop.0"],"constprop",["alias"]]'
	# The stream records the alias in the flags (bit 8) and the header.
	run -0 "$MERGE" --static "$P/O0" o2.es -o m.es
	run -0 "$TRACE_CAT" --all m.es
	assert_line --index 0 --partial '"alias:app!parse.c:weigh":"weigh.constprop.0"'
	assert_line --partial '"callee":"app!parse.c:weigh","callee_flags":["alias"]'
	# Against -O2, the same build: exact names, and the inlined path is in the graph.
	run -0 "$MERGE" --static "$P/O2" o2.es --format json
	echo "$output" >m2.json
	assert_equal "$(edge_class app!load_config app!parse.c:weigh.constprop.0 <m2.json)" confirmed
	assert_equal "$(jq -r '.nodes[] | select(.name == "app!parse.c:weigh.constprop.0") | .aliases // "none"' m2.json)" none
	# The -O0 name at runtime finds the -O2 clone when only the clone exists.
	printf '%s\n' '{"type":"edge","caller":"app!parse_text","callee":"app!weigh","callee_file":"parse.c","count":1}' | tm_encode o0.es
	run -0 "$MERGE" --static "$P/O2" o0.es --format json
	assert_equal "$(echo "$output" | edge_class app!parse_text app!parse.c:weigh.constprop.0)" confirmed
}

@test "clang + opt -dot-callgraph: LLVM's DOT joins the same runtime edges (indirect calls are not in it)" {
	[ -s "$P/dot/prog.bc.callgraph.dot" ] || skip "needs clang, llvm-link and opt"
	run -0 "$MERGE" --static "$P/dot/prog.bc.callgraph.dot" rt.es --format json
	echo "$output" >m.json
	assert_equal "$(edge_class app!main app!load_config <m.json)" confirmed
	assert_equal "$(edge_class app!scan app!foo_parse <m.json)" confirmed
	assert_equal "$(edge_class app!main app!qsort <m.json)" static-only
	# LLVM's DOT drops calls through pointers: main has no indirect call site there.
	assert_equal "$(edge_class app!main app!on_text <m.json)" runtime-only
	assert_equal "$(node_state app!foo_parse <m.json)" confirmed-reachable
	assert_equal "$(jq -r .entries[0] m.json)" app!main
	# --static-format dot says the same as auto.
	run -0 "$MERGE" --static "$P/dot/prog.bc.callgraph.dot" --static-format dot rt.es --format json
	assert_equal "$output" "$(cat m.json)"
}

@test "build-id binding: --binary joins the module with its build id; another build of 'app' is not joined" {
	require_cmd readelf
	id=$(readelf -n "$P/O0/app" | awk '/Build ID/ { print $3 }')
	[ -n "$id" ] || fail "no build id in $P/O0/app"
	# Every app node gets the build id (sed, not jq: jq 1.6 rounds the ns times).
	sed -E "s/(\"(caller|callee|node)\":\"app![^\"]*\")/\1,\"\2_build_id\":\"$id\"/g" \
		"$DATA/runtime.ndjson" >good.ndjson
	grep -q "\"callee_build_id\":\"$id\"" good.ndjson
	printf '%s\n' '{"type":"edge","caller":"app!main","caller_build_id":"0123456789abcdef","callee":"app!load_config","callee_build_id":"0123456789abcdef","count":9}' >stale.ndjson
	tm_encode both.es good.ndjson stale.ndjson
	run -0 --separate-stderr "$MERGE" --static "$P/O0" --binary "$P/O0/app" both.es --format json
	echo "$output" >m.json
	assert_equal "$(jq -r '.binding | "\(.kind) \(.module) \(.build_id)"' m.json)" "build-id app $id"
	# Two modules named app: the other build sorts first (by build id) and is not joined.
	assert_equal "$(jq -r '[.edges[] | select(.caller == "app!main" and .callee == "app!load_config") | .class] | join(",")' m.json)" \
		"runtime-only,confirmed"
	assert_equal "$(jq -r '[.nodes[] | select(.name == "app!main") | "\(.build_id) \(.state)"] | join(",")' m.json)" \
		"0123456789abcdef runtime-observed,$id confirmed-reachable"
	assert_equal "$stderr" "trace-merge: warning: runtime module app has build id 0123456789abcdef, not the --binary's $id: not joined (a different build?)"
	# -q silences the warning.
	run -0 --separate-stderr "$MERGE" -q --static "$P/O0" --binary "$P/O0/app" both.es --format json
	assert_equal "$stderr" ""
}

@test "--binary of a shared library: its exported functions are the entry points" {
	run -0 "$MERGE" --static "$P/lib/libparse.so-parse.ci" --binary "$P/lib/libparse.so" --no-runtime --format json
	echo "$output" >m.json
	assert_equal "$(jq -r '.entries | join(" ")' m.json)" \
		"libparse.so!by_name libparse.so!foo_parse libparse.so!legacy_format libparse.so!load_config libparse.so!never_called libparse.so!parse_text"
	assert_equal "$(node_state libparse.so!never_called <m.json)" static-reachable
	assert_equal "$(node_state libparse.so!parse.c:scan <m.json)" static-reachable
	# --entry replaces the default.
	run -0 "$MERGE" --static "$P/lib/libparse.so-parse.ci" --binary "$P/lib/libparse.so" --no-runtime --format json --entry load_config
	echo "$output" >m.json
	assert_equal "$(node_state libparse.so!never_called <m.json)" static-unreachable
	assert_equal "$(node_state libparse.so!foo_parse <m.json)" static-reachable
}

@test "--static-format stream: static edges encoded with trace-cat --encode (evidence static)" {
	cat >static.ndjson <<'EOF'
{"type":"edge","caller":"app!main","caller_flags":["entry"],"callee":"app!load_config","evidence":["static"],"site":"app.c:65"}
{"type":"edge","caller":"app!load_config","callee":"app!scan","evidence":["static"],"site":"parse.c:40"}
{"type":"edge","caller":"app!scan","callee":"app!foo_parse","evidence":["static"],"site":"parse.c:35"}
{"type":"edge","caller":"app!old_entry","callee":"app!foo_parse","evidence":["static"]}
EOF
	tm_encode static.es static.ndjson
	run -0 "$MERGE" --static static.es rt.es --format json
	echo "$output" >m.json
	assert_equal "$(edge_class app!scan app!foo_parse <m.json)" confirmed
	assert_equal "$(edge_class app!old_entry app!foo_parse <m.json)" static-only
	assert_equal "$(node_state app!old_entry <m.json)" static-unreachable
	assert_equal "$(node_state app!foo_parse <m.json)" confirmed-reachable
	run -0 "$MERGE" --static static.es --static-format stream rt.es --format json
	assert_equal "$output" "$(cat m.json)"
	# A merged stream serves as a static graph: its static edges and functions count, its
	# runtime-only ones do not; merging the same runtime edges again classifies the same way.
	run -0 "$MERGE" --static "$P/O0" rt.es -o merged.es
	"$MERGE" --static "$P/O0" rt.es --format json |
		jq -c '.summary, [.edges[] | [.caller, .callee, .class, .site]], [.nodes[] | [.name, .state]]' >direct.txt
	run -0 "$MERGE" --static merged.es rt.es --format json
	assert_equal "$(echo "$output" | jq -c '.summary, [.edges[] | [.caller, .callee, .class, .site]], [.nodes[] | [.name, .state]]')" \
		"$(cat direct.txt)"
}

@test "two modules: the program's and the dlopen plugin's graphs, each bound by build id, as static streams" {
	# One static stream per module (trace-merge --no-runtime writes it), then both at once.
	run -0 "$MERGE" --static "$P/O0" --binary "$P/O0/app" --no-runtime -o app-static.es
	run -0 "$MERGE" --static "$P/plugin/plugin.so-plugin.ci" --binary "$P/plugin/plugin.so" --no-runtime -o plugin-static.es
	app_id=$(readelf -n "$P/O0/app" | awk '/Build ID/ { print $3 }')
	plugin_id=$(readelf -n "$P/plugin/plugin.so" | awk '/Build ID/ { print $3 }')
	sed -E -e "s/(\"(caller|callee|node)\":\"app![^\"]*\")/\1,\"\2_build_id\":\"$app_id\"/g" \
		-e "s/(\"(caller|callee|node)\":\"plugin\.so![^\"]*\")/\1,\"\2_build_id\":\"$plugin_id\"/g" \
		"$DATA/runtime.ndjson" >ids.ndjson
	tm_encode ids.es ids.ndjson
	run -0 "$MERGE" --static app-static.es --static plugin-static.es ids.es --format json
	echo "$output" >m.json
	assert_equal "$(edge_class app!app.c:run_plugin plugin.so!plugin_run <m.json)" confirmed-indirect
	assert_equal "$(edge_class plugin.so!plugin_run plugin.so!plugin.c:twice <m.json)" confirmed
	assert_equal "$(edge_class app!parse.c:scan app!foo_parse <m.json)" confirmed
	# The plugin's exported function is its entry point (a shared library).
	assert_equal "$(node_state plugin.so!plugin_run <m.json)" confirmed-reachable
	assert_equal "$(jq -r '[.nodes[] | select(.name == "plugin.so!plugin_run") | .flags[]] | join(",")' m.json)" entry
	assert_equal "$(jq -r '.binding.kind' m.json)" none
}

@test "JSON static graphs: PyCG adjacency and the nodes/edges form" {
	cat >adj.json <<'EOF'
{"main": ["load_config", "printf"], "load_config": ["parse.c:scan"], "parse.c:scan": ["foo_parse"], "foo_parse": []}
EOF
	run -0 "$MERGE" --static adj.json rt.es --format json
	assert_equal "$(echo "$output" | edge_class app!load_config app!parse.c:scan)" confirmed
	assert_equal "$(echo "$output" | edge_class app!main app!printf)" static-only
	cat >ne.json <<'EOF'
{"nodes": ["main", {"name": "foo_parse", "file": "parse.c", "line": 27}],
 "edges": [{"caller": "main", "callee": "foo_parse", "file": "app.c", "line": 3}]}
EOF
	run -0 "$MERGE" --static ne.json rt.es --format json
	assert_equal "$(echo "$output" | jq -r '.edges[] | select(.callee == "app!foo_parse" and .caller == "app!main") | "\(.class) \(.site)"')" \
		"static-only app.c:3"
}

@test "output stream: classes, states, sites and isolated functions survive trace-cat; deterministic" {
	run -0 "$MERGE" --static "$P/O0" rt.es -o m1.es
	run -0 "$MERGE" --static "$P/O0" rt.es -o m2.es
	cmp m1.es m2.es
	# Runtime operand order and segmentation do not matter.
	head -12 "$DATA/runtime.ndjson" >a.ndjson
	{ head -1 "$DATA/runtime.ndjson"; tail -n +13 "$DATA/runtime.ndjson"; } >b.ndjson
	tm_encode a.es a.ndjson
	tm_encode b.es b.ndjson
	run -0 "$MERGE" --static "$P/O0" b.es a.es -o m3.es
	cat a.es b.es | "$MERGE" --static "$P/O0" -o m4.es
	cmp m3.es m4.es
	run -0 "$TRACE_CAT" --all m1.es
	assert_line --index 0 --partial '"producer":"trace-merge '
	assert_line --index 0 --partial '"source":"merge","start":1700000000000000000,"end":1700000060000000000,"params":{"binding":"inferred","entries":"app!main","module":"app"'
	assert_line --partial '"caller":"app!parse.c:scan","caller_state":"confirmed-reachable","caller_file":"parse.c","caller_line":33,"callee":"app!foo_parse","callee_state":"confirmed-reachable","callee_file":"parse.c","callee_line":28,"count":1204,'
	assert_line --partial '"evidence":["static","ebpf-probe"],"confidence":100,"class":"confirmed","site":"parse.c:35"}'
	# A function no edge mentions is defined by a coverage record of method none.
	assert_line --partial '{"type":"coverage","node":"app!legacy_format","node_state":"static-unreachable","node_file":"parse.c","node_line":53,"method":"none"'
	# Probe coverage is carried; losses are summed.
	assert_line --partial '{"type":"coverage","node":"app!never_called","node_state":"confirmed-unreachable"'
	assert_line --partial '"method":"entry-probe","start":1700000000000000000,"end":1700000060000000000}'
}

@test "--no-runtime: static reachability only; -v prints a summary on stderr" {
	run -0 --separate-stderr "$MERGE" -v --static "$P/O0" --no-runtime --format json
	# Nothing to bind to and no --module: the functions are named static!SYMBOL.
	assert_equal "$(echo "$output" | jq -r '.binding.kind + " " + .entries[0]')" "none static!main"
	assert_equal "$(echo "$output" | node_state static!foo_parse)" static-reachable
	assert_equal "$(echo "$output" | node_state static!never_called)" static-unreachable
	[[ $stderr == *"trace-merge: static: 21 functions, 21 edges, 3 indirect call sites from 1 inputs in "* ]] ||
		fail "unexpected -v output: $stderr"
	[[ $stderr == *"trace-merge: edges: 0 confirmed, 0 confirmed-indirect, 21 static-only, 0 runtime-only"* ]] ||
		fail "unexpected -v output: $stderr"
	run -0 "$MERGE" --module app --static "$P/O0" --no-runtime --format json
	assert_equal "$(echo "$output" | jq -r '.binding.kind + " " + .nodes[0].name')" "name app!app.c:by_value"
}

@test "errors: an unparsable static graph exits 3 with one line naming the file; no output file" {
	printf 'graph: { title: "x.c"\nnode: { title: "a" label: \n' >bad.ci
	run -3 --separate-stderr "$MERGE" --static bad.ci rt.es -o out.es
	one_line_error bad.ci
	[ ! -e out.es ]
	printf 'digraph { a -> ; }\n' >bad.dot
	run -3 --separate-stderr "$MERGE" --static bad.dot rt.es --format json
	one_line_error bad.dot
	printf '{"main": [1, 2' >bad.json
	run -3 --separate-stderr "$MERGE" --static bad.json rt.es --format json
	one_line_error bad.json
	printf 'hello\n' >junk.txt
	run -3 --separate-stderr "$MERGE" --static junk.txt rt.es --format json
	tm_one_line_error trace-merge junk.txt "not a static call graph"
	run -3 --separate-stderr "$MERGE" --static junk.txt --static-format stream rt.es --format json
	tm_one_line_error trace-merge junk.txt
	mkdir empty
	run -3 --separate-stderr "$MERGE" --static empty rt.es --format json
	tm_one_line_error trace-merge empty
}

@test "errors: a bad runtime stream exits 3, a missing file 4, a non-ELF --binary 3" {
	head -c 100 rt.es >cut.es
	run -3 --separate-stderr "$MERGE" --static "$P/O0" cut.es --format json
	tm_one_line_error trace-merge cut.es
	run -4 --separate-stderr "$MERGE" --static "$P/O0" nonexistent.es --format json
	tm_one_line_error trace-merge nonexistent.es
	run -4 --separate-stderr "$MERGE" --static nonexistent.ci rt.es --format json
	tm_one_line_error trace-merge nonexistent.ci
	run -3 --separate-stderr "$MERGE" --static "$P/O0" --binary "$DATA/app.c" rt.es --format json
	tm_one_line_error trace-merge "$DATA/app.c"
}

@test "usage errors exit 2 with Try 'trace-merge --help'." {
	run -2 --separate-stderr "$MERGE" --static-format xml --static x rt.es
	assert_equal "${stderr_lines[1]}" "Try 'trace-merge --help'."
	run -2 --separate-stderr "$MERGE" --format svg --static x rt.es
	run -2 --separate-stderr "$MERGE" --why a --format json --static x rt.es
	run -2 --separate-stderr "$MERGE" --focus a --static x rt.es
	run -2 --separate-stderr "$MERGE" --static - -
	run -2 --separate-stderr "$MERGE" --no-runtime --static x rt.es
	run -2 --separate-stderr "$MERGE" --paths 0 --why a --static x rt.es
	run -2 --separate-stderr "$MERGE" --bogus
	assert_equal "${stderr_lines[1]}" "Try 'trace-merge --help'."
	run -0 "$MERGE" --help
	assert_line --index 0 "Usage: trace-merge --static GRAPH [OPTIONS] [RUNTIME-STREAM...]"
	run -0 "$MERGE" --version
	assert_output --partial "trace-merge (tracemerge) "
}

@test "real capture (trace-capture --probe) of the -O0 program merged with its .ci, bound by build id" {
	require_root "for BPF"
	require_btf
	[ -x "$TM_BIN/trace-capture" ] || skip "trace-capture is not built"
	cp "$P/O0/app" "$P/plugin/plugin.so" .
	run -0 "$TM_BIN/trace-capture" -q --probe "$PWD/app:*" --probe "$PWD/plugin.so:*" -o cap.es -- ./app ./plugin.so key=value xyz
	run -0 "$MERGE" -q --static "$P/O0" --binary ./app cap.es --format json
	echo "$output" >m.json
	assert_equal "$(jq -r .binding.kind m.json)" build-id
	assert_equal "$(edge_class app!parse.c:scan app!foo_parse <m.json)" confirmed
	assert_equal "$(edge_class app!main app!app.c:on_text <m.json)" confirmed-indirect
	assert_equal "$(edge_class app!app.c:run_plugin plugin.so!plugin_run <m.json)" confirmed-indirect
	assert_equal "$(node_state app!by_name <m.json)" contested
	assert_equal "$(node_state app!never_called <m.json)" confirmed-unreachable
	run -0 "$MERGE" -q --static "$P/O0" --binary ./app cap.es --why foo_parse
	assert_line --index 0 "app!foo_parse: reached (confirmed-reachable)"
	assert_line --index 1 "runtime path 1:"
	assert_line --partial "    -> app!parse.c:scan  [confirmed; static,ebpf-probe; 1 call; parse.c:40]"
}

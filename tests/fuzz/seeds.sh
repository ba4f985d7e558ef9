#!/bin/sh
# seeds.sh - build the seed corpora of the fuzz targets from the test inputs:
# small streams from the project's own encoder, .ci and DOT files from the real
# producers, and whole-buffer prefixes of the recorded .etl fixtures.
#
#   usage: tests/fuzz/seeds.sh BUILD_DIR CORPUS_DIR
set -eu

build=$1
corpus=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$build/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$corpus/stream" "$corpus/ndjson" "$corpus/json" "$corpus/vcg" "$corpus/dot" \
	"$corpus/etl" "$corpus/xpress"

# Streams: hand-written NDJSON through the encoder, and a small synthetic stream.
cat > "$tmp/a.ndjson" <<'NDJSON'
{"type":"header","producer":"seed","host":"h","source":"ebpf","start":1,"end":9,"params":{"mode":"probe"}}
{"type":"module","name":"prog","path":"/usr/bin/prog","build_id_kind":"gnu","build_id":"0123abcd"}
{"type":"edge","caller":"prog!main","caller_build_id":"0123abcd","callee":"prog!parse","callee_build_id":"0123abcd","count":5,"first_seen":1000,"last_seen":2000,"evidence":["ebpf-probe"],"confidence":100,"pid":42,"comm":"prog","site":"prog.c:12","class":"confirmed","window_start":0,"window_end":5000}
{"type":"edge","caller":"prog!parse","callee":"libc.so.6+0x1a2b","count":1,"first_seen":1500,"last_seen":1500,"caller_flags":["indirect-site"],"callee_state":"contested","host":"h2","container":"c1","cgroup":7}
{"type":"coverage","node":"prog!parse","method":"entry-probe","start":1,"end":9,"pid":42}
{"type":"trailer","losses":{"ringbuf_full":3}}
NDJSON
"$bin/trace-cat" --encode -o "$tmp/a.es" "$tmp/a.ndjson"
"$build/bench/gen-stream" --edges 300 --distinct 50 --symbols 40 --modules 3 -o "$tmp/b.es"
for s in a b; do
	{ printf '\001'; cat "$tmp/$s.es"; } > "$corpus/stream/$s-compressed"
	{ printf '\000'; zstd -qdc "$tmp/$s.es"; } > "$corpus/stream/$s-records"
	"$bin/trace-cat" --all "$tmp/$s.es" > "$corpus/ndjson/$s"
done
cp "$tmp/a.ndjson" "$corpus/ndjson/handwritten"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s' "$line" > "$corpus/json/line$i"
done < "$tmp/a.ndjson"

# Static graphs from the real producers.
src=$here/tests/data/static
if command -v gcc >/dev/null; then
	(cd "$tmp" && gcc -O0 -fcallgraph-info -c "$src/main.c" "$src/util.c" "$src/plugin.c" -I"$src" 2>/dev/null &&
		cp ./*.ci "$corpus/vcg/") || true
fi
if command -v clang >/dev/null && command -v opt >/dev/null; then
	(cd "$tmp" && clang -S -emit-llvm -O0 -I"$src" "$src/main.c" -o main.ll 2>/dev/null &&
		opt -enable-new-pm=0 -dot-callgraph main.ll -o /dev/null >/dev/null 2>&1 &&
		cp ./*.dot "$corpus/dot/") || true
fi
printf 'digraph g { "a" -> "b"; b -> c [label="x"]; subgraph s { c -> a } }\n' > "$corpus/dot/generic"

# Recorded .etl files: the first buffers of each (whole buffers decode).
etl=$build/fixtures/etl
sh "$here/tests/fixtures-etl.sh" "${TM_SHARED:-$here/../shared}" "$etl" >/dev/null || true
for f in "$etl"/*.etl "$etl"/*/*.etl "${TM_SHARED:-$here/../shared}"/fixtures/etl/*.etl; do
	[ -f "$f" ] || continue
	n=$(basename "$f" .etl)
	head -c 131072 "$f" > "$corpus/etl/$n-128k"
	head -c 65536 "$f" > "$corpus/etl/$n-64k"
done

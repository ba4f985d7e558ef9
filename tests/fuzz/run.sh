#!/bin/sh
# run.sh - run each fuzzer for SECONDS on its corpus; print executions, peak
# RSS and any finding; exit non-zero if a fuzzer found a crash or a leak.
#
#   usage: tests/fuzz/run.sh SECONDS FUZZER...
set -u

seconds=$1
shift
status=0
mkdir -p build/fuzz/artifacts build/fuzz/logs
for f in "$@"; do
	n=$(basename "$f")
	corpus=build/fuzz/corpus/${n#fuzz_}
	mkdir -p "$corpus"
	log=build/fuzz/logs/$n.log
	"$f" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -timeout=20 \
		-artifact_prefix="build/fuzz/artifacts/$n-" -print_final_stats=1 "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
	if [ $rc -eq 0 ]; then
		printf '%-16s %10s execs in %ss, peak RSS %s MB, no findings\n' "$n" "${execs:-?}" "$seconds" "${rss:-?}"
	else
		printf '%-16s FINDING (exit %d), see %s:\n' "$n" "$rc" "$log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
		status=1
	fi
done
exit $status

#!/bin/sh
# fixtures-etl.sh - unzip the .etl recordings of ../shared/fixtures/etl into
# build/fixtures/etl/ so the C unit tests can read them (C has no unzip).
#
#   usage: tests/fixtures-etl.sh [SHARED_DIR [OUT_DIR]]
#
# SHARED_DIR defaults to $TM_SHARED, then ../shared; OUT_DIR to $TM_ETL_DIR, then
# build/fixtures/etl (where the unit tests look).
# Exits 0 with a "skip:" line when the fixtures are absent.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
shared=${1:-${TM_SHARED:-$here/../shared}}
out=${2:-${TM_ETL_DIR:-$here/build/fixtures/etl}}
src=$shared/fixtures/etl

if [ ! -d "$src" ]; then
	echo "skip: $src not found"
	exit 0
fi
mkdir -p "$out"

unz() {	# unz ZIP DIR: extract ZIP into DIR, with unzip or python3
	if command -v unzip >/dev/null 2>&1; then
		unzip -qo "$1" -d "$2"
	else
		python3 -m zipfile -e "$1" "$2"
	fi
}

for z in "$src"/*.zip; do
	[ -e "$z" ] || continue
	stamp=$out/.$(basename "$z").done
	# Re-extract only when the zip is newer than the last extraction.
	if [ -e "$stamp" ] && [ ! "$z" -nt "$stamp" ]; then
		continue
	fi
	unz "$z" "$out"
	touch "$stamp"
done

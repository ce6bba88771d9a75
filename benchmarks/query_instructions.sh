#!/usr/bin/env bash
# Instructions the node executes per query of one TSBS type, counted by
# valgrind's callgrind: repeatable where times on this shared machine are
# not. The node runs under callgrind with instrumentation off while it
# starts, loads HOSTS x HOURS and answers WARMUP queries; then COUNT
# queries (another seed) are counted.
#
#   benchmarks/query_instructions.sh single-groupby-5-1-1
#   TYPE=... COUNT=200 HOSTS=200 HOURS=12 BIN=build/release/hypertide benchmarks/query_instructions.sh
#
# Prints instructions per query; the callgrind file stays in OUT (default
# /tmp/query_instructions.out) for callgrind_annotate --inclusive=yes.
# Needs valgrind (apt-get install valgrind).
set -euo pipefail

type=${1:-${TYPE:-single-groupby-5-1-1}}
COUNT=${COUNT:-200}
WARMUP=${WARMUP:-20}
HOSTS=${HOSTS:-200}
HOURS=${HOURS:-12}
PORT=${PORT:-55434}
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$here/build/release/hypertide}
bench=${BENCH:-$here/build/release/hypertide-bench}
OUT=${OUT:-/tmp/query_instructions.out}
end=$(date -u -d "2016-01-01 00:00:00 UTC + $HOURS hour" +%FT%TZ)
data=(--scale "$HOSTS" --start 2016-01-01T00:00:00Z --end "$end")

rm -f "$OUT" "$OUT".*
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
  "$BIN" --hypertide.port="$PORT" > "$OUT.log" 2>&1 &
vg=$!
trap 'kill $vg 2> /dev/null || true' EXIT
for _ in $(seq 1 120); do
  psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c "SELECT 1" > /dev/null 2>&1 && break
  sleep 1
done
"$bench" load --port "$PORT" "${data[@]}" --workers 1 > /dev/null
"$bench" run --port "$PORT" "${data[@]}" --type "$type" --count "$WARMUP" > /dev/null
callgrind_control -i on "$vg" > /dev/null 2>&1
"$bench" run --port "$PORT" "${data[@]}" --type "$type" --count "$COUNT" --seed 7 > /dev/null
callgrind_control -d "$vg" > /dev/null 2>&1
kill "$vg"
wait "$vg" 2> /dev/null || true
total=$(grep -h '^totals:' "$OUT".* | awk '{s += $2} END {print s}')
echo "$type: $((total / COUNT)) instructions a query ($COUNT queries, $HOSTS hosts x $HOURS h, $(basename "$BIN"))"

#!/usr/bin/env bash
# COPY ingest and TSBS query latency over the PostgreSQL wire protocol:
# hypertide and PostgreSQL 15 (Debian's postgresql-15, started here on its
# own port and data directory, stopped after), same data, same client:
# hypertide-bench load and run (benchmarks/README.md).
#
#   HOSTS=4000 HOURS=24 COUNT=20 benchmarks/wire_vs_postgres.sh
#
# HOSTS x HOURS at 10 s is the data set (4,000 x 24 h = 34.56 M rows).
# LOAD_WORKERS connections load each server with binary COPY in batches of
# BATCH rows, drawn while loading (PREGENERATE=1 draws them before the clock,
# as TSBS generates its data first; not the default: the loader's 3.5 GB
# during PostgreSQL's load left its light queries reading from disk after,
# 1.5-5x slower with p99s of 24-634 ms, in both runs that used it);
# hypertide gets a hypertable with 12-hour chunks, PostgreSQL TSBS's plain
# table and its two indexes, then VACUUM ANALYZE and a
# CHECKPOINT (so that its writes are over before any query). Each server
# answers its queries right after its own load, with the other idle:
# hypertide before PostgreSQL loads, PostgreSQL after. Each query
# type runs COUNT times (HEAVY_COUNT for the ones that scan everything) on
# QUERY_WORKERS connections; PostgreSQL gets the date_trunc dialect. Last,
# CHECK_COUNT queries of every type run on both servers and are compared
# (run --check). Types whose window does not fit in HOURS are skipped.
# Needs: build/release/hypertide and hypertide-bench; installs postgresql-15
# and jq (scripts/setup --bench) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup --bench
HOSTS=${HOSTS:-4000}
HOURS=${HOURS:-24}
COUNT=${COUNT:-20}
HEAVY_COUNT=${HEAVY_COUNT:-5}
CHECK_COUNT=${CHECK_COUNT:-2}
LOAD_WORKERS=${LOAD_WORKERS:-2}
PREGENERATE=${PREGENERATE:-0}
QUERY_WORKERS=${QUERY_WORKERS:-1}
BATCH=${BATCH:-10000}
BUILD=${BUILD:-build/release}
HT_PORT=${HT_PORT:-55501}
PG_PORT=${PG_PORT:-55502}
PGBIN=/usr/lib/postgresql/15/bin
bench=$BUILD/hypertide-bench
for need in "$BUILD/hypertide" "$bench" "$PGBIN/initdb"; do
  [ -x "$need" ] || { echo "wire_vs_postgres.sh: $need is missing" >&2; exit 2; }
done
command -v jq > /dev/null || { echo "wire_vs_postgres.sh: needs jq (apt-get install jq)" >&2; exit 2; }

work=$(mktemp -d /tmp/htbench.XXXXXX)
chmod 777 "$work"
"$BUILD/hypertide" --hypertide.port="$HT_PORT" > "$work/hypertide.log" 2>&1 &
ht_pid=$!
su postgres -c "$PGBIN/initdb -D $work/pg -A trust -U postgres" > "$work/initdb.log" 2>&1
su postgres -c "$PGBIN/pg_ctl -D $work/pg -l $work/pg.log -w start -o '-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c shared_buffers=4GB -c max_wal_size=8GB -c synchronous_commit=off'" > /dev/null
cleanup() {
  kill "$ht_pid" 2> /dev/null || true
  su postgres -c "$PGBIN/pg_ctl -D $work/pg -m fast stop" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
sleep 1

start=2016-01-01T00:00:00Z
end=$(date -u -d "2016-01-01 00:00:00 UTC + $HOURS hour" +%FT%TZ)
data=(--scale "$HOSTS" --start "$start" --end "$end")
load_flags=()
[ "$PREGENERATE" = 1 ] && load_flags+=(--pregenerate)
echo "# data: $HOSTS hosts x $HOURS h at 10 s ($((HOSTS * HOURS * 360)) rows), $(date -u +%F), commit $(git rev-parse --short HEAD 2> /dev/null || echo '?')"

"$bench" load --port "$HT_PORT" "${data[@]}" --workers "$LOAD_WORKERS" --batch-size "$BATCH" \
  "${load_flags[@]}" --chunk-interval '12 hours' --progress-every 30 --json "$work/load_ht.json"
# The types that fit the data (a type needs data longer than its window).
types=()
heavy=()
for t in single-groupby-1-1-1 single-groupby-1-1-12 single-groupby-1-8-1 single-groupby-5-1-1 \
         single-groupby-5-1-12 single-groupby-5-8-1 cpu-max-all-1 cpu-max-all-8 \
         double-groupby-1 double-groupby-5 double-groupby-all high-cpu-all high-cpu-1 \
         lastpoint groupby-orderby-limit; do
  if ! "$bench" queries "${data[@]}" --type "$t" --count 1 > /dev/null 2>&1; then
    echo "# skipped $t: its window does not fit in $HOURS h"
    continue
  fi
  case $t in
    double-groupby-*|high-cpu-all|lastpoint|groupby-orderby-limit) heavy+=("$t") ;;
    *) types+=("$t") ;;
  esac
done
join() { local IFS=,; echo "$*"; }

# Each server runs the same drawn queries (same seed) in its own dialect.
run_on() {
  local port=$1 dialect=$2 json=$3 parts=()
  if [ ${#types[@]} -gt 0 ]; then
    "$bench" run --port "$port" "${data[@]}" --dialect "$dialect" --workers "$QUERY_WORKERS" \
      --type "$(join "${types[@]}")" --count "$COUNT" --json "$json.light" > /dev/null
    parts+=("$json.light")
  fi
  if [ ${#heavy[@]} -gt 0 ]; then
    "$bench" run --port "$port" "${data[@]}" --dialect "$dialect" --workers "$QUERY_WORKERS" \
      --type "$(join "${heavy[@]}")" --count "$HEAVY_COUNT" --json "$json.heavy" > /dev/null
    parts+=("$json.heavy")
  fi
  jq -s '[.[].types[]]' "${parts[@]}" > "$json"
}
# Each server's queries run on an otherwise idle machine, after its own
# load has settled: hypertide's before PostgreSQL loads (its ~10 GB of
# files, their writeback and its background writers otherwise run beside
# them), PostgreSQL's after its VACUUM, CHECKPOINT and sync.
run_on "$HT_PORT" timescaledb "$work/run_ht.json"

"$bench" load --port "$PG_PORT" "${data[@]}" --workers "$LOAD_WORKERS" --batch-size "$BATCH" \
  "${load_flags[@]}" --schema table --indexes --progress-every 30 --json "$work/load_pg.json"
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "VACUUM ANALYZE" > /dev/null
# PostgreSQL's steady state: the load's dirty buffers written out now, not
# by its checkpointer while either server answers queries.
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CHECKPOINT" > /dev/null
# ... and out of the kernel's page cache: its writeback of PostgreSQL's
# ~10 GB of table, index and WAL files otherwise runs for minutes beside
# the queries of both servers (the lightest queries measured 2x slower).
sync

run_on "$PG_PORT" postgres "$work/run_pg.json"

echo
echo "| measure | hypertide | PostgreSQL 15 | ratio |"
echo "|---|---|---|---|"
ht_rate=$(jq '.rows_per_s' "$work/load_ht.json")
pg_rate=$(jq '.rows_per_s' "$work/load_pg.json")
awk -v a="$ht_rate" -v b="$pg_rate" -v w="$LOAD_WORKERS" -v bs="$BATCH" 'BEGIN {
  printf "| COPY (binary, %d workers, batches of %d), rows/s | %.0f | %.0f | %.1fx |\n", w, bs, a, b, a / b }'

echo
echo "| TSBS query (runs; $QUERY_WORKERS query worker) | hypertide median / p99, ms | PostgreSQL 15 median / p99, ms | ratio (median) |"
echo "|---|---|---|---|"
jq -r --slurpfile pg "$work/run_pg.json" '
  .[] as $h | ($pg[0][] | select(.type == $h.type)) as $p |
  "| \($h.type) (\($h.count)) | \($h.median_ms * 1000 | round / 1000) / \($h.p99_ms * 1000 | round / 1000) | \($p.median_ms * 1000 | round / 1000) / \($p.p99_ms * 1000 | round / 1000) | \(if $h.median_ms > 0 then ($p.median_ms / $h.median_ms * 10 | round / 10 | tostring) + "x" else "-" end) |"' \
  "$work/run_ht.json"

echo
check=0
"$bench" run --port "$HT_PORT" "${data[@]}" --type "$(join "${types[@]}" "${heavy[@]}")" \
  --count "$CHECK_COUNT" --check --port2 "$PG_PORT" --dialect2 postgres > "$work/check.txt" ||
  check=$?
grep -E '^(check|MISMATCH|row|sorted row|\.\.\.)' "$work/check.txt" | sed 's/^/# /'
exit "$check"

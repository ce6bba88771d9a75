#!/usr/bin/env bash
# The write-ahead log of a whole node over the wire (issue #5's system
# figures), beside PostgreSQL 15 where the issue compares:
#
#   1. COPY ingest, rows/s: WAL off; on (wal-init-zero, the default); on
#      without zero-filled segments. Same data, same client, in turns.
#   2. CHECKPOINT of the loaded node: time and snapshot size.
#   3. Recovery after SIGKILL: loading that snapshot, and replaying the
#      same rows from the WAL alone (no checkpoint), rows/s.
#   4. Single-row INSERT transactions/s with synchronous commit, 1, 8 and
#      64 clients, pgbench with a custom script against hypertide (both
#      wal-init-zero settings) and PostgreSQL 15 (its defaults: fsync on,
#      synchronous_commit on, wal_init_zero on).
#
#   HOSTS=4000 HOURS=7 benchmarks/wal_system.sh      # 10.08 M rows
#
# Data directories go under WORK_DIR (default /tmp: the same disk as the
# WAL benchmark's raw-disk figures, benchmarks/wal_bench.cpp).
# Needs build/release/hypertide and hypertide-bench; installs postgresql-15
# and jq (scripts/setup --bench) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup --bench
HOSTS=${HOSTS:-4000}
HOURS=${HOURS:-7}
WORKERS=${WORKERS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
BUILD=${BUILD:-build/release}
HT_PORT=${HT_PORT:-55511}
PG_PORT=${PG_PORT:-55512}
PGBIN=/usr/lib/postgresql/15/bin
bench=$BUILD/hypertide-bench
for need in "$BUILD/hypertide" "$bench" "$PGBIN/initdb"; do
  [ -x "$need" ] || { echo "wal_system.sh: $need is missing" >&2; exit 2; }
done

work=$(mktemp -d "${WORK_DIR:-/tmp}/htwal.XXXXXX")
chmod 777 "$work"
ht_pid=
stop_ht() {
  if [ -n "$ht_pid" ]; then
    kill "${1:--TERM}" "$ht_pid" 2> /dev/null || true
    wait "$ht_pid" 2> /dev/null || true
    ht_pid=
  fi
}
cleanup() {
  stop_ht
  su postgres -c "$PGBIN/pg_ctl -D $work/pg -m fast stop" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
# Starts hypertide with the given options; sets ht_pid and started_in,
# the seconds it took to accept connections (recovery included).
started_in=
start_ht() {
  local t0
  t0=$(now)
  "$BUILD/hypertide" --hypertide.port="$HT_PORT" "$@" > "$work/ht.log" 2>&1 &
  ht_pid=$!
  for _ in $(seq 1 6000); do
    kill -0 "$ht_pid" 2> /dev/null || { echo "wal_system.sh: hypertide exited: $(cat "$work/ht.log")" >&2; exit 1; }
    if psql -X -q -h 127.0.0.1 -p "$HT_PORT" -U postgres -c 'SELECT 1' > /dev/null 2>&1; then
      started_in=$(echo "$(now) - $t0" | bc)
      return
    fi
    sleep 0.05
  done
  echo "wal_system.sh: hypertide did not start: $(cat "$work/ht.log")" >&2
  exit 1
}
conf() { # a config file with the given [hypertide] lines
  local f=$work/node.ini
  printf '[hypertide]\n' > "$f"
  for line in "$@"; do printf '%s\n' "$line" >> "$f"; done
  echo "$f"
}

start=2016-01-01T00:00:00Z
end=$(date -u -d "2016-01-01 00:00:00 UTC + $HOURS hour" +%FT%TZ)
data=(--scale "$HOSTS" --start "$start" --end "$end")
rows=$((HOSTS * HOURS * 360))
load() { # prints rows/s
  "$bench" load --port "$HT_PORT" "${data[@]}" --workers "$WORKERS" --chunk-interval '12 hours' \
    --json "$work/load.json" > /dev/null
  jq '.rows_per_s | floor' "$work/load.json"
}
echo "# $HOSTS hosts x $HOURS h = $rows rows, $(date -u +%F), commit $(git rev-parse --short HEAD 2> /dev/null || echo '?')"

echo "## 1. COPY ingest, rows/s ($WORKERS workers, binary COPY, 10,000-row statements)"
quiet=(max-wal-size=1000000 checkpoint-timeout=86400)
for turn in 1 2; do
  rm -rf "$work/d"
  start_ht
  off=$(load)
  stop_ht
  start_ht --config-file="$(conf "data-dir=\"$work/d\"" "${quiet[@]}")"
  on=$(load)
  stop_ht
  rm -rf "$work/d"
  start_ht --config-file="$(conf "data-dir=\"$work/d\"" "${quiet[@]}" wal-init-zero=false)"
  nozero=$(load)
  stop_ht
  rm -rf "$work/d"
  echo "turn $turn: WAL off $off | WAL on $on ($(echo "scale=1; 100 * $on / $off" | bc) %) | WAL on, wal-init-zero=false $nozero ($(echo "scale=1; 100 * $nozero / $off" | bc) %)"
done

echo "## 2-3. Checkpoint and recovery of $rows rows"
cfg=$(conf "data-dir=\"$work/d\"" "${quiet[@]}")
start_ht --config-file="$cfg"
load > /dev/null
wal_bytes=$(du -sb "$work/d/pg_wal" | cut -f1)
# Replay of the WAL alone: killed before any checkpoint.
stop_ht -KILL
start_ht --config-file="$cfg"
t=$started_in
echo "WAL replay (no checkpoint): $t s to accept connections, $(echo "$rows / $t" | bc) rows/s, log $((wal_bytes / 1048576)) MiB; $(grep replayed "$work/ht.log")"
t0=$(now)
psql -X -q -h 127.0.0.1 -p "$HT_PORT" -U postgres -c CHECKPOINT
t=$(echo "$(now) - $t0" | bc)
snap_bytes=$(du -sb "$work/d/snapshots" | cut -f1)
echo "CHECKPOINT: $t s, snapshot $((snap_bytes / 1048576)) MiB ($(echo "scale=1; $snap_bytes / $rows" | bc) bytes/row), WAL left $(($(du -sb "$work/d/pg_wal" | cut -f1) / 1048576)) MiB"
stop_ht -KILL
start_ht --config-file="$cfg"
t=$started_in
echo "Snapshot load: $t s to accept connections, $(echo "$rows / $t" | bc) rows/s; $(grep replayed "$work/ht.log")"
psql -X -A -t -h 127.0.0.1 -p "$HT_PORT" -U postgres -c "SELECT count(*) FROM cpu" | sed 's/^/rows after recovery: /'
stop_ht
rm -rf "$work/d"

echo "## 4. Single-row INSERT transactions/s, synchronous commit (pgbench -n -T $SECONDS_PER_RUN, custom script)"
echo "INSERT INTO ins VALUES (now(), 1);" > "$work/ins.sql"
su postgres -c "$PGBIN/initdb -D $work/pg -A trust -U postgres" > "$work/initdb.log" 2>&1
su postgres -c "$PGBIN/pg_ctl -D $work/pg -l $work/pg.log -w start -o '-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c max_connections=100'" > /dev/null
tps() { # port clients
  pgbench -n -h 127.0.0.1 -p "$1" -U postgres -c "$2" -j 2 -T "$SECONDS_PER_RUN" -f "$work/ins.sql" postgres 2> /dev/null \
    | awk '/^tps/ { printf "%d", $3 }'
}
mk() { psql -X -q -h 127.0.0.1 -p "$1" -U postgres -c 'SET client_min_messages = warning' -c 'DROP TABLE IF EXISTS ins' -c 'CREATE TABLE ins (t timestamptz, v int)' > /dev/null; }
mk "$PG_PORT"
for clients in 1 8 64; do
  rm -rf "$work/d"
  start_ht --config-file="$(conf "data-dir=\"$work/d\"")"
  mk "$HT_PORT"
  zero=$(tps "$HT_PORT" "$clients")
  stop_ht
  rm -rf "$work/d"
  start_ht --config-file="$(conf "data-dir=\"$work/d\"" wal-init-zero=false)"
  mk "$HT_PORT"
  nozero=$(tps "$HT_PORT" "$clients")
  stop_ht
  pg=$(tps "$PG_PORT" "$clients")
  echo "$clients clients: hypertide $zero ($(echo "scale=1; $zero / $pg" | bc)x) | hypertide wal-init-zero=false $nozero ($(echo "scale=1; $nozero / $pg" | bc)x) | PostgreSQL 15 $pg"
done

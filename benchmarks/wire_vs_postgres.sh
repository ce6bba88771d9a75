#!/usr/bin/env bash
# COPY ingest and TSBS query latency over the PostgreSQL wire protocol:
# hypertide and PostgreSQL 15 (Debian's postgresql-15, started here on its
# own port and data directory, stopped after), same data, same client.
#
#   HOSTS=4000 HOURS=24 RUNS=20 benchmarks/wire_vs_postgres.sh
#
# Until hypertide-bench's load/run commands land (issue #4), ingest is psql's
# \copy (COPY ... FROM STDIN, CSV, one COPY per hour of data) and latency is
# pgbench's average over RUNS executions of each query (simple protocol).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-4000}
HOURS=${HOURS:-24}
RUNS=${RUNS:-20}
BUILD=${BUILD:-build/release}
HT_PORT=${HT_PORT:-55501}
PG_PORT=${PG_PORT:-55502}
PGBIN=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/htbench.XXXXXX)
chmod 777 "$work"

echo "# data: $HOSTS hosts x $HOURS h at 10 s ($((HOSTS * HOURS * 360)) rows), $(date -u +%F)"
for ((h = 0; h < HOURS; h++)); do
  start=$(date -u -d "2016-01-01 00:00:00 UTC + $h hour" +%FT%TZ)
  end=$(date -u -d "2016-01-01 00:00:00 UTC + $((h + 1)) hour" +%FT%TZ)
  "$BUILD/hypertide-bench" generate --scale "$HOSTS" --start "$start" --end "$end" \
    --out "$work/cpu_$h.csv"
done
chmod 644 "$work"/*.csv

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

fields="usage_user double precision, usage_system double precision, usage_idle double precision, usage_nice double precision, usage_iowait double precision, usage_irq double precision, usage_softirq double precision, usage_steal double precision, usage_guest double precision, usage_guest_nice double precision"
psql_ht() { psql -X -q -h 127.0.0.1 -p "$HT_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
psql_pg() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

psql_ht -c "CREATE TABLE cpu (time timestamptz NOT NULL, hostname text, $fields)" \
        -c "SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL '12 hours')" > /dev/null
# TSBS's PostgreSQL schema: the table and its two indexes, created before the load.
psql_pg -c "CREATE TABLE cpu (time timestamptz NOT NULL, hostname text, $fields)" \
        -c "CREATE INDEX ON cpu (hostname, time DESC)" -c "CREATE INDEX ON cpu (time DESC)" > /dev/null

load() {
  local which=$1 t0 t1
  t0=$(date +%s.%N)
  for ((h = 0; h < HOURS; h++)); do
    "psql_$which" -c "\\copy cpu FROM '$work/cpu_$h.csv' WITH (FORMAT csv)"
  done
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk -v rows=$((HOSTS * HOURS * 360)) '{ printf "%.0f", rows / ($2 - $1) }'
}
ht_rate=$(load ht)
pg_rate=$(load pg)
psql_pg -c "VACUUM ANALYZE cpu" > /dev/null
echo
echo "| measure | hypertide | PostgreSQL 15 | ratio |"
echo "|---|---|---|---|"
echo "| COPY (CSV, one client), rows/s | $ht_rate | $pg_rate | $(awk -v a="$ht_rate" -v b="$pg_rate" 'BEGIN { printf "%.1fx", a / b }') |"

last=$((HOURS - 1))
t() { date -u -d "2016-01-01 00:00:00 UTC + $1" +"%F %T"; }
declare -A q
q[single-groupby-1-1-1]="SELECT time_bucket('60 seconds', time) AS minute, max(usage_user) AS max_usage_user FROM cpu WHERE hostname IN ('host_9') AND time >= '$(t "5 hour")' AND time < '$(t "6 hour")' GROUP BY minute ORDER BY minute ASC"
q[single-groupby-1-1-12]="SELECT time_bucket('60 seconds', time) AS minute, max(usage_user) AS max_usage_user FROM cpu WHERE hostname IN ('host_9') AND time >= '$(t "2 hour")' AND time < '$(t "14 hour")' GROUP BY minute ORDER BY minute ASC"
q[single-groupby-5-8-1]="SELECT time_bucket('60 seconds', time) AS minute, max(usage_user), max(usage_system), max(usage_idle), max(usage_nice), max(usage_iowait), max(usage_irq), max(usage_softirq), max(usage_steal) FROM cpu WHERE hostname IN ('host_1','host_2','host_3','host_4','host_5') AND time >= '$(t "7 hour")' AND time < '$(t "8 hour")' GROUP BY minute ORDER BY minute ASC"
q[cpu-max-all-8]="SELECT time_bucket('3600 seconds', time) AS hour, max(usage_user), max(usage_system), max(usage_idle), max(usage_nice), max(usage_iowait), max(usage_irq), max(usage_softirq), max(usage_steal), max(usage_guest), max(usage_guest_nice) FROM cpu WHERE hostname IN ('host_1','host_2','host_3','host_4','host_5','host_6','host_7','host_8') AND time >= '$(t "1 hour")' AND time < '$(t "9 hour")' GROUP BY hour ORDER BY hour"
q[double-groupby-1]="SELECT time_bucket('3600 seconds', time) AS hour, hostname, avg(usage_user) AS mean_usage_user FROM cpu WHERE time >= '$(t "0 hour")' AND time < '$(t "12 hour")' GROUP BY hour, hostname ORDER BY hour, hostname"
q[double-groupby-all]="SELECT time_bucket('3600 seconds', time) AS hour, hostname, avg(usage_user), avg(usage_system), avg(usage_idle), avg(usage_nice), avg(usage_iowait), avg(usage_irq), avg(usage_softirq), avg(usage_steal), avg(usage_guest), avg(usage_guest_nice) FROM cpu WHERE time >= '$(t "0 hour")' AND time < '$(t "12 hour")' GROUP BY hour, hostname ORDER BY hour, hostname"
q[high-cpu-1]="SELECT * FROM cpu WHERE usage_user > 90.0 AND time >= '$(t "3 hour")' AND time < '$(t "15 hour")' AND hostname IN ('host_9')"
q[high-cpu-all]="SELECT * FROM cpu WHERE usage_user > 90.0 AND time >= '$(t "3 hour")' AND time < '$(t "15 hour")'"
q[lastpoint]="SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, time DESC"
q[groupby-orderby-limit]="SELECT time_bucket('60 seconds', time) AS minute, max(usage_user) FROM cpu WHERE time < '$(t "$last hour")' GROUP BY minute ORDER BY minute DESC LIMIT 5"

latency() {
  local port=$1 sql=$2 runs=$3
  # PostgreSQL has no time_bucket; date_trunc buckets minutes and hours alike.
  if [ "$port" = "$PG_PORT" ]; then
    sql=${sql//"time_bucket('60 seconds', time)"/"date_trunc('minute', time)"}
    sql=${sql//"time_bucket('3600 seconds', time)"/"date_trunc('hour', time)"}
  fi
  echo "$sql;" > "$work/q.sql"
  "$PGBIN/pgbench" -n -M simple -h 127.0.0.1 -p "$port" -U postgres -t "$runs" -f "$work/q.sql" postgres 2>&1 |
    awk '/latency average/ { print $4 }'
}
echo
echo "| TSBS query ($RUNS runs, pgbench latency average) | hypertide, ms | PostgreSQL 15, ms | ratio |"
echo "|---|---|---|---|"
for name in single-groupby-1-1-1 single-groupby-1-1-12 single-groupby-5-8-1 cpu-max-all-8 double-groupby-1 double-groupby-all high-cpu-1 high-cpu-all lastpoint groupby-orderby-limit; do
  runs=$RUNS
  case $name in double-groupby-*|high-cpu-all|lastpoint|groupby-orderby-limit) runs=$(( RUNS < 5 ? RUNS : 5 )) ;; esac
  a=$(latency "$HT_PORT" "${q[$name]}" "$runs")
  b=$(latency "$PG_PORT" "${q[$name]}" "$runs")
  echo "| $name | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }') |"
done

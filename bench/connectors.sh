#!/usr/bin/env bash
# Connector benchmarks, each on the release binary and a fresh lake under $DIR, RUNS times:
#   1. CSV file -> committed Delta rows/s (`skillbrain ingest`), the assessment_results
#      file alone and the whole city folder; DuckDB reading the same CSV into one
#      Parquet file as the peer.
#   2. HTTP push: HTTP_CLIENTS clients POST NDJSON bodies of HTTP_ROWS assessment_results
#      rows to `skillbrain serve`; events/s and request (= ack) latency p50/p99.
#   3. NATS JetStream: a nats-server of its own, `skillbrain serve` consuming it; rows
#      published to skillbrain.assessment_results one per message and NATS_BATCH_ROWS per
#      message; events/s until the lake holds them all, and per message
#      (commit time of the Delta commit holding it) - (publish time), p50/p99.
# Prints a summary table with medians over the runs and the targets.
#
#   bash bench/connectors.sh                         # builds, 3 runs of everything
#   BUILD=0 RUNS=1 ONLY=http,nats bash bench/connectors.sh
#   BUILD=0 EVENTS=1000000 WORKERS=50000 HTTP_REQUESTS=500 NATS_MESSAGES=200000 bash bench/connectors.sh
#
# Environment (defaults): RUNS (3), ONLY (csv,http,nats), WORKERS (200000) and
# EVENTS (5000000) for the CSV city, HTTP_REQUESTS (2000), HTTP_ROWS (1000),
# HTTP_CLIENTS (16), NATS_MESSAGES (1000000, one row each), NATS_BATCH_MESSAGES (20000),
# NATS_BATCH_ROWS (100), NATS_PUBLISHERS (2), NATS_WINDOW (8192 publish acks in flight),
# THREADS (2, DataFusion partitions and DuckDB threads), DIR (bench/data/connectors),
# SKILLBRAIN_LOG (warn), BUILD (1; 0 uses the binaries already built).
# The load generator (bench/loadgen, its own cargo workspace, built into target/loadgen)
# also has `loadgen sink --bind ADDR` (a trivial ingest endpoint, to show what the HTTP
# clients can drive) and `loadgen drain` (the NATS fetch-and-ack loop without a lake).
# Any SKILLBRAIN_* variable set outside (e.g. SKILLBRAIN_NATS__MAX_BATCH_MESSAGES) reaches
# the server.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
ONLY=${ONLY:-csv,http,nats}
WORKERS=${WORKERS:-200000}
EVENTS=${EVENTS:-5000000}
HTTP_REQUESTS=${HTTP_REQUESTS:-2000}
HTTP_ROWS=${HTTP_ROWS:-1000}
HTTP_CLIENTS=${HTTP_CLIENTS:-16}
NATS_MESSAGES=${NATS_MESSAGES:-1000000}
NATS_BATCH_MESSAGES=${NATS_BATCH_MESSAGES:-20000}
NATS_BATCH_ROWS=${NATS_BATCH_ROWS:-100}
NATS_PUBLISHERS=${NATS_PUBLISHERS:-2}
NATS_WINDOW=${NATS_WINDOW:-8192}
THREADS=${THREADS:-2}
DIR=${DIR:-bench/data/connectors}
BIN=${BIN:-target/release/skillbrain}
LOADGEN=target/loadgen/release/loadgen
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}

export SKILLBRAIN_ENGINE__TARGET_PARTITIONS=$THREADS
export SKILLBRAIN_LOG=${SKILLBRAIN_LOG:-warn}

# BUILD=0 uses the binaries already built.
if [ "${BUILD:-1}" = 1 ]; then cargo build --release --quiet; fi
if [ "${BUILD:-1}" = 1 ] || [ ! -x "$LOADGEN" ]; then
  CARGO_TARGET_DIR=target/loadgen cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
fi
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet duckdb
fi
PY=bench/.venv/bin/python
if [ ! -x "$NATS_SERVER" ] && [[ $ONLY == *nats* ]]; then
  echo "nats-server is missing: apt-get install nats-server (or set NATS_SERVER)" >&2
  exit 1
fi

# Every process started here, stopped on exit (Ctrl-C first, so the server shuts down
# cleanly, then TERM).
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http PORT PID: until GET /healthz answers (or the server died).
wait_http() {
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "the server (pid $2) died" >&2; return 1; }
    sleep 0.1
  done
  echo "the server on port $1 did not answer" >&2
  return 1
}

# stop PID: Ctrl-C, then wait for it (TERM after 60 s).
stop() {
  kill -INT "$1" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# count LAKE: "rows distinct_event_ids" of assessment_results.
count() {
  "$BIN" --lake "$1" --queries "$QUERIES" sql --format csv \
    "select count(*) as n, count(distinct event_id) as d from assessment_results" | tail -1 | tr ',' ' '
}

rm -rf "$DIR"
mkdir -p "$DIR"
RESULTS=$DIR/results.txt
: >"$RESULTS"
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine connectors datasets Cargo.toml || echo ' (work tree modified)'), $(nproc) cores, nats-server $("$NATS_SERVER" --version 2>/dev/null | awk '{print $2}')"

# Every command reads one trivial model of their own, not queries/: the figures are
# ingestion alone (nothing refreshes models on ingest), and a model being written in
# queries/ cannot stop a run.
QUERIES=$DIR/queries
mkdir -p "$QUERIES/bench"
cat >"$QUERIES/bench/bench_events.sql" <<'SQL'
-- name: bench_events
-- description: assessment events per channel (the connector benchmark's only model).
-- grain: channel

select channel, count(*) as events from assessment_results group by channel
SQL

# Template rows for the load generators: a small generated city's assessment_results.
"$BIN" generate --workers 100 --seed 7 --format ndjson --out "$DIR/template" >/dev/null
TEMPLATE=$DIR/template/assessment_results.ndjson

# --- 1. CSV ------------------------------------------------------------------------
if [[ $ONLY == *csv* ]]; then
  echo "== csv: generate $WORKERS workers, $EVENTS assessment events"
  "$BIN" generate --workers "$WORKERS" --assessments "$EVENTS" --seed 1 --format csv \
    --out "$DIR/city" >"$DIR/generate.log"
  CSV=$DIR/city/assessment_results.csv
  ls -l "$DIR/city" | awk 'NR > 1 {printf "  %-36s %8.1f MiB\n", $9, $5 / 1048576}'
  for i in $(seq "$RUNS"); do
    for what in file folder; do
      lake=$DIR/lake-csv-$what-$i
      src=$CSV
      args=(--table assessment_results)
      if [ $what = folder ]; then src=$DIR/city; args=(); fi
      /usr/bin/time -f '%e %M' -o "$DIR/csv-$what-$i.time" \
        "$BIN" --lake "$lake" --queries "$QUERIES" ingest "${args[@]}" "$src" >"$DIR/csv-$what-$i.log" 2>&1 ||
        { cat "$DIR/csv-$what-$i.log"; exit 1; }
      line=$(grep '^ingested ' "$DIR/csv-$what-$i.log")
      rows=$(sed -E 's/^ingested ([0-9]+) rows.*/\1/' <<<"$line")
      dups=$(sed -nE 's/.* ([0-9]+) duplicates.*/\1/p' <<<"$line")
      rej=$(sed -nE 's/.*\(([0-9]+) rejected.*/\1/p' <<<"$line")
      secs=$(sed -E 's/.* in ([0-9.]+)s.*/\1/' <<<"$line")
      read -r wall rss <"$DIR/csv-$what-$i.time"
      echo "csv-$what run=$i rows=$rows duplicates=${dups:-0} rejected=${rej:-0} secs=$secs process_s=$wall rss_kb=$rss" | tee -a "$RESULTS"
      rm -rf "$lake"
    done
    out=$DIR/duck-$i.parquet
    "$PY" - "$CSV" "$out" "$THREADS" "$i" <<'PY' | tee -a "$RESULTS"
import sys, time, duckdb
csv, out, threads, run = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
con = duckdb.connect()
con.execute(f"set threads = {threads}")
t = time.perf_counter()
con.execute(f"copy (select * from read_csv('{csv}', header = true)) to '{out}' (format parquet)")
secs = time.perf_counter() - t
rows = con.execute(f"select count(*) from read_parquet('{out}')").fetchone()[0]
print(f"duckdb-csv run={run} rows={rows} secs={secs:.3f} version={duckdb.__version__}")
PY
    rm -f "$out"
  done
fi

# --- 2. HTTP push --------------------------------------------------------------------
if [[ $ONLY == *http* ]]; then
  echo "== http: $HTTP_CLIENTS clients, $HTTP_REQUESTS requests of $HTTP_ROWS rows"
  for i in $(seq "$RUNS"); do
    lake=$DIR/lake-http-$i
    port=$(free_port)
    "$BIN" --lake "$lake" --queries "$QUERIES" serve --bind "127.0.0.1:$port" >"$DIR/http-serve-$i.log" 2>&1 &
    srv=$!
    PIDS+=("$srv")
    wait_http "$port" "$srv"
    "$LOADGEN" http --url "http://127.0.0.1:$port" --template "$TEMPLATE" \
      --clients "$HTTP_CLIENTS" --requests "$HTTP_REQUESTS" --rows "$HTTP_ROWS" \
      --prefix "http-$i" >"$DIR/http-$i.out" 2>"$DIR/http-$i.err" || { cat "$DIR/http-$i.err"; exit 1; }
    cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$srv/stat")
    stop "$srv"
    read -r n d < <(count "$lake")
    echo "http run=$i $(sed 's/^RESULT //' "$DIR/http-$i.out") lake_rows=$n lake_distinct=$d cpu_skillbrain_s=$cpu" | tee -a "$RESULTS"
    grep -i 'first problem' "$DIR/http-$i.err" || true
    rm -rf "$lake"
  done
fi

# --- 3. NATS JetStream ---------------------------------------------------------------
# nats_run NAME RUN MESSAGES ROWS_PER_MESSAGE
nats_run() {
  local name=$1 i=$2 messages=$3 rows=$4
  local lake=$DIR/lake-$name-$i store=$DIR/nats-store-$name-$i
  local stream=BENCH_${name//-/_}_${i}_$$
  local nport hport
  nport=$(free_port)
  mkdir -p "$store"
  "$NATS_SERVER" -js -a 127.0.0.1 -p "$nport" -sd "$store" >"$DIR/$name-nats-$i.log" 2>&1 &
  local nats=$!
  PIDS+=("$nats")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && break
    sleep 0.1
  done
  hport=$(free_port)
  SKILLBRAIN_NATS__URL=nats://127.0.0.1:$nport SKILLBRAIN_NATS__STREAM=$stream \
    "$BIN" --lake "$lake" --queries "$QUERIES" serve --bind "127.0.0.1:$hport" >"$DIR/$name-serve-$i.log" 2>&1 &
  local srv=$!
  PIDS+=("$srv")
  wait_http "$hport" "$srv"
  "$LOADGEN" nats --url "nats://127.0.0.1:$nport" --stream "$stream" --template "$TEMPLATE" \
    --messages "$messages" --rows-per-msg "$rows" --publishers "$NATS_PUBLISHERS" \
    --window "$NATS_WINDOW" --prefix "$name-$i" --lake "$lake" \
    >"$DIR/$name-$i.out" 2>"$DIR/$name-$i.err" || { cat "$DIR/$name-$i.out" "$DIR/$name-$i.err"; exit 1; }
  # CPU seconds of each process over the whole run (server start-up included).
  local cpu_srv cpu_nats
  cpu_srv=$(awk '{print ($14 + $15) / 100}' "/proc/$srv/stat")
  cpu_nats=$(awk '{print ($14 + $15) / 100}' "/proc/$nats/stat")
  stop "$srv"
  stop "$nats"
  local n d
  read -r n d < <(count "$lake")
  echo "$name run=$i $(sed 's/^RESULT //' "$DIR/$name-$i.out") lake_rows=$n lake_distinct=$d cpu_skillbrain_s=$cpu_srv cpu_nats_server_s=$cpu_nats" | tee -a "$RESULTS"
  grep -m5 -iE 'warn|error' "$DIR/$name-serve-$i.log" || true
  rm -rf "$lake" "$store"
}

if [[ $ONLY == *nats* ]]; then
  echo "== nats: $NATS_MESSAGES messages of 1 row; $NATS_BATCH_MESSAGES messages of $NATS_BATCH_ROWS rows"
  for i in $(seq "$RUNS"); do
    nats_run nats-1 "$i" "$NATS_MESSAGES" 1
    nats_run "nats-$NATS_BATCH_ROWS" "$i" "$NATS_BATCH_MESSAGES" "$NATS_BATCH_ROWS"
  done
fi

# --- summary -------------------------------------------------------------------------
"$PY" - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, *pairs = line.split()
    runs.setdefault(name, []).append(dict(p.split("=", 1) for p in pairs if "=" in p))
med = lambda xs: statistics.median(xs) if xs else float("nan")
def col(name, key):
    return [float(r[key]) for r in runs.get(name, []) if key in r]
rows = []
for kind in ("csv-file", "csv-folder"):
    if kind in runs:
        rate = [float(r["rows"]) / float(r["secs"]) for r in runs[kind]]
        rows.append((f"{kind} -> Delta (skillbrain ingest)", med(rate), None, None, 1e6, len(rate)))
if "duckdb-csv" in runs:
    rate = [float(r["rows"]) / float(r["secs"]) for r in runs["duckdb-csv"]]
    rows.append(("csv-file -> Parquet (duckdb)", med(rate), None, None, None, len(rate)))
for name in runs:
    if name.startswith("http") or name.startswith("nats"):
        rows.append((name, med(col(name, "events_per_s")), med(col(name, "p50_ms")),
                     med(col(name, "p99_ms")), 2e5, len(runs[name])))
print()
print(f"{'measurement':<40} {'rows/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'target':>10} {'met':>4} runs")
for name, rate, p50, p99, target, n in rows:
    f = lambda v: "" if v is None else f"{v:8.1f}"
    t = "" if target is None else f"{target:,.0f}"
    met = "" if target is None else ("yes" if rate >= target else "NO")
    print(f"{name:<40} {rate:>12,.0f} {f(p50):>8} {f(p99):>8} {t:>10} {met:>4} {n}")
if "csv-file" in runs and "duckdb-csv" in runs:
    sb = med([float(r["secs"]) for r in runs["csv-file"]])
    dk = med([float(r["secs"]) for r in runs["duckdb-csv"]])
    print(f"csv-file: skillbrain {sb:.2f} s, duckdb {dk:.2f} s (median), ratio {sb / dk:.2f} (skillbrain / duckdb)")
problems = []
for name, rs in runs.items():
    for i, r in enumerate(rs, 1):
        if r.get("ok") == "false":
            problems.append(f"{name} run {i}: the load generator's checks failed ({r})")
        if "lake_rows" in r:
            want = int(r.get("sent", r.get("events", 0)))
            if int(r["lake_rows"]) != want or int(r["lake_distinct"]) != want:
                problems.append(f"{name} run {i}: sent {want}, the lake holds {r['lake_rows']} rows, {r['lake_distinct']} distinct event_ids")
        if int(r.get("rejected", 0)) or int(r.get("duplicates", 0)):
            problems.append(f"{name} run {i}: {r.get('rejected')} rejected, {r.get('duplicates')} duplicates")
print("\n".join(problems) if problems else "checks: every event sent was accepted once and the lake holds exactly those rows")
PY

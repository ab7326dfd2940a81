#!/usr/bin/env bash
# Freshness benchmark (streaming), on the release binary:
#   1. a history: a generated city (WORKERS workers, EVENTS assessment events, Parquet),
#      ingested into a lake; kept under $DIR/history-<workers>w-<events>e/ and reused by
#      later runs (REUSE=0 makes it again);
#   2. a copy of that lake, every model refreshed in full FULL_RUNS times (`skillbrain
#      run`: each model's full compute time), then `skillbrain serve` on a free port
#      over it, every model refreshed after each commit (stream.commit_interval_ms);
#   3. once the server is idle (`serve` refreshes every model once at start; `loadgen
#      idle`): one body of BATCH assessment_results rows, REPEAT times, each once the
#      refreshes after the previous one are over (`loadgen refresh`): talent_stock's and assessment_activity's `refresh_seconds`
#      and `refresh_mode` for the refresh that took it in, against their full compute
#      in step 1 (target: incremental at least 20x faster than full);
#   4. then `loadgen steady`: assessment_results pushed open loop at RATE events/s for
#      DURATION seconds (CLIENTS clients, ROWS rows per request), with
#      - the freshness probe: every ~200 ms an acknowledged push (commit V, acked at t)
#        is followed until GET /v1/models shows talent_stock's
#        source_versions.assessment_results >= V (polled every 20 ms): t_visible - t,
#        target p99 <= 1 s;
#      - the score probe: a competition of its own, one measurement row for a probe
#        contestant pushed every 100 ms while an SSE client reads
#        /v1/competitions/{id}/stream: t(event showing the new raw_total) - t(ack),
#        target p99 <= 100 ms.
# Prints the loadgen RESULT lines and a summary against the targets. Stops only the
# server it started.
#
#   bash bench/freshness.sh                              # 50,000 workers, 1 M events
#   EVENTS=10000000 WORKERS=500000 bash bench/freshness.sh
#   BUILD=0 ONLY=refresh EVENTS=10000000 WORKERS=500000 bash bench/freshness.sh
#   MODELS=talent_stock,assessment_activity bash bench/freshness.sh   # a smaller pipeline
#
# Environment (defaults): EVENTS (1000000), WORKERS (50000), SEED (1), RATE (50000),
# DURATION (60 s), DRAIN (30 s: how long probes still unseen are followed after the
# load; those never seen count as infinitely late), CLIENTS (64), ROWS (1000 rows per
# request), BATCH (10000), REPEAT (3), FULL_RUNS (2), ONLY (refresh,steady), THREADS (2, DataFusion partitions), QUERIES
# (queries), MODELS (empty: every model of $QUERIES; a comma list: those models and
# every staging model only, to see what the others cost), DIR (target/freshness),
# REUSE (1), BUILD (1: build the load generator; the release binary
# target/release/skillbrain must exist, or set BIN), SKILLBRAIN_LOG (for the server,
# whose log is kept in $DIR; default: warnings, and each model refresh with its
# seconds). Any SKILLBRAIN_* variable set outside (e.g.
# SKILLBRAIN_STREAM__COMMIT_INTERVAL_MS) reaches the server.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
WORKERS=${WORKERS:-50000}
SEED=${SEED:-1}
RATE=${RATE:-50000}
DURATION=${DURATION:-60}
DRAIN=${DRAIN:-30}
CLIENTS=${CLIENTS:-64}
ROWS=${ROWS:-1000}
BATCH=${BATCH:-10000}
REPEAT=${REPEAT:-3}
FULL_RUNS=${FULL_RUNS:-2}
ONLY=${ONLY:-refresh,steady}
THREADS=${THREADS:-2}
QUERIES=${QUERIES:-queries}
# Not under bench/data: bench/spine.sh deletes that folder when it starts.
DIR=${DIR:-target/freshness}
REUSE=${REUSE:-1}
BIN=${BIN:-target/release/skillbrain}
LOADGEN=target/loadgen/release/loadgen

export SKILLBRAIN_ENGINE__TARGET_PARTITIONS=$THREADS

if [ ! -x "$BIN" ]; then
  echo "$BIN is missing: cargo build --release (or set BIN)" >&2
  exit 1
fi
if [ "${BUILD:-1}" = 1 ] || [ ! -x "$LOADGEN" ]; then
  CARGO_TARGET_DIR=target/loadgen cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
fi

# The server started here, stopped on exit (Ctrl-C first, so that it shuts down
# cleanly, then TERM).
SRV=
cleanup() {
  if [ -n "$SRV" ]; then
    kill -INT "$SRV" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$SRV" 2>/dev/null || true
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mkdir -p "$DIR"
HIST=$DIR/history-${WORKERS}w-${EVENTS}e
TAG=${WORKERS}w-${EVENTS}e${MODELS:+-models-$(cksum <<<"$MODELS" | cut -d' ' -f1)}
RESULTS=$DIR/results-$TAG.txt
: >"$RESULTS"
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine connectors datasets queries Cargo.toml || echo ' (work tree modified)'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"

# --- 1. the history ----------------------------------------------------------------
if [ "$REUSE" != 1 ] || [ ! -f "$HIST/ready" ]; then
  rm -rf "$HIST"
  mkdir -p "$HIST"
  echo "== history: generate $WORKERS workers, $EVENTS assessment events (seed $SEED)"
  /usr/bin/time -f '%e' -o "$HIST/generate.time" \
    "$BIN" generate --workers "$WORKERS" --assessments "$EVENTS" --seed "$SEED" \
    --format parquet --out "$HIST/city" >"$HIST/generate.log"
  echo "   $(cat "$HIST/generate.time") s"
  echo "== history: ingest"
  "$BIN" --lake "$HIST/lake" --queries "$QUERIES" ingest "$HIST/city" >"$HIST/ingest.log" 2>&1 ||
    { tail "$HIST/ingest.log"; exit 1; }
  grep '^ingested ' "$HIST/ingest.log" | sed 's/^/   /'
  rm -rf "$HIST/city"
  # Template rows for the pushes: the same city (same seed and workers, so the same
  # worker, enterprise and occupation codes), 10,000 assessment rows.
  "$BIN" generate --workers "$WORKERS" --assessments 10000 --seed "$SEED" --format ndjson \
    --out "$HIST/template" >/dev/null
  find "$HIST/template" -type f ! -name assessment_results.ndjson -delete
  touch "$HIST/ready"
else
  echo "== history: reusing $HIST ($(grep '^ingested ' "$HIST/ingest.log"))"
fi
TEMPLATE=$HIST/template/assessment_results.ndjson

# --- 2. full refreshes, then the server ------------------------------------------------
SERVE_QUERIES=$QUERIES
if [ -n "${MODELS:-}" ]; then
  SERVE_QUERIES=$DIR/queries-subset
  rm -rf "$SERVE_QUERIES"
  mkdir -p "$SERVE_QUERIES/staging" "$SERVE_QUERIES/models"
  cp "$QUERIES"/staging/*.sql "$SERVE_QUERIES/staging/"
  for m in ${MODELS//,/ }; do
    f=$(find "$QUERIES" -name "$m.sql" | head -1)
    [ -n "$f" ] || { echo "no model $m in $QUERIES" >&2; exit 1; }
    cp "$f" "$SERVE_QUERIES/models/"
  done
  echo "== models: the staging models and $MODELS only" | tee -a "$RESULTS"
fi
LAKE=$DIR/lake-serve
rm -rf "$LAKE"
cp -r "$HIST/lake" "$LAKE"
for i in $(seq "$FULL_RUNS"); do
  echo "== full refresh of every model ($i of $FULL_RUNS)"
  "$BIN" --lake "$LAKE" --queries "$SERVE_QUERIES" run >"$DIR/run-$TAG.$i.log" 2>&1 ||
    { tail "$DIR/run-$TAG.$i.log"; exit 1; }
  tail -1 "$DIR/run-$TAG.$i.log" | sed 's/^/   /'
  # Each model's full compute: the "model rows version query_s total_s" lines.
  awk -v run="$i" 'NF == 5 && $1 != "model" && $4 ~ /^[0-9.]+$/ {
    printf "full run=%s model=%s rows=%s query_s=%s total_s=%s\n", run, $1, $2, $4, $5 }' \
    "$DIR/run-$TAG.$i.log" >>"$RESULTS"
done
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
SERVE_LOG=$DIR/serve-$TAG.log
SKILLBRAIN_LOG=${SKILLBRAIN_LOG:-warn,skillbrain_engine::stream=info,skillbrain_engine::pipeline=info} \
  "$BIN" --lake "$LAKE" --queries "$SERVE_QUERIES" serve --bind "127.0.0.1:$PORT" >"$SERVE_LOG" 2>&1 &
SRV=$!
echo "== serve: pid $SRV on $URL (log $SERVE_LOG)"
started=$(date +%s.%N)
for _ in $(seq 6000); do
  curl -sf "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SRV" 2>/dev/null || { echo "the server died:"; tail "$SERVE_LOG"; exit 1; }
  sleep 0.1
done
echo "   ready after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
# The incremental models' state, built from the whole table at start: their full compute
# in the server.
grep 'incremental state built' "$SERVE_LOG" | sed -E 's/\x1b\[[0-9;]*m//g' |
  sed -nE 's/.*model[=:] ?"?([a-z_]+)"?.*seconds[=:] ?([0-9.e-]+).*/start model=\1 seconds=\2/p' |
  tee -a "$RESULTS"
# Idle: `serve` refreshes every model once at start; wait until that round is over.
"$LOADGEN" idle --url "$URL" | sed 's/^RESULT mode=idle /   idle after start: /'

# --- 3. one batch on the idle server -------------------------------------------------
if [[ $ONLY == *refresh* ]]; then
  echo "== refresh: $REPEAT x one body of $BATCH rows on the idle server"
  "$LOADGEN" refresh --url "$URL" --template "$TEMPLATE" --rows "$BATCH" --repeat "$REPEAT" \
    --models talent_stock,assessment_activity --prefix "refresh-$$" | tee -a "$RESULTS"
fi

# --- 4. the steady load ----------------------------------------------------------------
if [[ $ONLY == *steady* ]]; then
  echo "== steady: $RATE events/s for $DURATION s, $CLIENTS clients x $ROWS rows"
  "$LOADGEN" idle --url "$URL" >/dev/null
  cpu0=$(awk '{print $14 + $15}' "/proc/$SRV/stat")
  t0=$(date +%s.%N)
  "$LOADGEN" steady --url "$URL" --template "$TEMPLATE" --rate "$RATE" --seconds "$DURATION" \
    --clients "$CLIENTS" --rows-per-request "$ROWS" --drain-s "$DRAIN" --prefix "steady-$$" \
    >"$DIR/steady-$TAG.out" 2>"$DIR/steady-$TAG.err" || { cat "$DIR/steady-$TAG.out" "$DIR/steady-$TAG.err"; exit 1; }
  cpu1=$(awk '{print $14 + $15}' "/proc/$SRV/stat")
  t1=$(date +%s.%N)
  cat "$DIR/steady-$TAG.err" >&2
  tee -a "$RESULTS" <"$DIR/steady-$TAG.out"
  cores=$(awk -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", (c1 - c0) / hz / (t1 - t0) }')
  echo "server_cpu cores=$cores load_average=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" | tee -a "$RESULTS"
fi

kill -INT "$SRV" 2>/dev/null || true
for _ in $(seq 600); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
wait "$SRV" 2>/dev/null || true
SRV=
grep -m5 -E 'WARN|ERROR' "$SERVE_LOG" || true
rm -rf "$LAKE"

# --- summary -------------------------------------------------------------------------
python3 - "$RESULTS" <<'PY'
import statistics, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
def kv(parts):
    return dict(p.split("=", 1) for p in parts if "=" in p)
med = lambda xs: statistics.median(xs) if xs else float("nan")
full, start, batch, cycle = {}, {}, {}, {}
steady = fresh = score = None
for p in lines:
    if p[0] == "full":
        d = kv(p[1:]); full.setdefault(d["model"], []).append(float(d["total_s"]))
    elif p[0] == "start":
        d = kv(p[1:]); start[d["model"]] = float(d["seconds"])
    elif p[0] == "RESULT":
        d = kv(p[1:])
        if d["mode"] == "refresh":
            batch.setdefault(d["model"], []).append((float(d["refresh_s"]), d["refresh_mode"], float(d["visible_ms"])))
        elif d["mode"] == "steady": steady = d
        elif d["mode"] == "freshness": fresh = d
        elif d["mode"] == "score": score = d
    elif p[0] == "REFRESH":
        d = kv(p[1:]); cycle[d["model"]] = float(d["p50_s"])
print()
if batch:
    print(f"{'model':<22} {'mode':<12} {'full s':>8} {'batch s':>8} {'ratio':>7} {'visible ms':>10}  target 20x")
    for name, runs in batch.items():
        f = med(full.get(name, []))
        b = med([r[0] for r in runs])
        v = med([r[2] for r in runs])
        ratio = f / b if b > 0 else float("nan")
        print(f"{name:<22} {runs[-1][1]:<12} {f:>8.3f} {b:>8.3f} {ratio:>7.1f} {v:>10.0f}  {'met' if ratio >= 20 else 'NOT met'}")
        if name in start:
            print(f"{'':<22} (its state built from the whole table at server start: {start[name]:.3f} s, ratio {start[name] / b:.1f})")
    print("full s = median total_s of `skillbrain run`; batch s = median refresh_seconds after one batch")
if steady:
    print(f"load: target {float(steady['target_events_per_s']):,.0f} events/s, achieved {float(steady['events_per_s']):,.0f} events/s, "
          f"ack p50 {steady['ack_p50_ms']} ms p99 {steady['ack_p99_ms']} ms (from schedule: p99 {steady['sched_p99_ms']} ms), "
          f"{steady['commits']} commits, checks {'ok' if steady['ok'] == 'true' else 'FAILED'}")
if fresh:
    print(f"ingest ack -> visible in {fresh['model']}: p50 {fresh['p50_ms']} ms, p99 {fresh['p99_ms']} ms "
          f"({fresh['probes']} probes, {fresh['unresolved']} never seen; {fresh['model_refreshes']} refreshes, "
          f"median {fresh['model_refresh_p50_s']} s, one every {fresh['model_refresh_interval_p50_s']} s): "
          f"target p99 <= 1000 ms {'met' if fresh['met'] == 'true' else 'NOT met'}")
if cycle:
    top = sorted(cycle.items(), key=lambda kv: -kv[1])[:4]
    print(f"refresh cycle under load: the medians of the {len(cycle)} models refreshed sum to {sum(cycle.values()):.2f} s "
          f"(largest: {', '.join(f'{n} {v:.2f} s' for n, v in top)})")
if score:
    print(f"score ack -> SSE event: p50 {score['p50_ms']} ms, p99 {score['p99_ms']} ms, min {score['min_ms']} ms "
          f"({score['measured']} pushes, {score['missing']} without an event): target p99 <= 100 ms {'met' if score['met'] == 'true' else 'NOT met'}")
PY

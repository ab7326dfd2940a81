#!/usr/bin/env bash
# Spine benchmark: generate a city with EVENTS assessment events, ingest it into a fresh
# lake, refresh every model RUNS times, and run the same model SQL in DuckDB on the same
# Parquet files (the lake's), RUNS times, the two in turn. Prints the figures and the
# ratios.
#
#   bash bench/spine.sh                       # 10M events, 500k workers
#   EVENTS=1000000 WORKERS=50000 RUNS=2 bash bench/spine.sh
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-10000000}
WORKERS=${WORKERS:-500000}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
DIR=${DIR:-bench/data}
# QUERIES: the models to refresh and compare (default: queries/).
QUERIES=${QUERIES:-queries}
export SKILLBRAIN_QUERIES_DIR=$QUERIES
BIN=target/release/skillbrain

# BUILD=0 uses the release binary already built.
if [ "${BUILD:-1}" = 1 ]; then cargo build --release --quiet; fi
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet duckdb
fi

rm -rf "$DIR"
mkdir -p "$DIR"
export SKILLBRAIN_ENGINE__TARGET_PARTITIONS=$THREADS SKILLBRAIN_LOG=warn,buoyant_kernel::snapshot::builder=off

echo "== generate: $WORKERS workers, $EVENTS assessment events"
/usr/bin/time -f '%e %M' -o "$DIR/generate.time" \
  "$BIN" generate --workers "$WORKERS" --assessments "$EVENTS" --seed 1 --format parquet --out "$DIR/city" >"$DIR/generate.log"
cat "$DIR/generate.log"

echo "== ingest"
/usr/bin/time -f '%e %M' -o "$DIR/ingest.time" \
  "$BIN" --lake "$DIR/lake" ingest "$DIR/city" >"$DIR/ingest.log"
cat "$DIR/ingest.log"

# The two engines take turns (skillbrain run i, then DuckDB run i), so that a change in
# the machine's load during the benchmark weighs on both alike.
echo "== skillbrain run and duckdb, in turn, x$RUNS"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f '%e %M' -o "$DIR/run.$i.time" "$BIN" --lake "$DIR/lake" --queries "$QUERIES" run >"$DIR/run.$i.log"
  bench/.venv/bin/python bench/duckdb_models.py --lake "$DIR/lake" --queries "$QUERIES" --threads "$THREADS" --runs 1 >"$DIR/duckdb.$i.json"
done
cat "$DIR/run.1.log"

bench/.venv/bin/python - "$DIR" "$RUNS" <<'PY'
import json, math, re, statistics, sys
d, runs = sys.argv[1], int(sys.argv[2])
def time_of(name):
    secs, kb = open(f"{d}/{name}.time").read().split()
    return float(secs), int(kb) / 1024
gen_s, gen_mb = time_of("generate")
ing_s, ing_mb = time_of("ingest")
m = re.search(r"ingested (\d+) rows", open(f"{d}/ingest.log").read())
rows = int(m.group(1))
sb = {}
totals = []
for i in range(1, runs + 1):
    secs, mb = time_of(f"run.{i}")
    totals.append((secs, mb))
    for line in open(f"{d}/run.{i}.log"):
        p = line.split()
        if len(p) == 5 and p[0] != "model" and not p[0].isdigit():
            sb.setdefault(p[0], []).append(float(p[3]))
duck = json.load(open(f"{d}/duckdb.1.json"))
for i in range(2, runs + 1):
    for name, v in json.load(open(f"{d}/duckdb.{i}.json"))["models"].items():
        duck["models"][name]["seconds"] += v["seconds"]
print()
print(f"generate: {gen_s:.1f} s, peak RSS {gen_mb:.0f} MiB")
print(f"ingest:   {rows} rows in {ing_s:.1f} s = {rows / ing_s:,.0f} rows/s, peak RSS {ing_mb:.0f} MiB")
print(f"run:      median {statistics.median(t for t, _ in totals):.2f} s per full refresh (process), peak RSS {max(m for _, m in totals):.0f} MiB")
print(f"duckdb {duck['duckdb']}, {runs} runs each; medians in seconds")
print(f"{'model':<32} {'skillbrain':>10} {'duckdb':>8} {'ratio':>6}  rows")
ratios = []
for name, v in duck["models"].items():
    s = statistics.median(sb.get(name, [float('nan')]))
    k = statistics.median(v["seconds"])
    r = s / k if k > 0 else float('nan')
    if r == r and r > 0:
        ratios.append(r)
    print(f"{name:<32} {s:>10.3f} {k:>8.3f} {r:>6.2f}  {v['rows']}")
chain = ["stg_workers", "stg_certifications", "stg_assessment_results", "talent_stock"]
# Models kept as views (materialized: view) are planned into the models that read
# them, so skillbrain times them there; DuckDB materialises each one.
cs = sum(statistics.median(sb[n]) for n in chain if n in sb)
ck = sum(statistics.median(duck["models"][n]["seconds"]) for n in chain)
print(f"talent_stock with its staging models: skillbrain {cs:.3f} s, duckdb {ck:.3f} s, ratio {cs / ck:.2f}")
print(f"geometric mean ratio over the models both materialise: {math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}")
PY

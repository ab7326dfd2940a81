#!/usr/bin/env bash
# Cross-check against DuckDB: generate a city, ingest it into a fresh lake, refresh every
# model with skillbrain, then run each model's SQL in DuckDB over the same Parquet files
# and compare the results row by row, keyed by the model's grain (bench/crosscheck.py).
# Prints each model's differences, if any, and a summary table; exits 1 if any model
# differs or fails.
#
#   bash bench/crosscheck.sh                              # 20,000 workers, 200,000 events
#   WORKERS=50000 EVENTS=1000000 bash bench/crosscheck.sh
#   BIN=target/debug/skillbrain SEED=7 bash bench/crosscheck.sh
#
# BIN defaults to target/release/skillbrain when it exists, else target/debug/skillbrain
# (neither is built here). DIR (default bench/data-crosscheck) is replaced on each run.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKERS=${WORKERS:-20000}
EVENTS=${EVENTS:-200000}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
DIR=${DIR:-bench/data-crosscheck}
QUERIES=${QUERIES:-queries}
if [ -z "${BIN:-}" ]; then
  if [ -x target/release/skillbrain ]; then BIN=target/release/skillbrain; else BIN=target/debug/skillbrain; fi
fi
if [ ! -x "$BIN" ]; then
  echo "no skillbrain binary at $BIN: build it (cargo build --release) or set BIN" >&2
  exit 2
fi
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet duckdb
fi

rm -rf "$DIR"
mkdir -p "$DIR"
export SKILLBRAIN_ENGINE__TARGET_PARTITIONS=$THREADS SKILLBRAIN_LOG=warn,buoyant_kernel::snapshot::builder=off

echo "== $BIN: generate $WORKERS workers, $EVENTS assessment events, seed $SEED"
"$BIN" generate --workers "$WORKERS" --assessments "$EVENTS" --seed "$SEED" --format parquet --out "$DIR/city" >"$DIR/generate.log"
tail -n 3 "$DIR/generate.log"

echo "== ingest"
"$BIN" --lake "$DIR/lake" ingest "$DIR/city" >"$DIR/ingest.log"
tail -n 1 "$DIR/ingest.log"

echo "== skillbrain run"
"$BIN" --lake "$DIR/lake" --queries "$QUERIES" run >"$DIR/run.log"
tail -n 1 "$DIR/run.log"

echo "== duckdb cross-check"
bench/.venv/bin/python bench/crosscheck.py --lake "$DIR/lake" --queries "$QUERIES" \
  --threads "$THREADS" --json "$DIR/crosscheck.json"

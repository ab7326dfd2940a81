#!/usr/bin/env bash
# "Latest row per worker" in three SQL forms, in skillbrain (DataFusion) and DuckDB, on
# the lake bench/spine.sh leaves in bench/data (10M assessment events by default). Each
# form computes, per worker and occupation, the score of the latest assessment (the
# best one when several share the latest time) and is reduced to one row (count and
# sum) so that only the computation is timed. Prints the median of RUNS runs of each.
#
#   bash bench/spine.sh && bash bench/latest_forms.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
LAKE=${LAKE:-bench/data/lake}
BIN=${BIN:-target/release/skillbrain}
[ -d "$LAKE/assessment_results" ] || { echo "no lake at $LAKE: run bench/spine.sh first" >&2; exit 1; }
export SKILLBRAIN_ENGINE__TARGET_PARTITIONS=$THREADS SKILLBRAIN_LOG=warn,buoyant_kernel=off

declare -A FORMS
FORMS[ordered_aggregate]="select worker_id, occupation_code,
    last_value(score_pct order by taken_at, score_pct) as score
  from stg_assessment_results group by worker_id, occupation_code"
FORMS[row_number]="select worker_id, occupation_code, score_pct as score from (
    select worker_id, occupation_code, score_pct, row_number() over (
      partition by worker_id, occupation_code order by taken_at desc, score_pct desc nulls first) as n
    from stg_assessment_results) where n = 1"
FORMS[join_on_max]="select a.worker_id, a.occupation_code, max(a.score_pct) as score
  from stg_assessment_results a
  join (select worker_id, occupation_code, max(taken_at) as taken_at
        from stg_assessment_results group by worker_id, occupation_code) l
    on a.worker_id = l.worker_id and a.occupation_code = l.occupation_code and a.taken_at = l.taken_at
  group by a.worker_id, a.occupation_code"

wrap() { echo "select count(*) as n, sum(score) as s from ($1) latest"; }

printf '%-20s %12s %10s %8s  %s\n' form skillbrain_s duckdb_s ratio "rows, sum"
for form in ordered_aggregate row_number join_on_max; do
  sql=$(wrap "${FORMS[$form]}")
  times=()
  for _ in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    out=$("$BIN" --lake "$LAKE" sql --format csv "$sql" | tail -1)
    times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  sb=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  # DuckDB spells the ordered aggregate last(x order by ...) (last_value is a window
  # function there); both keep NULLs.
  duck_sql=${sql//last_value(/last(}
  duck=$(bench/.venv/bin/python - "$LAKE" "$THREADS" "$RUNS" "$duck_sql" <<'PY'
import os, statistics, sys, time, duckdb
lake, threads, runs, sql = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
con = duckdb.connect()
con.execute(f"set threads = {threads}")
con.execute(f"create view assessment_results as select * from read_parquet('{os.path.join(lake, 'assessment_results', '*.parquet')}')")
con.execute("create view stg_assessment_results as select *, case when max_score > 0 then 100.0 * total_score / max_score end as score_pct from assessment_results")
secs = []
for _ in range(runs):
    t = time.perf_counter(); row = con.execute(sql).fetchone(); secs.append(time.perf_counter() - t)
print(f"{statistics.median(secs):.3f} {row[0]} {row[1]:.3f}")
PY
)
  read -r dsec drows dsum <<<"$duck"
  printf '%-20s %12.3f %10.3f %8.2f  %s | duckdb %s, %s\n' "$form" "$sb" "$dsec" "$(echo "$sb / $dsec" | bc -l)" "$out" "$drows" "$dsum"
done
echo "(skillbrain times include starting the process and opening the lake: run 'skillbrain sql \"select 1\"' for that alone)"

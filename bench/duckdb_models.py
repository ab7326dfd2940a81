"""Runs skillbrain's SQL models in DuckDB over the Parquet files of a skillbrain lake.

Each canonical table is a view over the Parquet files of its Delta table; each reference
CSV is a table ref_<name>; each model is materialised as a DuckDB table (a
`materialized: view` model as a view, as skillbrain keeps it), in dependency order, and
timed (a model with a DuckDB version in bench/duckdb/, where the dialects differ, runs
that version). Prints one JSON object: {"models": {name: {"seconds": [..], "rows": n}}}.
"""

import argparse
import glob
import json
import os
import re
import time

import duckdb

CANONICAL = [
    "workers", "enterprises", "certifications", "assessment_results",
    "assessment_dimension_scores", "competition_scores", "training_records",
    "mentorships", "talent_demand",
]


def header(sql, key):
    m = re.search(r"^--\s*" + key + r":\s*(.*)$", sql, re.MULTILINE)
    return m.group(1).strip() if m else None


def load_models(queries):
    models = {}
    for path in sorted(glob.glob(os.path.join(queries, "**", "*.sql"), recursive=True)):
        sql = open(path, encoding="utf-8").read()
        models[header(sql, "name")] = sql
    return models


def order(models):
    """Topological order: a model after every model it reads (names after FROM or JOIN)."""
    deps = {}
    for name, sql in models.items():
        body = "\n".join(l.split("--")[0] for l in sql.splitlines())
        read = set(re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", body.lower()))
        deps[name] = {m for m in models if m != name and m in read}
    done, out = set(), []
    while len(out) < len(models):
        ready = sorted(n for n in models if n not in done and deps[n] <= done)
        if not ready:
            raise SystemExit("cycle among models: " + ", ".join(sorted(set(models) - done)))
        out += ready
        done |= set(ready)
    return out


def connect(lake, reference, threads):
    con = duckdb.connect()
    con.execute(f"set threads = {threads}")
    for t in CANONICAL:
        files = os.path.join(lake, t, "*.parquet")
        con.execute(f"create view {t} as select * from read_parquet('{files}')")
    for path in sorted(glob.glob(os.path.join(reference, "*.csv"))):
        name = "ref_" + os.path.splitext(os.path.basename(path))[0]
        cols = open(path, encoding="utf-8").readline().strip().split(",")
        types = ", ".join(f"'{c}': 'VARCHAR'" for c in cols if c == "code" or c.endswith("_code"))
        con.execute(
            f"create table {name} as select * from read_csv('{path}', header = true, types = {{{types}}})"
        )
    return con


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", required=True)
    ap.add_argument("--queries", default="queries")
    ap.add_argument("--reference", default="datasets/data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--duckdb-versions",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb"),
        help="folder of DuckDB versions of models whose SQL is not DuckDB's (<model>.sql)",
    )
    args = ap.parse_args()
    models = load_models(args.queries)
    for path in glob.glob(os.path.join(args.duckdb_versions, "*.sql")):
        name = os.path.splitext(os.path.basename(path))[0]
        if name in models:
            models[name] = open(path, encoding="utf-8").read()
    names = order(models)
    result = {n: {"seconds": [], "rows": None} for n in names}
    for _ in range(args.runs):
        con = connect(args.lake, args.reference, args.threads)
        for n in names:
            t0 = time.perf_counter()
            # As in skillbrain, a `materialized: view` model is a view, planned into
            # the models that read it; every other model is materialised.
            kind = "view" if header(models[n], "materialized") == "view" else "table"
            con.execute(f"create or replace {kind} {n} as {models[n]}")
            result[n]["seconds"].append(time.perf_counter() - t0)
            result[n]["rows"] = con.execute(f"select count(*) from {n}").fetchone()[0]
        con.close()
    print(json.dumps({"duckdb": duckdb.__version__, "models": result}))


if __name__ == "__main__":
    main()

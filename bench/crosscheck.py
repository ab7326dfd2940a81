"""Cross-checks every materialised skillbrain model against DuckDB.

For each model of `--queries` that skillbrain materialises (every model not declared
`materialized: view`), reads the current version of its Delta table under
`<lake>/models/<name>/` (the engine's result), runs the same model SQL in DuckDB over the
Parquet files of the lake's canonical tables (as `bench/duckdb_models.py` does; views
stay views), and compares the two row sets keyed by the model's grain:

- the same number of rows and the same grain keys, each key once;
- the same column names;
- per column: integers, strings, booleans and dates exactly; floating and decimal values
  to 1e-9 relative (1e-9 absolute near 0); timestamps as UTC instants (microseconds);
  NULL equals NULL and NaN equals NaN.

Where DuckDB's dialect differs from DataFusion's for a model, `bench/duckdb/<model>.sql`
holds a DuckDB version of it, used in place of the original. Its header names the file
it translates and carries `-- source-sha256:` of that file's SQL (comment lines and
blank space left out); when the original has changed since, the model is reported
`stale` until the DuckDB version is brought in step.

Prints one line per model (`ok`, or the differences: the first offending keys and
columns with both values) and a summary table; exits 1 if any model differs, is stale
or fails.

    bench/.venv/bin/python bench/crosscheck.py --lake bench/data-crosscheck/lake
"""

import argparse
import datetime
import decimal
import glob
import hashlib
import json
import math
import os
import re
import sys
import time
import urllib.parse

import duckdb

sys.dont_write_bytecode = True  # no bench/__pycache__ from importing the module beside
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duckdb_models  # noqa: E402

REL_TOL = 1e-9
ABS_TOL = 1e-9
SHOW = 5  # offending keys / values shown per kind of difference


# ---------------------------------------------------------------------------------------
# Reading a Delta table's current version without a Delta library: replay the log.


def delta_snapshot(table_dir):
    """The current version of a Delta table: (version, [data file paths], [column names]).

    Replays `_delta_log`: the newest checkpoint (single- or multi-part Parquet), if any,
    then every JSON commit after it, in order; `add` puts a file in the table and
    `remove` takes it out. Only unpartitioned tables without deletion vectors are read
    (skillbrain writes its models that way); anything else is refused, not misread.
    """
    log = os.path.join(table_dir, "_delta_log")
    if not os.path.isdir(log):
        raise FileNotFoundError(f"{table_dir}: no _delta_log (the model was never materialised)")
    commits = {}
    checkpoints = {}
    for entry in os.listdir(log):
        m = re.fullmatch(r"(\d{20})\.json", entry)
        if m:
            commits[int(m.group(1))] = os.path.join(log, entry)
            continue
        m = re.fullmatch(r"(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet", entry)
        if m:
            checkpoints.setdefault(int(m.group(1)), []).append(os.path.join(log, entry))
    if not commits and not checkpoints:
        raise FileNotFoundError(f"{log}: no commits")
    latest = max(list(commits) + list(checkpoints))

    files = {}
    meta = None
    start = 0
    usable = [
        v for v, parts in checkpoints.items()
        if _checkpoint_complete(parts)
    ]
    if usable:
        cp = max(usable)
        start = cp + 1
        con = duckdb.connect()
        paths = ", ".join("'" + p.replace("'", "''") + "'" for p in sorted(checkpoints[cp]))
        cols = {r[0] for r in con.execute(f"describe select * from read_parquet([{paths}])").fetchall()}
        a_expr = 'to_json("add")' if "add" in cols else "null"
        m_expr = 'to_json("metaData")' if "metaData" in cols else "null"
        rows = [
            (json.loads(a) if a else None, json.loads(m) if m else None)
            for a, m in con.execute(f"select {a_expr}, {m_expr} from read_parquet([{paths}])").fetchall()
        ]
        con.close()
        for a, m in rows:
            if a is not None and a.get("path") is not None:
                _check_add(table_dir, a)
                files[urllib.parse.unquote(a["path"])] = True
            if m is not None and m.get("schemaString") is not None:
                meta = m
    for v in range(start, latest + 1):
        if v not in commits:
            raise FileNotFoundError(f"{log}: commit {v} is missing and no checkpoint covers it")
        with open(commits[v], encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                action = json.loads(line)
                if "add" in action:
                    _check_add(table_dir, action["add"])
                    files[urllib.parse.unquote(action["add"]["path"])] = True
                elif "remove" in action:
                    files.pop(urllib.parse.unquote(action["remove"]["path"]), None)
                elif "metaData" in action:
                    meta = action["metaData"]
    if meta is None:
        raise ValueError(f"{table_dir}: no metaData action in the log")
    if meta.get("partitionColumns"):
        raise ValueError(f"{table_dir}: partitioned by {meta['partitionColumns']}; not supported here")
    columns = [f["name"] for f in json.loads(meta["schemaString"])["fields"]]
    return latest, [os.path.join(table_dir, p) for p in sorted(files)], columns


def _checkpoint_complete(parts):
    if len(parts) == 1 and re.search(r"\d{20}\.checkpoint\.parquet$", parts[0]):
        return True
    m = re.search(r"\.(\d{10})\.parquet$", parts[0])
    return m is not None and len(parts) == int(m.group(1))


def _check_add(table_dir, add):
    if add.get("deletionVector"):
        raise ValueError(f"{table_dir}: deletion vectors are not supported here")
    if "://" in add["path"]:
        raise ValueError(f"{table_dir}: absolute file path {add['path']} not supported here")


# ---------------------------------------------------------------------------------------
# The DuckDB side: the model SQL, or its DuckDB version.


def sql_digest(sql):
    """sha256 of a model's SQL without its comment lines and with blank space collapsed."""
    body = "\n".join(l for l in sql.splitlines() if not l.lstrip().startswith("--"))
    return hashlib.sha256(" ".join(body.split()).encode("utf-8")).hexdigest()


def load_duckdb_versions(dirname, models, paths):
    """{model: (sql, problem or None, path)} for every `<dirname>/<model>.sql`."""
    out = {}
    for path in sorted(glob.glob(os.path.join(dirname, "*.sql"))):
        name = os.path.splitext(os.path.basename(path))[0]
        sql = open(path, encoding="utf-8").read()
        if name not in models:
            raise SystemExit(f"{path}: no model {name} in the queries folder")
        m = re.search(r"^--\s*source-sha256:\s*([0-9a-f]{64})\s*$", sql, re.MULTILINE)
        want = sql_digest(models[name])
        if m is None:
            problem = f"{path} has no '-- source-sha256:' line (the original's is {want})"
        elif m.group(1) != want:
            problem = (
                f"{paths[name]} changed since {os.path.relpath(path)} was written: bring the DuckDB version "
                f"in step, then set its '-- source-sha256:' to {want}"
            )
        else:
            problem = None
        out[name] = (sql, problem, os.path.relpath(path))
    return out


def model_paths(queries):
    paths = {}
    for path in sorted(glob.glob(os.path.join(queries, "**", "*.sql"), recursive=True)):
        sql = open(path, encoding="utf-8").read()
        paths[duckdb_models.header(sql, "name")] = path
    return paths


# ---------------------------------------------------------------------------------------
# Comparison.


def normalised_select(con, relation, columns):
    """A select list turning each column into a comparable Python value."""
    types = dict(con.execute(f"select column_name, column_type from (describe {relation})").fetchall())
    exprs, kinds = [], {}
    for c in columns:
        t = types[c].upper()
        q = '"' + c.replace('"', '""') + '"'
        if t.startswith("TIMESTAMP"):
            exprs.append(f"epoch_us({q})")
            kinds[c] = "timestamp"
        elif t.startswith("DECIMAL"):
            exprs.append(f"cast({q} as double)")
            kinds[c] = "float"
        elif t in ("DOUBLE", "FLOAT", "REAL"):
            exprs.append(q)
            kinds[c] = "float"
        elif t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                   "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"):
            exprs.append(q)
            kinds[c] = "integer"
        elif t == "BOOLEAN":
            exprs.append(q)
            kinds[c] = "boolean"
        elif t in ("VARCHAR",):
            exprs.append(q)
            kinds[c] = "string"
        elif t == "DATE":
            exprs.append(q)
            kinds[c] = "date"
        else:
            exprs.append(f"cast({q} as varchar)")
            kinds[c] = t.lower()
    return exprs, kinds, types


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)
    return a == b


def show(v, kind):
    if v is None:
        return "NULL"
    if kind == "timestamp":
        t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=v)
        return t.isoformat().replace("+00:00", "Z")
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (decimal.Decimal, datetime.date)):
        return str(v)
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v)


def show_key(grain, key, kinds):
    return "(" + ", ".join(f"{g}={show(v, kinds.get(g))}" for g, v in zip(grain, key)) + ")"


def sort_key(key):
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in key)


def compare(con, grain, engine_rel, engine_columns, duck_rel):
    """A list of difference lines (empty when the results agree) and the row counts."""
    diffs = []
    duck_columns = [r[0] for r in con.execute(f"describe {duck_rel}").fetchall()]
    only_engine = [c for c in engine_columns if c not in duck_columns]
    only_duck = [c for c in duck_columns if c not in engine_columns]
    if only_engine:
        diffs.append(f"columns only in skillbrain's result: {', '.join(only_engine)}")
    if only_duck:
        diffs.append(f"columns only in DuckDB's result: {', '.join(only_duck)}")
    missing = [g for g in grain if g not in engine_columns or g not in duck_columns]
    if missing:
        diffs.append(f"grain column(s) {', '.join(missing)} missing from a result")
        return diffs, None, None
    columns = [c for c in engine_columns if c in duck_columns]

    rows = {}
    kinds = {}
    types = {}
    for side, rel in (("skillbrain", engine_rel), ("duckdb", duck_rel)):
        exprs, k, t = normalised_select(con, rel, columns)
        kinds[side], types[side] = k, t
        data = con.execute(f"select {', '.join(exprs)} from {rel}").fetchall()
        gi = [columns.index(g) for g in grain]
        keyed = {}
        dups = []
        for r in data:
            key = tuple(r[i] for i in gi)
            if key in keyed:
                dups.append(key)
            keyed[key] = r
        if dups:
            diffs.append(
                f"{side}: {len(dups)} repeated grain key(s), e.g. "
                + "; ".join(show_key(grain, d, k) for d in sorted(dups, key=sort_key)[:SHOW])
            )
        rows[side] = (len(data), keyed)

    n_engine, n_duck = rows["skillbrain"][0], rows["duckdb"][0]
    if n_engine != n_duck:
        diffs.append(f"row count: skillbrain {n_engine}, duckdb {n_duck}")
    e, d = rows["skillbrain"][1], rows["duckdb"][1]
    ek = kinds["skillbrain"]
    for side, here, there in (("skillbrain", e, d), ("duckdb", d, e)):
        extra = sorted((k for k in here if k not in there), key=sort_key)
        if extra:
            diffs.append(
                f"{len(extra)} grain key(s) only in {side}'s result, e.g. "
                + "; ".join(show_key(grain, k, ek) for k in extra[:SHOW])
            )
    common = sorted((k for k in e if k in d), key=sort_key)
    for i, c in enumerate(columns):
        if c in grain:
            continue
        ke, kd = kinds["skillbrain"][c], kinds["duckdb"][c]
        comparable = {ke, kd} <= {"integer", "float"} or ke == kd
        if not comparable and common:
            diffs.append(
                f"column {c}: skillbrain type {types['skillbrain'][c]}, duckdb type {types['duckdb'][c]}"
            )
            continue
        bad = [k for k in common if not same(e[k][i], d[k][i])]
        if bad:
            diffs.append(
                f"column {c}: {len(bad)} of {len(common)} rows differ, e.g. "
                + "; ".join(
                    f"{show_key(grain, k, ek)}: skillbrain {show(e[k][i], ke)}, duckdb {show(d[k][i], kd)}"
                    for k in bad[:SHOW]
                )
            )
    return diffs, n_engine, n_duck


# ---------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True, help="the skillbrain lake (a local folder)")
    ap.add_argument("--queries", default="queries", help="the models' folder")
    ap.add_argument("--reference", default="datasets/data", help="the reference CSVs")
    ap.add_argument("--duckdb-sql", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb"),
                    help="the DuckDB versions of models (default: bench/duckdb)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", help="comma-separated: check only these models")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()

    models = duckdb_models.load_models(args.queries)
    paths = model_paths(args.queries)
    versions = load_duckdb_versions(args.duckdb_sql, models, paths)
    duck_sql = {n: versions[n][0] if n in versions else sql for n, sql in models.items()}
    names = duckdb_models.order(duck_sql)
    materialised = [n for n in names if duckdb_models.header(models[n], "materialized") != "view"]
    wanted = set(args.models.split(",")) if args.models else None
    if wanted and wanted - set(models):
        raise SystemExit(f"no such model(s): {', '.join(sorted(wanted - set(models)))}")

    con = duckdb_models.connect(args.lake, args.reference, args.threads)
    # Timestamps are UTC in the lake and in skillbrain; DataFusion sorts NULL as the
    # largest value (NULLS LAST ascending, NULLS FIRST descending), DuckDB by default
    # last either way: set both to DataFusion's so that every ORDER BY means the same.
    con.execute("set TimeZone = 'UTC'")
    con.execute("set default_null_order = 'nulls_last_on_asc_first_on_desc'")

    results = []
    for n in names:
        kind = "view" if duckdb_models.header(models[n], "materialized") == "view" else "table"
        t0 = time.perf_counter()
        try:
            con.execute(f"create or replace {kind} {n} as {duck_sql[n]}")
        except duckdb.Error as e:
            why = f"DuckDB could not run it: {str(e).splitlines()[0]}"
            if n not in materialised:
                # A view skillbrain does not store: the models reading it fail after it.
                print(f"{n} (view): {why}", flush=True)
            elif wanted is None or n in wanted:
                results.append({"model": n, "status": "failed", "rows_skillbrain": None, "rows_duckdb": None,
                                "sql": _source(n, versions, paths), "differences": [why]})
                print(f"{n}: failed\n    {why}", flush=True)
            continue
        if n not in materialised or (wanted is not None and n not in wanted):
            continue
        entry = {"model": n, "sql": _source(n, versions, paths), "rows_skillbrain": None,
                 "rows_duckdb": None, "differences": []}
        grain = [g.strip() for g in (duckdb_models.header(models[n], "grain") or "").split(",") if g.strip()]
        try:
            if not grain:
                raise ValueError(f"{paths[n]} declares no grain")
            version, files, columns = delta_snapshot(os.path.join(args.lake, "models", n))
            entry["delta_version"] = version
            eng = f"engine_{n}"
            if files:
                file_list = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(f"create or replace temp table {eng} as select * from read_parquet([{file_list}], union_by_name = true)")
                columns = [r[0] for r in con.execute(f"describe {eng}").fetchall()]
            else:
                # An empty model may have no data file: compare its columns and no rows.
                cols = ", ".join(f'null::varchar as "{c}"' for c in columns)
                con.execute(f"create or replace temp table {eng} as select {cols} where false")
            diffs, ne, nd = compare(con, grain, eng, columns, n)
            con.execute(f"drop table {eng}")
            entry["rows_skillbrain"], entry["rows_duckdb"] = ne, nd
            entry["differences"] = diffs
            entry["status"] = "ok" if not diffs else "differs"
        except (OSError, ValueError, duckdb.Error) as e:
            entry["status"] = "failed"
            entry["differences"] = [f"{type(e).__name__}: {str(e).splitlines()[0]}"]
        problem = versions[n][1] if n in versions else None
        if problem:
            entry["differences"].insert(0, problem)
            entry["status"] = "stale" if entry["status"] == "ok" else entry["status"]
        entry["seconds"] = round(time.perf_counter() - t0, 3)
        results.append(entry)
        line = f"{n}: {entry['status']}"
        if entry["rows_skillbrain"] is not None:
            line += f" ({entry['rows_skillbrain']} rows)"
        print(line, flush=True)
        for d in entry["differences"]:
            print(f"    {d}", flush=True)
    con.close()

    print()
    print(f"duckdb {duckdb.__version__}; floats to {REL_TOL:g} relative ({ABS_TOL:g} absolute near 0)")
    print(f"{'model':<28} {'skillbrain':>10} {'duckdb':>10}  {'result':<8} sql")
    for r in sorted(results, key=lambda r: names.index(r["model"])):
        ne = "-" if r["rows_skillbrain"] is None else r["rows_skillbrain"]
        nd = "-" if r["rows_duckdb"] is None else r["rows_duckdb"]
        print(f"{r['model']:<28} {ne:>10} {nd:>10}  {r['status']:<8} {r['sql']}")
    ok = sum(r["status"] == "ok" for r in results)
    print(f"{ok} of {len(results)} models agree")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"duckdb": duckdb.__version__, "models": results}, f, ensure_ascii=False, indent=1)
    sys.exit(0 if ok == len(results) else 1)


def _source(name, versions, paths):
    return versions[name][2] if name in versions else paths[name]


if __name__ == "__main__":
    main()

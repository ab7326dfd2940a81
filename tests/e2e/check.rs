//! `skillbrain check`: every model parses and plans; a broken folder is rejected with
//! the file and line.

use crate::city::{queries, run, shared};

fn copy_queries(to: &std::path::Path) {
    for entry in walk(&queries()) {
        let rel = entry.strip_prefix(queries()).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &dest).unwrap();
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn check_passes_on_the_shipped_models_and_runs_their_tests() {
    let out = shared().cmd(&["check"]);
    assert!(out.contains("tests passed"), "{out}");
}

fn check_broken(edit: impl FnOnce(&std::path::Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("queries");
    copy_queries(&q);
    edit(&q);
    let lake = dir.path().join("lake");
    let out = run(&[
        "--lake",
        lake.to_str().unwrap(),
        "--queries",
        q.to_str().unwrap(),
        "check",
    ]);
    assert!(!out.status.success(), "check must fail on a broken model");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn check_rejects_a_cycle_a_missing_header_and_an_unknown_table() {
    let err = check_broken(|q| {
        let p = q.join("staging/stg_mentorships.sql");
        let sql = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            sql.replace("select * from mentorships", "select * from talent_gap"),
        )
        .unwrap();
        let p = q.join("talent/talent_gap.sql");
        let sql = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            sql.replace(
                "from stg_talent_demand",
                "from stg_talent_demand, stg_mentorships",
            ),
        )
        .unwrap();
    });
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains(".sql:"), "names the file and line: {err}");

    let err = check_broken(|q| {
        let p = q.join("talent/talent_stock.sql");
        let sql = std::fs::read_to_string(&p).unwrap();
        let body: String = sql
            .lines()
            .filter(|l| !l.starts_with("-- description"))
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&p, body).unwrap();
    });
    assert!(
        err.contains("talent_stock.sql:1:") && err.contains("description"),
        "{err}"
    );

    let err = check_broken(|q| {
        std::fs::write(
            q.join("talent/orphan.sql"),
            "-- name: orphan\n-- description: d\n-- grain: a\nselect a\nfrom payroll\n",
        )
        .unwrap();
    });
    assert!(
        err.contains("orphan.sql:5:") && err.contains("payroll"),
        "{err}"
    );
}

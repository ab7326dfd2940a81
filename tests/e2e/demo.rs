//! `skillbrain demo`: prepares a city end to end, and a second run lands nothing twice.

use crate::city::{queries, run_ok};

#[test]
fn demo_prepares_a_city_and_a_rerun_lands_nothing_twice() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let d = dir.path().to_str().unwrap();
    let q = queries();
    let args = [
        "--queries",
        q.to_str().unwrap(),
        "demo",
        "--workers",
        "300",
        "--dir",
        d,
        "--no-serve",
    ];
    let first = run_ok(&args);
    assert!(first.contains("talent_stock"), "{first}");
    assert!(first.contains("talent_gap"), "{first}");
    assert!(
        dir.path()
            .join("lake/models/talent_stock/_delta_log")
            .is_dir()
    );
    let second = run_ok(&args);
    let landed: Vec<&str> = second
        .lines()
        .filter(|l| l.contains(" accepted "))
        .collect();
    assert_eq!(landed.len(), 9, "every canonical table is landed: {second}");
    for line in landed {
        let accepted: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(
            accepted, 0,
            "a second demo run stores nothing again: {line}"
        );
    }
}

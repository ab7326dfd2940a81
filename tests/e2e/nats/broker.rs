//! Events published to `skillbrain.talent_demand` land once; a bad row is counted and
//! its message acknowledged; Ctrl-C stops the server cleanly; a restart after SIGKILL
//! resumes exactly where the lake is.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{
    NatsServer, Publisher, SUBJECT, assert_stored_once, demand, empty_city, metric, serve,
};

const REJECTED: &str = "skillbrain_rejected_rows_total";
const INGESTED: &str = "skillbrain_ingested_rows_total";
const DUPLICATES: &str = "skillbrain_duplicate_rows_total";
const TABLE: &str = r#"table="talent_demand""#;

/// Publishes `events` in messages of `per_message` rows each; returns their ids.
fn publish_events(
    publisher: &Publisher,
    prefix: &str,
    events: usize,
    per_message: usize,
) -> Vec<String> {
    let ids: Vec<String> = (0..events).map(|i| format!("{prefix}{i}")).collect();
    for chunk in ids.chunks(per_message) {
        let lines: Vec<String> = chunk.iter().map(|id| demand(id, 3)).collect();
        publisher.publish(SUBJECT, lines.join("\n"));
    }
    ids
}

#[test]
fn published_events_are_stored_once_and_a_bad_row_is_reported() {
    let nats = NatsServer::start();
    let city = empty_city();
    let mut server = serve(&city, &nats);
    let publisher = Publisher::connect(&nats.url);

    let mut expected: BTreeSet<String> = BTreeSet::new();
    // 30 messages of one row, then 5 of three rows (one ending with a newline).
    expected.extend(publish_events(&publisher, "one-", 30, 1));
    expected.extend(publish_events(&publisher, "three-", 15, 3));
    publisher.publish(SUBJECT, format!("{}\n", demand("trailing-newline", 2)));
    expected.insert("trailing-newline".into());
    // Duplicates: five events again, each in a message of its own, and one again
    // beside a new event in one message.
    for i in 0..5 {
        publisher.publish(SUBJECT, demand(&format!("one-{i}"), 3));
    }
    publisher.publish(
        SUBJECT,
        [demand("three-0", 3), demand("fresh", 4)].join("\n"),
    );
    expected.insert("fresh".into());
    // A bad row (level 9) between two good ones.
    let lines = [demand("good-1", 3), demand("bad", 9), demand("good-2", 3)];
    publisher.publish(SUBJECT, lines.join("\r\n"));
    expected.extend(["good-1".to_owned(), "good-2".to_owned()]);

    assert_stored_once(&city, &expected, Duration::from_secs(60));
    let labels = format!(r#"{TABLE},source="nats""#);
    assert_eq!(metric(&server.base, REJECTED, &labels), 1);
    assert_eq!(metric(&server.base, INGESTED, TABLE), expected.len() as u64);
    assert_eq!(metric(&server.base, DUPLICATES, TABLE), 6);
    // The bad row waits in the quarantine with its message's stream sequence: the
    // 30 + 5 + 1 + 5 + 1 messages before it, so sequence 43, line 2 of it.
    let listed = city.cmd(&["quarantine", "--table", "talent_demand", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["offset"], 43, "{listed}");
    assert_eq!(rows[0]["line"], 2, "{listed}");
    assert_eq!(rows[0]["column"], "level", "{listed}");
    assert_eq!(rows[0]["raw_value"], "9", "{listed}");
    assert!(
        rows[0]["source"]
            .as_str()
            .unwrap()
            .starts_with("nats skillbrain.talent_demand")
    );

    // Ctrl-C: the consumers stop and the server exits cleanly.
    let status = server.interrupt(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "after SIGINT the server exited with {status:?}"
    );
}

#[test]
fn a_restart_resumes_where_the_lake_is() {
    let nats = NatsServer::start();
    let city = empty_city();
    let publisher = Publisher::connect(&nats.url);
    let first = serve(&city, &nats);
    let mut expected: BTreeSet<String> = publish_events(&publisher, "before-", 60, 3)
        .into_iter()
        .collect();
    assert_stored_once(&city, &expected, Duration::from_secs(60));
    // SIGKILL: no clean shutdown.
    drop(first);

    // While it is down: new events, and ten already stored.
    expected.extend(publish_events(&publisher, "during-", 60, 2));
    for i in 0..10 {
        publisher.publish(SUBJECT, demand(&format!("before-{i}"), 3));
    }
    let second = serve(&city, &nats);
    assert_stored_once(&city, &expected, Duration::from_secs(60));
    // The second server took only what came after the lake's recorded sequence: the
    // 60 new events and the 10 repeats, none of the first server's messages again.
    assert_eq!(metric(&second.base, INGESTED, TABLE), 60);
    assert_eq!(metric(&second.base, DUPLICATES, TABLE), 10);
}

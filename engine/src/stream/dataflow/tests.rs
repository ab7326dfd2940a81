//! The dataflow against DataFusion: a query kept incrementally over many random changes
//! (events appended, entities appended, a model's rows inserted and deleted) gives, after
//! every step, the rows DataFusion gives computing the same query over all the rows;
//! and small cases worked out by hand.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use skillbrain_datasets::generate::rng::Rng;

use super::{Changes, Dataflow, Delta, TableKind};

/// A row of `events` (append-only, grows with the history).
#[derive(Debug, Clone, PartialEq)]
struct Event {
    k: Option<String>,
    g: Option<String>,
    t: i64,
    v: Option<f64>,
    n: Option<i32>,
    s: Option<String>,
}

/// A row of `people` (append-only entities) or of the model `upstream`.
#[derive(Debug, Clone, PartialEq)]
struct Person {
    k: String,
    region: Option<String>,
    v: Option<f64>,
}

fn events_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("k", DataType::Utf8, true),
        Field::new("g", DataType::Utf8, true),
        Field::new("t", DataType::Int64, false),
        Field::new("v", DataType::Float64, true),
        Field::new("n", DataType::Int32, true),
        Field::new("s", DataType::Utf8, true),
    ]))
}

fn people_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("k", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("v", DataType::Float64, true),
    ]))
}

fn events_batch(rows: &[Event]) -> RecordBatch {
    let text = |f: &dyn Fn(&Event) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    RecordBatch::try_new(
        events_schema(),
        vec![
            text(&|e| e.k.clone()),
            text(&|e| e.g.clone()),
            Arc::new(Int64Array::from(
                rows.iter().map(|e| e.t).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows.iter().map(|e| e.v).collect::<Vec<_>>(),
            )),
            Arc::new(Int32Array::from(
                rows.iter().map(|e| e.n).collect::<Vec<_>>(),
            )),
            text(&|e| e.s.clone()),
        ],
    )
    .unwrap()
}

fn people_batch(rows: &[Person]) -> RecordBatch {
    RecordBatch::try_new(
        people_schema(),
        vec![
            Arc::new(StringArray::from(
                rows.iter().map(|p| p.k.clone()).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rows.iter().map(|p| p.region.clone()).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows.iter().map(|p| p.v).collect::<Vec<_>>(),
            )),
        ],
    )
    .unwrap()
}

/// The tables and their current rows.
struct World {
    rng: Rng,
    events: Vec<Event>,
    people: Vec<Person>,
    upstream: Vec<Person>,
}

impl World {
    fn new(seed: u64) -> World {
        World {
            rng: Rng::new(seed),
            events: Vec::new(),
            people: Vec::new(),
            upstream: Vec::new(),
        }
    }

    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.rng.index(of.len())]
    }

    fn maybe(&mut self, of: &[&str], null_one_in: u64) -> Option<String> {
        if self.rng.range(0, null_one_in) == 0 {
            None
        } else {
            Some(self.pick(of).to_string())
        }
    }

    fn event(&mut self) -> Event {
        let v = [0.5, 1.25, 2.0, 3.75, -1.5, 10.0];
        Event {
            k: self.maybe(&["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"], 12),
            g: self.maybe(&["a", "b", "c"], 8),
            t: self.rng.range(0, 6) as i64,
            v: (self.rng.range(0, 6) != 0).then(|| v[self.rng.index(v.len())]),
            n: (self.rng.range(0, 7) != 0).then(|| self.rng.range(0, 4) as i32 - 1),
            s: self.maybe(&["x", "y", "z", "w"], 5),
        }
    }

    fn person(&mut self) -> Person {
        let v = [0.5, 1.5, 4.0, 7.25];
        Person {
            k: self
                .pick(&["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"])
                .to_string(),
            region: self.maybe(&["north", "south", "east"], 6),
            v: (self.rng.range(0, 5) != 0).then(|| v[self.rng.index(v.len())]),
        }
    }

    /// One step of changes: some events and people appended, some upstream rows
    /// inserted, some deleted.
    fn change(&mut self, size: usize) -> Changes {
        let events: Vec<Event> = (0..self.rng.range(0, size as u64 + 1))
            .map(|_| self.event())
            .collect();
        let people: Vec<Person> = (0..self.rng.range(0, 3)).map(|_| self.person()).collect();
        let added: Vec<Person> = (0..self.rng.range(0, 4)).map(|_| self.person()).collect();
        let mut removed = Vec::new();
        for _ in 0..self.rng.range(0, 3) {
            if !self.upstream.is_empty() {
                let i = self.rng.index(self.upstream.len());
                removed.push(self.upstream.swap_remove(i));
            }
        }
        self.events.extend(events.iter().cloned());
        self.people.extend(people.iter().cloned());
        self.upstream.extend(added.iter().cloned());
        let mut changes = Changes::new();
        changes.insert("events".into(), vec![Delta::inserts(events_batch(&events))]);
        changes.insert("people".into(), vec![Delta::inserts(people_batch(&people))]);
        let mut model = Delta::inserts(people_batch(&added));
        let deleted = Delta {
            batch: people_batch(&removed),
            weights: vec![-1; removed.len()],
        };
        model = Delta::concat(&people_schema(), &[model, deleted]).unwrap();
        changes.insert("upstream".into(), vec![model]);
        changes
    }

    /// Registers every table's current rows in `ctx`.
    fn register(&self, ctx: &SessionContext) {
        let tables = [
            ("events", events_batch(&self.events)),
            ("people", people_batch(&self.people)),
            ("upstream", people_batch(&self.upstream)),
        ];
        for (name, batch) in tables {
            let _ = ctx.deregister_table(name).unwrap();
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
            ctx.register_table(name, Arc::new(table)).unwrap();
        }
    }
}

fn kinds() -> HashMap<String, TableKind> {
    HashMap::from([
        ("events".to_string(), TableKind::Events),
        ("people".to_string(), TableKind::Entities),
        ("upstream".to_string(), TableKind::Model),
    ])
}

fn session() -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    let regions = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("code", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, false),
        ])),
        vec![
            Arc::new(StringArray::from(vec!["north", "south", "west"])),
            Arc::new(StringArray::from(vec!["北区", "南区", "西区"])),
        ],
    )
    .unwrap();
    let table = MemTable::try_new(regions.schema(), vec![vec![regions]]).unwrap();
    ctx.register_table("ref_regions", Arc::new(table)).unwrap();
    ctx
}

/// Rows as text, floats to 6 decimals, sorted: a multiset to compare.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = (batch.columns().iter())
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = (batch.columns().iter().zip(&formatters))
                .map(|(c, f)| match c.as_any().downcast_ref::<Float64Array>() {
                    Some(floats) if floats.is_valid(row) => {
                        let x = floats.value(row);
                        // -0.0 and 0.0 alike.
                        format!("{:.6}", if x == 0.0 { 0.0 } else { x })
                    }
                    _ => f.value(row).to_string(),
                })
                .collect();
            out.push(cells.join(" | "));
        }
    }
    out.sort();
    out
}

async fn full(ctx: &SessionContext, sql: &str) -> Vec<String> {
    rows(&ctx.sql(sql).await.unwrap().collect().await.unwrap())
}

async fn dataflow(ctx: &SessionContext, sql: &str) -> Result<Dataflow, String> {
    let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
    Dataflow::analyse(&plan, ctx, &kinds())
}

/// `sql` kept over `steps` random steps equals DataFusion's answer after each.
async fn follows(sql: &str, seed: u64, steps: usize) {
    let ctx = session();
    let mut world = World::new(seed);
    let _ = world.change(40);
    world.register(&ctx);
    let mut flow = dataflow(&ctx, sql)
        .await
        .unwrap_or_else(|why| panic!("{sql}: not kept: {why}"));
    let got = rows(&flow.rebuild(&ctx).await.unwrap());
    assert_eq!(got, full(&ctx, sql).await, "{sql}: after the rebuild");
    for step in 0..steps {
        let changes = world.change(12);
        world.register(&ctx);
        let got = rows(&flow.apply(&ctx, &changes).await.unwrap());
        let want = full(&ctx, sql).await;
        assert_eq!(got, want, "{sql}: step {step} (seed {seed})");
    }
}

const STEPS: usize = 60;

#[tokio::test]
async fn grouped_aggregates_of_events_follow_a_full_recompute() {
    let sql = "select g, count(*) as rows, count(v) as values, sum(v) as total, avg(v) as mean, \
               min(v) as low, max(v) as high, sum(n) as ints, avg(n) as mean_n, min(s) as first_s, \
               max(t) as latest, count(distinct s) as kinds \
               from events group by g";
    for seed in 1..4 {
        follows(sql, seed, STEPS).await;
    }
}

#[tokio::test]
async fn a_global_aggregate_always_has_its_one_row() {
    let sql = "select count(*) as rows, sum(v) as total, max(s) as top, count(distinct k) as keys \
               from events where t > 100";
    follows(sql, 5, 10).await;
    follows("select count(*), sum(v), min(t) from events", 6, STEPS).await;
}

#[tokio::test]
async fn the_latest_row_per_key_follows_ties_and_nulls() {
    // Ties on t broken by v (nulls first, so the latest is the best non-null), then a
    // descending order with nulls last, and a filter.
    let sql = "select k, \
               last_value(v order by t, v nulls first) as latest_v, \
               first_value(s order by t desc nulls last, s) as newest_s, \
               first_value(v order by t, v) filter (where n >= 0) as earliest_v, \
               count(*) filter (where v > 1) as big \
               from events group by k";
    for seed in 7..10 {
        follows(sql, seed, STEPS).await;
    }
}

#[tokio::test]
async fn joins_of_entities_and_aggregates_follow() {
    // Inner and left joins of an entity table with aggregates, null keys, a residual
    // filter, then an aggregate over the join; reference data joined in.
    let queries = [
        "select p.region, count(*) as people, count(e.latest) as active, avg(e.latest) as mean \
         from people p left join (select k, max(t) as latest from events group by k) e on e.k = p.k \
         group by p.region",
        "select p.k, p.region, r.name, e.total from people p \
         join (select k, sum(v) as total from events group by k) e on e.k = p.k \
         left join ref_regions r on r.code = p.region",
        "select p.k, p.v, e.g, e.n from people p \
         left join (select k, g, max(n) as n from events group by k, g) e \
           on e.k = p.k and e.n > p.v",
        "select e.g, e.k, e.n, p.k as person from (select k, g, sum(n) as n from events group by k, g) e \
         full join people p on p.k = e.k",
        "select r.code, count(p.k) as people from ref_regions r left join people p on p.region = r.code \
         group by r.code",
    ];
    for (i, sql) in queries.iter().enumerate() {
        follows(sql, 20 + i as u64, STEPS).await;
    }
}

#[tokio::test]
async fn semi_and_anti_joins_follow() {
    let queries = [
        "select k, region from people p where exists \
         (select 1 from (select k, count(*) as c from events group by k) e where e.k = p.k and e.c > 2)",
        "select k, region from people p where not exists \
         (select 1 from (select k from events group by k) e where e.k = p.k)",
    ];
    for (i, sql) in queries.iter().enumerate() {
        follows(sql, 40 + i as u64, STEPS).await;
    }
}

#[tokio::test]
async fn a_model_that_deletes_rows_is_followed() {
    // Extremes and latest values over an input that deletes keep every value.
    let queries = [
        "select region, count(*) as rows, min(v) as low, max(v) as high, sum(v) as total, \
         count(distinct k) as keys, last_value(k order by v nulls first, k) as top_k \
         from upstream group by region",
        "select u.region, count(*) as n, max(e.latest) as latest from upstream u \
         join (select k, max(t) as latest from events group by k) e on e.k = u.k group by u.region",
        "select k, sum(v) as total from (select k, v from events where k is not null \
         union all select k, v from upstream) both_sides group by k",
    ];
    for (i, sql) in queries.iter().enumerate() {
        follows(sql, 50 + i as u64, STEPS).await;
    }
}

#[tokio::test]
async fn an_aggregate_over_an_aggregate_follows() {
    let sql = "select g, count(*) as keys, sum(n) as total, max(n) as most, min(m) as least \
               from (select g, k, count(*) as n, min(v) as m from events group by g, k) per_key \
               group by g";
    follows(sql, 60, STEPS).await;
}

#[tokio::test]
async fn the_top_is_computed_again_over_the_frontier() {
    // A window and an ordering above an aggregate: the top.
    let sql = "select g, n, rank() over (order by n desc) as place, \
               sum(n) over () as everything from \
               (select g, count(*) as n from events group by g) counted";
    follows(sql, 70, STEPS).await;
    let flow = dataflow(&session_with_world(71).await, sql).await.unwrap();
    assert_eq!(flow.frontiers(), 1);
    assert_eq!(flow.takes().iter().collect::<Vec<_>>(), ["events"]);
}

async fn session_with_world(seed: u64) -> SessionContext {
    let ctx = session();
    let mut world = World::new(seed);
    let _ = world.change(10);
    world.register(&ctx);
    ctx
}

#[tokio::test]
async fn what_cannot_be_kept_says_why() {
    let ctx = session_with_world(80).await;
    let cases = [
        ("select * from events where v > 1", "events"),
        (
            "select a.k, count(*) from events a join events b on a.k = b.k group by a.k",
            "a join of the rows of events",
        ),
        (
            "select k, v, row_number() over (partition by k order by t) from events",
            "Window",
        ),
        (
            "select k, max(t) from events where t < random() group by k",
            "random()",
        ),
        ("select k, median(v) from events group by k", "median"),
        (
            "select e.k, count(*) from events e cross join people p group by e.k",
            "events",
        ),
    ];
    for (sql, reason) in cases {
        match dataflow(&ctx, sql).await {
            Ok(flow) => panic!("{sql}: kept ({flow:?})"),
            Err(why) => assert!(why.contains(reason), "{sql}: {why}"),
        }
    }
}

/// One event of key `k`, group `g` at time `t` with value `v`.
fn ev(k: &str, g: &str, t: i64, v: Option<f64>) -> Event {
    Event {
        k: Some(k.into()),
        g: Some(g.into()),
        t,
        v,
        n: Some(1),
        s: None,
    }
}

#[tokio::test]
async fn a_small_case_by_hand() {
    // people: k1 north, k2 south, k3 north. Events: k1 scores 2.0 at t=1 then 4.0 and a
    // null at t=3 (the latest is 4.0, the best non-null at the latest time); k2 scores
    // 3.0 at t=2. Per region, the mean latest score and how many have one:
    // north: k1 4.0, k3 none -> 2 people, 1 scored, mean 4.0; south: k2 3.0.
    let ctx = session();
    let mut world = World::new(0);
    world.people = vec![
        Person {
            k: "k1".into(),
            region: Some("north".into()),
            v: None,
        },
        Person {
            k: "k2".into(),
            region: Some("south".into()),
            v: None,
        },
        Person {
            k: "k3".into(),
            region: Some("north".into()),
            v: None,
        },
    ];
    world.events = vec![
        ev("k1", "a", 1, Some(2.0)),
        ev("k1", "a", 3, Some(4.0)),
        ev("k1", "a", 3, None),
        ev("k2", "a", 2, Some(3.0)),
    ];
    world.register(&ctx);
    let sql = "select p.region, count(*) as people, count(l.score) as scored, avg(l.score) as mean \
               from people p left join \
               (select k, last_value(v order by t, v nulls first) as score from events group by k) l \
               on l.k = p.k group by p.region";
    let mut flow = dataflow(&ctx, sql).await.unwrap();
    let got = rows(&flow.rebuild(&ctx).await.unwrap());
    assert_eq!(
        got,
        ["north | 2 | 1 | 4.000000", "south | 1 | 1 | 3.000000"]
    );

    // Then k3 scores 1.0 at t=5 and k1 0.5 at t=4: north's latest are 0.5 and 1.0, mean
    // 0.75; k2 moves to a new version of itself in the east (an entity appended: both
    // versions are rows of people, so k2 counts in south and east).
    let new_events = vec![ev("k3", "b", 5, Some(1.0)), ev("k1", "b", 4, Some(0.5))];
    let new_people = vec![Person {
        k: "k2".into(),
        region: Some("east".into()),
        v: None,
    }];
    world.events.extend(new_events.clone());
    world.people.extend(new_people.clone());
    world.register(&ctx);
    let changes = Changes::from([
        (
            "events".to_string(),
            vec![Delta::inserts(events_batch(&new_events))],
        ),
        (
            "people".to_string(),
            vec![Delta::inserts(people_batch(&new_people))],
        ),
    ]);
    let got = rows(&flow.apply(&ctx, &changes).await.unwrap());
    assert_eq!(
        got,
        [
            "east | 1 | 1 | 3.000000",
            "north | 2 | 2 | 0.750000",
            "south | 1 | 1 | 3.000000",
        ]
    );
}

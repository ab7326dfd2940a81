//! The HTTP API on a real server over the shared city.

use serde_json::Value;
use skillbrain::{Server, get};

use crate::city::{BIN, shared};
use crate::models::expected_stock;

fn server() -> Server {
    let args = shared().global_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(BIN, &refs)
}

#[test]
fn models_are_listed_and_served_with_filters_paging_and_formats() {
    let s = server();
    let (status, _, body) = get(&format!("{}/healthz", s.base), &[]);
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = get(&format!("{}/readyz", s.base), &[]);
    assert_eq!(status, 200);

    let (status, _, body) = get(&format!("{}/v1/models", s.base), &[]);
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    let stock = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "talent_stock")
        .expect("talent_stock is listed");
    let names: Vec<&str> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"stg_assessment_results"),
        "a view model is neither stored nor served: {names:?}"
    );
    let expected = expected_stock();
    assert_eq!(stock["rows"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(
        stock["grain"],
        serde_json::json!(["region_code", "occupation_code", "ladder_order"])
    );

    // Filter on a grain column: exactly the rows of 乐清市.
    let want: Vec<_> = expected.keys().filter(|k| k.0 == "330382").collect();
    let (status, _, body) = get(
        &format!(
            "{}/v1/models/talent_stock?region_code=330382&limit=100000",
            s.base
        ),
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), want.len());
    assert_eq!(page["total"].as_u64().unwrap() as usize, want.len());
    assert!(rows.iter().all(|r| r["region_code"] == "330382"));
    for r in rows {
        let key = (
            "330382".to_string(),
            r["occupation_code"].as_str().unwrap().to_string(),
            r["ladder_order"].as_i64().unwrap(),
        );
        assert_eq!(r["workers"].as_i64().unwrap(), expected[&key].0, "{key:?}");
    }

    // Paging: two pages of 3 are the first 6 rows in the same order.
    let url = |q: &str| format!("{}/v1/models/talent_stock?{q}", s.base);
    let rows_of = |q: &str| -> Vec<Value> {
        let (st, _, b) = get(&url(q), &[]);
        assert_eq!(st, 200, "{b}");
        serde_json::from_str::<Value>(&b).unwrap()["rows"]
            .as_array()
            .unwrap()
            .clone()
    };
    let six = rows_of("limit=6&order_by=-workers");
    let mut two_pages = rows_of("limit=3&offset=0&order_by=-workers");
    two_pages.extend(rows_of("limit=3&offset=3&order_by=-workers"));
    assert_eq!(six, two_pages);
    let max_workers = expected.values().map(|v| v.0).max().unwrap();
    assert_eq!(six[0]["workers"].as_i64().unwrap(), max_workers);

    // CSV: a header and one line per row.
    let (status, headers, body) = get(&url("region_code=330382&format=csv&limit=100000"), &[]);
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(body.lines().count(), want.len() + 1);
    assert!(body.lines().next().unwrap().contains("region_code"));
}

#[test]
fn etag_and_if_none_match_give_304_and_errors_are_json() {
    let s = server();
    let url = format!("{}/v1/models/talent_gap?limit=5", s.base);
    let (status, headers, _) = get(&url, &[]);
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, headers, body) = get(&url, &[("If-None-Match", &etag)]);
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let (status, _, _) = get(&url, &[("If-None-Match", "\"stale\"")]);
    assert_eq!(status, 200);

    let (status, _, body) = get(&format!("{}/v1/models/payroll", s.base), &[]);
    assert_eq!(status, 404);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert!(err["error"]["code"].is_string() && err["error"]["message"].is_string());

    // Filters only on grain columns; input never becomes SQL.
    let (status, _, body) = get(
        &format!(
            "{}/v1/models/talent_gap?openings=1%3Bdrop%20table%20x",
            s.base
        ),
        &[],
    );
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get(
        &format!(
            "{}/v1/models/talent_gap?region_code=x%27%20or%201%3D1--",
            s.base
        ),
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 0);

    let (status, _, body) = get(&format!("{}/metrics", s.base), &[]);
    assert_eq!(status, 200);
    assert!(body.contains("http_requests"), "{body}");
}

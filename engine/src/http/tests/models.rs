//! `GET /v1/models` and `GET /v1/models/{name}`.

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::ipc::reader::StreamReader;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{bytes, get_json, key, keys, send, talent_stock, test_app};

#[tokio::test]
async fn list_describes_every_model() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/v1/models").await;
    assert_eq!(status, StatusCode::OK);
    let model = &body["models"][0];
    assert_eq!(body["models"].as_array().unwrap().len(), 1);
    assert_eq!(model["name"], "talent_stock");
    assert_eq!(
        model["grain"],
        json!(["region_code", "occupation_code", "ladder_order"])
    );
    assert_eq!(
        model["columns"][2],
        json!({ "name": "ladder_order", "type": "Int32" })
    );
    assert_eq!(model["columns"].as_array().unwrap().len(), 6);
    assert_eq!(model["version"], 7);
    assert_eq!(model["refreshed_at"], "2026-11-02T08:30:00Z");
    assert_eq!(model["rows"], 5);
}

#[tokio::test]
async fn rows_default_to_grain_order_with_explicit_nulls_and_rfc3339_times() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/v1/models/talent_stock").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            &body["name"],
            &body["version"],
            &body["total"],
            &body["offset"],
            &body["limit"]
        ),
        (
            &json!("talent_stock"),
            &json!(7),
            &json!(5),
            &json!(0),
            &json!(1000)
        )
    );
    let first = json!({
        "region_code": "330302", "occupation_code": "6-18-02-04", "ladder_order": 5,
        "workers": null, "high_skill_share": null, "as_of": "2026-11-01T00:00:00Z"
    });
    assert_eq!(body["rows"][0], first);
    assert_eq!(body["rows"][1]["high_skill_share"], 1.0);
    assert_eq!(
        keys(&body),
        [
            key("330302", "6-18-02-04", 5, None),
            key("330302", "6-31-01-03", 1, Some(20)),
            key("330382", "6-18-02-04", 3, Some(7)),
            key("330382", "6-31-01-03", 2, Some(4)),
            key("330382", "6-31-01-03", 3, Some(12)),
        ]
    );
}

#[tokio::test]
async fn filters_on_grain_columns_keep_only_matching_rows() {
    let (_, app) = test_app();
    let (status, body) = get_json(
        &app,
        "/v1/models/talent_stock?region_code=330382&ladder_order=3",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 2);
    assert_eq!(
        keys(&body),
        [
            key("330382", "6-18-02-04", 3, Some(7)),
            key("330382", "6-31-01-03", 3, Some(12))
        ]
    );

    let (_, none) = get_json(&app, "/v1/models/talent_stock?occupation_code=9-99-99-99").await;
    assert_eq!((&none["total"], &none["rows"]), (&json!(0), &json!([])));
}

#[tokio::test]
async fn limit_offset_and_order_by_page_through_rows() {
    let (_, app) = test_app();
    // Descending puts nulls first: [null, 20, 12, 7, 4].
    let (_, body) = get_json(
        &app,
        "/v1/models/talent_stock?order_by=-workers&limit=2&offset=1",
    )
    .await;
    assert_eq!(
        (&body["total"], &body["offset"], &body["limit"]),
        (&json!(5), &json!(1), &json!(2))
    );
    assert_eq!(
        keys(&body),
        [
            key("330302", "6-31-01-03", 1, Some(20)),
            key("330382", "6-31-01-03", 3, Some(12))
        ]
    );

    // Ascending puts nulls last; ties would fall back to the grain order.
    let (_, body) = get_json(&app, "/v1/models/talent_stock?order_by=workers&offset=3").await;
    assert_eq!(
        keys(&body),
        [
            key("330302", "6-31-01-03", 1, Some(20)),
            key("330302", "6-18-02-04", 5, None)
        ]
    );

    let (_, body) = get_json(&app, "/v1/models/talent_stock?offset=10").await;
    assert_eq!((&body["total"], &body["rows"]), (&json!(5), &json!([])));
}

#[tokio::test]
async fn unknown_parameter_is_a_bad_request_listing_the_grain() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/v1/models/talent_stock?workers=12").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("`workers`"), "{message}");
    assert!(
        message.contains("region_code, occupation_code, ladder_order"),
        "{message}"
    );

    for uri in [
        "limit=100001",
        "limit=-1",
        "offset=x",
        "order_by=-nope",
        "format=xml",
        "limit=1&limit=2",
    ] {
        let (status, body) = get_json(&app, &format!("/v1/models/talent_stock?{uri}")).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!("bad_request")),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn unknown_model_and_route_are_json_404s_and_a_wrong_method_a_json_405() {
    let (_, app) = test_app();
    let (status, body) = get_json(&app, "/v1/models/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({ "error": { "code": "not_found", "message": "no model named `nope`" } })
    );

    let (status, body) = get_json(&app, "/v2/anything").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );

    let request = Request::delete("/v1/models/talent_stock")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = serde_json::from_slice(&bytes(response).await).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn csv_format_has_a_header_and_empty_nulls() {
    let (_, app) = test_app();
    let response = send(
        &app,
        "/v1/models/talent_stock?format=csv&region_code=330302",
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let text = String::from_utf8(bytes(response).await.to_vec()).unwrap();
    assert_eq!(
        text,
        "region_code,occupation_code,ladder_order,workers,high_skill_share,as_of\n\
         330302,6-18-02-04,5,,,2026-11-01T00:00:00Z\n\
         330302,6-31-01-03,1,20,1.0,2026-11-01T00:00:00Z\n"
    );
}

#[tokio::test]
async fn arrow_format_decodes_to_the_same_rows() {
    let (_, app) = test_app();
    let response = send(&app, "/v1/models/talent_stock?format=arrow&limit=3", None).await;
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/vnd.apache.arrow.stream"
    );
    let body = bytes(response).await;
    let reader = StreamReader::try_new(std::io::Cursor::new(body), None).unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let decoded = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();

    let (_, json_body) = get_json(&app, "/v1/models/talent_stock?limit=3").await;
    assert_eq!(decoded.schema(), talent_stock().schema);
    assert_eq!(decoded.num_rows(), 3);
    let workers = decoded
        .column(3)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    let regions = decoded
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    for (i, (region, _, _, expected)) in keys(&json_body).into_iter().enumerate() {
        assert_eq!(regions.value(i), region);
        assert_eq!(workers.iter().nth(i).unwrap(), expected);
    }
}

#[tokio::test]
async fn etag_is_answered_and_if_none_match_gives_an_empty_304() {
    let (_, app) = test_app();
    let response = send(&app, "/v1/models/talent_stock", None).await;
    assert_eq!(response.headers()[header::ETAG], "\"talent_stock@7\"");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");

    for tag in [
        "\"talent_stock@7\"",
        "\"other@1\", W/\"talent_stock@7\"",
        "*",
    ] {
        let response = send(&app, "/v1/models/talent_stock?format=csv", Some(tag)).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(response.headers()[header::ETAG], "\"talent_stock@7\"");
        assert!(bytes(response).await.is_empty());
    }
    let stale = send(&app, "/v1/models/talent_stock", Some("\"talent_stock@6\"")).await;
    assert_eq!(stale.status(), StatusCode::OK);
}

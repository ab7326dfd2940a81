//! `GET /openapi.json`: the OpenAPI 3.1 description of the API, written by hand.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use skillbrain_connectors::Table;

use super::AppState;
use super::models::{DEFAULT_LIMIT, MAX_LIMIT};

/// The `/openapi.json` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

/// The `If-None-Match` request header of the routes answering an ETag.
fn if_none_match() -> Value {
    json!({ "name": "If-None-Match", "in": "header", "required": false,
            "description": "an ETag from an earlier answer, a list of them, or `*`",
            "schema": { "type": "string" } })
}

/// `GET /v1/workers/{worker_id}/profile`.
fn profile_path(etag: &Value) -> Value {
    json!({ "get": {
        "summary": "A worker's ability profile (能力画像)",
        "description": "From the materialised model `ability_profile`: each ability dimension's score beside the occupation's and the region's median, the percentile, the rank, whether it is among the weakest, and a suggested course. Dimensions are ordered by rank.",
        "parameters": [
            { "name": "worker_id", "in": "path", "required": true, "schema": { "type": "string" } },
            if_none_match()
        ],
        "responses": {
            "200": {
                "description": "the profile",
                "headers": { "ETag": etag },
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AbilityProfile" } } }
            },
            "304": { "description": "`ability_profile` has not changed since the ETag given", "headers": { "ETag": etag } },
            "404": error_response("the model has no row for this worker (`not_found`)"),
            "503": error_response("`ability_profile` is not materialised yet (`not_ready`)")
        }
    }})
}

/// The schema of a profile.
fn ability_profile() -> Value {
    let number = json!({ "type": ["number", "null"] });
    let text = json!({ "type": ["string", "null"] });
    json!({
        "type": "object",
        "required": ["worker_id", "occupation_code", "region_code", "dimensions", "weakest"],
        "properties": {
            "worker_id": { "type": "string" },
            "occupation_code": text,
            "region_code": text,
            "dimensions": { "type": "array", "items": {
                "type": "object",
                "required": ["dimension_code", "dimension_name", "score", "occupation_median",
                    "region_median", "percentile", "rank", "weakest", "suggested_course"],
                "properties": {
                    "dimension_code": { "type": "string" },
                    "dimension_name": text,
                    "score": number,
                    "occupation_median": number,
                    "region_median": number,
                    "percentile": number,
                    "rank": { "type": ["integer", "null"], "description": "the model's `dimension_rank`: 1 for the weakest dimension; null when unscored (those come last)" },
                    "weakest": { "type": "boolean" },
                    "suggested_course": {
                        "oneOf": [
                            { "type": "null" },
                            { "type": "object", "required": ["id", "name"],
                              "properties": { "id": { "type": "string" }, "name": text } }
                        ]
                    }
                }
            }},
            "weakest": { "type": "array", "items": { "type": "string" }, "description": "the weakest dimensions' codes, by rank" }
        }
    })
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let etag = json!({ "description": "`\"<name>@<version>\"`", "schema": { "type": "string" } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "skillbrain",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Skill analytics of a city's industrial workers: the materialised SQL models as rows, workers' ability profiles, and the ingest of pushed rows."
        },
        "paths": {
            "/healthz": { "get": {
                "summary": "The process is alive",
                "responses": { "200": { "description": "`{\"status\":\"ok\"}`" } }
            }},
            "/readyz": { "get": {
                "summary": "The engine has loaded its models and takes traffic",
                "responses": {
                    "200": { "description": "ready" },
                    "503": error_response("not ready yet (`not_ready`)")
                }
            }},
            "/metrics": { "get": {
                "summary": "Prometheus metrics",
                "responses": { "200": {
                    "description": "Prometheus text exposition format 0.0.4",
                    "content": { "text/plain": { "schema": { "type": "string" } } }
                }}
            }},
            "/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1" } }
            }},
            "/v1/models": { "get": {
                "summary": "Every served model",
                "responses": { "200": {
                    "description": "the models",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ModelList" } } }
                }}
            }},
            "/v1/models/{name}": { "get": {
                "summary": "A model's rows",
                "description": "Filters are `column=value` on the model's grain columns only (equality against the value rendered as text). Rows are ordered by `order_by`, then by the grain columns ascending, so paging is stable.",
                "parameters": [
                    { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } },
                    query_param("limit", "rows to answer at most",
                        json!({ "type": "integer", "minimum": 0, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT })),
                    query_param("offset", "matching rows to skip",
                        json!({ "type": "integer", "minimum": 0, "default": 0 })),
                    query_param("order_by", "a column name; `-column` for descending",
                        json!({ "type": "string" })),
                    query_param("format", "the response encoding",
                        json!({ "type": "string", "enum": ["json", "csv", "arrow"], "default": "json" })),
                    { "name": "filters", "in": "query", "required": false, "style": "form", "explode": true,
                      "description": "`column=value` for any grain column; any other parameter is a 400",
                      "schema": { "type": "object", "additionalProperties": { "type": "string" } } },
                    if_none_match()
                ],
                "responses": {
                    "200": {
                        "description": "the rows",
                        "headers": {
                            "ETag": etag,
                            "X-Total-Count": { "description": "rows matching the filters", "schema": { "type": "integer" } }
                        },
                        "content": {
                            "application/json": { "schema": { "$ref": "#/components/schemas/Rows" } },
                            "text/csv": { "schema": { "type": "string" } },
                            "application/vnd.apache.arrow.stream": { "schema": { "type": "string", "contentEncoding": "binary" } }
                        }
                    },
                    "304": { "description": "not modified since the ETag given", "headers": { "ETag": etag } },
                    "400": error_response("an unknown parameter or a bad value (`bad_request`)"),
                    "404": error_response("no such model (`not_found`)")
                }
            }},
            "/v1/workers/{worker_id}/profile": profile_path(&etag),
            "/v1/competitions/{id}/leaderboard": { "get": {
                "summary": "The live ranking of a competition, merged across venues",
                "description": "Held in memory and updated from each commit of competition scores (no SQL per request): per contestant the columns of the competition_results model, ordered by overall_rank then contestant_id. event_id counts the competition's score rows applied; it is the ETag.",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                    if_none_match()
                ],
                "responses": {
                    "200": { "description": "the leaderboard", "headers": { "ETag": etag.clone() },
                             "content": { "application/json": { "schema": { "type": "object" } } } },
                    "304": { "description": "unchanged since the ETag sent" },
                    "404": error_response("no score has arrived for this competition (`not_found`)"),
                    "503": error_response("this server runs without live leaderboards (`not_ready`)")
                }
            }},
            "/v1/competitions/{id}/stream": { "get": {
                "summary": "Server-Sent Events of the leaderboard's changes",
                "description": "Each event has an id (the competition's event_id). Without Last-Event-ID the stream starts with `event: snapshot` (the whole leaderboard); with it, with exactly the events after that id, or a snapshot (reason not_in_log) when they are no longer held. Then one `event: change` per commit: the entries that changed. A comment every 15 s keeps it open; a competition without scores yet starts when its first arrive.",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "Last-Event-ID", "in": "header", "required": false, "schema": { "type": "string" } }
                ],
                "responses": {
                    "200": { "description": "the event stream", "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                    "503": error_response("this server runs without live leaderboards (`not_ready`)")
                }
            }},
            "/v1/ingest/{table}": { "post": {
                "summary": "Push rows of a canonical table",
                "description": "The body holds rows in the table's canonical columns. Each row is checked by the same rules as the file connector; a bad row is reported with its line (for a JSON array: the element's index + 1) and reason, and the good rows are stored, exactly once per idempotency key. The answer comes once the rows are committed; concurrent requests share commits.",
                "parameters": [
                    { "name": "table", "in": "path", "required": true,
                      "schema": { "type": "string", "enum": Table::ALL.map(Table::name) } }
                ],
                "requestBody": { "required": true, "content": {
                    "application/x-ndjson": { "schema": { "type": "string", "description": "one JSON object per line" } },
                    "application/json": { "schema": { "type": "array", "items": { "type": "object" } } },
                    "text/csv": { "schema": { "type": "string", "description": "a header row of column names, then one record per row" } }
                }},
                "responses": {
                    "200": {
                        "description": "the rows are durable (also when every row was rejected or a duplicate)",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/IngestAnswer" } } }
                    },
                    "400": error_response("the body as a whole is unreadable: a bad CSV header, not a JSON array (`bad_request`)"),
                    "404": error_response("no such table (`not_found`)"),
                    "413": error_response("the body is larger than `[ingest] max_body_bytes` (`payload_too_large`)"),
                    "415": error_response("a Content-Type other than NDJSON, JSON or CSV in UTF-8 (`unsupported_media_type`)"),
                    "500": error_response("the commit failed; nothing of the request is stored (`internal`)"),
                    "503": error_response("this server does not ingest (`not_ready`)")
                }
            }}
        },
        "components": { "schemas": {
            "Error": {
                "type": "object", "required": ["error"],
                "properties": { "error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
                }}
            },
            "Model": {
                "type": "object",
                "required": ["name", "description", "grain", "columns", "version", "refreshed_at", "refresh_mode", "rows"],
                "properties": {
                    "name": { "type": "string" },
                    "description": { "type": "string" },
                    "grain": { "type": "array", "items": { "type": "string" } },
                    "columns": { "type": "array", "items": {
                        "type": "object",
                        "properties": { "name": { "type": "string" }, "type": { "type": "string" } }
                    }},
                    "version": { "type": "integer" },
                    "refreshed_at": { "type": "string", "format": "date-time" },
                    "refresh_mode": { "type": "string", "enum": ["full", "incremental"] },
                    "refresh_seconds": { "type": "number", "description": "how long the last refresh took (0 when not known)" },
                    "source_versions": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "the Delta version of each canonical table this version of the model reflects (empty when not known)" },
                    "rows": { "type": "integer" }
                }
            },
            "ModelList": {
                "type": "object", "required": ["models"],
                "properties": { "models": { "type": "array", "items": { "$ref": "#/components/schemas/Model" } } }
            },
            "AbilityProfile": ability_profile(),
            "IngestAnswer": {
                "type": "object", "required": ["accepted", "rejected", "duplicates", "commit"],
                "properties": {
                    "accepted": { "type": "integer", "description": "rows newly stored" },
                    "rejected": { "type": "array", "items": {
                        "type": "object", "required": ["line", "reason"],
                        "properties": {
                            "line": { "type": "integer", "description": "1-based line of the body; for a JSON array the element's index + 1" },
                            "column": { "type": "string", "description": "the column to blame, when one is" },
                            "reason": { "type": "string" }
                        }
                    }},
                    "duplicates": { "type": "integer", "description": "rows whose key was already stored, or repeated" },
                    "commit": { "type": "integer", "description": "the table's Delta version holding the rows" }
                }
            },
            "Rows": {
                "type": "object", "required": ["name", "version", "total", "offset", "limit", "rows"],
                "properties": {
                    "name": { "type": "string" },
                    "version": { "type": "integer" },
                    "total": { "type": "integer", "description": "rows matching the filters" },
                    "offset": { "type": "integer" },
                    "limit": { "type": "integer" },
                    "rows": { "type": "array", "items": { "type": "object" } }
                }
            }
        }}
    })
}

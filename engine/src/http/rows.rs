//! Selecting a page of a model's rows (filter, order, slice) with Arrow kernels, and
//! encoding it as JSON, CSV or an Arrow IPC stream. No SQL is built from the request.

use arrow::array::{BooleanArray, RecordBatch, StringArray};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{
    SortColumn, SortOptions, and, cast, concat_batches, filter_record_batch, lexsort_to_indices,
    take_record_batch,
};
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use arrow::ipc::writer::StreamWriter;
use arrow::json::writer::JsonArray;

use super::error::{ApiError, ApiResult};
use super::models::{Format, RowsQuery};
use crate::store::ModelSnapshot;

/// How timestamps without a time zone are written: the lake stores UTC, so say so.
const NAIVE_UTC: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// The rows a request asked for.
#[derive(Debug)]
pub struct Page {
    /// Rows matching the filters, before `offset` and `limit`.
    pub total: usize,
    /// The ordered rows from `offset`, at most `limit` of them.
    pub batch: RecordBatch,
}

/// Filters, orders and slices `model`'s rows as `query` asks.
pub fn select(model: &ModelSnapshot, query: &RowsQuery) -> ApiResult<Page> {
    let filtered = model
        .batches
        .iter()
        .map(|batch| filter(batch, &query.filters))
        .collect::<Result<Vec<_>, _>>()?;
    let all = match filtered.as_slice() {
        [one] => one.clone(),
        _ => concat_batches(&model.schema, &filtered)?,
    };
    let total = all.num_rows();
    let start = query.offset.min(total);
    let len = query.limit.min(total - start);

    let mut keys = Vec::new();
    if let Some(order) = &query.order_by {
        let options = SortOptions {
            descending: order.descending,
            nulls_first: order.descending,
        };
        keys.push(sort_column(&all, &order.column, options)?);
    }
    let ordered_by = query.order_by.as_ref().map(|o| o.column.as_str());
    for column in model
        .grain
        .iter()
        .filter(|g| Some(g.as_str()) != ordered_by)
    {
        keys.push(sort_column(
            &all,
            column,
            SortOptions {
                descending: false,
                nulls_first: false,
            },
        )?);
    }
    if keys.is_empty() || len == 0 {
        return Ok(Page {
            total,
            batch: all.slice(start, len),
        });
    }
    let indices = lexsort_to_indices(&keys, Some(start + len)).map_err(|e| match ordered_by {
        Some(column) => ApiError::BadRequest(format!("cannot order by `{column}`: {e}")),
        None => ApiError::internal(e),
    })?;
    let batch = take_record_batch(&all, &indices.slice(start, len))?;
    Ok(Page { total, batch })
}

fn sort_column(batch: &RecordBatch, name: &str, options: SortOptions) -> ApiResult<SortColumn> {
    let values = batch
        .column_by_name(name)
        .ok_or_else(|| ApiError::internal(format!("model has no column `{name}`")))?;
    Ok(SortColumn {
        values: values.clone(),
        options: Some(options),
    })
}

/// Keeps the rows whose every filtered column, rendered as text, equals the value.
fn filter(batch: &RecordBatch, filters: &[(String, String)]) -> ApiResult<RecordBatch> {
    let mut mask: Option<BooleanArray> = None;
    for (column, value) in filters {
        let values = batch
            .column_by_name(column)
            .ok_or_else(|| ApiError::internal(format!("grain column `{column}` is missing")))?;
        let text = cast(values, &DataType::Utf8)?;
        let matches = eq(&text, &StringArray::new_scalar(value.as_str()))?;
        mask = Some(match mask {
            Some(previous) => and(&previous, &matches)?,
            None => matches,
        });
    }
    match mask {
        Some(mask) => Ok(filter_record_batch(batch, &mask)?),
        None => Ok(batch.clone()),
    }
}

/// Encodes `page` in the requested format: the content type and the body.
pub fn encode(
    model: &ModelSnapshot,
    query: &RowsQuery,
    page: &Page,
) -> ApiResult<(&'static str, Vec<u8>)> {
    match query.format {
        Format::Json => Ok(("application/json", json(model, query, page)?)),
        Format::Csv => Ok(("text/csv; charset=utf-8", csv(&page.batch)?)),
        Format::Arrow => Ok(("application/vnd.apache.arrow.stream", ipc(&page.batch)?)),
    }
}

/// `{"name","version","total","offset","limit","rows":[{column: value, …}]}`.
fn json(model: &ModelSnapshot, query: &RowsQuery, page: &Page) -> Result<Vec<u8>, ApiError> {
    let mut writer = arrow::json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .with_timestamp_format(NAIVE_UTC.to_owned())
        .build::<_, JsonArray>(Vec::new());
    writer.write(&page.batch)?;
    writer.finish()?;
    let rows = writer.into_inner();

    let name = serde_json::to_string(&model.name).map_err(ApiError::internal)?;
    let head = format!(
        r#"{{"name":{name},"version":{},"total":{},"offset":{},"limit":{},"rows":"#,
        model.version, page.total, query.offset, query.limit
    );
    let mut body = Vec::with_capacity(head.len() + rows.len() + 1);
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(&rows);
    body.push(b'}');
    Ok(body)
}

fn csv(batch: &RecordBatch) -> Result<Vec<u8>, ArrowError> {
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .with_timestamp_format(NAIVE_UTC.to_owned())
        .build(Vec::new());
    writer.write(batch)?;
    Ok(writer.into_inner())
}

fn ipc(batch: &RecordBatch) -> Result<Vec<u8>, ArrowError> {
    let mut writer = StreamWriter::try_new(Vec::new(), &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    writer.into_inner()
}

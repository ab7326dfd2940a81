//! The text forms of Arrow cells in the CSV and NDJSON outputs: RFC 3339 UTC timestamps
//! with microseconds, `true`/`false`, floats as Rust prints them (CSV) or as JSON numbers.

use arrow::array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;

use super::time::write_rfc3339;

/// Appends the CSV text of a non-null cell.
pub(crate) fn cell_text(array: &dyn Array, row: usize, out: &mut String) {
    use std::fmt::Write as _;
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        out.push_str(a.value(row));
    } else if let Some(a) = any.downcast_ref::<Int32Array>() {
        let _ = write!(out, "{}", a.value(row));
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        let _ = write!(out, "{}", a.value(row));
    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
        let _ = write!(out, "{}", a.value(row));
    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
        out.push_str(if a.value(row) { "true" } else { "false" });
    } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        write_rfc3339(a.value(row), out);
    }
}

/// Appends one NDJSON line (with its newline) for a row of the batch.
pub(crate) fn json_line(batch: &RecordBatch, row: usize, out: &mut String) {
    use std::fmt::Write as _;
    out.push('{');
    for (i, (field, array)) in batch
        .schema_ref()
        .fields()
        .iter()
        .zip(batch.columns())
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        push_json_str(field.name(), out);
        out.push(':');
        let any = array.as_any();
        if array.is_null(row) {
            out.push_str("null");
        } else if let Some(a) = any.downcast_ref::<StringArray>() {
            push_json_str(a.value(row), out);
        } else if let Some(a) = any.downcast_ref::<Float64Array>() {
            let v = a.value(row);
            match serde_json::Number::from_f64(v) {
                Some(n) => {
                    let _ = write!(out, "{n}");
                }
                None => out.push_str("null"),
            }
        } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
            out.push('"');
            write_rfc3339(a.value(row), out);
            out.push('"');
        } else {
            cell_text(array.as_ref(), row, out);
        }
    }
    out.push_str("}\n");
}

/// Appends `s` as a JSON string literal.
fn push_json_str(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

//! Rows as bytes: the keys and rows the operators keep, in Arrow's row format, which
//! compares and hashes like the values (and, with sort options, orders like them).

use std::sync::Arc;

use arrow::array::{ArrayRef, new_null_array};
use arrow::compute::{SortOptions, cast};
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, RowParser, Rows, SortField};
use datafusion::error::Result;

/// Encodes columns of fixed types into rows of bytes and decodes them again.
#[derive(Debug)]
pub struct Codec {
    types: Vec<DataType>,
    converter: RowConverter,
    parser: RowParser,
    /// The row of all nulls.
    null_row: Box<[u8]>,
}

impl Codec {
    /// A codec of columns of `types`, ordered ascending with nulls first.
    pub fn new(types: &[DataType]) -> Result<Codec> {
        Codec::ordered(
            &types
                .iter()
                .map(|t| (t.clone(), SortOptions::default()))
                .collect::<Vec<_>>(),
        )
    }

    /// A codec whose rows order as the columns do under their sort options.
    pub fn ordered(columns: &[(DataType, SortOptions)]) -> Result<Codec> {
        let types: Vec<DataType> = columns.iter().map(|(t, _)| t.clone()).collect();
        let fields = (columns.iter())
            .map(|(t, o)| SortField::new_with_options(t.clone(), *o))
            .collect();
        let converter = RowConverter::new(fields)?;
        let parser = converter.parser();
        let nulls: Vec<ArrayRef> = types.iter().map(|t| new_null_array(t, 1)).collect();
        let null_row = if nulls.is_empty() {
            Box::default()
        } else {
            converter.convert_columns(&nulls)?.row(0).data().into()
        };
        Ok(Codec {
            types,
            converter,
            parser,
            null_row,
        })
    }

    /// The column types.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// The rows of `columns` (cast to the codec's types where they differ). With no
    /// columns, `rows` empty rows.
    pub fn encode(&self, columns: &[ArrayRef], rows: usize) -> Result<Encoded> {
        if self.types.is_empty() {
            return Ok(Encoded::Empty(rows));
        }
        let cast_columns = (columns.iter().zip(&self.types))
            .map(|(c, t)| {
                if c.data_type() == t {
                    Ok(Arc::clone(c))
                } else {
                    cast(c, t)
                }
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Encoded::Rows(
            self.converter.convert_columns(&cast_columns)?,
        ))
    }

    /// The columns of `rows` (each as [`Codec::encode`] made it).
    pub fn decode<'a>(&self, rows: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<ArrayRef>> {
        if self.types.is_empty() {
            return Ok(Vec::new());
        }
        let parsed = rows.into_iter().map(|bytes| self.parser.parse(bytes));
        Ok(self.converter.convert_rows(parsed)?)
    }

    /// The row whose every column is null.
    pub fn null_row(&self) -> &[u8] {
        &self.null_row
    }
}

/// Rows made by [`Codec::encode`].
pub enum Encoded {
    /// Rows of bytes.
    Rows(Rows),
    /// This many rows of no column.
    Empty(usize),
}

impl Encoded {
    /// The bytes of row `i`.
    pub fn row(&self, i: usize) -> &[u8] {
        match self {
            Encoded::Rows(rows) => rows.row(i).data(),
            Encoded::Empty(_) => &[],
        }
    }
}

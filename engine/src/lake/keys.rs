//! Idempotency keys: a 128-bit hash of a row's key columns, and the set of keys a table
//! already holds, so that a record landed twice is stored once.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimestampMicrosecondType};
use xxhash_rust::xxh3::Xxh3;

use crate::error::{Error, Result};

/// A set of key hashes. The keys are already xxh3-128 hashes, so the set does not hash
/// them again: it folds each to 64 bits ([`KeyHasher`]), which is far cheaper than the
/// default SipHash over tens of millions of keys.
pub type Keys = HashSet<u128, BuildHasherDefault<KeyHasher>>;

/// Folds a 128-bit key hash to the 64 bits a hash table needs.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used for keys; anything else is mixed in plainly.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(word)).rotate_left(29);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = (key as u64) ^ ((key >> 64) as u64);
    }
}

/// The key hashes of one table.
#[derive(Debug, Default)]
pub struct KeySet {
    seen: Keys,
}

impl KeySet {
    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Adds every key of `batch` (used when loading what the lake already holds).
    pub fn extend_from(&mut self, batch: &RecordBatch, key_columns: &[&str]) -> Result<()> {
        let hashes = row_hashes(batch, key_columns)?;
        self.seen.reserve(hashes.len());
        self.seen.extend(hashes);
        Ok(())
    }

    /// Marks each row of `batch` new (true) or a duplicate (false) of a stored key or of
    /// an earlier row in the same call; returns the mask and the new keys, which the
    /// caller adds with [`KeySet::commit`] once they are durable.
    pub fn classify(
        &self,
        batch: &RecordBatch,
        key_columns: &[&str],
        pending: &mut Keys,
    ) -> Result<BooleanArray> {
        let hashes = row_hashes(batch, key_columns)?;
        let mask: BooleanArray = hashes
            .into_iter()
            .map(|h| Some(!self.seen.contains(&h) && pending.insert(h)))
            .collect();
        Ok(mask)
    }

    /// Adds keys that are now stored. When nothing is held yet (a first load), the new
    /// keys become the set as they are, without being inserted again.
    pub fn commit(&mut self, keys: Keys) {
        if self.seen.is_empty() {
            self.seen = keys;
        } else {
            self.seen.reserve(keys.len());
            self.seen.extend(keys);
        }
    }
}

/// The 128-bit hash of each row's key columns.
pub fn row_hashes(batch: &RecordBatch, key_columns: &[&str]) -> Result<Vec<u128>> {
    let columns: Vec<&ArrayRef> = key_columns
        .iter()
        .map(|name| {
            batch
                .column_by_name(name)
                .ok_or_else(|| Error::NotFound(format!("key column {name}")))
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(batch.num_rows());
    let mut hasher = Xxh3::new();
    for row in 0..batch.num_rows() {
        hasher.reset();
        for col in &columns {
            hash_value(&mut hasher, col, row)?;
        }
        out.push(hasher.digest128());
    }
    Ok(out)
}

fn hash_value(hasher: &mut Xxh3, col: &ArrayRef, row: usize) -> Result<()> {
    if col.is_null(row) {
        hasher.update(&[0]);
        return Ok(());
    }
    match col.data_type() {
        DataType::Utf8 => {
            let s = col.as_string::<i32>().value(row);
            hasher.update(&[1]);
            hasher.update(&(s.len() as u64).to_le_bytes());
            hasher.update(s.as_bytes());
        }
        DataType::Utf8View => {
            let s = col.as_string_view().value(row);
            hasher.update(&[1]);
            hasher.update(&(s.len() as u64).to_le_bytes());
            hasher.update(s.as_bytes());
        }
        DataType::Timestamp(_, _) => {
            let v = col.as_primitive::<TimestampMicrosecondType>().value(row);
            hasher.update(&[2]);
            hasher.update(&v.to_le_bytes());
        }
        DataType::Int64 => {
            hasher.update(&[3]);
            hasher.update(&col.as_primitive::<Int64Type>().value(row).to_le_bytes());
        }
        DataType::Int32 => {
            hasher.update(&[4]);
            hasher.update(&col.as_primitive::<Int32Type>().value(row).to_le_bytes());
        }
        other => {
            return Err(Error::Config(format!(
                "key column of type {other} is not supported"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn batch(ids: &[&str], ts: &[i64]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new(
                "t",
                DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(ids.to_vec())),
                Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC")),
            ],
        )
        .unwrap()
    }

    #[test]
    fn duplicates_within_a_batch_and_against_stored_keys_are_found() {
        let mut set = KeySet::default();
        set.extend_from(&batch(&["a"], &[1]), &["id", "t"]).unwrap();
        let mut pending = Keys::default();
        let mask = set
            .classify(
                &batch(&["a", "a", "b", "b", "c"], &[1, 2, 5, 5, 1]),
                &["id", "t"],
                &mut pending,
            )
            .unwrap();
        let got: Vec<bool> = mask.iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, vec![false, true, true, false, true]);
        set.commit(pending);
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn adjacent_strings_do_not_collide() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Utf8, false),
            Field::new("b", DataType::Utf8, false),
        ]);
        let b = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec!["ab", "a"])),
                Arc::new(StringArray::from(vec!["c", "bc"])),
            ],
        )
        .unwrap();
        let h = row_hashes(&b, &["a", "b"]).unwrap();
        assert_ne!(h[0], h[1]);
    }
}

//! A mapping bound to the headers of one file: which field feeds which target.

use super::format::Mapping;
use super::target::Target;
use crate::error::{Error, Result};

/// What one field of a raw record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A mapped column.
    Column(Target),
    /// A dimension score, the index into [`BoundMapping::dimension_codes`].
    Dimension(usize),
    /// A header under `ignore`.
    Ignored,
}

/// A [`Mapping`] matched to the headers of one file, by [`Mapping::bind`].
#[derive(Debug, Clone)]
pub struct BoundMapping {
    pub(crate) mapping: Mapping,
    /// The file's headers.
    pub(crate) headers: Vec<String>,
    /// The role of each field, by position.
    pub(crate) roles: Vec<Role>,
    /// Each target's field, by [`Target::index`].
    pub(crate) fields: [Option<usize>; Target::COUNT],
    /// The dimension codes, in the order their columns appear in the file.
    pub(crate) dimension_codes: Vec<String>,
    /// Optional columns of the mapping that the file lacks.
    absent: Vec<String>,
}

impl Mapping {
    /// Matches the mapping to a file's headers (trimmed; names must then match
    /// exactly). Every mapped column must be present unless listed under `optional`;
    /// every header must be mapped or listed under `ignore`. The error lists all the
    /// missing and unmapped headers at once.
    pub fn bind(&self, headers: &[String]) -> Result<BoundMapping> {
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        let mut roles = Vec::with_capacity(headers.len());
        let mut fields = [None; Target::COUNT];
        let mut dimension_codes = Vec::new();
        let mut unmapped = Vec::new();
        let mut duplicated = false;
        for (i, header) in headers.iter().enumerate() {
            let role = if let Some(&target) = self.columns.get(header) {
                duplicated |= fields[target.index()].replace(i).is_some();
                Role::Column(target)
            } else if let Some(code) = self.dimensions.get(header) {
                duplicated |= dimension_codes.contains(code);
                dimension_codes.push(code.clone());
                Role::Dimension(dimension_codes.len() - 1)
            } else if self.ignore.contains(header) {
                Role::Ignored
            } else {
                unmapped.push(header.clone());
                Role::Ignored
            };
            roles.push(role);
        }
        let present = |h: &String| headers.contains(h);
        let sources = self.columns.keys().chain(self.dimensions.keys());
        let (missing, absent): (Vec<String>, Vec<String>) = sources
            .filter(|h| !present(h))
            .cloned()
            .partition(|h| !self.optional.contains(h));
        if !missing.is_empty() || !unmapped.is_empty() {
            return Err(Error::HeaderMismatch {
                file: None,
                mapping: self.name.clone(),
                missing,
                unmapped,
            });
        }
        if duplicated {
            return Err(Error::BadMapping {
                mapping: self.name.clone(),
                reason: "the file names a mapped column twice".into(),
            });
        }
        Ok(BoundMapping {
            mapping: self.clone(),
            headers,
            roles,
            fields,
            dimension_codes,
            absent,
        })
    }
}

impl BoundMapping {
    /// The mapping bound.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The file's headers, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The optional source columns the file does not have.
    pub fn absent(&self) -> &[String] {
        &self.absent
    }

    /// The field of the file that feeds `target`, if the file has one.
    pub(crate) fn field(&self, target: Target) -> Option<usize> {
        self.fields[target.index()]
    }

    /// The header to name in a rejection about `target`: its column in the file, or
    /// the source the mapping names for it, or the canonical name.
    pub(crate) fn label(&self, target: Target) -> (Option<usize>, String) {
        if let Some(i) = self.field(target) {
            return (Some(i), self.headers[i].clone());
        }
        let label = match self.mapping.source_of(target) {
            Some(header) => header.to_owned(),
            None => target.name().to_owned(),
        };
        (None, label)
    }
}

//! Personal identifiers, handled so that they never reach storage: national ID numbers
//! (身份证号) are validated and turned into pseudonymous worker IDs, and names are masked.
//!
//! A national ID is only ever held in a [`NationalId`], which cannot be printed, displayed
//! or serialised; its `Debug` shows the masked form `330382********1237`, and rejections
//! quote at most that. The worker ID derived from it by [`Pseudonymizer::worker_id`] is a
//! keyed hash: without the secret it can be neither reversed nor recomputed from a guessed
//! number.
//!
//! # Layout
//! - [`NationalId`], [`validate_national_id`] (`national_id.rs`): GB 11643-1999 numbers.
//! - [`Pseudonymizer`] (`pseudonym.rs`): national ID → `worker_id` by HMAC-SHA256.
//! - [`mask_name`] (`name.rs`): `张小明` → `张*明`.
//! - [`scrub_national_ids`] (`scrub.rs`): valid ID numbers inside free text masked.

mod name;
mod national_id;
mod pseudonym;
mod scrub;
#[cfg(test)]
mod tests;

pub use name::mask_name;
pub use national_id::{
    Gender, NationalId, mask_national_id, validate_national_id, validate_national_id_on,
};
pub use pseudonym::{MIN_SECRET_BYTES, Pseudonymizer};
pub use scrub::scrub_national_ids;

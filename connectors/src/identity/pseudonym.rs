//! Pseudonymous worker IDs: a keyed hash of the national ID number.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::NationalId;
use crate::normalize::Reject;

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// Derives `worker_id`s from national ID numbers with a secret key.
///
/// The format of a worker ID is `w` followed by 32 lower-case hexadecimal digits: the first
/// 16 bytes (128 bits) of HMAC-SHA256(secret, the 18-character number with an upper-case
/// `X`). The same number and secret always give the same ID; without the secret an ID can
/// be neither reversed nor recomputed from a guessed number. Changing the secret changes
/// every ID, so it is set once per deployment and kept out of storage and logs: `Debug`
/// does not print it.
#[derive(Clone)]
pub struct Pseudonymizer {
    /// The keyed hash state before any message, cloned for each ID.
    mac: Hmac<Sha256>,
}

impl Pseudonymizer {
    /// A pseudonymizer keyed with `secret`, which must be at least 16 bytes
    /// ([`MIN_SECRET_BYTES`]).
    pub fn new(secret: &[u8]) -> Result<Self, Reject> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Reject::new(format!(
                "the pseudonymisation secret must be at least {MIN_SECRET_BYTES} bytes; \
                 it has {}",
                secret.len()
            )));
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| Reject::new("the pseudonymisation secret cannot key HMAC-SHA256"))?;
        Ok(Pseudonymizer { mac })
    }

    /// The worker ID of `id`: `w` and 32 lower-case hexadecimal digits.
    pub fn worker_id(&self, id: &NationalId) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(33);
        out.push('w');
        for byte in digest.iter().take(16) {
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
        out
    }
}

/// The lower-case hexadecimal digit of a nibble.
fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("secret", &"<redacted>")
            .finish()
    }
}

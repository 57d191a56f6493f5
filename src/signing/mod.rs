//! Signing: the deployment's keys and certificates, the visible stamp, and PAdES
//! signatures (DESIGN.md §4).
//!
//! | module | job |
//! |---|---|
//! | [`kek`] | the key-encryption key that seals every private key at rest |
//! | [`key`] | a private key of either kind: Ed25519 (default) or ECDSA P-256 |
//! | [`certs`] | X.509 root, agency seal and staff certificates |
//! | [`cades`] | CMS SignedData (CAdES detached: PureEdDSA over SHA-512, or ECDSA over SHA-256) |
//! | [`pades`] | a signature in an incremental update of the PDF |
//! | [`ltv`] | the `/DSS` (PAdES B-LT): chain certificates and CRLs, so the file validates offline |
//! | [`tsp`] | RFC 3161 time-stamping: Kho's TSA, signature and document timestamps (B-T, B-LTA) |

pub mod cades;
pub mod certs;
pub mod kek;
pub mod key;
pub mod keys;
pub mod ltv;
pub mod pades;
pub mod stamp;
pub mod tsp;

/// Everything that can go wrong while signing. Messages never carry key material.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("key-encryption key: {0}")]
    Kek(String),
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("CMS: {0}")]
    Cms(String),
    #[error("PDF: {0}")]
    Pdf(String),
    #[error("keys: {0}")]
    Keys(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub use crate::domain::civil;

#[cfg(test)]
mod tests {
    #[test]
    fn civil_time_of_known_instants() {
        assert_eq!(super::civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(super::civil(1_795_436_061), (2026, 11, 23, 12, 14, 21));
        assert_eq!(super::pades::pdf_date(951_782_400), "D:20000229000000Z");
    }
}

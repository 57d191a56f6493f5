//! A private signing key of either kind the deployment issues: Ed25519 (the default,
//! ISO 32002 in PDF) or ECDSA P-256 with SHA-256 (RFC 5480; what Poppler, NSS and
//! Adobe validate today). Both are 32-byte secrets, sealed by the KEK the same way; which
//! one a stored secret is comes from its certificate's public-key algorithm.

use der::asn1::ObjectIdentifier;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::Certificate;
use zeroize::Zeroizing;

use super::SigningError;

const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The algorithm of an agency's keys (`--seal-algorithm`, `kho keys rotate --algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SealAlgorithm {
    /// Ed25519 (PureEdDSA, ISO 32002): short keys and signatures; pyHanko and Kho
    /// validate it, most desktop PDF readers do not yet.
    Ed25519,
    /// ECDSA on P-256 with SHA-256: validated by Poppler (`pdfsig`, Okular, Evince),
    /// Adobe Reader and pyHanko.
    P256,
}

impl SealAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            SealAlgorithm::Ed25519 => "ed25519",
            SealAlgorithm::P256 => "p256",
        }
    }
}

/// A private key ready to sign.
pub enum SecretKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl From<ed25519_dalek::SigningKey> for SecretKey {
    fn from(k: ed25519_dalek::SigningKey) -> SecretKey {
        SecretKey::Ed25519(k)
    }
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate(algorithm: SealAlgorithm) -> SecretKey {
        match algorithm {
            SealAlgorithm::Ed25519 => {
                SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&rand::random()))
            }
            // A random 32-byte string is a valid scalar but for a chance of 2^-32; draw again.
            SealAlgorithm::P256 => loop {
                let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
                if let Ok(k) = p256::ecdsa::SigningKey::from_slice(bytes.as_slice()) {
                    break SecretKey::P256(k);
                }
            },
        }
    }

    pub fn algorithm(&self) -> SealAlgorithm {
        match self {
            SecretKey::Ed25519(_) => SealAlgorithm::Ed25519,
            SecretKey::P256(_) => SealAlgorithm::P256,
        }
    }

    /// The 32-byte secret, to be sealed by the KEK.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            SecretKey::Ed25519(k) => k.to_bytes().to_vec(),
            SecretKey::P256(k) => k.to_bytes().to_vec(),
        })
    }

    /// The key whose secret is `secret` and whose certificate is `cert`: the
    /// certificate's public-key algorithm says which kind it is, and its public key must
    /// be this secret's.
    pub fn from_stored(cert: &Certificate, secret: &[u8]) -> Result<SecretKey, SigningError> {
        let wrong = || SigningError::Keys("a stored key does not match its certificate".into());
        let spki = cert.tbs_certificate().subject_public_key_info();
        let key = match spki.algorithm.oid {
            ID_ED25519 => {
                let bytes: [u8; 32] = secret.try_into().map_err(|_| wrong())?;
                SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&bytes))
            }
            ID_EC_PUBLIC_KEY
                if spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    == Some(SECP256R1) =>
            {
                SecretKey::P256(p256::ecdsa::SigningKey::from_slice(secret).map_err(|_| wrong())?)
            }
            other => {
                return Err(SigningError::Keys(format!(
                    "a stored key has the unsupported algorithm {other}"
                )));
            }
        };
        if key.public_key_info()? != *spki {
            return Err(wrong());
        }
        Ok(key)
    }

    /// The public key as it goes into a certificate.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, SigningError> {
        let err = |e: spki::Error| SigningError::Certificate(e.to_string());
        match self {
            SecretKey::Ed25519(k) => SubjectPublicKeyInfoOwned::from_key(&k.verifying_key()),
            SecretKey::P256(k) => SubjectPublicKeyInfoOwned::from_key(k.verifying_key()),
        }
        .map_err(err)
    }

    /// A signature over `message`: 64 raw bytes for Ed25519, a DER `ECDSA-Sig-Value` over
    /// SHA-256 for P-256.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        match self {
            SecretKey::Ed25519(k) => {
                let s: ed25519_dalek::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            SecretKey::P256(k) => {
                let s: p256::ecdsa::DerSignature = k.sign(message);
                s.as_bytes().to_vec()
            }
        }
    }
}

/// Whether `signature` over `message` is valid for the public key in `cert` (either kind).
pub fn verify_with_certificate(cert: &Certificate, message: &[u8], signature: &[u8]) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    let spki = cert.tbs_certificate().subject_public_key_info();
    let raw = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid {
        ID_ED25519 => <[u8; 32]>::try_from(raw)
            .ok()
            .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
            .zip(ed25519_dalek::Signature::from_slice(signature).ok())
            .is_some_and(|(k, s)| k.verify_strict(message, &s).is_ok()),
        ID_EC_PUBLIC_KEY => p256::ecdsa::VerifyingKey::from_sec1_bytes(raw)
            .ok()
            .zip(p256::ecdsa::DerSignature::from_bytes(signature).ok())
            .is_some_and(|(k, s)| k.verify(message, &s).is_ok()),
        _ => false,
    }
}

/// Run `$body` with `$k` bound to the concrete key and `$sig` to its signature type, for
/// the generic builders of `x509-cert` and `cms`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_secret_key {
    ($key:expr, |$k:ident, $sig:ident| $body:expr) => {
        match $key {
            $crate::signing::key::SecretKey::Ed25519($k) => {
                type $sig = ed25519_dalek::Signature;
                $body
            }
            $crate::signing::key::SecretKey::P256($k) => {
                type $sig = p256::ecdsa::DerSignature;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_kind_signs_and_is_told_apart_by_its_certificate() {
        for alg in [SealAlgorithm::Ed25519, SealAlgorithm::P256] {
            let key = SecretKey::generate(alg);
            let name = super::super::certs::name("Test", "Kho").unwrap();
            let cert = super::super::certs::issue(
                super::super::certs::CertKind::Root,
                name.clone(),
                &key,
                name,
                &key,
                None,
                1,
            )
            .unwrap();
            let back = SecretKey::from_stored(&cert, &key.to_bytes()).unwrap();
            assert_eq!(back.algorithm(), alg);
            let sig = back.sign(b"checkpoint");
            assert!(verify_with_certificate(&cert, b"checkpoint", &sig));
            assert!(!verify_with_certificate(&cert, b"checkpoinT", &sig));
            // Another key's secret under this certificate is refused.
            let other = SecretKey::generate(alg);
            assert!(SecretKey::from_stored(&cert, &other.to_bytes()).is_err());
        }
    }
}

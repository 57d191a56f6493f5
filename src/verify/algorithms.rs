//! The signature algorithms a verifier meets in the wild, dispatched on the signer's
//! key type and the signature algorithm together: Ed25519 (Kho's own seals), RSA
//! PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512, and ECDSA on P-256 and P-384 (what
//! licensed Vietnamese CAs issue). Anything else — Ed448, DSA, SHA-1, another curve — is
//! [`Failure::Unsupported`]: the verifier cannot decide, which is not the same as wrong.

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Why a signature was not found good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The verifier does not implement (or no longer trusts) the algorithm: undecided.
    Unsupported(String),
    /// The signature is proven wrong for this key and message.
    Wrong,
}

/// A digest algorithm accepted for signatures (SHA-1 and older are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        match *oid {
            SHA256 => Some(Hash::Sha256),
            SHA384 => Some(Hash::Sha384),
            SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// The digest of the concatenated `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        use crate::domain::digest_of;
        match self {
            Hash::Sha256 => digest_of::<sha2::Sha256>(parts),
            Hash::Sha384 => digest_of::<sha2::Sha384>(parts),
            Hash::Sha512 => digest_of::<sha2::Sha512>(parts),
        }
    }
}

/// What a signature algorithm needs of the message.
pub enum Input<'a> {
    /// The message itself (signed attributes, a certificate's TBS part).
    Message(&'a [u8]),
    /// Only its digest, made with this hash (a CMS without signed attributes).
    Digest(Hash, &'a [u8]),
}

/// Check `signature` by the holder of `key` over `input`, under `algorithm`;
/// `digest` is the CMS digestAlgorithm where the signature algorithm names no hash of
/// its own (`rsaEncryption`, `id-ecPublicKey`).
pub fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    digest: Option<Hash>,
    input: Input<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    let unsupported = |what: String| Err(Failure::Unsupported(what));
    let key_kind = key.algorithm.oid;
    // The hash a signature algorithm uses, with the key type it needs.
    let (needs, hash) = match algorithm.oid {
        ED25519 => return ed25519(key, input, signature),
        RSA => (RSA, digest),
        SHA256_RSA => (RSA, Some(Hash::Sha256)),
        SHA384_RSA => (RSA, Some(Hash::Sha384)),
        SHA512_RSA => (RSA, Some(Hash::Sha512)),
        RSA_PSS => return rsa_pss(key, algorithm, input, signature),
        ECDSA_SHA256 => (EC_PUBLIC_KEY, Some(Hash::Sha256)),
        ECDSA_SHA384 => (EC_PUBLIC_KEY, Some(Hash::Sha384)),
        ECDSA_SHA512 => (EC_PUBLIC_KEY, Some(Hash::Sha512)),
        EC_PUBLIC_KEY => (EC_PUBLIC_KEY, digest),
        other => return unsupported(format!("signature algorithm {other}")),
    };
    if key_kind != needs {
        return unsupported(format!("a {} signature by a {key_kind} key", algorithm.oid));
    }
    let Some(hash) = hash else {
        return unsupported("a digest algorithm other than SHA-256/384/512".into());
    };
    let hashed = hashed(hash, input)?;
    if needs == RSA {
        let public = rsa_key(key)?;
        let scheme = match hash {
            Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        return public
            .verify(scheme, &hashed, signature)
            .map_err(|_| Failure::Wrong);
    }
    ecdsa(key, &hashed, signature)
}

/// The digest `input` stands for, made with `hash`.
fn hashed(hash: Hash, input: Input<'_>) -> Result<Vec<u8>, Failure> {
    match input {
        Input::Message(m) => Ok(hash.digest(&[m])),
        Input::Digest(h, d) if h == hash => Ok(d.to_vec()),
        Input::Digest(..) => Err(Failure::Unsupported(
            "a content digest made with another hash than the signature's".into(),
        )),
    }
}

fn ed25519(
    key: &SubjectPublicKeyInfoOwned,
    input: Input<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    use ed25519_dalek::Verifier;
    if key.algorithm.oid != ED25519 {
        return Err(Failure::Unsupported(format!(
            "an Ed25519 signature by a {} key",
            key.algorithm.oid
        )));
    }
    let Input::Message(message) = input else {
        // Ed25519 (pure) signs the message, never a digest of it.
        return Err(Failure::Unsupported(
            "Ed25519 without signed attributes".into(),
        ));
    };
    let bytes: [u8; 32] = key
        .subject_public_key
        .raw_bytes()
        .try_into()
        .map_err(|_| Failure::Wrong)?;
    let public = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| Failure::Wrong)?;
    let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|_| Failure::Wrong)?;
    public
        .verify(message, &signature)
        .map_err(|_| Failure::Wrong)
}

fn rsa_key(key: &SubjectPublicKeyInfoOwned) -> Result<rsa::PublicKey, Failure> {
    let der = key.to_der().map_err(|_| Failure::Wrong)?;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| Failure::Wrong)?;
    rsa::PublicKey::try_from(spki).map_err(|_| Failure::Wrong)
}

/// RSASSA-PSS: the hash, MGF1's hash and the salt length come from the parameters.
fn rsa_pss(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    input: Input<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    if key.algorithm.oid != RSA && key.algorithm.oid != RSA_PSS {
        return Err(Failure::Unsupported(format!(
            "an RSASSA-PSS signature by a {} key",
            key.algorithm.oid
        )));
    }
    let params = algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok())
        .ok_or(Failure::Wrong)?;
    let params =
        rsa::pkcs1::RsaPssParams::<der::Any>::from_der(&params).map_err(|_| Failure::Wrong)?;
    let hash = Hash::from_oid(&params.hash.oid).ok_or_else(|| {
        Failure::Unsupported(format!("RSASSA-PSS with the hash {}", params.hash.oid))
    })?;
    let mgf_hash = params.mask_gen.parameters.as_ref().map(|p| p.oid);
    if params.mask_gen.oid != MGF1 || mgf_hash != Some(params.hash.oid) {
        return Err(Failure::Unsupported(
            "RSASSA-PSS whose mask uses another hash than the message".into(),
        ));
    }
    let hashed = hashed(hash, input)?;
    let salt = params.salt_len as usize;
    let public = rsa_key(key)?;
    let result = match hash {
        Hash::Sha256 => public.verify(
            rsa::Pss::<sha2::Sha256>::new_with_salt(salt),
            &hashed,
            signature,
        ),
        Hash::Sha384 => public.verify(
            rsa::Pss::<sha2::Sha384>::new_with_salt(salt),
            &hashed,
            signature,
        ),
        Hash::Sha512 => public.verify(
            rsa::Pss::<sha2::Sha512>::new_with_salt(salt),
            &hashed,
            signature,
        ),
    };
    result.map_err(|_| Failure::Wrong)
}

/// ECDSA over a prehashed message, on the curve the key names.
fn ecdsa(key: &SubjectPublicKeyInfoOwned, hashed: &[u8], signature: &[u8]) -> Result<(), Failure> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let point = key.subject_public_key.raw_bytes();
    match curve {
        Some(P256) => {
            let public =
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| Failure::Wrong)?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| Failure::Wrong)?;
            public
                .verify_prehash(hashed, &sig)
                .map_err(|_| Failure::Wrong)
        }
        Some(P384) => {
            let public =
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| Failure::Wrong)?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| Failure::Wrong)?;
            public
                .verify_prehash(hashed, &sig)
                .map_err(|_| Failure::Wrong)
        }
        Some(other) => Err(Failure::Unsupported(format!("ECDSA on the curve {other}"))),
        None => Err(Failure::Unsupported("ECDSA on an unnamed curve".into())),
    }
}

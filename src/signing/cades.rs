//! CMS SignedData for a PDF signature (CAdES detached, PAdES baseline B-B): for an
//! Ed25519 key a SHA-512 message digest and PureEdDSA (RFC 8419) over the DER of the signed
//! attributes; for a P-256 key SHA-256 and ecdsa-with-SHA256 (RFC 5753). The signed
//! attributes are — contentType, messageDigest and signingCertificateV2 (no signing-time:
//! PAdES puts the time in the signature dictionary) — one SignerInfo, and the signer's
//! certificate chain embedded.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{ObjectIdentifier, SetOfVec};
use der::{Any, Decode, Encode};
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::certificate::Certificate;

use super::SigningError;
use super::key::{SealAlgorithm, SecretKey};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

fn err(e: impl std::fmt::Display) -> SigningError {
    SigningError::Cms(e.to_string())
}

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// signingCertificateV2 (RFC 5035): the SHA-256 of the signer's certificate (the
/// default hash algorithm, so it is omitted) and its issuer and serial number.
pub(super) fn signing_certificate_v2(cert: &Certificate) -> Result<Attribute, SigningError> {
    let cert_der = cert.to_der().map_err(err)?;
    let hash = sha2::Sha256::digest(&cert_der);
    let issuer_der = cert.tbs_certificate().issuer().to_der().map_err(err)?;
    let serial_der = cert
        .tbs_certificate()
        .serial_number()
        .to_der()
        .map_err(err)?;
    // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }
    // GeneralNames ::= SEQUENCE OF GeneralName; directoryName is [4] EXPLICIT Name.
    let general_names = tlv(0x30, &tlv(0xA4, &issuer_der));
    let issuer_serial = tlv(0x30, &[general_names, serial_der].concat());
    let ess_cert_id = tlv(0x30, &[tlv(0x04, &hash), issuer_serial].concat());
    let value = tlv(0x30, &tlv(0x30, &ess_cert_id));
    let any = Any::from_der(&value).map_err(err)?;
    Ok(Attribute {
        oid: ID_AA_SIGNING_CERTIFICATE_V2,
        values: SetOfVec::try_from(vec![any]).map_err(err)?,
    })
}

/// The message digest a key of `algorithm` signs: SHA-512 for Ed25519 (RFC 8419),
/// SHA-256 for P-256.
pub fn message_digest(algorithm: SealAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
    use crate::domain::digest_of;
    match algorithm {
        SealAlgorithm::Ed25519 => digest_of::<sha2::Sha512>(parts),
        SealAlgorithm::P256 => digest_of::<sha2::Sha256>(parts),
    }
}

/// The DER of a detached CMS signature over `digest` (the [`message_digest`] of the
/// signed bytes) by `key`, whose certificate is `chain[0]`; the rest of `chain` goes in
/// as well.
pub fn sign_digest(
    digest: &[u8],
    key: &SecretKey,
    chain: &[Certificate],
) -> Result<Vec<u8>, SigningError> {
    let content = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: None,
    };
    signed_data(&content, Some(digest), key, chain)
}

/// The digest algorithm a key of `algorithm` signs with.
pub fn digest_algorithm(algorithm: SealAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: match algorithm {
            SealAlgorithm::Ed25519 => ID_SHA512,
            SealAlgorithm::P256 => ID_SHA256,
        },
        parameters: None,
    }
}

/// A CMS SignedData (DER) by `key` over `content`: detached with `digest` given, or
/// encapsulated (a timestamp token's TSTInfo) with `digest` None. The signed attributes
/// are contentType, messageDigest and signingCertificateV2; `chain` goes in whole.
pub fn signed_data(
    content: &EncapsulatedContentInfo,
    digest: Option<&[u8]>,
    key: &SecretKey,
    chain: &[Certificate],
) -> Result<Vec<u8>, SigningError> {
    let signer_cert = chain
        .first()
        .ok_or_else(|| SigningError::Cms("no signer certificate".into()))?;
    let digest_algorithm = digest_algorithm(key.algorithm());
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: signer_cert.tbs_certificate().issuer().clone(),
        serial_number: signer_cert.tbs_certificate().serial_number().clone(),
    });
    let mut signer =
        SignerInfoBuilder::new(sid, digest_algorithm.clone(), content, digest).map_err(err)?;
    signer
        .add_signed_attribute(signing_certificate_v2(signer_cert)?)
        .map_err(err)?;
    let mut builder = SignedDataBuilder::new(content);
    builder
        .add_digest_algorithm(digest_algorithm)
        .map_err(err)?;
    for cert in chain {
        builder
            .add_certificate(CertificateChoices::Certificate(cert.clone()))
            .map_err(err)?;
    }
    crate::with_secret_key!(key, |k, Sig| builder
        .add_signer_info::<_, Sig>(signer, k)
        .map_err(err))?;
    builder.build().map_err(err)?.to_der().map_err(err)
}

/// The CMS `cms` (DER) with `attribute` added to its one SignerInfo's unsigned
/// attributes (where a signature timestamp goes: nothing signed changes).
pub fn add_unsigned_attribute(cms: &[u8], attribute: Attribute) -> Result<Vec<u8>, SigningError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};
    let mut ci = ContentInfo::from_der(cms).map_err(err)?;
    let mut sd: SignedData = ci.content.decode_as().map_err(err)?;
    let mut infos: Vec<_> = sd.signer_infos.0.into_vec();
    let [info] = infos.as_mut_slice() else {
        return Err(SigningError::Cms("not one SignerInfo".into()));
    };
    let mut attrs: Vec<Attribute> = info
        .unsigned_attrs
        .take()
        .map(|a| a.into_vec())
        .unwrap_or_default();
    attrs.push(attribute);
    info.unsigned_attrs = Some(SetOfVec::try_from(attrs).map_err(err)?);
    sd.signer_infos = SignerInfos(SetOfVec::try_from(infos).map_err(err)?);
    ci.content = Any::encode_from(&sd).map_err(err)?;
    ci.to_der().map_err(err)
}

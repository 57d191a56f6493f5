//! RFC 3161 timestamp tokens, as the verifier checks them: for a signature timestamp
//! (over a signature value) and a document timestamp (over a revision's bytes) alike.
//!
//! A token is a CMS SignedData encapsulating a TSTInfo. It holds when: it parses, with
//! one SignerInfo naming a certificate it carries; the signed attributes carry
//! contentType id-ct-TSTInfo, a messageDigest equal to the digest of the TSTInfo and a
//! signingCertificate(V2) naming the TSA's certificate; the signature verifies; the
//! imprint is the digest of what it stamps; the TSA's certificate has the timeStamping
//! extended key usage and chains to a trusted TSA root, every link valid at the stamped
//! time and none revoked before it by a CRL the file carries.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::certificate::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::ExtendedKeyUsage;

use super::algorithms::{self, Hash, Input};
use super::{
    Chain, Ltv, Revocation, chain, cms_certificates, names_signer, rfc3339_secs, signer_certificate,
};
use crate::signing::certs::ID_KP_TIME_STAMPING;
use crate::signing::tsp::{ID_CT_TST_INFO, TstInfo};

const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// A timestamp that holds.
pub(super) struct Stamp {
    /// The stamped time, Unix seconds, and as RFC 3339.
    pub time: i64,
    pub time_text: String,
    /// The TSA's certificate subject, and the chain up to the root.
    pub authority: String,
    pub chain: Vec<String>,
    pub serial: String,
    pub ltv: Ltv,
    pub revocation_data_issued: Option<String>,
}

pub(super) enum Failure {
    /// Proven wrong: the verdict is INVALID.
    Wrong(String),
    /// Cannot be decided (ETSI sub-indication, why).
    Undecided(&'static str, String),
}

fn wrong(why: impl Into<String>) -> Failure {
    Failure::Wrong(why.into())
}

/// Check `token` (a ContentInfo, DER), whose imprint must be `imprint(hash)` for the
/// hash it names, against `roots`, with the CRLs the file carries.
pub(super) fn check(
    token: &[u8],
    imprint: impl FnOnce(Hash) -> Vec<u8>,
    roots: &[Certificate],
    crls: &[CertificateList],
) -> Result<Stamp, Failure> {
    let ci = ContentInfo::from_der(token).map_err(|e| wrong(format!("the token: {e}")))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| wrong(format!("the token's SignedData: {e}")))?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(wrong("the token does not hold a TSTInfo"));
    }
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| wrong("the token holds no TSTInfo"))?;
    let tst_der = content.value();
    let info = TstInfo::from_der(tst_der).map_err(|e| wrong(format!("the TSTInfo: {e}")))?;
    if sd.signer_infos.0.len() != 1 {
        return Err(wrong("the token has not one SignerInfo"));
    }
    let si = sd.signer_infos.0.get(0).expect("one signer info");
    let certs = cms_certificates(&sd).map_err(Failure::Wrong)?;
    let cert = signer_certificate(si, &certs).ok_or_else(|| {
        Failure::Undecided(
            "NO_SIGNING_CERTIFICATE_FOUND",
            "the token does not carry the TSA's certificate".into(),
        )
    })?;
    let Some(hash) = Hash::from_oid(&si.digest_alg.oid) else {
        return Err(Failure::Undecided(
            "CRYPTO_CONSTRAINTS_FAILURE",
            format!(
                "the token's digest algorithm {} is not accepted",
                si.digest_alg.oid
            ),
        ));
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| wrong("the token has no signed attributes"))?;
    let attr = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| (a.values.len() == 1).then(|| a.values.get(0)).flatten())
    };
    let ct = attr(ID_CONTENT_TYPE).ok_or_else(|| wrong("the token has no contentType"))?;
    if ct.decode_as::<ObjectIdentifier>().ok() != Some(ID_CT_TST_INFO) {
        return Err(wrong("the token's contentType is not id-ct-TSTInfo"));
    }
    let md = attr(ID_MESSAGE_DIGEST)
        .and_then(|m| m.decode_as::<der::asn1::OctetString>().ok())
        .ok_or_else(|| wrong("the token has no messageDigest"))?;
    if md.as_bytes() != hash.digest(&[tst_der]).as_slice() {
        return Err(wrong(
            "the token's TSTInfo was changed: its digest does not match",
        ));
    }
    names_signer(
        cert,
        attr(super::ID_SIGNING_CERT_V2),
        attr(super::ID_SIGNING_CERT),
        true,
    )
    .map_err(Failure::Wrong)?;
    let attrs_der = attrs.to_der().map_err(|e| wrong(e.to_string()))?;
    match algorithms::verify(
        cert.tbs_certificate().subject_public_key_info(),
        &si.signature_algorithm,
        Some(hash),
        Input::Message(&attrs_der),
        si.signature.as_bytes(),
    ) {
        Ok(()) => {}
        Err(algorithms::Failure::Wrong) => {
            return Err(wrong("the TSA's signature does not verify"));
        }
        Err(algorithms::Failure::Unsupported(what)) => {
            return Err(Failure::Undecided(
                "CRYPTO_CONSTRAINTS_FAILURE",
                format!("{what} is not supported, so the timestamp could not be checked"),
            ));
        }
    }
    // What it stamps.
    let Some(imprint_hash) = Hash::from_oid(&info.message_imprint.hash_algorithm.oid) else {
        return Err(Failure::Undecided(
            "CRYPTO_CONSTRAINTS_FAILURE",
            format!(
                "the timestamp's imprint algorithm {} is not accepted",
                info.message_imprint.hash_algorithm.oid
            ),
        ));
    };
    if info.message_imprint.hashed_message.as_bytes() != imprint(imprint_hash).as_slice() {
        return Err(wrong(
            "the timestamp's imprint does not match what it stamps: it was made for other bytes",
        ));
    }
    // Who stamped.
    let is_tsa = cert
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .ok()
        .flatten()
        .is_some_and(|(critical, eku)| critical && eku.0 == [ID_KP_TIME_STAMPING]);
    if !is_tsa {
        return Err(Failure::Undecided(
            "CHAIN_CONSTRAINTS_FAILURE",
            "the token's signer is not a time-stamping authority (no critical timeStamping key usage)".into(),
        ));
    }
    let path = match chain(cert, &certs, roots) {
        Chain::Trusted(path) => path,
        Chain::Undecided(what) => {
            return Err(Failure::Undecided(
                "CRYPTO_CONSTRAINTS_FAILURE",
                format!("{what} is not supported, so the TSA's chain could not be checked"),
            ));
        }
        Chain::Untrusted => {
            return Err(Failure::Undecided(
                "NO_CERTIFICATE_CHAIN_FOUND",
                "the TSA's certificate does not chain to a trusted root".into(),
            ));
        }
    };
    let time = info.gen_time.to_unix_duration().as_secs() as i64;
    for c in &path {
        let validity = c.tbs_certificate().validity();
        let from = validity.not_before.to_unix_duration().as_secs() as i64;
        let to = validity.not_after.to_unix_duration().as_secs() as i64;
        if time < from || time > to {
            return Err(wrong(format!(
                "the certificate of {} was not valid at the stamped time",
                c.tbs_certificate().subject()
            )));
        }
    }
    let (ltv, revocation_data_issued) = match super::revocation(&path, crls) {
        Revocation::Revoked {
            subject, at_unix, ..
        } if at_unix <= time => {
            return Err(Failure::Undecided(
                "REVOKED_NO_POE",
                format!("the TSA certificate of {subject} was revoked before the stamped time"),
            ));
        }
        Revocation::Revoked { .. } => (Ltv::CrlInDocument, None),
        Revocation::Good { oldest } => (Ltv::CrlInDocument, Some(oldest)),
        Revocation::Unknown => (Ltv::NotInDocument, None),
    };
    Ok(Stamp {
        time,
        time_text: rfc3339_secs(time),
        authority: cert.tbs_certificate().subject().to_string(),
        chain: path
            .iter()
            .map(|c| c.tbs_certificate().subject().to_string())
            .collect(),
        serial: hex::encode(cert.tbs_certificate().serial_number().as_bytes()),
        ltv,
        revocation_data_issued,
    })
}

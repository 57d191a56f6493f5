//! X.509 certificates for the deployment: a root, an agency seal per issuing agency and
//! personal certificates for staff, each Ed25519 or ECDSA P-256 ([`super::key`]).
//!
//! The root is a CA (keyCertSign, cRLSign). Seal and staff certificates carry
//! digitalSignature + nonRepudiation (pyHanko and the EU profiles require the latter on
//! signer certificates) and a CRL distribution point on Kho's public URL. The TSA's
//! certificate carries the critical timeStamping extended key usage besides.

use std::str::FromStr;
use std::time::Duration;

use der::Encode;
use der::asn1::Ia5String;
use spki::SubjectPublicKeyInfoRef;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::{Certificate, TbsCertificate};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use super::SigningError;
use super::key::SecretKey;

/// id-kp-timeStamping (RFC 5280 §4.2.1.12).
pub const ID_KP_TIME_STAMPING: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    Root,
    Agency,
    /// An agency's digitization office: signs custody when the uploader has no key.
    Office,
    Staff,
    /// The deployment's time-stamping authority (RFC 3161): extended key usage
    /// timeStamping, critical.
    Tsa,
}

impl CertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::Root => "root",
            CertKind::Agency => "agency",
            CertKind::Office => "office",
            CertKind::Staff => "staff",
            CertKind::Tsa => "tsa",
        }
    }
}

struct Profile {
    kind: CertKind,
    subject: Name,
    issuer: Name,
    crl_url: Option<String>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut ext: Vec<Extension> = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        let aki = SubjectKeyIdentifier::try_from(issuer_spk)?;
        ext.push(
            AuthorityKeyIdentifier {
                key_identifier: Some(aki.0.clone()),
                ..Default::default()
            }
            .to_extension(tbs.subject(), &ext)?,
        );
        ext.push(ski.to_extension(tbs.subject(), &ext)?);
        let ca = self.kind == CertKind::Root;
        ext.push(
            BasicConstraints {
                ca,
                path_len_constraint: ca.then_some(0),
            }
            .to_extension(tbs.subject(), &ext)?,
        );
        let usage = if ca {
            KeyUsages::KeyCertSign | KeyUsages::CRLSign
        } else {
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
        };
        ext.push(KeyUsage(usage).to_extension(tbs.subject(), &ext)?);
        if self.kind == CertKind::Tsa {
            // RFC 3161 §2.3: exactly one extended key usage, timeStamping, critical.
            let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]);
            ext.push((true, &eku).to_extension(tbs.subject(), &ext)?);
        }
        if let Some(url) = &self.crl_url {
            let uri = Ia5String::new(url)?;
            ext.push(
                CrlDistributionPoints(vec![DistributionPoint {
                    distribution_point: Some(DistributionPointName::FullName(vec![
                        GeneralName::UniformResourceIdentifier(uri),
                    ])),
                    reasons: None,
                    crl_issuer: None,
                }])
                .to_extension(tbs.subject(), &ext)?,
            );
        }
        Ok(ext)
    }
}

/// A distinguished name `CN=…, O=…, C=VN`; commas and the like in the parts are escaped.
pub fn name(common_name: &str, organization: &str) -> Result<Name, SigningError> {
    let esc = |s: &str| {
        s.chars()
            .flat_map(|c| match c {
                ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => vec!['\\', c],
                c => vec![c],
            })
            .collect::<String>()
    };
    Name::from_str(&format!(
        "CN={},O={},C=VN",
        esc(common_name),
        esc(organization)
    ))
    .map_err(|e| SigningError::Certificate(format!("name {common_name:?}: {e}")))
}

/// Issue a certificate for `key` (its subject `subject`), signed by `issuer_key` as
/// `issuer` (the same key and name for the root), valid for `years`.
pub fn issue(
    kind: CertKind,
    subject: Name,
    key: &SecretKey,
    issuer: Name,
    issuer_key: &SecretKey,
    crl_url: Option<String>,
    years: u64,
) -> Result<Certificate, SigningError> {
    let err = |e: &dyn std::fmt::Display| SigningError::Certificate(e.to_string());
    let serial: [u8; 16] = rand::random();
    let mut serial = serial.to_vec();
    serial[0] &= 0x7f; // positive
    serial[0] |= 0x01; // no leading zero
    let spki = key.public_key_info()?;
    let validity =
        Validity::from_now(Duration::from_secs(years * 365 * 86_400)).map_err(|e| err(&e))?;
    let builder = CertificateBuilder::new(
        Profile {
            kind,
            subject,
            issuer,
            crl_url: (kind != CertKind::Root).then_some(crl_url).flatten(),
        },
        SerialNumber::new(&serial).map_err(|e| err(&e))?,
        validity,
        spki,
    )
    .map_err(|e| err(&e))?;
    crate::with_secret_key!(issuer_key, |k, Sig| builder
        .build::<_, Sig>(k)
        .map_err(|e| err(&e)))
}

/// A CRL (DER) by `issuer` listing `revoked` (serial, revocation time), issued now and
/// valid for `days`.
pub fn crl(
    issuer: &Certificate,
    issuer_key: &SecretKey,
    revoked: Vec<(SerialNumber, std::time::SystemTime)>,
    days: u64,
) -> Result<Vec<u8>, SigningError> {
    use x509_cert::builder::CrlBuilder;
    use x509_cert::crl::RevokedCert;
    use x509_cert::ext::pkix::CrlNumber;
    let err = |e: &dyn std::fmt::Display| SigningError::Certificate(e.to_string());
    let now = std::time::SystemTime::now();
    let entries = revoked
        .into_iter()
        .map(|(serial_number, at)| {
            Ok(RevokedCert {
                serial_number,
                revocation_date: x509_cert::time::Time::try_from(at).map_err(|e| err(&e))?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, SigningError>>()?;
    let seconds = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let number = der::asn1::Uint::new(&seconds.to_be_bytes()).map_err(|e| err(&e))?;
    let next = x509_cert::time::Time::try_from(now + Duration::from_secs(days * 86_400))
        .map_err(|e| err(&e))?;
    let builder = CrlBuilder::new(issuer, CrlNumber(number))
        .map_err(|e| err(&e))?
        .with_next_update(Some(next))
        .with_certificates(entries.into_iter());
    let crl = crate::with_secret_key!(issuer_key, |k, Sig| builder
        .build::<_, Sig>(k)
        .map_err(|e| err(&e)))?;
    crl.to_der().map_err(|e| err(&e))
}

/// PEM of a certificate.
pub fn to_pem(cert: &Certificate) -> Result<String, SigningError> {
    use der::EncodePem;
    cert.to_pem(der::pem::LineEnding::LF)
        .map_err(|e| SigningError::Certificate(e.to_string()))
}

/// Parse one PEM certificate.
pub fn from_pem(pem: &str) -> Result<Certificate, SigningError> {
    use der::DecodePem;
    Certificate::from_pem(pem).map_err(|e| SigningError::Certificate(e.to_string()))
}

/// Every certificate in a PEM bundle; an error when there is none.
pub fn all_from_pem(pem: &str) -> Result<Vec<Certificate>, SigningError> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let end_marker = "-----END CERTIFICATE-----";
        let Some(end) = rest[start..].find(end_marker) else {
            break;
        };
        let block = &rest[start..start + end + end_marker.len()];
        out.push(from_pem(block)?);
        rest = &rest[start + end + end_marker.len()..];
    }
    if out.is_empty() {
        return Err(SigningError::Certificate("no PEM certificate found".into()));
    }
    Ok(out)
}

/// DER of a certificate.
pub fn to_der(cert: &Certificate) -> Result<Vec<u8>, SigningError> {
    cert.to_der()
        .map_err(|e| SigningError::Certificate(e.to_string()))
}

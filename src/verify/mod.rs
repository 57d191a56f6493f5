//! The PDF signature verifier (DESIGN.md §5), used by `kho verify` and `POST
//! /api/v1/verify`.
//!
//! For every signature field it checks, refusing rather than skipping anything malformed:
//! `/ByteRange` is exactly `[0 a b c]`; the gap `a..b` is exactly this signature
//! dictionary's own `/Contents` hex string (found at the dictionary's offset from the
//! cross-reference data, not by searching); `/SubFilter` is `ETSI.CAdES.detached` or
//! `adbe.pkcs7.detached`; the CMS parses completely, with one SignerInfo naming its
//! certificate by issuer and serial or by key identifier; the signed attributes (which
//! only the PKCS#7 form may omit) carry contentType id-data, a messageDigest equal to
//! the digest of the two ranges and a signingCertificate(V2) naming the signer's
//! certificate; the signature verifies ([`algorithms`]: Ed25519, RSA PKCS#1 v1.5 and
//! PSS, ECDSA P-256/P-384, with SHA-256/384/512); the certificate chains, through CA
//! certificates carried in the CMS, to a trusted root, each link's signature verifying
//! and each certificate valid at the claimed signing time. What the verifier cannot
//! decide (another algorithm, another format) is INDETERMINATE with its ETSI
//! sub-indication, never INVALID, which is kept for what is proven wrong. RFC 3161
//! timestamps ([`timestamp`]) are checked too: a signature timestamp gives the seal a
//! trusted time, at which its certificates are judged (a revocation after it does not
//! undo the seal), and a document timestamp (`/ETSI.RFC3161`) is reported as one more
//! entry; a token made for other bytes is INVALID. Then every revision after a signed one is classified: only a
//! later signature (its dictionary, widget, the AcroForm and page 1's /Annots growing)
//! and validation data (/DSS) may follow; any other changed, added or freed object, a
//! changed /Info, or trailing bytes that are not a well-formed revision make the
//! document MODIFIED_AFTER_SIGNING.

use std::collections::BTreeMap;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use lopdf::{Document, Object, ObjectId};
use serde::Serialize;
use sha2::Digest;
use x509_cert::certificate::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};

mod algorithms;
mod timestamp;

use algorithms::{Failure, Hash, Input};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERT_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SIGNING_CERT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");

/// The one verdict of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Valid,
    UnknownSigner,
    /// Neither proven good nor proven wrong (ETSI EN 319 102-1): an algorithm the
    /// verifier does not support, a format it does not check; `sub_indication` says why.
    Indeterminate,
    Revoked,
    ModifiedAfterSigning,
    Invalid,
}

/// What was found about one signature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureReport {
    /// The signature field's name (`/T`).
    pub field: Option<String>,
    pub verdict: Verdict,
    /// The signer's certificate subject.
    pub signer: Option<String>,
    /// Subjects from the signer's certificate up to the root.
    pub chain: Vec<String>,
    /// `/M` of the signature dictionary, as written.
    pub claimed_time: Option<String>,
    /// What the signature covers, in words.
    pub covers: String,
    /// Why, when it is not VALID.
    pub reasons: Vec<String>,
    /// The ETSI EN 319 102-1 sub-indication when the verdict is INDETERMINATE or
    /// UNKNOWN_SIGNER: `CRYPTO_CONSTRAINTS_FAILURE`, `FORMAT_FAILURE`,
    /// `NO_CERTIFICATE_CHAIN_FOUND`.
    pub sub_indication: Option<String>,
    /// The signer certificate's serial number, hex.
    pub serial: Option<String>,
    /// The vault document this signature names (`/Kho_DocumentID`), if any.
    pub document_id: Option<String>,
    /// Long-term validation: whether the file itself carries the revocation data the
    /// chain needs (PAdES B-LT), so it can be checked with no network.
    pub ltv: Ltv,
    /// When the oldest CRL used was issued (RFC 3339), when CRLs in the file were used.
    pub revocation_data_issued: Option<String>,
    /// A document timestamp (`/ETSI.RFC3161`, PAdES B-LTA) rather than a signature.
    pub document_timestamp: bool,
    /// The trusted time (RFC 3339) an RFC 3161 timestamp proves: of a signature, its
    /// signature timestamp; of a document timestamp, its own. The signature's
    /// certificates are judged at this time, and a revocation after it does not undo it.
    pub timestamp: Option<String>,
    /// The time-stamping authority that vouched for `timestamp`.
    pub timestamp_authority: Option<String>,
}

/// Where a signature's revocation status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Ltv {
    /// Every certificate below the root is covered by a CRL in the file's `/DSS`, signed
    /// by its issuer, that does not list it.
    CrlInDocument,
    /// Some certificate of the chain has no revocation data in the file: checking it
    /// needs the issuer's service (or, for Kho's own, the vault).
    NotInDocument,
    /// The signature failed before revocation mattered.
    NotChecked,
}

/// The verifier's report on one PDF.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub signatures: Vec<SignatureReport>,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The vault's record of the document, when the verifier can see the vault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultView>,
}

/// What the vault knows of the document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VaultView {
    pub document_id: String,
    pub status: crate::domain::Status,
    /// True when the file is byte for byte the vault's copy.
    pub identical: bool,
    /// True when the file is an earlier revision of the vault's copy: the vault's copy
    /// is this file with validation data and timestamps appended since
    /// (`kho archive refresh`).
    pub earlier_revision: bool,
    pub title: Option<String>,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<String>,
    pub superseded_by: Option<String>,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::UnknownSigner => "UNKNOWN_SIGNER",
            Verdict::Indeterminate => "INDETERMINATE",
            Verdict::Revoked => "REVOKED",
            Verdict::ModifiedAfterSigning => "MODIFIED_AFTER_SIGNING",
            Verdict::Invalid => "INVALID",
        }
    }
}

impl Report {
    /// The report for a person: the verdict, why, and each signature.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.verdict.as_str());
        for r in &self.reasons {
            out.push_str(&format!("  - {r}\n"));
        }
        for s in &self.signatures {
            out.push_str(&format!(
                "{}: {}\n  signer: {}\n  chain: {}\n  signed at: {}\n  covers: {}\n  revocation: {}\n",
                s.field.as_deref().unwrap_or("signature"),
                match &s.sub_indication {
                    Some(sub) => format!("{} ({sub})", s.verdict.as_str()),
                    None => s.verdict.as_str().to_string(),
                },
                s.signer.as_deref().unwrap_or("?"),
                s.chain.join(" ← "),
                s.claimed_time.as_deref().unwrap_or("?"),
                s.covers,
                match (s.ltv, &s.revocation_data_issued) {
                    (Ltv::CrlInDocument, Some(at)) => format!("checked against CRLs in the file (issued {at})"),
                    (Ltv::CrlInDocument, None) => "a CRL in the file lists a certificate".to_string(),
                    (Ltv::NotInDocument, _) => "no revocation data in the file".to_string(),
                    (Ltv::NotChecked, _) => "not checked".to_string(),
                }
            ));
            if let Some(at) = &s.timestamp {
                out.push_str(&format!(
                    "  {}: {at}, by {}\n",
                    if s.document_timestamp {
                        "document timestamp"
                    } else {
                        "trusted time (signature timestamp)"
                    },
                    s.timestamp_authority.as_deref().unwrap_or("?")
                ));
            }
        }
        out.push_str(&format!("sha256: {}\n", self.sha256));
        if let Some(v) = &self.vault {
            out.push_str(&format!(
                "vault: document {} is {}{}; this file is {}the vault's copy\n",
                v.document_id,
                v.status,
                v.revocation_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                if v.identical {
                    ""
                } else if v.earlier_revision {
                    "an earlier revision of "
                } else {
                    "NOT "
                }
            ));
        }
        out
    }
}

fn invalid(reason: impl Into<String>) -> Report {
    Report {
        verdict: Verdict::Invalid,
        reasons: vec![reason.into()],
        signatures: vec![],
        sha256: String::new(),
        vault: None,
    }
}

/// Verify `pdf` against the trusted `roots` (for signatures and timestamps alike).
pub fn verify(pdf: &[u8], roots: &[Certificate]) -> Report {
    verify_with(pdf, roots, roots)
}

/// Verify `pdf`: signatures against `roots`, timestamps against `tsa_roots`.
pub fn verify_with(pdf: &[u8], roots: &[Certificate], tsa_roots: &[Certificate]) -> Report {
    let sha256 = hex::encode(sha2::Sha256::digest(pdf));
    let mut report = verify_inner(pdf, Trust { roots, tsa_roots });
    report.sha256 = sha256;
    report
}

/// The roots signatures and timestamps must chain to.
#[derive(Clone, Copy)]
struct Trust<'a> {
    roots: &'a [Certificate],
    tsa_roots: &'a [Certificate],
}

fn verify_inner(pdf: &[u8], trust: Trust<'_>) -> Report {
    let options = lopdf::LoadOptions {
        strict: true,
        max_decompressed_size: Some(64 << 20),
        ..Default::default()
    };
    let doc = match Document::load_mem_with_options(pdf, options) {
        Ok(d) => d,
        Err(e) => return invalid(format!("the file is not a well-formed PDF: {e}")),
    };
    if doc.xref_recovery.is_some() {
        return invalid("the cross-reference data is damaged");
    }
    let fields = signature_fields(&doc);
    if fields.is_empty() {
        return invalid("the file holds no signature");
    }
    if fields.len() > MAX_SIGNATURES {
        return invalid(format!(
            "{} signatures: more than {MAX_SIGNATURES} are not verified",
            fields.len()
        ));
    }
    let mut cache = Cache::default();
    let mut sigs = Vec::new();
    for (name, sig_id) in fields {
        sigs.push(check_signature(pdf, &doc, name, sig_id, trust, &mut cache));
    }
    let mut reasons: Vec<String> = sigs
        .iter()
        .flat_map(|s| {
            s.reasons
                .iter()
                .map(move |r| format!("{}: {r}", s.field.as_deref().unwrap_or("signature")))
        })
        .collect();
    let mut verdict = sigs
        .iter()
        .map(|s| s.verdict)
        .max()
        .unwrap_or(Verdict::Invalid);
    if verdict == Verdict::Valid {
        reasons.clear();
    }
    if sigs.is_empty() {
        verdict = Verdict::Invalid;
    }
    Report {
        verdict,
        reasons,
        signatures: sigs,
        sha256: String::new(),
        vault: None,
    }
}

/// Most signatures one file may carry (a result carries a custody signature, a seal,
/// and a few timestamps); past it the file is refused unverified, so one request cannot
/// make the verifier hash the file over and over.
const MAX_SIGNATURES: usize = 32;

/// Work done once per file however many signatures share it: the digest of each
/// distinct signed byte range, and the classification of what follows each revision.
#[derive(Default)]
struct Cache {
    digests: std::collections::HashMap<(Hash, usize, usize, usize), Vec<u8>>,
    later: std::collections::HashMap<usize, Result<(), String>>,
    crls: Option<std::rc::Rc<[CertificateList]>>,
}

impl Cache {
    /// The `hash` of `pdf[..a]` followed by `pdf[b..end]`.
    fn digest(&mut self, pdf: &[u8], hash: Hash, a: usize, b: usize, end: usize) -> &[u8] {
        self.digests
            .entry((hash, a, b, end))
            .or_insert_with(|| hash.digest(&[&pdf[..a], &pdf[b..end]]))
    }

    /// The CRLs in the document's `/DSS` (at most [`MAX_DSS_CRLS`], parsed once and
    /// shared, not copied, by each signature that needs them).
    fn crls(&mut self, doc: &Document) -> std::rc::Rc<[CertificateList]> {
        self.crls
            .get_or_insert_with(|| dss_crls(doc).into())
            .clone()
    }

    fn later(&mut self, pdf: &[u8], doc: &Document, revision_end: usize) -> Result<(), String> {
        self.later
            .entry(revision_end)
            .or_insert_with(|| later_revisions_allowed(pdf, doc, revision_end))
            .clone()
    }
}

/// Signature fields (name, value dictionary id) in the AcroForm, each signature value
/// once however often fields name it (a field listed 1,000 times is one signature).
fn signature_fields(doc: &Document) -> Vec<(Option<String>, ObjectId)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let acroform = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(fields) = acroform
        .and_then(|a| a.get(b"Fields").ok())
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_array().ok())
    else {
        return out;
    };
    for f in fields.iter().take(1000) {
        let Ok(fid) = f.as_reference() else { continue };
        let Ok(field) = doc.get_dictionary(fid) else {
            continue;
        };
        if field.get(b"FT").and_then(Object::as_name).ok() != Some(b"Sig".as_slice()) {
            continue;
        }
        let name = field
            .get(b"T")
            .ok()
            .and_then(|t| t.as_str().ok())
            .map(|t| String::from_utf8_lossy(t).into_owned());
        if let Ok(v) = field.get(b"V").and_then(Object::as_reference)
            && seen.insert(v)
        {
            out.push((name, v));
        }
    }
    out
}

fn check_signature(
    pdf: &[u8],
    doc: &Document,
    field: Option<String>,
    sig_id: ObjectId,
    trust: Trust<'_>,
    cache: &mut Cache,
) -> SignatureReport {
    let mut r = SignatureReport {
        field,
        verdict: Verdict::Invalid,
        signer: None,
        chain: vec![],
        claimed_time: None,
        covers: String::new(),
        reasons: vec![],
        sub_indication: None,
        serial: None,
        document_id: None,
        ltv: Ltv::NotChecked,
        revocation_data_issued: None,
        document_timestamp: false,
        timestamp: None,
        timestamp_authority: None,
    };
    match check(pdf, doc, sig_id, trust, &mut r, cache) {
        Ok(verdict) => r.verdict = verdict,
        Err(reason) => {
            r.verdict = Verdict::Invalid;
            r.reasons.push(reason);
        }
    }
    r
}

fn check(
    pdf: &[u8],
    doc: &Document,
    sig_id: ObjectId,
    trust: Trust<'_>,
    r: &mut SignatureReport,
    cache: &mut Cache,
) -> Result<Verdict, String> {
    let roots = trust.roots;
    let sig = doc
        .get_dictionary(sig_id)
        .map_err(|_| "the signature value is not a dictionary".to_string())?;
    r.document_id = sig
        .get(b"Kho_DocumentID")
        .ok()
        .and_then(|m| m.as_str().ok())
        .map(|m| String::from_utf8_lossy(m).into_owned());
    r.claimed_time = sig
        .get(b"M")
        .ok()
        .and_then(|m| m.as_str().ok())
        .map(|m| String::from_utf8_lossy(m).into_owned());
    // /ByteRange: exactly four integers [0 a b c] inside the file.
    let range: Vec<i64> = match sig.get(b"ByteRange") {
        Ok(Object::Array(a)) => a.iter().map(|o| o.as_i64().unwrap_or(-1)).collect(),
        _ => return Err("no /ByteRange array".into()),
    };
    let [start, a, b, c] = range[..] else {
        return Err(format!("/ByteRange has {} numbers, not 4", range.len()));
    };
    if start != 0 || a <= 0 || b <= a || c < 0 || (b + c) as usize > pdf.len() {
        return Err(format!(
            "/ByteRange [{start} {a} {b} {c}] is not [0 a b c] within the file"
        ));
    }
    let (a, b, c) = (a as usize, b as usize, c as usize);
    // The gap is exactly this dictionary's /Contents hex string.
    let contents = match sig.get(b"Contents") {
        Ok(Object::String(s, _)) => s.clone(),
        _ => return Err("no /Contents string".into()),
    };
    if contents.is_empty() || contents.iter().all(|&x| x == 0) {
        return Err("/Contents is empty".into());
    }
    let offset = match doc.reference_table.get(sig_id.0) {
        Some(lopdf::xref::XrefEntry::Normal { offset, .. }) => *offset as usize,
        _ => return Err("the signature dictionary is not a plain object of the file".into()),
    };
    let contents_at = raw_contents_offset(pdf, offset)
        .ok_or("the signature dictionary's /Contents cannot be located in the file")?;
    if contents_at != a || pdf.get(b - 1) != Some(&b'>') {
        return Err("the unsigned gap is not exactly this signature's /Contents".into());
    }
    let gap_hex = &pdf[a + 1..b - 1];
    if !gap_hex.len().is_multiple_of(2)
        || !gap_hex.iter().all(u8::is_ascii_hexdigit)
        || hex::decode(gap_hex).ok().as_deref() != Some(contents.as_slice())
    {
        return Err("the unsigned gap holds something other than the /Contents hex string".into());
    }
    let revision_end = b + c;
    r.covers = if revision_end == pdf.len() {
        "the whole file".into()
    } else {
        format!("the file up to byte {revision_end} of {}", pdf.len())
    };
    // A document timestamp: an RFC 3161 token over the signed ranges.
    if sig.get(b"SubFilter").and_then(Object::as_name).ok() == Some(b"ETSI.RFC3161".as_slice()) {
        r.document_timestamp = true;
        let der_len = der_length(&contents).ok_or("the timestamp token is not DER")?;
        if contents[der_len..].iter().any(|&x| x != 0) {
            return Err("bytes after the timestamp token in /Contents".into());
        }
        let crls = cache.crls(doc);
        let stamp = timestamp::check(
            &contents[..der_len],
            |hash| cache.digest(pdf, hash, a, b, revision_end).to_vec(),
            trust.tsa_roots,
            &crls,
        );
        match stamp {
            Ok(stamp) => {
                r.signer = Some(stamp.authority.clone());
                r.chain = stamp.chain.clone();
                r.serial = Some(stamp.serial.clone());
                r.ltv = stamp.ltv;
                r.revocation_data_issued = stamp.revocation_data_issued.clone();
                r.timestamp = Some(stamp.time_text.clone());
                r.timestamp_authority = Some(stamp.authority);
            }
            Err(timestamp::Failure::Wrong(why)) => return Err(why),
            Err(timestamp::Failure::Undecided(sub, why)) => return Ok(undecided(r, sub, why)),
        }
        if revision_end < pdf.len()
            && let Err(why) = cache.later(pdf, doc, revision_end)
        {
            r.reasons.push(why);
            return Ok(Verdict::ModifiedAfterSigning);
        }
        return Ok(Verdict::Valid);
    }
    // Only the two detached CMS formats in use are checked.
    let cades = match sig.get(b"SubFilter").and_then(Object::as_name) {
        Ok(b"ETSI.CAdES.detached") => true,
        Ok(b"adbe.pkcs7.detached") => false,
        Ok(other) => {
            return Ok(undecided(
                r,
                "FORMAT_FAILURE",
                format!(
                    "the signature format {} is not one Kho checks",
                    String::from_utf8_lossy(other)
                ),
            ));
        }
        Err(_) => return Err("no /SubFilter name".into()),
    };
    // The CMS: parse completely (trailing zero padding aside).
    let der_len = der_length(&contents).ok_or("the CMS is not DER")?;
    if contents[der_len..].iter().any(|&x| x != 0) {
        return Err("bytes after the CMS in /Contents".into());
    }
    let ci = ContentInfo::from_der(&contents[..der_len]).map_err(|e| format!("CMS: {e}"))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err("the CMS is not SignedData".into());
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| format!("CMS SignedData: {e}"))?;
    if sd.signer_infos.0.len() != 1 {
        return Err(format!("{} SignerInfos, not one", sd.signer_infos.0.len()));
    }
    if sd.encap_content_info.econtent.is_some() {
        return Err("the CMS is not detached".into());
    }
    let si = sd.signer_infos.0.get(0).expect("one signer info");
    // The signer's certificate, named by the SignerInfo.
    let certs = cms_certificates(&sd)?;
    let cert =
        signer_certificate(si, &certs).ok_or("the signer's certificate is not in the CMS")?;
    r.signer = Some(cert.tbs_certificate().subject().to_string());
    r.serial = Some(hex::encode(
        cert.tbs_certificate().serial_number().as_bytes(),
    ));
    let Some(hash) = Hash::from_oid(&si.digest_alg.oid) else {
        return Ok(undecided(
            r,
            "CRYPTO_CONSTRAINTS_FAILURE",
            format!(
                "the digest algorithm {} is not accepted (SHA-256, SHA-384 or SHA-512 are)",
                si.digest_alg.oid
            ),
        ));
    };
    let claimed = r
        .claimed_time
        .as_deref()
        .and_then(pdf_time)
        .ok_or("no readable signing time (/M)")?;
    // What was signed: the signed attributes, which name the content's digest and the
    // signer's certificate; or, in the older PKCS#7 form only, the content's digest.
    let (message_digest, attrs_der) = match si.signed_attrs.as_ref() {
        Some(attrs) => {
            let attr = |oid: ObjectIdentifier| {
                attrs
                    .iter()
                    .find(|a| a.oid == oid)
                    .and_then(|a| (a.values.len() == 1).then(|| a.values.get(0)).flatten())
            };
            let ct = attr(ID_CONTENT_TYPE).ok_or("no contentType attribute")?;
            if ct.decode_as::<ObjectIdentifier>().ok() != Some(ID_DATA) {
                return Err("contentType is not id-data".into());
            }
            let md = attr(ID_MESSAGE_DIGEST).ok_or("no messageDigest attribute")?;
            let md = md
                .decode_as::<der::asn1::OctetString>()
                .map_err(|_| "messageDigest is not an OCTET STRING")?;
            names_signer(cert, attr(ID_SIGNING_CERT_V2), attr(ID_SIGNING_CERT), cades)?;
            (Some(md), attrs.to_der().map_err(|e| e.to_string())?)
        }
        None if cades => return Err("a CAdES signature without signed attributes".into()),
        None => (None, vec![]),
    };
    // Only now, with everything cheap checked, the signed bytes are hashed (once per
    // distinct range and digest in a file).
    let content_digest = cache.digest(pdf, hash, a, b, revision_end).to_vec();
    if let Some(md) = &message_digest
        && md.as_bytes() != content_digest.as_slice()
    {
        return Err("the signed bytes were changed: their digest does not match".into());
    }
    let input = match message_digest {
        Some(_) => Input::Message(&attrs_der),
        None => Input::Digest(hash, &content_digest),
    };
    match algorithms::verify(
        cert.tbs_certificate().subject_public_key_info(),
        &si.signature_algorithm,
        Some(hash),
        input,
        si.signature.as_bytes(),
    ) {
        Ok(()) => {}
        Err(Failure::Wrong) => return Err("the signature does not verify".into()),
        Err(Failure::Unsupported(what)) => {
            return Ok(undecided(
                r,
                "CRYPTO_CONSTRAINTS_FAILURE",
                format!("{what} is not supported, so the signature could not be checked"),
            ));
        }
    }

    // A signature timestamp (PAdES B-T): a token over the signature value. One that is
    // proven wrong makes the signature INVALID; one that cannot be decided is set aside.
    let mut trusted_time = None;
    if let Some(token) = si.unsigned_attrs.as_ref().and_then(|attrs| {
        attrs
            .iter()
            .find(|a| a.oid == crate::signing::tsp::ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
            .and_then(|a| a.values.get(0))
            .and_then(|v| v.to_der().ok())
    }) {
        match timestamp::check(
            &token,
            |h| h.digest(&[si.signature.as_bytes()]),
            trust.tsa_roots,
            &cache.crls(doc),
        ) {
            Ok(stamp) => {
                trusted_time = Some(stamp.time);
                r.timestamp = Some(stamp.time_text);
                r.timestamp_authority = Some(stamp.authority);
            }
            Err(timestamp::Failure::Wrong(why)) => {
                return Err(format!("the signature timestamp is wrong: {why}"));
            }
            Err(timestamp::Failure::Undecided(_, why)) => {
                r.reasons
                    .push(format!("the signature timestamp was set aside: {why}"));
            }
        }
    }
    // The certificates are judged at the trusted time when there is one, else at /M.
    let at = trusted_time.unwrap_or(claimed);
    let at_words = if trusted_time.is_some() {
        "the timestamped signing time"
    } else {
        "the claimed signing time"
    };

    // The chain: up through the CMS's CA certificates to a trusted root.
    let path = match chain(cert, &certs, roots) {
        Chain::Trusted(path) => path,
        Chain::Undecided(what) => {
            r.chain = vec![cert.tbs_certificate().subject().to_string()];
            return Ok(undecided(
                r,
                "CRYPTO_CONSTRAINTS_FAILURE",
                format!("{what} is not supported, so the certificate chain could not be checked"),
            ));
        }
        Chain::Untrusted => {
            r.chain = vec![cert.tbs_certificate().subject().to_string()];
            r.sub_indication = Some("NO_CERTIFICATE_CHAIN_FOUND".into());
            r.reasons
                .push("the signer's certificate does not chain to a trusted root".into());
            return Ok(Verdict::UnknownSigner);
        }
    };
    r.chain = path
        .iter()
        .map(|c| c.tbs_certificate().subject().to_string())
        .collect();
    for c in &path {
        let validity = c.tbs_certificate().validity();
        let from = validity.not_before.to_unix_duration().as_secs() as i64;
        let to = validity.not_after.to_unix_duration().as_secs() as i64;
        if at < from || at > to {
            return Err(if std::ptr::eq(*c, cert) {
                format!("the certificate was not valid at {at_words}")
            } else {
                format!(
                    "the certificate of {} was not valid at {at_words}",
                    c.tbs_certificate().subject()
                )
            });
        }
    }
    // Revocation, from the CRLs the file carries (PAdES B-LT).
    match revocation(&path, &cache.crls(doc)) {
        Revocation::Revoked {
            subject,
            at: revoked,
            at_unix,
        } if trusted_time.is_some_and(|t| t < at_unix) => {
            // Revoked after the timestamp proved the signature existed: it stands.
            r.ltv = Ltv::CrlInDocument;
            r.reasons.push(format!(
                "the certificate of {subject} was revoked on {revoked}, after the timestamp proves the signature was made"
            ));
        }
        Revocation::Revoked { subject, at, .. } => {
            r.ltv = Ltv::CrlInDocument;
            return Ok(undecided(
                r,
                "REVOKED_NO_POE",
                format!(
                    "the certificate of {subject} was revoked on {at} (a CRL in the file says so), and nothing proves the signature was made before that"
                ),
            ));
        }
        Revocation::Good { oldest } => {
            r.ltv = Ltv::CrlInDocument;
            r.revocation_data_issued = Some(oldest);
        }
        Revocation::Unknown => r.ltv = Ltv::NotInDocument,
    }
    // What came after this signature's revision.
    if revision_end < pdf.len()
        && let Err(why) = cache.later(pdf, doc, revision_end)
    {
        r.reasons.push(why);
        return Ok(Verdict::ModifiedAfterSigning);
    }
    Ok(Verdict::Valid)
}

/// The certificates a CMS carries (at most [`MAX_CMS_CERTIFICATES`]).
fn cms_certificates(sd: &SignedData) -> Result<Vec<Certificate>, String> {
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if certs.len() > MAX_CMS_CERTIFICATES {
        return Err(format!(
            "{} certificates in the CMS: more than {MAX_CMS_CERTIFICATES} are not examined",
            certs.len()
        ));
    }
    Ok(certs)
}

/// The certificate a SignerInfo names, by issuer and serial or by key identifier.
fn signer_certificate<'a>(
    si: &cms::signed_data::SignerInfo,
    certs: &'a [Certificate],
) -> Option<&'a Certificate> {
    match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => certs.iter().find(|c| {
            c.tbs_certificate().issuer() == &ias.issuer
                && c.tbs_certificate().serial_number() == &ias.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs.iter().find(|c| {
            c.tbs_certificate()
                .get_extension::<SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .is_some_and(|(_, own)| own.0 == ski.0)
        }),
    }
}

/// Record an undecided outcome and its ETSI sub-indication.
fn undecided(r: &mut SignatureReport, sub_indication: &str, reason: String) -> Verdict {
    r.sub_indication = Some(sub_indication.into());
    r.reasons.push(reason);
    Verdict::Indeterminate
}

/// The signing-certificate attribute names the signer's certificate: signingCertificateV2
/// (a SHA-2 hash of it) where present, else the older signingCertificate (SHA-1). A
/// CAdES signature must carry one (ETSI EN 319 122-1); the older PKCS#7 form may not.
fn names_signer(
    cert: &Certificate,
    v2: Option<&der::Any>,
    v1: Option<&der::Any>,
    cades: bool,
) -> Result<(), String> {
    let cert_der = cert.to_der().map_err(|e| e.to_string())?;
    let names = |attr: &der::Any, hashes: &[Vec<u8>]| {
        let der = attr.to_der().unwrap_or_default();
        hashes
            .iter()
            .any(|h| der.windows(h.len()).any(|w| w == h.as_slice()))
    };
    if let Some(v2) = v2 {
        let hashes = [Hash::Sha256, Hash::Sha384, Hash::Sha512].map(|h| h.digest(&[&cert_der]));
        return if names(v2, &hashes) {
            Ok(())
        } else {
            Err("signingCertificateV2 does not name the signer's certificate".into())
        };
    }
    if let Some(v1) = v1 {
        return if names(v1, &[sha1::Sha1::digest(&cert_der).to_vec()]) {
            Ok(())
        } else {
            Err("signingCertificate does not name the signer's certificate".into())
        };
    }
    if cades {
        return Err("no signingCertificateV2 attribute".into());
    }
    Ok(())
}

/// Where a signer's certificate leads.
enum Chain<'a> {
    /// From the signer's certificate up to a trusted root, both included.
    Trusted(Vec<&'a Certificate>),
    /// A link is signed with an algorithm the verifier does not support.
    Undecided(String),
    /// No trusted root is reached.
    Untrusted,
}

/// Most certificates one signature may carry (a signer and its CAs, a few more at most);
/// past it the signature is refused, so a CMS stuffed with look-alike CA certificates
/// cannot make the chain builder check thousands of signatures.
const MAX_CMS_CERTIFICATES: usize = 32;

/// Most CRLs read from one file's DSS.
const MAX_DSS_CRLS: usize = 16;

/// The CRLs in the catalog's `/DSS /CRLs` that parse.
fn dss_crls(doc: &Document) -> Vec<CertificateList> {
    let dss = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"DSS").ok())
        .and_then(|d| doc.dereference(d).ok())
        .and_then(|(_, d)| d.as_dict().ok());
    let Some(Ok(Object::Array(items))) = dss.map(|d| d.get(b"CRLs")) else {
        return vec![];
    };
    items
        .iter()
        .take(MAX_DSS_CRLS)
        .filter_map(|i| i.as_reference().ok())
        .filter_map(|id| doc.get_object(id).ok()?.as_stream().ok())
        .filter_map(|s| {
            s.decompressed_content()
                .ok()
                .or_else(|| Some(s.content.clone()))
        })
        .filter_map(|der| CertificateList::from_der(&der).ok())
        .collect()
}

enum Revocation {
    /// Every certificate below the root is covered and none is listed.
    Good { oldest: String },
    Revoked {
        subject: String,
        at: String,
        at_unix: i64,
    },
    /// Some certificate has no CRL in the file.
    Unknown,
}

fn rfc3339(t: &x509_cert::time::Time) -> String {
    rfc3339_secs(t.to_unix_duration().as_secs() as i64)
}

fn rfc3339_secs(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = crate::domain::civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Check every certificate of `path` but the root against a CRL of its issuer (the next
/// certificate up) whose signature verifies.
fn revocation(path: &[&Certificate], crls: &[CertificateList]) -> Revocation {
    let mut oldest: Option<&x509_cert::time::Time> = None;
    for pair in path.windows(2) {
        let (cert, issuer) = (pair[0], pair[1]);
        // Every CRL of this issuer that it really signed; a certificate any of them lists
        // is revoked, and the newest says how fresh the answer is.
        let by_issuer: Vec<&CertificateList> = crls
            .iter()
            .filter(|crl| {
                crl.tbs_cert_list.issuer == *issuer.tbs_certificate().subject()
                    && crl.tbs_cert_list.to_der().is_ok_and(|tbs| {
                        algorithms::verify(
                            issuer.tbs_certificate().subject_public_key_info(),
                            &crl.signature_algorithm,
                            None,
                            Input::Message(&tbs),
                            crl.signature.raw_bytes(),
                        )
                        .is_ok()
                    })
            })
            .collect();
        let serial = cert.tbs_certificate().serial_number();
        if let Some(entry) = by_issuer
            .iter()
            .flat_map(|crl| crl.tbs_cert_list.revoked_certificates.iter().flatten())
            .find(|e| e.serial_number == *serial)
        {
            return Revocation::Revoked {
                subject: cert.tbs_certificate().subject().to_string(),
                at: rfc3339(&entry.revocation_date),
                at_unix: entry.revocation_date.to_unix_duration().as_secs() as i64,
            };
        }
        let Some(newest) = by_issuer
            .iter()
            .map(|crl| &crl.tbs_cert_list.this_update)
            .max_by_key(|t| t.to_unix_duration())
        else {
            return Revocation::Unknown;
        };
        if oldest.is_none_or(|o| newest.to_unix_duration() < o.to_unix_duration()) {
            oldest = Some(newest);
        }
    }
    match oldest {
        Some(t) => Revocation::Good { oldest: rfc3339(t) },
        None => Revocation::Unknown,
    }
}

/// Most CA certificates between a signer and a root (national root, licensed CA, and a
/// few more in any real hierarchy).
const MAX_CHAIN: usize = 5;

/// Build the chain from `cert` through CA certificates carried in the CMS (each one
/// marked a CA, each link's signature checked) to one of `roots`.
fn chain<'a>(
    cert: &'a Certificate,
    pool: &'a [Certificate],
    roots: &'a [Certificate],
) -> Chain<'a> {
    let mut path = vec![cert];
    let mut unsupported = None;
    let mut issued = |issuer: &Certificate, child: &Certificate| {
        if issuer.tbs_certificate().subject() != child.tbs_certificate().issuer() {
            return false;
        }
        let Ok(tbs) = child.tbs_certificate().to_der() else {
            return false;
        };
        match algorithms::verify(
            issuer.tbs_certificate().subject_public_key_info(),
            child.signature_algorithm(),
            None,
            Input::Message(&tbs),
            child.signature().raw_bytes(),
        ) {
            Ok(()) => true,
            Err(Failure::Unsupported(what)) => {
                unsupported = Some(what);
                false
            }
            Err(Failure::Wrong) => false,
        }
    };
    for _ in 0..=MAX_CHAIN {
        let current = *path.last().expect("the signer");
        if let Some(root) = roots.iter().find(|root| issued(root, current)) {
            path.push(root);
            return Chain::Trusted(path);
        }
        let next = pool
            .iter()
            .find(|c| !path.iter().any(|p| p == c) && is_ca(c) && issued(c, current));
        match next {
            Some(c) => path.push(c),
            None => break,
        }
    }
    match unsupported {
        Some(what) => Chain::Undecided(what),
        None => Chain::Untrusted,
    }
}

/// The certificate says it is a CA (basicConstraints cA).
fn is_ca(c: &Certificate) -> bool {
    c.tbs_certificate()
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca)
}

/// Length of the DER element at the start of `bytes`.
fn der_length(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize).filter(|&n| n <= bytes.len());
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let len = bytes
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    Some(2 + n + len).filter(|&t| t <= bytes.len())
}

/// Where the hex string of `/Contents` starts in the object at `offset`.
fn raw_contents_offset(pdf: &[u8], offset: usize) -> Option<usize> {
    let obj = pdf.get(offset..)?;
    let end = obj.windows(6).position(|w| w == b"endobj")?;
    let body = &obj[..end];
    let key = body.windows(9).position(|w| w == b"/Contents")?;
    let mut at = key + 9;
    while body.get(at)?.is_ascii_whitespace() {
        at += 1;
    }
    (body.get(at) == Some(&b'<')).then_some(offset + at)
}

/// Unix seconds of a PDF date `D:YYYYMMDDHHmmSS[Z|+hh'mm']`.
fn pdf_time(s: &str) -> Option<i64> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6).unwrap_or(1), num(6..8).unwrap_or(1));
    let (h, mi, sec) = (
        num(8..10).unwrap_or(0),
        num(10..12).unwrap_or(0),
        num(12..14).unwrap_or(0),
    );
    // days_from_civil (Howard Hinnant)
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut t = days * 86_400 + h * 3600 + mi * 60 + sec;
    if let Some(tz) = s.get(14..) {
        let sign = match tz.chars().next() {
            Some('+') => -1,
            Some('-') => 1,
            _ => 0,
        };
        if sign != 0 {
            let digits: String = tz.chars().filter(char::is_ascii_digit).collect();
            let oh = digits
                .get(0..2)
                .and_then(|x| x.parse::<i64>().ok())
                .unwrap_or(0);
            let om = digits
                .get(2..4)
                .and_then(|x| x.parse::<i64>().ok())
                .unwrap_or(0);
            t += sign * (oh * 3600 + om * 60);
        }
    }
    Some(t)
}

/// Everything after `revision_end` must be well-formed incremental updates that only
/// add signatures (and their fields), or validation data.
fn later_revisions_allowed(pdf: &[u8], full: &Document, revision_end: usize) -> Result<(), String> {
    let options = lopdf::LoadOptions {
        strict: true,
        max_decompressed_size: Some(64 << 20),
        ..Default::default()
    };
    let signed = Document::load_mem_with_options(&pdf[..revision_end], options)
        .map_err(|_| "the signed revision does not stand on its own".to_string())?;
    // The update must be a revision: it ends with %%EOF and its startxref points into it.
    let tail = &pdf[revision_end..];
    let trimmed = tail.trim_ascii_end();
    if !trimmed.ends_with(b"%%EOF") || full.xref_start < revision_end {
        return Err("bytes after the signed revision that are not a well-formed revision".into());
    }
    if full.trailer.get(b"Info").ok() != signed.trailer.get(b"Info").ok() {
        return Err("the document information (/Info) changed after signing".into());
    }
    let ser = |o: &Object| {
        let mut v = Vec::new();
        let _ = lopdf::Writer::write_object(&mut v, o);
        if let Object::Stream(s) = o {
            v.extend_from_slice(&s.content);
        }
        v
    };
    let before: BTreeMap<ObjectId, &Object> = signed.objects.iter().map(|(k, v)| (*k, v)).collect();
    let root_id = full
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok();
    let page1 = full.get_pages().get(&1).copied();
    let data = validation_data(full, root_id);
    for (id, obj) in &full.objects {
        match before.get(id) {
            Some(old) if ser(old) == ser(obj) => {}
            Some(old) => {
                if !allowed_change(full, *id, old, obj, root_id, page1) {
                    return Err(format!(
                        "object {} {} was changed after signing",
                        id.0, id.1
                    ));
                }
            }
            None => {
                if !allowed_addition(*id, obj, &data) {
                    return Err(format!("object {} {} was added after signing", id.0, id.1));
                }
            }
        }
    }
    if let Some(gone) = before.keys().find(|k| !full.objects.contains_key(k)) {
        return Err(format!(
            "object {} {} was removed after signing",
            gone.0, gone.1
        ));
    }
    Ok(())
}

fn dict_of(o: &Object) -> Option<&lopdf::Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// A dictionary equal to `old` but for the keys in `free`.
fn same_but(old: &lopdf::Dictionary, new: &lopdf::Dictionary, free: &[&[u8]]) -> bool {
    let keys = |d: &lopdf::Dictionary| -> Vec<Vec<u8>> {
        d.iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !free.contains(&k.as_slice()))
            .collect()
    };
    let (ko, kn) = (keys(old), keys(new));
    ko.len() == kn.len()
        && ko.iter().all(|k| {
            old.get(k).ok().map(|v| format!("{v:?}")) == new.get(k).ok().map(|v| format!("{v:?}"))
        })
}

/// Arrays where `new` starts with all of `old`.
fn grows(old: Option<&Object>, new: Option<&Object>) -> bool {
    let empty = vec![];
    let o = old.and_then(|o| o.as_array().ok()).unwrap_or(&empty);
    match new.and_then(|n| n.as_array().ok()) {
        Some(n) => n.len() >= o.len() && n[..o.len()] == o[..],
        None => o.is_empty(),
    }
}

fn allowed_change(
    full: &Document,
    id: ObjectId,
    old: &Object,
    new: &Object,
    root: Option<ObjectId>,
    page1: Option<ObjectId>,
) -> bool {
    let (Some(o), Some(n)) = (dict_of(old), dict_of(new)) else {
        return false;
    };
    if matches!(old, Object::Stream(_)) || matches!(new, Object::Stream(_)) {
        return false;
    }
    if Some(id) == root {
        // The catalog may gain validation data, nothing else.
        return same_but(o, n, &[b"DSS"]);
    }
    if is_dss(o) {
        // A DSS may grow (a later B-LTA renewal), and stays a DSS.
        return is_dss(n);
    }
    if Some(id) == page1 {
        // Page 1 may gain signature widgets in /Annots, nothing else.
        let added_sig_widgets = grows(o.get(b"Annots").ok(), n.get(b"Annots").ok())
            && n.get(b"Annots")
                .and_then(Object::as_array)
                .map(|a| {
                    a.iter()
                        .skip(
                            o.get(b"Annots")
                                .and_then(Object::as_array)
                                .map_or(0, Vec::len),
                        )
                        .all(|w| {
                            w.as_reference()
                                .ok()
                                .and_then(|r| full.get_dictionary(r).ok())
                                .is_some_and(is_signature_widget)
                        })
                })
                .unwrap_or(false);
        return added_sig_widgets && same_but(o, n, &[b"Annots"]);
    }
    // The AcroForm may gain signature fields.
    if o.has(b"Fields") {
        let new_fields_are_sigs = n
            .get(b"Fields")
            .and_then(Object::as_array)
            .map(|a| {
                a.iter()
                    .skip(
                        o.get(b"Fields")
                            .and_then(Object::as_array)
                            .map_or(0, Vec::len),
                    )
                    .all(|f| {
                        f.as_reference()
                            .ok()
                            .and_then(|r| full.get_dictionary(r).ok())
                            .is_some_and(is_signature_widget)
                    })
            })
            .unwrap_or(false);
        return grows(o.get(b"Fields").ok(), n.get(b"Fields").ok())
            && new_fields_are_sigs
            && same_but(o, n, &[b"Fields", b"SigFlags"]);
    }
    false
}

fn is_signature_widget(d: &lopdf::Dictionary) -> bool {
    d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice())
        && d.get(b"Rect")
            .and_then(Object::as_array)
            .is_ok_and(|r| r.iter().all(|v| v.as_float().is_ok_and(|x| x == 0.0)))
}

/// Only these keys: nothing in it can change what a page shows.
fn keys_within(d: &lopdf::Dictionary, allowed: &[&[u8]]) -> bool {
    d.iter().all(|(k, _)| allowed.contains(&k.as_slice()))
}

/// A Document Security Store dictionary (ETSI EN 319 142-1 §5.4.2) and nothing more.
fn is_dss(d: &lopdf::Dictionary) -> bool {
    d.get(b"Type").and_then(Object::as_name).ok() == Some(b"DSS".as_slice())
        && keys_within(d, &[b"Type", b"Certs", b"CRLs", b"OCSPs", b"VRI"])
}

/// The objects the catalog's /DSS names as validation data: its certificate, CRL and
/// OCSP streams, its VRI dictionaries and theirs.
fn validation_data(full: &Document, root: Option<ObjectId>) -> std::collections::HashSet<ObjectId> {
    let mut out = std::collections::HashSet::new();
    let resolve = |o: &Object| -> Option<(Option<ObjectId>, lopdf::Dictionary)> {
        match o {
            Object::Reference(id) => full
                .get_dictionary(*id)
                .ok()
                .map(|d| (Some(*id), d.clone())),
            Object::Dictionary(d) => Some((None, d.clone())),
            _ => None,
        }
    };
    let refs_in =
        |d: &lopdf::Dictionary, keys: &[&[u8]], out: &mut std::collections::HashSet<ObjectId>| {
            for k in keys {
                if let Ok(Object::Array(a)) = d.get(k) {
                    out.extend(a.iter().filter_map(|r| r.as_reference().ok()));
                }
            }
        };
    let Some(dss) = root
        .and_then(|r| full.get_dictionary(r).ok())
        .and_then(|c| c.get(b"DSS").ok())
        .and_then(resolve)
    else {
        return out;
    };
    refs_in(&dss.1, &[b"Certs", b"CRLs", b"OCSPs"], &mut out);
    if let Some((vri_id, vri)) = dss.1.get(b"VRI").ok().and_then(resolve) {
        out.extend(vri_id);
        for (_, entry) in vri.iter() {
            if let Some((id, e)) = resolve(entry) {
                out.extend(id);
                refs_in(&e, &[b"Cert", b"CRL", b"OCSP"], &mut out);
            }
        }
    }
    out
}

fn allowed_addition(
    id: ObjectId,
    obj: &Object,
    data: &std::collections::HashSet<ObjectId>,
) -> bool {
    let Some(d) = dict_of(obj) else { return false };
    if data.contains(&id) {
        return match obj {
            // A certificate, CRL or OCSP response: bytes that nothing draws.
            Object::Stream(_) => keys_within(d, &[b"Length", b"Filter", b"DecodeParms"]),
            // The VRI dictionary (keyed by signature hash) or one of its entries.
            _ => {
                keys_within(d, &[b"Type", b"Cert", b"CRL", b"OCSP", b"TU", b"TS"])
                    || d.iter()
                        .all(|(_, v)| matches!(v, Object::Reference(_) | Object::Dictionary(_)))
            }
        };
    }
    let ty = d.get(b"Type").and_then(Object::as_name).ok();
    match ty {
        // A later signature: verified on its own as another field of the report.
        Some(b"Sig") | Some(b"DocTimeStamp") => !matches!(obj, Object::Stream(_)),
        Some(b"DSS") => !matches!(obj, Object::Stream(_)) && is_dss(d),
        Some(b"Annot") => is_signature_widget(d),
        _ => false,
    }
}

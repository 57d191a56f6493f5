//! PAdES signatures in incremental updates: the file before stays byte for byte, and
//! one new revision adds the signature field, its widget on page 1 and the signature
//! dictionary. `/ByteRange` is `[0 a b c]` covering the whole file except this
//! signature's `/Contents`; the CMS goes into `/Contents`, which leaves room for a later
//! timestamp. A document timestamp is the same kind of revision with a `/DocTimeStamp`.
//! On the first signature the catalog declares, for an Ed25519 key,
//! `/Version /2.0` and the ISO 32002 extension (EdDSA in PDF); for a P-256 key, the ETSI
//! extension to PDF 1.7 (`/ESIC`, PAdES), which readers of PDF 1.7 know.

use std::fmt::Write as _;

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};
use x509_cert::certificate::Certificate;

use super::key::{SealAlgorithm, SecretKey};
use super::tsp::{MessageImprint, TimeStamper};
use super::{SigningError, cades};

/// Bytes reserved for the CMS in `/Contents` (hex doubles them).
pub const CONTENTS_BYTES: usize = 16 * 1024;
const BYTE_RANGE_WIDTH: usize = 10;

/// Who signs and why; written into the signature dictionary.
#[derive(Debug, Clone)]
pub struct SignatureInfo {
    /// The signer's name (`/Name`).
    pub name: String,
    /// Why (`/Reason`), e.g. "Số hóa bản chính" or "Đóng dấu của cơ quan".
    pub reason: String,
    /// Signing time, Unix seconds (`/M`).
    pub time: i64,
    /// The vault's document id (`/Kho_DocumentID`), so a verifier can find the vault's
    /// record of a copy that is no longer byte-identical.
    pub document_id: Option<String>,
}

pub(super) fn pdf_err(e: impl std::fmt::Display) -> SigningError {
    SigningError::Pdf(e.to_string())
}

/// A PDF text string, UTF-16BE with BOM, as a hex string.
fn text(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for u in s.encode_utf16() {
        let _ = write!(out, "{u:04X}");
    }
    out.push('>');
    out
}

/// `D:YYYYMMDDHHmmSSZ` for Unix seconds (UTC).
pub fn pdf_date(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = super::civil(unix);
    format!("D:{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z")
}

pub(super) fn serialize(obj: &Object) -> Result<Vec<u8>, SigningError> {
    let mut out = Vec::new();
    lopdf::Writer::write_object(&mut out, obj).map_err(pdf_err)?;
    Ok(out)
}

/// Offset of the last `startxref` value of `pdf`.
fn last_startxref(pdf: &[u8]) -> Result<usize, SigningError> {
    let tail_start = pdf.len().saturating_sub(1024);
    let tail = &pdf[tail_start..];
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| pdf_err("no startxref"))?;
    let rest = std::str::from_utf8(&tail[at + 9..]).map_err(pdf_err)?;
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| pdf_err("malformed startxref"))
}

/// The file's next free object number (`/Size`), its catalog and the offset of its last
/// cross-reference section: what an incremental update starts from.
pub(super) fn update_base(
    pdf: &[u8],
    doc: &Document,
) -> Result<(u32, ObjectId, usize), SigningError> {
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .map_err(pdf_err)? as u32;
    let root_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf_err)?;
    Ok((size, root_id, last_startxref(pdf)?))
}

/// Append `objects` (each serialized body) to `out` as they stand, with their offsets
/// for [`finish_update`].
pub(super) fn write_objects(
    out: &mut Vec<u8>,
    objects: &[(ObjectId, Vec<u8>)],
    offsets: &mut Vec<(u32, usize)>,
) {
    for (id, body) in objects {
        offsets.push((id.0, out.len()));
        out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
}

/// Close an incremental update: the cross-reference section for the objects at
/// `offsets`, and a trailer pointing back to the previous one (`prev`).
pub(super) fn finish_update(
    out: &mut Vec<u8>,
    mut offsets: Vec<(u32, usize)>,
    size: u32,
    root_id: ObjectId,
    prev: usize,
    doc: &Document,
) -> Result<(), SigningError> {
    let xref_at = out.len();
    offsets.sort();
    let mut xref = String::from("xref\n");
    for (id, off) in &offsets {
        let _ = write!(xref, "{id} 1\n{off:010} 00000 n \n");
    }
    let new_size = offsets
        .iter()
        .map(|(id, _)| id + 1)
        .max()
        .unwrap_or(size)
        .max(size);
    let mut trailer = dictionary! {
        "Size" => new_size as i64,
        "Root" => Object::Reference(root_id),
        "Prev" => prev as i64,
    };
    if let Ok(id) = doc.trailer.get(b"ID") {
        trailer.set("ID", id.clone());
    }
    out.extend_from_slice(xref.as_bytes());
    out.extend_from_slice(b"trailer\n");
    out.extend_from_slice(&serialize(&Object::Dictionary(trailer))?);
    out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    Ok(())
}

/// Sign `pdf` in a new revision with `key`, whose certificate is `chain[0]`; with a
/// `stamper`, the signature carries a signature timestamp (PAdES B-T).
pub fn sign(
    pdf: &[u8],
    key: &SecretKey,
    chain: &[Certificate],
    info: &SignatureInfo,
    stamper: Option<&TimeStamper>,
) -> Result<Vec<u8>, SigningError> {
    let doc_key = info
        .document_id
        .as_deref()
        .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|id| format!("/Kho_DocumentID ({id}) "))
        .unwrap_or_default();
    let head = format!(
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M ({}) /Name {} /Reason {} {doc_key}/ByteRange ",
        pdf_date(info.time),
        text(&info.name),
        text(&info.reason)
    );
    signature_revision(pdf, &head, Some(key.algorithm()), |before, after| {
        let digest = cades::message_digest(key.algorithm(), &[before, after]);
        let cms = cades::sign_digest(&digest, key, chain)?;
        match stamper {
            Some(s) => s.stamp_signature(&cms),
            None => Ok(cms),
        }
    })
}

/// A document timestamp (PAdES B-LTA, ETSI EN 319 142-1 §5.5) in a new revision: a
/// `/DocTimeStamp` whose `/Contents` is an RFC 3161 token over the file's bytes, so
/// everything before it, the validation data included, is proven to have existed then.
pub fn timestamp(pdf: &[u8], stamper: &TimeStamper) -> Result<Vec<u8>, SigningError> {
    let head = "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange ";
    signature_revision(pdf, head, None, |before, after| {
        stamper.stamp(&MessageImprint::sha256(&[before, after])?)
    })
}

/// Add a revision holding a signature field whose value dictionary starts with `head`
/// (which ends at `/ByteRange `); `contents` makes the `/Contents` bytes from the two
/// signed ranges. On the first signature the catalog declares the PDF extension
/// `algorithm` needs.
fn signature_revision(
    pdf: &[u8],
    head: &str,
    algorithm: Option<SealAlgorithm>,
    contents: impl FnOnce(&[u8], &[u8]) -> Result<Vec<u8>, SigningError>,
) -> Result<Vec<u8>, SigningError> {
    let doc = Document::load_mem(pdf).map_err(pdf_err)?;
    let (size, root_id, prev) = update_base(pdf, &doc)?;
    let mut catalog = doc.get_dictionary(root_id).map_err(pdf_err)?.clone();
    let page_id = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| pdf_err("no page 1"))?;
    let mut page = doc.get_dictionary(page_id).map_err(pdf_err)?.clone();

    // The AcroForm: an indirect object, so a later signature rewrites only it.
    let (acroform_id, mut acroform, new_acroform) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (
            *id,
            doc.get_dictionary(*id).map_err(pdf_err)?.clone(),
            false,
        ),
        Ok(Object::Dictionary(d)) => ((size + 2, 0), d.clone(), true),
        _ => ((size + 2, 0), Dictionary::new(), true),
    };
    let sig_id: ObjectId = (size, 0);
    let field_id: ObjectId = (size + 1, 0);
    let mut fields = match acroform.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        _ => vec![],
    };
    let field_name = format!("Sig{}", fields.len() + 1);
    fields.push(Object::Reference(field_id));
    acroform.set("Fields", fields);
    acroform.set("SigFlags", 3);
    let mut annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => doc
            .get_object(*r)
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => vec![],
    };
    annots.push(Object::Reference(field_id));
    page.set("Annots", annots);

    let mut changed: Vec<(ObjectId, Vec<u8>)> = Vec::new();
    if new_acroform {
        catalog.set("AcroForm", Object::Reference(acroform_id));
        match algorithm {
            None => {}
            Some(SealAlgorithm::Ed25519) => {
                catalog.set("Version", Object::Name(b"2.0".to_vec()));
                // ISO 32002: EdDSA signatures in PDF 2.0.
                catalog.set(
                    "Extensions",
                    dictionary! {
                        "ISO_" => vec![Object::Dictionary(dictionary! {
                            "BaseVersion" => Object::Name(b"2.0".to_vec()),
                            "ExtensionLevel" => 32002,
                            "ExtensionRevision" => Object::string_literal(":2022"),
                            "URL" => Object::string_literal("https://www.iso.org/standard/45874.html"),
                        })],
                    },
                );
            }
            Some(SealAlgorithm::P256) => {
                // ETSI EN 319 142-1: PAdES signatures in PDF 1.7.
                catalog.set(
                    "Extensions",
                    dictionary! {
                        "ESIC" => Object::Dictionary(dictionary! {
                            "BaseVersion" => Object::Name(b"1.7".to_vec()),
                            "ExtensionLevel" => 2,
                        }),
                    },
                );
            }
        }
        changed.push((root_id, serialize(&Object::Dictionary(catalog))?));
    }
    changed.push((acroform_id, serialize(&Object::Dictionary(acroform))?));
    changed.push((page_id, serialize(&Object::Dictionary(page))?));
    let field = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal(field_name),
        "V" => Object::Reference(sig_id),
        "F" => 132,
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        "P" => Object::Reference(page_id),
    };
    changed.push((field_id, serialize(&Object::Dictionary(field))?));

    // The signature dictionary, written by hand: every value direct, fixed widths.
    let placeholder = format!("[0 {0:>w$} {0:>w$} {0:>w$}]", 0, w = BYTE_RANGE_WIDTH);

    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, usize)> = Vec::new();
    let start = out.len();
    offsets.push((sig_id.0, start));
    out.extend_from_slice(format!("{} 0 obj\n", sig_id.0).as_bytes());
    out.extend_from_slice(head.as_bytes());
    let byte_range_at = out.len();
    out.extend_from_slice(placeholder.as_bytes());
    out.extend_from_slice(b" /Contents ");
    let contents_start = out.len();
    out.push(b'<');
    out.extend(std::iter::repeat_n(b'0', CONTENTS_BYTES * 2));
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b" >>\nendobj\n");
    write_objects(&mut out, &changed, &mut offsets);
    finish_update(&mut out, offsets, size, root_id, prev, &doc)?;

    // Fill in /ByteRange, hash the two ranges, put the CMS into the gap.
    let len = out.len();
    let range = format!(
        "[0 {:>w$} {:>w$} {:>w$}]",
        contents_start,
        contents_end,
        len - contents_end,
        w = BYTE_RANGE_WIDTH
    );
    if range.len() != placeholder.len() {
        return Err(pdf_err("file too large for the ByteRange field"));
    }
    out[byte_range_at..byte_range_at + range.len()].copy_from_slice(range.as_bytes());
    let cms = contents(&out[..contents_start], &out[contents_end..])?;
    if cms.len() > CONTENTS_BYTES {
        return Err(SigningError::Cms(format!(
            "signature of {} bytes does not fit the {CONTENTS_BYTES} reserved",
            cms.len()
        )));
    }
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    out[contents_start + 1..contents_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

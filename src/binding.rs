//! What binds a pushed, signed PDF to the agency pushing it and to the owner it is
//! pushed for (issue 18): every signature must be the pushing agency's, the PDF must not
//! name another owner (in its XMP, or as a document the vault already holds), and the
//! metadata sent with it must not contradict what its signed XMP says.

use lopdf::{Document, Object};

use crate::signing::keys::{Agency, KeyRecord};
use crate::verify::SignatureReport;

/// What a Kho-style XMP packet says (`kho:` properties), where the PDF has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpFields {
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    /// Personal IDs and tax codes the document names.
    pub subjects: Vec<String>,
}

/// The `kho:` properties of the catalog's XMP metadata stream.
pub fn xmp_fields(pdf: &[u8]) -> XmpFields {
    let Some(xml) = xmp(pdf) else {
        return XmpFields::default();
    };
    let one = |name: &str| {
        let open = format!("<kho:{name}>");
        let close = format!("</kho:{name}>");
        let start = xml.find(&open)? + open.len();
        let end = start + xml[start..].find(&close)?;
        Some(unescape(xml[start..end].trim()))
    };
    let mut subjects = Vec::new();
    for name in ["PersonalIds", "TaxCodes"] {
        if let Some(bag) = one(name) {
            let mut rest = bag.as_str();
            while let Some(at) = rest.find("<rdf:li>") {
                let from = at + "<rdf:li>".len();
                let Some(len) = rest[from..].find("</rdf:li>") else {
                    break;
                };
                subjects.push(rest[from..from + len].trim().to_owned());
                rest = &rest[from + len..];
            }
        }
    }
    XmpFields {
        doc_type: one("DocumentType"),
        number: one("Number"),
        issued_on: one("IssuedOn"),
        subjects,
    }
}

fn xmp(pdf: &[u8]) -> Option<String> {
    let options = lopdf::LoadOptions {
        strict: false,
        max_decompressed_size: Some(16 << 20),
        ..Default::default()
    };
    let doc = Document::load_mem_with_options(pdf, options).ok()?;
    let id = doc
        .catalog()
        .ok()?
        .get(b"Metadata")
        .ok()?
        .as_reference()
        .ok()?;
    let Object::Stream(s) = doc.get_object(id).ok()? else {
        return None;
    };
    let bytes = s
        .decompressed_content()
        .unwrap_or_else(|_| s.content.clone());
    (bytes.len() <= 4 << 20).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Is this signature the agency's? A Kho key (found by its certificate's serial) must be
/// one of the agency's; any other certificate (under an issuing agency's root) must name
/// the agency — its code or its full name — as its organization (O) or common name (CN).
pub fn signed_by_agency(sig: &SignatureReport, agency: &Agency, kho_keys: &[KeyRecord]) -> bool {
    if let Some(key) = sig
        .serial
        .as_deref()
        .and_then(|s| kho_keys.iter().find(|k| k.serial.eq_ignore_ascii_case(s)))
    {
        return key.agency.as_deref() == Some(agency.code.as_str());
    }
    let Some(subject) = sig.signer.as_deref() else {
        return false;
    };
    subject_values(subject, &["O", "CN"])
        .iter()
        .any(|v| v == &agency.code || v.to_lowercase() == agency.name.to_lowercase())
}

/// The values of the named attributes in an RFC 4514 distinguished name.
fn subject_values(dn: &str, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut part = String::new();
    let mut chars = dn.chars().peekable();
    let mut parts = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    part.push(n);
                }
            }
            ',' | '+' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && names.iter().any(|n| n.eq_ignore_ascii_case(k.trim()))
        {
            out.push(v.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_names_its_agency_by_organization_or_common_name() {
        let v = subject_values(r"CN=Nguyễn Văn An,O=Sở Tư pháp\, Hà Nội,C=VN", &["O", "CN"]);
        assert_eq!(v, vec!["Nguyễn Văn An", "Sở Tư pháp, Hà Nội"]);
    }
}

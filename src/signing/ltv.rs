//! Long-term validation material (PAdES baseline B-LT, ETSI EN 319 142-1 §5.4): after
//! the signatures, one more incremental update adds a `/DSS` to the catalog holding every
//! certificate of the signers' chains and a fresh CRL of their issuer, so the file
//! validates with no network. Nothing the signatures cover changes; a DSS already there
//! is kept and grows.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use x509_cert::certificate::Certificate;

use super::SigningError;
use super::pades::{finish_update, pdf_err, serialize, update_base, write_objects};

/// The bytes of the streams an array of the DSS (`/Certs`, `/CRLs`) points to.
fn stream_contents(doc: &Document, dss: &Dictionary, key: &[u8]) -> Vec<(Object, Vec<u8>)> {
    let Ok(Object::Array(items)) = dss.get(key) else {
        return vec![];
    };
    items
        .iter()
        .filter_map(|item| {
            let id = item.as_reference().ok()?;
            let stream = doc.get_object(id).ok()?.as_stream().ok()?;
            let bytes = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            Some((item.clone(), bytes))
        })
        .collect()
}

/// `pdf` with its DSS holding `certificates` and `crls` (DER) besides what it held.
pub fn add_dss(
    pdf: &[u8],
    certificates: &[Certificate],
    crls: &[Vec<u8>],
) -> Result<Vec<u8>, SigningError> {
    let doc = Document::load_mem(pdf).map_err(pdf_err)?;
    let (size, root_id, prev) = update_base(pdf, &doc)?;
    let mut catalog = doc.get_dictionary(root_id).map_err(pdf_err)?.clone();
    let (dss_id, old) = match catalog.get(b"DSS") {
        Ok(Object::Reference(id)) => (Some(*id), doc.get_dictionary(*id).ok().cloned()),
        Ok(Object::Dictionary(d)) => (None, Some(d.clone())),
        _ => (None, None),
    };
    let old = old.unwrap_or_default();
    let mut next = size;
    let mut objects: Vec<(ObjectId, Vec<u8>)> = Vec::new();
    let mut dss = dictionary! { "Type" => "DSS" };
    for (key, wanted) in [
        (
            b"Certs".as_slice(),
            certificates
                .iter()
                .map(super::certs::to_der)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (b"CRLs".as_slice(), crls.to_vec()),
    ] {
        let held = stream_contents(&doc, &old, key);
        let mut refs: Vec<Object> = held.iter().map(|(r, _)| r.clone()).collect();
        let mut seen: Vec<Vec<u8>> = held.into_iter().map(|(_, b)| b).collect();
        for der in wanted {
            if seen.contains(&der) {
                continue;
            }
            let id: ObjectId = (next, 0);
            next += 1;
            let body = serialize(&Object::Stream(Stream::new(Dictionary::new(), der.clone())))?;
            objects.push((id, body));
            refs.push(Object::Reference(id));
            seen.push(der);
        }
        if !refs.is_empty() {
            dss.set(key, refs);
        }
    }
    // Whatever else the DSS held (OCSP responses, VRI) stays.
    for (k, v) in old.iter() {
        if !dss.has(k) {
            dss.set(k.clone(), v.clone());
        }
    }
    let dss_id = dss_id.unwrap_or_else(|| {
        let id = (next, 0);
        next += 1;
        id
    });
    objects.push((dss_id, serialize(&Object::Dictionary(dss))?));
    if catalog.get(b"DSS").ok() != Some(&Object::Reference(dss_id)) {
        catalog.set("DSS", Object::Reference(dss_id));
        objects.push((root_id, serialize(&Object::Dictionary(catalog))?));
    }

    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets = Vec::new();
    write_objects(&mut out, &objects, &mut offsets);
    finish_update(&mut out, offsets, size.max(next), root_id, prev, &doc)?;
    Ok(out)
}

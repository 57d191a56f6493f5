//! PDF pages → page images.
//!
//! A page that is one plain scanned image (its content only places that image) is read
//! from the image's stream without rendering: DCT (JPEG, kept byte for byte when the page
//! is not rotated), Flate or no filter (raw grey, RGB or CMYK samples, 1 or 8 bits), CCITT
//! fax (Group 4, and one-dimensional Group 3) and JBIG2 (embedded organization, with its
//! globals); its resolution is the image width over the page width. Every other page —
//! born-digital text, vector art, an image in a form or under a mask, Indexed, ICC-only,
//! Lab or CMYK JPEG colour, JPEG 2000, filter chains — is rendered by hayro
//! ([`super::render`]). Encrypted files, files carrying active content and files that are
//! already signed are refused with the reason; an image whose data ends early is never
//! read as if whole.

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::render::{self, Renderer};
use super::{DecodedPage, Limits, check_dimensions, page, whole};
use crate::PipelineError;

fn corrupt(what: impl std::fmt::Display) -> PipelineError {
    PipelineError::Corrupt(format!("PDF: {what}"))
}

fn unsupported(what: impl std::fmt::Display) -> PipelineError {
    PipelineError::Unsupported(format!("PDF: {what}"))
}

fn load(bytes: &[u8], limits: &Limits) -> Result<Document, PipelineError> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some((limits.max_pixels * 4) as usize),
        ..Default::default()
    };
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => {
            unsupported("the file is encrypted")
        }
        other => corrupt(other),
    })?;
    if doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(unsupported("the file is encrypted"));
    }
    if let Some(what) = active_content(&doc) {
        return Err(unsupported(format!(
            "the file carries {what}; a scan is refused with active content"
        )));
    }
    Ok(doc)
}

/// Every dictionary in the file, a stream's included, however deeply it is nested in
/// another object (references are not followed: each object is visited once).
fn dictionaries(doc: &Document) -> impl Iterator<Item = &Dictionary> {
    let mut todo: Vec<&Object> = doc.objects.values().collect();
    std::iter::from_fn(move || {
        while let Some(object) = todo.pop() {
            match object {
                Object::Dictionary(d) => {
                    todo.extend(d.iter().map(|(_, v)| v));
                    return Some(d);
                }
                Object::Stream(s) => {
                    todo.extend(s.dict.iter().map(|(_, v)| v));
                    return Some(&s.dict);
                }
                Object::Array(items) => todo.extend(items),
                _ => {}
            }
        }
        None
    })
}

fn name_is(dict: &Dictionary, key: &[u8], value: &[u8]) -> bool {
    dict.get(key)
        .and_then(Object::as_name)
        .is_ok_and(|n| n == value)
}

/// Signature dictionaries (a signature or a document timestamp: a /ByteRange with its
/// /Contents, or /Type /Sig or /DocTimeStamp) anywhere in the file.
fn signatures(doc: &Document) -> usize {
    dictionaries(doc)
        .filter(|d| {
            (d.has(b"ByteRange") && d.has(b"Contents"))
                || name_is(d, b"Type", b"Sig")
                || name_is(d, b"Type", b"DocTimeStamp")
        })
        .count()
}

/// What a scan has no business carrying: scripts, launch actions, embedded files.
/// Kho never runs or copies them (the PDF it files is written afresh), but a scan that
/// holds them is not what a scanner makes, so it is refused rather than half-trusted.
fn active_content(doc: &Document) -> Option<&'static str> {
    dictionaries(doc).find_map(|d| {
        if d.has(b"JS") || d.has(b"JavaScript") || name_is(d, b"S", b"JavaScript") {
            Some("JavaScript")
        } else if name_is(d, b"S", b"Launch") {
            Some("a launch action")
        } else if d.has(b"EmbeddedFiles") || name_is(d, b"Type", b"EmbeddedFile") {
            Some("embedded files")
        } else {
            None
        }
    })
}

/// The page ids in order, within the page limit.
fn pages(doc: &Document, limits: &Limits) -> Result<Vec<ObjectId>, PipelineError> {
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if pages.is_empty() {
        return Err(corrupt("the file has no pages"));
    }
    if pages.len() > limits.max_pages {
        return Err(PipelineError::TooLarge(format!(
            "more than {} pages in one file",
            limits.max_pages
        )));
    }
    Ok(pages)
}

/// Pages and the size of the first page as it will be read, without decoding pixels.
///
/// This is the intake's door, so it also refuses a PDF that is already signed. Reading
/// pages ([`each_page`]) does not: Kho reads its own signed PDFs for previews.
pub(super) fn probe(bytes: &[u8], limits: &Limits) -> Result<(usize, u32, u32), PipelineError> {
    let doc = load(bytes, limits)?;
    let signed = signatures(&doc);
    if signed > 0 {
        return Err(PipelineError::Signed(format!(
            "the PDF carries {signed} digital signature{}, which digitizing it would break. \
             An issuing agency files its signed results through issuer push \
             (POST /api/v1/subjects/{{owner}}/documents); to check a signed file, use the \
             verifier (/verify)",
            if signed == 1 { "" } else { "s" }
        )));
    }
    let ids = pages(&doc, limits)?;
    check_images(&doc, limits, false)?;
    let mut renderer = None;
    let mut first = (0, 0);
    for (n, id) in ids.iter().enumerate() {
        let (w, h) = match scanned_image(&doc, *id) {
            Some((_, dict, _)) => image_size(dict)?,
            None => {
                let r = match &mut renderer {
                    Some(r) => r,
                    None => renderer.insert(Renderer::new(bytes)?),
                };
                rendered_size(&doc, r, *id, n, limits)?.0
            }
        };
        check_dimensions(w, h, limits)?;
        if n == 0 {
            first = (w, h);
        }
    }
    Ok((ids.len(), first.0, first.1))
}

/// Every page's image, one at a time, to `f`.
pub(super) fn each_page(
    bytes: &[u8],
    limits: &Limits,
    mut f: impl FnMut(DecodedPage) -> Result<(), PipelineError>,
) -> Result<usize, PipelineError> {
    let doc = load(bytes, limits)?;
    let ids = pages(&doc, limits)?;
    check_images(&doc, limits, false)?;
    let mut renderer = None;
    for (n, id) in ids.iter().enumerate() {
        let scanned = match scanned_image(&doc, *id) {
            // A stream this reader does not take (after all) is the renderer's; a
            // damaged one stays an error.
            Some(found) => match decode_page(&doc, *id, found, n + 1, limits) {
                Err(PipelineError::Unsupported(_)) => None,
                other => Some(other?),
            },
            None => None,
        };
        let page = match scanned {
            Some(page) => page,
            None => {
                let r = match &mut renderer {
                    Some(r) => r,
                    None => {
                        // What the renderer draws is checked whole first (a page read
                        // from its image checks its own samples).
                        check_images(&doc, limits, true)?;
                        renderer.insert(Renderer::new(bytes)?)
                    }
                };
                render_page(&doc, r, *id, n, limits)?
            }
        };
        f(page)?;
    }
    Ok(ids.len())
}

/// A page that is one plain scanned image: its content only sets the graphics state and
/// paints one image XObject of the page's own resources, with no mask, in a filter and
/// colour space read here. Anything else is rendered.
fn scanned_image(doc: &Document, page_id: ObjectId) -> Option<(ObjectId, &Dictionary, &[u8])> {
    let content = doc.get_and_decode_page_content(page_id).ok()?;
    let mut paints = 0;
    // Invisible text (render mode 3) is what scanner software and Kho itself lay over a
    // scan to make it searchable: it draws nothing, so the page is still its image.
    let mut invisible = false;
    for op in &content.operations {
        match op.operator.as_str() {
            "q" | "cm" | "gs" | "w" | "J" | "j" | "M" | "d" | "ri" | "i" => {}
            "BT" | "ET" | "Tf" | "Td" | "TD" | "Tm" | "T*" | "Tc" | "Tw" | "Tz" | "TL" | "Ts" => {}
            // Q may restore a visible mode set before its q.
            "Q" => invisible = false,
            "Tr" => {
                invisible = op.operands.first().and_then(|o| o.as_i64().ok()) == Some(3);
            }
            "Tj" | "TJ" | "'" | "\"" if invisible => {}
            "Do" => paints += 1,
            _ => return None,
        }
    }
    let images = doc.get_page_images(page_id).ok()?;
    if paints != 1 || images.len() != 1 {
        return None;
    }
    let image = images.into_iter().next()?;
    let dict = image.origin_dict;
    if dict.has(b"SMask") || dict.has(b"Mask") {
        return None;
    }
    let filters = filters(doc, dict).ok()?;
    let one_of = |names: &[&[u8]]| filters.len() == 1 && names.contains(&filters[0].as_slice());
    let colours = components(doc, dict).ok()?;
    let readable = filters.is_empty()
        || one_of(&[b"FlateDecode", b"Fl", b"LZWDecode", b"LZW"])
        || one_of(&[b"CCITTFaxDecode", b"CCF", b"JBIG2Decode"])
        // A CMYK JPEG's inversion (Adobe's, or a /Decode array) is the renderer's.
        || (one_of(&[b"DCTDecode", b"DCT"]) && colours != 4);
    readable.then_some((image.id, dict, image.content))
}

/// Every image XObject in the file, in forms and patterns too: within the pixel limits
/// by its header (before any renderer allocates it), and a JPEG's data whole; with
/// `samples`, a Flate or LZW image's samples too (decompressed, so only when the pages
/// are read, not at the door): a renderer would draw a cut one as far as it goes.
fn check_images(doc: &Document, limits: &Limits, samples: bool) -> Result<(), PipelineError> {
    for (id, object) in &doc.objects {
        let Object::Stream(stream) = object else {
            continue;
        };
        let is_image = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image");
        if !is_image {
            continue;
        }
        let (w, h) = image_size(&stream.dict)?;
        check_dimensions(w, h, limits)?;
        let filters = filters(doc, &stream.dict)?;
        let dct = matches!(filters.as_slice(), [f] if f == b"DCTDecode" || f == b"DCT");
        if dct && !whole::jpeg_complete(&stream.content) {
            let decoded =
                image::load_from_memory_with_format(&stream.content, image::ImageFormat::Jpeg)
                    .ok()
                    .filter(|i| (i.width(), i.height()) == (w, h));
            let reason = whole::jpeg_cut_reason(decoded.as_ref());
            return Err(corrupt(format!("image object {}: {reason}", id.0)));
        }
        let flate = matches!(filters.as_slice(), [f] if [b"FlateDecode".as_slice(), b"Fl", b"LZWDecode", b"LZW"].contains(&f.as_slice()));
        if samples && flate {
            samples_whole(doc, stream, (w, h), limits)
                .map_err(|m| corrupt(format!("image object {}: {m}", id.0)))?;
        }
    }
    Ok(())
}

/// A Flate or LZW image's samples fill its rows: the rows it has, when they do not.
fn samples_whole(
    doc: &Document,
    stream: &lopdf::Stream,
    (w, h): (u32, u32),
    limits: &Limits,
) -> Result<(), String> {
    let dict = &stream.dict;
    let mask = dict
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false);
    let indexed = dict
        .get(b"ColorSpace")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
        .and_then(|a| a.first()?.as_name().ok())
        .is_some_and(|n| n == b"Indexed" || n == b"I");
    let n = if mask || indexed {
        1
    } else {
        // A colour space not read here (Lab, DeviceN, …): nothing to compare with.
        let Ok(n) = components(doc, dict) else {
            return Ok(());
        };
        n as u64
    };
    let bpc = if mask {
        1
    } else {
        int(dict, b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as u64
    };
    let row = (w as u64 * n * bpc).div_ceil(8);
    let data = stream
        .decompressed_content_with_limit((limits.max_pixels * 4) as usize)
        .map_err(|e| {
            format!(
                "the image data ends early or is damaged ({e}); part of the page is missing — \
                 scan it again"
            )
        })?;
    let rows = data.len() as u64 / row.max(1);
    if rows < h as u64 {
        return Err(whole::cut_reason("image", Some((rows as u32, h))));
    }
    Ok(())
}

/// /UserUnit of the page (PDF 1.6): the size of its unit in points.
fn user_unit(doc: &Document, page_id: ObjectId) -> f32 {
    doc.get_dictionary(page_id)
        .ok()
        .and_then(|d| d.get(b"UserUnit").ok())
        .and_then(|o| o.as_float().ok())
        .filter(|u| (0.1..=100.0).contains(u))
        .unwrap_or(1.0)
}

/// The pixel size a rendered page will have, and its resolution.
fn rendered_size(
    doc: &Document,
    renderer: &Renderer,
    page_id: ObjectId,
    index: usize,
    limits: &Limits,
) -> Result<((u32, u32), f32), PipelineError> {
    let unit = user_unit(doc, page_id);
    let (w_pt, h_pt) = renderer
        .size(index, unit)
        .ok_or_else(|| corrupt(format!("page {} is missing", index + 1)))?;
    // The largest image's own resolution along the page's longer side, if it has images.
    let image_dpi = doc.get_page_images(page_id).ok().and_then(|images| {
        let longest = images.iter().map(|i| i.width.max(i.height)).max()?;
        (longest > 0).then(|| longest as f32 / (w_pt.max(h_pt) / 72.0))
    });
    let dpi = render::resolution(image_dpi, (w_pt, h_pt), limits);
    let px = |pt: f32| (pt / 72.0 * dpi).round().max(1.0) as u32;
    Ok(((px(w_pt), px(h_pt)), dpi))
}

/// A page drawn by the renderer, at [`rendered_size`].
fn render_page(
    doc: &Document,
    renderer: &Renderer,
    page_id: ObjectId,
    index: usize,
    limits: &Limits,
) -> Result<DecodedPage, PipelineError> {
    let ((w, h), dpi) = rendered_size(doc, renderer, page_id, index, limits)?;
    check_dimensions(w, h, limits)?;
    let image = renderer.render(index, dpi, user_unit(doc, page_id))?;
    Ok(page(image, Some(dpi), None))
}

fn int(dict: &Dictionary, key: &[u8]) -> Option<i64> {
    dict.get(key).ok().and_then(|o| o.as_i64().ok())
}

fn image_size(dict: &Dictionary) -> Result<(u32, u32), PipelineError> {
    let w = int(dict, b"Width").ok_or_else(|| corrupt("image without /Width"))?;
    let h = int(dict, b"Height").ok_or_else(|| corrupt("image without /Height"))?;
    let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(corrupt(format!("image size {w}×{h}")));
    };
    Ok((w, h))
}

fn filters(doc: &Document, dict: &Dictionary) -> Result<Vec<Vec<u8>>, PipelineError> {
    let names = match dict.get(b"Filter") {
        Err(_) => return Ok(vec![]),
        Ok(o) => match doc.dereference(o).map_err(corrupt)?.1 {
            Object::Name(n) => vec![n.clone()],
            Object::Array(a) => a
                .iter()
                .map(|o| o.as_name().map(<[u8]>::to_vec).map_err(corrupt))
                .collect::<Result<_, _>>()?,
            _ => return Err(corrupt("malformed /Filter")),
        },
    };
    Ok(names)
}

/// The first /DecodeParms dictionary, resolved.
fn decode_parms<'a>(doc: &'a Document, dict: &'a Dictionary) -> Option<&'a Dictionary> {
    let parms = doc.dereference(dict.get(b"DecodeParms").ok()?).ok()?.1;
    match parms {
        Object::Dictionary(d) => Some(d),
        Object::Array(a) => doc.dereference(a.first()?).ok()?.1.as_dict().ok(),
        _ => None,
    }
}

/// Number of colour components: 1 grey, 3 RGB, 4 CMYK.
fn components(doc: &Document, dict: &Dictionary) -> Result<u8, PipelineError> {
    if dict
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        return Ok(1);
    }
    let cs = match dict.get(b"ColorSpace") {
        Ok(o) => doc.dereference(o).map_err(corrupt)?.1,
        Err(_) => return Ok(1), // JPX and JBIG2 images may omit it; JBIG2 is grey
    };
    let (family, rest) = match cs {
        Object::Name(n) => (n.as_slice(), None),
        Object::Array(a) => (
            a.first().and_then(|o| o.as_name().ok()).unwrap_or(b""),
            a.get(1),
        ),
        _ => return Err(corrupt("malformed /ColorSpace")),
    };
    match family {
        b"DeviceGray" | b"CalGray" | b"G" => Ok(1),
        b"DeviceRGB" | b"CalRGB" | b"RGB" => Ok(3),
        b"DeviceCMYK" | b"CMYK" => Ok(4),
        b"ICCBased" => {
            let stream = rest
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_stream().ok())
                .ok_or_else(|| corrupt("ICCBased colour space without its profile"))?;
            match int(&stream.dict, b"N") {
                Some(n @ (1 | 3 | 4)) => Ok(n as u8),
                other => Err(corrupt(format!("ICC profile with {other:?} components"))),
            }
        }
        other => Err(unsupported(format!(
            "colour space {} in a page image",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// True when /Decode inverts a one-component image (`[1 0]`).
fn inverted(dict: &Dictionary) -> bool {
    matches!(dict.get(b"Decode").and_then(Object::as_array),
        Ok(a) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0))
}

fn decode_page(
    doc: &Document,
    page_id: ObjectId,
    (image_id, dict, content): (ObjectId, &Dictionary, &[u8]),
    number: usize,
    limits: &Limits,
) -> Result<DecodedPage, PipelineError> {
    let (w, h) = image_size(dict)?;
    check_dimensions(w, h, limits)?;
    let filters = filters(doc, dict)?;
    let rotate = page_rotation(doc, page_id);
    let dpi = page_dpi(doc, page_id, w, h, rotate);
    let at = |e: PipelineError| match e {
        PipelineError::Corrupt(m) => PipelineError::Corrupt(format!("{m} (page {number})")),
        PipelineError::Unsupported(m) => PipelineError::Unsupported(format!("{m} (page {number})")),
        other => other,
    };
    let (image, jpeg) = match filters.as_slice() {
        [f] if f == b"DCTDecode" || f == b"DCT" => {
            let img = image::load_from_memory_with_format(content, image::ImageFormat::Jpeg)
                .map_err(|e| at(corrupt(format!("JPEG image: {e}"))))?;
            // The JPEG can be embedded as it came only if nothing turns it.
            let keep = (rotate == 0).then(|| super::Original::Jpeg(content.to_vec()));
            (img, keep)
        }
        [f] if f == b"CCITTFaxDecode" || f == b"CCF" => {
            (ccitt(doc, dict, content, w, h).map_err(at)?, None)
        }
        [f] if f == b"JBIG2Decode" => (jbig2(doc, dict, content, w, h).map_err(at)?, None),
        [] => (raw(doc, dict, content.to_vec(), w, h).map_err(at)?, None),
        [f] if f == b"FlateDecode" || f == b"Fl" || f == b"LZWDecode" || f == b"LZW" => {
            let stream = doc
                .get_object(image_id)
                .and_then(Object::as_stream)
                .map_err(corrupt)?;
            let samples = stream
                .decompressed_content_with_limit((limits.max_pixels * 4) as usize)
                .map_err(|e| at(corrupt(format!("image stream: {e}"))))?;
            (raw(doc, dict, samples, w, h).map_err(at)?, None)
        }
        other => {
            let names: Vec<String> = other
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            return Err(at(unsupported(format!(
                "image filter {} is not supported",
                names.join(" + ")
            ))));
        }
    };
    let image = match rotate {
        90 => image.rotate90(),
        180 => image.rotate180(),
        270 => image.rotate270(),
        _ => image,
    };
    Ok(page(image, dpi, jpeg))
}

/// The page's /Rotate, normalised to 0, 90, 180 or 270 (inherited from the page tree).
fn page_rotation(doc: &Document, page_id: ObjectId) -> i64 {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let Some(dict) = id.and_then(|i| doc.get_dictionary(i).ok()) else {
            break;
        };
        if let Some(r) = int(dict, b"Rotate") {
            return r.rem_euclid(360) / 90 * 90;
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    0
}

/// Image pixels across over the page's width in inches.
fn page_dpi(doc: &Document, page_id: ObjectId, w: u32, h: u32, rotate: i64) -> Option<f32> {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let dict = doc.get_dictionary(id?).ok()?;
        if let Ok(Object::Array(b)) = dict
            .get(b"MediaBox")
            .and_then(|o| Ok(doc.dereference(o)?.1))
        {
            let v: Vec<f32> = b.iter().filter_map(|o| o.as_float().ok()).collect();
            if v.len() != 4 {
                return None;
            }
            let page_w = (v[2] - v[0]).abs() / 72.0;
            let page_h = (v[3] - v[1]).abs() / 72.0;
            // The image lies along the page's unrotated axes.
            let _ = rotate;
            let (across, down) = (w as f32 / page_w, h as f32 / page_h);
            return ((across - down).abs() / across < 0.05).then_some(across);
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    None
}

/// Raw samples (after Flate/LZW or none) into an image.
fn raw(
    doc: &Document,
    dict: &Dictionary,
    samples: Vec<u8>,
    w: u32,
    h: u32,
) -> Result<DynamicImage, PipelineError> {
    let n = components(doc, dict)?;
    let bpc = if dict
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        1
    } else {
        int(dict, b"BitsPerComponent").unwrap_or(8)
    };
    let short = || corrupt("image data shorter than its dimensions");
    match (n, bpc) {
        (1, 1) => {
            let mut grey = super::unpack_bilevel(&samples, w, h).ok_or_else(short)?;
            if inverted(dict) {
                image::imageops::invert(&mut grey);
            }
            Ok(DynamicImage::ImageLuma8(grey))
        }
        (1 | 3, 8) => {
            let mut s = samples;
            s.truncate(w as usize * h as usize * n as usize);
            let image = if n == 1 {
                GrayImage::from_raw(w, h, s).map(DynamicImage::ImageLuma8)
            } else {
                RgbImage::from_raw(w, h, s).map(DynamicImage::ImageRgb8)
            };
            image.ok_or_else(short)
        }
        (4, 8) => {
            let need = w as usize * h as usize * 4;
            if samples.len() < need {
                return Err(short());
            }
            let rgb: Vec<u8> = samples[..need]
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u16;
                    [0, 1, 2].map(|i| ((255 - p[i] as u16) * k / 255) as u8)
                })
                .collect();
            Ok(DynamicImage::ImageRgb8(
                RgbImage::from_raw(w, h, rgb).ok_or_else(short)?,
            ))
        }
        (n, b) => Err(unsupported(format!(
            "{n}-component images with {b} bits per component"
        ))),
    }
}

/// CCITT fax data: Group 4 (K < 0) or one-dimensional Group 3 (K = 0).
fn ccitt(
    doc: &Document,
    dict: &Dictionary,
    data: &[u8],
    w: u32,
    h: u32,
) -> Result<DynamicImage, PipelineError> {
    let empty = Dictionary::new();
    let parms = decode_parms(doc, dict).unwrap_or(&empty);
    let k = int(parms, b"K").unwrap_or(0);
    let columns = int(parms, b"Columns").unwrap_or(1728);
    if columns != w as i64 {
        return Err(corrupt(format!(
            "CCITT /Columns {columns} differs from the image width {w}"
        )));
    }
    if parms
        .get(b"EncodedByteAlign")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        return Err(unsupported("byte-aligned CCITT data"));
    }
    let black_is_1 = parms
        .get(b"BlackIs1")
        .and_then(Object::as_bool)
        .unwrap_or(false);
    let width = u16::try_from(w).map_err(|_| unsupported("CCITT images wider than 65535"))?;
    let height = u16::try_from(h).map_err(|_| unsupported("CCITT images taller than 65535"))?;
    let mut grey = GrayImage::from_pixel(w, h, image::Luma([255]));
    let mut row = 0u32;
    let mut put_line = |transitions: &[u16]| {
        if row >= h {
            return;
        }
        for (x, colour) in fax::decoder::pels(transitions, width).enumerate() {
            if colour == fax::Color::Black {
                grey.put_pixel(x as u32, row, image::Luma([0]));
            }
        }
        row += 1;
    };
    let ok = if k < 0 {
        fax::decoder::decode_g4(data.iter().copied(), width, Some(height), &mut put_line)
    } else if k == 0 {
        fax::decoder::decode_g3(data.iter().copied(), &mut put_line)
    } else {
        return Err(unsupported("two-dimensional CCITT Group 3 (K > 0)"));
    };
    if ok.is_none() || row == 0 {
        return Err(corrupt("CCITT data could not be decoded"));
    }
    // Coded black becomes sample 1 under /BlackIs1, and sample 1 is white in a grey
    // image unless /Decode swaps the two: the page shows coded black as black when
    // exactly neither or both of them apply.
    if black_is_1 != inverted(dict) {
        image::imageops::invert(&mut grey);
    }
    Ok(DynamicImage::ImageLuma8(grey))
}

struct Bits {
    grey: GrayImage,
    x: u32,
    y: u32,
}

impl hayro_jbig2::Decoder for Bits {
    fn push_pixel(&mut self, black: bool) {
        if black && self.x < self.grey.width() && self.y < self.grey.height() {
            self.grey.put_pixel(self.x, self.y, image::Luma([0]));
        }
        self.x += 1;
    }
    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        for _ in 0..chunk_count * 8 {
            self.push_pixel(black);
        }
    }
    fn next_line(&mut self) {
        self.x = 0;
        self.y += 1;
    }
}

/// JBIG2 in the embedded organization, with the optional /JBIG2Globals stream.
fn jbig2(
    doc: &Document,
    dict: &Dictionary,
    data: &[u8],
    w: u32,
    h: u32,
) -> Result<DynamicImage, PipelineError> {
    let settings = hayro_jbig2::DecodeSettings::default();
    let globals_bytes = decode_parms(doc, dict)
        .and_then(|p| p.get(b"JBIG2Globals").ok())
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_stream().ok())
        .map(|s| {
            s.decompressed_content()
                .unwrap_or_else(|_| s.content.clone())
        });
    let globals = globals_bytes
        .as_deref()
        .map(|g| hayro_jbig2::Globals::new(g, &settings))
        .transpose()
        .map_err(|e| corrupt(format!("JBIG2 globals: {e:?}")))?;
    let page = hayro_jbig2::Page::new_embedded(data, globals.as_ref(), &settings)
        .map_err(|e| corrupt(format!("JBIG2 image: {e:?}")))?;
    if page.width() != w || page.height() != h {
        return Err(corrupt(format!(
            "JBIG2 page is {}×{}, the image says {w}×{h}",
            page.width(),
            page.height()
        )));
    }
    let mut bits = Bits {
        grey: GrayImage::from_pixel(w, h, image::Luma([255])),
        x: 0,
        y: 0,
    };
    page.decode(&mut bits)
        .map_err(|e| corrupt(format!("JBIG2 image: {e:?}")))?;
    if inverted(dict) {
        image::imageops::invert(&mut bits.grey);
    }
    Ok(DynamicImage::ImageLuma8(bits.grey))
}

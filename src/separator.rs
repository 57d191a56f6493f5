//! Separator sheets for splitting a scanned stack (issue 7, DESIGN §10 `kho separator`).
//!
//! Records staff print one sheet per document (`kho separator --owner ID [--type T]`)
//! and put it on top of that document's pages; a whole box then goes through the
//! scanner as one stack. The sheet carries a large QR code with `KHO-SEP/2`, the owner,
//! the document type and a MAC over them under a key only this deployment holds
//! (derived from its KEK), and the same in words for people. [`plan`] cuts a stack at
//! its sheets: each sheet starts a document for the owner it names, blank pages
//! (backs of single-sided pages, empty sheets) are dropped, and pages before the first
//! sheet belong to a fallback owner if one is given.
//!
//! A sheet whose MAC fails (forged, altered, or printed by another deployment) stops
//! the cut: the documents before it stand and the rest of the stack is refused with
//! the reason, for a person to look at. Sheets of the first format (`KHO-SEP/1`, no
//! MAC) are read only with `--accept-unsigned-separators`.

use ab_glyph::{FontRef, PxScale};
use image::{GrayImage, Luma};

use crate::domain::SubjectId;

/// The first line of a separator's QR code.
pub const MAGIC: &str = "KHO-SEP/2";
/// The first line of the first format's QR code (no MAC).
pub const MAGIC_V1: &str = "KHO-SEP/1";

/// The key sheets are authenticated with.
#[derive(Clone)]
pub struct SheetKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SheetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SheetKey(..)")
    }
}

impl SheetKey {
    pub fn from_kek(kek: &crate::signing::kek::Kek) -> SheetKey {
        SheetKey(kek.derive("kho separator sheets v2"))
    }

    /// The MAC of a sheet's body, hex (128 bits).
    fn mac(&self, body: &str) -> String {
        use hmac::{KeyInit as _, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// How sheets are read: the deployment's key, and whether sheets of the first format
/// (no MAC) are taken.
#[derive(Debug, Clone)]
pub struct Reader {
    pub key: SheetKey,
    pub accept_v1: bool,
}
/// The sheet is drawn at this resolution (A4).
const DPI: f32 = 150.0;

/// What a separator sheet says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Separator {
    pub owner: SubjectId,
    pub doc_type: Option<String>,
}

impl Separator {
    fn body(&self) -> String {
        format!(
            "owner={}\ntype={}",
            self.owner.as_str(),
            self.doc_type.as_deref().unwrap_or("")
        )
    }

    /// The QR code's text: the format, the body and its MAC.
    pub fn payload(&self, key: &SheetKey) -> String {
        let body = self.body();
        format!("{MAGIC}\n{body}\nmac={}", key.mac(&body))
    }

    /// What a QR code's text is: `None` when it is not a separator at all, else the
    /// separator, or why it cannot be trusted.
    pub fn parse(text: &str, reader: &Reader) -> Option<Result<Separator, String>> {
        let mut lines = text.lines();
        let magic = lines.next()?.trim();
        if magic != MAGIC && magic != MAGIC_V1 {
            return None;
        }
        let (mut owner, mut doc_type, mut mac) = (None, None, None);
        for l in lines {
            match l.split_once('=') {
                Some(("owner", v)) => owner = Some(v.to_owned()),
                Some(("type", v)) => doc_type = Some(v.to_owned()),
                Some(("mac", v)) => mac = Some(v.trim().to_owned()),
                _ => {}
            }
        }
        let owner = match owner.as_deref().map(SubjectId::parse) {
            Some(Ok(o)) => o,
            _ => return Some(Err("a separator sheet names no valid owner".into())),
        };
        let sep = Separator {
            owner,
            doc_type: doc_type
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.trim().chars().take(100).collect()),
        };
        if magic == MAGIC_V1 {
            return Some(if reader.accept_v1 {
                Ok(sep)
            } else {
                Err(format!(
                    "a separator sheet of the old format ({MAGIC_V1}, not authenticated) for {}: \
                     print a new one, or allow old sheets with --accept-unsigned-separators",
                    sep.owner.as_str()
                ))
            });
        }
        // The MAC covers the values exactly as the code carries them.
        let body = format!(
            "owner={}\ntype={}",
            field_text(text, "owner"),
            field_text(text, "type")
        );
        let expected = reader.key.mac(&body);
        let ok =
            mac.is_some_and(|m| crate::consent::constant_eq(m.as_bytes(), expected.as_bytes()));
        Some(if ok {
            Ok(sep)
        } else {
            Err(format!(
                "a separator sheet for {} fails its check (forged, altered, or printed by \
                 another deployment)",
                sep.owner.as_str()
            ))
        })
    }
}

/// The value of `name=` as the code carries it.
fn field_text<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| {
            l.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })
        .unwrap_or("")
}

/// The sheet as a page image: A4 at 150 dpi, a header in words, the QR code.
pub fn sheet(sep: &Separator, key: &SheetKey) -> Result<GrayImage, String> {
    let (w, h) = ((8.27 * DPI) as u32, (11.69 * DPI) as u32);
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    let font = FontRef::try_from_slice(crate::signing::stamp::FONT).map_err(|e| e.to_string())?;
    let lines = [
        ("TỜ PHÂN TÁCH HỒ SƠ — KHO".to_owned(), 44.0),
        (format!("Chủ sở hữu: {}", sep.owner.as_str()), 36.0),
        (
            format!("Loại văn bản: {}", sep.doc_type.as_deref().unwrap_or("—")),
            36.0,
        ),
        (
            "Đặt tờ này lên trên các trang của văn bản. Không ký, không đóng dấu.".to_owned(),
            24.0,
        ),
    ];
    let mut y = 120;
    for (text, px) in &lines {
        imageproc::drawing::draw_text_mut(
            &mut img,
            Luma([0]),
            110,
            y,
            PxScale::from(*px),
            &font,
            text,
        );
        y += (*px * 1.6) as i32;
    }
    let code = qrcode::QrCode::with_error_correction_level(
        sep.payload(key).as_bytes(),
        qrcode::EcLevel::Q,
    )
    .map_err(|e| e.to_string())?;
    let modules = code.width() as u32;
    let module = 14u32;
    let side = modules * module;
    let (x0, y0) = ((w - side) / 2, (h - side) / 2 + 80);
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % modules, i as u32 / modules);
            for dy in 0..module {
                for dx in 0..module {
                    img.put_pixel(x0 + mx * module + dx, y0 + my * module + dy, Luma([0]));
                }
            }
        }
    }
    Ok(img)
}

/// The sheet as a one-page PDF to print.
pub fn sheet_pdf(sep: &Separator, key: &SheetKey) -> Result<Vec<u8>, String> {
    let img = image::DynamicImage::ImageLuma8(sheet(sep, key)?);
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&img, None).map_err(|e| e.to_string())?,
        dpi: DPI,
        text: Default::default(),
    };
    kho_workers::pdf::build(&[page], &Default::default()).map_err(|e| e.to_string())
}

/// The separator on this page, if it is one. The sheet's code is large, so a reduced
/// copy reads it; pages without a code cost one detection pass.
pub fn read(gray: &GrayImage, reader: &Reader) -> Option<Result<Separator, String>> {
    let (w, h) = gray.dimensions();
    let k = 1000.0 / w.max(h) as f32;
    let small = if k < 1.0 {
        image::imageops::resize(
            gray,
            (w as f32 * k) as u32,
            (h as f32 * k) as u32,
            image::imageops::FilterType::Triangle,
        )
    } else {
        gray.clone()
    };
    let mut prepared = rqrr::PreparedImage::prepare(small);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok())
        .find_map(|(_, text)| Separator::parse(&text, reader))
}

/// What one page of a stack is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    Separator(Separator),
    /// A separator sheet that cannot be trusted, and why.
    Untrusted(String),
    Blank,
    Content,
}

/// One document cut from a stack: its owner (from its sheet, or the fallback), the
/// type its sheet names, and its pages (0-based positions in the stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub owner: Option<SubjectId>,
    pub doc_type: Option<String>,
    pub pages: Vec<usize>,
}

/// Cuts a stack as its pages come, one page at a time: content pages join the open
/// part, blank pages are dropped, a separator sheet closes the open part and opens one
/// for the owner it names. Content before the first sheet goes to the fallback owner.
pub struct Cutter {
    open: Part,
}

impl Cutter {
    pub fn new(fallback: Option<&SubjectId>) -> Cutter {
        Cutter {
            open: Part {
                owner: fallback.cloned(),
                doc_type: None,
                pages: vec![],
            },
        }
    }

    /// Take page `i` of the stack: the part a separator sheet closes, when it has pages
    /// (a sheet followed by no content page gives no document).
    pub fn page(&mut self, i: usize, kind: PageKind) -> Option<Part> {
        match kind {
            PageKind::Separator(s) => {
                let next = Part {
                    owner: Some(s.owner),
                    doc_type: s.doc_type,
                    pages: vec![],
                };
                Some(std::mem::replace(&mut self.open, next)).filter(|p| !p.pages.is_empty())
            }
            // An untrusted sheet closes the open part too; what follows has no owner.
            PageKind::Untrusted(_) => {
                let next = Part {
                    owner: None,
                    doc_type: None,
                    pages: vec![],
                };
                Some(std::mem::replace(&mut self.open, next)).filter(|p| !p.pages.is_empty())
            }
            PageKind::Blank => None,
            PageKind::Content => {
                self.open.pages.push(i);
                None
            }
        }
    }

    /// The last part, when it has pages.
    pub fn finish(self) -> Option<Part> {
        Some(self.open).filter(|p| !p.pages.is_empty())
    }
}

/// Cut a whole list of page kinds at once ([`Cutter`]).
pub fn plan(kinds: &[PageKind], fallback: Option<&SubjectId>) -> Vec<Part> {
    let mut cutter = Cutter::new(fallback);
    let mut parts: Vec<Part> = kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| cutter.page(i, k.clone()))
        .collect();
    parts.extend(cutter.finish());
    parts
}

/// What a decoded page of a stack is: a separator sheet, blank, or content.
pub fn classify(page: &kho_workers::decode::DecodedPage, reader: &Reader) -> PageKind {
    let gray = page.image.to_luma8();
    match read(&gray, reader) {
        Some(Ok(s)) => PageKind::Separator(s),
        Some(Err(why)) => PageKind::Untrusted(why),
        None if kho_workers::clean::clean(&gray, page.dpi).blank => PageKind::Blank,
        None => PageKind::Content,
    }
}

/// One document cut from a stack file: its part and its pages as lossless PNG files
/// (each with the page's resolution), ready for intake.
pub struct Cut {
    pub part: Part,
    pub files: Vec<crate::intake::Incoming>,
}

/// Read a stack (a multi-page TIFF or scanned PDF, or a single image) page by page,
/// find its separator sheets and blank pages, and hand each document to `deliver` as
/// soon as its last page is read — only one page is ever decoded at a time and only
/// the open document's pages are held (as PNG). Blocking: call it from a blocking
/// context. An error stops the cut; the documents delivered before it stand.
pub fn cut_stack<R: std::io::Read + std::io::Seek>(
    src: R,
    fallback: Option<&SubjectId>,
    limits: &kho_workers::decode::Limits,
    reader: &Reader,
    mut deliver: impl FnMut(Cut) -> Result<(), kho_workers::PipelineError>,
) -> Result<(), kho_workers::PipelineError> {
    let mut cutter = Cutter::new(fallback);
    let mut files = Vec::new();
    let mut i = 0;
    kho_workers::decode::each_page(src, limits, |page| {
        let kind = classify(&page, reader);
        let untrusted = match &kind {
            PageKind::Untrusted(why) => Some(why.clone()),
            _ => None,
        };
        if kind == PageKind::Content {
            files.push(crate::intake::Incoming {
                filename: Some(format!("page-{:04}.png", i + 1)),
                bytes: page_png(&page.image, page.dpi)?.into(),
            });
        }
        drop(page);
        if let Some(part) = cutter.page(i, kind) {
            deliver(Cut {
                part,
                files: std::mem::take(&mut files),
            })?;
        }
        if let Some(why) = untrusted {
            // The documents before the sheet stand; nothing after it is filed, since its
            // pages would go to whoever the sheet names.
            return Err(kho_workers::PipelineError::Unsupported(format!(
                "page {}: {why}; this page and the rest of the stack were not filed",
                i + 1
            )));
        }
        i += 1;
        Ok(())
    })?;
    if let Some(part) = cutter.finish() {
        deliver(Cut { part, files })?;
    }
    Ok(())
}

/// A page as PNG (grey stays grey), with its resolution in `pHYs`.
fn page_png(img: &image::DynamicImage, dpi: f32) -> Result<Vec<u8>, kho_workers::PipelineError> {
    let (color, data, (w, h)) = match img {
        image::DynamicImage::ImageLuma8(g) => (
            png::ColorType::Grayscale,
            g.as_raw().clone(),
            g.dimensions(),
        ),
        other => {
            let rgb = other.to_rgb8();
            let dims = rgb.dimensions();
            (png::ColorType::Rgb, rgb.into_raw(), dims)
        }
    };
    let fail = |e: String| kho_workers::PipelineError::Corrupt(format!("re-encoding a page: {e}"));
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let ppm = (dpi / 0.0254).round() as u32;
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: ppm,
        yppu: ppm,
        unit: png::Unit::Meter,
    }));
    let mut writer = enc.write_header().map_err(|e| fail(e.to_string()))?;
    writer
        .write_image_data(&data)
        .map_err(|e| fail(e.to_string()))?;
    writer.finish().map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sep(owner: &str) -> Separator {
        Separator {
            owner: SubjectId::parse(owner).unwrap(),
            doc_type: Some("Giấy khai sinh".into()),
        }
    }

    fn reader(accept_v1: bool) -> Reader {
        Reader {
            key: SheetKey(zeroize::Zeroizing::new([7; 32])),
            accept_v1,
        }
    }

    #[test]
    fn payload_round_trips_and_other_codes_are_not_separators() {
        let r = reader(false);
        let s = sep("001203004567");
        assert_eq!(Separator::parse(&s.payload(&r.key), &r), Some(Ok(s)));
        assert_eq!(
            Separator::parse("https://kho.example/v/1\nMaKQ:1", &r),
            None
        );
        assert!(matches!(
            Separator::parse("KHO-SEP/2\nowner=123", &r),
            Some(Err(_))
        ));
    }

    #[test]
    fn a_forged_or_altered_separator_is_not_trusted() {
        let r = reader(false);
        let s = sep("001203004567");
        let genuine = s.payload(&r.key);
        // Another owner with the genuine MAC, a MAC from another key, no MAC at all.
        let altered = genuine.replace("001203004567", "079199001234");
        let other_key = SheetKey(zeroize::Zeroizing::new([8; 32]));
        let unsigned = "KHO-SEP/2\nowner=079199001234\ntype=";
        for forged in [altered.as_str(), &s.payload(&other_key), unsigned] {
            assert!(
                matches!(Separator::parse(forged, &r), Some(Err(_))),
                "{forged}"
            );
        }
        // The first format is read only when allowed.
        let v1 = "KHO-SEP/1\nowner=001203004567\ntype=Giấy khai sinh";
        assert!(matches!(Separator::parse(v1, &r), Some(Err(_))));
        assert_eq!(Separator::parse(v1, &reader(true)), Some(Ok(s)));
    }

    #[test]
    fn a_printed_sheet_reads_back() {
        let r = reader(false);
        let s = sep("0100109106");
        assert_eq!(read(&sheet(&s, &r.key).unwrap(), &r), Some(Ok(s)));
        assert_eq!(
            read(&GrayImage::from_pixel(800, 1100, Luma([250])), &r),
            None
        );
    }

    #[test]
    fn a_stack_is_cut_at_sheets_without_blanks() {
        use PageKind::*;
        let (a, b) = (sep("001203004567"), sep("079199001234"));
        let kinds = vec![
            Content,
            Separator(a.clone()),
            Content,
            Blank,
            Content,
            Separator(b.clone()),
            Separator(a.clone()),
            Blank,
            Content,
        ];
        let fallback = SubjectId::parse("0100109106").unwrap();
        let parts = plan(&kinds, Some(&fallback));
        let summary: Vec<(String, Vec<usize>)> = parts
            .iter()
            .map(|p| {
                (
                    p.owner.as_ref().unwrap().as_str().to_owned(),
                    p.pages.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("0100109106".into(), vec![0]),
                ("001203004567".into(), vec![2, 4]),
                ("001203004567".into(), vec![8]),
            ]
        );
        assert_eq!(plan(&kinds, None)[0].owner, None);
    }
}

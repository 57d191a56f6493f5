//! Separator sheets for splitting a scanned stack (issue 7, DESIGN §10 `kho separator`).
//!
//! Records staff print one sheet per document (`kho separator --owner ID [--type T]`)
//! and put it on top of that document's pages; a whole box then goes through the
//! scanner as one stack. The sheet carries a large QR code with `KHO-SEP/1`, the owner
//! and the document type, and the same in words for people. [`plan`] cuts a stack at
//! its sheets: each sheet starts a document for the owner it names, blank pages
//! (backs of single-sided pages, empty sheets) are dropped, and pages before the first
//! sheet belong to a fallback owner if one is given.

use ab_glyph::{FontRef, PxScale};
use image::{GrayImage, Luma};

use crate::domain::SubjectId;

/// The first line of a separator's QR code.
pub const MAGIC: &str = "KHO-SEP/1";
/// The sheet is drawn at this resolution (A4).
const DPI: f32 = 150.0;

/// What a separator sheet says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Separator {
    pub owner: SubjectId,
    pub doc_type: Option<String>,
}

impl Separator {
    /// The QR code's text.
    pub fn payload(&self) -> String {
        format!(
            "{MAGIC}\nowner={}\ntype={}",
            self.owner.as_str(),
            self.doc_type.as_deref().unwrap_or("")
        )
    }

    /// A separator's QR text, or `None` when it is anything else.
    pub fn parse(text: &str) -> Option<Separator> {
        let mut lines = text.lines();
        if lines.next()?.trim() != MAGIC {
            return None;
        }
        let (mut owner, mut doc_type) = (None, None);
        for l in lines {
            match l.split_once('=') {
                Some(("owner", v)) => owner = SubjectId::parse(v).ok(),
                Some(("type", v)) if !v.trim().is_empty() => {
                    doc_type = Some(v.trim().chars().take(100).collect())
                }
                _ => {}
            }
        }
        Some(Separator {
            owner: owner?,
            doc_type,
        })
    }
}

/// The sheet as a page image: A4 at 150 dpi, a header in words, the QR code.
pub fn sheet(sep: &Separator) -> Result<GrayImage, String> {
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
    let code =
        qrcode::QrCode::with_error_correction_level(sep.payload().as_bytes(), qrcode::EcLevel::Q)
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
pub fn sheet_pdf(sep: &Separator) -> Result<Vec<u8>, String> {
    let img = image::DynamicImage::ImageLuma8(sheet(sep)?);
    let page = kho_workers::pdf::PdfPage {
        image: kho_workers::pdf::PageImage::encode(&img, None).map_err(|e| e.to_string())?,
        dpi: DPI,
        text: Default::default(),
    };
    kho_workers::pdf::build(&[page], &Default::default()).map_err(|e| e.to_string())
}

/// The separator on this page, if it is one. The sheet's code is large, so a reduced
/// copy reads it; pages without a code cost one detection pass.
pub fn read(gray: &GrayImage) -> Option<Separator> {
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
        .find_map(|(_, text)| Separator::parse(&text))
}

/// What one page of a stack is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    Separator(Separator),
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
pub fn classify(page: &kho_workers::decode::DecodedPage) -> PageKind {
    let gray = page.image.to_luma8();
    match read(&gray) {
        Some(s) => PageKind::Separator(s),
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
    mut deliver: impl FnMut(Cut) -> Result<(), kho_workers::PipelineError>,
) -> Result<(), kho_workers::PipelineError> {
    let mut cutter = Cutter::new(fallback);
    let mut files = Vec::new();
    let mut i = 0;
    kho_workers::decode::each_page(src, limits, |page| {
        let kind = classify(&page);
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

    #[test]
    fn payload_round_trips_and_other_codes_are_not_separators() {
        let s = sep("001203004567");
        assert_eq!(Separator::parse(&s.payload()), Some(s));
        assert_eq!(Separator::parse("https://kho.example/v/1\nMaKQ:1"), None);
        assert_eq!(
            Separator::parse("KHO-SEP/1\nowner=123"),
            None,
            "an invalid owner"
        );
    }

    #[test]
    fn a_printed_sheet_reads_back() {
        let s = sep("0100109106");
        assert_eq!(read(&sheet(&s).unwrap()), Some(s));
        assert_eq!(read(&GrayImage::from_pixel(800, 1100, Luma([250]))), None);
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

//! The visible stamp on page 1, drawn before signing: a QR code carrying what Circular
//! 01/2023/TT-VPCP asks of a digitized result (result code, procedure code, owner
//! identifier, document name, issuing system, time) and the verification URL, with a line
//! under it naming the signer and the time.
//!
//! The stamp is one small bilevel image (CCITT G4). It goes in the top-left corner unless
//! it would cover a word OCR found there: then the other corners are tried, then smaller
//! sizes; [`Placement`] says where it went.

use ab_glyph::{FontRef, PxScale};
use image::{GrayImage, Luma};
use lopdf::{Dictionary, Document, Object, Stream};

use super::SigningError;

pub(crate) const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Stamp resolution, pixels per PDF point.
const PX_PER_PT: f32 = 4.0;
/// Distance from the page edge, points (10 mm).
const MARGIN_PT: f32 = 28.35;

/// What the QR code says.
#[derive(Debug, Clone)]
pub struct StampData {
    pub result_code: String,
    pub procedure_code: Option<String>,
    pub owner_id: String,
    pub document_name: String,
    pub issuing_system: String,
    /// Unix seconds.
    pub time: i64,
    pub verify_url: String,
    /// The lines under the code: who signs, when.
    pub signer_line: String,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
pub fn iso_time(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = super::civil(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

impl StampData {
    /// The QR payload: the verification URL first (a phone opens it), then the fields.
    pub fn payload(&self) -> String {
        format!(
            "{}\nMaKQ:{}\nMaTTHC:{}\nChuSoHuu:{}\nTen:{}\nHeThong:{}\nThoiGian:{}",
            self.verify_url,
            self.result_code,
            self.procedure_code.as_deref().unwrap_or("-"),
            self.owner_id,
            self.document_name,
            self.issuing_system,
            iso_time(self.time)
        )
    }
}

pub use crate::domain::Rect;

fn overlaps(a: &Rect, o: &Rect) -> bool {
    a.x0 < o.x1 && o.x0 < a.x1 && a.y0 < o.y1 && o.y0 < a.y1
}

/// Where the stamp went, in points, and whether it had to cover text after all.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub rect: Rect,
    pub covers_text: bool,
}

/// Draw the stamp image: the QR code with a quiet zone, modules of `module_pt` points
/// (2 pt: about 4 pixels in a 150-dpi scan of the printout), and the signer lines under it.
fn stamp_image(data: &StampData, module_pt: f32) -> Result<GrayImage, SigningError> {
    let code =
        qrcode::QrCode::with_error_correction_level(data.payload().as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| SigningError::Pdf(format!("QR code: {e}")))?;
    let modules = code.width() as u32;
    let quiet = 4;
    let module_px = ((module_pt * PX_PER_PT) as u32).max(2);
    let qr_px = module_px * (modules + 2 * quiet);
    let text_px = (6.0 * PX_PER_PT) as u32; // 6 pt text
    let font = FontRef::try_from_slice(FONT).map_err(|e| SigningError::Pdf(e.to_string()))?;
    let scale = PxScale::from(text_px as f32);
    let lines: Vec<&str> = data.signer_line.lines().collect();
    let tw = lines
        .iter()
        .map(|l| imageproc::drawing::text_size(scale, &font, l).0)
        .max()
        .unwrap_or(0);
    let width = qr_px.max(tw + 2 * module_px);
    let line_px = text_px + text_px / 4;
    let height = qr_px + line_px * lines.len() as u32 + text_px / 2;
    let mut img = GrayImage::from_pixel(width, height, Luma([255]));
    let colors = code.to_colors();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = ((i as u32) % modules, (i as u32) / modules);
            for dy in 0..module_px {
                for dx in 0..module_px {
                    img.put_pixel(
                        (mx + quiet) * module_px + dx,
                        (my + quiet) * module_px + dy,
                        Luma([0]),
                    );
                }
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        imageproc::drawing::draw_text_mut(
            &mut img,
            Luma([0]),
            module_px as i32,
            (qr_px + i as u32 * line_px) as i32,
            scale,
            &font,
            line,
        );
    }
    // Bilevel, so it stays crisp and small (CCITT G4).
    img.pixels_mut()
        .for_each(|p| p.0[0] = if p.0[0] < 128 { 0 } else { 255 });
    Ok(img)
}

/// Stamp page 1 of `pdf`, avoiding `words` (page 1's word boxes in points).
pub fn stamp(
    pdf: &[u8],
    data: &StampData,
    words: &[Rect],
) -> Result<(Vec<u8>, Placement), SigningError> {
    let err = |e: lopdf::Error| SigningError::Pdf(e.to_string());
    let mut doc = Document::load_mem(pdf).map_err(err)?;
    let page_id = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| SigningError::Pdf("no page 1".into()))?;
    let media: Vec<f32> = doc
        .get_dictionary(page_id)
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(|o| o.as_float().ok()).collect())
        .map_err(err)?;
    let (pw, ph) = (
        media.get(2).copied().unwrap_or(595.0),
        media.get(3).copied().unwrap_or(842.0),
    );

    // Try the corners, then smaller sizes; a little air around every word.
    let padded: Vec<Rect> = words
        .iter()
        .map(|w| Rect {
            x0: w.x0 - 2.0,
            y0: w.y0 - 2.0,
            x1: w.x1 + 2.0,
            y1: w.y1 + 2.0,
        })
        .collect();
    let mut chosen = None;
    'search: for module_pt in [2.0f32, 1.7, 1.4] {
        let img = stamp_image(data, module_pt)?;
        let (w_pt, h_pt) = (
            img.width() as f32 / PX_PER_PT,
            img.height() as f32 / PX_PER_PT,
        );
        let corners = [
            (MARGIN_PT, ph - MARGIN_PT - h_pt),
            (pw - MARGIN_PT - w_pt, ph - MARGIN_PT - h_pt),
            (MARGIN_PT, MARGIN_PT),
            (pw - MARGIN_PT - w_pt, MARGIN_PT),
        ];
        for (x, y) in corners {
            let rect = Rect {
                x0: x,
                y0: y,
                x1: x + w_pt,
                y1: y + h_pt,
            };
            if !padded.iter().any(|w| overlaps(w, &rect)) {
                chosen = Some((
                    img,
                    Placement {
                        rect,
                        covers_text: false,
                    },
                ));
                break 'search;
            }
        }
    }
    let (img, placement) = match chosen {
        Some(c) => c,
        None => {
            let img = stamp_image(data, 1.4)?;
            let (w_pt, h_pt) = (
                img.width() as f32 / PX_PER_PT,
                img.height() as f32 / PX_PER_PT,
            );
            let y = ph - MARGIN_PT - h_pt;
            let rect = Rect {
                x0: MARGIN_PT,
                y0: y,
                x1: MARGIN_PT + w_pt,
                y1: y + h_pt,
            };
            (
                img,
                Placement {
                    rect,
                    covers_text: true,
                },
            )
        }
    };

    let image = kho_workers::pdf::PageImage::encode(&image::DynamicImage::ImageLuma8(img), None)
        .map_err(|e| SigningError::Pdf(e.to_string()))?;
    let image_id = doc.add_object(kho_workers::pdf::image_stream(&image));
    let r = placement.rect;
    let content = format!(
        "q {} 0 0 {} {} {} cm /KhoStamp Do Q\n",
        r.x1 - r.x0,
        r.y1 - r.y0,
        r.x0,
        r.y0
    );
    let content_id = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));

    let page = doc.get_dictionary_mut(page_id).map_err(err)?;
    let contents = match page.get(b"Contents") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(o) => vec![o.clone()],
        Err(_) => vec![],
    };
    let mut contents = contents;
    contents.push(Object::Reference(content_id));
    page.set("Contents", contents);
    let resources = match page.get(b"Resources") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    let mut resources = resources;
    let mut xobjects = match resources.get(b"XObject") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    xobjects.set("KhoStamp", Object::Reference(image_id));
    resources.set("XObject", xobjects);
    page.set("Resources", resources);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| SigningError::Pdf(e.to_string()))?;
    Ok((out, placement))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_pdf() -> Vec<u8> {
        let img = image::DynamicImage::ImageLuma8(GrayImage::from_pixel(1240, 1754, Luma([250])));
        let page = kho_workers::pdf::PdfPage {
            image: kho_workers::pdf::PageImage::encode(&img, None).unwrap(),
            dpi: 150.0,
            text: Default::default(),
        };
        kho_workers::pdf::build(&[page], &Default::default()).unwrap()
    }

    fn data() -> StampData {
        StampData {
            result_code: "r".into(),
            procedure_code: None,
            owner_id: "001203004567".into(),
            document_name: "Quyết định".into(),
            issuing_system: "Kho".into(),
            time: 0,
            verify_url: "http://127.0.0.1:8080/v/r".into(),
            signer_line: "Ký số: A\nĐóng dấu: B".into(),
        }
    }

    #[test]
    fn the_stamp_goes_top_left_moves_off_text_and_says_when_it_cannot() {
        let pdf = page_pdf();
        let (_, p) = stamp(&pdf, &data(), &[]).unwrap();
        assert!(
            p.rect.x0 < 100.0 && p.rect.y1 > 700.0 && !p.covers_text,
            "{p:?}"
        );
        // A heading across the top: the stamp goes to a bottom corner instead.
        let heading = Rect {
            x0: 20.0,
            y0: 650.0,
            x1: 580.0,
            y1: 842.0,
        };
        let (out, p) = stamp(&pdf, &data(), &[heading]).unwrap();
        assert!(!overlaps(&p.rect, &heading) && !p.covers_text, "{p:?}");
        assert!(out.len() > pdf.len());
        // Text everywhere: it has to cover some, and says so.
        let full = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 595.0,
            y1: 842.0,
        };
        let (_, p) = stamp(&pdf, &data(), &[full]).unwrap();
        assert!(p.covers_text);
    }
}

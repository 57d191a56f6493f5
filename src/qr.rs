//! Reading the stamp's QR code from a photo or scan of a printout (JPEG/PNG, any
//! orientation, some blur): decoded with rqrr on a reduced copy of the picture, then on
//! contrast-stretched, smaller and larger copies, until a code that Kho wrote is found.
//!
//! The route is public, so the picture's size is checked from its header before anything
//! is decoded: a phone photo needs at most [`MAX_PIXELS`], and a few hundred kilobytes
//! of PNG claiming 120 megapixels are refused without being inflated.

use image::GrayImage;

/// Largest side a picture is scanned at (phone photos are larger; codes stay readable).
const MAX_SIDE: u32 = 2400;

/// Largest picture taken, in pixels (a 24-megapixel phone photo).
pub const MAX_PIXELS: u64 = 24_000_000;

/// Largest width or height taken, in pixels.
pub const MAX_DIMENSION: u32 = 12_000;

/// What a Kho stamp's QR code says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampCode {
    pub document_id: String,
    pub verify_url: String,
    pub payload: String,
}

/// Find and read a Kho stamp in `bytes` (a JPEG or PNG).
pub fn read_stamp(bytes: &[u8]) -> Result<Option<StampCode>, kho_workers::PipelineError> {
    let limits = kho_workers::decode::Limits {
        max_dimension: MAX_DIMENSION,
        max_pixels: MAX_PIXELS,
        max_pages: 1,
    };
    // Header only: nothing is inflated past the limits.
    kho_workers::decode::probe(bytes, &limits)?;
    let pages = kho_workers::decode::decode(bytes, &limits)?;
    let Some(page) = pages.into_iter().next() else {
        return Ok(None);
    };
    // The full-size picture is let go as soon as its reduced copy exists.
    let base = fit(&page.image.to_luma8(), MAX_SIDE);
    drop(page);
    for candidate in candidates(base) {
        let mut prepared = rqrr::PreparedImage::prepare(candidate);
        for grid in prepared.detect_grids() {
            if let Ok((_, content)) = grid.decode()
                && let Some(code) = parse(&content)
            {
                return Ok(Some(code));
            }
        }
    }
    Ok(None)
}

/// `g` with its longer side at most `side`.
fn fit(g: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = g.dimensions();
    let k = side as f32 / w.max(h) as f32;
    if k >= 1.0 {
        g.clone()
    } else {
        image::imageops::resize(
            g,
            ((w as f32 * k) as u32).max(1),
            ((h as f32 * k) as u32).max(1),
            image::imageops::FilterType::Triangle,
        )
    }
}

/// The picture at a workable size, then with stretched contrast, smaller and larger.
fn candidates(base: GrayImage) -> Vec<GrayImage> {
    let stretched = {
        let mut g = base.clone();
        let (lo, hi) = g
            .pixels()
            .fold((255u8, 0u8), |(lo, hi), p| (lo.min(p.0[0]), hi.max(p.0[0])));
        if hi > lo {
            g.pixels_mut()
                .for_each(|p| p.0[0] = ((p.0[0] - lo) as u32 * 255 / (hi - lo) as u32) as u8);
        }
        g
    };
    let smaller = fit(&base, MAX_SIDE * 2 / 3);
    // Small modules read better enlarged.
    let (w, h) = base.dimensions();
    let larger = image::imageops::resize(
        &base,
        w * 3 / 2,
        h * 3 / 2,
        image::imageops::FilterType::CatmullRom,
    );
    vec![base, stretched, smaller, larger]
}

/// A Kho stamp: the first line is `…/v/{id}`, and `MaKQ:{id}` agrees.
fn parse(content: &str) -> Option<StampCode> {
    let url = content.lines().next()?.trim();
    let id = url.rsplit_once("/v/")?.1;
    uuid::Uuid::parse_str(id).ok()?;
    let named = content
        .lines()
        .find_map(|l| l.strip_prefix("MaKQ:"))
        .map(str::trim);
    (named == Some(id)).then(|| StampCode {
        document_id: id.to_owned(),
        verify_url: url.to_owned(),
        payload: content.to_owned(),
    })
}

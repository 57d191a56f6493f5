//! Reading the stamp's QR code from a photo or scan of a printout (JPEG/PNG, any
//! orientation, some blur): decoded with rqrr on the picture as it is, then on reduced
//! and contrast-stretched copies, until a code that Kho wrote is found.

use image::GrayImage;

/// Largest side a picture is decoded at (phone photos are larger; codes stay readable).
const MAX_SIDE: u32 = 2400;

/// What a Kho stamp's QR code says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampCode {
    pub document_id: String,
    pub verify_url: String,
    pub payload: String,
}

/// Find and read a Kho stamp in `bytes` (a JPEG or PNG).
pub fn read_stamp(bytes: &[u8]) -> Result<Option<StampCode>, String> {
    let limits = kho_workers::decode::Limits::default();
    let pages = kho_workers::decode::decode(bytes, &limits).map_err(|e| e.to_string())?;
    let Some(page) = pages.into_iter().next() else {
        return Ok(None);
    };
    let gray = page.image.to_luma8();
    for candidate in candidates(gray) {
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

/// The picture at a workable size, then smaller and with stretched contrast.
fn candidates(gray: GrayImage) -> Vec<GrayImage> {
    let fit = |g: &GrayImage, side: u32| {
        let (w, h) = g.dimensions();
        let k = side as f32 / w.max(h) as f32;
        if k >= 1.0 {
            g.clone()
        } else {
            image::imageops::resize(
                g,
                (w as f32 * k) as u32,
                (h as f32 * k) as u32,
                image::imageops::FilterType::Triangle,
            )
        }
    };
    let base = fit(&gray, MAX_SIDE);
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

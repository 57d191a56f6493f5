//! Reading the stamp's QR code from a photo or scan of a printout (JPEG/PNG, any
//! orientation, some blur): decoded with rqrr on a reduced copy of the picture, then on
//! contrast-stretched, smaller and larger copies, then on the same copies turned level
//! (rqrr misses many codes turned more than a few degrees; the slant is measured with
//! Scharr gradients), then the level copy enlarged twice and turned half a degree either
//! way, until a code that Kho wrote is found.
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
    if let Some(code) = first_code(candidates(base.clone())) {
        return Ok(Some(code));
    }
    // The reader misses many codes turned more than a few degrees: turn the picture so
    // its edges (the code's and the printed text's) run level, and read it again.
    let slant = slant_deg(&base);
    if slant.abs() < 1.0 {
        return Ok(None);
    }
    let turn = |deg: f32| {
        imageproc::geometric_transformations::rotate_about_center_no_crop(
            &base,
            (-deg).to_radians(),
            imageproc::geometric_transformations::Interpolation::Bicubic,
            imageproc::geometric_transformations::Border::Constant(image::Luma([255])),
        )
    };
    let level = turn(slant);
    if let Some(code) = first_code(candidates(level.clone())) {
        return Ok(Some(code));
    }
    // rqrr's reading of a turned, blurred code is fickle (about one photo in ten of a
    // test set was still missed here): try it enlarged twice, then turned half a degree
    // either way.
    let (w, h) = level.dimensions();
    let enlarged = image::imageops::resize(
        &level,
        w * 2,
        h * 2,
        image::imageops::FilterType::CatmullRom,
    );
    drop(level);
    if let Some(code) = first_code(vec![enlarged]) {
        return Ok(Some(code));
    }
    Ok([0.5, -0.5]
        .into_iter()
        .find_map(|d| first_code(vec![turn(slant + d)])))
}

/// The first Kho stamp rqrr reads in `pictures`, tried in order.
fn first_code(pictures: Vec<GrayImage>) -> Option<StampCode> {
    pictures.into_iter().find_map(|picture| {
        let mut prepared = rqrr::PreparedImage::prepare(picture);
        prepared
            .detect_grids()
            .iter()
            .find_map(|grid| grid.decode().ok().and_then(|(_, content)| parse(&content)))
    })
}

/// How far the picture's edges are turned from level, in degrees within ±45 (a code
/// looks the same every quarter turn): the peak of the gradient directions, taken modulo
/// 90° and weighted by their strength, on a copy at most 1200 pixels a side.
fn slant_deg(g: &GrayImage) -> f32 {
    const BINS: usize = 180; // half a degree each
    let small = fit(g, 1200);
    // Scharr, not Sobel: Sobel's directions lean toward the axes (a code turned 17° was
    // measured at 15.9°), Scharr's are within 0.2°.
    let gx = imageproc::gradients::horizontal_scharr(&small);
    let gy = imageproc::gradients::vertical_scharr(&small);
    let mut hist = [0f32; BINS];
    for (x, y) in gx.pixels().zip(gy.pixels()) {
        let (dx, dy) = (x.0[0] as f32, y.0[0] as f32);
        let strength = dx.hypot(dy);
        if strength < 64.0 {
            continue;
        }
        let deg = dy.atan2(dx).to_degrees().rem_euclid(90.0);
        hist[(deg * 2.0) as usize % BINS] += strength;
    }
    let smooth = |i: usize| (0..5).map(|k| hist[(i + BINS + k - 2) % BINS]).sum::<f32>();
    let peak = (0..BINS)
        .max_by(|&a, &b| smooth(a).total_cmp(&smooth(b)))
        .unwrap_or(0);
    let (l, c, r) = (
        smooth((peak + BINS - 1) % BINS),
        smooth(peak),
        smooth((peak + 1) % BINS),
    );
    let bend = l - 2.0 * c + r;
    let offset = if bend < 0.0 {
        0.5 * (l - r) / bend
    } else {
        0.0
    };
    let deg = (peak as f32 + 0.5 + offset) / 2.0;
    if deg >= 45.0 { deg - 90.0 } else { deg }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo of a printed stamp: the code's modules `module_px` wide on an A5-sized
    /// white sheet, turned `deg`, blurred, upside down, saved as a JPEG at quality 60.
    fn photo(payload: &str, module_px: u32, deg: f32) -> Vec<u8> {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .unwrap();
        let m = code.width() as u32;
        let mut sheet = GrayImage::from_pixel(1100, 1500, image::Luma([255]));
        for (k, c) in code.to_colors().iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (x, y) = (k as u32 % m, k as u32 / m);
                for dy in 0..module_px {
                    for dx in 0..module_px {
                        let (px, py) = (120 + x * module_px + dx, 150 + y * module_px + dy);
                        sheet.put_pixel(px, py, image::Luma([20]));
                    }
                }
            }
        }
        let turned = imageproc::geometric_transformations::rotate_about_center_no_crop(
            &sheet,
            deg.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(image::Luma([200])),
        );
        let blurred = imageproc::filter::gaussian_blur_f32(&turned, 1.0);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 60)
            .encode_image(&image::imageops::rotate180(&blurred))
            .unwrap();
        jpeg
    }

    #[test]
    fn stamps_photographed_at_a_slant_are_read_whatever_their_content() {
        // Whether rqrr reads a slanted, blurred code depends on its modules, so on the
        // document id: about half of such photos were missed before the turned retries,
        // and one in ten before the enlarged and half-degree ones (0 of 90 after).
        for (k, deg) in [17f32, -17.0, 24.0, 38.0, 2.5, -9.0, -17.0, 24.0, -9.0, 17.0]
            .into_iter()
            .enumerate()
        {
            let id =
                uuid::Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + k as u128 * 7919);
            let payload = format!(
                "https://kho.example.gov.vn/v/{id}\nMaKQ:{id}\nMaTTHC:-\nChuSoHuu:001234567567\n\
                 Ten:Giấy khai sinh\nHeThong:Kho KHO\nThoiGian:2026-12-04T07:00:00Z"
            );
            let read = read_stamp(&photo(&payload, 4, deg)).unwrap();
            assert_eq!(
                read.map(|c| c.document_id),
                Some(id.to_string()),
                "a code turned {deg}°"
            );
        }
    }

    #[test]
    fn a_code_that_is_not_kho_s_is_not_taken() {
        let read = read_stamp(&photo("https://example.com/v/not-a-uuid", 5, 0.0)).unwrap();
        assert_eq!(read, None);
    }
}

//! deskew: estimate how far a page's text lines are tilted (up to ±15°) and rotate the
//! tilt out.
//!
//! The estimate is a projection profile: the ink pixels of a reduced copy, put on even
//! white paper first ([`crate::clean::even_paper`]: uneven light and scanner shadows
//! would otherwise outweigh the text), are projected across candidate line directions, and the direction whose profile
//! is sharpest (largest sum of squared bin counts) is the line direction. A coarse sweep
//! over ±15° is refined around its best angle. The same sweep with the axes swapped tells
//! whether the lines run vertically (a page turned sideways), which [`crate::orient`]
//! then settles. Pages tilted less than [`STRAIGHT_BELOW_DEG`] are left untouched.

use image::{DynamicImage, GrayImage, Luma, Rgb};
use imageproc::geometric_transformations::{Interpolation, rotate_about_center_no_crop};

/// Tilts smaller than this are left alone: no resampling of straight pages.
pub const STRAIGHT_BELOW_DEG: f32 = 0.1;
/// Largest tilt searched, in degrees.
pub const MAX_SKEW_DEG: f32 = 15.0;
/// Width the page is reduced to for the estimate.
const WORK_WIDTH: u32 = 1400;

/// What the estimate found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skew {
    /// Counter-clockwise tilt of the text lines, in degrees; rotating the page clockwise
    /// by this much straightens it.
    pub angle_deg: f32,
    /// True when the text lines run top to bottom: the page lies on its side.
    pub sideways: bool,
}

/// Estimate the tilt of the text lines of `gray`, a page read at `dpi`.
pub fn estimate(gray: &GrayImage, dpi: f32) -> Skew {
    let points = dark_points(gray, dpi);
    if points.len() < 50 {
        return Skew {
            angle_deg: 0.0,
            sideways: false,
        };
    }
    let (h_angle, h_score) = best_angle(&points);
    let swapped: Vec<(f32, f32)> = points.iter().map(|&(x, y)| (y, -x)).collect();
    let (v_angle, v_score) = best_angle(&swapped);
    if v_score > h_score * 1.3 {
        Skew {
            angle_deg: v_angle,
            sideways: true,
        }
    } else {
        Skew {
            angle_deg: h_angle,
            sideways: false,
        }
    }
}

/// Rotate `image` clockwise by `angle_deg` onto a white canvas large enough to keep
/// every pixel.
pub fn rotate(image: &DynamicImage, angle_deg: f32) -> DynamicImage {
    let theta = angle_deg.to_radians();
    if image.color().has_color() {
        let rgb = image.to_rgb8();
        DynamicImage::ImageRgb8(rotate_about_center_no_crop(
            &rgb,
            theta,
            Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(Rgb([255, 255, 255])),
        ))
    } else {
        let gray = image.to_luma8();
        DynamicImage::ImageLuma8(rotate_about_center_no_crop(
            &gray,
            theta,
            Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(Luma([255])),
        ))
    }
}

/// Ink pixels of a reduced copy on evened-out paper (uneven light and scanner shadows
/// would otherwise outweigh the text), centred on the page, in reduced pixels.
fn dark_points(gray: &GrayImage, dpi: f32) -> Vec<(f32, f32)> {
    let (w, h) = gray.dimensions();
    let (small, small_dpi) = if w > WORK_WIDTH {
        let nh = ((h as u64 * WORK_WIDTH as u64) / w as u64).max(1) as u32;
        let small = image::imageops::thumbnail(gray, WORK_WIDTH, nh);
        (small, dpi * WORK_WIDTH as f32 / w as f32)
    } else {
        (gray.clone(), dpi)
    };
    let mut small = small;
    whiten_bed(&mut small, small_dpi);
    let (mut small, level) = crate::clean::even_paper(&small, small_dpi);
    // The scanner's border around a skewed sheet is a dark wedge whose straight edge
    // would outscore the text lines (and look like lines running top to bottom).
    crate::clean::remove_non_letters(&mut small, level, small_dpi);
    let (sw, sh) = small.dimensions();
    // Ignore a margin where scanner borders and shadows live.
    let (mx, my) = (sw / 40, sh / 40);
    let (cx, cy) = (sw as f32 / 2.0, sh as f32 / 2.0);
    let mut points = Vec::new();
    // Each point lands somewhere inside its pixel (a fixed pseudo-random dither): points
    // on the whole-pixel lattice would make the angles where the lattice lines up (0°
    // above all) look sharper than the text lines are.
    let mut seed = 0x9E37_79B9u32;
    let mut dither = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    for y in my..sh.saturating_sub(my) {
        for x in mx..sw.saturating_sub(mx) {
            if small.get_pixel(x, y).0[0] < level {
                points.push((x as f32 - cx + dither(), y as f32 - cy + dither()));
            }
        }
    }
    // Text pages give 50–300 thousand points; more adds time, not precision.
    const MAX_POINTS: usize = 250_000;
    if points.len() > MAX_POINTS {
        let step = points.len().div_ceil(MAX_POINTS);
        points = points.into_iter().step_by(step).collect();
    }
    points
}

/// Whiten the scanner's bed around the sheet: the region darker than paper that is
/// connected to the image's edge, and a halo of 1 mm around it. Evening out the paper
/// would turn a wide bed into white and leave only the sheet's straight edges, which
/// outscore the text lines; the long sides of a skewed sheet then look like lines
/// running top to bottom.
pub fn whiten_bed(gray: &mut GrayImage, dpi: f32) {
    let dark = crate::clean::otsu(gray);
    whiten_bed_below(gray, dpi, dark);
}

/// [`whiten_bed`] with the bed's pixels those darker than `dark`.
pub fn whiten_bed_below(gray: &mut GrayImage, dpi: f32, dark: u8) {
    let (w, h) = gray.dimensions();
    if w < 3 || h < 3 {
        return;
    }
    let (wu, hu) = (w as usize, h as usize);
    let mut bed = vec![false; wu * hu];
    let mut stack: Vec<usize> = Vec::new();
    let raw = gray.as_raw();
    let seed = |i: usize, bed: &mut [bool], stack: &mut Vec<usize>| {
        if !bed[i] && raw[i] < dark {
            bed[i] = true;
            stack.push(i);
        }
    };
    for x in 0..wu {
        seed(x, &mut bed, &mut stack);
        seed((hu - 1) * wu + x, &mut bed, &mut stack);
    }
    for y in 0..hu {
        seed(y * wu, &mut bed, &mut stack);
        seed(y * wu + wu - 1, &mut bed, &mut stack);
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % wu, i / wu);
        if x > 0 {
            seed(i - 1, &mut bed, &mut stack);
        }
        if x + 1 < wu {
            seed(i + 1, &mut bed, &mut stack);
        }
        if y > 0 {
            seed(i - wu, &mut bed, &mut stack);
        }
        if y + 1 < hu {
            seed(i + wu, &mut bed, &mut stack);
        }
    }
    if !bed.iter().any(|&b| b) {
        return;
    }
    let mask = GrayImage::from_fn(w, h, |x, y| {
        Luma([if bed[y as usize * wu + x as usize] {
            255
        } else {
            0
        }])
    });
    let halo = ((dpi / 25.4).round() as u8).max(1);
    let mask =
        imageproc::morphology::dilate(&mask, imageproc::distance_transform::Norm::LInf, halo);
    for (p, m) in gray.as_mut().iter_mut().zip(mask.as_raw()) {
        if *m > 0 {
            *p = 255;
        }
    }
}

/// Sharpness of the projection across lines tilted counter-clockwise by `deg`; each
/// point is shared between the two nearest bins.
fn score(points: &[(f32, f32)], deg: f32, bins_per_px: f32) -> f64 {
    let (s, c) = deg.to_radians().sin_cos();
    let extent = points
        .iter()
        .fold(0f32, |m, &(x, y)| m.max(x.abs() + y.abs()));
    let offset = extent * bins_per_px;
    let mut hist = vec![0f32; (2.0 * offset) as usize + 3];
    for &(x, y) in points {
        // Along a line tilted counter-clockwise by θ, y·cosθ + x·sinθ is constant.
        let at = ((y * c + x * s) * bins_per_px + offset).max(0.0);
        let (b, frac) = (at as usize, at.fract());
        if b + 1 < hist.len() {
            hist[b] += 1.0 - frac;
            hist[b + 1] += frac;
        }
    }
    hist.iter().map(|&v| (v as f64) * (v as f64)).sum()
}

/// The best angle within ±15° and its score: a coarse sweep on a sample of the points,
/// then two refinements on all of them.
fn best_angle(points: &[(f32, f32)]) -> (f32, f64) {
    let sweep = |pts: &[(f32, f32)], from: f32, to: f32, step: f32, bins: f32| {
        let mut best = (from, f64::MIN);
        let mut a = from;
        while a <= to + 1e-6 {
            let s = score(pts, a, bins);
            if s > best.1 {
                best = (a, s);
            }
            a += step;
        }
        best.0
    };
    let sample: Vec<(f32, f32)> = points
        .iter()
        .step_by(points.len().div_ceil(40_000).max(1))
        .copied()
        .collect();
    let c = sweep(&sample, -MAX_SKEW_DEG, MAX_SKEW_DEG, 0.5, 1.0);
    let c = sweep(points, c - 0.5, c + 0.5, 0.05, 2.0);
    let c = sweep(points, c - 0.06, c + 0.06, 0.01, 4.0);
    // Compare hypotheses at a common resolution.
    (c, score(points, c, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Horizontal "text lines": dark bars with gaps, like words on lines.
    fn lined_page() -> GrayImage {
        let mut img = GrayImage::from_pixel(1200, 1600, Luma([250]));
        for line in 0..30 {
            let y0 = 150 + line * 45;
            for y in y0..y0 + 18 {
                for x in 150..1050 {
                    if ((x + line * 37) / 60) % 4 != 3 {
                        img.put_pixel(x, y, Luma([20]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn a_skewed_sheet_on_a_wider_dark_bed_is_not_taken_for_a_sideways_page() {
        // A realistic page (samples/realistic.py --seed 101, page 24, reduced to 1400 px
        // wide): a sheet tilted 2.45° and scanned whole on a grey bed. Its long straight
        // sides once outscored the text lines and the page was turned a quarter.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../samples/pages/skewed-on-bed.jpg"
        );
        let page = image::open(path).unwrap().to_luma8();
        let s = estimate(&page, 160.0);
        assert!(!s.sideways, "{s:?}");
        assert!((s.angle_deg + 2.45).abs() < 0.1, "{s:?}");
    }

    #[test]
    fn a_straight_page_measures_no_tilt() {
        let s = estimate(&lined_page(), 300.0);
        assert!(!s.sideways);
        assert!(s.angle_deg.abs() < STRAIGHT_BELOW_DEG, "{s:?}");
    }

    #[test]
    fn a_tilted_page_measures_its_tilt_and_straightens() {
        for tilt in [-12.0f32, -4.5, 2.0, 9.3, 14.5] {
            // rotate clockwise by -tilt = counter-clockwise by tilt
            let tilted = rotate(&DynamicImage::ImageLuma8(lined_page()), -tilt).to_luma8();
            let s = estimate(&tilted, 300.0);
            assert!(!s.sideways, "{tilt}: {s:?}");
            assert!(
                (s.angle_deg - tilt).abs() < 0.15,
                "tilt {tilt} measured {}",
                s.angle_deg
            );
            let fixed = rotate(&DynamicImage::ImageLuma8(tilted), s.angle_deg).to_luma8();
            assert!(estimate(&fixed, 300.0).angle_deg.abs() < 0.15);
        }
    }

    #[test]
    fn a_page_on_its_side_is_recognised() {
        let sideways = image::imageops::rotate90(&lined_page());
        assert!(estimate(&sideways, 300.0).sideways);
        let tilted = rotate(&DynamicImage::ImageLuma8(sideways), 5.0).to_luma8();
        assert!(estimate(&tilted, 300.0).sideways);
    }

    #[test]
    fn a_blank_page_has_no_tilt() {
        let s = estimate(&GrayImage::from_pixel(800, 1000, Luma([255])), 300.0);
        assert_eq!(
            s,
            Skew {
                angle_deg: 0.0,
                sideways: false
            }
        );
    }
}

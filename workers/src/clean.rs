//! clean: prepare a straightened page for OCR, and tell blank pages.
//!
//! The PDF keeps the page image itself; only what Tesseract reads is cleaned:
//!
//! 1. **Background normalization** (adaptive binarization's first half): the paper's
//!    brightness is estimated on a coarse grid (the brightest pixels of each cell,
//!    spread to neighbouring cells so text never counts as background, then smoothed)
//!    and every pixel is divided by it. Uneven lighting, yellowed paper and a scanner's
//!    shadow along the spine become white paper with dark text.
//! 2. **Threshold** of the normalized page (Otsu over the normalized histogram): the ink
//!    mask used by the steps below and by blank-page detection.
//! 3. **Borders**: dark bands along the edges (the scanner lid, the book's edge, the
//!    shadow of a fold) are whitened: rows and columns at the edge that are mostly ink.
//! 4. **Not text**: long straight runs of ink (table rules, the short rules under the
//!    header, underlines) are whitened, and so are connected pieces of ink that no
//!    letter could be: large pieces touching the page's edge (the scanner's border
//!    around a skewed sheet) and large solid round blobs in the margin (punch holes). Nothing small is
//!    removed here: a diacritic is a small piece of its own.
//!    Grey lighter than halfway from the ink threshold to white (the back page showing
//!    through) becomes paper, and red and blue ink (seal, signature) become paper too —
//!    a signature's whole stroke, including the dark core JPEG's halved colour
//!    resolution leaves nearly grey (a pixel leaning blue takes the colour around it).
//! 5. **Despeckle**: isolated ink pixels (no ink among their 8 neighbours) are
//!    whitened; dust and salt noise go, strokes stay (a dot of `ạ` is several pixels).
//!
//! Tesseract gets the normalized grey page with borders and specks whitened (its LSTM
//! reads grey better than a hard threshold at 200 dpi); the page counts as blank when
//! less than [`BLANK_INK_FRACTION`] of it is ink after cleaning.

use image::{DynamicImage, GrayImage, Luma};

/// A page with less ink than this fraction of its area is blank: about a short word at
/// 300 dpi, so a page holding a single line of text still counts as written.
pub const BLANK_INK_FRACTION: f32 = 0.0003;
/// Side of a background cell, in pixels of a 300-dpi page (scaled with resolution).
const CELL_AT_300_DPI: f32 = 32.0;
/// A row or column at the edge that is at least this much ink is border, not text.
const BORDER_INK_FRACTION: f32 = 0.6;
/// Borders are searched this deep into the page (fraction of its side).
const BORDER_MAX_DEPTH: f32 = 0.08;
/// A straight run of ink at least this long (mm) is a rule, not part of a letter.
const RULE_MIN_MM: f32 = 10.0;
/// Evened-out paper in this range of brightness is a shadow band to lift.
const BAND_PAPER_FROM: u8 = 100;
const BAND_PAPER_BELOW: u8 = 225;
/// A scanner bed is darker than this share of the paper's brightness.
const BED_BELOW_PAPER: f32 = 0.4;
/// A piece of ink touching the page's edge and this large (mm, either side) is border.
const EDGE_PIECE_MIN_MM: f32 = 10.0;
/// A piece at least this large both ways (mm), this solid (a disc fills 0.79 of its
/// box; a bold capital such as `H`, `Đ` or `B` about 0.5–0.65), no more than this much
/// longer one way than the other, and lying within [`BLOB_MARGIN_MM`] of an edge is a
/// punch hole, not a letter. Scans whose resolution is declared too low make letters
/// look larger than they are, so size alone never decides.
const BLOB_MIN_MM: f32 = 4.0;
const BLOB_MIN_FILL: f32 = 0.7;
const BLOB_MAX_ASPECT: f32 = 1.5;
const BLOB_MARGIN_MM: f32 = 45.0;

/// How far red or blue stands above the other two channels (yellowed paper has red and
/// green above blue, so it scores near nothing) under which a pixel counts as plain black-to-white.
const INK_CHROMA: f32 = 16.0;
/// Once the paper is even, grey lighter than this share of the way from the ink
/// threshold to white is paper: the back page showing through, grain. Chosen by
/// measurement on realistic scans (`samples/realistic.py`): 0.5 read best of 0.3–0.7.
const GHOST_FROM: f32 = 0.5;
/// Chroma past which a pixel is all colour: red seal or blue signature, read as paper.
const COLOUR_CHROMA: f32 = 48.0;

/// How far each pixel is coloured ink, 0 (not at all) to 255 (wholly), or `None` for a
/// grey page: the red seal and the blue signature are not text, and Tesseract reads
/// them as garbage. A pixel whose red (or blue) stands above the other two channels by
/// [`COLOUR_CHROMA`] is coloured ink; under [`INK_CHROMA`] it is plain (yellowed paper,
/// black text, and black text printed over the seal, which stays dark in every channel).
pub fn colour_weight(image: &DynamicImage) -> Option<GrayImage> {
    if !image.color().has_color() {
        return None;
    }
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let mut weight = GrayImage::new(w, h);
    // Pixels that lean blue without reaching INK_CHROMA: a signature's dark core where
    // JPEG's halved colour resolution smeared its blue away.
    let mut bluish = Vec::new();
    for (i, (o, p)) in weight
        .as_mut()
        .iter_mut()
        .zip(rgb.as_raw().chunks_exact(3))
        .enumerate()
    {
        let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
        let chroma = (r - g.max(b)).max(b - r.max(g));
        let k = ((chroma - INK_CHROMA) / (COLOUR_CHROMA - INK_CHROMA)).clamp(0.0, 1.0);
        *o = (k * 255.0).round() as u8;
        if *o < 255 && b - r.max(g) >= BLUE_LEAN {
            bluish.push(i);
        }
    }
    // Such a pixel takes the strongest colour weight within SMEAR_PX of it: a stroke of
    // the signature is dropped whole, not left as a grey outline Tesseract reads as
    // letters. Red is left alone: black text printed over the seal leans red there.
    if !bluish.is_empty() {
        let near = max_filter(&weight, SMEAR_PX);
        let (out, near) = (weight.as_mut(), near.as_raw());
        for i in bluish {
            out[i] = out[i].max(near[i]);
        }
    }
    Some(weight)
}

/// How far blue must stand above red and green for a pixel to count as leaning blue.
const BLUE_LEAN: f32 = 6.0;
/// How far (pixels) a leaning pixel looks for the colour it lost: JPEG halves the colour
/// resolution, so a stroke's colour is smeared over about two pixels.
const SMEAR_PX: u32 = 2;

/// Each pixel's greatest value within `r` pixels (a square), in two passes.
fn max_filter(image: &GrayImage, r: u32) -> GrayImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let r = r as usize;
    let src = image.as_raw();
    let mut across = vec![0u8; w * h];
    for (row, out) in src.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
        for (x, o) in out.iter_mut().enumerate() {
            *o = row[x.saturating_sub(r)..=(x + r).min(w - 1)]
                .iter()
                .copied()
                .max()
                .unwrap_or(0);
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let (from, to) = (y.saturating_sub(r), (y + r).min(h - 1));
        let dst = &mut out[y * w..(y + 1) * w];
        for j in from..=to {
            for (o, &v) in dst.iter_mut().zip(&across[j * w..(j + 1) * w]) {
                *o = (*o).max(v);
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("the image's own size")
}

/// `gray` with coloured ink blended towards white paper by its `weight` (see
/// [`colour_weight`]).
fn drop_colour(gray: &mut GrayImage, weight: &GrayImage) {
    for (g, &k) in gray.as_mut().iter_mut().zip(weight.as_raw()) {
        if k > 0 {
            let k = k as u32;
            *g = ((*g as u32 * (255 - k) + 255 * k) / 255) as u8;
        }
    }
}

/// The page in grey with coloured ink dropped, for estimating the
/// tilt of the text lines without the seal's round lettering.
pub fn ink_gray(image: &DynamicImage) -> GrayImage {
    let mut gray = image.to_luma8();
    if let Some(weight) = colour_weight(image) {
        drop_colour(&mut gray, &weight);
    }
    gray
}

/// Clean a page: [`clean`] on its grey, with coloured ink (seal, signature) dropped
/// once the paper is even, so what it covered reads as paper.
pub fn clean_page(image: &DynamicImage, dpi: f32) -> Cleaned {
    let gray = image.to_luma8();
    let weight = colour_weight(image);
    clean_with(gray, weight.as_ref(), dpi)
}

/// The cleaned OCR input and what cleaning found.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// Normalized grey page, borders and specks whitened.
    pub gray: GrayImage,
    /// Fraction of the page that is ink after cleaning.
    pub ink_fraction: f32,
    /// True when the page holds (next to) no ink.
    pub blank: bool,
}

/// Clean a grey page read at `dpi`.
pub fn clean(gray: &GrayImage, dpi: f32) -> Cleaned {
    clean_with(gray.clone(), None, dpi)
}

fn clean_with(mut gray: GrayImage, colour: Option<&GrayImage>, dpi: f32) -> Cleaned {
    let (w, h) = gray.dimensions();
    if w == 0 || h == 0 {
        return Cleaned {
            gray,
            ink_fraction: 0.0,
            blank: true,
        };
    }
    // A dark scanner bed around a sheet scanned whole goes first: evened out, it would
    // leave the sheet's edges as long ragged strokes that Tesseract takes for text. Only
    // a bed far darker than the paper: paper in a shadow reaching the edge stays.
    let dark = otsu(&gray).min((f32::from(paper_level(&gray)) * BED_BELOW_PAPER) as u8);
    crate::deskew::whiten_bed_below(&mut gray, dpi, dark);
    let (mut page, threshold) = even_paper(&gray, dpi);
    if let Some(weight) = colour {
        drop_colour(&mut page, weight);
    }
    // The back page showing through, and the paper's grain, are lighter than any ink.
    let paper_from = threshold as f32 + (255.0 - threshold as f32) * GHOST_FROM;
    page.as_mut()
        .iter_mut()
        .filter(|p| **p as f32 >= paper_from)
        .for_each(|p| *p = 255);
    remove_rules(&mut page, threshold, dpi);
    remove_non_letters(&mut page, threshold, dpi);
    let ink = despeckle(&mut page, threshold);
    let ink_fraction = ink as f32 / (w as f32 * h as f32);
    Cleaned {
        gray: page,
        ink_fraction,
        blank: ink_fraction < BLANK_INK_FRACTION,
    }
}

/// The paper's brightness: the level a tenth of the page reaches.
fn paper_level(gray: &GrayImage) -> u8 {
    let mut hist = [0u32; 256];
    gray.as_raw()
        .iter()
        .step_by(7)
        .for_each(|&p| hist[p as usize] += 1);
    tenth_brightest(&hist)
}

/// The level the brightest tenth of a histogram's pixels reaches: the paper, not the ink
/// (255 when the histogram is empty).
fn tenth_brightest(hist: &[u32; 256]) -> u8 {
    let total: u64 = hist.iter().map(|&n| u64::from(n)).sum();
    let mut seen = 0u64;
    for v in (0..256).rev() {
        seen += u64::from(hist[v]);
        if seen * 10 >= total && seen > 0 {
            return v as u8;
        }
    }
    255
}

/// Steps 1–3: the page on even white paper without dark borders, and the ink threshold.
pub fn even_paper(gray: &GrayImage, dpi: f32) -> (GrayImage, u8) {
    let cell = ((CELL_AT_300_DPI * dpi / 300.0).round() as u32).clamp(4, 128);
    let mut page = normalize_background(gray, cell);
    lift_bands(&mut page);
    // Paper is near 255 once normalized; on a blank page Otsu would split the paper's
    // own noise, so the threshold never rises above mid-grey.
    let threshold = otsu(&page).clamp(64, 160);
    whiten_borders(&mut page, threshold);
    (page, threshold)
}

/// Divide each pixel by the local paper brightness.
fn normalize_background(gray: &GrayImage, cell: u32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let (gw, gh) = (w.div_ceil(cell), h.div_ceil(cell));
    // Per cell: a high percentile of brightness (the paper, not the ink).
    let mut grid = vec![0f32; (gw * gh) as usize];
    let mut hist = [0u32; 256];
    for gy in 0..gh {
        for gx in 0..gw {
            hist.fill(0);
            let (x0, y0) = (gx * cell, gy * cell);
            let (x1, y1) = ((x0 + cell).min(w), (y0 + cell).min(h));
            // Every other pixel both ways is enough to find the paper.
            for y in (y0..y1).step_by(2) {
                let row = &gray.as_raw()[(y * w) as usize..((y + 1) * w) as usize];
                for &p in row[x0 as usize..x1 as usize].iter().step_by(2) {
                    hist[p as usize] += 1;
                }
            }
            grid[(gy * gw + gx) as usize] = f32::from(tenth_brightest(&hist));
        }
    }
    // A cell full of ink (a heading, a stamp) has no paper: take the brightest
    // neighbour, then smooth so the background varies gently.
    let grid = neighbourhood(&grid, gw, gh, 1, f32::max);
    let grid = neighbourhood(&grid, gw, gh, 1, |a, b| a + b);
    let count = |gx: u32, gy: u32| {
        let cx = (gx.min(1) + (gw - 1 - gx).min(1) + 1) as f32;
        let cy = (gy.min(1) + (gh - 1 - gy).min(1) + 1) as f32;
        cx * cy
    };
    let grid: Vec<f32> = (0..gh)
        .flat_map(|gy| (0..gw).map(move |gx| (gx, gy)))
        .map(|(gx, gy)| (grid[(gy * gw + gx) as usize] / count(gx, gy)).max(24.0))
        .collect();
    // Bilinear background per pixel; output = 255 · pixel / background.
    let mut out = GrayImage::new(w, h);
    let half = cell as f32 / 2.0;
    let mut row_bg = vec![0f32; w as usize];
    for y in 0..h {
        let fy = ((y as f32 - half) / cell as f32).clamp(0.0, (gh - 1) as f32);
        let (y0, ty) = (fy.floor() as u32, fy.fract());
        let y1 = (y0 + 1).min(gh - 1);
        for (x, bg) in row_bg.iter_mut().enumerate() {
            let fx = ((x as f32 - half) / cell as f32).clamp(0.0, (gw - 1) as f32);
            let (x0, tx) = (fx.floor() as u32, fx.fract());
            let x1 = (x0 + 1).min(gw - 1);
            let at = |gx: u32, gy: u32| grid[(gy * gw + gx) as usize];
            let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
            let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
            *bg = 255.0 / (top * (1.0 - ty) + bottom * ty);
        }
        let src = &gray.as_raw()[(y * w) as usize..((y + 1) * w) as usize];
        let dst = &mut out.as_mut()[(y * w) as usize..((y + 1) * w) as usize];
        for ((d, &s), &k) in dst.iter_mut().zip(src).zip(&row_bg) {
            *d = (s as f32 * k).min(255.0) as u8;
        }
    }
    out
}

/// Brighten the paper of a shadow band narrower than the background's cells (a fold
/// across the sheet): in strips a few pixels tall and a few centimetres wide, paper
/// still darker than white once evened out is lifted to white with the ink on it. A
/// strip with no paper in it (a thick rule) is left alone.
fn lift_bands(page: &mut GrayImage) {
    const STRIP_W: u32 = 256;
    const STRIP_H: u32 = 4;
    let (w, h) = page.dimensions();
    let mut hist = [0u32; 256];
    for y0 in (0..h).step_by(STRIP_H as usize) {
        let y1 = (y0 + STRIP_H).min(h);
        for x0 in (0..w).step_by(STRIP_W as usize) {
            let x1 = (x0 + STRIP_W).min(w);
            hist.fill(0);
            for y in y0..y1 {
                let row = &page.as_raw()[(y * w + x0) as usize..(y * w + x1) as usize];
                row.iter().for_each(|&p| hist[p as usize] += 1);
            }
            let paper = tenth_brightest(&hist);
            if !(BAND_PAPER_FROM..BAND_PAPER_BELOW).contains(&paper) {
                continue;
            }
            let k = 255.0 / paper as f32;
            for y in y0..y1 {
                let row = &mut page.as_mut()[(y * w + x0) as usize..(y * w + x1) as usize];
                row.iter_mut()
                    .for_each(|p| *p = (*p as f32 * k).min(255.0) as u8);
            }
        }
    }
}

/// Combine each grid cell with its neighbours within `r` cells (separably).
fn neighbourhood(grid: &[f32], gw: u32, gh: u32, r: u32, f: fn(f32, f32) -> f32) -> Vec<f32> {
    let (gw, gh, r) = (gw as i64, gh as i64, r as i64);
    let idx = |x: i64, y: i64| (y * gw + x) as usize;
    let mut across = vec![0f32; grid.len()];
    for y in 0..gh {
        for x in 0..gw {
            let mut acc = grid[idx(x, y)];
            for dx in 1..=r {
                for nx in [x - dx, x + dx] {
                    if (0..gw).contains(&nx) {
                        acc = f(acc, grid[idx(nx, y)]);
                    }
                }
            }
            across[idx(x, y)] = acc;
        }
    }
    let mut out = vec![0f32; grid.len()];
    for y in 0..gh {
        for x in 0..gw {
            let mut acc = across[idx(x, y)];
            for dy in 1..=r {
                for ny in [y - dy, y + dy] {
                    if (0..gh).contains(&ny) {
                        acc = f(acc, across[idx(x, ny)]);
                    }
                }
            }
            out[idx(x, y)] = acc;
        }
    }
    out
}

/// Otsu's threshold of a grey image.
pub fn otsu(gray: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &p in gray.as_raw() {
        hist[p as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut best_t) = (0u64, 0f64, 0f64, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c;
        if w_b == 0 || w_b == total {
            continue;
        }
        sum_b += t as f64 * c as f64;
        let w_f = total - w_b;
        let (m_b, m_f) = (sum_b / w_b as f64, (sum_all - sum_b) / w_f as f64);
        let between = w_b as f64 * w_f as f64 * (m_b - m_f).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// Whiten bands of mostly-ink rows and columns along the four edges.
fn whiten_borders(page: &mut GrayImage, threshold: u8) {
    let (w, h) = page.dimensions();
    let ink_in_row = |p: &GrayImage, y: u32| {
        p.rows()
            .nth(y as usize)
            .map_or(0, |r| r.filter(|px| px.0[0] < threshold).count())
    };
    let ink_in_col = |p: &GrayImage, x: u32| {
        (0..h)
            .filter(|&y| p.get_pixel(x, y).0[0] < threshold)
            .count()
    };
    let depth_y = (h as f32 * BORDER_MAX_DEPTH) as u32;
    let depth_x = (w as f32 * BORDER_MAX_DEPTH) as u32;
    let row_limit = (w as f32 * BORDER_INK_FRACTION) as usize;
    let col_limit = (h as f32 * BORDER_INK_FRACTION) as usize;
    let top = (0..depth_y)
        .take_while(|&y| ink_in_row(page, y) >= row_limit)
        .count() as u32;
    let bottom = (0..depth_y)
        .take_while(|&d| ink_in_row(page, h - 1 - d) >= row_limit)
        .count() as u32;
    let left = (0..depth_x)
        .take_while(|&x| ink_in_col(page, x) >= col_limit)
        .count() as u32;
    let right = (0..depth_x)
        .take_while(|&d| ink_in_col(page, w - 1 - d) >= col_limit)
        .count() as u32;
    let white = Luma([255u8]);
    for y in (0..top).chain(h - bottom..h) {
        for x in 0..w {
            page.put_pixel(x, y, white);
        }
    }
    for x in (0..left).chain(w - right..w) {
        for y in 0..h {
            page.put_pixel(x, y, white);
        }
    }
}

/// Whiten horizontal and vertical runs of ink at least [`RULE_MIN_MM`] long, with the
/// pixel on either side across the run (a rule's anti-aliased edge).
fn remove_rules(page: &mut GrayImage, threshold: u8, dpi: f32) {
    let (w, h) = (page.width() as usize, page.height() as usize);
    let min = ((RULE_MIN_MM / 25.4 * dpi) as usize).max(8);
    let ink: Vec<bool> = page.as_raw().iter().map(|&p| p < threshold).collect();
    let mut rule = vec![false; w * h];
    for y in 0..h {
        let mut x = 0;
        while x < w {
            if !ink[y * w + x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < w && ink[y * w + x] {
                x += 1;
            }
            if x - start >= min {
                for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                    rule[yy * w + start..yy * w + x]
                        .iter_mut()
                        .for_each(|r| *r = true);
                }
            }
        }
    }
    for x in 0..w {
        let mut y = 0;
        while y < h {
            if !ink[y * w + x] {
                y += 1;
                continue;
            }
            let start = y;
            while y < h && ink[y * w + x] {
                y += 1;
            }
            if y - start >= min {
                for yy in start..y {
                    for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                        rule[yy * w + xx] = true;
                    }
                }
            }
        }
    }
    for (p, r) in page.as_mut().iter_mut().zip(&rule) {
        if *r {
            *p = 255;
        }
    }
}

/// Whiten the connected pieces of ink no letter could be: large ones touching the edge
/// (the scanner's border) and large solid blobs (punch holes). Small pieces stay.
pub(crate) fn remove_non_letters(page: &mut GrayImage, threshold: u8, dpi: f32) {
    use imageproc::region_labelling::{Connectivity, connected_components};
    let (w, h) = page.dimensions();
    let mask = GrayImage::from_fn(w, h, |x, y| {
        Luma([u8::from(page.get_pixel(x, y).0[0] < threshold)])
    });
    let labels = connected_components(&mask, Connectivity::Eight, Luma([0u8]));
    // Per label: min x, min y, max x, max y, pixels.
    let mut boxes: Vec<[u32; 5]> = Vec::new();
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l == 0 {
            continue;
        }
        if boxes.len() <= l {
            boxes.resize(l + 1, [u32::MAX, u32::MAX, 0, 0, 0]);
        }
        let b = &mut boxes[l];
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x);
        b[3] = b[3].max(y);
        b[4] += 1;
    }
    let mm = |v: f32| v / 25.4 * dpi;
    let drop: Vec<bool> = boxes
        .iter()
        .map(|b| {
            if b[4] == 0 {
                return false;
            }
            let (bw, bh) = ((b[2] - b[0] + 1) as f32, (b[3] - b[1] + 1) as f32);
            let edge = b[0] == 0 || b[1] == 0 || b[2] == w - 1 || b[3] == h - 1;
            let border = edge && bw.max(bh) >= mm(EDGE_PIECE_MIN_MM);
            let margin = mm(BLOB_MARGIN_MM) as u32;
            let in_margin =
                b[2] < margin || b[3] < margin || b[0] + margin > w || b[1] + margin > h;
            let blob = bw.min(bh) >= mm(BLOB_MIN_MM)
                && bw.max(bh) <= BLOB_MAX_ASPECT * bw.min(bh)
                && b[4] as f32 >= BLOB_MIN_FILL * bw * bh
                && in_margin;
            border || blob
        })
        .collect();
    if !drop.iter().any(|d| *d) {
        return;
    }
    for (p, l) in page.as_mut().iter_mut().zip(labels.as_raw()) {
        if drop.get(*l as usize).copied().unwrap_or(false) {
            *p = 255;
        }
    }
}

/// Whiten ink pixels with no ink among their 8 neighbours; returns the ink left.
fn despeckle(page: &mut GrayImage, threshold: u8) -> u64 {
    let (w, h) = (page.width() as usize, page.height() as usize);
    let ink: Vec<bool> = page.as_raw().iter().map(|&p| p < threshold).collect();
    let mut left = 0u64;
    let raw = page.as_mut();
    for y in 0..h {
        for x in 0..w {
            if !ink[y * w + x] {
                continue;
            }
            let mut lonely = true;
            'n: for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    if (nx, ny) != (x, y) && ink[ny * w + nx] {
                        lonely = false;
                        break 'n;
                    }
                }
            }
            if lonely {
                raw[y * w + x] = 255;
            } else {
                left += 1;
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_s_smeared_dark_core_goes_with_its_blue_and_black_over_red_stays() {
        // Paper; a blue stroke (rows 10-16) whose dark middle row lost most of its blue
        // (JPEG); a black letter stroke (rows 30-34) printed over a red seal that tints
        // it a little red.
        let img = image::RgbImage::from_fn(40, 50, |_, y| match y {
            10..=12 | 14..=16 => image::Rgb([40, 50, 160]),
            13 => image::Rgb([40, 42, 52]),
            25..=29 | 35..=39 => image::Rgb([200, 60, 60]),
            30..=34 => image::Rgb([52, 40, 40]),
            _ => image::Rgb([235, 230, 210]),
        });
        let weight = colour_weight(&DynamicImage::ImageRgb8(img)).unwrap();
        assert_eq!(weight.get_pixel(20, 11).0[0], 255, "blue ink");
        assert_eq!(weight.get_pixel(20, 13).0[0], 255, "its smeared core");
        assert_eq!(weight.get_pixel(20, 27).0[0], 255, "red ink");
        assert_eq!(weight.get_pixel(20, 32).0[0], 0, "black over red is text");
        assert_eq!(weight.get_pixel(20, 45).0[0], 0, "paper");
    }

    fn text_like(w: u32, h: u32) -> GrayImage {
        // Dark "strokes" every 40 px on white paper.
        GrayImage::from_fn(w, h, |x, y| {
            if (y % 40) < 6 && (x % 30) < 20 && x > 50 && x < w - 50 && y > 50 && y < h - 50 {
                Luma([30])
            } else {
                Luma([235])
            }
        })
    }

    #[test]
    fn a_fold_shadow_across_a_line_keeps_the_line() {
        // A shadow 30 px tall across the sheet, over a line of strokes (rows 480–485).
        let base = text_like(800, 1000);
        let folded = GrayImage::from_fn(800, 1000, |x, y| {
            let k = if (475..505).contains(&y) { 0.55 } else { 1.0 };
            Luma([(base.get_pixel(x, y).0[0] as f32 * k) as u8])
        });
        let out = clean(&folded, 300.0);
        // The strokes in the shadow stay ink; the shadow's paper becomes paper.
        for x in [65, 365, 665] {
            assert!(out.gray.get_pixel(x, 482).0[0] < 100, "stroke at {x}");
        }
        for x in [80, 380, 680] {
            assert!(out.gray.get_pixel(x, 495).0[0] > 230, "paper at {x}");
        }
    }

    #[test]
    fn the_edges_of_a_sheet_straightened_on_a_dark_bed_are_not_ink() {
        // A sheet with strokes in its middle on a wide dark bed, scanned 9° askew, then
        // turned back as the pipeline does (onto white). Evened out, the bed would leave
        // a dark band along the sheet's edges, stepped by the background's cells.
        let mut scan = GrayImage::from_pixel(1400, 1800, Luma([40]));
        for y in 250..1550 {
            for x in 250..1150 {
                let stroke = (500..900).contains(&x) && (500..1300).contains(&y);
                let ink = stroke && y % 40 < 6 && x % 30 < 20;
                scan.put_pixel(x, y, Luma([if ink { 30 } else { 235 }]));
            }
        }
        let askew = imageproc::geometric_transformations::rotate_about_center(
            &scan,
            9f32.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(Luma([40])),
        );
        let straight = crate::deskew::rotate(&DynamicImage::ImageLuma8(askew), -9.0).into_luma8();
        let out = clean(&straight, 300.0);
        // Nothing dark is left farther from the centre than the strokes.
        let (cx, cy) = (out.gray.width() as i64 / 2, out.gray.height() as i64 / 2);
        let stray = out
            .gray
            .enumerate_pixels()
            .filter(|(x, y, p)| {
                let (dx, dy) = ((*x as i64 - cx).abs(), (*y as i64 - cy).abs());
                p.0[0] < 128 && (dx > 300 || dy > 500)
            })
            .count();
        assert_eq!(stray, 0);
    }

    #[test]
    fn uneven_light_becomes_even_paper_and_text_stays_dark() {
        let base = text_like(600, 800);
        // Light falls off to the right: the right edge is at 45 % of the left.
        let lit = GrayImage::from_fn(600, 800, |x, y| {
            let k = 1.0 - 0.55 * x as f32 / 600.0;
            Luma([(base.get_pixel(x, y).0[0] as f32 * k) as u8])
        });
        let out = clean(&lit, 300.0);
        // Paper on the dark side comes back to white, a stroke there stays dark.
        assert!(
            out.gray.get_pixel(560, 30).0[0] > 230,
            "{:?}",
            out.gray.get_pixel(560, 30)
        );
        assert!(
            out.gray.get_pixel(545, 82).0[0] < 100,
            "{:?}",
            out.gray.get_pixel(545, 82)
        );
        assert!(!out.blank);
    }

    #[test]
    fn specks_and_a_dark_border_are_whitened_and_an_empty_page_is_blank() {
        let mut page = GrayImage::from_pixel(500, 700, Luma([240]));
        for i in 0..200u32 {
            page.put_pixel((i * 37) % 480 + 10, (i * 53) % 680 + 10, Luma([0]));
        }
        for y in 0..700 {
            for x in 0..20 {
                page.put_pixel(x, y, Luma([10]));
            }
        }
        let out = clean(&page, 300.0);
        assert_eq!(out.gray.get_pixel(5, 300).0[0], 255, "border whitened");
        assert!(out.blank, "ink left {}", out.ink_fraction);
        assert!(!clean(&text_like(500, 700), 300.0).blank);
        // Grey, noisy, unevenly lit paper with nothing written on it is blank too.
        let mut seed = 7u32;
        let noisy = GrayImage::from_fn(800, 1100, |x, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let noise = (seed >> 16) % 40;
            Luma([(150 + noise + x / 20) as u8])
        });
        let out = clean(&noisy, 300.0);
        assert!(out.blank, "ink {}", out.ink_fraction);
    }

    #[test]
    fn a_punch_hole_goes_and_a_bold_capital_stays_even_at_a_low_declared_resolution() {
        // A 300-dpi page declared as 200 dpi: a bold `H` (48 px, 0.6 of its box inked)
        // in the text looks 6 mm tall, a punch hole (a 70 px disc) sits at the margin.
        let mut page = GrayImage::from_pixel(1240, 1754, Luma([240]));
        for y in 600..648u32 {
            for x in 600..648u32 {
                if !(612..636).contains(&x) || (618..630).contains(&y) {
                    page.put_pixel(x, y, Luma([20]));
                }
            }
        }
        for y in 0..70i32 {
            for x in 0..70i32 {
                if (x - 35).pow(2) + (y - 35).pow(2) <= 35 * 35 {
                    page.put_pixel((60 + x) as u32, (800 + y) as u32, Luma([30]));
                }
            }
        }
        let out = clean(&page, 200.0);
        assert!(out.gray.get_pixel(605, 620).0[0] < 100, "the letter stays");
        assert!(out.gray.get_pixel(95, 835).0[0] > 230, "the hole goes");
    }
}

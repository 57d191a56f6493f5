//! PDF pages that are not one plain scanned image, rendered by hayro (a pure-Rust PDF
//! rasterizer): born-digital text and vector art, images inside forms, masks, Indexed,
//! ICC, CMYK and Lab colour, JPEG 2000, filter chains. `/Rotate` and the crop box are
//! the renderer's; `/UserUnit` is applied here. The page is drawn on white at a
//! resolution chosen by [`resolution`], within the decoding limits and [`RENDER_LIMIT`].

use std::sync::{Arc, mpsc};
use std::time::Duration;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::{DynamicImage, RgbImage};

use super::Limits;
use crate::PipelineError;

/// Resolution for a page without images (text and vector art): what a scanner uses.
pub(super) const VECTOR_DPI: f32 = 300.0;

/// The resolution to render a page at: its largest image's own (so a scan drawn through
/// a form or a mask keeps its detail), between 200 and 400 dpi, or [`VECTOR_DPI`] for a
/// page without images; lowered until the page fits `limits`.
pub(super) fn resolution(
    image_dpi: Option<f32>,
    (width_pt, height_pt): (f32, f32),
    limits: &Limits,
) -> f32 {
    let mut dpi = image_dpi.map_or(VECTOR_DPI, |d| d.clamp(200.0, 400.0));
    let px = |dpi: f32| {
        (
            (width_pt / 72.0 * dpi).ceil() as u64,
            (height_pt / 72.0 * dpi).ceil() as u64,
        )
    };
    // u16 is the renderer's own bound on a side.
    let max_side = (limits.max_dimension as u64).min(u16::MAX as u64);
    while dpi > 50.0 {
        let (w, h) = px(dpi);
        if w <= max_side && h <= max_side && w * h <= limits.max_pixels {
            break;
        }
        dpi *= 0.9;
    }
    dpi
}

/// Longest a page may take to draw. A page's pixels are bounded by the limits, but the
/// work of drawing it is not (a hostile page can hold millions of paths): past this the
/// page fails with a timeout and the drawing thread is left to end on its own.
pub(super) const RENDER_LIMIT: Duration = Duration::from_secs(60);

/// A parsed file whose pages can be rendered one at a time.
pub(super) struct Renderer {
    /// Parsed once; shared with the thread that draws a page.
    pdf: Arc<Pdf>,
}

impl Renderer {
    pub(super) fn new(bytes: &[u8]) -> Result<Renderer, PipelineError> {
        let pdf = Pdf::new(Arc::new(bytes.to_vec())).map_err(|e| {
            PipelineError::Corrupt(format!("PDF: the renderer cannot read the file ({e:?})"))
        })?;
        Ok(Renderer { pdf: Arc::new(pdf) })
    }

    /// Page `index` (from 0)'s size in points as displayed (after `/Rotate`), times
    /// `user_unit`.
    pub(super) fn size(&self, index: usize, user_unit: f32) -> Option<(f32, f32)> {
        let page = self.pdf.pages().get(index)?;
        let (w, h) = page.render_dimensions();
        Some((w * user_unit, h * user_unit))
    }

    /// Page `index` (from 0) drawn on white at `dpi`, within [`RENDER_LIMIT`].
    pub(super) fn render(
        &self,
        index: usize,
        dpi: f32,
        user_unit: f32,
    ) -> Result<DynamicImage, PipelineError> {
        let pdf = self.pdf.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("kho-render".into())
            .spawn(move || {
                let _ = tx.send(draw(&pdf, index, dpi / 72.0 * user_unit));
            })
            .map_err(|e| PipelineError::Corrupt(format!("PDF: cannot start drawing: {e}")))?;
        rx.recv_timeout(RENDER_LIMIT).unwrap_or_else(|_| {
            Err(PipelineError::Timeout(format!(
                "drawing page {} took over {} s",
                index + 1,
                RENDER_LIMIT.as_secs()
            )))
        })
    }
}

/// Page `index` drawn on white at `scale` pixels per point.
fn draw(pdf: &Pdf, index: usize, scale: f32) -> Result<DynamicImage, PipelineError> {
    let page = pdf
        .pages()
        .get(index)
        .ok_or_else(|| PipelineError::Corrupt(format!("PDF: page {} is missing", index + 1)))?;
    let cache = RenderCache::new();
    let pixmap = hayro::render(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (w, h) = (pixmap.width() as u32, pixmap.height() as u32);
    // Drawn over opaque white, so every pixel is opaque and premultiplied equals
    // straight: the alpha byte is dropped.
    let rgb: Vec<u8> = pixmap
        .data_as_u8_slice()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    RgbImage::from_raw(w, h, rgb)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| PipelineError::Corrupt(format!("PDF: page {} drew no pixels", index + 1)))
}

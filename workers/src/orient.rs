//! orient: detect whether a page is turned 0, 90, 180 or 270 degrees and turn it upright.
//!
//! Tesseract's orientation-and-script detection (the `osd` model) reads the shapes of the
//! glyphs; it is called through the C API because the `tesseract` crate does not expose
//! it. One [`OsdEngine`] per thread, reused across pages, like the OCR engine. Turning a
//! page by quarter turns is lossless.

use std::ffi::CString;
use std::ptr;

use image::{DynamicImage, GrayImage};
use tesseract_sys as sys;

use crate::PipelineError;
use crate::ocr::Api;

/// Below this OSD confidence the page is left as it is.
pub const MIN_CONFIDENCE: f32 = 1.5;
/// A page whose OCR confidence (0–100) reaches this is taken to be upright without OSD.
pub const READS_WELL: f32 = 75.0;

/// A turn is kept only when the turned page's share of Vietnamese syllables is at least
/// this much higher than the page's as scanned…
pub const SYLLABLE_MARGIN: f32 = 0.1;
/// …and at least this high: a page read the right way up is mostly syllables.
pub const MIN_SYLLABLE_SHARE: f32 = 0.5;

/// The share of `text`'s alphabetic words that are Vietnamese syllables.
pub fn syllables(text: &crate::ocr::PageText) -> (f32, usize) {
    crate::grammar::syllable_share(
        text.lines
            .iter()
            .flat_map(|l| &l.words)
            .map(|w| w.text.as_str()),
    )
}

/// A Tesseract instance loaded with the `osd` model.
pub struct OsdEngine {
    api: Api,
}

impl OsdEngine {
    pub fn new(datapath: Option<&str>) -> Result<Self, PipelineError> {
        let api = Api::new(datapath, "osd").map_err(|_| {
            PipelineError::Ocr(
                "cannot load Tesseract's osd model (is osd.traineddata installed?)".into(),
            )
        })?;
        // SAFETY: plain C API calls on a handle we own; the strings outlive the calls.
        unsafe {
            sys::TessBaseAPISetPageSegMode(api.handle, sys::TessPageSegMode_PSM_OSD_ONLY);
            // OSD warns on every page that the raw image carries no resolution (it uses
            // its own scale anyway); keep the logs for what matters.
            let (name, value) = (
                CString::new("debug_file").expect("no NUL"),
                CString::new("/dev/null").expect("no NUL"),
            );
            sys::TessBaseAPISetVariable(api.handle, name.as_ptr(), value.as_ptr());
        }
        Ok(OsdEngine { api })
    }

    /// Clockwise quarter turns (0, 90, 180 or 270 degrees) that make `page` upright, and
    /// OSD's confidence. `None` when OSD finds too little text to tell.
    pub fn detect(&mut self, page: &GrayImage, dpi: f32) -> Option<(u32, f32)> {
        let mut deg: i32 = 0;
        let mut conf: f32 = 0.0;
        let mut script: *const std::os::raw::c_char = ptr::null();
        let mut script_conf: f32 = 0.0;
        self.api.set_page(page, dpi);
        // SAFETY: a handle we own; the out-parameters outlive the call.
        let ok = unsafe {
            sys::TessBaseAPIDetectOrientationScript(
                self.api.handle,
                &mut deg,
                &mut conf,
                &mut script,
                &mut script_conf,
            )
        };
        self.api.clear();
        if ok == 0 {
            return None;
        }
        // Tesseract reports how far the page is turned counter-clockwise.
        Some((deg.rem_euclid(360) as u32, conf))
    }
}

/// Turn `image` clockwise by `degrees` (a multiple of 90).
pub fn turn(image: &DynamicImage, degrees: u32) -> DynamicImage {
    match degrees % 360 {
        90 => image.rotate90(),
        180 => image.rotate180(),
        270 => image.rotate270(),
        _ => image.clone(),
    }
}

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

/// Below this OSD confidence the page is left as it is.
pub const MIN_CONFIDENCE: f32 = 1.5;
/// A page whose OCR confidence (0–100) reaches this is taken to be upright without OSD.
pub const READS_WELL: f32 = 75.0;

/// A Tesseract instance loaded with the `osd` model.
pub struct OsdEngine {
    handle: *mut sys::TessBaseAPI,
}

impl Drop for OsdEngine {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted once.
        unsafe { sys::TessBaseAPIDelete(self.handle) }
    }
}

impl OsdEngine {
    pub fn new(datapath: Option<&str>) -> Result<Self, PipelineError> {
        let datapath = datapath
            .map(CString::new)
            .transpose()
            .map_err(|_| PipelineError::Ocr("tessdata path contains a NUL byte".into()))?;
        let lang = CString::new("osd").expect("no NUL");
        // SAFETY: plain C API calls on a handle we own; strings outlive the calls.
        unsafe {
            let handle = sys::TessBaseAPICreate();
            if handle.is_null() {
                return Err(PipelineError::Ocr(
                    "cannot create a Tesseract instance".into(),
                ));
            }
            let engine = OsdEngine { handle };
            let rc = sys::TessBaseAPIInit3(
                handle,
                datapath.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                lang.as_ptr(),
            );
            if rc != 0 {
                return Err(PipelineError::Ocr(
                    "cannot load Tesseract's osd model (is osd.traineddata installed?)".into(),
                ));
            }
            sys::TessBaseAPISetPageSegMode(handle, sys::TessPageSegMode_PSM_OSD_ONLY);
            // OSD warns on every page that the raw image carries no resolution (it uses
            // its own scale anyway); keep the logs for what matters.
            let (name, value) = (
                CString::new("debug_file").expect("no NUL"),
                CString::new("/dev/null").expect("no NUL"),
            );
            sys::TessBaseAPISetVariable(handle, name.as_ptr(), value.as_ptr());
            Ok(engine)
        }
    }

    /// Clockwise quarter turns (0, 90, 180 or 270 degrees) that make `page` upright, and
    /// OSD's confidence. `None` when OSD finds too little text to tell.
    pub fn detect(&mut self, page: &GrayImage, dpi: f32) -> Option<(u32, f32)> {
        let (w, h) = page.dimensions();
        let mut deg: i32 = 0;
        let mut conf: f32 = 0.0;
        let mut script: *const std::os::raw::c_char = ptr::null();
        let mut script_conf: f32 = 0.0;
        // SAFETY: the image buffer outlives the calls; Tesseract copies what it keeps.
        let ok = unsafe {
            sys::TessBaseAPISetImage(
                self.handle,
                page.as_raw().as_ptr(),
                w as i32,
                h as i32,
                1,
                w as i32,
            );
            sys::TessBaseAPISetSourceResolution(self.handle, dpi.round() as i32);
            let ok = sys::TessBaseAPIDetectOrientationScript(
                self.handle,
                &mut deg,
                &mut conf,
                &mut script,
                &mut script_conf,
            );
            sys::TessBaseAPIClear(self.handle);
            ok
        };
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

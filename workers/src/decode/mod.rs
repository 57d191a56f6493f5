//! decode: uploaded bytes → page images with their resolution.
//!
//! Reads PNG, JPEG (honouring its EXIF orientation; grey, YCbCr, CMYK and YCCK, Adobe's
//! inverted CMYK included; a JPEG or PNG cut short is refused with the row its data
//! reaches, [`whole`]), TIFF (multi-page; bilevel, grey, colour; LZW, Deflate, CCITT G4) and PDFs
//! ([`pdf`]: a scanned page's image taken out as it is, any other page rendered by
//! [`render`]). The resolution comes from the file (PNG `pHYs`, JPEG JFIF
//! density, TIFF `XResolution`, image over page width in a PDF); when the file has
//! none, 300 dpi is assumed and the page says so.
//! A JPEG page keeps its original bytes so the PDF can embed it without re-encoding.
//! Every decode is bounded by [`Limits`]: an over-large or hostile file is an error,
//! never an unbounded allocation.

use std::io::{Cursor, Read, Seek};

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader};

use crate::PipelineError;

mod pdf;
mod render;
mod whole;

/// Resolution assumed when a file does not carry one.
pub const DEFAULT_DPI: f32 = 300.0;

/// Bounds on what one uploaded file may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest width or height of a page, in pixels.
    pub max_dimension: u32,
    /// Largest number of pixels in one page.
    pub max_pixels: u64,
    /// Largest number of pages in one file.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // An A3 page at 600 dpi is 7016 × 9921; leave room for oversized scans.
        Limits {
            max_dimension: 20_000,
            max_pixels: 120_000_000,
            max_pages: 2_000,
        }
    }
}

/// The file formats the pipeline reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
    Pdf,
}

impl Format {
    /// The MIME type stored with the original.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Tiff => "image/tiff",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Identify a format from its leading bytes (the declared content type is not trusted).
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Format::Pdf)
    } else {
        None
    }
}

/// What a quick look at a file tells, without decoding its pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub format: Format,
    pub pages: usize,
    pub width: u32,
    pub height: u32,
}

/// One decoded page.
#[derive(Debug)]
pub struct DecodedPage {
    /// The pixels as the file holds them (grey, grey+alpha, RGB, …).
    pub image: DynamicImage,
    /// Horizontal resolution in dots per inch.
    pub dpi: f32,
    /// True when the file gave no resolution and [`DEFAULT_DPI`] was assumed.
    pub dpi_assumed: bool,
    /// The page's compressed image as it came, when the PDF can embed it unchanged.
    pub original: Option<Original>,
}

/// A page image stream the PDF can take as it is.
#[derive(Debug, Clone)]
pub enum Original {
    /// A baseline or progressive JPEG (`DCTDecode`).
    Jpeg(Vec<u8>),
    /// A PNG's concatenated IDAT data (`FlateDecode` with the PNG predictors):
    /// non-interlaced grey or RGB without alpha or palette.
    Png { data: Vec<u8>, colors: u8, bits: u8 },
}

impl DecodedPage {
    /// The page as 8-bit grey, the form OCR reads.
    pub fn to_gray(&self) -> GrayImage {
        self.image.to_luma8()
    }
}

/// Check that `bytes` is a readable image within `limits`, reading only headers.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, PipelineError> {
    let format = sniff(bytes).ok_or_else(|| {
        PipelineError::Unsupported("not a PNG, JPEG or TIFF image or a PDF".into())
    })?;
    let (pages, width, height) = match format {
        Format::Tiff => {
            let mut dec = tiff_decoder(bytes)?;
            let (w, h) = dec.dimensions().map_err(tiff_err)?;
            let mut pages = 1;
            while dec.more_images() {
                dec.next_image().map_err(tiff_err)?;
                pages += 1;
                if pages > limits.max_pages {
                    return Err(PipelineError::TooLarge(format!(
                        "more than {} pages in one file",
                        limits.max_pages
                    )));
                }
            }
            (pages, w, h)
        }
        Format::Png if !whole::png_complete(bytes) => return Err(whole::png_cut_short(bytes)),
        Format::Jpeg if !whole::jpeg_complete(bytes) => {
            return Err(whole::jpeg_cut_short(
                decode_single(bytes, format, limits)
                    .ok()
                    .map(|d| d.0)
                    .as_ref(),
            ));
        }
        Format::Png | Format::Jpeg => {
            let reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
            let (w, h) = reader.into_dimensions().map_err(image_err)?;
            (1, w, h)
        }
        Format::Pdf => pdf::probe(bytes, limits)?,
    };
    check_dimensions(width, height, limits)?;
    Ok(Probe {
        format,
        pages,
        width,
        height,
    })
}

/// Decode every page of `bytes`.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Vec<DecodedPage>, PipelineError> {
    let mut pages = Vec::new();
    each_page(Cursor::new(bytes), limits, |p| {
        pages.push(p);
        Ok(())
    })?;
    Ok(pages)
}

/// Decode the pages of `src` one at a time, handing each to `f` before the next is
/// decoded, so a long stack never sits in memory decoded. A TIFF is read from `src` as
/// it goes (a stack on disk is never read whole); other formats are read into memory
/// first (compressed). Returns the number of pages.
pub fn each_page<R: Read + Seek>(
    mut src: R,
    limits: &Limits,
    mut f: impl FnMut(DecodedPage) -> Result<(), PipelineError>,
) -> Result<usize, PipelineError> {
    let io = |e: std::io::Error| PipelineError::Corrupt(format!("reading the file: {e}"));
    let mut head = Vec::with_capacity(8);
    (&mut src).take(8).read_to_end(&mut head).map_err(io)?;
    src.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
    let format = sniff(&head).ok_or_else(|| {
        PipelineError::Unsupported("not a PNG, JPEG or TIFF image or a PDF".into())
    })?;
    if format == Format::Tiff {
        return decode_tiff(src, limits, f);
    }
    let mut bytes = Vec::new();
    src.read_to_end(&mut bytes).map_err(io)?;
    match format {
        Format::Png => {
            if !whole::png_complete(&bytes) {
                return Err(whole::png_cut_short(&bytes));
            }
            let (image, _) = decode_single(&bytes, format, limits)?;
            let dpi = png_dpi(&bytes);
            f(page(image, dpi, png_stream(&bytes)))?;
            Ok(1)
        }
        Format::Jpeg => {
            let (image, turned) = decode_single(&bytes, format, limits)?;
            if !whole::jpeg_complete(&bytes) {
                return Err(whole::jpeg_cut_short(Some(&image)));
            }
            let dpi = jfif_dpi(&bytes);
            // A JPEG whose EXIF orientation was applied no longer matches its bytes.
            let original = (!turned).then(|| Original::Jpeg(bytes.clone()));
            f(page(image, dpi, original))?;
            Ok(1)
        }
        Format::Tiff => unreachable!("read above"),
        Format::Pdf => pdf::each_page(&bytes, limits, f),
    }
}

fn page(image: DynamicImage, dpi: Option<f32>, original: Option<Original>) -> DecodedPage {
    // A resolution outside what a scanner produces is as good as none.
    let dpi = dpi.filter(|d| (50.0..=2400.0).contains(d));
    DecodedPage {
        image: on_white(image),
        dpi: dpi.unwrap_or(DEFAULT_DPI),
        dpi_assumed: dpi.is_none(),
        original,
    }
}

/// An image with an alpha channel laid on white paper, as a viewer shows it: a
/// transparent background is usually black with alpha 0, which read as is would be a
/// black page. 16-bit samples become 8-bit on the way.
fn on_white(image: DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return image;
    }
    let grey = !image.color().has_color();
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let blend = |c: u8, a: u8| ((c as u16 * a as u16 + 255 * (255 - a as u16)) / 255) as u8;
    let rgb = image::RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        image::Rgb([blend(r, a), blend(g, a), blend(b, a)])
    });
    let rgb = DynamicImage::ImageRgb8(rgb);
    if grey {
        DynamicImage::ImageLuma8(rgb.to_luma8())
    } else {
        rgb
    }
}

fn image_format(format: Format) -> ImageFormat {
    match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Tiff => ImageFormat::Tiff,
        Format::Pdf => unreachable!("PDFs are read by decode::pdf"),
    }
}

/// Decode one image and apply its EXIF orientation; true when that turned or flipped it.
fn decode_single(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(DynamicImage, bool), PipelineError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_dimension);
    l.max_image_height = Some(limits.max_dimension);
    l.max_alloc = Some(limits.max_pixels * 4);
    reader.limits(l);
    let mut decoder = reader.into_decoder().map_err(image_err)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_err)?;
    let turned = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);
    check_dimensions(image.width(), image.height(), limits)?;
    Ok((image, turned))
}

fn check_dimensions(w: u32, h: u32, limits: &Limits) -> Result<(), PipelineError> {
    if w == 0 || h == 0 {
        return Err(PipelineError::Corrupt("image has no pixels".into()));
    }
    if w > limits.max_dimension
        || h > limits.max_dimension
        || (w as u64) * (h as u64) > limits.max_pixels
    {
        return Err(PipelineError::TooLarge(format!(
            "page of {w}×{h} pixels exceeds the limit ({} px a side, {} px in all)",
            limits.max_dimension, limits.max_pixels
        )));
    }
    Ok(())
}

fn image_err(e: image::ImageError) -> PipelineError {
    match e {
        image::ImageError::Limits(l) => PipelineError::TooLarge(l.to_string()),
        image::ImageError::Unsupported(u) => PipelineError::Unsupported(u.to_string()),
        other => PipelineError::Corrupt(other.to_string()),
    }
}

fn tiff_err(e: tiff::TiffError) -> PipelineError {
    match e {
        tiff::TiffError::LimitsExceeded => {
            PipelineError::TooLarge("TIFF exceeds decoding limits".into())
        }
        tiff::TiffError::UnsupportedError(u) => PipelineError::Unsupported(format!("TIFF: {u}")),
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PipelineError::Corrupt(whole::cut_reason("TIFF", None))
        }
        other => PipelineError::Corrupt(format!("TIFF: {other}")),
    }
}

/// PNG `pHYs` in pixels per metre → dots per inch.
fn png_dpi(bytes: &[u8]) -> Option<f32> {
    let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
    let dims = reader.info().pixel_dims?;
    match dims.unit {
        png::Unit::Meter => Some(dims.xppu as f32 * 0.0254),
        png::Unit::Unspecified => None,
    }
}

/// JFIF APP0 density (units 1 = dpi, 2 = dots per cm).
/// The PNG's compressed pixel data, when a PDF image can use it unchanged.
fn png_stream(bytes: &[u8]) -> Option<Original> {
    let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
    let info = reader.info();
    let colors = match (info.color_type, info.bit_depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight | png::BitDepth::One) => 1,
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        _ => return None,
    };
    if info.interlaced || info.trns.is_some() {
        return None;
    }
    let bits = info.bit_depth as u8;
    // Walk the chunks after the signature: length, type, data, CRC.
    let mut data = Vec::new();
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = bytes.get(at + 8..at + 8 + len)?;
        if kind == b"IDAT" {
            data.extend_from_slice(body);
        } else if kind == b"IEND" {
            break;
        }
        at += 12 + len;
    }
    (!data.is_empty()).then_some(Original::Png { data, colors, bits })
}

fn jfif_dpi(bytes: &[u8]) -> Option<f32> {
    let app0 = bytes.get(2..20)?;
    if app0[0] != 0xFF || app0[1] != 0xE0 || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let units = app0[11];
    let x = u16::from_be_bytes([app0[12], app0[13]]) as f32;
    match units {
        1 => Some(x),
        2 => Some(x * 2.54),
        _ => None,
    }
}

fn tiff_decoder(bytes: &[u8]) -> Result<tiff::decoder::Decoder<Cursor<&[u8]>>, PipelineError> {
    tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)
}

fn decode_tiff<R: Read + Seek>(
    src: R,
    limits: &Limits,
    mut f: impl FnMut(DecodedPage) -> Result<(), PipelineError>,
) -> Result<usize, PipelineError> {
    use tiff::ColorType;
    use tiff::decoder::DecodingResult;
    use tiff::tags::Tag;

    let mut dec = tiff::decoder::Decoder::new(src).map_err(tiff_err)?;
    let mut tl = tiff::decoder::Limits::default();
    tl.decoding_buffer_size = (limits.max_pixels * 4) as usize;
    dec = dec.with_limits(tl);
    let mut pages = 0;
    loop {
        if pages >= limits.max_pages {
            return Err(PipelineError::TooLarge(format!(
                "more than {} pages in one file",
                limits.max_pages
            )));
        }
        let (w, h) = dec.dimensions().map_err(tiff_err)?;
        check_dimensions(w, h, limits)?;
        let color = dec.colortype().map_err(tiff_err)?;
        let dpi = tiff_dpi(&mut dec, Tag::XResolution);
        let data = dec.read_image().map_err(tiff_err)?;
        let bad = || PipelineError::Corrupt("TIFF pixel data shorter than its dimensions".into());
        let image = match (color, data) {
            (ColorType::Gray(1), DecodingResult::U8(packed)) => {
                DynamicImage::ImageLuma8(unpack_bilevel(&packed, w, h).ok_or_else(bad)?)
            }
            (ColorType::Gray(8), DecodingResult::U8(v)) => {
                DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, v).ok_or_else(bad)?)
            }
            (ColorType::Gray(16), DecodingResult::U16(v)) => {
                DynamicImage::ImageLuma16(image::ImageBuffer::from_raw(w, h, v).ok_or_else(bad)?)
            }
            (ColorType::RGB(8), DecodingResult::U8(v)) => {
                DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, v).ok_or_else(bad)?)
            }
            (ColorType::RGBA(8), DecodingResult::U8(v)) => {
                DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, v).ok_or_else(bad)?)
            }
            (ColorType::GrayA(8), DecodingResult::U8(v)) => {
                DynamicImage::ImageLumaA8(image::ImageBuffer::from_raw(w, h, v).ok_or_else(bad)?)
            }
            (other, _) => {
                return Err(PipelineError::Unsupported(format!(
                    "TIFF colour type {other:?}"
                )));
            }
        };
        f(page(image, dpi, None))?;
        pages += 1;
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(tiff_err)?;
    }
    Ok(pages)
}

/// Resolution tag in dots per inch, honouring ResolutionUnit (2 = inch, 3 = cm).
fn tiff_dpi<R: std::io::Read + std::io::Seek>(
    dec: &mut tiff::decoder::Decoder<R>,
    tag: tiff::tags::Tag,
) -> Option<f32> {
    use tiff::decoder::ifd::Value;
    let value = match dec.find_tag(tag).ok()?? {
        Value::Rational(n, d) if d != 0 => n as f32 / d as f32,
        Value::Float(v) => v,
        Value::Double(v) => v as f32,
        Value::Unsigned(v) => v as f32,
        Value::Short(v) => v as f32,
        _ => return None,
    };
    let unit = dec
        .find_tag_unsigned::<u16>(tiff::tags::Tag::ResolutionUnit)
        .ok()
        .flatten();
    match unit.unwrap_or(2) {
        2 => Some(value),
        3 => Some(value * 2.54),
        _ => None,
    }
}

/// 1-bit rows padded to whole bytes (1 = white after the decoder's WhiteIsZero handling).
fn unpack_bilevel(packed: &[u8], w: u32, h: u32) -> Option<GrayImage> {
    let row_bytes = w.div_ceil(8) as usize;
    if packed.len() < row_bytes * h as usize {
        return None;
    }
    let mut out = GrayImage::new(w, h);
    for (y, row) in packed.chunks(row_bytes).take(h as usize).enumerate() {
        for x in 0..w as usize {
            let bit = (row[x / 8] >> (7 - (x % 8))) & 1;
            out.put_pixel(
                x as u32,
                y as u32,
                image::Luma([if bit == 1 { 255 } else { 0 }]),
            );
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = GrayImage::from_pixel(w, h, image::Luma([200]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn bytes_that_are_not_an_image_are_unsupported() {
        let err = probe(b"PK\x03\x04 a zip, not an image", &Limits::default()).unwrap_err();
        assert!(matches!(err, PipelineError::Unsupported(_)), "{err}");
        let err = probe(b"%PDF-1.7 but nothing more", &Limits::default()).unwrap_err();
        assert!(matches!(err, PipelineError::Corrupt(_)), "{err}");
    }

    #[test]
    fn a_png_without_resolution_assumes_300_dpi_and_says_so() {
        let pages = decode(&png_bytes(40, 30), &Limits::default()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].image.width(), pages[0].image.height()), (40, 30));
        assert!(pages[0].dpi_assumed);
        assert_eq!(pages[0].dpi, DEFAULT_DPI);
    }

    #[test]
    fn a_page_over_the_pixel_limit_is_refused_before_decoding() {
        let limits = Limits {
            max_dimension: 20,
            ..Limits::default()
        };
        let err = probe(&png_bytes(40, 30), &limits).unwrap_err();
        assert!(matches!(err, PipelineError::TooLarge(_)), "{err}");
    }

    #[test]
    fn a_transparent_background_is_white_paper_not_black() {
        // Black ink on a fully transparent (black, alpha 0) background, 16 bits.
        let img = image::ImageBuffer::<image::LumaA<u16>, _>::from_fn(40, 30, |x, _| {
            if x < 10 {
                image::LumaA([0, u16::MAX])
            } else {
                image::LumaA([0, 0])
            }
        });
        let mut bytes = Vec::new();
        DynamicImage::ImageLumaA16(img)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let pages = decode(&bytes, &Limits::default()).unwrap();
        let grey = pages[0].to_gray();
        assert_eq!(grey.get_pixel(5, 5).0[0], 0, "ink stays ink");
        assert_eq!(grey.get_pixel(30, 5).0[0], 255, "the background is paper");
    }

    #[test]
    fn a_truncated_png_is_corrupt() {
        let bytes = png_bytes(400, 300);
        let err = decode(&bytes[..bytes.len() / 2], &Limits::default()).unwrap_err();
        assert!(matches!(err, PipelineError::Corrupt(_)), "{err}");
    }

    #[test]
    fn a_multi_page_tiff_gives_every_page_with_its_resolution() {
        use tiff::encoder::{Rational, TiffEncoder, colortype};
        let mut out = Cursor::new(Vec::new());
        {
            let mut enc = TiffEncoder::new(&mut out).unwrap();
            for shade in [10u8, 120, 240] {
                let data = vec![shade; 16 * 8];
                let mut img = enc.new_image::<colortype::Gray8>(16, 8).unwrap();
                img.resolution(tiff::tags::ResolutionUnit::Inch, Rational { n: 200, d: 1 });
                img.write_data(&data).unwrap();
            }
        }
        let bytes = out.into_inner();
        assert_eq!(probe(&bytes, &Limits::default()).unwrap().pages, 3);
        let pages = decode(&bytes, &Limits::default()).unwrap();
        let shades: Vec<u8> = pages
            .iter()
            .map(|p| p.to_gray().get_pixel(0, 0).0[0])
            .collect();
        assert_eq!(shades, vec![10, 120, 240]);
        assert!(pages.iter().all(|p| p.dpi == 200.0 && !p.dpi_assumed));
    }
}

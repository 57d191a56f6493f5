//! pdf: page images + OCR words → a searchable PDF.
//!
//! Each page shows its scanned image and carries an invisible text layer (render mode 3)
//! placed word by word over the image, so text search, copy and `pdftotext` give the
//! Vietnamese text with its diacritics, and a selection highlights the right words.
//!
//! The text uses a glyphless font (Tesseract's `pdf.ttf`, one empty glyph) as a Type0
//! font with `Identity-H` encoding: each character code is the UTF-16 code unit itself,
//! every code maps to the one glyph, and a `ToUnicode` map sends each code back to the
//! same code point. Each word is stretched horizontally (`Tz`) to the width of its box.

use std::io::Cursor;

use image::{DynamicImage, GrayImage};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

use crate::PipelineError;
pub use crate::decode::Original;
use crate::extract::Fields;
use crate::ocr::{Line, PageText};

/// Tesseract's glyphless font: one glyph, advance width 500/1000 em (Apache-2.0).
const GLYPHLESS_TTF: &[u8] = include_bytes!("../assets/glyphless.ttf");
/// sRGB (IEC 61966-2.1) ICC profile for the PDF/A output intent (made by Little CMS).
const SRGB_ICC: &[u8] = include_bytes!("../assets/srgb.icc");
/// Advance of the glyph, in text-space units per unit font size.
const GLYPH_ADVANCE: f32 = 0.5;
/// Quality of JPEG re-encoding for pages that did not arrive as JPEG.
const JPEG_QUALITY: u8 = 85;

/// An encoded page image as it goes into the PDF.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub width: u32,
    pub height: u32,
    pub color_space: &'static str,
    pub bits_per_component: u8,
    pub filter: &'static str,
    /// `/DecodeParms` for the filter (PNG predictor, CCITT columns and rows).
    pub parms: Option<Dictionary>,
    pub data: Vec<u8>,
}

impl PageImage {
    /// Encode a page for embedding. A page that was not changed keeps its original
    /// stream (a JPEG as `DCTDecode`, a PNG's compressed data as `FlateDecode` with the
    /// PNG predictor); otherwise a bilevel page becomes CCITT Group 4 and a grey or
    /// colour page JPEG.
    pub fn encode(
        image: &DynamicImage,
        original: Option<&Original>,
    ) -> Result<Self, PipelineError> {
        let (width, height) = (image.width(), image.height());
        let color_space = if image.color().has_color() {
            "DeviceRGB"
        } else {
            "DeviceGray"
        };
        match original {
            // CMYK JPEGs would need /DeviceCMYK and a Decode array; re-encode those.
            Some(Original::Jpeg(jpeg)) if matches!(image.color().channel_count(), 1 | 3) => {
                return Ok(PageImage {
                    width,
                    height,
                    color_space,
                    bits_per_component: 8,
                    filter: "DCTDecode",
                    parms: None,
                    data: jpeg.clone(),
                });
            }
            Some(Original::Png { data, colors, bits }) => {
                return Ok(PageImage {
                    width,
                    height,
                    color_space: if *colors == 3 {
                        "DeviceRGB"
                    } else {
                        "DeviceGray"
                    },
                    bits_per_component: *bits,
                    filter: "FlateDecode",
                    parms: Some(dictionary! {
                        "Predictor" => 15,
                        "Colors" => *colors as i64,
                        "BitsPerComponent" => *bits as i64,
                        "Columns" => width as i64,
                    }),
                    data: data.clone(),
                });
            }
            _ => {}
        }
        if !image.color().has_color() {
            let gray = image.to_luma8();
            if is_bilevel(&gray) {
                if let Some(data) = ccitt_g4(&gray) {
                    return Ok(PageImage {
                        width,
                        height,
                        color_space: "DeviceGray",
                        bits_per_component: 1,
                        filter: "CCITTFaxDecode",
                        parms: Some(dictionary! {
                            "K" => -1,
                            "Columns" => width as i64,
                            "Rows" => height as i64,
                        }),
                        data,
                    });
                }
                return Ok(PageImage {
                    width,
                    height,
                    color_space: "DeviceGray",
                    bits_per_component: 1,
                    filter: "FlateDecode",
                    parms: None,
                    data: deflate(&pack_bits(&gray))?,
                });
            }
        }
        let mut data = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(
            Cursor::new(&mut data),
            JPEG_QUALITY,
        );
        let result = if color_space == "DeviceRGB" {
            image.to_rgb8().write_with_encoder(encoder)
        } else {
            image.to_luma8().write_with_encoder(encoder)
        };
        result.map_err(|e| PipelineError::Pdf(format!("JPEG encoding: {e}")))?;
        Ok(PageImage {
            width,
            height,
            color_space,
            bits_per_component: 8,
            filter: "DCTDecode",
            parms: None,
            data,
        })
    }
}

/// One page of the output: its image, its resolution and what OCR read on it.
#[derive(Debug, Clone)]
pub struct PdfPage {
    pub image: PageImage,
    pub dpi: f32,
    pub text: PageText,
}

/// What the XMP metadata says about the document.
#[derive(Debug, Clone, Default)]
pub struct PdfMeta {
    pub title: Option<String>,
    /// The extracted fields, written as `kho:` properties.
    pub fields: Fields,
}

/// Assemble the searchable PDF.
pub fn build(pages: &[PdfPage], meta: &PdfMeta) -> Result<Vec<u8>, PipelineError> {
    if pages.is_empty() {
        return Err(PipelineError::Pdf(
            "a document needs at least one page".into(),
        ));
    }
    let mut doc = Document::with_version("2.0");
    let pages_id = doc.new_object_id();
    let font_id = add_glyphless_font(&mut doc)?;

    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        let scale = 72.0 / page.dpi;
        let (w_pt, h_pt) = (
            page.image.width as f32 * scale,
            page.image.height as f32 * scale,
        );
        let image_id = doc.add_object(image_stream(&page.image));
        let mut content = format!("q {} 0 0 {} 0 0 cm /Im0 Do Q\n", num(w_pt), num(h_pt));
        content.push_str(&text_layer(&page.text, scale, h_pt));
        let mut content = Stream::new(Dictionary::new(), content.into_bytes());
        content.compress().map_err(pdf_err)?;
        let content_id = doc.add_object(content);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(w_pt), Object::Real(h_pt)],
            "Resources" => dictionary! {
                "XObject" => dictionary! { "Im0" => image_id },
                "Font" => dictionary! { "F1" => font_id },
            },
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    // PDF/A-4: XMP metadata (no /Info dictionary), an sRGB output intent that the
    // DeviceGray and DeviceRGB page images are read against, and a file identifier.
    let metadata_id = doc.add_object(
        Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            xmp(meta).into_bytes(),
        )
        .with_compression(false),
    );
    let icc_id = doc.add_object(
        Stream::new(dictionary! { "N" => 3 }, SRGB_ICC.to_vec()).with_compression(true),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Metadata" => metadata_id,
        "Lang" => Object::string_literal("vi"),
        "OutputIntents" => vec![Object::Dictionary(dictionary! {
            "Type" => "OutputIntent",
            "S" => "GTS_PDFA1",
            "OutputConditionIdentifier" => Object::string_literal("sRGB IEC61966-2.1"),
            "RegistryName" => Object::string_literal("http://www.color.org"),
            "DestOutputProfile" => icc_id,
        })],
    });
    doc.trailer.set("Root", catalog_id);
    let id = Object::String(file_id(pages).to_vec(), lopdf::StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![id.clone(), id]);

    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| PipelineError::Pdf(e.to_string()))?;
    Ok(out)
}

/// The invisible text: one `Tj` per word, stretched to the word's box; words of a line
/// share its baseline and size so extractors keep them on one line.
fn text_layer(text: &PageText, scale: f32, page_h_pt: f32) -> String {
    let mut out = String::from("BT\n3 Tr\n");
    for line in &text.lines {
        // The line's box, held to its middle word's: one word whose box took in a mark
        // of the next line would otherwise make the line as tall as two, and extractors
        // would then merge the two lines' words.
        let (bottom, height) = typical_extent(line);
        let size = (height as f32 * scale).max(1.0);
        let baseline = page_h_pt - bottom as f32 * scale;
        out.push_str(&format!("/F1 {} Tf\n", num(size)));
        for (i, word) in line.words.iter().enumerate() {
            let next = line.words.get(i + 1);
            let mut s = word.text.clone();
            let span_px = match next {
                Some(n) if n.left > word.left => {
                    s.push(' ');
                    n.left - word.left
                }
                _ => word.width.max(1),
            };
            let units: Vec<u16> = s.encode_utf16().collect();
            let natural = units.len() as f32 * GLYPH_ADVANCE * size;
            let stretch = 100.0 * span_px as f32 * scale / natural;
            out.push_str(&format!(
                "{} Tz 1 0 0 1 {} {} Tm <",
                num(stretch),
                num(word.left as f32 * scale),
                num(baseline)
            ));
            for u in units {
                out.push_str(&format!("{u:04X}"));
            }
            out.push_str("> Tj\n");
        }
    }
    out.push_str("ET\n");
    out
}

/// A line's bottom and height for its text: its box, unless one word's box took in a
/// mark of the next line and made it taller than half as much again as its middle word
/// (then the middle word's height and half of it below the middle word's bottom).
fn typical_extent(line: &Line) -> (u32, u32) {
    let (bottom, height) = (line.top + line.height, line.height);
    if line.words.is_empty() {
        return (bottom, height);
    }
    let median = |mut v: Vec<u32>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let middle_bottom = median(line.words.iter().map(|w| w.top + w.height).collect());
    let middle_height = median(line.words.iter().map(|w| w.height).collect());
    (
        bottom.min(middle_bottom + middle_height / 2),
        height.min(middle_height * 3 / 2),
    )
}

fn add_glyphless_font(doc: &mut Document) -> Result<ObjectId, PipelineError> {
    let file_id = doc.add_object(
        Stream::new(
            dictionary! { "Length1" => GLYPHLESS_TTF.len() as i64 },
            GLYPHLESS_TTF.to_vec(),
        )
        .with_compression(true),
    );
    let descriptor_id = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "GlyphLessFont",
        "Flags" => 5,
        "FontBBox" => vec![0.into(), 0.into(), 500.into(), 1000.into()],
        "ItalicAngle" => 0,
        "Ascent" => 1000,
        // Not 0: viewers (poppler) replace a zero descent with a default of -0.35 em,
        // which would push selections below the line.
        "Descent" => -1,
        "CapHeight" => 1000,
        "StemV" => 80,
        "FontFile2" => file_id,
    });
    // Every CID (a UTF-16 code unit) is drawn with glyph 1.
    let map: Vec<u8> = std::iter::repeat_n([0u8, 1u8], 65536).flatten().collect();
    let mut cid_to_gid = Stream::new(Dictionary::new(), map);
    cid_to_gid.compress().map_err(pdf_err)?;
    let cid_to_gid_id = doc.add_object(cid_to_gid);
    let cid_font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "GlyphLessFont",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor_id,
        "DW" => (GLYPH_ADVANCE * 1000.0) as i64,
        "CIDToGIDMap" => cid_to_gid_id,
    });
    let mut to_unicode = Stream::new(Dictionary::new(), TO_UNICODE.as_bytes().to_vec());
    to_unicode.compress().map_err(pdf_err)?;
    let to_unicode_id = doc.add_object(to_unicode);
    Ok(doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "GlyphLessFont",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![Object::Reference(cid_font_id)],
        "ToUnicode" => to_unicode_id,
    }))
}

/// Identity map from 2-byte codes to the same UTF-16 code unit.
const TO_UNICODE: &str = "/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";

/// The image XObject of an encoded page image.
pub fn image_stream(img: &PageImage) -> Stream {
    let mut dict = dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => img.width as i64,
        "Height" => img.height as i64,
        "ColorSpace" => img.color_space,
        "BitsPerComponent" => img.bits_per_component as i64,
        "Filter" => img.filter,
    };
    if let Some(parms) = &img.parms {
        dict.set("DecodeParms", parms.clone());
    }
    Stream::new(dict, img.data.clone()).with_compression(false)
}

/// Namespace of Kho's own XMP properties (the extracted fields).
pub const KHO_XMP_NS: &str = "https://kho.gov.vn/ns/document/1.0/";

/// The XMP packet: PDF/A-4 identification, title, producer and the extracted fields.
fn xmp(meta: &PdfMeta) -> String {
    let mut kho = String::new();
    let f = &meta.fields;
    for (name, field) in [
        ("DocumentType", &f.doc_type),
        ("Number", &f.number),
        ("IssuedOn", &f.issued_on),
        ("Place", &f.place),
        ("Issuer", &f.issuer),
    ] {
        if let Some(field) = field {
            kho.push_str(&format!(
                "   <kho:{name}>{}</kho:{name}>\n",
                xml_escape(&field.value)
            ));
        }
    }
    for (name, list) in [("PersonalIds", &f.personal_ids), ("TaxCodes", &f.tax_codes)] {
        if !list.is_empty() {
            kho.push_str(&format!("   <kho:{name}><rdf:Bag>"));
            for field in list {
                kho.push_str(&format!("<rdf:li>{}</rdf:li>", xml_escape(&field.value)));
            }
            kho.push_str(&format!("</rdf:Bag></kho:{name}>\n"));
        }
    }
    let title = meta.title.as_deref().map_or(String::new(), |t| {
        format!(
            "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
            xml_escape(t)
        )
    });
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">
  <rdf:Description rdf:about=\"\"
    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"
    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"
    xmlns:kho=\"{KHO_XMP_NS}\">
   <pdfaid:part>4</pdfaid:part>
   <pdfaid:rev>2020</pdfaid:rev>
   <pdf:Producer>{producer}</pdf:Producer>
   <dc:format>application/pdf</dc:format>
   <dc:language><rdf:Bag><rdf:li>vi</rdf:li></rdf:Bag></dc:language>
{title}{kho}  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end=\"w\"?>",
        producer = crate::PIPELINE_VERSION,
    )
}

fn xml_escape(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\t').fold(
        String::with_capacity(s.len()),
        |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
            out
        },
    )
}

/// A file identifier from the page images and text (the same pages give the same id).
fn file_id(pages: &[PdfPage]) -> [u8; 16] {
    use std::hash::{Hash, Hasher};
    let mut out = [0u8; 16];
    for (seed, half) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut h);
        for p in pages {
            p.image.data.hash(&mut h);
            p.text.text().hash(&mut h);
        }
        half.copy_from_slice(&h.finish().to_be_bytes());
    }
    out
}

/// CCITT Group 4 (T.6) coding of a bilevel page; `None` when it is too wide for it.
fn ccitt_g4(gray: &GrayImage) -> Option<Vec<u8>> {
    let width = u16::try_from(gray.width()).ok()?;
    let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in gray.as_raw().chunks(gray.width() as usize) {
        let pels = row.iter().map(|&p| {
            if p == 0 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        encoder.encode_line(pels, width).ok()?;
    }
    Some(encoder.finish().ok()?.finish())
}

fn num(v: f32) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// True when every pixel is black or white.
pub fn is_bilevel(gray: &GrayImage) -> bool {
    gray.as_raw().iter().all(|&p| p == 0 || p == 255)
}

/// Pack a bilevel image to 1 bit per pixel, rows padded to bytes (1 = white, as DeviceGray).
fn pack_bits(gray: &GrayImage) -> Vec<u8> {
    let (w, h) = gray.dimensions();
    let row_bytes = w.div_ceil(8) as usize;
    let mut out = vec![0u8; row_bytes * h as usize];
    for (y, row) in gray.as_raw().chunks(w as usize).enumerate() {
        for (x, &p) in row.iter().enumerate() {
            if p == 255 {
                out[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    out
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let mut s = Stream::new(Dictionary::new(), data.to_vec());
    s.compress().map_err(pdf_err)?;
    Ok(s.content)
}

fn pdf_err(e: lopdf::Error) -> PipelineError {
    PipelineError::Pdf(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::{Line, Word};

    fn page_with(words: &[(&str, u32, u32)]) -> PdfPage {
        let img = DynamicImage::ImageLuma8(GrayImage::from_pixel(600, 300, image::Luma([250])));
        let words = words
            .iter()
            .map(|&(t, left, width)| Word {
                text: t.into(),
                left,
                top: 100,
                width,
                height: 40,
                confidence: 90.0,
            })
            .collect();
        PdfPage {
            image: PageImage::encode(&img, None).unwrap(),
            dpi: 300.0,
            text: PageText {
                lines: vec![Line {
                    left: 0,
                    top: 100,
                    width: 600,
                    height: 40,
                    words,
                }],
            },
        }
    }

    #[test]
    fn a_line_is_as_tall_as_its_typical_word_not_its_tallest() {
        // "Điều" took in a mark of the next line: its box is twice as tall as the others'.
        let word = |text: &str, left, top, height| Word {
            text: text.into(),
            left,
            top,
            width: 80,
            height,
            confidence: 90.0,
        };
        let line = Line {
            left: 826,
            top: 2789,
            width: 300,
            height: 67,
            words: vec![
                word("-", 826, 2808, 4),
                word("Như", 852, 2789, 31),
                word("Điều", 943, 2791, 65),
                word("3;", 1042, 2793, 29),
            ],
        };
        // Not the line box's bottom 2856 and height 67: half the middle word's height
        // below its bottom (2822 + 15) and half as much again as its height (31 · 1.5).
        assert_eq!(typical_extent(&line), (2837, 46));
        // A line whose words are alike keeps its box.
        let even = Line {
            words: vec![word("Như", 852, 2789, 31), word("Điều", 943, 2787, 36)],
            height: 36,
            top: 2787,
            ..line
        };
        assert_eq!(typical_extent(&even), (2823, 36));
    }

    #[test]
    fn words_are_written_as_utf16_codes_stretched_to_their_boxes() {
        let page = page_with(&[("Số", 10, 100), ("đỏ", 150, 100)]);
        let layer = text_layer(&page.text, 72.0 / 300.0, 72.0);
        // "Số " = S, ố, space → 0053 1ED1 0020; "đỏ" = 0111 1ECF
        assert!(layer.contains("<00531ED10020> Tj"), "{layer}");
        assert!(layer.contains("<01111ECF> Tj"), "{layer}");
        assert!(layer.contains("3 Tr"));
    }

    #[test]
    fn the_pdf_has_one_page_per_input_page_and_parses_back() {
        let pages = vec![
            page_with(&[("một", 10, 100)]),
            page_with(&[("hai", 10, 100)]),
        ];
        let bytes = build(
            &pages,
            &PdfMeta {
                title: Some("Giấy chứng nhận".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let doc = Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        assert_eq!(doc.version, "2.0");
    }

    #[test]
    fn a_bilevel_page_is_stored_at_one_bit_per_pixel() {
        let mut g = GrayImage::from_pixel(64, 8, image::Luma([255]));
        g.put_pixel(3, 3, image::Luma([0]));
        let img = PageImage::encode(&DynamicImage::ImageLuma8(g), None).unwrap();
        assert_eq!((img.bits_per_component, img.filter), (1, "CCITTFaxDecode"));
        // The Group 4 data decodes back to the same pixels.
        let mut black = vec![];
        let mut y = 0;
        fax::decoder::decode_g4(img.data.iter().copied(), 64, Some(8), |t| {
            for (x, c) in fax::decoder::pels(t, 64).enumerate() {
                if c == fax::Color::Black {
                    black.push((x, y));
                }
            }
            y += 1;
        })
        .unwrap();
        assert_eq!(black, vec![(3, 3)]);
    }

    #[test]
    fn the_xmp_names_pdf_a_4_and_carries_the_fields() {
        let fields = Fields {
            number: Some(crate::extract::Field {
                value: "12/QĐ-UBND".into(),
                confidence: 90.0,
                words: vec![],
            }),
            ..Default::default()
        };
        let xml = xmp(&PdfMeta {
            title: Some("Quyết định <số 12>".into()),
            fields,
        });
        assert!(xml.contains("<pdfaid:part>4</pdfaid:part>"));
        assert!(xml.contains("<kho:Number>12/QĐ-UBND</kho:Number>"));
        assert!(xml.contains("Quyết định &lt;số 12&gt;"));
    }
}

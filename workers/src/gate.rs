//! gate: does a digitized document go on to signing and filing, or to a person first?
//!
//! A document needs review when a page that holds text was read with a mean confidence
//! under the threshold, when no page holds any text, or when a field the deployment
//! requires (by default the document type, its number and its date of issue) was not
//! found. Each reason is listed so the reviewer knows what to look at.

use serde::{Deserialize, Serialize};

use crate::DocumentOutput;
use crate::extract::Fields;

/// Fields a document can be required to have.
pub const FIELD_NAMES: &[&str] = &["doc_type", "number", "issued_on", "place", "issuer"];

/// What the gate asks of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    /// Lowest acceptable mean word confidence of a page with text (0–100).
    pub min_page_confidence: f32,
    /// Names from [`FIELD_NAMES`] that must be found.
    pub required_fields: Vec<String>,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_page_confidence: 70.0,
            required_fields: vec!["doc_type".into(), "number".into(), "issued_on".into()],
        }
    }
}

/// Why a document waits for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `low_confidence`, `no_text` or `missing_field`.
    pub code: String,
    /// The same, for a person.
    pub message: String,
    /// The page concerned (1-based), if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// The field concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Every reason `output` needs review; empty when it may go on.
pub fn review_reasons(output: &DocumentOutput, config: &GateConfig) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let read: Vec<_> = output
        .pages
        .iter()
        .filter(|p| !p.blank && p.words > 0)
        .collect();
    if read.is_empty() {
        reasons.push(Reason {
            code: "no_text".into(),
            message: "no page holds readable text".into(),
            page: None,
            field: None,
        });
    }
    for p in read {
        if p.mean_confidence < config.min_page_confidence {
            reasons.push(Reason {
                code: "low_confidence".into(),
                message: format!(
                    "page {} was read with a mean confidence of {:.0} (below {:.0})",
                    p.page, p.mean_confidence, config.min_page_confidence
                ),
                page: Some(p.page),
                field: None,
            });
        }
    }
    for name in &config.required_fields {
        if !has_field(&output.fields, name) {
            reasons.push(Reason {
                code: "missing_field".into(),
                message: format!("the {} was not found", field_label(name)),
                page: None,
                field: Some(name.clone()),
            });
        }
    }
    reasons
}

fn has_field(fields: &Fields, name: &str) -> bool {
    match name {
        "doc_type" => fields.doc_type.is_some(),
        "number" => fields.number.is_some(),
        "issued_on" => fields.issued_on.is_some(),
        "place" => fields.place.is_some(),
        "issuer" => fields.issuer.is_some(),
        _ => true,
    }
}

fn field_label(name: &str) -> &str {
    match name {
        "doc_type" => "document type",
        "number" => "number and symbol",
        "issued_on" => "date of issue",
        "place" => "place of issue",
        "issuer" => "issuing body",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageReport;
    use crate::extract::Field;

    fn output(confidences: &[(f32, bool)], fields: Fields) -> DocumentOutput {
        DocumentOutput {
            pdf: vec![],
            pages: confidences
                .iter()
                .enumerate()
                .map(|(i, &(c, blank))| PageReport {
                    page: i + 1,
                    source_file: 1,
                    source_page: i + 1,
                    width: 10,
                    height: 10,
                    dpi: 300.0,
                    dpi_assumed: false,
                    mean_confidence: c,
                    words: if blank { 0 } else { 100 },
                    skew_deg: 0.0,
                    rotation_deg: 0,
                    blank,
                })
                .collect(),
            text: String::new(),
            page_texts: vec![],
            fields,
            mean_confidence: 0.0,
            input_bytes: 0,
        }
    }

    fn field(v: &str) -> Option<Field> {
        Some(Field {
            value: v.into(),
            confidence: 90.0,
            words: vec![],
        })
    }

    #[test]
    fn a_clear_complete_document_passes_and_blank_pages_do_not_count() {
        let fields = Fields {
            doc_type: field("Quyết định"),
            number: field("12/QĐ-UBND"),
            issued_on: field("2021-03-12"),
            ..Default::default()
        };
        let out = output(&[(91.0, false), (0.0, true)], fields);
        assert_eq!(review_reasons(&out, &GateConfig::default()), vec![]);
    }

    #[test]
    fn low_confidence_pages_and_missing_fields_are_each_a_reason() {
        let fields = Fields {
            doc_type: field("Quyết định"),
            ..Default::default()
        };
        let out = output(&[(91.0, false), (42.0, false)], fields);
        let reasons = review_reasons(&out, &GateConfig::default());
        let codes: Vec<_> = reasons
            .iter()
            .map(|r| (r.code.as_str(), r.page, r.field.as_deref()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("low_confidence", Some(2), None),
                ("missing_field", None, Some("number")),
                ("missing_field", None, Some("issued_on")),
            ]
        );
        let all_blank = output(&[(0.0, true)], Fields::default());
        let config = GateConfig {
            required_fields: vec![],
            ..Default::default()
        };
        assert_eq!(review_reasons(&all_blank, &config)[0].code, "no_text");
    }
}

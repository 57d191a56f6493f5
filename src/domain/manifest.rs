//! Batch manifests (issue 7): a CSV that says, per file or page range of a batch, whose
//! document it is and what it is — so records staff can file a box whose paper the
//! pipeline cannot fully read. Columns (header row required, any order, all but `file`
//! optional): `file` (a file name in the batch), `pages` (`3` or `3-7`, positions in a
//! stack), `owner`, `type`, `number`, `issued_on`, `valid_from`, `valid_to`
//! (`YYYY-MM-DD`), `procedure` (the administrative procedure code printed in the QR
//! stamp). What a row gives takes precedence over extraction; what it leaves out comes
//! from extraction, and what is still missing sends the document to review.

use serde::{Deserialize, Serialize};

use crate::domain::SubjectId;

/// What a manifest row says about one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub owner: Option<SubjectId>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub procedure_code: Option<String>,
}

impl Entry {
    /// Is this required field (`doc_type`, `number`, `issued_on`) given?
    pub fn gives(&self, field: &str) -> bool {
        match field {
            "doc_type" => self.doc_type.is_some(),
            "number" => self.number.is_some(),
            "issued_on" => self.issued_on.is_some(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    file: String,
    pages: Option<(usize, usize)>,
    entry: Entry,
}

/// A parsed manifest.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    rows: Vec<Row>,
}

const COLUMNS: &[&str] = &[
    "file",
    "pages",
    "owner",
    "type",
    "number",
    "issued_on",
    "valid_from",
    "valid_to",
    "procedure",
];
const MAX_ROWS: usize = 100_000;

fn date(v: &str) -> bool {
    super::parse_date(v).is_some()
}

impl Manifest {
    /// Parse a manifest; every bad row is named in the error.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("manifest header: {e}"))?
            .iter()
            .map(|h| h.to_lowercase())
            .collect();
        if let Some(bad) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
            return Err(format!(
                "manifest column {bad:?} is unknown; columns: {}",
                COLUMNS.join(", ")
            ));
        }
        if !header.iter().any(|h| h == "file") {
            return Err("the manifest needs a `file` column".into());
        }
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            if rows.len() >= MAX_ROWS {
                return Err(format!("the manifest has more than {MAX_ROWS} rows"));
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("row {line}: {e}"));
                    continue;
                }
            };
            let get = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.chars().take(300).collect::<String>())
            };
            match row(&get) {
                Ok(r) => rows.push(r),
                Err(e) => errors.push(format!("row {line}: {e}")),
            }
        }
        if !errors.is_empty() {
            return Err(format!("manifest: {}", errors.join("; ")));
        }
        Ok(Manifest { rows })
    }

    /// The entry for a file (by name), or for the part of it holding stack positions
    /// `pages` (1-based, first and last): a row naming a page range that holds the part
    /// wins over a row for the whole file.
    pub fn find(&self, file: &str, pages: Option<(usize, usize)>) -> Option<&Entry> {
        let of_file = self.rows.iter().filter(|r| r.file == file);
        let ranged = of_file.clone().find(|r| match (r.pages, pages) {
            (Some((a, b)), Some((first, last))) => a <= first && last <= b,
            _ => false,
        });
        ranged
            .or_else(|| of_file.clone().find(|r| r.pages.is_none()))
            .map(|r| &r.entry)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn row(get: &dyn Fn(&str) -> Option<String>) -> Result<Row, String> {
    let file = get("file").ok_or("no file")?;
    let pages = match get("pages") {
        None => None,
        Some(p) => {
            let (a, b) = p.split_once('-').unwrap_or((&p, &p));
            let parse = |x: &str| x.trim().parse::<usize>().ok().filter(|n| *n >= 1);
            match (parse(a), parse(b)) {
                (Some(a), Some(b)) if a <= b => Some((a, b)),
                _ => return Err(format!("pages {p:?}: a page number or a range like 3-7")),
            }
        }
    };
    let owner = get("owner")
        .map(|o| SubjectId::parse(&o).map_err(|e| e.0))
        .transpose()?;
    for name in ["issued_on", "valid_from", "valid_to"] {
        if let Some(d) = get(name)
            && !date(&d)
        {
            return Err(format!("{name} {d:?}: a date YYYY-MM-DD"));
        }
    }
    if let (Some(f), Some(t)) = (get("valid_from"), get("valid_to"))
        && f > t
    {
        return Err("valid_from is after valid_to".into());
    }
    Ok(Row {
        file,
        pages,
        entry: Entry {
            owner,
            doc_type: get("type"),
            number: get("number"),
            issued_on: get("issued_on"),
            valid_from: get("valid_from"),
            valid_to: get("valid_to"),
            procedure_code: get("procedure"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_matched_and_bad_ones_named() {
        let m = Manifest::parse(
            "file,pages,owner,type,number,issued_on,procedure\n\
             box.pdf,2-4,001203004567,Giấy khai sinh,12/KS,2020-05-01,1.001193\n\
             box.pdf,,0100109106,,,,\n\
             one.png,,079199001234,Quyết định,\"45/QĐ-UBND, bản chính\",2021-03-12,\n"
                .as_bytes(),
        )
        .unwrap();
        let e = m.find("box.pdf", Some((2, 3))).unwrap();
        assert_eq!(e.owner.as_ref().unwrap().as_str(), "001203004567");
        assert_eq!(e.procedure_code.as_deref(), Some("1.001193"));
        assert!(e.gives("number") && !e.gives("place"));
        assert_eq!(
            m.find("box.pdf", Some((5, 6)))
                .unwrap()
                .owner
                .as_ref()
                .unwrap()
                .as_str(),
            "0100109106"
        );
        assert_eq!(
            m.find("one.png", None).unwrap().number.as_deref(),
            Some("45/QĐ-UBND, bản chính")
        );
        assert!(m.find("other.png", None).is_none());
        let err = Manifest::parse(
            "file,owner,issued_on,pages\na.png,123,2020-01-01,\nb.png,,2020-13-01,\nc.png,,,9-2\n"
                .as_bytes(),
        )
        .unwrap_err();
        assert!(
            err.contains("row 2") && err.contains("row 3") && err.contains("row 4"),
            "{err}"
        );
        assert!(
            Manifest::parse(b"file,colour\na,b\n")
                .unwrap_err()
                .contains("colour")
        );
        assert!(
            Manifest::parse(b"owner\n0100109106\n")
                .unwrap_err()
                .contains("`file`")
        );
    }
}

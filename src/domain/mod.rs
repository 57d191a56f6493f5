//! Domain types that validate on construction: an invalid value cannot exist past the
//! edge where it was parsed.
//!
//! - [`PersonalId`]: a citizen's 12-digit personal identification number (*số định
//!   danh cá nhân*, printed on the CCCD card); its first three digits are a province code.
//! - [`TaxCode`]: an organization's tax code, 10 digits with a check digit, or 10 + `-` +
//!   3 digits for a branch.
//! - [`SubjectId`]: either of them, the owner of a repository.
//! - [`Status`]: a filed document's status.
//! - [`audit`]: the audit trail's actions, events and hash link.

pub mod audit;
pub mod manifest;
mod status;
pub mod text;

pub use status::{Status, UnknownStatus};

use kho_workers::grammar::PROVINCE_CODES;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier; the message is shown to the client as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

/// A citizen's 12-digit personal identification number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonalId(String);

impl PersonalId {
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let s = s.trim();
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidId(format!(
                "personal ID {s:?} must contain only digits"
            )));
        }
        if s.len() != 12 {
            return Err(InvalidId(format!(
                "personal ID {s:?} has {} digits; a personal ID has exactly 12",
                s.len()
            )));
        }
        let province: u16 = s[..3].parse().expect("three ASCII digits");
        if !PROVINCE_CODES.contains(&province) {
            return Err(InvalidId(format!(
                "personal ID {s:?} starts with {:03}, which is not a province code",
                province
            )));
        }
        Ok(PersonalId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization's tax code: 10 digits whose last is a check digit, optionally
/// followed by `-` and a 3-digit branch number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode(String);

impl TaxCode {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let s = s.trim();
        let (main, branch) = match s.split_once('-') {
            Some((m, b)) => (m, Some(b)),
            None => (s, None),
        };
        if main.len() != 10 || !main.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidId(format!(
                "tax code {s:?} must be 10 digits, or 10 digits, '-' and a 3-digit branch number"
            )));
        }
        if let Some(b) = branch
            && (b.len() != 3 || !b.chars().all(|c| c.is_ascii_digit()) || b == "000")
        {
            return Err(InvalidId(format!(
                "tax code {s:?}: the branch number after '-' must be 3 digits from 001 to 999"
            )));
        }
        let d: Vec<u32> = main.bytes().map(|b| (b - b'0') as u32).collect();
        let sum: u32 = d.iter().zip(Self::WEIGHTS).map(|(a, w)| a * w).sum();
        let check = 10 - (sum % 11);
        if check != d[9] {
            return Err(InvalidId(format!(
                "tax code {s:?} fails its check digit (expected {}, found {})",
                if check == 10 {
                    "none: no code with these first 9 digits exists".to_owned()
                } else {
                    check.to_string()
                },
                d[9]
            )));
        }
        Ok(TaxCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The owner of a repository: a citizen or an organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SubjectId {
    Citizen(PersonalId),
    Organization(TaxCode),
}

impl SubjectId {
    /// A 12-digit value is a personal ID; a 10-digit value (with or without a branch
    /// suffix) is a tax code; anything else says what was expected.
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let t = s.trim();
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        if t.contains('-') || digits == 10 {
            TaxCode::parse(t).map(SubjectId::Organization)
        } else if digits == t.len() && digits == 12 {
            PersonalId::parse(t).map(SubjectId::Citizen)
        } else {
            Err(InvalidId(format!(
                "owner ID {t:?} is neither a personal ID (12 digits) nor a tax code \
                 (10 digits, or 10 digits-3 digits for a branch)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            SubjectId::Citizen(p) => p.as_str(),
            SubjectId::Organization(t) => t.as_str(),
        }
    }

    /// `citizen` or `organization`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            SubjectId::Citizen(_) => "citizen",
            SubjectId::Organization(_) => "organization",
        }
    }
}

macro_rules! string_conversions {
    ($t:ty) => {
        impl FromStr for $t {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_owned()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
string_conversions!(PersonalId);
string_conversions!(TaxCode);
string_conversions!(SubjectId);

/// What a caller is: the role an API token or account is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Role {
    /// Runs the deployment.
    Admin,
    /// Records staff: uploads scans, follows jobs.
    Staff,
    /// Verifies signed results.
    Officer,
    /// A citizen, bound to a personal ID.
    Citizen,
    /// A member of an organization, bound to its tax code.
    OrgMember,
    /// An online application reusing documents with consent.
    Requester,
    /// An issuing agency's system pushing results.
    Issuer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Officer => "officer",
            Role::Citizen => "citizen",
            Role::OrgMember => "org_member",
            Role::Requester => "requester",
            Role::Issuer => "issuer",
        }
    }

    /// Roles whose tokens must name the subject they act for.
    pub fn needs_subject(self) -> bool {
        matches!(self, Role::Citizen | Role::OrgMember)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <Role as clap::ValueEnum>::value_variants()
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The digest `D` of `parts` one after another (the two ranges a PDF signature covers).
pub fn digest_of<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = D::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// UTC calendar date and time of Unix seconds: (year, month, day, hour, minute, second).
pub fn civil(unix: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = kho_workers::grammar::civil(unix.div_euclid(86_400));
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

/// A word's box on page 1 in PDF points (origin bottom-left).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twelve_digit_id_with_a_province_code_is_a_citizen() {
        let id = SubjectId::parse("001203004567").unwrap();
        assert_eq!(id.kind(), "citizen");
        assert_eq!(id.to_string(), "001203004567");
    }

    #[test]
    fn a_personal_id_of_the_wrong_length_says_how_many_digits_it_has() {
        let err = PersonalId::parse("00120300456").unwrap_err();
        assert!(err.0.contains("has 11 digits"), "{err}");
    }

    #[test]
    fn a_personal_id_with_an_unknown_province_is_refused() {
        let err = SubjectId::parse("003203004567").unwrap_err();
        assert!(err.0.contains("not a province code"), "{err}");
    }

    #[test]
    fn real_tax_codes_pass_their_check_digit() {
        for code in ["0300588569", "0101248141", "0100109106", "0100109106-001"] {
            let id = SubjectId::parse(code).unwrap();
            assert_eq!(id.kind(), "organization", "{code}");
        }
    }

    #[test]
    fn a_tax_code_with_a_wrong_check_digit_is_refused() {
        let err = SubjectId::parse("0300588568").unwrap_err();
        assert!(err.0.contains("check digit"), "{err}");
        assert!(SubjectId::parse("0100109106-01").is_err());
        assert!(SubjectId::parse("0100109106-000").is_err());
    }

    #[test]
    fn anything_else_names_both_accepted_forms() {
        for bad in ["", "abc", "12345", "1234567890123", "00120300456x"] {
            let err = SubjectId::parse(bad).unwrap_err();
            assert!(
                err.0.contains("personal ID") || err.0.contains("tax code"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn ids_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<SubjectId>("\"001203004567\"").is_ok());
        assert!(serde_json::from_str::<SubjectId>("\"42\"").is_err());
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An API token (`kho tokens create`).
    Token,
    /// A signed-in account's web session.
    User,
    /// A requester's OAuth access token for one grant.
    Grant,
    /// The operator of the server itself, on its command line (`kho ingest`, `kho watch`).
    Operator,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Token => "token",
            PrincipalKind::User => "user",
            PrincipalKind::Grant => "grant",
            PrincipalKind::Operator => "operator",
        }
    }
}

/// Who uploaded a scan, recorded with it at intake: the kind of principal, its id (the
/// token's or the account's; none for the operator) and the agency it acted for. The scan
/// is filed, sealed and reviewed by that agency and no other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploader {
    pub kind: PrincipalKind,
    pub id: Option<String>,
    pub agency: String,
}

impl Uploader {
    /// The server's operator ingesting for `agency`.
    pub fn operator(agency: &str) -> Uploader {
        Uploader {
            kind: PrincipalKind::Operator,
            id: None,
            agency: agency.to_owned(),
        }
    }
}

/// A calendar date written `YYYY-MM-DD`, checked against the calendar (`2024-02-30` and
/// `2024-19-99` are not dates).
pub fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    s.parse::<jiff::civil::Date>().ok()
}

/// Days from 1970-01-01 to `d`.
pub fn epoch_days(d: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    d.since((jiff::Unit::Day, epoch))
        .map_or(0, |span| span.get_days() as i64)
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn only_calendar_dates_parse() {
        assert!(parse_date("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "2024-02-31",
            "2024-19-99",
            "2024-1-02",
            "02-01-2024",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
        assert_eq!(epoch_days(parse_date("1970-01-02").unwrap()), 1);
        assert_eq!(epoch_days(parse_date("2000-03-01").unwrap()), 11_017);
    }
}

//! A filed document's status: what a verifier, an owner and a search filter see.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a filed document stands. `Expired` is never stored: a `Valid` document whose
/// validity ended reads as expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    Expired,
    Revoked,
    Superseded,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Valid,
        Status::Expired,
        Status::Revoked,
        Status::Superseded,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Superseded => "superseded",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status {0:?} is not valid, expired, revoked or superseded")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!("Valid".parse::<Status>().is_err());
        assert!("held".parse::<Status>().is_err());
    }
}

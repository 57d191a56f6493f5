//! Who may do what. Roles come with API tokens (`kho tokens create --role ROLE`); this
//! module holds the rules, the API and CLI only ask them.
//!
//! For now: `admin` and `staff` may upload scans and read every repository; a `citizen`
//! or `org_member` token is bound to one subject and reads only that repository. The
//! other roles exist so tokens can be issued for them; their rights come with the
//! features that need them (verification, reuse, issuer push).

use std::fmt;
use std::str::FromStr;

use crate::db::tokens::TokenOwner;

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

/// May this caller upload scans for owners?
pub fn can_upload(who: &TokenOwner) -> bool {
    matches!(who.role, Role::Admin | Role::Staff)
}

/// May this caller read `owner_id`'s repository (documents, jobs, originals)?
pub fn can_read(who: &TokenOwner, owner_id: &str) -> bool {
    match who.role {
        Role::Admin | Role::Staff => true,
        Role::Citizen | Role::OrgMember => who.subject_id.as_deref() == Some(owner_id),
        Role::Officer | Role::Requester | Role::Issuer => false,
    }
}

//! Who may do what. Roles come with API tokens (`kho tokens create --role ROLE`); this
//! module holds the rules, the API and CLI only ask them.
//!
//! - `citizen` and `org_member` read one repository, their own or their organization's;
//!   citizens and organization admins give and revoke consents and see the access log.
//! - `staff` (bound to an agency) upload scans, approve reviews and read and revoke what
//!   their agency filed.
//! - `issuer` (bound to an agency) push born-digital results and update or revoke them.
//! - `requester` reads exactly the documents a live grant releases.
//! - `officer` verifies (public routes); `admin` runs the deployment (accounts,
//!   requesters, keys) and reads no one's documents.
//!
//! A document the caller may not read answers exactly like one that does not exist.

use crate::db::tokens::TokenOwner;

pub use crate::domain::Role;

/// Check what a token or account of `role` is bound to: citizens and organization
/// members to a subject (of the right kind), staff and issuers to a configured agency,
/// organization members to an organization role.
pub fn check_binding(
    role: Role,
    subject: Option<&crate::domain::SubjectId>,
    agency: Option<&str>,
    org_role: Option<&str>,
    agencies: &[crate::signing::keys::Agency],
) -> Result<(), String> {
    use crate::domain::SubjectId;
    match (role, subject) {
        (Role::Citizen, Some(SubjectId::Citizen(_))) => {}
        (Role::Citizen, _) => return Err("a citizen needs --subject PERSONAL_ID".into()),
        (Role::OrgMember, Some(SubjectId::Organization(_))) => {}
        (Role::OrgMember, _) => return Err("an org_member needs --subject TAX_CODE".into()),
        (_, Some(_)) => return Err(format!("a {role} is bound to no subject")),
        _ => {}
    }
    match (role, agency) {
        (Role::Staff | Role::Issuer, Some(a)) if agencies.iter().any(|x| x.code == a) => {}
        (Role::Staff | Role::Issuer, Some(a)) => {
            return Err(format!("--agency {a}: not in KHO_AGENCIES"));
        }
        (Role::Staff | Role::Issuer, None) => {
            return Err(format!("a {role} needs --agency CODE"));
        }
        (_, Some(_)) => return Err(format!("a {role} is bound to no agency")),
        _ => {}
    }
    match (role, org_role) {
        (Role::OrgMember, Some("admin" | "member")) | (_, None) => Ok(()),
        _ => Err("--org-role (admin or member) is for org_member only".into()),
    }
}

/// Whose documents a caller sees in lists and search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// One owner's repository: a citizen's own, or an organization member's organization.
    Owner(String),
    /// What one agency filed: records staff.
    Agency(String),
    /// Nothing: admins (who run the deployment but do not read citizens' records),
    /// officers (who verify), requesters (who read only through a grant), issuers.
    Nothing,
}

/// Whose documents this caller sees.
pub fn visible(who: &TokenOwner) -> Visible {
    match (who.role, &who.subject_id, &who.agency) {
        (Role::Citizen | Role::OrgMember, Some(s), _) => Visible::Owner(s.clone()),
        (Role::Staff, _, Some(a)) => Visible::Agency(a.clone()),
        _ => Visible::Nothing,
    }
}

/// May this caller upload scans for owners? Records staff of an agency.
pub fn can_upload(who: &TokenOwner) -> bool {
    uploader(who).is_some()
}

/// The uploader this caller is, when it may upload: records staff (by token or by web
/// session) acting for their own agency.
pub fn uploader(who: &TokenOwner) -> Option<crate::domain::Uploader> {
    match (who.role, &who.agency, who.kind) {
        (
            Role::Staff,
            Some(a),
            crate::domain::PrincipalKind::Token | crate::domain::PrincipalKind::User,
        ) => Some(crate::domain::Uploader {
            kind: who.kind,
            id: Some(who.id.clone()),
            agency: a.clone(),
        }),
        _ => None,
    }
}

/// May this caller read a document (its metadata, PDF, original scans, job) owned by
/// `owner_id` and filed by `agency`? Requesters read through a grant, checked apart.
pub fn can_read(who: &TokenOwner, owner_id: &str, agency: Option<&str>) -> bool {
    match visible(who) {
        Visible::Owner(s) => s == owner_id,
        Visible::Agency(a) => agency == Some(a.as_str()),
        Visible::Nothing => false,
    }
}

/// May this caller give and revoke consents for `owner_id`, and see who used its
/// documents? The citizen themself, or an organization's admin member.
pub fn can_consent(who: &TokenOwner, owner_id: &str) -> bool {
    match who.role {
        Role::Citizen => who.subject_id.as_deref() == Some(owner_id),
        Role::OrgMember => {
            who.subject_id.as_deref() == Some(owner_id) && who.org_role.as_deref() == Some("admin")
        }
        _ => false,
    }
}

/// May this caller revoke, or supersede, a document filed by `agency`? Records staff of
/// that agency, and that agency's issuing system.
pub fn can_revoke(who: &TokenOwner, agency: Option<&str>) -> bool {
    matches!(who.role, Role::Staff | Role::Issuer)
        && who.agency.is_some()
        && who.agency.as_deref() == agency
}

//! What the audit trail records, with no I/O: the closed list of actions, one event as
//! an action hands it over, and the hash that links it to the event before.

use sha2::{Digest, Sha256};

/// Every kind of event the trail holds. The stored name ([`Action::as_str`]) is what
/// `kho audit`, the checkpoints and every earlier event already use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Upload,
    DocumentSignedFiled,
    Push,
    DocumentRevoke,
    ReviewApprove,
    ReviewReject,
    Grant,
    GrantRevoke,
    Pull,
    OauthCodeReplayed,
    SignIn,
    SignInFailed,
    SignInThrottled,
    UserCreate,
    UserDisable,
    TokenCreate,
    TokenRevoke,
    RequesterCreate,
    RequesterDisable,
    KeyCreate,
    KeyRetireSeal,
    KeyRevoke,
    /// A document's long-term validation renewed (`kho archive refresh`).
    ArchiveRefresh,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Action::Upload,
        Action::DocumentSignedFiled,
        Action::Push,
        Action::DocumentRevoke,
        Action::ReviewApprove,
        Action::ReviewReject,
        Action::Grant,
        Action::GrantRevoke,
        Action::Pull,
        Action::OauthCodeReplayed,
        Action::SignIn,
        Action::SignInFailed,
        Action::SignInThrottled,
        Action::UserCreate,
        Action::UserDisable,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::RequesterCreate,
        Action::RequesterDisable,
        Action::KeyCreate,
        Action::KeyRetireSeal,
        Action::KeyRevoke,
        Action::ArchiveRefresh,
    ];

    /// The name stored in `audit_log.action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upload => "upload",
            Action::DocumentSignedFiled => "document_signed_filed",
            Action::Push => "push",
            Action::DocumentRevoke => "document_revoke",
            Action::ReviewApprove => "review_approve",
            Action::ReviewReject => "review_reject",
            Action::Grant => "grant",
            Action::GrantRevoke => "grant_revoke",
            Action::Pull => "pull",
            Action::OauthCodeReplayed => "oauth_code_replayed",
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignInThrottled => "sign_in_throttled",
            Action::UserCreate => "user_create",
            Action::UserDisable => "user_disable",
            Action::TokenCreate => "token_create",
            Action::TokenRevoke => "token_revoke",
            Action::RequesterCreate => "requester_create",
            Action::RequesterDisable => "requester_disable",
            Action::KeyCreate => "key_create",
            Action::KeyRetireSeal => "key_retire_seal",
            Action::KeyRevoke => "key_revoke",
            Action::ArchiveRefresh => "archive_refresh",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event as an action hands it to the trail: who (a user, token or requester id,
/// or `-` for the system and the operator), what, on which record, and the details.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: Action,
    pub subject: &'a str,
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    pub fn new(
        actor: &'a str,
        action: Action,
        subject: &'a str,
        detail: serde_json::Value,
    ) -> Self {
        Entry {
            actor,
            action,
            subject,
            detail,
        }
    }
}

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an event: SHA-256 (hex) over the previous hash and the event's fields,
/// as a JSON array (unambiguous whatever the fields hold).
pub fn link_hash(
    prev: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let fields = serde_json::json!([seq, at, actor, action, subject, detail]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(fields.to_string().as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_stored_name() {
        let names: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }
}

//! The keyring: the deployment's signing keys and certificates, in the database, each
//! private key sealed with the key-encryption key.
//!
//! `ensure` makes what is missing: the root, and for each configured agency its seal and
//! an office certificate that signs custody for uploads by callers without a personal
//! certificate, with the deployment's default algorithm (`--seal-algorithm`). `rotate`
//! retires an agency's seal (kept for verification) and issues a new one, of the same
//! algorithm or another; an agency's office key and new staff keys follow its seal's.
//! Beside the root stands the deployment's time-stamping authority ([`super::tsp`]). The roots (active and retired) are public; so is the CRL the certificates
//! point to.

use std::time::Duration;

use x509_cert::certificate::Certificate;

use super::SigningError;
use super::certs::{self, CertKind};
use super::kek::Kek;
use super::key::{SealAlgorithm, SecretKey};
use crate::db::{Db, new_id, now_ms};
use crate::domain::audit::{Action, Entry};

/// An issuing agency from the configuration: code and full name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: String,
}

/// A key as listed: never its private part.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyRecord {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub agency: Option<String>,
    pub serial: String,
    /// `ed25519` or `p256`, from the certificate's public key.
    pub algorithm: String,
    pub certificate_pem: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A key ready to sign: the private key and its chain (certificate first, root last).
pub struct Signer {
    pub id: String,
    pub name: String,
    pub key: SecretKey,
    pub chain: Vec<Certificate>,
}

pub struct Keyring {
    db: Db,
    kek: Kek,
    crl_url: String,
    algorithm: SealAlgorithm,
}

fn db_err(e: impl std::fmt::Display) -> SigningError {
    SigningError::Keys(e.to_string())
}

/// The algorithm of a certificate's key (`ed25519`, `p256`, or its OID).
fn algorithm_of(pem: &str) -> String {
    const ID_ED25519: &str = "1.3.101.112";
    const ID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    match certs::from_pem(pem).map(|c| {
        c.tbs_certificate()
            .subject_public_key_info()
            .algorithm
            .oid
            .to_string()
    }) {
        Ok(oid) if oid == ID_ED25519 => "ed25519".into(),
        Ok(oid) if oid == ID_EC_PUBLIC_KEY => "p256".into(),
        Ok(oid) => oid,
        Err(_) => "?".into(),
    }
}

fn record(r: crate::db::keys::KeyRow) -> KeyRecord {
    KeyRecord {
        algorithm: algorithm_of(&r.certificate_pem),
        id: r.id,
        kind: r.kind,
        name: r.name,
        agency: r.agency,
        serial: r.serial,
        certificate_pem: r.certificate_pem,
        created_at: r.created_at,
        retired_at: r.retired_at,
        revoked_at: r.revoked_at,
    }
}

impl Keyring {
    /// The keyring; keys it makes where an agency has none use `algorithm`.
    pub fn new(db: Db, kek: Kek, public_url: &str, algorithm: SealAlgorithm) -> Keyring {
        Keyring {
            db,
            kek,
            crl_url: format!("{}/api/v1/trust/crl", public_url.trim_end_matches('/')),
            algorithm,
        }
    }

    /// The key separator sheets are authenticated with.
    pub fn sheet_key(&self) -> crate::separator::SheetKey {
        crate::separator::SheetKey::from_kek(&self.kek)
    }

    /// Every key, newest first.
    pub async fn list(&self) -> Result<Vec<KeyRecord>, SigningError> {
        Ok(crate::db::keys::list(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(record)
            .collect())
    }

    async fn active(
        &self,
        kind: CertKind,
        agency: Option<&str>,
    ) -> Result<Option<KeyRecord>, SigningError> {
        Ok(crate::db::keys::active(&self.db, kind.as_str(), agency)
            .await
            .map_err(db_err)?
            .map(record))
    }

    async fn store(
        &self,
        kind: CertKind,
        name: &str,
        agency: Option<&str>,
        issuer_id: Option<&str>,
        cert: &Certificate,
        key: &SecretKey,
    ) -> Result<KeyRecord, SigningError> {
        let id = new_id();
        let sealed = self.kek.seal(&key.to_bytes())?;
        let serial = hex(cert.tbs_certificate().serial_number().as_bytes());
        let pem = certs::to_pem(cert)?;
        let now = now_ms();
        // The key and its `key_create` event commit together.
        let mut tx = self.db.pool.begin().await.map_err(db_err)?;
        crate::db::keys::insert(
            &mut tx,
            &crate::db::keys::NewKey {
                id: &id,
                kind: kind.as_str(),
                name,
                agency,
                issuer_id,
                serial: &serial,
                certificate_pem: &pem,
                sealed_key: &sealed,
                created_at: now,
            },
        )
        .await
        .map_err(db_err)?;
        let detail = serde_json::json!({
            "kind": kind.as_str(), "name": name, "agency": agency, "serial": serial,
        });
        let event = Entry::new("-", Action::KeyCreate, &id, detail);
        crate::db::audit::append(&mut tx, &event)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(KeyRecord {
            id,
            kind: kind.as_str().into(),
            name: name.into(),
            agency: agency.map(str::to_owned),
            serial,
            algorithm: key.algorithm().as_str().into(),
            certificate_pem: pem,
            created_at: now,
            retired_at: None,
            revoked_at: None,
        })
    }

    /// The private key and chain of key `id`.
    pub async fn signer(&self, id: &str) -> Result<Signer, SigningError> {
        let row = crate::db::keys::sealed(&self.db, id)
            .await
            .map_err(db_err)?
            .ok_or_else(|| SigningError::Keys(format!("no key {id}")))?;
        let secret = self.kek.open(&row.sealed_key)?;
        let mut chain = vec![certs::from_pem(&row.certificate_pem)?];
        let mut issuer = row.issuer_id.clone();
        while let Some(iid) = issuer.take() {
            let (pem, next) = crate::db::keys::certificate_and_issuer(&self.db, &iid)
                .await
                .map_err(db_err)?;
            chain.push(certs::from_pem(&pem)?);
            issuer = next;
            if chain.len() > 4 {
                break;
            }
        }
        Ok(Signer {
            id: id.into(),
            name: row.name,
            key: SecretKey::from_stored(&chain[0], &secret)?,
            chain,
        })
    }

    /// The active root, created when there is none.
    async fn ensure_root(&self, created: &mut Vec<KeyRecord>) -> Result<KeyRecord, SigningError> {
        if let Some(root) = self.active(CertKind::Root, None).await? {
            return Ok(root);
        }
        let key = SecretKey::generate(self.algorithm);
        let name = certs::name("Kho Root CA", "Kho")?;
        let cert = certs::issue(CertKind::Root, name.clone(), &key, name, &key, None, 20)?;
        match self
            .store(CertKind::Root, "Kho Root CA", None, None, &cert, &key)
            .await
        {
            Ok(rec) => {
                created.push(rec.clone());
                Ok(rec)
            }
            // Another process made the root at the same moment: use theirs.
            Err(e) => self.active(CertKind::Root, None).await?.ok_or(e),
        }
    }

    async fn issue_under_root(
        &self,
        kind: CertKind,
        common_name: &str,
        agency: Holder<'_>,
        algorithm: SealAlgorithm,
        years: u64,
        created: &mut Vec<KeyRecord>,
    ) -> Result<KeyRecord, SigningError> {
        let root = self.ensure_root(created).await?;
        let root_signer = self.signer(&root.id).await?;
        let root_name = root_signer.chain[0].tbs_certificate().subject().clone();
        let key = SecretKey::generate(algorithm);
        let cert = certs::issue(
            kind,
            certs::name(common_name, agency.organization())?,
            &key,
            root_name,
            &root_signer.key,
            Some(self.crl_url.clone()),
            years,
        )?;
        let stored = self
            .store(
                kind,
                common_name,
                agency.code(),
                Some(&root.id),
                &cert,
                &key,
            )
            .await;
        match stored {
            Ok(rec) => {
                created.push(rec.clone());
                Ok(rec)
            }
            // One active seal and office key per agency: another process won the race.
            Err(e) if kind != CertKind::Staff => self.active(kind, agency.code()).await?.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// Make the root and each agency's seal and office certificate when missing; returns
    /// what was created. A new office key takes the algorithm of the agency's seal.
    pub async fn ensure(&self, agencies: &[Agency]) -> Result<Vec<KeyRecord>, SigningError> {
        let mut created = Vec::new();
        self.ensure_root(&mut created).await?;
        self.ensure_tsa(&mut created).await?;
        for a in agencies {
            if self
                .active(CertKind::Agency, Some(&a.code))
                .await?
                .is_none()
            {
                self.issue_under_root(
                    CertKind::Agency,
                    &a.name,
                    Holder::Agency(a),
                    self.algorithm,
                    5,
                    &mut created,
                )
                .await?;
            }
            if self
                .active(CertKind::Office, Some(&a.code))
                .await?
                .is_none()
            {
                let algorithm = self.agency_algorithm(&a.code).await?;
                let office = format!("Bộ phận số hóa – {}", a.name);
                self.issue_under_root(
                    CertKind::Office,
                    &office,
                    Holder::Agency(a),
                    algorithm,
                    2,
                    &mut created,
                )
                .await?;
            }
        }
        Ok(created)
    }

    /// The active time-stamping key, made under the active root when there is none or
    /// when the root it was issued under is no longer the active one.
    async fn ensure_tsa(&self, created: &mut Vec<KeyRecord>) -> Result<KeyRecord, SigningError> {
        let root = self.ensure_root(created).await?;
        if let Some(tsa) = self.active(CertKind::Tsa, None).await? {
            let issuer = crate::db::keys::issuer_of(&self.db, &tsa.id)
                .await
                .map_err(db_err)?;
            if issuer.as_deref() == Some(root.id.as_str()) {
                return Ok(tsa);
            }
            crate::db::keys::retire(&self.db, &tsa.id, now_ms())
                .await
                .map_err(db_err)?;
        }
        self.issue_under_root(
            CertKind::Tsa,
            "Kho Time-Stamping Authority",
            Holder::Deployment,
            self.algorithm,
            10,
            created,
        )
        .await
    }

    /// The deployment's own time-stamping authority, ready to stamp.
    pub async fn tsa(&self) -> Result<Signer, SigningError> {
        let mut created = Vec::new();
        let tsa = self.ensure_tsa(&mut created).await?;
        self.signer(&tsa.id).await
    }

    /// The algorithm of the agency's active seal, or the deployment's default.
    pub async fn agency_algorithm(&self, agency: &str) -> Result<SealAlgorithm, SigningError> {
        Ok(match self.active(CertKind::Agency, Some(agency)).await? {
            Some(seal) if seal.algorithm == "p256" => SealAlgorithm::P256,
            Some(seal) if seal.algorithm == "ed25519" => SealAlgorithm::Ed25519,
            _ => self.algorithm,
        })
    }

    /// A personal certificate for a staff member of `agency`, of its seal's algorithm.
    pub async fn issue_staff(
        &self,
        name: &str,
        agency: &Agency,
    ) -> Result<KeyRecord, SigningError> {
        let mut created = Vec::new();
        let algorithm = self.agency_algorithm(&agency.code).await?;
        self.issue_under_root(
            CertKind::Staff,
            name,
            Holder::Agency(agency),
            algorithm,
            2,
            &mut created,
        )
        .await
    }

    /// Retire the agency's seal (kept for verification) and issue a new one, of
    /// `algorithm` or else the retired seal's. When the algorithm changes, the office key
    /// is renewed with it too, so the agency's custody signatures and seals read alike.
    /// Returns the new keys, the seal first.
    pub async fn rotate_seal(
        &self,
        agency: &Agency,
        algorithm: Option<SealAlgorithm>,
    ) -> Result<Vec<KeyRecord>, SigningError> {
        let algorithm = match algorithm {
            Some(a) => a,
            None => self.agency_algorithm(&agency.code).await?,
        };
        let office = self.active(CertKind::Office, Some(&agency.code)).await?;
        let renew_office = office
            .as_ref()
            .is_some_and(|o| o.algorithm != algorithm.as_str());
        let mut tx = self.db.pool.begin().await.map_err(db_err)?;
        let kinds: &[&str] = if renew_office {
            &["agency", "office"]
        } else {
            &["agency"]
        };
        for kind in kinds {
            crate::db::keys::retire_kind(&mut tx, kind, &agency.code, now_ms())
                .await
                .map_err(db_err)?;
        }
        let detail = serde_json::json!({
            "agency": agency.code, "algorithm": algorithm.as_str(), "office_renewed": renew_office,
        });
        let event = Entry::new("-", Action::KeyRetireSeal, &agency.code, detail);
        crate::db::audit::append(&mut tx, &event)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let mut created = Vec::new();
        self.issue_under_root(
            CertKind::Agency,
            &agency.name,
            Holder::Agency(agency),
            algorithm,
            5,
            &mut created,
        )
        .await?;
        if renew_office {
            let office = format!("Bộ phận số hóa – {}", agency.name);
            self.issue_under_root(
                CertKind::Office,
                &office,
                Holder::Agency(agency),
                algorithm,
                2,
                &mut created,
            )
            .await?;
        }
        Ok(created)
    }

    /// The agency's seal and (for custody) the key `staff_id` or, without one, the
    /// agency's office key.
    pub async fn signers_for(
        &self,
        agency: &str,
        staff_id: Option<&str>,
    ) -> Result<(Signer, Signer), SigningError> {
        let seal = self
            .active(CertKind::Agency, Some(agency))
            .await?
            .ok_or_else(|| SigningError::Keys(format!("agency {agency} has no seal key")))?;
        let custody = match staff_id {
            Some(id) => id.to_owned(),
            None => {
                self.active(CertKind::Office, Some(agency))
                    .await?
                    .ok_or_else(|| {
                        SigningError::Keys(format!("agency {agency} has no office key"))
                    })?
                    .id
            }
        };
        Ok((self.signer(&custody).await?, self.signer(&seal.id).await?))
    }

    /// Revoke key `id`'s certificate (it appears in the CRL from now on).
    pub async fn revoke(&self, id: &str, reason: &str) -> Result<bool, SigningError> {
        let mut tx = self.db.pool.begin().await.map_err(db_err)?;
        let done = crate::db::keys::revoke(&mut tx, id, reason, now_ms())
            .await
            .map_err(db_err)?;
        if done {
            let detail = serde_json::json!({"reason": reason});
            crate::db::audit::append(&mut tx, &Entry::new("-", Action::KeyRevoke, id, detail))
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(done)
    }

    /// Serial numbers (hex) of every revoked certificate, with when (Unix ms).
    pub async fn revoked_serials(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, SigningError> {
        Ok(crate::db::keys::revoked_serials(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect())
    }

    /// Every root certificate, active and retired, as PEM.
    pub async fn roots_pem(&self) -> Result<String, SigningError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|k| k.kind == "root")
            .map(|k| k.certificate_pem)
            .collect())
    }

    /// The root's CRL (DER): the revoked certificates it issued, valid for a week.
    pub async fn crl_der(&self) -> Result<Vec<u8>, SigningError> {
        let mut created = Vec::new();
        let root = self.ensure_root(&mut created).await?;
        let root_signer = self.signer(&root.id).await?;
        let revoked = crate::db::keys::revoked_under(&self.db, &root.id)
            .await
            .map_err(db_err)?;
        let mut entries = Vec::new();
        for (pem, at) in &revoked {
            let cert = certs::from_pem(pem)?;
            entries.push((
                cert.tbs_certificate().serial_number().clone(),
                std::time::UNIX_EPOCH + Duration::from_millis((*at).max(0) as u64),
            ));
        }
        certs::crl(&root_signer.chain[0], &root_signer.key, entries, 7)
    }
}

/// Whom a certificate under the root is for: an agency (its seal, office and staff) or
/// the deployment itself (its time-stamping authority).
#[derive(Clone, Copy)]
enum Holder<'a> {
    Agency(&'a Agency),
    Deployment,
}

impl Holder<'_> {
    fn organization(&self) -> &str {
        match self {
            Holder::Agency(a) => &a.name,
            Holder::Deployment => "Kho",
        }
    }

    fn code(&self) -> Option<&str> {
        match self {
            Holder::Agency(a) => Some(&a.code),
            Holder::Deployment => None,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

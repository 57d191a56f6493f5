//! The audit trail: every security-relevant event (sign-in, upload, approval and
//! rejection, filing and signing, grants and their revocation, pulls by requesters,
//! revocation of documents, key and token operations) is appended to `audit_log` as a
//! link of a hash chain: each event's hash is SHA-256 over the previous event's hash and
//! its own fields. [`verify`] walks the chain and names the first broken link, so an
//! edited, deleted, inserted or reordered event is found (`kho audit verify`).
//!
//! Someone able to rewrite the whole table and its head could recompute every hash, so
//! the head is also signed now and then ([`checkpoint`]: `kho serve` every
//! `--audit-checkpoint-secs`, or `kho audit checkpoint`) with the default agency's seal
//! key and published (`GET /api/v1/audit/checkpoints`); [`verify`] checks every
//! checkpoint's signature and that the chain still passes through it.

use base64::Engine;

use crate::app::App;
use crate::db::Db;
use crate::db::audit::{self, Checkpoint, Event};

pub use crate::domain::audit::{Action, Entry, GENESIS, link_hash};

/// The hash an event's own fields (and its `prev_hash`) call for.
pub fn event_hash(e: &Event) -> String {
    link_hash(
        &e.prev_hash,
        e.seq,
        e.at,
        &e.actor,
        &e.action,
        &e.subject,
        &e.detail,
    )
}

/// What a checkpoint's signature covers.
pub fn checkpoint_message(seq: i64, hash: &str, at: i64) -> String {
    format!("kho-audit-checkpoint/1\n{seq}\n{hash}\n{at}")
}

/// Sign the chain's head with the default agency's seal and keep it as a checkpoint;
/// `None` when the log is empty or the head is already checkpointed.
pub async fn checkpoint(app: &App) -> anyhow::Result<Option<Checkpoint>> {
    let (seq, hash) = audit::head(&app.db).await?;
    let last = audit::checkpoints(&app.db, Some(1)).await?;
    if seq == 0 || last.first().is_some_and(|c| c.seq >= seq) {
        return Ok(None);
    }
    let agency = &app.config.agencies.0[0].code;
    let (_, seal) = app.keys.signers_for(agency, None).await?;
    let at = crate::db::now_ms();
    let signature = seal.key.sign(checkpoint_message(seq, &hash, at).as_bytes());
    let cp = Checkpoint {
        seq,
        hash,
        at,
        key_id: seal.id.clone(),
        certificate_pem: crate::signing::certs::to_pem(&seal.chain[0])?,
        signature: base64::engine::general_purpose::STANDARD.encode(signature),
    };
    audit::add_checkpoint(&app.db, &cp).await?;
    Ok(Some(cp))
}

/// Why checkpoint `c` cannot be trusted, if it cannot: its certificate is not the one
/// the deployment holds for its key, or its signature does not verify.
async fn checkpoint_fault(db: &Db, c: &Checkpoint) -> anyhow::Result<Option<String>> {
    if audit::key_certificate(db, &c.key_id).await?.as_deref() != Some(c.certificate_pem.as_str()) {
        return Ok(Some(format!(
            "the checkpoint at event {} names a key this deployment does not hold",
            c.seq
        )));
    }
    let cert = crate::signing::certs::from_pem(&c.certificate_pem)?;
    let good = base64::engine::general_purpose::STANDARD
        .decode(&c.signature)
        .is_ok_and(|sig| {
            crate::signing::key::verify_with_certificate(
                &cert,
                checkpoint_message(c.seq, &c.hash, c.at).as_bytes(),
                &sig,
            )
        });
    Ok((!good).then(|| format!("the checkpoint at event {} has a bad signature", c.seq)))
}

/// The first broken link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number where the chain breaks.
    pub seq: i64,
    pub reason: String,
}

/// An intact chain: its number of events and its head hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub events: i64,
    pub head: String,
}

/// Check the events (in sequence order) against each other and the head.
pub fn check(events: &[Event], head: (i64, &str)) -> Result<Intact, Broken> {
    let mut chain = Chain::default();
    for e in events {
        chain.next(e)?;
    }
    chain.end(head)
}

/// Walks the chain one event at a time.
#[derive(Debug)]
struct Chain {
    expect: i64,
    prev: String,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            expect: 1,
            prev: GENESIS.into(),
        }
    }
}

impl Chain {
    fn next(&mut self, e: &Event) -> Result<(), Broken> {
        if e.seq > self.expect {
            return Err(Broken {
                seq: self.expect,
                reason: format!("event {} is missing: deleted", self.expect),
            });
        }
        if e.seq < self.expect {
            return Err(Broken {
                seq: e.seq,
                reason: format!("event {} appears twice or out of order", e.seq),
            });
        }
        if e.prev_hash != self.prev {
            return Err(Broken {
                seq: e.seq,
                reason: format!(
                    "event {} does not follow event {}: an event was inserted, deleted or moved here",
                    e.seq,
                    e.seq - 1
                ),
            });
        }
        if event_hash(e) != e.hash {
            return Err(Broken {
                seq: e.seq,
                reason: format!(
                    "event {} was edited: its fields do not match its hash",
                    e.seq
                ),
            });
        }
        self.prev = e.hash.clone();
        self.expect += 1;
        Ok(())
    }

    fn end(self, (seq, hash): (i64, &str)) -> Result<Intact, Broken> {
        let last = self.expect - 1;
        if seq != last || hash != self.prev {
            return Err(Broken {
                seq: last + 1,
                reason: format!(
                    "the log ends at event {last} but its head is event {seq}: events at the end were deleted or the head was changed"
                ),
            });
        }
        Ok(Intact {
            events: last,
            head: self.prev,
        })
    }
}

/// Verify the whole recorded chain, reading it in pages (memory stays bounded however
/// long the log is).
pub async fn verify(db: &Db) -> anyhow::Result<Result<Intact, Broken>> {
    // The head first: events appended while we read are past it and not checked.
    let (head_seq, head_hash) = audit::head(db).await?;
    let checkpoints = audit::checkpoints(db, None).await?;
    for c in &checkpoints {
        if let Some(reason) = checkpoint_fault(db, c).await? {
            return Ok(Err(Broken { seq: c.seq, reason }));
        }
    }
    let signed: std::collections::HashMap<i64, &Checkpoint> =
        checkpoints.iter().map(|c| (c.seq, c)).collect();
    let mut chain = Chain::default();
    let mut after = 0;
    loop {
        let page = audit::page(db, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page.iter().filter(|e| e.seq <= head_seq) {
            if let Err(b) = chain.next(e) {
                return Ok(Err(b));
            }
            if let Some(c) = signed.get(&e.seq)
                && c.hash != e.hash
            {
                return Ok(Err(Broken {
                    seq: e.seq,
                    reason: format!(
                        "event {} is not the one the checkpoint signed then: the log was rewritten",
                        e.seq
                    ),
                }));
            }
        }
        if after >= head_seq {
            break;
        }
    }
    if let Some(c) = checkpoints.iter().find(|c| c.seq > head_seq) {
        return Ok(Err(Broken {
            seq: head_seq + 1,
            reason: format!(
                "the log ends at event {head_seq} but a checkpoint was signed at event {}: events were deleted",
                c.seq
            ),
        }));
    }
    let intact = match chain.end((head_seq, &head_hash)) {
        Ok(i) => i,
        Err(b) => return Ok(Err(b)),
    };
    // An event past the head as it is now was not appended through the head: forged.
    let (now_seq, _) = audit::head(db).await?;
    if let Some(e) = audit::page(db, now_seq, 1).await?.first() {
        return Ok(Err(Broken {
            seq: e.seq,
            reason: format!("event {} is past the head: inserted", e.seq),
        }));
    }
    Ok(Ok(intact))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Event> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let detail = format!("{{\"n\":{seq}}}");
                let hash = link_hash(&prev, seq, 1000 + seq, "u1", "upload", "s", &detail);
                let e = Event {
                    seq,
                    at: 1000 + seq,
                    actor: "u1".into(),
                    action: "upload".into(),
                    subject: "s".into(),
                    detail,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn head(events: &[Event]) -> (i64, &str) {
        let last = events.last().unwrap();
        (last.seq, last.hash.as_str())
    }

    #[test]
    fn an_untouched_chain_is_intact_and_each_kind_of_tampering_is_named() {
        let good = chain(6);
        assert_eq!(check(&good, head(&good)).unwrap().events, 6);
        // Edited.
        let mut edited = good.clone();
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(check(&edited, head(&good)).unwrap_err().seq, 3);
        // Deleted from the middle.
        let mut deleted = good.clone();
        deleted.remove(3);
        let b = check(&deleted, head(&good)).unwrap_err();
        assert_eq!(b.seq, 4);
        assert!(b.reason.contains("missing"), "{b:?}");
        // Deleted from the middle and renumbered.
        let mut renumbered = deleted.clone();
        for e in renumbered.iter_mut().skip(3) {
            e.seq -= 1;
        }
        assert_eq!(check(&renumbered, head(&good)).unwrap_err().seq, 4);
        // Reordered: events 2 and 5 swap places.
        let mut swapped = good.clone();
        swapped.swap(1, 4);
        swapped[1].seq = 2;
        swapped[4].seq = 5;
        assert_eq!(check(&swapped, head(&good)).unwrap_err().seq, 2);
        // Deleted at the end.
        let short = &good[..5];
        assert_eq!(check(short, head(&good)).unwrap_err().seq, 6);
    }
}

//! Prometheus metrics (`GET /metrics`, text format 0.0.4).
//!
//! What the deployment holds is read from the database at each scrape, so every
//! `kho serve` answers the same for it: jobs by state, the queue's depth and oldest
//! age, failures by reason, documents by status, pages filed, open reviews, grants and
//! pulls. What this process did is counted here: stage latencies of the jobs it ran
//! (decode→OCR→PDF, signing, storing) as histograms, and verifications by verdict.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::db::{Db, DbError, now_ms};

/// Histogram bucket bounds, seconds.
const BOUNDS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at or under each bound (cumulative when rendered).
    buckets: [u64; BOUNDS.len()],
    sum: f64,
    count: u64,
}

/// This process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    stages: Mutex<BTreeMap<&'static str, Histogram>>,
    verifications: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// A job's stage took `seconds`.
    pub fn observe(&self, stage: &'static str, seconds: f64) {
        let mut stages = self.stages.lock().expect("metrics lock");
        let h = stages.entry(stage).or_default();
        if let Some(i) = BOUNDS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Each stage observed so far: name, total seconds, observations.
    pub fn stage_totals(&self) -> Vec<(&'static str, f64, u64)> {
        self.stages
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|(k, h)| (*k, h.sum, h.count))
            .collect()
    }

    /// A verification ended with `verdict`.
    pub fn verified(&self, verdict: &str) {
        *self
            .verifications
            .lock()
            .expect("metrics lock")
            .entry(verdict.to_owned())
            .or_default() += 1;
    }

    /// The text exposition.
    pub async fn render(&self, db: &Db) -> Result<String, DbError> {
        let now = now_ms();
        let held = crate::db::metrics::holdings(db, now).await?;
        let mut out = String::new();
        let w = &mut out;
        gauge_by(w, "kho_jobs", "Jobs by state.", "state", &held.jobs);
        gauge(
            w,
            "kho_queue_depth",
            "Jobs waiting for a worker.",
            held.queued as f64,
        );
        let age = if held.oldest_queued_at > 0 {
            (now - held.oldest_queued_at) as f64 / 1000.0
        } else {
            0.0
        };
        gauge(
            w,
            "kho_queue_oldest_age_seconds",
            "Age of the oldest waiting job.",
            age,
        );
        let mut reasons = BTreeMap::new();
        for (error, n) in &held.failed {
            *reasons.entry(reason_of(error)).or_insert(0) += n;
        }
        gauge_by(
            w,
            "kho_jobs_failed",
            "Failed jobs by reason.",
            "reason",
            &reasons.into_iter().collect::<Vec<_>>(),
        );
        gauge_by(
            w,
            "kho_documents",
            "Filed documents by status.",
            "status",
            &held.documents,
        );
        counter(
            w,
            "kho_pages_filed_total",
            "Pages in filed documents.",
            held.pages as f64,
        );
        gauge(
            w,
            "kho_reviews_open",
            "Documents waiting in the review queue.",
            held.open_reviews as f64,
        );
        gauge(
            w,
            "kho_grants_live",
            "Consents in force.",
            held.live_grants as f64,
        );
        counter(
            w,
            "kho_pulls_total",
            "Documents read by requesters under a grant.",
            held.pulls as f64,
        );

        let verifications: Vec<(String, i64)> = self
            .verifications
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|(k, v)| (k.clone(), *v as i64))
            .collect();
        let _ = writeln!(
            w,
            "# HELP kho_verifications_total Verifications by this process, by verdict.\n# TYPE kho_verifications_total counter"
        );
        for (verdict, n) in verifications {
            let _ = writeln!(
                w,
                "kho_verifications_total{{verdict=\"{}\"}} {n}",
                label(&verdict)
            );
        }
        let stages = self.stages.lock().expect("metrics lock").clone();
        let _ = writeln!(
            w,
            "# HELP kho_stage_seconds Time of each stage of the jobs this process ran.\n# TYPE kho_stage_seconds histogram"
        );
        for (stage, h) in stages {
            let mut cumulative = 0;
            for (b, n) in BOUNDS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    w,
                    "kho_stage_seconds_bucket{{stage=\"{stage}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                w,
                "kho_stage_seconds_bucket{{stage=\"{stage}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(w, "kho_stage_seconds_sum{{stage=\"{stage}\"}} {}", h.sum);
            let _ = writeln!(
                w,
                "kho_stage_seconds_count{{stage=\"{stage}\"}} {}",
                h.count
            );
        }
        Ok(out)
    }
}

/// A failure's reason for a label: its text up to the first colon, at most 60
/// characters (so ids and details do not make a label each).
fn reason_of(error: &str) -> String {
    let head = error.split(':').next().unwrap_or("").trim();
    let head: String = head.chars().take(60).collect();
    if head.is_empty() {
        "unknown".into()
    } else {
        head
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn gauge(w: &mut String, name: &str, help: &str, v: f64) {
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
}

fn counter(w: &mut String, name: &str, help: &str, v: f64) {
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
}

fn gauge_by(w: &mut String, name: &str, help: &str, key: &str, values: &[(String, i64)]) {
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (k, n) in values {
        let _ = writeln!(w, "{name}{{{key}=\"{}\"}} {n}", label(k));
    }
}

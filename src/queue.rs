//! Workers: claim jobs from the database, keep their leases alive, run them, and record
//! the outcome (done, retry with backoff, or failed with the reason).
//!
//! `kho serve` runs these in-process; `kho worker` runs only these. Any number of them,
//! in any number of processes, share one database: a job belongs to whoever holds its
//! lease, and a worker that dies simply stops renewing it.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::app::App;
use crate::db::jobs::{self, ClaimedJob};
use crate::db::new_id;
use crate::digitize::{self, DigitizeError};

/// Start `count` workers; they stop when `shutdown` turns true, releasing unfinished jobs.
pub fn spawn_workers(app: &App, count: usize, shutdown: watch::Receiver<bool>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for i in 0..count {
        let app = app.clone();
        let shutdown = shutdown.clone();
        set.spawn(async move { worker_loop(app, i, shutdown).await });
    }
    set
}

async fn worker_loop(app: App, index: usize, mut shutdown: watch::Receiver<bool>) {
    tracing::debug!(worker = index, "worker started");
    let lease_ms = app.config.lease().as_millis() as i64;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let lease_owner = format!("{}#{index}", new_id());
        match jobs::claim(&app.db, &lease_owner, lease_ms).await {
            Ok(Some(job)) => {
                let span = tracing::info_span!("job", id = %job.id, attempt = job.attempts);
                run_job(&app, job, &mut shutdown).instrument(span).await
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(app.config.poll_interval()) => {}
                    _ = app.jobs_ready.notified() => {}
                    _ = wait_true(&mut shutdown) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot claim jobs");
                tokio::select! {
                    _ = tokio::time::sleep(app.config.poll_interval()) => {}
                    _ = wait_true(&mut shutdown) => {}
                }
            }
        }
    }
    tracing::debug!(worker = index, "worker stopped");
}

async fn run_job(app: &App, job: ClaimedJob, shutdown: &mut watch::Receiver<bool>) {
    if job.attempts > job.max_attempts {
        // Taken over once too often: its workers keep dying on it.
        let reason = format!(
            "gave up after {} attempts whose workers stopped before finishing",
            job.max_attempts
        );
        let _ = jobs::fail(&app.db, &job, &reason, None).await;
        tracing::warn!(%reason, "job failed");
        return;
    }
    let heartbeat = spawn_heartbeat(app.clone(), job.clone());
    let outcome = tokio::select! {
        r = digitize::run(app, &job) => Some(r),
        _ = wait_true(shutdown) => None,
    };
    heartbeat.abort();
    match outcome {
        None => {
            // Shutting down: hand the job back so another worker starts it at once.
            match jobs::release(&app.db, &job).await {
                Ok(_) => tracing::info!("job released at shutdown"),
                Err(e) => tracing::error!(error = %e, "cannot release job; its lease will expire"),
            }
        }
        Some(Ok(digitize::Outcome::Filed(document_id))) => {
            tracing::info!(%document_id, "document filed")
        }
        Some(Ok(digitize::Outcome::Review(review_id))) => {
            tracing::info!(%review_id, "document held for review")
        }
        Some(Err(DigitizeError::LostLease)) => {
            tracing::warn!("lease lost: another worker took the job over; result discarded")
        }
        Some(Err(e)) => record_failure(app, &job, &e).await,
    }
}

async fn record_failure(app: &App, job: &ClaimedJob, e: &DigitizeError) {
    let retry = !e.is_permanent() && job.attempts < job.max_attempts;
    let delay = retry.then(|| app.config.retry_delay(job.attempts).as_millis() as i64);
    let message = e.to_string();
    match jobs::fail(&app.db, job, &message, delay).await {
        Ok(true) if retry => {
            tracing::warn!(error = %message, retry_in_ms = delay, "attempt failed")
        }
        Ok(true) => tracing::warn!(error = %message, "job failed"),
        Ok(false) => tracing::warn!("lease lost before the failure could be recorded"),
        Err(db) => tracing::error!(error = %db, "cannot record job failure"),
    }
}

fn spawn_heartbeat(app: App, job: ClaimedJob) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let lease = app.config.lease();
        let every = (lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            match jobs::heartbeat(&app.db, &job, lease.as_millis() as i64).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = %job.id, "lease lost");
                    break;
                }
                Err(e) => tracing::error!(job = %job.id, error = %e, "heartbeat failed"),
            }
        }
    })
}

async fn wait_true(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            // The sender is gone: nobody can ask us to stop any more.
            std::future::pending::<()>().await;
        }
    }
}

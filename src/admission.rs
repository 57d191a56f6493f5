//! Admission of heavy requests: verifying a PDF, reading a QR photo and taking an upload
//! each hold decoded images or whole files in memory and keep a core busy, so only
//! `--max-heavy-requests` of them run at once in one process. Past that a request is
//! turned away at once (503 with `Retry-After`) instead of queueing until memory runs out.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The process's allowance of heavy requests.
#[derive(Debug, Clone)]
pub struct Heavy {
    permits: Arc<Semaphore>,
}

/// Every heavy slot is taken: try again shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the service is busy with other heavy requests; try again in a few seconds")]
pub struct Busy;

/// Seconds a turned-away client is asked to wait.
pub const RETRY_AFTER_SECS: u32 = 5;

impl Heavy {
    pub fn new(at_once: usize) -> Heavy {
        Heavy {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    /// A slot, held until the permit is dropped, or [`Busy`] when none is free.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, Busy> {
        self.permits.clone().try_acquire_owned().map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_past_the_allowance_is_turned_away_until_a_slot_frees() {
        let heavy = Heavy::new(2);
        let a = heavy.admit().unwrap();
        let _b = heavy.admit().unwrap();
        assert!(heavy.admit().is_err());
        drop(a);
        assert!(heavy.admit().is_ok());
    }
}

//! `kho serve` and `kho worker`: run the API and/or the workers until SIGINT or SIGTERM,
//! then stop gracefully — finish in-flight requests, stop claiming jobs, release the jobs
//! still running so another worker takes them at once.

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::App;
use crate::{api, queue};

/// Serve the API on `addr` with `workers` in-process workers, until SIGINT or SIGTERM.
pub async fn serve(app: App, addr: &str, workers: usize) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    // Signals are taken from here on: a SIGTERM right after the line below stops the
    // server gracefully, not by the default action.
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Printed on stdout so scripts and tests can find the port when it was 0.
    println!("Kho is serving on http://{local}  (workers: {workers}; stop with Ctrl-C)");
    tracing::info!(%local, workers, "serving");
    // No admin yet: a one-time link to create the first (for whoever started the server).
    if let Some(token) = crate::setup::open(&app.db, &app.setup).await? {
        // The page answers only on this machine unless --setup-public: then the link is
        // the address actually bound (loopback when bound to every address), which
        // --addr may have changed from the public URL's; with --setup-public, the
        // public URL.
        let base = if app.config.setup_public {
            app.config.public_url.trim_end_matches('/').to_owned()
        } else if local.ip().is_unspecified() {
            let loopback: std::net::IpAddr = if local.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            format!(
                "http://{}",
                std::net::SocketAddr::new(loopback, local.port())
            )
        } else {
            format!("http://{local}")
        };
        // Whoever reads stdout may have stopped (a script that took the first line):
        // a closed pipe must not stop the server.
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout(),
            "No admin account yet. Create the first within an hour at: {base}/setup?token={token}"
        );
    }
    app.run_until_stopped(listener, workers, async move {
        shutdown_signal_with(term).await;
        tracing::info!("shutting down");
    })
    .await
}

impl App {
    /// Serve the HTTP surface on `listener` with `workers` in-process workers and the
    /// audit checkpoint loop, until `stopped` resolves; then stop gracefully: finish
    /// in-flight requests, stop claiming jobs, hand running jobs back, and return when
    /// all of it has ended. `kho serve` passes the signals; tests pass their own future.
    pub async fn run_until_stopped(
        self,
        listener: TcpListener,
        workers: usize,
        stopped: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut worker_set = queue::spawn_workers(&self, workers, stop_rx.clone());
        let signal = tokio::spawn(async move {
            stopped.await;
            let _ = stop_tx.send(true);
        });
        let checkpoints = tokio::spawn(sign_checkpoints(self.clone(), stop_rx.clone()));
        let mut stop_http = stop_rx.clone();
        let service =
            api::router(self).into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(listener, service).with_graceful_shutdown(async move {
            let _ = stop_http.wait_for(|s| *s).await;
        });
        server.await?;
        while worker_set.join_next().await.is_some() {}
        signal.abort();
        // The loop ends on the same stop; a checkpoint being signed is let finish.
        let _ = checkpoints.await;
        Ok(())
    }
}

/// Sign the audit trail's head every `--audit-checkpoint-secs` until stopped (several
/// servers may do so at once: a second checkpoint of the same head is not kept).
async fn sign_checkpoints(app: App, mut stop: watch::Receiver<bool>) {
    let secs = app.config.audit_checkpoint_secs;
    if secs == 0 {
        return;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_secs(secs));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match crate::audit::checkpoint(&app).await {
            Ok(Some(c)) => tracing::info!(seq = c.seq, "audit checkpoint signed"),
            Ok(None) => {}
            Err(e) => tracing::error!(error = ?e, "audit checkpoint not signed"),
        }
    }
}

/// Run workers only, until a signal.
pub async fn work(app: App, workers: usize) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut worker_set = queue::spawn_workers(&app, workers, stop_rx);
    println!("Kho workers running: {workers} (stop with Ctrl-C)");
    shutdown_signal().await;
    tracing::info!("shutting down workers");
    let _ = stop_tx.send(true);
    while worker_set.join_next().await.is_some() {}
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install SIGTERM handler");
    shutdown_signal_with(term).await
}

/// Ctrl-C, or a SIGTERM on the listener `term` (installed by the caller).
async fn shutdown_signal_with(mut term: tokio::signal::unix::Signal) {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

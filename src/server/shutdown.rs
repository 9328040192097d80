//! Shutdown: one trigger (SIGTERM, SIGINT, or a test's handle), many listeners.
//!
//! The order is what keeps requests from failing while a pod goes away: `/readyz` turns 503
//! at once, the webhook keeps serving for `--shutdown-delay` (while endpoints and load
//! balancers catch up), then stops accepting and drains open connections (HTTP/1.1 ones close
//! after their in-flight response, HTTP/2 ones get GOAWAY) for at most `--drain-timeout`.
//! A second signal exits at once.

use tokio::sync::watch;

/// Starts the shutdown; cloning is fine, triggering twice is harmless.
#[derive(Clone, Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

/// Tells whether shutdown has started, and waits for it.
#[derive(Clone, Debug)]
pub struct ShutdownSignal {
    rx: watch::Receiver<bool>,
}

impl ShutdownSignal {
    pub fn is_started(&self) -> bool {
        *self.rx.borrow()
    }

    /// Completes once shutdown has started (at once if it already has).
    pub async fn started(&mut self) {
        // An error means every trigger is gone, which only happens when the server itself is
        // being dropped: treat it as shutdown.
        let _ = self.rx.wait_for(|started| *started).await;
    }
}

pub fn channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger { tx }, ShutdownSignal { rx })
}

/// SIGTERM and SIGINT, installed once so that no signal between two waits is lost.
pub struct OsSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl OsSignals {
    /// Installs the handlers (from then on the signals no longer kill the process).
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(OsSignals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(OsSignals {})
    }

    /// Waits for the next signal and returns its name.
    pub async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_signal_sees_the_trigger() {
        let (trigger, mut a) = channel();
        let mut b = a.clone();
        assert!(!a.is_started());
        trigger.trigger();
        a.started().await;
        b.started().await;
        assert!(b.is_started());
        trigger.trigger();
        a.started().await;
    }
}

//! The configuration in use while serving, and the re-reading of `--config FILE` when it
//! changes.
//!
//! The engine's [`Config`] sits in an [`ArcSwap`]: a request loads it once (no lock, no
//! reference-count traffic in the common case) and judges with that version to the end, and a
//! reload replaces it for the requests that follow, all at once.
//!
//! The file is polled, as the certificate is (every `--cert-reload-interval`), rather than
//! watched with inotify: a ConfigMap volume is updated by the kubelet swapping the `..data`
//! symlink to a new directory, which a watch on the file itself misses, and reading a few
//! hundred bytes every few seconds costs nothing. The file is read through its symlinks and
//! compared by SHA-256 with the version in use; only a different text is parsed. A text that
//! does not load (unreadable, not YAML, an unknown field, a bad value) is logged and counted,
//! once per distinct text, and the configuration in use stays.
//!
//! Metrics:
//! - `eastwest_guard_config_reloads_total{result="success|failure"}`
//! - `eastwest_guard_config_info{sha256="..."} 1`: the SHA-256 of the file in use (compare
//!   with `sha256sum` of the ConfigMap's file); absent without `--config`.
//! - `eastwest_guard_config_generation`: 1 at start, one more at each configuration taken up.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::metrics::ResultLabels;
use super::shutdown::ShutdownSignal;
use crate::cluster::ClusterCache;
use crate::cluster::problems::{ExistingProblems, ProblemLabels};
use crate::flags::RuleFlags;
use crate::rules::Config;

/// The configuration requests judge with, replaced as a whole on reload.
pub type SharedConfig = Arc<ArcSwap<Config>>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InfoLabels {
    sha256: String,
}

/// The configuration's metrics (registered under `eastwest_guard_`).
#[derive(Debug, Default)]
pub struct ConfigMetrics {
    /// `existing_problems{rule,level}`, with `--cluster-lookups` ([`ExistingProblems`]).
    pub existing_problems: Family<ProblemLabels, Gauge>,
    reloads: Family<ResultLabels, Counter>,
    info: Family<InfoLabels, Gauge>,
    generation: Gauge,
}

impl ConfigMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = ConfigMetrics::default();
        registry.register(
            "config_reloads",
            "Re-reads of the --config file that changed it, by result (a failure keeps the \
             configuration in use)",
            m.reloads.clone(),
        );
        registry.register(
            "config_info",
            "The --config file in use, by SHA-256 of its text",
            m.info.clone(),
        );
        registry.register(
            "config_generation",
            "The configuration in use: 1 at start, one more at each reload taken up",
            m.generation.clone(),
        );
        registry.register(
            "existing_problems",
            "With --cluster-lookups: the cached objects that carry problems, by rule and the \
             level a write setting their keys would get",
            m.existing_problems.clone(),
        );
        // Alerts on increase() see the first failure.
        for result in ["success", "failure"] {
            drop(m.reloads.get_or_create(&ResultLabels { result }));
        }
        m.generation.set(1);
        m
    }

    fn in_use(&self, sha256: Option<String>) {
        self.info.clear();
        if let Some(sha256) = sha256 {
            self.info.get_or_create(&InfoLabels { sha256 }).set(1);
        }
    }

    fn reloaded(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
    }
}

/// The SHA-256 of a text, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The configuration of `rules` at start, with the metrics of its file. The file is read
/// once: the version parsed is the version hashed.
pub fn initial(
    rules: &RuleFlags,
    metrics: &ConfigMetrics,
) -> Result<(Config, Option<String>), String> {
    let Some(path) = rules.config_file() else {
        metrics.in_use(None);
        return Ok((rules.to_config()?, None));
    };
    let text = crate::config::read_text(path)?;
    let config = rules.to_config_with(Some(crate::config::parse_file(path, &text)?))?;
    let sha = sha256_hex(text.as_bytes());
    metrics.in_use(Some(sha.clone()));
    Ok((config, Some(sha)))
}

/// Re-reads the file every `interval` until shutdown starts.
pub struct ConfigReloader {
    pub rules: RuleFlags,
    pub path: PathBuf,
    pub interval: Duration,
    pub config: SharedConfig,
    pub metrics: Arc<super::metrics::Metrics>,
    /// The cluster cache whose problem count follows the configuration, if any.
    pub cluster: Option<Arc<ClusterCache>>,
}

/// With a cluster cache: keep `existing_problems` current with it and the configuration.
pub fn track_problems(cache: &ClusterCache, config: &SharedConfig, metrics: &ConfigMetrics) {
    cache.track_problems(Arc::new(ExistingProblems::new(
        config.clone(),
        metrics.existing_problems.clone(),
    )));
}

impl ConfigReloader {
    /// Runs until shutdown starts; `loaded` is the SHA-256 of the text in use.
    pub async fn run(self, mut loaded: String, mut shutdown: ShutdownSignal) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        // The text last tried: a broken one is reported once, not at every tick.
        let mut tried = loaded.clone();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.started() => return,
            }
            self.check(&mut loaded, &mut tried).await;
        }
    }

    async fn check(&self, loaded: &mut String, tried: &mut String) {
        let metrics = &self.metrics.config;
        let path = self.path.clone();
        // A blocking read of a small file, off the runtime's workers.
        let text = tokio::task::spawn_blocking(move || crate::config::read_text(&path)).await;
        let text = match text {
            Ok(Ok(text)) => text,
            Ok(Err(e)) => {
                let seen = sha256_hex(e.as_bytes());
                if seen != *tried {
                    *tried = seen;
                    metrics.reloaded(false);
                    tracing::error!(error = %e, "configuration file unreadable; keeping the configuration in use");
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the configuration file failed");
                return;
            }
        };
        let sha = sha256_hex(text.as_bytes());
        if sha == *tried || sha == *loaded {
            *tried = sha;
            return;
        }
        tried.clone_from(&sha);
        let parsed = crate::config::parse_file(&self.path, &text)
            .and_then(|file| self.rules.to_config_with(Some(file)));
        match parsed {
            Ok(config) => {
                self.config.store(Arc::new(config));
                if let Some(cache) = &self.cluster
                    && let Some(problems) = cache.problems()
                {
                    problems.recompute(cache);
                }
                metrics.reloaded(true);
                metrics.in_use(Some(sha.clone()));
                metrics.generation.inc();
                tracing::info!(config = %self.path.display(), sha256 = %sha, "configuration reloaded");
                *loaded = sha;
            }
            Err(e) => {
                metrics.reloaded(false);
                tracing::error!(error = %e, sha256 = %sha, "new configuration refused; keeping the one in use");
            }
        }
    }
}

//! Prometheus metrics (OpenMetrics text on the probe port's `/metrics`).
//!
//! Every label value is a `&'static str` from a closed set (endpoint, kind, operation, outcome,
//! rule ID), so recording on the request path allocates nothing and the series count is
//! bounded whatever the requests contain.
//!
//! Beside the `eastwest_guard_*` families, the standard `process_*` metrics (CPU seconds,
//! resident and virtual memory, open and maximum file descriptors, start time, threads) are
//! read from the operating system when `/metrics` is scraped, never on the request path.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `validate` or `mutate`.
    pub endpoint: &'static str,
    /// `Namespace`, `Service`, `other`, or `unknown` (the request could not be read).
    pub kind: &'static str,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`, or `unknown`.
    pub operation: &'static str,
    /// `allowed`, `denied`, `warned`, `patched`, `bad_request` (400, 408, 413, 503), `error` (500).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: &'static str,
    /// The level in force: `deny` or `warn` (configuration can downgrade a deny rule).
    pub level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `success` or `failure`.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

fn latency_histogram() -> Histogram {
    // 50µs .. ~1.6s: the engine answers in microseconds; the tail is body reading.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// All metrics of the process, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_duration: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    pub rule_hits: Family<RuleLabels, Counter>,
    pub cert_reloads: Family<ResultLabels, Counter>,
    pub cert_expiry: Gauge,
    pub tls_handshake_failures: Counter,
    pub connections_open: Gauge,
    pub connections_closed_by_server: Family<ReasonLabels, Counter>,
    pub handler_panics: Counter,
    pub cluster_lookups_skipped: Counter,
    pub cluster_cache_synced: Gauge,
    pub cluster_cache_objects: Family<ObjectKindLabels, Gauge>,
    pub config: super::config_reload::ConfigMetrics,
}

/// `kind` of cached objects.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectKindLabels {
    pub kind: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // The process metrics keep their standard unprefixed names (dashboards and alerts
        // written for any Prometheus client find them); everything else is eastwest_guard_*.
        let mut root = Registry::default();
        root.register_collector(Box::new(ProcessCollector));
        let registry = root.sub_registry_with_prefix("eastwest_guard");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "admission_requests",
            "Admission requests by endpoint, object kind, operation and outcome",
            requests.clone(),
        );
        let request_duration =
            Family::<EndpointLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "admission_request_duration_seconds",
            "Time from request headers to response, by endpoint (includes reading the body)",
            request_duration.clone(),
        );
        let rule_hits = Family::<RuleLabels, Counter>::default();
        registry.register(
            "rule_hits",
            "Violations found, by rule ID and the level in force",
            rule_hits.clone(),
        );
        let cert_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "tls_cert_reloads",
            "Serving certificate reloads after the files changed, by result",
            cert_reloads.clone(),
        );
        let cert_expiry = Gauge::default();
        registry.register(
            "tls_cert_expiry_timestamp_seconds",
            "notAfter of the serving certificate in use, as a Unix timestamp",
            cert_expiry.clone(),
        );
        let tls_handshake_failures = Counter::default();
        registry.register(
            "tls_handshake_failures",
            "TLS handshakes that failed or timed out (includes refused client certificates)",
            tls_handshake_failures.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Webhook connections open (TLS established)",
            connections_open.clone(),
        );
        let connections_closed_by_server = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "connections_closed_by_server",
            "Connections the server closed itself: idle timeout, request headers too slow, no first request, or an answer not taken in time",
            connections_closed_by_server.clone(),
        );
        let cluster_lookups_skipped = Counter::default();
        registry.register(
            "cluster_lookups_skipped",
            "Requests judged without cluster lookups because the cluster cache was not synced \
             (--cluster-lookups on; EW020's Service list, EW022, EW031, EW032 skipped)",
            cluster_lookups_skipped.clone(),
        );
        let cluster_cache_synced = Gauge::default();
        registry.register(
            "cluster_cache_synced",
            "1 while both cluster watches (Namespaces, Services) are listed and live, else 0",
            cluster_cache_synced.clone(),
        );
        let cluster_cache_objects = Family::<ObjectKindLabels, Gauge>::default();
        registry.register(
            "cluster_cache_objects",
            "Objects in the cluster cache, by kind",
            cluster_cache_objects.clone(),
        );
        let handler_panics = Counter::default();
        registry.register(
            "handler_panics",
            "Requests whose handler panicked (answered 500; the process keeps serving)",
            handler_panics.clone(),
        );
        registry.register(
            "build",
            "Build information",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        // Series that alerts watch exist at 0 from the start, so `increase()` sees the first
        // failure.
        for result in ["success", "failure"] {
            drop(cert_reloads.get_or_create(&ResultLabels { result }));
        }
        for reason in [
            "idle_timeout",
            "header_read_timeout",
            "first_request_timeout",
            "write_timeout",
        ] {
            drop(connections_closed_by_server.get_or_create(&ReasonLabels { reason }));
        }
        let config = super::config_reload::ConfigMetrics::register(registry);
        Metrics {
            registry: root,
            requests,
            request_duration,
            rule_hits,
            cert_reloads,
            cert_expiry,
            tls_handshake_failures,
            connections_open,
            connections_closed_by_server,
            handler_panics,
            cluster_lookups_skipped,
            cluster_cache_synced,
            cluster_cache_objects,
            config,
        }
    }

    /// Sets the cluster-cache gauges from the cache (at each scrape).
    pub fn observe_cluster(&self, cache: &crate::cluster::ClusterCache) {
        self.cluster_cache_synced.set(i64::from(cache.is_synced()));
        let (namespaces, services) = cache.len();
        for (kind, n) in [("Namespace", namespaces), ("Service", services)] {
            self.cluster_cache_objects
                .get_or_create(&ObjectKindLabels { kind })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn cert_reloaded(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.cert_reloads
            .get_or_create(&ResultLabels { result })
            .inc();
    }
}

/// The standard process metrics of the running process, as the Go and Java clients name them.
/// `metrics_process::collector::collect` reads them (on Linux from `/proc/self`) each time
/// `/metrics` is encoded; a value the system does not give is left out rather than reported
/// as 0. `process_virtual_memory_max_bytes` is not exported: the crate reports an unlimited
/// address space as 0, which would read as "no memory at all".
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let process = metrics_process::collector::collect();
        if let Some(seconds) = process.cpu_seconds_total {
            let cpu = ConstCounter::new(seconds);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu",
                "Total user and system CPU time spent in seconds",
                Some(&Unit::Seconds),
                cpu.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "process_resident_memory",
                "Resident memory size in bytes",
                Some(Unit::Bytes),
                process.resident_memory_bytes,
            ),
            (
                "process_virtual_memory",
                "Virtual memory size in bytes",
                Some(Unit::Bytes),
                process.virtual_memory_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                None,
                process.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors (the soft limit)",
                None,
                process.max_fds,
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch in seconds",
                Some(Unit::Seconds),
                process.start_time_seconds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                None,
                process.threads,
            ),
        ];
        for (name, help, unit, value) in gauges {
            let Some(value) = value else { continue };
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(
                name,
                help,
                unit.as_ref(),
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_family() {
        let m = Metrics::new();
        m.requests
            .get_or_create(&RequestLabels {
                endpoint: "validate",
                kind: "Namespace",
                operation: "CREATE",
                outcome: "denied",
            })
            .inc();
        m.cert_reloaded(false);
        let text = m.encode();
        for name in [
            "eastwest_guard_admission_requests_total{endpoint=\"validate\",kind=\"Namespace\",operation=\"CREATE\",outcome=\"denied\"} 1",
            "eastwest_guard_tls_cert_reloads_total{result=\"failure\"} 1",
            "eastwest_guard_tls_cert_expiry_timestamp_seconds",
            "eastwest_guard_build_info{version=",
            "# EOF",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }

    /// The value of the one sample line `name value` (no labels).
    fn sample(text: &str, name: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    }

    #[test]
    fn exposition_has_the_process_metrics_of_this_process() {
        let m = Metrics::new();
        let before = m.encode();
        for line in [
            "# TYPE process_cpu_seconds counter",
            "# UNIT process_cpu_seconds seconds",
            "# TYPE process_resident_memory_bytes gauge",
            "# TYPE process_virtual_memory_bytes gauge",
            "# TYPE process_open_fds gauge",
            "# TYPE process_max_fds gauge",
            "# TYPE process_start_time_seconds gauge",
            "# TYPE process_threads gauge",
        ] {
            assert!(
                before.lines().any(|l| l == line),
                "{line} missing from:\n{before}"
            );
        }
        assert!(
            !before.contains("eastwest_guard_process_"),
            "process metrics must keep their standard names:\n{before}"
        );
        assert!(before.trim_end().ends_with("# EOF"), "{before}");

        let rss = sample(&before, "process_resident_memory_bytes");
        assert!(
            (1024.0 * 1024.0..4.0 * 1024.0 * 1024.0 * 1024.0).contains(&rss),
            "{rss}"
        );
        assert!(sample(&before, "process_virtual_memory_bytes") >= rss);
        assert!(sample(&before, "process_open_fds") >= 3.0);
        assert!(sample(&before, "process_threads") >= 1.0);
        // The soft limit, as the kernel reports it for this process.
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let soft: f64 = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert_eq!(sample(&before, "process_max_fds"), soft);
        // This test process started at most an hour ago, and not in the future.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = sample(&before, "process_start_time_seconds");
        assert!(
            start <= now + 1.0 && start > now - 3600.0,
            "{start} vs {now}"
        );

        // Read again at each encoding: CPU time burnt in between shows (the clock ticks in
        // 10 ms steps, and the machine may be busy, so burn until it shows, for 10 s at most).
        let cpu_before = sample(&before, "process_cpu_seconds_total");
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        let mut cpu_after = cpu_before;
        while cpu_after <= cpu_before && spin.elapsed() < std::time::Duration::from_secs(10) {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            cpu_after = sample(&m.encode(), "process_cpu_seconds_total");
        }
        assert!(cpu_after > cpu_before, "{cpu_before} -> {cpu_after}");
    }
}

//! EW010's catalog: each cloud provider's documented LoadBalancer Service annotations, with the
//! values they accept where the provider documents a closed set. One row per key: adding a key
//! or a provider is a one-line change.
//!
//! Sources (the provider's own documentation of Service annotations):
//! - `aws-lbc`: AWS Load Balancer Controller, "Service annotations" (kubernetes-sigs/
//!   aws-load-balancer-controller, docs/guide/service/annotations.md, and the keys of
//!   pkg/annotations/constants.go)
//! - `aws-legacy`: the in-tree AWS provider (k8s.io/cloud-provider-aws, pkg/providers/v1/aws.go
//!   `ServiceAnnotation*` constants, formerly k8s.io/legacy-cloud-providers/aws)
//! - `azure`: cloud-provider-azure, "LoadBalancer annotations" (kubernetes-sigs/
//!   cloud-provider-azure, site/content/en/topics/loadbalancer.md, and pkg/consts/consts.go)
//! - `gke`: Google Kubernetes Engine, "LoadBalancer Service parameters" and "Internal
//!   passthrough Network Load Balancer" pages
//! - `k8s`: Kubernetes well-known annotations (kubernetes.io/docs/reference/labels-annotations-
//!   taints)

/// A cloud whose annotations are catalogued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
    /// Provider-neutral Kubernetes annotations: never count as "another cloud".
    Kubernetes,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Azure => "Azure",
            Cloud::Gcp => "Google Cloud",
            Cloud::Kubernetes => "Kubernetes",
        }
    }
}

/// What values a documented key accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Free-form (names, ARNs, lists, numbers with wide ranges): not linted.
    Any,
    /// Exactly one of these strings.
    OneOf(&'static [&'static str]),
    /// A whole number in this inclusive range.
    Range(i64, i64),
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub key: &'static str,
    pub cloud: Cloud,
    pub values: Values,
    /// The key to use instead, for a deprecated key.
    pub replaced_by: Option<&'static str>,
    pub source: &'static str,
}

const fn e(key: &'static str, cloud: Cloud, values: Values, source: &'static str) -> Entry {
    Entry {
        key,
        cloud,
        values,
        replaced_by: None,
        source,
    }
}

const fn deprecated(
    key: &'static str,
    cloud: Cloud,
    by: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        key,
        cloud,
        values: Values::Any,
        replaced_by: Some(by),
        source,
    }
}

use Cloud::*;
use Values::*;

const TF: Values = OneOf(&["true", "false"]);

/// The catalog. Keys are full annotation keys.
pub const CATALOG: &[Entry] = &[
    // --- AWS (service.beta.kubernetes.io/aws-*) ---
    e(
        "service.beta.kubernetes.io/aws-load-balancer-type",
        Aws,
        OneOf(&["nlb", "external", "nlb-ip"]),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        Aws,
        OneOf(&["internal", "internet-facing"]),
        "aws-lbc",
    ),
    // Honoured by both AWS controllers; deprecated only in the Load Balancer Controller, which
    // depends on `aws-load-balancer-type` (`checks.rs`, `ew010_aws_controller`).
    e(
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        Aws,
        Any,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-ip-address-type",
        Aws,
        OneOf(&["ipv4", "dualstack"]),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type",
        Aws,
        OneOf(&["instance", "ip"]),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-name",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-subnets",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-eip-allocations",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-ipv6-addresses",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled",
        Aws,
        TF,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol",
        Aws,
        OneOf(&["*"]),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-backend-protocol",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-alpn-policy",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-attributes",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-target-node-labels",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-security-groups",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-extra-security-groups",
        Aws,
        Any,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules",
        Aws,
        TF,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-inbound-sg-rules-on-private-link-traffic",
        Aws,
        OneOf(&["on", "off"]),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-security-group-prefix-lists",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold",
        Aws,
        Range(2, 10),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold",
        Aws,
        Range(2, 10),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-timeout",
        Aws,
        Range(2, 120),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval",
        Aws,
        Range(5, 300),
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-success-codes",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-access-log-enabled",
        Aws,
        TF,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-access-log-emit-interval",
        Aws,
        OneOf(&["5", "60"]),
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-access-log-s3-bucket-name",
        Aws,
        Any,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-access-log-s3-bucket-prefix",
        Aws,
        Any,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled",
        Aws,
        TF,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-connection-draining-timeout",
        Aws,
        Any,
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout",
        Aws,
        Range(1, 4000),
        "aws-legacy",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol-per-target-group",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-multi-cluster-target-group",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-enable-prefix-for-ipv6-source-nat",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-source-nat-ipv6-prefixes",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-minimum-load-balancer-capacity",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-enable-icmp-for-path-mtu-discovery",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-disable-nlb-sg",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-quic-enabled-ports",
        Aws,
        Any,
        "aws-lbc",
    ),
    e(
        "service.beta.kubernetes.io/aws-load-balancer-quic-enabled-containers",
        Aws,
        Any,
        "aws-lbc",
    ),
    // --- Azure (service.beta.kubernetes.io/azure-*) ---
    e(
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-internal-subnet",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-resource-group",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout",
        Azure,
        Range(4, 30),
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-disable-tcp-reset",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-mode",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-ipv4",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-ipv6",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol",
        Azure,
        OneOf(&["Tcp", "Http", "Https", "tcp", "http", "https"]),
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-interval",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-enable-high-availability-ports",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-dns-label-name",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-shared-securityrule",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-allowed-service-tags",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-allowed-ip-ranges",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-name",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-prefix-id",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-tags",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-ip-tags",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-additional-public-ips",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-create",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-name",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-ip-configuration-subnet",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-proxy-protocol",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-visibility",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-auto-approval",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-disable-load-balancer-nsg-rule",
        Azure,
        TF,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-load-balancer-configurations",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-name-ipv6",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pip-prefix-id-ipv6",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-resource-group",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address-count",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address",
        Azure,
        Any,
        "azure",
    ),
    e(
        "service.beta.kubernetes.io/azure-pls-fqdns",
        Azure,
        Any,
        "azure",
    ),
    // --- Google Cloud (cloud.google.com/, networking.gke.io/) ---
    e(
        "cloud.google.com/load-balancer-type",
        Gcp,
        OneOf(&["Internal"]),
        "gke",
    ),
    e(
        "networking.gke.io/load-balancer-type",
        Gcp,
        OneOf(&["Internal"]),
        "gke",
    ),
    e(
        "networking.gke.io/internal-load-balancer-allow-global-access",
        Gcp,
        TF,
        "gke",
    ),
    e(
        "networking.gke.io/internal-load-balancer-subnet",
        Gcp,
        Any,
        "gke",
    ),
    e(
        "networking.gke.io/load-balancer-ip-addresses",
        Gcp,
        Any,
        "gke",
    ),
    e(
        "networking.gke.io/weighted-load-balancing",
        Gcp,
        OneOf(&["pods-per-node"]),
        "gke",
    ),
    e("cloud.google.com/l4-rbs", Gcp, OneOf(&["enabled"]), "gke"),
    e(
        "cloud.google.com/network-tier",
        Gcp,
        OneOf(&["Standard", "Premium"]),
        "gke",
    ),
    e("cloud.google.com/neg", Gcp, Any, "gke"),
    e("cloud.google.com/backend-config", Gcp, Any, "gke"),
    e("cloud.google.com/app-protocols", Gcp, Any, "gke"),
    // --- Kubernetes (provider-neutral) ---
    e(
        "service.beta.kubernetes.io/load-balancer-source-ranges",
        Kubernetes,
        Any,
        "k8s",
    ),
    e(
        "service.kubernetes.io/topology-mode",
        Kubernetes,
        Any,
        "k8s",
    ),
    deprecated(
        "service.kubernetes.io/topology-aware-hints",
        Kubernetes,
        "service.kubernetes.io/topology-mode",
        "k8s",
    ),
    e(
        "service.kubernetes.io/service-proxy-name",
        Kubernetes,
        Any,
        "k8s",
    ),
    e("service.kubernetes.io/headless", Kubernetes, Any, "k8s"),
];

/// Keys documented as a pattern: a prefix, then a part the user chooses.
pub const DOCUMENTED_PREFIXES: &[(&str, Cloud, &str)] = &[
    // `...-listener-attributes.${Protocol}-${Port}`
    (
        "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.",
        Aws,
        "aws-lbc",
    ),
    // `port_${port}_health-probe_${parameter}`, `port_${port}_no_lb_rule`, ...
    ("service.beta.kubernetes.io/port_", Azure, "azure"),
];

/// The catalog row for a key.
pub fn lookup(key: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.key == key)
}

/// Whether a provider documents the key, as a row or by a documented pattern.
pub fn is_documented(key: &str) -> bool {
    lookup(key).is_some()
        || DOCUMENTED_PREFIXES
            .iter()
            .any(|(p, _, _)| key.starts_with(p))
}

/// The cloud a key belongs to by its prefix, whether or not the key is documented. `None`
/// for prefixes the catalog has no provider for (keys under those are not linted).
pub fn cloud_of(key: &str) -> Option<Cloud> {
    if let Some(rest) = key.strip_prefix("service.beta.kubernetes.io/") {
        if rest.starts_with("aws-") {
            Some(Aws)
        } else if rest.starts_with("azure-") {
            Some(Azure)
        } else {
            Some(Kubernetes)
        }
    } else if key.starts_with("cloud.google.com/") || key.starts_with("networking.gke.io/") {
        Some(Gcp)
    } else if key.starts_with("service.kubernetes.io/") {
        Some(Kubernetes)
    } else {
        None
    }
}

/// The family of a key: the start of it that names whose key it is. Under
/// `service.beta.kubernetes.io/` that is the provider's own prefix (`aws-`, `azure-`), else
/// the core Kubernetes keys, which share the prefix with providers the catalog does not know
/// (`do-loadbalancer-*`, `oci-*`, `alibaba-cloud-*`).
fn family(key: &str) -> Option<&'static str> {
    const FAMILIES: &[&str] = &[
        "service.beta.kubernetes.io/aws-",
        "service.beta.kubernetes.io/azure-",
        "service.beta.kubernetes.io/",
        "service.kubernetes.io/",
        "cloud.google.com/",
        "networking.gke.io/",
    ];
    FAMILIES.iter().copied().find(|f| key.starts_with(f))
}

/// At most this many edits make an undocumented key a typo of a documented one.
pub const TYPO_DISTANCE: usize = 2;

/// The documented key an undocumented one is a near miss of: of the same family, and within
/// [`TYPO_DISTANCE`] edits (a swap of two neighbouring letters is one), the nearest,
/// with its distance. Anything farther is no typo the catalog can name: another provider's
/// key, or one newer than the catalog.
pub fn near_documented(key: &str) -> Option<(&'static Entry, usize)> {
    let family = family(key)?;
    let chars = key.chars().count();
    CATALOG
        .iter()
        // Catalogued keys are ASCII: their length in bytes is their length in characters.
        .filter(|e| e.key.len().abs_diff(chars) <= TYPO_DISTANCE)
        .filter(|e| e.key.starts_with(family) && self::family(e.key) == Some(family))
        .filter_map(|e| within(key, e.key, TYPO_DISTANCE).map(|d| (e, d)))
        .min_by_key(|(_, d)| *d)
}

/// The edit distance between `a` and `b` when it is at most `max`. Lengths more than `max`
/// apart are never compared, and the shared start and end are cut off first (keys of one
/// family share a long prefix), so the distance is computed on the few characters that differ.
fn within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = if a.is_ascii() && b.is_ascii() {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let (x, y) = (a.as_bytes(), b.as_bytes());
        let start = x.iter().zip(y).take_while(|(p, q)| p == q).count();
        let (x, y) = (&x[start..], &y[start..]);
        let end = x
            .iter()
            .rev()
            .zip(y.iter().rev())
            .take_while(|(p, q)| p == q)
            .count();
        (&a[start..a.len() - end], &b[start..b.len() - end])
    } else {
        if a.chars().count().abs_diff(b.chars().count()) > max {
            return None;
        }
        let start: usize = a
            .chars()
            .zip(b.chars())
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| x.len_utf8())
            .sum();
        let (a, b) = (&a[start..], &b[start..]);
        let end: usize = a
            .chars()
            .rev()
            .zip(b.chars().rev())
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| x.len_utf8())
            .sum();
        (&a[..a.len() - end], &b[..b.len() - end])
    };
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa_within(&a, &b, max)
}

/// The optimal string alignment distance (Levenshtein, with a swap of two neighbouring
/// characters as one edit: it differs from unrestricted Damerau-Levenshtein only where a
/// swapped pair is edited again) when it is at most `max`, computed only in the band of cells
/// that can be: a few per character, however long the strings.
fn osa_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    const FAR: usize = usize::MAX / 4;
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    let mut before: Vec<usize> = vec![FAR; m + 1];
    let mut prev: Vec<usize> = (0..=m).map(|j| if j <= max { j } else { FAR }).collect();
    let mut cur: Vec<usize> = vec![FAR; m + 1];
    for i in 1..=n {
        cur.fill(FAR);
        if i <= max {
            cur[0] = i;
        }
        let mut row_min = cur[0];
        for j in i.saturating_sub(max).max(1)..=(i + max).min(m) {
            let substitute = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut d = substitute.min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        // A row's smallest distance is at most one less than the row before it's, through a
        // swap: past `max` here, no later cell comes back under it.
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[m] <= max).then_some(prev[m])
}

impl Values {
    /// Whether `value` is one the provider documents.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Any => true,
            OneOf(allowed) => allowed.contains(&value),
            Range(lo, hi) => value.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n)),
        }
    }

    /// The documented value `value` plainly means, for a fix: the same word in another case
    /// (`Internal` for `internal`), the nearest end of a range; `None` when none is plain.
    pub fn nearest(self, value: &str) -> Option<String> {
        match self {
            Any => None,
            OneOf(allowed) => allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(value.trim()))
                .map(|a| (*a).to_owned()),
            Range(lo, hi) => value
                .trim()
                .parse::<i64>()
                .ok()
                .map(|n| n.clamp(lo, hi).to_string()),
        }
    }

    /// Documented values to offer where none is plainly meant: each listed value, or the
    /// lower end of a range.
    pub fn examples(self) -> Vec<String> {
        match self {
            Any => Vec::new(),
            OneOf(allowed) => allowed.iter().map(|a| (*a).to_owned()).collect(),
            Range(lo, _) => vec![lo.to_string()],
        }
    }

    /// The accepted values in words, for a message.
    pub fn describe(self) -> String {
        match self {
            Any => "any value".to_owned(),
            OneOf(allowed) => allowed
                .iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(" or "),
            Range(lo, hi) => format!("a whole number from {lo} to {hi}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_keys_are_unique_and_valid() {
        for (i, a) in CATALOG.iter().enumerate() {
            assert!(a.key.is_ascii(), "{}", a.key);
            assert!(
                crate::rules::names::qualified_name(a.key).is_ok(),
                "{}",
                a.key
            );
            assert_eq!(cloud_of(a.key), Some(a.cloud), "{}", a.key);
            for b in &CATALOG[i + 1..] {
                assert_ne!(a.key, b.key);
            }
            if let Some(by) = a.replaced_by {
                assert!(lookup(by).is_some(), "{by}");
            }
        }
    }

    #[test]
    fn suggests_a_documented_key_of_the_same_family_within_two_edits() {
        let near = |k: &str| near_documented(k).map(|(e, d)| (e.key, d));
        assert_eq!(
            near("service.beta.kubernetes.io/aws-load-balancer-tpye"),
            Some(("service.beta.kubernetes.io/aws-load-balancer-type", 1))
        );
        assert_eq!(
            near("service.beta.kubernetes.io/aws-load-balancer-tye"),
            Some(("service.beta.kubernetes.io/aws-load-balancer-type", 1))
        );
        assert_eq!(
            near("service.beta.kubernetes.io/aws-load-balancer-sceme-x"),
            None,
            "three edits"
        );
        assert_eq!(
            near("service.beta.kubernetes.io/aws-load-balancer-schemexx"),
            Some(("service.beta.kubernetes.io/aws-load-balancer-scheme", 2))
        );
        assert_eq!(
            near("service.beta.kubernetes.io/aws-load-balancer-schemexxx"),
            None
        );
        // Another provider's keys under a shared prefix are no typos of the core keys.
        for other in [
            "service.beta.kubernetes.io/do-loadbalancer-protocol",
            "service.beta.kubernetes.io/oci-load-balancer-shape",
            "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
            "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
            "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid",
        ] {
            assert_eq!(near(other), None, "{other}");
        }
        // A typo of the core key under the shared prefix is one.
        assert_eq!(
            near("service.beta.kubernetes.io/load-balancer-source-range"),
            Some(("service.beta.kubernetes.io/load-balancer-source-ranges", 1))
        );
        // The family is the provider's: an AWS-looking Azure key is not an AWS typo.
        assert_eq!(
            near("service.beta.kubernetes.io/azure-load-balancer-type").map(|(k, _)| k),
            None
        );
        assert!(is_documented(
            "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-443"
        ));
        assert!(is_documented(
            "service.beta.kubernetes.io/port_80_health-probe_protocol"
        ));
    }

    /// No two documented keys of one family are within a typo of each other unless both are
    /// catalogued: a documented key missing from the catalog would be called a typo of its
    /// neighbour. This keeps the pairs that are that close visible.
    #[test]
    fn documented_neighbours_are_all_catalogued() {
        let mut close = Vec::new();
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                if family(a.key) == family(b.key) && within(a.key, b.key, TYPO_DISTANCE).is_some() {
                    close.push((a.key, b.key));
                }
            }
        }
        assert_eq!(
            close,
            vec![
                (
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold",
                    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold"
                ),
                (
                    "service.beta.kubernetes.io/azure-load-balancer-ipv4",
                    "service.beta.kubernetes.io/azure-load-balancer-ipv6"
                ),
                (
                    "service.beta.kubernetes.io/azure-pip-name",
                    "service.beta.kubernetes.io/azure-pls-name"
                ),
            ]
        );
    }

    proptest::proptest! {
        /// The banded distance is the full one wherever that is within the bound.
        #[test]
        fn the_banded_distance_is_the_full_one(a in "[abc]{0,8}", b in "[abc]{0,8}") {
            let full = strsim::osa_distance(&a, &b);
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            for max in 0..4 {
                proptest::prop_assert_eq!(osa_within(&a, &b, max), (full <= max).then_some(full));
            }
        }
    }

    #[test]
    fn distance_within_a_bound() {
        assert_eq!(within("abcdef", "abcdef", 2), Some(0));
        assert_eq!(within("abcdef", "abdcef", 2), Some(1));
        assert_eq!(within("abcdef", "abxxef", 2), Some(2));
        assert_eq!(within("abcdef", "axxxef", 2), None);
        assert_eq!(within("ab", "abcde", 2), None);
        assert_eq!(within("é-x", "é-y", 2), Some(1));
    }

    #[test]
    fn value_sets() {
        let scheme = lookup("service.beta.kubernetes.io/aws-load-balancer-scheme").unwrap();
        assert!(scheme.values.accepts("internal"));
        assert!(!scheme.values.accepts("Internal"));
        assert_eq!(
            scheme.values.nearest("Internal").as_deref(),
            Some("internal")
        );
        assert_eq!(scheme.values.nearest("private"), None);
        let idle =
            lookup("service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout").unwrap();
        assert!(idle.values.accepts("4") && idle.values.accepts("30"));
        assert!(
            !idle.values.accepts("3") && !idle.values.accepts("31") && !idle.values.accepts("x")
        );
        assert_eq!(idle.values.nearest("31").as_deref(), Some("30"));
        assert_eq!(idle.values.nearest("x"), None);
    }
}

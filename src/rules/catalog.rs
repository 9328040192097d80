//! EW010's catalog: each cloud provider's documented LoadBalancer Service annotations, with the
//! values they accept where the provider documents a closed set. One row per key: adding a key
//! or a provider is a one-line change.
//!
//! Sources (the provider's own documentation of Service annotations):
//! - `aws-lbc`: AWS Load Balancer Controller, "Service annotations" (kubernetes-sigs/
//!   aws-load-balancer-controller, docs/guide/service/annotations.md)
//! - `aws-legacy`: in-tree AWS cloud provider (k8s.io/legacy-cloud-providers/aws, aws.go
//!   ServiceAnnotation* constants), for keys the controller also honours
//! - `azure`: cloud-provider-azure, "LoadBalancer annotations" (kubernetes-sigs/
//!   cloud-provider-azure, site/content/en/topics/loadbalancer.md)
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
    deprecated(
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        Aws,
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "aws-lbc",
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

/// The catalog row for a key.
pub fn lookup(key: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.key == key)
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

/// The documented key nearest to an undocumented one, among keys of the same cloud.
pub fn nearest_documented(key: &str) -> Option<&'static str> {
    let cloud = cloud_of(key)?;
    let candidates: Vec<&'static str> = CATALOG
        .iter()
        .filter(|e| e.cloud == cloud)
        .map(|e| e.key)
        .collect();
    super::keys::nearest(key, &candidates)
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
    fn suggests_documented_key() {
        assert_eq!(
            nearest_documented("service.beta.kubernetes.io/aws-load-balancer-tpye"),
            Some("service.beta.kubernetes.io/aws-load-balancer-type")
        );
    }

    #[test]
    fn value_sets() {
        let scheme = lookup("service.beta.kubernetes.io/aws-load-balancer-scheme").unwrap();
        assert!(scheme.values.accepts("internal"));
        assert!(!scheme.values.accepts("Internal"));
        let idle =
            lookup("service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout").unwrap();
        assert!(idle.values.accepts("4") && idle.values.accepts("30"));
        assert!(
            !idle.values.accepts("3") && !idle.values.accepts("31") && !idle.values.accepts("x")
        );
    }
}

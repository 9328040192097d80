//! Gateway settings a Namespace ends up with, derived as the agent derives them:
//! - name and selector both set: each used as written;
//! - only name: selector `app=<name>`;
//! - only selector: name = the selector's `app` value (no `app`: EW006);
//! - neither: the configured defaults (`east-west-gateway`, `app=east-west-gateway`).

use super::meta::StrMap;

use super::config::Config;
use super::keys;
use super::selector;

/// Where a setting's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// Written in the Namespace annotation.
    Annotation,
    /// Derived from the other of name and selector.
    Derived,
    /// The default (no annotation).
    Default,
}

/// The effective east-west gateway of a Namespace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySettings {
    pub name: String,
    pub name_source: Source,
    pub workload_selector: String,
    pub workload_selector_source: Source,
    pub namespace: String,
    pub namespace_source: Source,
    /// `"true"` or `"false"` as written, or the default `"true"`.
    pub deploy: String,
    pub deploy_source: Source,
}

/// Why the settings cannot be derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeriveError {
    /// The selector is malformed (EW005), and no name was given to fall back on.
    InvalidSelector,
    /// The selector has no `app` key and no name was given (EW006).
    NoAppKey,
}

/// Derives the effective gateway settings from a Namespace's annotations.
pub fn derive(
    annotations: Option<&StrMap>,
    config: &Config,
) -> Result<GatewaySettings, DeriveError> {
    let get = |k: &str| annotations.and_then(|a| a.get(k));
    let (namespace, namespace_source) = match get(keys::GATEWAY_NAMESPACE) {
        Some(ns) => (ns.to_owned(), Source::Annotation),
        None => (config.default_gateway_namespace.clone(), Source::Default),
    };
    let (deploy, deploy_source) = match get(keys::GATEWAY_DEPLOY) {
        Some(d) => (d.to_owned(), Source::Annotation),
        None => ("true".to_owned(), Source::Default),
    };
    let (name, name_source, workload_selector, workload_selector_source) =
        match (get(keys::GATEWAY_NAME), get(keys::GATEWAY_SELECTOR)) {
            (Some(name), Some(sel)) => (
                name.to_owned(),
                Source::Annotation,
                sel.to_owned(),
                Source::Annotation,
            ),
            (Some(name), None) => (
                name.to_owned(),
                Source::Annotation,
                format!("app={name}"),
                Source::Derived,
            ),
            (None, Some(sel)) => {
                let parsed = selector::parse(sel).map_err(|_| DeriveError::InvalidSelector)?;
                let app = parsed.app().ok_or(DeriveError::NoAppKey)?;
                (
                    app.to_owned(),
                    Source::Derived,
                    sel.to_owned(),
                    Source::Annotation,
                )
            }
            (None, None) => (
                config.default_gateway_name.clone(),
                Source::Default,
                format!("app={}", config.default_gateway_name),
                Source::Default,
            ),
        };
    Ok(GatewaySettings {
        name,
        name_source,
        workload_selector,
        workload_selector_source,
        namespace,
        namespace_source,
        deploy,
        deploy_source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> StrMap {
        pairs.iter().copied().collect()
    }

    /// The seed's three examples plus the defaults.
    #[test]
    fn seed_examples() {
        let c = Config::default();
        let g = derive(Some(&ann(&[(keys::GATEWAY_NAME, "prod-gateway")])), &c).unwrap();
        assert_eq!(
            (g.name.as_str(), g.workload_selector.as_str()),
            ("prod-gateway", "app=prod-gateway")
        );
        let g = derive(Some(&ann(&[(keys::GATEWAY_SELECTOR, "app=my-gw")])), &c).unwrap();
        assert_eq!(
            (g.name.as_str(), g.workload_selector.as_str()),
            ("my-gw", "app=my-gw")
        );
        let g = derive(
            Some(&ann(&[
                (keys::GATEWAY_NAME, "custom-name"),
                (keys::GATEWAY_SELECTOR, "app=custom-gw"),
            ])),
            &c,
        )
        .unwrap();
        assert_eq!(
            (g.name.as_str(), g.workload_selector.as_str()),
            ("custom-name", "app=custom-gw")
        );
        let g = derive(None, &c).unwrap();
        assert_eq!(
            (
                g.name.as_str(),
                g.workload_selector.as_str(),
                g.namespace.as_str(),
                g.deploy.as_str()
            ),
            (
                "east-west-gateway",
                "app=east-west-gateway",
                "tetrate-system",
                "true"
            )
        );
    }

    #[test]
    fn selector_without_app_cannot_derive() {
        let c = Config::default();
        assert_eq!(
            derive(Some(&ann(&[(keys::GATEWAY_SELECTOR, "tier=edge")])), &c),
            Err(DeriveError::NoAppKey)
        );
        assert_eq!(
            derive(Some(&ann(&[(keys::GATEWAY_SELECTOR, "app = x")])), &c),
            Err(DeriveError::InvalidSelector)
        );
        // With a name, the selector is used as written even without app.
        assert!(
            derive(
                Some(&ann(&[
                    (keys::GATEWAY_SELECTOR, "tier=edge"),
                    (keys::GATEWAY_NAME, "gw")
                ])),
                &c
            )
            .is_ok()
        );
    }

    #[test]
    fn configured_defaults() {
        let c = Config {
            default_gateway_name: "ew".into(),
            default_gateway_namespace: "gateways".into(),
            ..Config::default()
        };
        let g = derive(None, &c).unwrap();
        assert_eq!(
            (
                g.name.as_str(),
                g.workload_selector.as_str(),
                g.namespace.as_str()
            ),
            ("ew", "app=ew", "gateways")
        );
    }
}

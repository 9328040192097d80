//! Gateway settings a Namespace ends up with, derived as the agent derives them:
//! - name and selector both set: each used as written;
//! - only name: selector `app=<name>`;
//! - only selector: name = the selector's `app` value (no `app`: EW006);
//! - neither: the configured defaults (`east-west-gateway`, `app=east-west-gateway`).

use std::borrow::Cow;

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

/// The effective east-west gateway of a Namespace. Values are borrowed from the annotations
/// and the configuration where they are used as written (every admission review derives these
/// up to three times); [`GatewaySettings::into_owned`] detaches them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySettings<'a> {
    pub name: Cow<'a, str>,
    pub name_source: Source,
    pub workload_selector: Cow<'a, str>,
    pub workload_selector_source: Source,
    pub namespace: Cow<'a, str>,
    pub namespace_source: Source,
    /// `"true"` or `"false"` as written, or the default `"true"`.
    pub deploy: Cow<'a, str>,
    pub deploy_source: Source,
}

impl GatewaySettings<'_> {
    /// The same settings, owning their values.
    pub fn into_owned(self) -> GatewaySettings<'static> {
        GatewaySettings {
            name: Cow::Owned(self.name.into_owned()),
            name_source: self.name_source,
            workload_selector: Cow::Owned(self.workload_selector.into_owned()),
            workload_selector_source: self.workload_selector_source,
            namespace: Cow::Owned(self.namespace.into_owned()),
            namespace_source: self.namespace_source,
            deploy: Cow::Owned(self.deploy.into_owned()),
            deploy_source: self.deploy_source,
        }
    }
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
pub fn derive<'a>(
    annotations: Option<&'a StrMap>,
    config: &'a Config,
) -> Result<GatewaySettings<'a>, DeriveError> {
    let get = |k: &str| annotations.and_then(|a| a.get(k));
    let (namespace, namespace_source) = match get(keys::GATEWAY_NAMESPACE) {
        Some(ns) => (Cow::Borrowed(ns), Source::Annotation),
        None => (
            Cow::Borrowed(config.default_gateway_namespace.as_str()),
            Source::Default,
        ),
    };
    let (deploy, deploy_source) = match get(keys::GATEWAY_DEPLOY) {
        Some(d) => (Cow::Borrowed(d), Source::Annotation),
        None => (Cow::Borrowed("true"), Source::Default),
    };
    let (name, name_source, workload_selector, workload_selector_source) =
        match (get(keys::GATEWAY_NAME), get(keys::GATEWAY_SELECTOR)) {
            (Some(name), Some(sel)) => (
                Cow::Borrowed(name),
                Source::Annotation,
                Cow::Borrowed(sel),
                Source::Annotation,
            ),
            (Some(name), None) => (
                Cow::Borrowed(name),
                Source::Annotation,
                Cow::Owned(format!("app={name}")),
                Source::Derived,
            ),
            (None, Some(sel)) => {
                let parsed = selector::parse(sel).map_err(|_| DeriveError::InvalidSelector)?;
                let app = parsed.app().ok_or(DeriveError::NoAppKey)?;
                (
                    Cow::Borrowed(app),
                    Source::Derived,
                    Cow::Borrowed(sel),
                    Source::Annotation,
                )
            }
            (None, None) => (
                Cow::Borrowed(config.default_gateway_name.as_str()),
                Source::Default,
                Cow::Owned(format!("app={}", config.default_gateway_name)),
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

/// A gateway setting whose change sends cross-cluster traffic to another gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    Name,
    Namespace,
    WorkloadSelector,
}

/// What moves the gateway from `before` to `after` (EW021, and what `diff` calls a moved
/// gateway), in this order: name, namespace, workload selector. The same selector pairs in
/// another order select the same pods: that moves nothing.
pub fn moves<'s>(
    before: &'s GatewaySettings<'_>,
    after: &'s GatewaySettings<'_>,
) -> impl Iterator<Item = Moved> + 's {
    [Moved::Name, Moved::Namespace, Moved::WorkloadSelector]
        .into_iter()
        .filter(move |m| match m {
            Moved::Name => before.name != after.name,
            Moved::Namespace => before.namespace != after.namespace,
            Moved::WorkloadSelector => {
                !selector::same_pairs(&before.workload_selector, &after.workload_selector)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> StrMap {
        pairs.iter().copied().collect()
    }

    fn derived(pairs: &[(&str, &str)], c: &Config) -> GatewaySettings<'static> {
        derive(Some(&ann(pairs)), c).unwrap().into_owned()
    }

    /// The seed's three examples plus the defaults.
    #[test]
    fn seed_examples() {
        let c = Config::default();
        let g = derived(&[(keys::GATEWAY_NAME, "prod-gateway")], &c);
        assert_eq!(
            (&*g.name, &*g.workload_selector),
            ("prod-gateway", "app=prod-gateway")
        );
        let g = derived(&[(keys::GATEWAY_SELECTOR, "app=my-gw")], &c);
        assert_eq!((&*g.name, &*g.workload_selector), ("my-gw", "app=my-gw"));
        let g = derived(
            &[
                (keys::GATEWAY_NAME, "custom-name"),
                (keys::GATEWAY_SELECTOR, "app=custom-gw"),
            ],
            &c,
        );
        assert_eq!(
            (&*g.name, &*g.workload_selector),
            ("custom-name", "app=custom-gw")
        );
        let g = derive(None, &c).unwrap();
        assert_eq!(
            (&*g.name, &*g.workload_selector, &*g.namespace, &*g.deploy),
            (
                "east-west-gateway",
                "app=east-west-gateway",
                "tetrate-system",
                "true"
            )
        );
    }

    #[test]
    fn values_used_as_written_are_borrowed() {
        let c = Config::default();
        let all = ann(&[
            (keys::GATEWAY_NAME, "gw"),
            (keys::GATEWAY_SELECTOR, "app=gw"),
            (keys::GATEWAY_NAMESPACE, "gateways"),
            (keys::GATEWAY_DEPLOY, "false"),
        ]);
        let g = derive(Some(&all), &c).unwrap();
        for value in [&g.name, &g.workload_selector, &g.namespace, &g.deploy] {
            assert!(matches!(value, Cow::Borrowed(_)), "{value:?} was copied");
        }
        // A name derived from the selector's app value is borrowed from the selector.
        let only_selector = ann(&[(keys::GATEWAY_SELECTOR, "tier=edge,app=gw")]);
        let g = derive(Some(&only_selector), &c).unwrap();
        assert_eq!(g.name, "gw");
        assert!(
            matches!(g.name, Cow::Borrowed(_)),
            "{:?} was copied",
            g.name
        );
        // Derived selectors are built; defaults are borrowed from the configuration.
        let g = derive(None, &c).unwrap();
        assert!(matches!(g.name, Cow::Borrowed(_)) && matches!(g.namespace, Cow::Borrowed(_)));
        assert!(matches!(g.workload_selector, Cow::Owned(_)));
        assert_eq!(g.clone().into_owned(), g);
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
            (&*g.name, &*g.workload_selector, &*g.namespace),
            ("ew", "app=ew", "gateways")
        );
    }
}

//! The clusters of a fleet: `--cluster NAME=PATH` (a manifest set, read as `check` reads it)
//! and `--cluster NAME=context:CONTEXT` (a live cluster, listed as `audit` lists it), each
//! turned into the engine's model of that cluster.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::super::manifests::{self, InputError, Inputs, ReadOptions};
use super::super::yaml::Pos;
use crate::cluster::read::{self, ConnectOptions, ListOptions, PageSink, ReadError, Resource};
use crate::rules::model::{Model, Object};
use crate::rules::{Config, Field, ObjectView, ResourceKind, names};

/// How a `--cluster` value names a live cluster.
pub const CONTEXT_PREFIX: &str = "context:";

/// A source handle in a cluster's model: the index of the object's manifest in that cluster's
/// input; `None` for a live cluster, whose objects have no file.
pub type Src = Option<usize>;

/// Where a cluster's objects come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Manifests(PathBuf),
    Context(String),
}

/// One `--cluster` (or `--old`) value, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    pub source: Source,
}

/// Parses `NAME=PATH` or `NAME=context:CONTEXT`; the error names the flag and the reason.
pub fn parse_spec(flag: &str, value: &str) -> Result<Spec, String> {
    let Some((name, rest)) = value.split_once('=') else {
        return Err(format!(
            "{flag} {value:?}: expected NAME=PATH or NAME=context:CONTEXT (e.g. \
             {flag} east=clusters/east/)"
        ));
    };
    names::dns1123_label(name)
        .map_err(|why| format!("{flag} {value:?}: the cluster name {name:?} {why}"))?;
    if rest.is_empty() {
        return Err(format!(
            "{flag} {value:?}: no path after \"{name}=\": give a manifest file, a directory, \
             `-` for standard input, or context:CONTEXT for a live cluster"
        ));
    }
    let source = match rest.strip_prefix(CONTEXT_PREFIX) {
        Some("") => {
            return Err(format!(
                "{flag} {value:?}: no kubeconfig context after \"context:\""
            ));
        }
        Some(context) => Source::Context(context.to_owned()),
        None => Source::Manifests(PathBuf::from(rest)),
    };
    Ok(Spec {
        name: name.to_owned(),
        source,
    })
}

/// Parses every value of `flag`, refusing a name given twice.
pub fn parse_specs(flag: &str, values: &[String]) -> Result<Vec<Spec>, String> {
    let mut specs: Vec<Spec> = Vec::with_capacity(values.len());
    for v in values {
        let spec = parse_spec(flag, v)?;
        if specs.iter().any(|s| s.name == spec.name) {
            return Err(format!(
                "{flag} {v:?}: the cluster {:?} is named twice: give each cluster once, with \
                 one path (a directory holds many files)",
                spec.name
            ));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// How live clusters are reached.
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    pub kubeconfig: Option<PathBuf>,
    pub request_timeout: Option<Duration>,
    pub chunk_size: u32,
}

/// One cluster, read and modelled.
#[derive(Debug)]
pub struct Loaded {
    pub name: String,
    pub source: Source,
    /// The manifests (a manifest set), whose indices the model's sources are.
    pub inputs: Option<Inputs>,
    /// The API server (a live cluster).
    pub server: Option<String>,
    pub namespaces: usize,
    pub services: usize,
    pub model: Model<Src>,
}

impl Loaded {
    /// The file, line and column of `field` on the object whose source is `src`.
    pub fn locate(&self, src: Option<&Src>, field: &Field) -> Option<(Arc<str>, Pos)> {
        let m = self.inputs.as_ref()?.manifests.get((*src?)?)?;
        Some((m.file.clone(), m.positions.of_field(field)))
    }

    /// Where the object whose source is `src` starts.
    pub fn start(&self, src: Option<&Src>) -> Option<(Arc<str>, Pos)> {
        let m = self.inputs.as_ref()?.manifests.get((*src?)?)?;
        Some((m.file.clone(), m.positions.start))
    }

    /// `clusters/east/` or `context prod (https://...)`, for headings.
    pub fn describe(&self) -> String {
        match (&self.source, &self.server) {
            (Source::Manifests(p), _) if p.as_os_str() == manifests::STDIN => {
                manifests::STDIN_NAME.to_owned()
            }
            (Source::Manifests(p), _) => p.display().to_string(),
            (Source::Context(c), Some(s)) => format!("context {c} ({s})"),
            (Source::Context(c), None) => format!("context {c}"),
        }
    }
}

/// Why a cluster could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// Files that could not be read or parsed, or a set with no object.
    Inputs(Vec<InputError>),
    Live(ReadError),
}

/// Reads a manifest set and models it. `required`: a set with no Kubernetes object at all is
/// an error (the new side); the base of a change may be empty (a cluster new in it).
pub fn load_manifests(
    spec: &Spec,
    path: &PathBuf,
    options: &ReadOptions,
    config: &Config,
    required: bool,
) -> Result<Loaded, LoadError> {
    let paths = std::slice::from_ref(path);
    let mut inputs = manifests::read(paths, options);
    if required {
        inputs
            .errors
            .extend(manifests::nothing_to_check(paths, &inputs, "the path"));
    }
    if !inputs.errors.is_empty() {
        return Err(LoadError::Inputs(std::mem::take(&mut inputs.errors)));
    }
    // When an object is written twice, the model keeps the last, as applying the set does.
    let model = Model::of(
        inputs.manifests.iter().enumerate().map(|(i, m)| Object {
            kind: m.kind,
            object: &m.object,
            namespace: m.namespace.as_deref(),
            source: Some(i),
        }),
        config,
    );
    Ok(Loaded {
        name: spec.name.clone(),
        source: spec.source.clone(),
        server: None,
        namespaces: count(&model, true),
        services: count(&model, false),
        model,
        inputs: Some(inputs),
    })
}

fn count(model: &Model<Src>, namespaces: bool) -> usize {
    if namespaces {
        model.namespaces.iter().filter(|n| n.in_input()).count()
    } else {
        model.namespaces.iter().map(|n| n.services.len()).sum()
    }
}

/// Collects every page of a list.
struct Collect(Vec<ObjectView>);

impl PageSink for Collect {
    fn restart(&mut self) {
        self.0.clear();
    }

    fn page(&mut self, objects: Vec<ObjectView>) {
        self.0.extend(objects);
    }
}

/// Lists a live cluster's Namespaces and Services (as `audit` does: paged, Namespaces metadata
/// only) and models it.
pub async fn load_live(
    spec: &Spec,
    context: &str,
    live: &LiveOptions,
    config: &Config,
) -> Result<Loaded, LoadError> {
    let connect = ConnectOptions {
        kubeconfig: live.kubeconfig.clone(),
        context: Some(context.to_owned()),
        request_timeout: live.request_timeout,
    };
    let options = ListOptions {
        chunk_size: live.chunk_size,
        ..ListOptions::default()
    };
    let connection = read::connect(&connect).await.map_err(LoadError::Live)?;
    let mut namespaces = Collect(Vec::new());
    read::list(&connection, Resource::Namespaces, options, &mut namespaces)
        .await
        .map_err(LoadError::Live)?;
    let mut services = Collect(Vec::new());
    read::list(&connection, Resource::Services, options, &mut services)
        .await
        .map_err(LoadError::Live)?;
    let model = Model::of(
        namespaces
            .0
            .iter()
            .map(|o| (ResourceKind::Namespace, o))
            .chain(services.0.iter().map(|o| (ResourceKind::Service, o)))
            .map(|(kind, o)| Object {
                kind,
                object: o,
                namespace: o.metadata.namespace.as_deref(),
                source: None,
            }),
        config,
    );
    Ok(Loaded {
        name: spec.name.clone(),
        source: spec.source.clone(),
        server: Some(connection.server.clone()),
        namespaces: namespaces.0.len(),
        services: services.0.len(),
        model,
        inputs: None,
    })
}

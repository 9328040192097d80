//! The audit itself: list the cluster, judge every object, count what the summary says. Output
//! formats read the [`Audit`] it returns and nothing else.
//!
//! Namespaces are listed first and kept (a few thousand at most, and every Service's rules
//! need its Namespace). Services are then judged page by page as they arrive and dropped,
//! keeping only their findings and counts, so memory does not grow with the size of their
//! annotations. Namespaces are judged last, when the Services are all known.

use std::collections::BTreeMap;

use crate::cluster::existing::{self, ListedCluster};
use crate::cluster::read::{self, Connection, ListOptions, Listed, PageSink, ReadError, Resource};
use crate::rules::{Config, Level, ObjectRef, ObjectView, ResourceKind, RuleId, Violation};

/// Objects read so far, for the progress line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Read {
    pub namespaces: usize,
    pub services: usize,
}

/// How the two lists went.
#[derive(Clone, Debug, Default)]
pub struct Lists {
    pub namespaces: Listed,
    pub services: Listed,
}

/// Exposed Services of one Namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Services the agent exposes cross-cluster.
    pub exposed: usize,
    /// Services in the Namespace, exposed or not.
    pub services: usize,
}

/// One rule's count in the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCount {
    /// Objects with at least one finding of the rule.
    pub objects: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// What the audit found.
#[derive(Debug, Default)]
pub struct Audit {
    pub server: String,
    pub lists: Lists,
    pub namespaces: usize,
    pub services: usize,
    /// Every finding: Namespaces by name, then Services by namespace and name; on one object,
    /// in the engine's rule order.
    pub findings: Vec<Violation>,
    /// Per Namespace that has Services, by name.
    pub exposure: BTreeMap<String, Exposure>,
}

impl Audit {
    pub fn objects(&self) -> usize {
        self.namespaces + self.services
    }

    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Deny)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// The findings of each object, in order (findings are sorted by object).
    fn by_object(&self) -> impl Iterator<Item = &[Violation]> {
        self.findings.chunk_by(|a, b| a.object == b.object)
    }

    /// Objects with at least one finding.
    pub fn objects_with_problems(&self) -> usize {
        self.by_object().count()
    }

    /// Objects with at least one finding the enforcing webhook denies.
    pub fn objects_denied(&self) -> usize {
        self.by_object()
            .filter(|fs| fs.iter().any(|f| f.level == Level::Deny))
            .count()
    }

    /// Per rule, in rule order.
    pub fn by_rule(&self) -> BTreeMap<RuleId, RuleCount> {
        let mut out: BTreeMap<RuleId, RuleCount> = BTreeMap::new();
        for findings in self.by_object() {
            for (i, f) in findings.iter().enumerate() {
                let count = out.entry(f.rule).or_default();
                if !findings[..i].iter().any(|g| g.rule == f.rule) {
                    count.objects += 1;
                }
                match f.level {
                    Level::Deny => count.errors += 1,
                    Level::Warn => count.warnings += 1,
                }
            }
        }
        out
    }

    /// Services exposed cross-cluster, in all.
    pub fn exposed(&self) -> usize {
        self.exposure.values().map(|e| e.exposed).sum()
    }

    /// The Namespaces with at least one exposed Service, by name.
    pub fn exposing_namespaces(&self) -> impl Iterator<Item = (&str, Exposure)> {
        self.exposure
            .iter()
            .filter(|(_, e)| e.exposed > 0)
            .map(|(ns, e)| (ns.as_str(), *e))
    }

    /// 1 when something would be denied (or warned, with `fail_on_warning`), else 0.
    pub fn exit_code(&self, fail_on_warning: bool) -> u8 {
        if self.errors() > 0 || (fail_on_warning && self.warnings() > 0) {
            1
        } else {
            0
        }
    }
}

/// Lists the cluster behind `connection` and judges it with `config`; `progress` is told the
/// objects read after every page.
pub async fn audit(
    connection: &Connection,
    options: ListOptions,
    config: &Config,
    progress: &mut dyn FnMut(Read),
) -> Result<Audit, ReadError> {
    let mut namespaces = Namespaces {
        objects: Vec::new(),
        progress: &mut *progress,
    };
    let ns_listed = read::list(connection, Resource::Namespaces, options, &mut namespaces).await?;
    let namespaces = namespaces.objects;

    let view = ListedCluster::new();
    view.set_namespaces(&namespaces);
    let mut services = Services {
        view: &view,
        config,
        namespaces: namespaces.len(),
        read: 0,
        findings: Vec::new(),
        exposure: BTreeMap::new(),
        progress,
    };
    services.restart();
    let svc_listed = read::list(connection, Resource::Services, options, &mut services).await?;
    view.services_done();
    let Services {
        read: service_count,
        mut findings,
        exposure,
        ..
    } = services;

    for ns in &namespaces {
        findings.extend(existing::judge(ResourceKind::Namespace, ns, config, &view).violations);
    }
    // Stable: one object's findings keep the engine's rule order.
    findings.sort_by(|a, b| object_order(&a.object).cmp(&object_order(&b.object)));

    Ok(Audit {
        server: connection.server.clone(),
        lists: Lists {
            namespaces: ns_listed,
            services: svc_listed,
        },
        namespaces: namespaces.len(),
        services: service_count,
        findings,
        exposure,
    })
}

/// Namespaces first, then Services; by namespace, then name.
fn object_order(o: &ObjectRef) -> (bool, &str, &str) {
    (
        o.kind != "Namespace",
        o.namespace.as_deref().unwrap_or(""),
        &o.name,
    )
}

/// Keeps every Namespace: Services need them all before the first is judged.
struct Namespaces<'p> {
    objects: Vec<ObjectView>,
    progress: &'p mut dyn FnMut(Read),
}

impl PageSink for Namespaces<'_> {
    fn restart(&mut self) {
        self.objects.clear();
    }

    fn page(&mut self, objects: Vec<ObjectView>) {
        self.objects.extend(objects);
        (self.progress)(Read {
            namespaces: self.objects.len(),
            services: 0,
        });
    }
}

/// Judges each Service as its page arrives and keeps only what the report needs.
struct Services<'a> {
    view: &'a ListedCluster,
    config: &'a Config,
    namespaces: usize,
    read: usize,
    findings: Vec<Violation>,
    exposure: BTreeMap<String, Exposure>,
    progress: &'a mut dyn FnMut(Read),
}

impl PageSink for Services<'_> {
    fn restart(&mut self) {
        self.view.services_start();
        self.read = 0;
        self.findings.clear();
        self.exposure.clear();
    }

    fn page(&mut self, objects: Vec<ObjectView>) {
        for svc in &objects {
            self.view.add_service(svc);
            let decision = existing::judge(ResourceKind::Service, svc, self.config, self.view);
            self.findings.extend(decision.violations);
            let namespace = svc.metadata.namespace.as_deref().unwrap_or_default();
            let lookup = crate::rules::ClusterView::namespace(self.view, namespace);
            let exposed = existing::exposure(svc, &lookup, self.config).exposed();
            // The key is copied once per Namespace, not once per Service.
            let entry = match self.exposure.get_mut(namespace) {
                Some(entry) => entry,
                None => self.exposure.entry(namespace.to_owned()).or_default(),
            };
            entry.services += 1;
            entry.exposed += usize::from(exposed);
        }
        self.read += objects.len();
        (self.progress)(Read {
            namespaces: self.namespaces,
            services: self.read,
        });
    }
}

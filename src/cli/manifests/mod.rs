//! Reading manifests: files, directories and standard input, multi-document YAML, JSON (one
//! object or a stream of them), `kind: List`, into the Namespaces and Services the rules judge,
//! each with the positions of its keys so every finding can name a file, a line and a column.
//!
//! Shared by `check` and the commands built on it (explain, diff): [`read`] gives an
//! [`Inputs`]; each [`Manifest`] carries its object, its effective namespace and its
//! [`Positions`].
//!
//! One concern a file, in the order a text goes through them:
//! - `walk`: which files the paths name (directories, standard input, order, hidden entries)
//!   and their text;
//! - `stream`: one text into the parts the YAML reader parses (JSON streams, byte-order marks);
//! - `document`: one YAML document into the Namespaces and Services it holds (Lists, kinds,
//!   the default namespace);
//! - `metadata`: labels and annotations as Kubernetes reads them, and what in them it refuses;
//! - `positions`: where each part of an object is written.

mod document;
mod metadata;
mod positions;
mod stream;
mod walk;

use std::path::PathBuf;
use std::sync::Arc;

pub use positions::{KeyPosition, Positions, ValuePosition};

use super::yaml::{self, Pos};
use crate::rules::{Field, ObjectView, ResourceKind};

/// How a path argument names standard input.
pub const STDIN: &str = "-";
/// How findings name standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// What the reader needs to know beyond the text.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The namespace of a Service whose manifest gives none (`kubectl apply -n`).
    pub default_namespace: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            default_namespace: "default".to_owned(),
        }
    }
}

/// Everything read from a set of paths.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The files read, in order (directories expanded and sorted).
    pub files: Vec<Arc<str>>,
    /// Documents that held something (empty ones are not counted).
    pub documents: usize,
    /// Kubernetes objects of any kind (a map with a `kind`, the items of a List): an input
    /// without one checks nothing.
    pub objects: usize,
    /// The Namespaces and Services, in file and document order.
    pub manifests: Vec<Manifest>,
    /// Paths that could not be read or parsed; their documents are left out.
    pub errors: Vec<InputError>,
}

/// A path that could not be read, or a text that is not YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: Arc<str>,
    pub pos: Option<Pos>,
    pub message: String,
}

/// A Namespace or Service read from the input.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub file: Arc<str>,
    /// Index of `file` in [`Inputs::files`].
    pub file_index: usize,
    pub kind: ResourceKind,
    pub object: ObjectView,
    /// For a Service: its `metadata.namespace`, or the default when it has none or an empty
    /// one (also written into `object.metadata.namespace`, as kube-apiserver does). `None` for
    /// a Namespace.
    pub namespace: Option<String>,
    pub positions: Positions,
    /// What Kubernetes itself would refuse in the `traffic.tetrate.io/` keys (a boolean where a
    /// string must be, a key written twice): the rules never see these as written.
    pub problems: Vec<ManifestProblem>,
}

/// The identity of an object: two manifests with the same key are the same object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl Manifest {
    /// `None` for an object without a name (`generateName`): each one is a new object.
    pub fn key(&self) -> Option<ObjectKey> {
        let name = self.object.name();
        if name.is_empty() {
            return None;
        }
        Some(ObjectKey {
            kind: match self.kind {
                ResourceKind::Namespace => "Namespace",
                _ => "Service",
            },
            namespace: self.namespace.clone(),
            name: name.to_owned(),
        })
    }
}

/// Something about a `traffic.tetrate.io/` key that Kubernetes would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    pub field: Field,
    pub pos: Pos,
    /// What is wrong and the fix, without the object's name.
    pub message: String,
    /// One short line.
    pub summary: String,
}

/// An input error when `inputs` (read from `paths`, without errors) holds no Kubernetes object
/// at all: an empty file, an empty standard input (what `kustomize build` or `helm template`
/// that failed gives a pipe), a file of comments or `---` only. Judging it would report nothing
/// and pass, though nothing was checked. An input with objects but no Namespace or Service is
/// fine: nothing in it is the guard's business.
pub fn nothing_to_check(paths: &[PathBuf], inputs: &Inputs, what: &str) -> Option<InputError> {
    if !inputs.errors.is_empty() || inputs.objects > 0 {
        return None;
    }
    let named: Vec<String> = paths
        .iter()
        .map(|p| {
            if p.as_os_str() == STDIN {
                STDIN_NAME.to_owned()
            } else {
                p.display().to_string()
            }
        })
        .collect();
    let read = match (inputs.files.len(), inputs.documents) {
        (0, _) => "no manifest file found".to_owned(),
        (_, 0) => "nothing but blank lines, comments or `---`".to_owned(),
        (_, n) => format!(
            "{n} document{} without a Kubernetes object",
            if n == 1 { "" } else { "s" }
        ),
    };
    Some(InputError {
        file: Arc::from(named.join(", ")),
        pos: None,
        message: format!(
            "{what} holds no Kubernetes object ({read}), so nothing was checked; an empty \
             input is what a failed `kustomize build` or `helm template` piped in gives"
        ),
    })
}

/// Reads every path: files as given (any extension), directories recursively (`.yaml`, `.yml`,
/// `.json`, sorted by name, hidden entries skipped), and `-` as standard input; a file reached
/// twice is read once. Never stops at the first bad path: every error is collected in
/// [`Inputs::errors`].
pub fn read(paths: &[PathBuf], options: &ReadOptions) -> Inputs {
    let mut inputs = Inputs::default();
    for source in walk::sources(paths, &mut inputs.errors) {
        let (name, text) = walk::text(source);
        let parsed = text.and_then(|text| parse(&name, inputs.files.len(), &text, options));
        inputs.files.push(name);
        match parsed {
            Ok(p) => {
                inputs.documents += p.documents;
                inputs.objects += p.objects;
                inputs.manifests.extend(p.manifests);
            }
            Err(e) => inputs.errors.push(e),
        }
    }
    inputs
}

/// What one text holds.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: usize,
    /// Kubernetes objects of any kind.
    pub objects: usize,
    pub manifests: Vec<Manifest>,
}

/// Parses one text (a file or standard input) named `file`. A syntax error anywhere fails the
/// whole text, as `kubectl apply -f` fails the whole file.
pub fn parse(
    file: &Arc<str>,
    file_index: usize,
    text: &str,
    options: &ReadOptions,
) -> Result<Parsed, InputError> {
    let reader = document::Reader {
        file,
        file_index,
        options,
    };
    let parts = stream::split(text).map_err(|e| InputError {
        file: file.clone(),
        pos: Some(e.pos),
        message: format!("invalid JSON: {}", e.message),
    })?;
    let mut manifests = Vec::new();
    let mut documents = 0;
    let mut objects = 0;
    for part in parts {
        documents += yaml::for_each_document_at(&part.text, part.at, |doc| {
            objects += reader.document(&doc.root, &mut manifests);
        })
        .map_err(|e| InputError {
            file: file.clone(),
            pos: Some(e.pos),
            message: format!("invalid YAML: {}", e.message),
        })?;
    }
    Ok(Parsed {
        documents,
        objects,
        manifests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifests of one valid text, for the tests of every part of the reader.
    pub(super) fn parse_one(text: &str) -> Vec<Manifest> {
        let name: Arc<str> = Arc::from("t.yaml");
        parse(&name, 0, text, &ReadOptions::default())
            .expect("valid YAML")
            .manifests
    }

    pub(super) fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let name: Arc<str> = Arc::from("bad.yaml");
        let err = parse(
            &name,
            0,
            "kind: Namespace\nmetadata:\n  name: a\n   b: c\n",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.pos.map(|p| p.line), Some(4));
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    }
}

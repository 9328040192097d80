//! The exposure model, explain and diff never panic, whatever the manifests: texts built from
//! the pieces of Namespace and Service manifests (broken indentation, odd scalars, anchors,
//! cloud annotations that YAML refuses), explained in every format and compared with each
//! other in every format. A few properties of the model are checked on the way.

use eastwest_guard::cli::check;
use eastwest_guard::cli::diff::{self, DiffFormat};
use eastwest_guard::cli::explain::{self, ExplainFormat, Explanation};
use eastwest_guard::cli::exposure::{self, Model};
use eastwest_guard::cli::manifests::Inputs;
use eastwest_guard::rules::Config;
use eastwest_guard::rules::model::{ExposureMode, cloud_view};
use proptest::prelude::*;

use crate::support::generators::manifests;
use crate::support::manifests::inputs_or_empty;

fn read(text: &str) -> Inputs {
    inputs_or_empty("fuzz.yaml", text)
}

fn explain_all(inputs: &Inputs, model: &Model, config: &Config) {
    let outcome = check::check(inputs, None, config);
    let e = Explanation::new(model, &outcome.findings, &inputs.errors, config);
    for format in [
        ExplainFormat::Text,
        ExplainFormat::Json,
        ExplainFormat::Yaml,
    ] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        explain::write(format, &e, &mut out, &mut err).expect("write to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        if format == ExplainFormat::Json {
            serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        }
        if format == ExplainFormat::Yaml {
            eastwest_guard::cli::yaml::parse_stream(&text).expect("valid YAML");
        }
    }
}

fn model_properties(model: &Model) {
    for ns in &model.namespaces {
        for s in &ns.services {
            assert_eq!(s.namespace, ns.name);
            // Nothing is exposed where the agent creates no workspace.
            if ns.workspace() == Some(false) {
                assert!(!s.exposed, "{s:?} in {}", ns.name);
            }
            if ns.mode == ExposureMode::Off {
                assert!(!s.exposed, "{s:?} in {}", ns.name);
            }
            assert!(!exposure::why(s, ns).is_empty());
        }
    }
    let names: Vec<&str> = model.namespaces.iter().map(|n| n.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "Namespaces sorted, each once");
}

fn compare_all(old: &Model, new: &Model, config: &Config) {
    let report = diff::Report::new(old, new, Vec::new(), config);
    for format in [DiffFormat::Text, DiffFormat::Json, DiffFormat::Markdown] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        diff::write(format, &report, 0, &mut out, &mut err).expect("write to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        if format == DiffFormat::Json {
            serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        }
    }
    // A model compared with itself: no change.
    assert!(diff::compare(new, new, config).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(old in manifests(), new in manifests()) {
        let config = Config::default();
        let (old_in, new_in) = (read(&old), read(&new));
        let (old_m, new_m) = (exposure::model(&old_in, &config), exposure::model(&new_in, &config));
        model_properties(&new_m);
        explain_all(&new_in, &new_m, &config);
        compare_all(&old_m, &new_m, &config);
    }

    #[test]
    fn cloud_view_never_panics(text in any::<String>()) {
        let view = cloud_view(&text, &Config::default());
        // Every key the agent would get is classified at most once.
        for k in &view.invalid_keys {
            prop_assert!(!view.unsupported_keys.contains(k));
        }
    }
}

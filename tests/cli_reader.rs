//! The manifest reader never panics, whatever the text: arbitrary strings, and texts built
//! from the pieces of Namespace and Service manifests (so the object paths are exercised with
//! broken indentation, odd scalars, anchors and merge keys). Every finding of the whole check
//! must land on a line of the text.

use std::sync::Arc;

use eastwest_guard::cli::check;
use eastwest_guard::cli::manifests::{self, ReadOptions};
use eastwest_guard::rules::Config;
use proptest::prelude::*;

fn read_and_check(text: &str) {
    let name: Arc<str> = Arc::from("fuzz.yaml");
    let mut inputs = manifests::Inputs::default();
    match manifests::parse(&name, 0, text, &ReadOptions::default()) {
        Ok(parsed) => {
            inputs.documents = parsed.documents;
            inputs.manifests = parsed.manifests;
        }
        Err(e) => {
            let line = e.pos.map_or(1, |p| p.line);
            assert!(line >= 1);
            return;
        }
    }
    inputs.files.push(name);
    // Old and new the same text: every object is also judged as an update.
    let outcome = check::check(&inputs, Some(&inputs), &Config::default());
    let lines = text.lines().count().max(1) + 1;
    for f in &outcome.findings {
        assert!(
            f.pos.line >= 1 && f.pos.line <= lines && f.pos.column >= 1,
            "{f:?} outside a text of {lines} lines"
        );
    }
}

const PIECES: &[&str] = &[
    "apiVersion: v1\n",
    "kind: Namespace\n",
    "kind: Service\n",
    "kind: List\n",
    "items:\n",
    "- ",
    "---\n",
    "...\n",
    "metadata:\n",
    "  name: payments\n",
    "  namespace: shop\n",
    "  labels:\n",
    "  annotations: &a\n",
    "    traffic.tetrate.io/global: \"true\"\n",
    "    traffic.tetrate.io/global: yes\n",
    "    traffic.tetrate.io/global: [1, 2]\n",
    "    traffic.tetrate.io/eastwest-gateway-name: gw\n",
    "    traffic.tetrate.io/eastwest-gateway-workload-selector: app=gw,x\n",
    "    traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n",
    "      service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
    "      bad: : [\n",
    "    <<: *a\n",
    "    istio-injection: enabled\n",
    "spec:\n",
    "  type: ExternalName\n",
    "# comment\n",
    "{\"kind\": \"Service\", \"metadata\": {\"name\": \"j\", \"labels\": {\"traffic.tetrate.io/global\": \"true\"}}}\n",
    "\t",
    "  ",
    ": ",
    "&x ",
    "*x\n",
    "!!str ",
    "? ",
    "|\n",
    ">-\n",
    "\"",
    "'",
    "\n",
];

fn manifest_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>()) {
        read_and_check(&text);
    }

    #[test]
    fn never_panics_on_manifest_pieces(text in manifest_soup()) {
        read_and_check(&text);
    }
}

#[test]
fn hostile_inputs_are_errors_or_nothing() {
    let billion_laughs = {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        t.push_str("kind: Namespace\nmetadata:\n  name: n\n  labels: *a29\n");
        t
    };
    let merge_chain = {
        let mut t = String::from("m0: &m0 {a: b}\n");
        for i in 1..200 {
            let p = i - 1;
            t.push_str(&format!("m{i}: &m{i} {{<<: [*m{p}, *m{p}], k{i}: v}}\n"));
        }
        t.push_str("kind: Namespace\nmetadata:\n  name: n\n  annotations: *m199\n");
        t
    };
    for text in [
        billion_laughs,
        merge_chain,
        "[".repeat(100_000),
        "- ".repeat(100_000),
        "a: ".repeat(10_000),
        "kind: Namespace\nmetadata: &m\n  labels: *m\n".to_owned(),
        "\u{feff}kind: Namespace\n".to_owned(),
        "kind: Service\nmetadata:\n  name: [a]\n  namespace: {b: c}\n".to_owned(),
    ] {
        let started = std::time::Instant::now();
        read_and_check(&text);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
}

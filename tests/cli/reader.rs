//! The manifest reader never panics, whatever the text: arbitrary strings, and texts built
//! from the pieces of Namespace and Service manifests (so the object paths are exercised with
//! broken indentation, odd scalars, anchors and merge keys). Every finding of the whole check
//! must land on a line of the text.

use eastwest_guard::cli::check;
use eastwest_guard::cli::manifests::ReadOptions;
use eastwest_guard::rules::Config;
use proptest::prelude::*;

use crate::support::manifests;

fn read_and_check(text: &str) {
    let inputs = match manifests::inputs("fuzz.yaml", text, &ReadOptions::default()) {
        Ok(inputs) => inputs,
        Err(e) => {
            let line = e.pos.map_or(1, |p| p.line);
            assert!(line >= 1);
            return;
        }
    };
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
    // A byte-order mark, which may start a document after a `---` line.
    "\u{feff}",
];

/// Pieces of JSON streams (the reader splits a text that starts with `{` into JSON values).
const JSON_PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"kind\": \"Service\"",
    "\"kind\": \"Namespace\"",
    "\"apiVersion\": \"v1\"",
    "\"metadata\": {\"name\": \"j\"",
    "\"labels\": {\"traffic.tetrate.io/global\": \"yes\"}",
    "\"ü\"",
    "null",
    "1e3",
    " ",
    "\n",
    "\r\n",
    "---\n",
    "# comment\n",
    "kind: Service\n",
];

fn json_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(JSON_PIECES), 0..60)
        .prop_map(|p| format!("{{{}", p.concat()))
}

/// A JSON stream of Services, each labelled with a value EW013 reports, laid out with the
/// separators given (one line each, back to back, blank lines, CRLF, indentation).
fn json_stream() -> impl Strategy<Value = String> {
    let separator = prop::sample::select(&["", " ", "\n", "\n\n  ", "\r\n", "\t\n "][..]);
    let name = prop::sample::select(&["a", "ü-é", "日本"][..]);
    let pretty = any::<bool>();
    prop::collection::vec((separator, name, pretty), 1..8).prop_map(|objects| {
        objects
            .into_iter()
            .map(|(sep, name, pretty)| {
                let nl = if pretty { "\n  " } else { " " };
                format!(
                    "{sep}{{\"apiVersion\": \"v1\",{nl}\"kind\": \"Service\",{nl}\"metadata\": \
                     {{\"name\": \"{name}\",{nl}\"labels\": {{\"traffic.tetrate.io/global\": \"yes\"}}}}}}"
                )
            })
            .collect()
    })
}

/// (line, column in characters) of every occurrence of `needle`.
fn positions_of(text: &str, needle: &str) -> Vec<(usize, usize)> {
    text.match_indices(needle)
        .map(|(at, _)| {
            let before = &text[..at];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (
                before.matches('\n').count() + 1,
                text[line_start..at].chars().count() + 1,
            )
        })
        .collect()
}

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

    #[test]
    fn never_panics_on_json_stream_pieces(text in json_soup()) {
        read_and_check(&text);
    }

    #[test]
    fn json_stream_findings_are_at_their_keys(text in json_stream()) {
        let inputs = manifests::inputs("stream.json", &text, &ReadOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let outcome = check::check(&inputs, None, &Config::default());
        // The same name twice is also a duplicate-object finding, at the name.
        let got: Vec<(usize, usize)> = outcome
            .findings
            .iter()
            .filter(|f| f.code.as_str() == "EW013")
            .map(|f| (f.pos.line, f.pos.column))
            .collect();
        prop_assert_eq!(got, positions_of(&text, "\"traffic.tetrate.io/global\""));
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

//! Property tests: over random label and annotation maps (random text and near-misses of the
//! real keys and values), the engine never panics, and the defaults patch always applies,
//! never overwrites, and is idempotent. The selector and cloud-annotation parsers never panic
//! and keep the invariants of their fuzz targets (fuzz/).

use eastwest_guard::rules::{self, Config, NoCluster, ObjectView, ResourceKind, Review};
use proptest::prelude::*;

use crate::support::generators::pairs;
use crate::support::objects::bare;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_mutation_is_idempotent(
        labels in pairs(),
        annotations in pairs(),
        old_annotations in pairs(),
        warn_only in any::<bool>(),
    ) {
        let config = Config { warn_only, ..Config::default() };
        for kind in ["Namespace", "Service"] {
            let rk = ResourceKind::from_group_kind("", kind);
            let json = bare(kind, labels.clone(), annotations.clone());
            let obj: ObjectView = serde_json::from_value(json.clone()).unwrap();
            let old: ObjectView =
                serde_json::from_value(bare(kind, labels.clone(), old_annotations.clone())).unwrap();

            let d = rules::validate(&Review::create(rk, &obj), &config, &NoCluster);
            if warn_only {
                prop_assert!(d.allowed());
            }
            for v in &d.violations {
                prop_assert!(!v.summary.chars().any(char::is_control));
            }
            let _ = rules::validate(&Review::update(rk, &old, &obj), &config, &NoCluster);

            if let Some(m) = rules::mutate(&Review::create(rk, &obj), &config) {
                prop_assert_eq!(kind, "Namespace");
                let mut doc = json.clone();
                json_patch::patch(&mut doc, &m.patch).unwrap();
                let after: ObjectView = serde_json::from_value(doc).unwrap();
                for (k, v) in &annotations {
                    prop_assert_eq!(after.annotation(k), Some(v.as_str()), "overwrote {}", k);
                }
                prop_assert!(rules::mutate(&Review::create(rk, &after), &config).is_none());
                // What the mutation writes is itself valid input.
                let d = rules::validate(&Review::create(rk, &after), &Config::default(), &NoCluster);
                for v in d.violations {
                    prop_assert!(
                        !matches!(v.rule, rules::RuleId::EW002 | rules::RuleId::EW003 | rules::RuleId::EW004 | rules::RuleId::EW005 | rules::RuleId::EW006),
                        "patched object violates {}: {}", v.rule, v.message
                    );
                }
            }
        }
    }

    #[test]
    fn cloud_annotation_parsers_never_panic(text in any::<String>()) {
        let _ = rules::cloud::parse_yaml(&text);
        let _ = rules::cloud::agent_fallback(&text);
    }

    #[test]
    fn selector_parser_never_panics(text in any::<String>()) {
        let _ = rules::selector::parse(&text);
    }
}

// The invariants of the `selector` and `cloud_annotations` fuzz targets (fuzz/), for CI.
proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn an_accepted_selector_round_trips(
        text in prop_oneof![
            "[a-z./=, -]{0,30}",
            "(app|tier|[a-z]{1,5}\\.io/[a-z]{1,5})=[A-Za-z0-9_.-]{1,8}(,[a-z]{1,3}=[a-z0-9]{1,3}){0,4}",
            any::<String>(),
        ]
    ) {
        match rules::selector::parse(&text) {
            Ok(parsed) => {
                prop_assert!(!parsed.pairs.is_empty());
                for (i, (k, v)) in parsed.pairs.iter().enumerate() {
                    // An empty value is a valid label value (`tier=`); a key never is empty.
                    prop_assert!(!k.is_empty());
                    prop_assert!(!k.contains([',', '=']) && !v.contains(','));
                    prop_assert!(!k.chars().chain(v.chars()).any(char::is_whitespace));
                    prop_assert!(!parsed.pairs[..i].iter().any(|(other, _)| other == k));
                }
                let canonical = parsed
                    .pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",");
                prop_assert_eq!(rules::selector::parse(&canonical).ok(), Some(parsed));
            }
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }

    #[test]
    fn cloud_annotation_positions_point_into_the_text(
        text in prop_oneof![
            "(([a-z./-]{1,12}|\"[a-z]{1,4}\"|&a [a-z]{1,3}|\\*a|- x|\\? k)(: ?)([\"']?[A-Za-z0-9:/ -]{0,10}[\"']?|\\[a|\\{b: c\\}|\\*a)?(\n|\r\n|\r)){0,6}",
            any::<String>(),
        ]
    ) {
        let breaks = text.matches('\n').count() + text.matches('\r').count()
            - text.matches("\r\n").count();
        let lines = breaks + 2;
        match rules::cloud::parse_yaml(&text) {
            Ok(entries) => {
                for e in &entries {
                    prop_assert!((1..=lines).contains(&e.position.line), "{:?} in {:?}", e, text);
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    if let Some(pos) = p.position {
                        prop_assert!(pos.line <= lines, "{:?} in {:?}", p, text);
                    }
                }
            }
        }
        let fallback = rules::cloud::agent_fallback(&text);
        prop_assert!(fallback.skipped_lines.windows(2).all(|w| w[0] < w[1]));
        let n = text.lines().count();
        prop_assert!(fallback.skipped_lines.iter().all(|&l| (1..=n).contains(&l)));
        for key in fallback.map.keys() {
            prop_assert!(!key.is_empty() && key.trim() == key, "{:?}", key);
        }
    }
}

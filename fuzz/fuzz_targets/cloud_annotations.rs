//! The cloud-annotation parsers (`rules::cloud::parse_yaml`, the strict YAML reading behind
//! EW007..EW010, and `rules::cloud::agent_fallback`, the agent's line-by-line fallback):
//! never panic, positions point into the text, the fallback's skipped lines are real,
//! increasing line numbers and its keys are trimmed and non-empty.
#![no_main]

use eastwest_guard::rules::cloud;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines as YAML counts them (a lone CR is a line break too), plus one for a position
    // just past the end.
    let breaks =
        text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count();
    let lines = breaks + 1 + 1;
    match cloud::parse_yaml(text) {
        Ok(entries) => {
            for e in &entries {
                assert!(
                    (1..=lines).contains(&e.position.line),
                    "entry {:?} at line {} of {lines}: {text:?}",
                    e.key,
                    e.position.line
                );
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "refused without a reason: {text:?}");
            for p in &problems {
                if let Some(pos) = p.position {
                    assert!(
                        pos.line <= lines,
                        "problem at line {} of {lines}: {text:?}",
                        pos.line
                    );
                }
            }
        }
    }
    let fallback = cloud::agent_fallback(text);
    assert!(
        fallback.skipped_lines.windows(2).all(|w| w[0] < w[1]),
        "{text:?}"
    );
    assert!(
        fallback
            .skipped_lines
            .iter()
            .all(|&n| (1..=text.lines().count()).contains(&n)),
        "skipped lines {:?} of {}: {text:?}",
        fallback.skipped_lines,
        text.lines().count()
    );
    for key in fallback.map.keys() {
        assert!(
            !key.is_empty() && key.trim() == key,
            "fallback key {key:?}: {text:?}"
        );
    }
});

//! The workload-selector parser (`rules::selector::parse`, EW005/EW006): never panics; a
//! selector it accepts has non-empty, distinct keys and values without spaces, ',' or '='
//! in a key, and its canonical `k=v,...` form parses back to the same pairs; a refusal says
//! at least one thing.
#![no_main]

use eastwest_guard::rules::selector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match selector::parse(text) {
        Ok(parsed) => {
            assert!(!parsed.pairs.is_empty(), "accepted with no pairs: {text:?}");
            for (i, (k, v)) in parsed.pairs.iter().enumerate() {
                assert!(!k.is_empty() && !v.is_empty(), "empty part in {text:?}");
                assert!(
                    !k.contains([',', '=']) && !v.contains(','),
                    "separator kept: {text:?}"
                );
                assert!(
                    !k.chars().chain(v.chars()).any(char::is_whitespace),
                    "{text:?}"
                );
                assert!(
                    !parsed.pairs[..i].iter().any(|(other, _)| other == k),
                    "duplicate key accepted: {text:?}"
                );
            }
            let canonical = parsed
                .pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            assert_eq!(selector::parse(&canonical).ok(), Some(parsed), "{text:?}");
        }
        Err(problems) => assert!(!problems.is_empty(), "refused without a reason: {text:?}"),
    }
});

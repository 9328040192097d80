//! Every case of the corpus (tests/data/rules/cases), read back from its file, gets the
//! decision recorded with it: the files hold all the engine reads, so another judge of the
//! same cases (diff, a CEL translation) sees exactly what the engine saw.

use crate::support::cases;

/// Every case of the corpus, read back from its file, gets the decision recorded with it: the
/// files hold all the engine reads (and a case no test makes any more is still a true one).
#[test]
fn the_corpus_of_cases_replays() {
    if cases::recording() {
        return;
    }
    let corpus = cases::corpus();
    assert!(!corpus.is_empty());
    for case in corpus.iter().filter(|c| c.input_kept()) {
        assert_eq!(
            cases::decision_json(&case.judge()),
            case.json["decision"],
            "{}",
            case.file.display()
        );
    }
}

//! A text read as the CLI reads one input file, for the tests that call the CLI's library
//! (property tests, and the agreement of `diff` with `check`) instead of running the binary.

use std::sync::Arc;

use eastwest_guard::cli::manifests::{self, InputError, Inputs, ReadOptions};

/// The input of one file `name` holding `text`; an error if the text does not parse.
pub fn inputs(name: &str, text: &str, options: &ReadOptions) -> Result<Inputs, InputError> {
    let name: Arc<str> = Arc::from(name);
    let parsed = manifests::parse(&name, 0, text, options)?;
    Ok(Inputs {
        files: vec![name],
        documents: parsed.documents,
        objects: parsed.objects,
        manifests: parsed.manifests,
        errors: Vec::new(),
    })
}

/// As [`inputs`], with a text that does not parse read as a file with nothing in it.
pub fn inputs_or_empty(name: &str, text: &str) -> Inputs {
    inputs(name, text, &ReadOptions::default()).unwrap_or_else(|_| Inputs {
        files: vec![Arc::from(name)],
        ..Inputs::default()
    })
}

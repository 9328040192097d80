//! The whole request path: any bytes as the body of `POST /validate` and `POST /mutate`
//! (`admission::answer`, what the HTTP layer calls once the body is read), under the default
//! configuration, warn-only, and with a cluster view. Never panics, and every answer keeps
//! the protocol's promises (tests/common/invariants.rs): a 200 is a v1 AdmissionReview that
//! echoes the uid, /validate never patches, /mutate never denies and its patch applies,
//! warnings are single short lines, anything else is a one-line 4xx.
#![no_main]

#[path = "../../tests/common/invariants.rs"]
mod invariants;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(broken) = invariants::check_all(body) {
        panic!("invariant broken: {broken}");
    }
});

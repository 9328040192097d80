//! What was tried against `serve`, one test binary, one module per class (RELIABILITY.md has
//! the table: what, how, result). Every test talks to the real server over real TLS on
//! 127.0.0.1 (port 0, certificates made in the test, `common`: tests/common); every loop is
//! bounded in count and time and stops by itself.
//!
//! | what | module |
//! |---|---|
//! | bad bodies, framing, plaintext, old TLS versions, mTLS refusals | [`bad_input`] |
//! | certificate rotations under load | [`faults`] |
//! | crypto provider, TLS suites, the probe port, the image, secrets in logs | [`security`] |
//! | answers bounded whatever the client sends; answers not taken by the deadline | [`answers`] |
//! | HTTP/2 bodies that never finish, within the body budget | [`buffered`] |
//! | certificate reloads no client could use | [`reload`] |
//! | log lines escaped and bounded; refused requests logged | [`logs`] |
//!
//! Connection floods (probe port, half-open handshakes) are in tests/floods, a binary of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests, benchmarks and examples: a failed unwrap is a failed run"
)]

#[path = "../common/mod.rs"]
mod common;

mod answers;
mod bad_input;
mod buffered;
mod faults;
mod logs;
mod reload;
mod security;
mod slow;

//! The webhook's hand-written wire parsers against kube's `AdmissionReview<DynamicObject>` and
//! k8s-openapi's `ObjectMeta` (tests/common/wire_diff.rs): the fuzzer's bytes drive the
//! generator of review bodies, and both must accept and refuse the same bodies and read the
//! same uid, kind, name, namespace, user, labels and annotations, but for the differences the
//! generator marks and checks as stated. The property test tests/server/wire.rs runs the same
//! check in CI.
#![no_main]

#[path = "../../tests/common/wire_diff.rs"]
mod wire_diff;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(disagreement) = wire_diff::check(input) {
        panic!("the guard and kube disagree: {disagreement}");
    }
});

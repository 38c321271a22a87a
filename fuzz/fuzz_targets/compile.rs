//! Fuzzes the backends: every policy that checks without errors compiles
//! to both targets, each output is valid JSON, and compiling again gives
//! the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qpol::backends::{self, Target};

fuzz_target!(|data: &[u8]| {
    let mut policy = qpol::Policy::default();
    policy.add_bytes("fuzz.qpol", data.to_vec());
    let result = qpol::checks::check(policy);
    for target in [Target::Terraform, Target::IbmApi] {
        let compiled = backends::compile(&result, target);
        let Some(text) = compiled.text() else {
            assert!(!result.passed(), "a clean policy compiled to nothing");
            continue;
        };
        assert!(result.passed(), "a policy with errors compiled");
        serde_json::from_str::<serde_json::Value>(&text).expect("output must be JSON");
        assert_eq!(backends::compile(&result, target).text().as_deref(), Some(text.as_str()));
    }
});

//! Fuzzes the whole front end on arbitrary bytes: read, parse, lower, every
//! check, both renderings, assertions; and, for input that parses, the
//! formatter's soundness and idempotence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qpol::diag::render;

fuzz_target!(|data: &[u8]| {
    let mut policy = qpol::Policy::default();
    policy.add_bytes("fuzz.qpol", data.to_vec());
    let parses = !policy.files.iter().any(|(_, p)| p.has_errors());
    let result = qpol::checks::check(policy);
    for d in result.diagnostics.iter().take(50) {
        let _ = render::human(d, &result.sources, render::Style::Plain);
    }
    let _ = render::json_all(&result.diagnostics, &result.sources, &[]);
    let access = qpol::access::Access::new(&result.model);
    let _ = qpol::access::assertions::run(&access);
    if let (true, Ok(text)) = (parses, std::str::from_utf8(data)) {
        match qpol::fmt::format_text("fuzz.qpol", text) {
            Ok(once) => {
                let twice = qpol::fmt::format_text("fuzz.qpol", &once).expect("formatted output must format");
                assert_eq!(once, twice, "formatting is not idempotent");
            }
            Err(qpol::fmt::FormatError::Unsound(what)) => panic!("formatter unsound: {what}"),
            Err(qpol::fmt::FormatError::Syntax(_)) => {}
        }
    }
});

//! Inputs that once broke qpol (from the fuzzer, the property test and
//! by hand), kept so they never break it again: checking them must not
//! panic, and any that parses must format soundly and idempotently.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[test]
fn regressions_stay_fixed() {
    let mut count = 0;
    for entry in std::fs::read_dir("tests/fixtures/regressions").unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let mut policy = qpol::Policy::default();
        policy.add_bytes("regression.qpol", bytes.clone());
        let parses = !policy.files[0].1.has_errors();
        let result = qpol::checks::check(policy);
        for d in &result.diagnostics {
            let _ = qpol::diag::render::human(d, &result.sources, qpol::diag::render::Style::Plain);
        }
        if let (true, Ok(text)) = (parses, String::from_utf8(bytes)) {
            let once = qpol::fmt::format_text("r.qpol", &text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                once,
                qpol::fmt::format_text("r.qpol", &once).unwrap(),
                "{}",
                path.display()
            );
        }
        count += 1;
    }
    assert!(count >= 3);
}

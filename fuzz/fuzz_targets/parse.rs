//! Fuzzes the fast parser against the pest grammar: for any text, the
//! parse with the fast path (pest for what it gives up) and the parse with
//! pest alone give the same syntax tree (nodes and spans), the same
//! diagnostics, the same broken names and the same comments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qpol::diag::FileId;
use qpol::syntax::{parse_file, parse_file_pest_only};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fast = format!("{:?}", parse_file(FileId(0), text));
    let pest = format!("{:?}", parse_file_pest_only(FileId(0), text));
    assert!(fast == pest, "fast path and pest differ on {text:?}");
});

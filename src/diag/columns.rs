//! Columns of byte offsets, counted in characters or in UTF-16 code units,
//! without scanning a whole line per lookup: a finding's column on a line
//! of 300 KB costs the same as on a short one. An ASCII text (the usual
//! case) needs no table at all: every count is its byte offset. Otherwise
//! the counts before every [`BLOCK`]-byte block are kept, made once per
//! text, and a lookup scans less than one block.

/// Bytes per block of the table.
const BLOCK: usize = 256;

/// What a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Unicode scalar values (human output, GitHub annotations).
    Chars,
    /// UTF-16 code units (SARIF, the language server protocol).
    Utf16,
}

/// The counts table of one text (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Empty for an ASCII text; else, for each block `k`, the characters
    /// and the UTF-16 units that start in bytes `0..k * BLOCK`.
    blocks: Vec<(usize, usize)>,
}

/// The characters and UTF-16 units that start in `bytes`: every byte that
/// is not a continuation byte starts one character, and a 4-byte one (a
/// leading byte from 0xF0) takes a surrogate pair.
fn counts(bytes: &[u8]) -> (usize, usize) {
    let mut chars = 0;
    let mut units = 0;
    for &b in bytes {
        if b & 0xC0 != 0x80 {
            chars += 1;
            units += if b >= 0xF0 { 2 } else { 1 };
        }
    }
    (chars, units)
}

impl Columns {
    /// The table of `text`: one pass, nothing for an ASCII text.
    pub fn new(text: &str) -> Columns {
        if text.is_ascii() {
            return Columns::default();
        }
        let mut blocks = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut total = (0, 0);
        for chunk in text.as_bytes().chunks(BLOCK) {
            blocks.push(total);
            let (c, u) = counts(chunk);
            total = (total.0 + c, total.1 + u);
        }
        blocks.push(total);
        Columns { blocks }
    }

    /// Whether every count is its byte offset (the text is ASCII).
    pub fn is_ascii(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The characters or UTF-16 units before byte `offset` of `text` (the
    /// text the table was made from; `offset` clamped to it, and meant to
    /// be a character boundary).
    pub fn count(&self, text: &str, offset: usize, unit: Unit) -> usize {
        let offset = offset.min(text.len());
        if self.is_ascii() {
            return offset;
        }
        let block = offset / BLOCK;
        let (before_chars, before_units) = self.blocks.get(block).copied().unwrap_or_default();
        let rest = text.as_bytes().get(block * BLOCK..offset).unwrap_or(&[]);
        let (chars, units) = counts(rest);
        match unit {
            Unit::Chars => before_chars + chars,
            Unit::Utf16 => before_units + units,
        }
    }

    /// The 0-based column of `offset` in the line starting at `line_start`.
    pub fn column(&self, text: &str, line_start: usize, offset: usize, unit: Unit) -> usize {
        self.count(text, offset, unit)
            .saturating_sub(self.count(text, line_start, unit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(text: &str, start: usize, offset: usize, unit: Unit) -> usize {
        let s = text.get(start..offset).unwrap_or("");
        match unit {
            Unit::Chars => s.chars().count(),
            Unit::Utf16 => s.encode_utf16().count(),
        }
    }

    /// Text mixing ASCII, 2-, 3- and 4-byte characters and line ends.
    fn text_strategy() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "bc",
            "\n",
            "\r\n",
            "é",
            "€",
            "𝄞",
            "😀",
            " ",
            "ü\u{301}",
        ]);
        prop::collection::vec(pieces, 0..1500).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn columns_equal_a_naive_count(text in text_strategy(), picks in prop::collection::vec((0usize..10_000, 0usize..10_000), 1..40)) {
            let columns = Columns::new(&text);
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            for (a, b) in picks {
                let a = boundaries.get(a % boundaries.len()).copied().unwrap_or(0);
                let b = boundaries.get(b % boundaries.len()).copied().unwrap_or(0);
                let (start, offset) = (a.min(b), a.max(b));
                for unit in [Unit::Chars, Unit::Utf16] {
                    prop_assert_eq!(columns.column(&text, start, offset, unit), naive(&text, start, offset, unit));
                }
            }
        }
    }

    #[test]
    fn ascii_needs_no_table_and_blocks_edges_count() {
        let ascii = "x".repeat(1000);
        let columns = Columns::new(&ascii);
        assert!(columns.is_ascii());
        assert_eq!(columns.column(&ascii, 10, 700, Unit::Utf16), 690);
        // A 4-byte character across the first block's edge (bytes 254..258).
        let text = format!("{}𝄞{}", "a".repeat(254), "é".repeat(300));
        let columns = Columns::new(&text);
        assert!(!columns.is_ascii());
        for offset in [0, 254, 258, 260, 512, text.len()] {
            for unit in [Unit::Chars, Unit::Utf16] {
                assert_eq!(
                    columns.count(&text, offset, unit),
                    naive(&text, 0, offset, unit)
                );
            }
        }
        assert_eq!(columns.count(&text, 258, Unit::Utf16), 256);
        assert_eq!(columns.count(&text, 258, Unit::Chars), 255);
    }
}

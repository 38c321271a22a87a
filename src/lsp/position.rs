//! LSP positions (0-based line, UTF-16 code unit in the line) and byte
//! offsets into a text. Lines end at LF, CRLF or a lone CR, as in the
//! protocol and in [`crate::diag::SourceFile`]. A character past the end of
//! its line is taken as the line's end (what the protocol asks); one inside
//! a surrogate pair as the start of that character; a line past the end of
//! the text is refused ([`PositionError`]), or clamped where an edit must
//! still apply ([`LineIndex::offset_clamped`]). Positions of offsets do
//! not scan their line ([`Columns`]): publishing every finding of a long
//! line stays linear.

use crate::diag::columns::{Columns, Unit};
use lsp_types::{Position, Range};

/// Where each line of a text starts, and its UTF-16 counts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    columns: Columns,
}

/// A position that names a line the text does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is past the end of the file ({lines} lines); positions count lines from 0")]
pub struct PositionError {
    pub line: u32,
    pub lines: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(bytes.iter().enumerate().filter_map(|(i, &b)| {
            let ends = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            ends.then_some(i + 1)
        }));
        LineIndex {
            starts,
            len: text.len(),
            columns: Columns::new(text),
        }
    }

    /// The byte range of line `line`, without its line end.
    fn line(&self, text: &str, line: usize) -> Option<(usize, usize)> {
        let start = *self.starts.get(line)?;
        let next = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let content = text.get(start..next).unwrap_or("");
        let trimmed = content.trim_end_matches(['\n', '\r']).len();
        Some((start, start + trimmed))
    }

    /// The byte offset of `pos` in `text`; a line past the end is an error.
    pub fn offset(&self, text: &str, pos: Position) -> Result<usize, PositionError> {
        let line = pos.line as usize;
        let (start, end) = self.line(text, line).ok_or(PositionError {
            line: pos.line,
            lines: self.starts.len(),
        })?;
        let wanted = pos.character as usize;
        if self.columns.is_ascii() {
            return Ok(start + wanted.min(end.saturating_sub(start)));
        }
        let mut units = 0usize;
        for (i, c) in text.get(start..end).unwrap_or("").char_indices() {
            let next = units + c.len_utf16();
            if next > wanted {
                // `wanted` is this character's start, or inside its surrogate pair.
                return Ok(start + i);
            }
            units = next;
        }
        Ok(end)
    }

    /// [`LineIndex::offset`], a line past the end taken as the end of the text.
    pub fn offset_clamped(&self, text: &str, pos: Position) -> usize {
        self.offset(text, pos).unwrap_or(self.len)
    }

    /// The position of a byte offset (clamped to the text, and down to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len);
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = self.columns.column(text, start, offset, Unit::Utf16);
        Position::new(to_u32(line), to_u32(character))
    }

    /// The range of a byte span.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn offsets_count_utf16_units_and_every_line_end() {
        // `é` is 2 bytes and 1 unit, `𝄞` 4 bytes and 2 units (a surrogate pair).
        let text = "ab\r\né𝄞x\rlast\n";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, pos(0, 2)), Ok(2));
        assert_eq!(index.offset(text, pos(1, 0)), Ok(4));
        assert_eq!(index.offset(text, pos(1, 1)), Ok(6));
        assert_eq!(index.offset(text, pos(1, 3)), Ok(10));
        // Inside the surrogate pair: the start of `𝄞`.
        assert_eq!(index.offset(text, pos(1, 2)), Ok(6));
        // Past the end of a line: its end, before the lone CR.
        assert_eq!(index.offset(text, pos(1, 99)), Ok(11));
        assert_eq!(index.offset(text, pos(2, 4)), Ok(16));
        assert_eq!(index.offset(text, pos(3, 0)), Ok(17));
        assert_eq!(
            index.offset(text, pos(4, 0)),
            Err(PositionError { line: 4, lines: 4 })
        );
        assert_eq!(index.offset_clamped(text, pos(9, 9)), text.len());
    }

    #[test]
    fn positions_round_trip_and_clamp() {
        let text = "ab\r\né𝄞x\rlast\n";
        let index = LineIndex::new(text);
        // Every character's offset but the LF of a CRLF (inside a line end).
        for (offset, _) in text.char_indices().filter(|(i, _)| *i != 3) {
            let p = index.position(text, offset);
            assert_eq!(index.offset(text, p), Ok(offset), "{offset} -> {p:?}");
        }
        assert_eq!(index.position(text, 7), pos(1, 1), "inside `𝄞`: its start");
        assert_eq!(index.position(text, 999), pos(3, 0));
        assert_eq!(index.position("", 5), pos(0, 0));
    }

    #[test]
    fn positions_on_a_long_non_ascii_line_match_a_naive_count() {
        let text: String = (0..20_000)
            .map(|i| ["ab", "é", "𝄞", "\r\n", "€x"][i % 7 % 5])
            .collect();
        let index = LineIndex::new(&text);
        // Every 97th character but the LF of a CRLF (inside a line end).
        for (offset, _) in text.char_indices().step_by(97).filter(|(_, c)| *c != '\n') {
            let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            let line = text[..offset].matches('\n').count();
            let expected = text[line_start..offset].encode_utf16().count();
            let p = index.position(&text, offset);
            assert_eq!(p, pos(line as u32, expected as u32), "{offset}");
            assert_eq!(index.offset(&text, p), Ok(offset), "{offset}");
        }
        // An ASCII text: a character past the end of a line is its end.
        let ascii = "abc\ndefgh\n";
        let index = LineIndex::new(ascii);
        assert_eq!(index.offset(ascii, pos(0, 9)), Ok(3));
        assert_eq!(index.offset(ascii, pos(1, 2)), Ok(6));
        assert_eq!(index.position(ascii, 6), pos(1, 2));
    }
}

//! Where to resume after a syntax error.
//!
//! pest stops at the first error, so the parser applies the grammar one
//! statement at a time and, after a failure, asks [`resume_at`] where the
//! next statement begins: after the bracket that closes the failed
//! statement, after a `;` at its top level, or at a line that starts with a
//! statement keyword (at the left margin, or anywhere outside brackets),
//! whichever comes first past the error. A block left open therefore does
//! not swallow the statements after it.

use super::lexical::{keyword_at, skip_string};

/// The offset to resume at; always greater than `start` (unless at the end).
pub fn resume_at(text: &str, start: usize, error_at: usize) -> usize {
    let bytes = text.as_bytes();
    let starts_with_keyword = keyword_at(text, start);
    let mut depth: usize = 0;
    let mut i = start;
    let mut line_start = false;
    while let Some(&b) = bytes.get(i) {
        if line_start && i > start {
            let at_margin = !matches!(bytes.get(i), Some(b' ' | b'\t'));
            let first = i + count_blanks(bytes, i);
            if keyword_at(text, first) && (at_margin || depth == 0) {
                return first;
            }
        }
        line_start = false;
        match b {
            b'\n' | b'\r' => line_start = true,
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'#' => {
                i = super::lexical::end_of_line(text, i);
                continue;
            }
            b'{' | b'<' if starts_with_keyword => depth += 1,
            b'}' | b'>' if starts_with_keyword => {
                depth = depth.saturating_sub(1);
                if depth == 0 && i >= error_at {
                    return after_optional_semicolon(text, i + 1);
                }
            }
            b';' if starts_with_keyword && depth == 0 && i >= error_at => return i + 1,
            _ => {}
        }
        i += 1;
    }
    text.len().max(start + 1).min(text.len())
}

fn count_blanks(bytes: &[u8], from: usize) -> usize {
    bytes
        .iter()
        .skip(from)
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

fn after_optional_semicolon(text: &str, pos: usize) -> usize {
    let next = super::lexical::skip_trivia(text, pos);
    if text.as_bytes().get(next) == Some(&b';') {
        next + 1
    } else {
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::resume_at;

    #[test]
    fn resumes_after_the_closing_brace() {
        let text = "project a { x y z }\nproject b {}";
        assert_eq!(resume_at(text, 0, 14), 19);
    }

    #[test]
    fn resumes_at_a_keyword_line_when_a_block_is_left_open() {
        let text = "project a {\n  instances X\nproject b {}";
        let at = text.find("project b").unwrap_or(0);
        assert_eq!(resume_at(text, 0, 20), at);
    }

    #[test]
    fn garbage_is_skipped_to_the_next_statement() {
        let text = "%%% ;; }} >>\nrole r { actions job.read; }";
        assert_eq!(resume_at(text, 0, 0), 13);
    }

    #[test]
    fn always_makes_progress() {
        assert_eq!(resume_at("{", 0, 0), 1);
        assert_eq!(resume_at("", 0, 0), 0);
    }
}

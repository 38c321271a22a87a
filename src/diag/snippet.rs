//! The source text a diagnostic's report shows, as miette reads it.
//!
//! miette finds lines by scanning from the start of the source it is given,
//! and cannot draw labels past column 65,535. A [`Window`] therefore hands
//! it, for one diagnostic, only the lines around its labels (found through
//! the file's line index), with every line longer than [`LONG_LINE`] bytes
//! clipped to a few hundred characters around its labels and marked `…`.
//!
//! Each run of shown lines is a *segment* whose text is a shortened copy of
//! the file's bytes `from..to`; the segment's offsets are `from + i`, so
//! segments keep the file's order and never overlap, and a file offset maps
//! to a segment offset through the clipped lines only.
//!
//! A file holding hidden characters (controls, bidirectional controls,
//! zero-width ones) is shown escaped (`\u{202E}`, see [`super::escape`]):
//! the window is made on the escaped copy of the file, and file offsets go
//! through its offset map first. The file name is escaped too.

use super::{FileId, SourceFile, SourceMap};

/// Lines longer than this (in bytes) are clipped.
const LONG_LINE: usize = 300;
/// Characters kept on each side of the labels of a clipped line.
const MARGIN: usize = 80;
/// Longest stretch of labelled text kept on a clipped line.
const WIDTH: usize = 160;
/// Lines shown around each label (miette's default).
const CONTEXT: usize = 1;
const ELLIPSIS: &str = "…";

/// One file as miette reads it for one diagnostic.
pub(super) struct Window {
    name: String,
    /// The file as shown (escaped when it holds hidden characters).
    file: Option<SourceFile>,
    /// The offset map of the escaped copy, when the file needed one.
    escaped: Option<super::HumanFile>,
    segments: Vec<Segment>,
}

/// Lines `first..` of the file, from byte `from` to `to`, as shown.
struct Segment {
    first: usize,
    from: usize,
    to: usize,
    text: String,
    /// Clipped lines: (file range kept, bytes before it in `text`, line start).
    clips: Vec<Clip>,
}

struct Clip {
    line_start: usize,
    line_end: usize,
    keep_from: usize,
    keep_to: usize,
    /// Offset of the kept text inside the segment's text.
    at: usize,
}

impl Window {
    /// The window on `file` that can show every span of `spans` (file offsets).
    pub(super) fn new(sources: &SourceMap, file: FileId, spans: &[(usize, usize)]) -> Window {
        let name = super::escape::inline(sources.name(file)).into_owned();
        let Some(original) = sources.get(file) else {
            return Window {
                name,
                file: None,
                escaped: None,
                segments: Vec::new(),
            };
        };
        let escaped = original.for_humans().cloned();
        let source = escaped.as_ref().map_or(original, |h| &h.0);
        let spans: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let (s, e) = (original.clamp(s), original.clamp(e));
                let (s, e) = match &escaped {
                    Some(h) => (h.1.map(s), h.1.map(e)),
                    None => (s, e),
                };
                let s = source.clamp(s);
                (s, source.clamp(e).max(s))
            })
            .collect();
        // Line ranges to show, merged when they touch (as miette merges them).
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                (
                    source.line_index(s).saturating_sub(CONTEXT),
                    source.line_index(e) + CONTEXT,
                )
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (first, last) in ranges {
            match merged.last_mut() {
                Some(prev) if first <= prev.1 + 1 => prev.1 = prev.1.max(last),
                _ => merged.push((first, last)),
            }
        }
        let segments = merged
            .into_iter()
            .map(|(first, last)| Segment::new(source, first, last, &spans))
            .collect();
        Window {
            name,
            file: Some(source.clone()),
            escaped,
            segments,
        }
    }

    /// Where a file offset is in the window (offsets outside every segment
    /// are left as they are: miette then reports it cannot read them).
    pub(super) fn local(&self, offset: usize) -> usize {
        let offset = match &self.escaped {
            Some(h) => h.1.map(offset),
            None => offset,
        };
        self.segments
            .iter()
            .find(|s| s.from <= offset && offset <= s.to)
            .map_or(offset, |s| s.map(offset))
    }
}

impl Segment {
    fn new(source: &SourceFile, first: usize, last: usize, spans: &[(usize, usize)]) -> Segment {
        let (from, to) = source.line_range(first, last);
        let mut text = String::new();
        let mut clips = Vec::new();
        let mut line = first;
        let mut start = from;
        while start < to || (start == to && line == first) {
            let (_, next) = source.line_range(line, line);
            let next = next.clamp(start, to);
            let whole = source.text.get(start..next).unwrap_or("");
            let body = whole.trim_end_matches(['\n', '\r']);
            let end = start + body.len();
            let (keep_from, keep_to) = keep(source, start, end, spans);
            // Clipping must shorten the line, ellipses included.
            if body.len() > LONG_LINE && keep_to - keep_from + 2 * ELLIPSIS.len() < body.len() {
                if keep_from > start {
                    text.push_str(ELLIPSIS);
                }
                clips.push(Clip {
                    line_start: start,
                    line_end: end,
                    keep_from,
                    keep_to,
                    at: text.len(),
                });
                text.push_str(source.text.get(keep_from..keep_to).unwrap_or(""));
                if keep_to < end {
                    text.push_str(ELLIPSIS);
                }
                text.push_str(whole.get(body.len()..).unwrap_or(""));
            } else {
                text.push_str(whole);
            }
            if next <= start {
                break;
            }
            start = next;
            line += 1;
        }
        Segment {
            first,
            from,
            to,
            text: lone_cr_as_lf(&text),
            clips,
        }
    }

    /// The file offset of an offset of this segment (the inverse of [`Segment::map`]).
    fn unmap(&self, at: usize) -> usize {
        let mut shift = 0;
        for clip in &self.clips {
            let real = at + shift;
            if real < clip.line_start {
                return real;
            }
            let kept = self.from + clip.at;
            let shown_end = kept + (clip.keep_to - clip.keep_from);
            let tail = if clip.keep_to < clip.line_end {
                ELLIPSIS.len()
            } else {
                0
            };
            if at <= shown_end + tail {
                return (clip.keep_from + at.saturating_sub(kept)).min(clip.keep_to);
            }
            // Past this line: the line ends at `shown_end + tail` here.
            shift = clip.line_end - (shown_end + tail);
        }
        at + shift
    }

    /// A file offset as an offset of this segment (`from + ` its place in `text`).
    fn map(&self, offset: usize) -> usize {
        // Bytes removed by the clipped lines wholly before `offset`.
        let mut shift = 0;
        for clip in &self.clips {
            if offset < clip.line_start {
                break;
            }
            if offset <= clip.line_end {
                let at = clip.at + offset.clamp(clip.keep_from, clip.keep_to) - clip.keep_from;
                return self.from + at;
            }
            let shown = clip.keep_to - clip.keep_from
                + ELLIPSIS.len()
                    * (usize::from(clip.keep_from > clip.line_start)
                        + usize::from(clip.keep_to < clip.line_end));
            shift += (clip.line_end - clip.line_start).saturating_sub(shown);
        }
        offset.saturating_sub(shift).max(self.from)
    }
}

/// miette's gutter counts LF only: a lone CR (old Mac files) becomes an LF,
/// byte for byte, so offsets are unchanged.
fn lone_cr_as_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(if c == '\r' && chars.peek() != Some(&'\n') {
            '\n'
        } else {
            c
        });
    }
    out
}

/// The part of a long line `start..end` to keep: around the labels on it,
/// else its beginning. Char boundaries, at most a few hundred characters.
fn keep(source: &SourceFile, start: usize, end: usize, spans: &[(usize, usize)]) -> (usize, usize) {
    let points: Vec<usize> = spans
        .iter()
        .flat_map(|&(s, e)| [s, e])
        .filter(|p| (start..=end).contains(p))
        .collect();
    let (lo, hi) = match (points.iter().min(), points.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo, source.clamp(hi.min(lo + WIDTH))),
        _ => (start, start),
    };
    let line = source.text.get(start..end).unwrap_or("");
    // Walk back and forward MARGIN characters, on char boundaries.
    let before = line.get(..lo - start).unwrap_or("");
    let from = before
        .char_indices()
        .rev()
        .nth(MARGIN.saturating_sub(1))
        .map_or(start, |(i, _)| start + i);
    let after = line.get(hi - start..).unwrap_or("");
    let to = after
        .char_indices()
        .nth(MARGIN)
        .map_or(end, |(i, _)| hi + i);
    (source.clamp(from), source.clamp(to).max(source.clamp(from)))
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        let Some(segment) = self
            .segments
            .iter()
            .find(|s| s.from <= start && start <= s.from + s.text.len())
        else {
            return Err(miette::MietteError::OutOfBounds);
        };
        if end > segment.from + segment.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let local = miette::SourceSpan::from((start - segment.from, end - start));
        let inner =
            segment
                .text
                .as_str()
                .read_span(&local, context_lines_before, context_lines_after)?;
        // miette shows the column (in bytes) of a span read without context.
        let column = match &self.file {
            Some(file) if context_lines_before == 0 => {
                let real = segment.unmap(start);
                let (line_start, _) = file.line_range(file.line_index(real), 0);
                real.saturating_sub(line_start)
            }
            _ => inner.column(),
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::from((inner.span().offset() + segment.from, inner.span().len())),
            inner.line() + segment.first,
            column,
            inner.line_count(),
        )))
    }
}

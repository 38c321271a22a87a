//! Reading Markdown as GitHub renders it, for the tests of `qpol diff`:
//! what is outside code spans (live text) and whether tables hold.

/// The Markdown with every code span removed (fences of any length).
pub fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut rest = md;
    while let Some(at) = rest.find('`') {
        out.push_str(&rest[..at]);
        let run = rest[at..].chars().take_while(|c| *c == '`').count();
        let fence = "`".repeat(run);
        let after = &rest[at + run..];
        rest = match after.find(&fence) {
            Some(end) => &after[end + run..],
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// Every row of every table has as many unescaped pipes as the table's
/// header row (a `\|` inside a code span does not split a cell).
pub fn assert_tables_hold(md: &str) {
    let mut header = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let pipes = line.replace("\\|", "").matches('|').count();
        let expected = *header.get_or_insert(pipes);
        assert_eq!(pipes, expected, "table row broken: {line}");
    }
}

//! The words of the language: the keywords that start a statement, the
//! clause words inside statements and the operators of a `where`
//! condition. The parser's recovery, the editor's lexer and completion
//! read them here (a test holds them equal to the grammar's words).

/// The words that start a statement.
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "account",
    "idp",
    "resource_group",
    "instance",
    "role",
    "project",
    "group",
    "user",
    "service_id",
    "audit",
    "assert",
    "allow",
];

/// The operators of a `where` condition.
pub const OPERATOR_KEYWORDS: &[&str] = &[
    "contains",
    "has",
    "equals",
    "not_equals",
    "equals_ignore_case",
    "not_equals_ignore_case",
    "in",
];

/// The other words of the grammar: clauses and modifiers inside statements.
pub const CLAUSE_KEYWORDS: &[&str] = &[
    "existing",
    "members",
    "attributes",
    "limits",
    "where",
    "from",
    "and",
    "on",
    "for",
    "can",
    "cannot",
];

/// The keyword `word` is (a statement, clause or operator word), if it is
/// one.
pub fn keyword(word: &str) -> Option<&'static str> {
    [STATEMENT_KEYWORDS, CLAUSE_KEYWORDS, OPERATOR_KEYWORDS]
        .into_iter()
        .flatten()
        .copied()
        .find(|k| *k == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyword lists and the grammar name the same words: every quoted
    /// word of grammar/qpol.pest (outside comments) is a keyword, and every
    /// keyword is quoted there.
    #[test]
    fn the_keyword_lists_are_the_grammars_words() {
        let grammar = include_str!("../grammar/qpol.pest");
        let mut quoted = std::collections::BTreeSet::new();
        for line in grammar.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, part) in code.split('"').enumerate() {
                if i % 2 == 1
                    && !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    && part != "_"
                {
                    quoted.insert(part);
                }
            }
        }
        let listed: std::collections::BTreeSet<&str> =
            [STATEMENT_KEYWORDS, CLAUSE_KEYWORDS, OPERATOR_KEYWORDS]
                .concat()
                .into_iter()
                .collect();
        assert_eq!(quoted, listed);
        assert_eq!(keyword("members"), Some("members"));
        assert_eq!(keyword("ml"), None);
    }
}

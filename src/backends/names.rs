//! Names the cloud constrains, derived from policy names: Terraform resource
//! names, IAM custom-role names and display names. Derivation is stable (the
//! same policy name always gives the same result) and collision-free within
//! a namespace (two policy names never share a derived name).

use std::collections::BTreeSet;

/// Terraform's rule for resource names: `^[A-Za-z_][A-Za-z0-9_-]*$`.
pub fn is_terraform_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A Terraform name for a policy name: the name itself when it is valid
/// (`QR-ml` and `QR_ml` stay distinct); otherwise each invalid character
/// becomes `_`, a leading digit gets a `_` before it, and a hash of the
/// original is appended so that `a.b` and `a_b` cannot meet.
pub fn terraform_name(name: &str) -> String {
    if is_terraform_name(name) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 10);
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    {
        out.push('_');
    }
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
    out.push_str(&format!("_{:08x}", stable_hash(name)));
    out
}

/// The IAM name of a custom role: `^[A-Z][A-Za-z0-9]{0,29}$`. `writer`
/// becomes `QiskitWriter`, `ml-reader` `QiskitMlReader`.
pub fn iam_role_name(name: &str) -> String {
    let mut out = String::from("Qiskit");
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out.truncate(30);
    out
}

/// The display name of a custom role that does not set one: `Qiskit writer`.
pub fn role_display_name(name: &str) -> String {
    let mut out = format!("Qiskit {name}");
    truncate_chars(&mut out, 50);
    out
}

/// FNV-1a: a hash that never changes between runs, machines or versions.
pub fn stable_hash(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn truncate_chars(text: &mut String, max: usize) {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
    }
}

/// One namespace of derived names. Names are claimed in a deterministic
/// order (callers sort by policy name); a name already taken gets the first
/// free suffix `_2`, `_3`, ... (cut to `max_len` characters first).
#[derive(Debug, Default)]
pub struct Namespace {
    taken: BTreeSet<String>,
    separator: &'static str,
    max_len: Option<usize>,
}

impl Namespace {
    pub fn new(separator: &'static str, max_len: Option<usize>) -> Namespace {
        Namespace {
            taken: BTreeSet::new(),
            separator,
            max_len,
        }
    }

    /// Reserve a name as it is (an explicit name the user wrote); false if
    /// it is already taken.
    pub fn reserve(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_string())
    }

    /// The wanted name, or the first free variant of it.
    pub fn claim(&mut self, wanted: &str) -> String {
        if self.taken.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        for n in 2.. {
            let suffix = format!("{}{n}", self.separator);
            let mut base = wanted.to_string();
            if let Some(max) = self.max_len {
                truncate_chars(&mut base, max.saturating_sub(suffix.chars().count()));
            }
            let candidate = format!("{base}{suffix}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        wanted.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_terraform_names_are_kept_and_invalid_ones_stay_distinct() {
        assert_eq!(terraform_name("QR-ml"), "QR-ml");
        assert_eq!(terraform_name("QR_ml"), "QR_ml");
        let dotted = terraform_name("a.b");
        assert!(is_terraform_name(&dotted));
        assert_ne!(dotted, terraform_name("a_b"));
        assert!(is_terraform_name(&terraform_name("7lab")));
        assert!(is_terraform_name(&terraform_name("ü")));
    }

    #[test]
    fn role_names_match_iam_pattern() {
        assert_eq!(iam_role_name("writer"), "QiskitWriter");
        assert_eq!(iam_role_name("ml-reader"), "QiskitMlReader");
        assert_eq!(iam_role_name(&"x".repeat(100)).len(), 30);
        assert_eq!(role_display_name("writer"), "Qiskit writer");
    }

    #[test]
    fn namespace_suffixes_collisions_within_the_length_limit() {
        let mut ns = Namespace::new("", Some(6));
        assert_eq!(ns.claim("Qiskit"), "Qiskit");
        assert_eq!(ns.claim("Qiskit"), "Qiski2");
        assert_eq!(ns.claim("Qiskit"), "Qiski3");
        let mut tf = Namespace::new("_", None);
        assert!(tf.reserve("a_b_c"));
        assert_eq!(tf.claim("a_b_c"), "a_b_c_2");
    }
}

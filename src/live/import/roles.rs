//! Custom roles of `quantum-computing` -> `role`: the IAM name kept in
//! `iam_name`, the qpol name derived from it, the display name, the
//! description without qpol's marker and the actions without the service
//! prefix. Roles of other services, or with actions qpol does not know,
//! are comments.

use super::draft::{strip_marker, Ctx, Section, QISKIT};
use super::escape::{make_ident, quote, shown};
use super::Key;
use crate::backends::names::Namespace;
use crate::live::account::Role;
use crate::model::actions;
use std::collections::BTreeSet;

impl<'a> Ctx<'a> {
    pub(super) fn roles(&mut self) {
        let a = self.account;
        let mut sorted: Vec<&'a Role> = a.roles.iter().collect();
        sorted.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        let mut names = Namespace::new("-", Some(100));
        let mut iam_names = BTreeSet::new();
        for r in sorted {
            match self.role(r, &mut names, &mut iam_names) {
                Ok((name, text)) => {
                    self.roles.insert(r.crn.as_str(), name.clone());
                    self.chunk(Section::Role, &name, Key::Role(r.id.clone()), text);
                }
                Err(why) => self.comment("custom role", &r.name, why, r),
            }
        }
    }

    fn role(
        &mut self,
        r: &'a Role,
        names: &mut Namespace,
        iam_names: &mut BTreeSet<&'a str>,
    ) -> Result<(String, String), String> {
        if let Some(why) = self.demoted(&Key::Role(r.id.clone())) {
            return Err(why);
        }
        if r.service_name != QISKIT {
            return Err(format!(
                "it is a role of {}, a service qpol does not manage",
                shown(&r.service_name)
            ));
        }
        if !is_iam_role_name(&r.name) || !iam_names.insert(r.name.as_str()) {
            return Err("its IAM name is not one qpol can declare".into());
        }
        let mut acts = Vec::with_capacity(r.actions.len());
        for action in &r.actions {
            let short = action
                .strip_prefix("quantum-computing.")
                .filter(|a| actions::is_known(a))
                .ok_or_else(|| {
                    format!(
                        "its action {} is not a Qiskit Runtime action qpol knows",
                        shown(action)
                    )
                })?;
            acts.push(short);
        }
        if acts.is_empty() {
            return Err("it has no action".into());
        }
        let display = r.display_name.chars().count();
        if !(1..=50).contains(&display) {
            return Err("its display name is not 1 to 50 characters".into());
        }
        let description = strip_marker(r.description.as_deref());
        if description.is_some_and(|d| d.chars().count() > 250) {
            return Err("its description is longer than 250 characters".into());
        }
        let name = names.claim(&role_name(&r.name));
        let mut items = vec![
            format!("iam_name {}", r.name),
            format!("display_name {}", quote(&r.display_name)),
        ];
        if let Some(d) = description {
            items.push(format!("description {}", quote(d)));
        }
        items.push(format!("actions {}", acts.join(", ")));
        Ok((
            name.clone(),
            format!("role {name} {{ {}; }}", items.join("; ")),
        ))
    }
}

/// IAM's custom role names: `^[A-Z][A-Za-z0-9]{0,29}$`.
fn is_iam_role_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && name.len() <= 30
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// The qpol name of a custom role, from its IAM name: `QiskitWriter` ->
/// `writer`, `QiskitMlReader` -> `ml-reader`, `RuntimeUser` -> `runtime-user`.
pub fn role_name(iam_name: &str) -> String {
    let rest = iam_name
        .strip_prefix("Qiskit")
        .filter(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(iam_name);
    let mut out = String::with_capacity(rest.len() + 4);
    for c in rest.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    make_ident(&out, "role")
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_names_come_from_iam_names() {
        assert_eq!(super::role_name("QiskitWriter"), "writer");
        assert_eq!(super::role_name("QiskitMlReader"), "ml-reader");
        assert_eq!(super::role_name("QiskitRuntimeUser"), "runtime-user");
        assert_eq!(super::role_name("CosReader"), "cos-reader");
        assert_eq!(super::role_name("Qiskit"), "qiskit");
        assert_eq!(super::role_name("Qiskit2go"), "qiskit2go");
        assert!(super::is_iam_role_name("QiskitWriter"));
        assert!(!super::is_iam_role_name("qiskitWriter"));
        assert!(!super::is_iam_role_name(&format!("Q{}", "x".repeat(30))));
    }
}

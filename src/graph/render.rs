//! Writing a [`Picture`] as Graphviz DOT or a Mermaid flowchart, node by
//! node and edge by edge (nothing is held but the findings to colour).
//!
//! Node ids are made by qpol (`unit3`, `rule0`): no name of the policy is
//! ever an id. Every label goes through the target's escaping: in DOT a
//! quoted string (`\` and `"` escaped; qpol uses no HTML-like labels, so
//! `<` and `>` are plain text), in Mermaid a quoted label where everything
//! but letters, digits and a few safe signs is an entity code (`#34;`), so
//! a name like `a"];click x call alert(1)` stays text. Control and hidden
//! characters are first shown as `\u{XXXX}`.

use super::{Edge, Mark, Node, Picture, Relation};
use crate::diag::escape;
use crate::model::AttrValue;
use std::io::{self, Write};

/// The graph languages `qpol graph --to` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Dot,
    Mermaid,
}

/// The colour of findings (overlaps, cycles).
const RED: &str = "#d00000";

/// Write the picture (only the nodes `kept` marks, and the edges between
/// them, when focused).
pub fn write(
    picture: &Picture<'_>,
    language: Language,
    kept: Option<&[bool]>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let keep = |n: Node| kept.is_none_or(|k| k.get(picture.dense(n)).copied().unwrap_or(false));
    match language {
        Language::Dot => write_dot(picture, &keep, out),
        Language::Mermaid => write_mermaid(picture, &keep, out),
    }
}

fn write_dot(
    picture: &Picture<'_>,
    keep: &dyn Fn(Node) -> bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(
        b"digraph qpol {\n  graph [rankdir=LR, fontname=\"Helvetica\"];\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    )?;
    for node in picture.nodes().filter(|n| keep(*n)) {
        let label: Vec<String> = node_label(picture, node)
            .iter()
            .map(|l| dot_text(l))
            .collect();
        writeln!(
            out,
            "  {} [label=\"{}\", shape={}{}];",
            id(node),
            label.join("\\n"),
            dot_shape(picture, node),
            dot_mark(picture.node_mark(node))
        )?;
    }
    each_edge(picture, keep, &mut |edge| {
        writeln!(
            out,
            "  {} -> {} [label=\"{}\"{}];",
            id(edge.from),
            id(edge.to),
            dot_text(&edge_label(picture, &edge)),
            dot_mark(edge.mark)
        )
    })?;
    out.write_all(b"}\n")
}

fn write_mermaid(
    picture: &Picture<'_>,
    keep: &dyn Fn(Node) -> bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(b"flowchart LR\n")?;
    let mut marked_nodes: Vec<(Mark, String)> = Vec::new();
    for node in picture.nodes().filter(|n| keep(*n)) {
        let label: Vec<String> = node_label(picture, node)
            .iter()
            .map(|l| mermaid_text(l))
            .collect();
        let (open, close) = mermaid_shape(picture, node);
        writeln!(out, "  {}{open}\"{}\"{close}", id(node), label.join("<br>"))?;
        let mark = picture.node_mark(node);
        if mark != Mark::Plain {
            marked_nodes.push((mark, id(node)));
        }
    }
    let mut count = 0usize;
    let mut marked_edges: Vec<(Mark, usize)> = Vec::new();
    each_edge(picture, keep, &mut |edge| {
        if edge.mark != Mark::Plain {
            marked_edges.push((edge.mark, count));
        }
        count += 1;
        writeln!(
            out,
            "  {} -->|\"{}\"| {}",
            id(edge.from),
            mermaid_text(&edge_label(picture, &edge)),
            id(edge.to)
        )
    })?;
    for (mark, class, style) in [
        (Mark::Finding, "finding", ""),
        (Mark::Acknowledged, "acknowledged", ",stroke-dasharray:4 4"),
    ] {
        let nodes: Vec<&str> = marked_nodes
            .iter()
            .filter(|(m, _)| *m == mark)
            .map(|(_, n)| n.as_str())
            .collect();
        if !nodes.is_empty() {
            writeln!(
                out,
                "  classDef {class} stroke:{RED},stroke-width:2px,color:{RED}{style}"
            )?;
            writeln!(out, "  class {} {class}", nodes.join(","))?;
        }
        let edges: Vec<String> = marked_edges
            .iter()
            .filter(|(m, _)| *m == mark)
            .map(|(_, n)| n.to_string())
            .collect();
        if !edges.is_empty() {
            writeln!(
                out,
                "  linkStyle {} stroke:{RED},stroke-width:2px,color:{RED}{style}",
                edges.join(",")
            )?;
        }
    }
    Ok(())
}

/// Every edge between kept nodes, until `write` fails.
fn each_edge(
    picture: &Picture<'_>,
    keep: &dyn Fn(Node) -> bool,
    write: &mut dyn FnMut(Edge) -> io::Result<()>,
) -> io::Result<()> {
    let mut result = Ok(());
    picture.edges(&mut |edge| {
        if result.is_ok() && keep(edge.from) && keep(edge.to) {
            result = write(edge);
        }
    });
    result
}

/// qpol's id of a node: a kind and a number, never a name of the policy.
pub fn id(node: Node) -> String {
    match node {
        Node::Idp(i) => format!("idp{i}"),
        Node::Rule(i) => format!("rule{i}"),
        Node::User(i) => format!("user{i}"),
        Node::ServiceId(i) => format!("sid{i}"),
        Node::Literal(i) => format!("member{i}"),
        Node::Unit(i) => format!("unit{i}"),
        Node::Role(i) => format!("role{i}"),
        Node::Instance(i) => format!("inst{i}"),
        Node::ResourceGroup(i) => format!("rg{i}"),
    }
}

/// A node's label, line by line, unescaped.
pub fn node_label(picture: &Picture<'_>, node: Node) -> Vec<String> {
    let model = picture.model();
    let name = picture.name(node).unwrap_or_default();
    let title = format!("{} {name}", picture.kind(node));
    match node {
        Node::Idp(i) => {
            let Some(idp) = model.idps.get(i) else {
                return vec![title];
            };
            let mut about = idp.kind.to_string();
            if let Some(region) = &idp.region {
                about.push_str(&format!(", {region}"));
            }
            vec![title, about]
        }
        Node::Rule(r) => {
            let rule = picture
                .rules
                .get(r)
                .and_then(|&(u, s, r)| picture.rule(u, s, r));
            let conditions: Vec<String> = rule
                .iter()
                .flat_map(|r| &r.conditions)
                .map(|c| c.describe())
                .collect();
            vec!["rule".to_string(), conditions.join(" and ")]
        }
        Node::User(i) => {
            let mut lines = vec![title];
            if let Some(user) = model.users.get(i) {
                lines.extend(user.attributes.iter().map(|(k, v)| match &v.value {
                    AttrValue::Str(s) => format!("{k} {s:?}"),
                    AttrValue::List(l) => format!("{k} {l:?}"),
                }));
            }
            lines
        }
        Node::Role(i) => {
            let actions = model.roles.get(i).map_or(0, |r| r.actions.len());
            vec![title, plural(actions, "action")]
        }
        Node::Instance(i) => {
            let Some(instance) = model.instances.get(i) else {
                return vec![title];
            };
            let about: Vec<&str> = [&instance.plan, &instance.region]
                .into_iter()
                .flatten()
                .map(|v| v.value.as_str())
                .collect();
            if about.is_empty() {
                vec![title]
            } else {
                vec![title, about.join(", ")]
            }
        }
        Node::ServiceId(_) | Node::Literal(_) | Node::Unit(_) | Node::ResourceGroup(_) => {
            vec![title]
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// What an edge says, unescaped.
pub fn edge_label(picture: &Picture<'_>, edge: &Edge) -> String {
    let model = picture.model();
    match edge.relation {
        Relation::RuleOf => "rule".to_string(),
        Relation::Admits => "admits".to_string(),
        Relation::AlsoAdmits if edge.mark == Mark::Acknowledged => {
            "also admits (Q201, allowed)".to_string()
        }
        Relation::AlsoAdmits => "also admits (Q201)".to_string(),
        Relation::Matches => "matches".to_string(),
        Relation::Member => "member".to_string(),
        Relation::Includes if edge.mark == Mark::Finding => "includes (cycle, Q211)".to_string(),
        Relation::Includes => "includes".to_string(),
        Relation::Grants => "members get".to_string(),
        Relation::Scopes => {
            let Node::Unit(unit) = edge.from else {
                return "scopes".to_string();
            };
            let roles: Vec<String> = picture
                .unit_roles(unit)
                .into_iter()
                .filter_map(|r| model.roles.get(r))
                .map(|r| format!("{}: {}", r.name.value, plural(r.actions.len(), "action")))
                .collect();
            match roles.len() {
                0 => "scopes".to_string(),
                1 => format!("role {}", roles.join("")),
                _ => format!("roles {}", roles.join(", ")),
            }
        }
        Relation::Holds => "holds".to_string(),
    }
}

fn dot_shape(picture: &Picture<'_>, node: Node) -> &'static str {
    match node {
        Node::Idp(_) => "component",
        Node::Rule(_) => "note",
        Node::User(_) | Node::Literal(_) => "ellipse",
        Node::ServiceId(_) => "egg",
        Node::Unit(u) if picture.is_group(u) => "folder",
        Node::Unit(_) => "box",
        Node::Role(_) => "parallelogram",
        Node::Instance(_) => "cylinder",
        Node::ResourceGroup(_) => "tab",
    }
}

fn dot_mark(mark: Mark) -> String {
    match mark {
        Mark::Plain => String::new(),
        Mark::Finding => format!(", color=\"{RED}\", fontcolor=\"{RED}\", penwidth=2"),
        Mark::Acknowledged => format!(", color=\"{RED}\", fontcolor=\"{RED}\", style=dashed"),
    }
}

fn mermaid_shape(picture: &Picture<'_>, node: Node) -> (&'static str, &'static str) {
    match node {
        Node::Idp(_) => ("[[", "]]"),
        Node::Rule(_) => ("{{", "}}"),
        Node::User(_) | Node::Literal(_) | Node::ServiceId(_) => ("([", "])"),
        Node::Unit(u) if picture.is_group(u) => ("(", ")"),
        Node::Unit(_) => ("[", "]"),
        Node::Role(_) => ("[/", "/]"),
        Node::Instance(_) => ("[(", ")]"),
        Node::ResourceGroup(_) => ("[", "]"),
    }
}

/// Text for the inside of a DOT quoted string.
pub fn dot_text(text: &str) -> String {
    let text = escape::inline(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Text for the inside of a Mermaid quoted label: letters, digits and a
/// few signs as they are, everything else as an entity code (`#34;`).
pub fn mermaid_text(text: &str) -> String {
    let text = escape::inline(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || " -_.,:/=+*@'()!?".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("#{};", u32::from(c)));
        }
    }
    out
}

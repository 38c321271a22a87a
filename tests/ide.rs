//! Editor queries (src/ide) on a small two-file policy: what is under the
//! cursor, hovers (snapshots), definition, references, rename, symbols and
//! completion; and no query panics at any offset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::{FileId, Span};
use qpol::ide::{self, CompletionKind, RenameError, SymbolKind, TargetKind};
use qpol::model::Named;
use qpol::pipeline::Analysis;
use qpol::Policy;

const A: &str = r#"# a.qpol: what is shared
idp corp { kind appid; region us-south; attribute project, team; }
resource_group quantum;
instance QR-ml { plan standard; region us-east; resource_group quantum; }
instance QR-chem { plan standard; region us-east; resource_group quantum; }
instance QR-common { plan lite; region us-east; resource_group quantum; }
role writer { description "Run *and* <read> jobs"; actions job.create, job.read, job.delete; }
role viewer { actions job.read; }
"#;

const B: &str = r#"# b.qpol: who gets what
project ml { instances QR-ml, QR-common; members from corp where project contains "ml"; role writer; }
project chemlab { instances QR-chem; members where project equals "chemlab"; role viewer; }
group research { projects ml; members user Fatima; role viewer; }
user Fatima { idp corp; email "fatima@example.com"; attributes { project "ml" } }
user Chen { idp corp; attributes { project "chemlab" } }
assert Fatima can job.create on QR-ml;
"#;

const FA: FileId = FileId(0);
const FB: FileId = FileId(1);

fn analysis() -> Analysis {
    Analysis::new(Policy::from_texts([("a.qpol", A), ("b.qpol", B)]))
}

/// Offset of the `n`-th (0-based) occurrence of `needle` in `text`, plus `k`.
fn at(text: &str, needle: &str, n: usize, k: usize) -> usize {
    text.match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("no {n}th `{needle}`"))
        .0
        + k
}

fn slice(a: &Analysis, span: Span) -> String {
    a.sources.get(span.file).unwrap().slice(span).to_string()
}

fn index_of(a: &Analysis, named: &str) -> Named {
    let m = &a.model;
    if let Some(i) = m.instances.iter().position(|x| x.name.value == named) {
        return Named::Instance(i);
    }
    if let Some(i) = m.units.iter().position(|x| x.name.value == named) {
        return Named::Unit(i);
    }
    if let Some(i) = m.users.iter().position(|x| x.name.value == named) {
        return Named::User(i);
    }
    if let Some(i) = m.roles.iter().position(|x| x.name.value == named) {
        return Named::Role(i);
    }
    if let Some(i) = m.idps.iter().position(|x| x.name.value == named) {
        return Named::Idp(i);
    }
    panic!("no {named}")
}

#[test]
fn the_policy_checks_with_one_planted_overlap() {
    let a = analysis();
    let codes: Vec<&str> = a.diagnostics.iter().map(|d| d.code.id()).collect();
    assert!(codes.contains(&"Q201"), "{codes:?}");
    assert_eq!(a.errors(), 1);
}

#[test]
fn at_names_what_is_under_the_cursor() {
    let a = analysis();
    // A declaration, from its first to its last character.
    let decl = at(A, "QR-ml", 0, 0);
    for k in [0, 3, 5] {
        let t = ide::at(&a, FA, decl + k).unwrap();
        assert_eq!(t.kind, TargetKind::Declaration(index_of(&a, "QR-ml")));
        assert_eq!(slice(&a, t.span), "QR-ml");
    }
    // References in the other file.
    let t = ide::at(&a, FB, at(B, "QR-ml", 0, 1)).unwrap();
    assert_eq!(t.kind, TargetKind::Reference(index_of(&a, "QR-ml")));
    let t = ide::at(&a, FB, at(B, "from corp", 0, 6)).unwrap();
    assert_eq!(t.kind, TargetKind::Reference(index_of(&a, "corp")));
    let t = ide::at(&a, FB, at(B, "user Fatima", 0, 7)).unwrap();
    assert_eq!(t.kind, TargetKind::Reference(index_of(&a, "Fatima")));
    assert_eq!(slice(&a, t.span), "Fatima");
    let t = ide::at(&a, FB, at(B, "projects ml", 0, 10)).unwrap();
    assert_eq!(t.kind, TargetKind::Reference(index_of(&a, "ml")));
    // An action, a rule value, an attribute, a keyword.
    let t = ide::at(&a, FA, at(A, "job.delete", 0, 2)).unwrap();
    assert_eq!(t.kind, TargetKind::Action("job.delete".into()));
    let t = ide::at(&a, FB, at(B, "\"ml\"", 0, 1)).unwrap();
    assert!(
        matches!(t.kind, TargetKind::RuleValue { condition: 0, .. }),
        "{t:?}"
    );
    assert_eq!(slice(&a, t.span), "\"ml\"");
    let t = ide::at(&a, FB, at(B, "where project", 0, 8)).unwrap();
    assert_eq!(
        t.kind,
        TargetKind::Attribute {
            idp: Some(0),
            name: "project".into()
        }
    );
    let t = ide::at(&a, FB, at(B, "contains", 0, 3)).unwrap();
    assert_eq!(t.kind, TargetKind::Keyword("contains"));
    // Nothing in a comment, a string that is no rule value, or whitespace.
    assert_eq!(ide::at(&a, FB, at(B, "who gets", 0, 1)), None);
    assert_eq!(ide::at(&a, FA, at(A, "*and*", 0, 1)), None);
    assert_eq!(ide::at(&a, FA, at(A, "{ kind", 0, 0)), None);
    assert_eq!(ide::at(&a, FileId(7), 0), None);
}

#[test]
fn hover_on_a_user_explains_each_grant() {
    let a = analysis();
    let h = ide::hover(&a, FB, at(B, "user Fatima {", 0, 6)).unwrap();
    assert_eq!(slice(&a, h.span), "Fatima");
    insta::assert_snapshot!("hover_user_fatima", h.markdown);
    // The user admitted by accident: the same explanation `qpol test` gives.
    let h = ide::hover(&a, FB, at(B, "user Chen", 0, 6)).unwrap();
    assert!(
        h.markdown
            .contains("matches rule \\`project contains \"ml\"\\` of project ml"),
        "{}",
        h.markdown
    );
    insta::assert_snapshot!("hover_user_chen", h.markdown);
}

#[test]
fn hover_on_an_instance_says_who_can_use_it() {
    let a = analysis();
    let h = ide::hover(&a, FA, at(A, "QR-ml", 0, 1)).unwrap();
    // Chen (project chemlab) gets QR-ml only because `ml` is in `chemlab`.
    assert!(
        h.markdown.contains("**only through an overlap**\n\n- users of project `chemlab`, admitted by rule `project contains \"ml\"` of project `ml` (error, Q201)\n"),
        "{}",
        h.markdown
    );
    insta::assert_snapshot!("hover_instance", h.markdown);
}

#[test]
fn hover_on_an_instance_names_its_overlaps_and_findings() {
    let text = "idp corp { kind appid; region us-south; attribute project; }\n\
        instance QR-ml { plan lite; region us-east; }\n\
        instance QR-common { plan lite; region us-east; }\n\
        instance QR-chem { plan lite; region us-east; }\n\
        instance QR-idle { plan lite; region us-east; }\n\
        project ml { instances QR-ml, QR-common; members where project contains \"ml\"; role writer; }\n\
        project chemlab { instances QR-chem, QR-common; members where project equals \"chemlab\"; role writer; }\n";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
    let f = FileId(0);
    let hover = |name: &str| ide::hover(&a, f, at(text, name, 0, 1)).unwrap().markdown;
    // QR-ml: chemlab's users get it only through ml's rule.
    let ml = hover("QR-ml {");
    assert!(ml.contains("- users of project `chemlab`, admitted by rule `project contains \"ml\"` of project `ml` (error, Q201)"), "{ml}");
    assert!(
        ml.contains("**findings about it**\n\n- error, Q201: rule"),
        "{ml}"
    );
    // QR-common: chemlab's users have it anyway; the finding is still named.
    let common = hover("QR-common {");
    assert!(!common.contains("only through an overlap"), "{common}");
    assert!(common.contains("- error, Q201: rule"), "{common}");
    // QR-chem: nothing about it.
    let chem = hover("QR-chem {");
    assert!(
        !chem.contains("overlap") && !chem.contains("findings"),
        "{chem}"
    );
    // QR-idle: the finding inside its declaration (no project uses it).
    let idle = hover("QR-idle {");
    assert!(
        idle.contains("**findings about it**\n\n- warning, Q213: "),
        "{idle}"
    );
    insta::assert_snapshot!("hover_instance_findings", ml);
}

#[test]
fn hover_on_a_rule_value_names_the_projects_it_also_admits() {
    let a = analysis();
    let h = ide::hover(&a, FB, at(B, "\"ml\"", 0, 1)).unwrap();
    assert!(h.markdown.contains("project `chemlab`"), "{}", h.markdown);
    insta::assert_snapshot!("hover_rule_value", h.markdown);
    let h = ide::hover(&a, FB, at(B, "\"chemlab\"", 0, 1)).unwrap();
    assert!(
        h.markdown.contains("admits the users of no other project"),
        "{}",
        h.markdown
    );
}

#[test]
fn hover_on_an_action_and_a_role() {
    let a = analysis();
    let h = ide::hover(&a, FA, at(A, "job.delete", 0, 0)).unwrap();
    insta::assert_snapshot!("hover_action", h.markdown);
    let h = ide::hover(&a, FB, at(B, "role writer", 0, 6)).unwrap();
    // The description is user text: escaped.
    assert!(
        h.markdown.contains("Run \\*and\\* \\<read\\> jobs"),
        "{}",
        h.markdown
    );
    insta::assert_snapshot!("hover_role", h.markdown);
    let h = ide::hover(&a, FB, at(B, "contains", 0, 0)).unwrap();
    assert!(
        h.markdown.starts_with("**contains**\n\nIAM `CONTAINS`"),
        "{}",
        h.markdown
    );
    assert_eq!(ide::hover(&a, FB, at(B, "project ml", 0, 0)), None);
}

#[test]
fn hover_escapes_backticks_in_rule_values() {
    let text = "idp corp { kind appid; region us-south; attribute project; }\n\
        instance QR { plan lite; region us-east; }\n\
        project p { instances QR; members where project equals \"a`b\"; role reader; }\n";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
    let h = ide::hover(&a, FileId(0), at(text, "a`b", 0, 0)).unwrap();
    assert!(
        h.markdown.contains("``project equals \"a`b\"``"),
        "{}",
        h.markdown
    );
}

#[test]
fn definition_jumps_across_files() {
    let a = analysis();
    let cases = [
        (FB, at(B, "QR-ml", 0, 2), "QR-ml", FA),
        (FB, at(B, "from corp", 0, 5), "corp", FA),
        (FB, at(B, "role writer", 0, 5), "writer", FA),
        (FB, at(B, "user Fatima", 0, 5), "Fatima", FB),
        (FB, at(B, "projects ml", 0, 9), "ml", FB),
        (FB, at(B, "where project", 0, 6), "project", FA),
        (FB, at(B, "Fatima can", 0, 0), "Fatima", FB),
    ];
    for (file, offset, name, in_file) in cases {
        let span = ide::definition(&a, file, offset).unwrap_or_else(|| panic!("{name}"));
        assert_eq!((slice(&a, span), span.file), (name.to_string(), in_file));
    }
    let decl = ide::definition(&a, FB, at(B, "QR-ml", 0, 0)).unwrap();
    assert_eq!(decl.start(), at(A, "QR-ml", 0, 0));
    assert_eq!(ide::definition(&a, FA, at(A, "job.read", 0, 0)), None);
}

#[test]
fn references_across_files_with_and_without_the_declaration() {
    let a = analysis();
    let refs = ide::references(&a, FA, at(A, "QR-ml", 0, 0), false);
    let found: Vec<(FileId, usize)> = refs.iter().map(|s| (s.file, s.start())).collect();
    assert_eq!(
        found,
        [(FB, at(B, "QR-ml", 0, 0)), (FB, at(B, "QR-ml", 1, 0))]
    );
    let with = ide::references(&a, FB, at(B, "QR-ml", 1, 0), true);
    assert_eq!(with.len(), 3);
    assert_eq!(with[0].file, FA);
    // Every occurrence is the name itself.
    for span in &with {
        assert_eq!(slice(&a, *span), "QR-ml");
    }
    let fatima = ide::references(&a, FB, at(B, "Fatima", 0, 0), true);
    assert_eq!(fatima.len(), 3, "member, declaration, assertion");
    let action = ide::references(&a, FA, at(A, "job.read", 0, 0), true);
    assert_eq!(action.len(), 2, "two roles name job.read");
    let project = ide::references(&a, FB, at(B, "where project", 0, 6), true);
    assert_eq!(
        project.len(),
        5,
        "declared once, tested by two rules, given to two users"
    );
    let user_key = at(B, "{ project \"ml\" }", 0, 3);
    assert_eq!(ide::references(&a, FB, user_key, true), project);
    assert_eq!(
        ide::definition(&a, FB, user_key).map(|s| s.start()),
        Some(at(A, "project, team", 0, 0))
    );
}

/// Apply edits to the two texts.
fn apply(edits: &[(FileId, Span, String)]) -> (String, String) {
    let mut texts = [A.to_string(), B.to_string()];
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.1));
    for (file, span, new) in sorted {
        texts[file.0 as usize].replace_range(span.start()..span.end(), &new);
    }
    let [a, b] = texts;
    (a, b)
}

#[test]
fn rename_edits_every_declaration_and_reference() {
    let a = analysis();
    let edits = ide::rename(&a, FB, at(B, "QR-ml", 0, 0), "QR-ai").unwrap();
    assert_eq!(edits.len(), 3);
    let (new_a, new_b) = apply(&edits);
    assert!(!new_a.contains("QR-ml") && !new_b.contains("QR-ml"));
    let renamed = Analysis::new(Policy::from_texts([
        ("a.qpol", new_a.as_str()),
        ("b.qpol", new_b.as_str()),
    ]));
    assert_eq!(renamed.diagnostics.len(), a.diagnostics.len());
    assert!(renamed.model.instance_by_name("QR-ai").is_some());
    // A user: the member, the declaration, the assertion.
    let edits = ide::rename(&a, FB, at(B, "Fatima can", 0, 0), "Fatou").unwrap();
    let (_, new_b) = apply(&edits);
    assert_eq!(new_b.matches("Fatou").count(), 3);
    assert!(!new_b.contains("Fatima"));
    // An idp named in `from` and in users.
    let edits = ide::rename(&a, FA, at(A, "corp", 0, 0), "staff").unwrap();
    let (new_a, new_b) = apply(&edits);
    assert!(new_a.contains("idp staff") && new_b.contains("from staff"));
    assert_eq!(new_b.matches("idp staff").count(), 2);
}

#[test]
fn rename_reaches_acknowledgements_and_skips_implicit_references() {
    let text = "idp corp { kind appid; region us-south; attribute project; }\n\
        instance QR { plan lite; region us-east; }\n\
        project ml { instances QR; members where project contains \"ml\"; role reader; }\n\
        project chemlab { instances QR; members where project equals \"chemlab\"; role reader; }\n\
        user u { attributes { project \"ml\" } }\n\
        allow Q201 on project ml for project chemlab \"reviewed\";\n";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
    let f = FileId(0);
    let edits = ide::rename(&a, f, at(text, "chemlab {", 0, 0), "chem").unwrap();
    let starts: Vec<usize> = edits.iter().map(|e| e.1.start()).collect();
    assert_eq!(
        starts,
        [at(text, "chemlab {", 0, 0), at(text, "chemlab \"", 0, 0)]
    );
    // The user and the rules use the only idp without naming it: only its
    // declaration is renamed.
    let edits = ide::rename(&a, f, at(text, "corp", 0, 0), "staff").unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].1.start(), at(text, "corp", 0, 0));
}

#[test]
fn rename_is_refused_when_a_user_and_a_service_id_would_share_a_name() {
    let text = "instance QR { plan lite; region us-east; }\n\
        project ml { instances QR; members user Fatima, service_id ci; role reader; }\n\
        user Fatima { email \"fatima@example.com\"; }\n\
        service_id ci { iam_id \"iam-ServiceId-1\"; }\n\
        assert Fatima can job.read on QR;\n\
        assert ci can job.read on QR;\n";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
    let f = FileId(0);
    let user = at(text, "Fatima {", 0, 0);
    let sid = at(text, "ci {", 0, 0);
    let err = ide::rename(&a, f, user, "ci").unwrap_err();
    let RenameError::Collision { at: Some(span), .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(span.start(), sid, "the service id's declaration");
    assert_eq!(
        err.to_string(),
        "service id `ci` is already declared (`assert NAME can ...` names a user or a service id, and would mean the user); choose another name"
    );
    let err = ide::rename(&a, f, at(text, "ci can", 0, 0), "Fatima").unwrap_err();
    assert_eq!(
        err.to_string(),
        "user `Fatima` is already declared (`assert NAME can ...` names a user or a service id, and would mean the user); choose another name"
    );
    // Another name is free; a name of another namespace too.
    assert_eq!(ide::rename(&a, f, sid, "deploy").unwrap().len(), 3);
    assert_eq!(ide::rename(&a, f, user, "QR").unwrap().len(), 3);
}

#[test]
fn rename_is_refused_with_a_message() {
    let a = analysis();
    let ml = at(B, "project ml", 0, 8);
    let err = ide::rename(&a, FB, ml, "chemlab").unwrap_err();
    assert!(matches!(err, RenameError::Collision { .. }));
    assert_eq!(
        err.to_string(),
        "project `chemlab` is already declared; choose another name"
    );
    // Projects and groups share a namespace.
    let err = ide::rename(&a, FB, ml, "research").unwrap_err();
    assert_eq!(
        err.to_string(),
        "group `research` is already declared; choose another name"
    );
    // Another namespace is free.
    assert!(ide::rename(&a, FB, ml, "QR-ml").is_ok());
    for bad in ["", "-ml", "m l", "ml\"", "é", &"x".repeat(101)] {
        let err = ide::rename(&a, FB, ml, bad).unwrap_err();
        assert!(
            matches!(err, RenameError::InvalidName(_)),
            "{bad:?}: {err:?}"
        );
    }
    assert!(ide::rename(&a, FB, ml, &"x".repeat(100)).is_ok());
    let err = ide::rename(&a, FB, at(B, "contains", 0, 0), "x").unwrap_err();
    assert_eq!(err, RenameError::NothingToRename);
    assert!(err.to_string().starts_with("nothing to rename here"));
    let err = ide::rename(&a, FA, at(A, "job.read", 0, 0), "x").unwrap_err();
    assert_eq!(err, RenameError::NothingToRename);
}

#[test]
fn a_built_in_role_is_not_renamed() {
    let text = "instance QR { plan lite; region us-east; }\nproject p { instances QR; members user \"a@b.c\"; role reader; }\n";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
    let err = ide::rename(&a, FileId(0), at(text, "reader", 0, 1), "r2").unwrap_err();
    assert_eq!(err, RenameError::BuiltIn("reader".into()));
    assert_eq!(
        ide::definition(&a, FileId(0), at(text, "reader", 0, 1)),
        None
    );
    assert_eq!(
        ide::references(&a, FileId(0), at(text, "reader", 0, 1), true).len(),
        1
    );
}

#[test]
fn document_symbols_outline_a_file() {
    let a = analysis();
    let outline: Vec<String> = ide::document_symbols(&a, FB)
        .iter()
        .map(|s| {
            let children: Vec<String> = s
                .children
                .iter()
                .map(|c| format!("{:?} {}", c.kind, c.name))
                .collect();
            format!(
                "{:?} {} [{}] {}",
                s.kind,
                s.name,
                slice(&a, s.selection),
                children.join("; ")
            )
        })
        .collect();
    insta::assert_snapshot!("document_symbols", outline.join("\n"));
    let idp = ide::document_symbols(&a, FA)
        .into_iter()
        .find(|s| s.kind == SymbolKind::Idp)
        .unwrap();
    let attributes: Vec<&str> = idp.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(attributes, ["project", "team"]);
}

#[test]
fn workspace_symbols_match_and_order_deterministically() {
    let a = analysis();
    let found: Vec<(String, SymbolKind)> = ide::workspace_symbols(&a, "ML")
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("ml".to_string(), SymbolKind::Project),
            ("QR-ml".to_string(), SymbolKind::Instance),
            ("chemlab".to_string(), SymbolKind::Project),
        ]
    );
    let all = ide::workspace_symbols(&a, "");
    assert_eq!(all.len(), 12);
    let many: String = (0..300)
        .map(|i| format!("instance QR-{i} {{ plan lite; region us-east; }}\n"))
        .collect();
    let big = Analysis::new(Policy::from_texts([("p.qpol", many.as_str())]));
    let capped = ide::workspace_symbols(&big, "qr");
    assert_eq!(capped.len(), 100);
    assert_eq!(capped, ide::workspace_symbols(&big, "qr"));
}

/// The labels offered at the `|` of `text` (removed before analysis),
/// written after the statements of b.qpol.
fn offered(text: &str) -> Vec<String> {
    let offset = B.len() + text.find('|').unwrap();
    let text = format!("{B}{}", text.replacen('|', "", 1));
    let a = Analysis::new(Policy::from_texts([
        ("a.qpol", A),
        ("b.qpol", text.as_str()),
    ]));
    ide::complete(&a, FB, offset)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

#[test]
fn completion_offers_what_fits_the_place() {
    let statements = offered("project x { instances QR-ml; role writer; }\n|");
    assert_eq!(statements[0], "account");
    assert!(statements.contains(&"assert".to_string()) && statements.len() == 12);
    assert_eq!(
        offered("project x { |"),
        [
            "instances",
            "resource_group",
            "role",
            "description",
            "members"
        ]
    );
    assert_eq!(offered("group x { role viewer; p| }")[0], "projects");
    assert_eq!(
        offered("project x { instances |"),
        ["QR-chem", "QR-common", "QR-ml"]
    );
    assert_eq!(
        offered("project x { instances QR-ml, QR-c| }"),
        ["QR-chem", "QR-common"]
    );
    assert_eq!(
        offered("project x { instances QR-ml; role | }"),
        ["reader", "viewer", "writer"]
    );
    assert_eq!(offered("group x { projects |"), ["chemlab", "ml"]);
    assert_eq!(offered("group g { groups |"), ["research"]);
    assert_eq!(offered("project x { members user |"), ["Chen", "Fatima"]);
    assert_eq!(offered("project x { members user Fa|"), ["Fatima"]);
    assert_eq!(
        offered("project x { members | }"),
        ["where", "from", "user", "service_id"]
    );
    assert_eq!(offered("project x { members from |"), ["corp"]);
    assert_eq!(offered("project x { members where |"), ["project", "team"]);
    assert_eq!(
        offered("project x { members from corp where project contains \"a\" and t|"),
        ["team", "project"]
    );
    assert_eq!(offered("project x { members where team |")[0], "contains");
    assert_eq!(
        offered("project x { members where team has \"a\" |"),
        ["and", "role"]
    );
    assert_eq!(
        offered("project x { members where team has \"a\" role |"),
        ["reader", "viewer", "writer"]
    );
    assert!(offered("role r { actions |").contains(&"job.delete".to_string()));
    assert_eq!(offered("user u { idp |"), ["corp"]);
    assert_eq!(
        offered("user Fatima2 { idp corp; attributes { | } }"),
        ["project", "team"]
    );
    assert_eq!(
        offered("account { mfa |"),
        [
            "none",
            "none_no_ropc",
            "totp",
            "totp4all",
            "level1",
            "level2",
            "level3"
        ]
    );
    assert_eq!(offered("assert Fatima |"), ["can", "cannot"]);
    assert!(offered("assert Fatima can |").contains(&"job.create".to_string()));
    assert_eq!(
        offered("assert Fatima can job.read on |"),
        ["QR-chem", "QR-common", "QR-ml"]
    );
    assert_eq!(offered("allow delete |"), ["QR-chem", "QR-common", "QR-ml"]);
    assert_eq!(offered("allow Q201 on project |"), ["chemlab", "ml"]);
    assert_eq!(offered("allow Q201 on group |"), ["research"]);
    // A statement being typed before others that parse.
    assert_eq!(
        offered("project x { instances |\nproject y { instances QR-ml; role writer; }\n"),
        ["QR-chem", "QR-common", "QR-ml"]
    );
    // Nothing inside a string or a comment.
    assert_eq!(
        offered("project x { description \"inst|"),
        Vec::<String>::new()
    );
    assert_eq!(offered("# project x { instances |"), Vec::<String>::new());
}

#[test]
fn completion_items_have_kinds_and_details() {
    let offset = B.len();
    let text = format!("{B}role r {{ actions job.d");
    let a = Analysis::new(Policy::from_texts([
        ("a.qpol", A),
        ("b.qpol", text.as_str()),
    ]));
    let items = ide::complete(&a, FB, text.len());
    let delete = items.iter().find(|c| c.label == "job.delete").unwrap();
    assert_eq!(delete.kind, CompletionKind::Action);
    assert_eq!(
        delete.detail.as_deref(),
        Some("delete a job (and with it part of the audit trail of usage)")
    );
    assert!(offset < text.len());
    // Inside a declaration the analysis read, the keys of its kind.
    let items = ide::complete(&a, FA, at(A, "kind appid", 0, 0));
    assert!(items
        .iter()
        .any(|c| c.label == "attribute" && c.kind == CompletionKind::Setting));
}

#[test]
fn the_setting_keys_offered_are_the_ones_lowering_accepts() {
    let cases = [
        ("account", "account { id \"b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f\"; user_list_visibility restricted; api_key_creation allowed; service_id_creation allowed; mfa totp; public_access_groups disabled; limits { policies 8000 } }"),
        ("idp", "idp i { kind appid; region us-south; attribute a; session 12h; plan lite; resource_group g; }\nresource_group g;\nidp j existing { kind saml; realm \"https://x.example.com/r\"; tenant \"abc\"; }"),
        ("instance", "instance QR { plan lite; region us-east; resource_group g; tags \"a\"; }\nresource_group g;"),
        ("role", "role r { actions job.read; display_name \"R\"; description \"d\"; iam_name Rr; }"),
        ("user", "idp i { kind appid; region us-south; attribute a; }\nuser u { idp i; email \"u@example.com\"; iam_id \"IBMid-1\"; attributes { a \"x\" } }"),
        ("service_id", "service_id s { description \"d\"; iam_id \"iam-ServiceId-1\"; }"),
        ("audit", "audit { region us-east; target cloud_logs; endpoint \"https://x.example.com\"; }"),
    ];
    for (kind, text) in cases {
        let a = Analysis::new(Policy::from_texts([("p.qpol", text)]));
        let unknown: Vec<&str> = a
            .diagnostics
            .iter()
            .filter(|d| d.code.id() == "Q106")
            .map(|d| d.message.as_str())
            .collect();
        assert!(unknown.is_empty(), "{kind}: {unknown:?}");
        // Every key offered for the kind is used in the text.
        let offered = offered(&format!("{kind} x {{ |"));
        for key in &offered {
            assert!(
                text.contains(&format!("{key} ")),
                "{kind}: {key} not exercised"
            );
        }
        assert!(!offered.is_empty());
    }
}

#[test]
fn no_query_panics_at_any_offset() {
    let text = "# é ✓ 𝄞\nidp corp { kind appid; region us-south; attribute project; }\n\
        instance QR-é { plan lite; }\nproject p { instances QR-x, ; members where project contains \"ü\"; role \n\
        user u { idp corp; attributes { project \"𝄞\" } }\nassert u can job.read on QR-x;\nallow Q201 on project p \"é\";\n\"unterminated";
    let a = Analysis::new(Policy::from_texts([("p.qpol", text), ("q.qpol", B)]));
    for file in [FileId(0), FileId(1), FileId(9)] {
        for offset in 0..=text.len() + 2 {
            let _ = ide::at(&a, file, offset);
            let _ = ide::hover(&a, file, offset);
            let _ = ide::definition(&a, file, offset);
            let _ = ide::references(&a, file, offset, true);
            let _ = ide::rename(&a, file, offset, "n");
            let _ = ide::complete(&a, file, offset);
        }
        let _ = ide::document_symbols(&a, file);
    }
    let _ = ide::workspace_symbols(&a, "é𝄞");
}

#[test]
fn the_editor_queries_do_not_read_the_syntax_tree() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ide");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        read += 1;
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            assert!(
                !line.contains("syntax::") && !line.contains("crate::syntax"),
                "{}: {line}",
                path.display()
            );
        }
    }
    assert!(read >= 5);
}

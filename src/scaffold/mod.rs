//! What `qpol init` writes: the files of a new policy repository (the
//! policy `policies/main.qpol`, the CI workflow and pre-commit hooks of
//! `examples/ci/`, an `.editorconfig`, a `.gitignore` and a README), made
//! from a few answers. Pure: nothing here reads or writes files; the CLI
//! (`cli::init`) asks the questions, checks the result and writes it.

use crate::model::REGIONS;

/// The project `qpol init` starts with when none is named.
pub const DEFAULT_PROJECT: &str = "example";
/// The region of the instances (and of an App ID instance) by default.
pub const DEFAULT_REGION: &str = "us-east";
/// Where the policy goes, relative to the repository.
pub const POLICY_FILE: &str = "policies/main.qpol";
/// The most projects `init` starts with (a larger organization is written,
/// or generated, by hand).
pub const MAX_PROJECTS: usize = 100;
/// The longest project name `init` accepts (the access group's and the
/// instance's names grow from it; IAM allows 100 characters).
const MAX_NAME: usize = 60;

/// The identity provider users log in through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idp {
    /// An App ID instance qpol creates (the seed's way).
    AppId,
    /// A SAML identity provider already connected to the account.
    Saml,
}

impl Idp {
    pub fn keyword(self) -> &'static str {
        match self {
            Idp::AppId => "appid",
            Idp::Saml => "saml",
        }
    }

    /// `appid` or `saml`, any case; `None` otherwise.
    pub fn parse(text: &str) -> Option<Idp> {
        match text.trim().to_ascii_lowercase().as_str() {
            "appid" | "app-id" | "app_id" => Some(Idp::AppId),
            "saml" => Some(Idp::Saml),
            _ => None,
        }
    }
}

/// What the new repository is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// Project names, in the order given, each once.
    pub projects: Vec<String>,
    pub idp: Idp,
    pub region: String,
    /// The IBM Cloud account id, when known.
    pub account: Option<String>,
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            projects: vec![DEFAULT_PROJECT.to_string()],
            idp: Idp::AppId,
            region: DEFAULT_REGION.to_string(),
            account: None,
        }
    }
}

/// One file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the repository, `/`-separated.
    pub path: &'static str,
    pub contents: String,
    /// What it is for, in a few words (printed beside its name).
    pub purpose: &'static str,
}

/// A project name the language reads as one name (letters, digits, `_`,
/// `-`, `.`; not starting with `-` or `.`), and short enough for IAM.
pub fn check_project(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if name.is_empty() {
        return Err("a project name cannot be empty".to_string());
    }
    if !first_ok || !rest_ok {
        return Err(format!(
            "`{}` is not a project name: use letters, digits, `_`, `-` and `.`, starting with a letter, digit or `_` (e.g. `ml`, `chem-lab`)",
            crate::diag::escape::inline(name)
        ));
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "the project name `{name}` has {} characters; use at most {MAX_NAME}",
            name.len()
        ));
    }
    Ok(())
}

/// Project names as given: checked, and each given once (names are
/// compared ignoring case, as IAM compares access group names).
pub fn check_projects(names: &[String]) -> Result<(), String> {
    if names.len() > MAX_PROJECTS {
        return Err(format!(
            "{} projects; qpol init starts an organization with at most {MAX_PROJECTS}: add the others to policies/main.qpol by hand (or generate them)",
            names.len()
        ));
    }
    let mut seen: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        check_project(name)?;
        let folded = name.to_ascii_lowercase();
        if seen.contains(&folded) {
            return Err(format!(
                "the project `{name}` is named twice (names are compared ignoring case); name each project once"
            ));
        }
        seen.push(folded);
    }
    Ok(())
}

/// A region the language accepts for instances.
pub fn check_region(region: &str) -> Result<(), String> {
    if REGIONS.contains(&region) {
        return Ok(());
    }
    let hint = crate::diag::did_you_mean(region, REGIONS.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(format!(
        "`{}` is not a region qpol knows; {hint}regions: {}",
        crate::diag::escape::inline(region),
        REGIONS.join(", ")
    ))
}

/// An IBM Cloud account id: 32 lowercase hexadecimal characters.
pub fn check_account(id: &str) -> Result<(), String> {
    let valid = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an IBM Cloud account id: expected 32 lowercase hexadecimal characters (`ibmcloud account show` prints it)",
            crate::diag::escape::inline(id)
        ))
    }
}

/// Every file of the new repository, in the order they are listed.
pub fn repository(answers: &Answers) -> Vec<File> {
    vec![
        File {
            path: POLICY_FILE,
            contents: policy(answers),
            purpose: "the policy (commented: start here)",
        },
        File {
            path: ".github/workflows/qpol.yml",
            contents: include_str!("../../examples/ci/qpol.yml").to_string(),
            purpose: "CI: annotations, code scanning and an access-diff comment on pull requests",
        },
        File {
            path: ".pre-commit-config.yaml",
            contents: include_str!("../../examples/ci/pre-commit-config.yaml").to_string(),
            purpose: "pre-commit hooks: qpol check and qpol fmt on every commit",
        },
        File {
            path: ".editorconfig",
            contents: include_str!("editorconfig").to_string(),
            purpose: "editor settings matching qpol fmt",
        },
        File {
            path: ".gitignore",
            contents: include_str!("gitignore").to_string(),
            purpose: "keeps compiled output and Terraform state out of git",
        },
        File {
            path: "README.md",
            contents: readme(answers),
            purpose: "what is here and what to run next",
        },
    ]
}

/// One line saying what the repository starts with.
pub fn summary(answers: &Answers) -> String {
    let projects = answers
        .projects
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let idp = match answers.idp {
        Idp::AppId => "an App ID identity provider",
        Idp::Saml => "a SAML identity provider",
    };
    let (n, s) = plural(answers.projects.len());
    format!(
        "{idp}, {n} instance{s} in {} and {n} project{s} ({projects})",
        answers.region
    )
}

fn plural(n: usize) -> (usize, &'static str) {
    (n, if n == 1 { "" } else { "s" })
}

fn readme(answers: &Answers) -> String {
    include_str!("README.md.tmpl")
        .replace("{{VERSION}}", env!("CARGO_PKG_VERSION"))
        .replace("{{SUMMARY}}", &summary(answers))
}

/// The instance a project starts with.
fn instance(project: &str) -> String {
    format!("QR-{project}")
}

/// The example user of a project, for its asserts.
fn member(project: &str) -> String {
    format!("{project}-member")
}

/// `policies/main.qpol`, unformatted: the CLI runs it through `qpol fmt`'s
/// formatter before writing, so the file passes `qpol fmt --check`.
pub fn policy(answers: &Answers) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(HEADER);
    out.push_str(&account(answers.account.as_deref()));
    out.push_str(&idp(answers));
    out.push_str(RESOURCE_GROUP);
    out.push_str(INSTANCES);
    for p in &answers.projects {
        out.push_str(&format!(
            "instance {} {{ plan standard; region {}; resource_group quantum; }}\n",
            instance(p),
            answers.region
        ));
    }
    out.push_str(PROJECTS);
    for p in &answers.projects {
        out.push_str(&format!(
            "project {p} < instances {}; members where project contains \"{p}\"; role writer >\n",
            instance(p)
        ));
    }
    out.push_str(USERS);
    for p in &answers.projects {
        out.push_str(&format!(
            "user {} {{ attributes {{ project \"{p}\" }} }}\n",
            member(p)
        ));
    }
    out.push('\n');
    for (i, p) in answers.projects.iter().enumerate() {
        let who = member(p);
        let own = instance(p);
        out.push_str(&format!("assert {who} can job.create on {own};\n"));
        out.push_str(&format!("assert {who} cannot job.delete on {own};\n"));
        // Projects do not see each other's instances: the next one's.
        let others = answers.projects.len();
        if others > 1 {
            if let Some(other) = answers.projects.get((i + 1) % others) {
                out.push_str(&format!(
                    "assert {who} cannot job.read on {};\n",
                    instance(other)
                ));
            }
        }
    }
    out.push_str(&format!(
        "\n# Audit: uncomment to send the account's activity events to Cloud Logs.\n# audit {{ region {}; target cloud_logs; }}\n",
        answers.region
    ));
    out
}

const HEADER: &str = "\
# Who may use this organization's Qiskit Runtime instances. Started by
# `qpol init`; every *.qpol file in this folder is read as one policy.
#   qpol check policies     findings, each with a fix hint
#   qpol test policies      the `assert` statements at the end
#   qpol compile policies   Terraform JSON in out/main.tf.json
# The language: https://github.com/qpol-dev/qpol#the-language

";

fn account(id: Option<&str>) -> String {
    let id_line = match id {
        Some(id) => format!("  id \"{id}\";\n"),
        None => "  # id \"0123456789abcdef0123456789abcdef\";\n".to_string(),
    };
    format!(
        "\
# IAM settings of the account. Its id (`ibmcloud account show`) is the
# account `qpol plan` and `qpol apply` work on (else give --account).
account {{
{id_line}\
  # Users cannot list each other.
  user_list_visibility restricted;
  # Users need API keys to run jobs.
  api_key_creation allowed;
}}

"
    )
}

fn idp(answers: &Answers) -> String {
    match answers.idp {
        Idp::AppId => format!(
            "\
# The identity provider users log in through: an App ID instance qpol
# creates in {region}. A user joins every project whose name their custom
# attribute `project` contains (\"ml finance\" joins ml and finance).
idp users {{
  kind appid;
  region {region};
  attribute project;
  # How long a login's project membership lasts before App ID is asked again.
  session 12h;
}}

",
            region = answers.region
        ),
        Idp::Saml => "\
# The identity provider users log in through: a SAML identity provider
# already connected to the account (IAM > Identity providers). A user joins
# every project whose name their SAML attribute `project` contains
# (\"ml finance\" joins ml and finance).
idp users {
  kind saml;
  # Replace with your identity provider's entity id.
  realm \"https://idp.example.com/saml\";
  attribute project;
  # How long a login's project membership lasts before the IdP is asked again.
  session 12h;
}

"
        .to_string(),
    }
}

const RESOURCE_GROUP: &str = "\
# The resource group the instances are created in.
resource_group quantum;

";

const INSTANCES: &str = "\
# Qiskit Runtime service instances. Renaming one, or changing its region or
# resource group, re-creates it and loses its jobs: `qpol check --baseline`
# catches that in review.
";

const PROJECTS: &str = "
# One access group per project: its instances, who belongs to it, and the
# role they get there (`writer` runs, reads and cancels jobs; `reader` reads).
# A project name that is part of another one (`ml` in `html`) lets the rules
# admit users of both: `qpol check` reports it (Q201).
";

const USERS: &str = "
# Example users for `qpol test` (never created in the account), and what
# they may and may not do.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_checked() {
        assert!(check_project("chem-lab").is_ok());
        assert!(check_project("_x.1").is_ok());
        assert!(check_project("").is_err());
        assert!(check_project("-ml").is_err());
        assert!(check_project("m l").is_err());
        assert!(check_project("ml\"; role").is_err());
        assert!(check_project(&"a".repeat(61)).is_err());
        let twice = check_projects(&["ml".to_string(), "ML".to_string()]);
        assert!(twice.is_err_and(|e| e.contains("named twice")));
    }

    #[test]
    fn regions_and_accounts_are_checked() {
        assert!(check_region("eu-de").is_ok());
        assert!(check_region("us-est").is_err_and(|e| e.contains("did you mean `us-east`")));
        assert!(check_account("0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_account("0123456789ABCDEF0123456789ABCDEF").is_err());
        assert!(check_account("123").is_err());
    }

    #[test]
    fn idp_kinds_parse() {
        assert_eq!(Idp::parse(" SAML "), Some(Idp::Saml));
        assert_eq!(Idp::parse("appid"), Some(Idp::AppId));
        assert_eq!(Idp::parse("ldap"), None);
    }
}

//! Backends: compile a checked policy into what the cloud needs. The
//! [`deployment`] is computed once from the model; [`terraform`] prints it
//! as Terraform JSON for the IBM-Cloud/ibm provider, [`ibm_api`] as the
//! ordered IBM Cloud REST requests. A policy with errors compiles to nothing.

pub mod deployment;
pub mod ibm_api;
pub mod names;
pub mod terraform;

use crate::diag::{Code, Diagnostic, Label};
use crate::pipeline::Analysis;

/// What `compile` produces (the command line maps `--target` onto it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Terraform JSON (`main.tf.json`) for the IBM-Cloud/ibm provider
    Terraform,
    /// Ordered IBM Cloud API requests (`plan.json`, format qpol-ibm-api-plan/1)
    IbmApi,
}

impl Target {
    /// The file a target writes when no output path is given.
    pub fn default_file(self) -> &'static str {
        match self {
            Target::Terraform => "main.tf.json",
            Target::IbmApi => "plan.json",
        }
    }
}

/// What compiling produced: the deployment to print (`None` when the policy
/// has errors) and every diagnostic, the checker's included.
#[derive(Debug)]
pub struct Compiled {
    pub deployment: Option<deployment::Deployment>,
    pub target: Target,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// The target's file, streamed (a large organization's output is tens
    /// of megabytes: it is never held as one string).
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let Some(d) = &self.deployment else {
            return Ok(());
        };
        match self.target {
            Target::Terraform => terraform::write(d, out),
            Target::IbmApi => ibm_api::write(d, out),
        }
    }

    /// The target's file as text; `None` when the policy has errors.
    pub fn text(&self) -> Option<String> {
        self.deployment.as_ref()?;
        let mut bytes = Vec::new();
        self.write_to(&mut bytes).ok()?;
        String::from_utf8(bytes).ok()
    }
}

/// Compile a checked policy. Errors mean no output.
pub fn compile(result: &Analysis, target: Target) -> Compiled {
    let mut diagnostics = result.diagnostics.clone();
    if !result.passed() {
        return Compiled {
            deployment: None,
            target,
            diagnostics,
        };
    }
    let deployment = deployment::build(result.access());
    if target == Target::IbmApi {
        if let Some(audit) = &result.model.audit {
            diagnostics.push(
                Diagnostic::new(
                    Code::NotInTarget,
                    "the ibm-api plan does not configure the audit: Activity Tracker is not among the platform services it calls",
                    Label::new(audit.span, "left out of plan.json"),
                )
                .with_help("apply the audit with the terraform target, or set up the Activity Tracker route by hand"),
            );
        }
    }
    crate::diag::sort(&mut diagnostics);
    Compiled {
        deployment: Some(deployment),
        target,
        diagnostics,
    }
}

//! Changes against a baseline policy (`qpol check --baseline OLD`): an
//! instance that would be deleted (Q302) or re-created in another resource
//! group or region (Q301) loses its jobs, so either is an error unless an
//! `allow delete NAME;` / `allow move NAME;` statement says it is intended.
//! An instance that becomes `existing` is a Q302 too: compile turns its
//! Terraform resource into a data source, and applying destroys it.
//!
//! Where the labels point (for callers whose two policies have separate
//! source maps, as `qpol diff`): a Q302's primary label is in the baseline
//! and its other labels in the new policy; a Q301's primary label is in the
//! new policy and its other labels in the baseline.

use crate::diag::{Code, Diagnostic, Label};
use crate::model::{Change, Model};

pub fn check(old: &Model, new: &Model) -> Vec<Diagnostic> {
    let allowed = |change: Change, name: &str| {
        new.allows
            .iter()
            .any(|a| a.change == change && a.instance.value == name)
    };
    let rg_name = |m: &Model, i: &crate::model::Instance| {
        i.resource_group
            .as_ref()
            .and_then(|r| m.resource_groups.get(r.value))
            .map(|g| g.name.value.clone())
    };
    // By name once: looking each one up in turn is quadratic on a large org.
    let by_name: std::collections::HashMap<&str, &crate::model::Instance> = new
        .instances
        .iter()
        .rev()
        .map(|i| (i.name.value.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for before in &old.instances {
        let name = before.name.value.as_str();
        let Some(&after) = by_name.get(name) else {
            if !allowed(Change::Delete, name) {
                out.push(
                    Diagnostic::new(
                        Code::InstanceDeleted,
                        format!("instance `{name}` is no longer declared: applying would delete it and all its jobs"),
                        Label::new(before.name.span, "declared in the baseline"),
                    )
                    .with_help(format!("keep the declaration, or add `allow delete {name};` if its jobs may go")),
                );
            }
            continue;
        };
        if after.existing && !before.existing {
            if !allowed(Change::Delete, name) {
                out.push(existing(name, before.name.span, after.name.span));
            }
            continue;
        }
        let (old_rg, new_rg) = (rg_name(old, before), rg_name(new, after));
        let old_region = before.region.as_ref().map(|r| r.value.as_str());
        let new_region = after.region.as_ref().map(|r| r.value.as_str());
        let what = if old_rg != new_rg {
            let at = after
                .resource_group
                .as_ref()
                .map_or(after.name.span, |r| r.span);
            let (from, to) = (
                old_rg.as_deref().unwrap_or("default"),
                new_rg.as_deref().unwrap_or("default"),
            );
            Some((format!("from resource group `{from}` to `{to}`"), at))
        } else if old_region != new_region {
            let at = after.region.as_ref().map_or(after.name.span, |r| r.span);
            Some((
                format!(
                    "from region `{}` to `{}`",
                    old_region.unwrap_or("?"),
                    new_region.unwrap_or("?")
                ),
                at,
            ))
        } else {
            None
        };
        if let Some((what, at)) = what {
            if !allowed(Change::Move, name) {
                out.push(
                    Diagnostic::new(
                        Code::InstanceMoved,
                        format!("instance `{name}` would move {what}: IBM Cloud re-creates it and deletes its jobs"),
                        Label::new(at, "changed here"),
                    )
                    .with_label(Label::new(before.name.span, "as in the baseline"))
                    .with_help(format!("keep its placement, or add `allow move {name};` if its jobs may go")),
                );
            }
        }
    }
    out
}

/// A managed instance marked `existing`: Terraform destroys the resource
/// that is no longer in the configuration.
fn existing(name: &str, before: crate::diag::Span, after: crate::diag::Span) -> Diagnostic {
    Diagnostic::new(
        Code::InstanceDeleted,
        format!("instance `{name}` is now `existing`: compile no longer creates it, so `terraform apply` would destroy it and all its jobs"),
        Label::new(before, "created by the baseline"),
    )
    .with_label(Label::new(after, "marked `existing` here"))
    .with_help(format!("run `terraform state rm 'ibm_resource_instance.{name}'` before applying (the instance is then only looked up), then add `allow delete {name};`; or keep qpol managing it"))
}

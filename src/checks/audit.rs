//! Audit check (Q225): Activity Tracker records events of its own region,
//! so instances in other regions go unaudited.

use crate::diag::{Code, Diagnostic, Entity, Label};
use crate::model::Model;

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let Some(audit) = &model.audit else { return };
    let Some(region) = &audit.region else { return };
    let elsewhere: Vec<_> = model
        .instances
        .iter()
        .filter(|i| i.region.as_ref().is_some_and(|r| r.value != region.value))
        .collect();
    let Some(first) = elsewhere.first() else {
        return;
    };
    let names: Vec<&str> = elsewhere.iter().map(|i| i.name.value.as_str()).collect();
    // The instances left unaudited: `allow Q225 on instance QR-ml` names one.
    let unaudited = model
        .instances
        .iter()
        .enumerate()
        .filter(|(_, i)| i.region.as_ref().is_some_and(|r| r.value != region.value))
        .map(|(n, _)| Entity::Instance(n));
    let mut d = Diagnostic::new(
        Code::AuditRegionMismatch,
        format!(
            "audit is in `{}`, so the events of {} go unrecorded",
            region.value,
            names.join(", ")
        ),
        Label::new(region.span, "audit region"),
    )
    .with_help("put the audit in the instances' region, or move the instances")
    .about(unaudited);
    if let Some(r) = &first.region {
        d = d.with_label(Label::new(
            r.span,
            format!("`{}` is in {}", first.name.value, r.value),
        ));
    }
    out.push(d);
}

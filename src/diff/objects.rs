//! The cloud objects compile would create, update, replace or delete, for
//! both targets: each side's deployment is built, the access groups whose
//! objects cannot differ are left out of both ([`reduce`]), then every
//! Terraform resource (by address) and every API request that creates an
//! object (by id; catalog look-ups are not objects) of what is left is
//! fingerprinted from its compact JSON, and the two sides are merged by
//! identity. An instance
//! whose region, resource group or service changes is re-created (as
//! `check --baseline` reports, Q301); a Qiskit Runtime instance deleted or
//! re-created loses its jobs, unless `allow delete`/`allow move` says so.

use super::reduce::{self, EMAILS};
use super::{ObjectChange, Objects, TargetChanges, Work};
use crate::backends::deployment::{self, Deployment, SERVICE};
use crate::backends::{ibm_api, terraform};
use crate::model::{Change, Model};
use crate::pipeline::Analysis;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

/// A keyed hash per run: fingerprints cannot be forged from the policy text.
type State = std::collections::hash_map::RandomState;

/// What one instance is, for telling an update from a replacement.
#[derive(PartialEq, Eq)]
struct Placement {
    service: &'static str,
    region: String,
    resource_group: Option<String>,
    plan: String,
    name: String,
}

struct Side {
    terraform: BTreeMap<String, u64>,
    api: BTreeMap<String, u64>,
    /// Created instances by key (`ibm_resource_instance.KEY`, `instance.KEY`).
    instances: BTreeMap<String, Placement>,
    /// Instance key -> policy name.
    names: BTreeMap<String, String>,
    /// Keys of instances that are `existing` (looked up, not created).
    looked_up: std::collections::BTreeSet<String>,
}

/// Feeds written bytes into a hasher.
struct HashWriter<H: Hasher>(H);

impl<H: Hasher> std::io::Write for HashWriter<H> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn fingerprint(
    state: &State,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> u64 {
    // Buffered: a serializer writes token by token.
    let mut w = std::io::BufWriter::with_capacity(4096, HashWriter(state.build_hasher()));
    // Writing to a hasher cannot fail; a serializer error leaves a
    // fingerprint of what was written, still compared on both sides.
    let _ = write(&mut w);
    match w.into_inner() {
        Ok(h) => h.0.finish(),
        Err(e) => e.into_inner().get_ref().0.finish(),
    }
}

impl Side {
    fn of(d: &Deployment, state: &State) -> Side {
        let mut terraform = BTreeMap::new();
        terraform::each_resource(d, &mut |address, write| {
            if !is_emails(address) {
                terraform.insert(address.to_string(), fingerprint(state, write));
            }
        });
        let mut api = BTreeMap::new();
        if let Ok(plan) = ibm_api::plan(d) {
            let objects = plan
                .requests()
                .filter(|r| r.method != "GET" && !is_emails(&r.id));
            for r in objects {
                let print = fingerprint(state, |w| {
                    writeln!(w, "{} {}", r.method, r.url)?;
                    serde_json::to_writer(w, &r.body).map_err(std::io::Error::from)
                });
                api.insert(r.id.clone(), print);
            }
        }
        let group = |i: Option<usize>| {
            i.and_then(|i| d.resource_groups.get(i))
                .map(|g| g.name.clone())
        };
        let created = d.instances.iter().filter(|x| !x.existing);
        let instances = created
            .clone()
            .map(|x| {
                let placement = Placement {
                    service: x.service,
                    region: x.region.clone(),
                    resource_group: group(x.resource_group),
                    plan: x.plan.clone(),
                    name: x.name.clone(),
                };
                (x.key.clone(), placement)
            })
            .collect();
        let names = created.map(|x| (x.key.clone(), x.name.clone())).collect();
        let looked_up = d
            .instances
            .iter()
            .filter(|x| x.existing)
            .map(|x| x.key.clone())
            .collect();
        Side {
            terraform,
            api,
            instances,
            names,
            looked_up,
        }
    }
}

/// An object of the access group [`reduce`] adds: not the policy's.
fn is_emails(address: &str) -> bool {
    address
        .split_once('.')
        .is_some_and(|(_, key)| key == EMAILS)
}

fn not_compared(reason: &str) -> TargetChanges {
    TargetChanges {
        compared: false,
        reason: Some(reason.to_string()),
        changes: Vec::new(),
    }
}

/// `work` counts the access groups and objects compiled.
pub(super) fn diff(old: &Analysis, new: &Analysis, work: &mut Work) -> Objects {
    let reason = match (old.passed(), new.passed()) {
        (true, true) => None,
        (false, true) => Some("the old policy has errors: compile writes nothing for it"),
        (true, false) => Some("the new policy has errors: compile would write nothing"),
        (false, false) => Some("both policies have errors: compile writes nothing for them"),
    };
    if let Some(reason) = reason {
        return Objects {
            terraform: not_compared(reason),
            ibm_api: not_compared(reason),
        };
    }
    let state = State::new();
    let (mut da, mut db) = std::thread::scope(|scope| {
        let first = scope.spawn(|| deployment::build_objects(old.access()));
        let db = deployment::build_objects(new.access());
        let da = first
            .join()
            .unwrap_or_else(|_| deployment::build_objects(old.access()));
        (da, db)
    });
    // Only the access groups that can differ are compiled; the others
    // would make equal objects on both sides.
    let keep = reduce::changed_groups(&da, &db);
    reduce::reduce(&mut da, &keep);
    reduce::reduce(&mut db, &keep);
    // Less the one that carries the emails, on each side.
    work.access_groups_compiled +=
        (da.access_groups.len() + db.access_groups.len()).saturating_sub(2);
    let (a, b) = (Side::of(&da, &state), Side::of(&db, &state));
    work.objects_compiled += a.terraform.len() + a.api.len() + b.terraform.len() + b.api.len();

    let tf_key = |address: &str| {
        address
            .strip_prefix("ibm_resource_instance.")
            .map(str::to_string)
    };
    let api_key = |id: &str| id.strip_prefix("instance.").map(str::to_string);
    let mut objects = Objects {
        terraform: compare(&a.terraform, &b.terraform, &a, &b, &new.model, &tf_key),
        ibm_api: compare(&a.api, &b.api, &a, &b, &new.model, &api_key),
    };
    now_existing(&mut objects, &b);
    objects
}

/// An instance that compile created and now only looks up (`existing`):
/// Terraform destroys the resource (its jobs are lost unless it is first
/// removed from the state), the API plan merely looks it up.
fn now_existing(objects: &mut Objects, new: &Side) {
    let is_looked_up = |object: &str, prefix: &str| {
        object
            .strip_prefix(prefix)
            .is_some_and(|key| new.looked_up.contains(key))
    };
    for c in &mut objects.terraform.changes {
        if c.change == "delete" && is_looked_up(&c.object, "ibm_resource_instance.") {
            c.detail = Some("now `existing`: Terraform destroys it unless it is first removed from the state (`terraform state rm`)".into());
        }
    }
    for c in &mut objects.ibm_api.changes {
        if c.change == "delete" && is_looked_up(&c.object, "instance.") {
            c.change = "look-up";
            c.loses_jobs = false;
            c.allowed = false;
            c.detail = Some(
                "now `existing`: looked up, not created; the instance and its jobs are kept".into(),
            );
        }
    }
}

fn compare(
    old: &BTreeMap<String, u64>,
    new: &BTreeMap<String, u64>,
    a: &Side,
    b: &Side,
    model: &Model,
    instance_key: &dyn Fn(&str) -> Option<String>,
) -> TargetChanges {
    use std::cmp::Ordering;
    let mut changes = Vec::new();
    let mut old_iter = old.iter().peekable();
    let mut new_iter = new.iter().peekable();
    loop {
        let order = match (old_iter.peek(), new_iter.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ok, _)), Some((nk, _))) => ok.cmp(nk),
        };
        let (change, object) = match order {
            Ordering::Less => match old_iter.next() {
                Some((k, _)) => ("delete", k),
                None => break,
            },
            Ordering::Greater => match new_iter.next() {
                Some((k, _)) => ("create", k),
                None => break,
            },
            Ordering::Equal => match (old_iter.next(), new_iter.next()) {
                (Some((k, ov)), Some((_, nv))) if ov != nv => ("update", k),
                (Some(_), Some(_)) => continue,
                _ => break,
            },
        };
        changes.push(object_change(
            change,
            object.clone(),
            a,
            b,
            model,
            instance_key,
        ));
    }
    TargetChanges {
        compared: true,
        reason: None,
        changes,
    }
}

fn object_change(
    change: &'static str,
    object: String,
    a: &Side,
    b: &Side,
    model: &Model,
    instance_key: &dyn Fn(&str) -> Option<String>,
) -> ObjectChange {
    let mut out = ObjectChange {
        change,
        object,
        loses_jobs: false,
        detail: None,
        allowed: false,
    };
    let Some(key) = instance_key(&out.object) else {
        return out;
    };
    let allowed = |what: Change, name: &str| {
        model
            .allows
            .iter()
            .any(|x| x.change == what && x.instance.value == name)
    };
    let name = a
        .names
        .get(&key)
        .or(b.names.get(&key))
        .cloned()
        .unwrap_or(key.clone());
    match (change, a.instances.get(&key), b.instances.get(&key)) {
        ("delete", Some(before), _) => {
            out.loses_jobs = before.service == SERVICE;
            out.allowed = allowed(Change::Delete, &name);
        }
        ("update", Some(before), Some(after)) => {
            let moved = [
                (
                    "service",
                    before.service.to_string(),
                    after.service.to_string(),
                ),
                ("region", before.region.clone(), after.region.clone()),
                (
                    "resource group",
                    before.resource_group.clone().unwrap_or("default".into()),
                    after.resource_group.clone().unwrap_or("default".into()),
                ),
            ];
            let kept = [
                ("plan", before.plan.clone(), after.plan.clone()),
                ("name", before.name.clone(), after.name.clone()),
            ];
            let differ = |list: &[(&str, String, String)]| -> Vec<String> {
                list.iter()
                    .filter(|(_, x, y)| x != y)
                    .map(|(what, x, y)| format!("{what} {x} -> {y}"))
                    .collect()
            };
            let replaced = differ(&moved);
            if !replaced.is_empty() {
                out.change = "replace";
                out.loses_jobs = before.service == SERVICE;
                out.allowed = allowed(Change::Move, &name);
                out.detail = Some(replaced.join(", "));
            } else {
                let updated = differ(&kept);
                out.detail = (!updated.is_empty()).then(|| updated.join(", "));
            }
        }
        _ => {}
    }
    out
}

//! The `quantum-computing` service's IAM actions and the built-in role
//! presets, from `shared/reference/ibm-cloud-apis.md`.

pub const SERVICE: &str = "quantum-computing";

/// Actions IBM's current Qiskit documentation lists.
pub const CURRENT: &[&str] = &[
    "device.read",
    "job.create",
    "job.read",
    "job.cancel",
    "job.delete",
    "session.create",
    "session.read",
    "session.update",
    "instance.read",
    "instance.configuration.read",
    "instance-usage.read",
    "workload.list",
    "account-configuration.read",
    "account-analytics-usage.read",
    "account-analytics-filters.read",
    "direct-access-backend.list",
    "direct-access-backend.read",
    "direct-access-backend-configuration.read",
    "direct-access-backend-properties.read",
    "direct-access-job.create",
    "direct-access-job.read",
    "direct-access-job.list",
    "direct-access-job.cancel",
    "direct-access-job.delete",
    "direct-access-lane-configuration.list",
];

/// Actions the seed guide names that the service no longer lists.
pub const DEPRECATED: &[&str] = &[
    "program.create",
    "program.delete",
    "program.read",
    "program.update",
    "user.logout",
];

pub fn is_known(action: &str) -> bool {
    CURRENT.contains(&action) || DEPRECATED.contains(&action)
}

pub fn all() -> impl Iterator<Item = &'static str> {
    CURRENT.iter().chain(DEPRECATED.iter()).copied()
}

/// `quantum-computing.job.read` and `job.read` are the same action.
pub fn normalize(action: &str) -> &str {
    action.strip_prefix("quantum-computing.").unwrap_or(action)
}

/// Does the action change or remove something (the verbs a reader must not have)?
pub fn is_write(action: &str) -> bool {
    let verb = action.rsplit('.').next().unwrap_or(action);
    matches!(verb, "cancel" | "delete" | "update" | "create")
}

pub const READER_PRESET: &[&str] = &[
    "device.read",
    "job.read",
    "session.read",
    "instance.read",
    "instance.configuration.read",
    "instance-usage.read",
    "workload.list",
];

pub const WRITER_PRESET: &[&str] = &[
    "device.read",
    "job.read",
    "job.create",
    "job.cancel",
    "session.read",
    "session.create",
    "session.update",
    "instance.read",
    "instance.configuration.read",
    "instance-usage.read",
    "workload.list",
];

pub fn preset(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "reader" => Some(READER_PRESET),
        "writer" => Some(WRITER_PRESET),
        _ => None,
    }
}

/// What an action allows, from the reference's table (`None` for an
/// unknown action). A deprecated action says that the service no longer
/// lists it.
pub fn description(action: &str) -> Option<&'static str> {
    let action = normalize(action);
    Some(match action {
        "device.read" => "list backends, their configuration, defaults, properties, status",
        "job.create" => "run a job (POST /v1/jobs)",
        "job.read" => "list jobs, job details, results, logs, metrics, tags",
        "job.cancel" => "cancel a job",
        "job.delete" => "delete a job (and with it part of the audit trail of usage)",
        "session.create" => "create a session (POST /v1/sessions)",
        "session.read" => "get a session",
        "session.update" => "update or close a session",
        "instance.read" => "current instance details (GET /v1/instance)",
        "instance.configuration.read" => "instance configuration",
        "instance-usage.read" => "instance usage",
        "workload.list" => "list the user's workloads on the instance",
        "account-configuration.read" => "account configuration",
        "account-analytics-usage.read" | "account-analytics-filters.read" => "usage analytics",
        a if a.starts_with("direct-access-") && CURRENT.contains(&a) => {
            "the IBM Quantum System (direct access) service"
        }
        a if DEPRECATED.contains(&a) => "named by the seed guide; the service no longer lists it",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_known_action_has_a_description() {
        for action in super::all() {
            assert!(super::description(action).is_some(), "{action}");
        }
        assert_eq!(
            super::description("quantum-computing.job.delete"),
            super::description("job.delete")
        );
        assert_eq!(super::description("job.explode"), None);
    }
}

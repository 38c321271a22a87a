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

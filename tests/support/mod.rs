//! What the integration tests share: running the binary, and the checks of
//! compiled output (the Terraform provider's schema and the request plan's
//! format, both in Rust).
#![allow(dead_code, clippy::unwrap_used)]

pub mod api_plan;
pub mod fs;
pub mod git;
pub mod live;
pub mod live_scenarios;
pub mod markdown;
pub mod run;
pub mod stub;
pub mod tf_schema;

//! Checks of compiled output that tests share: the Terraform provider's
//! schema and the request plan's format, both in Rust.
#![allow(dead_code)]

pub mod api_plan;
pub mod tf_schema;

//! qpol: policy as code for IBM Cloud Qiskit Runtime access.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`syntax`]: pest grammar -> syntax tree with spans, recovering at the next
//!    statement after an error;
//! 2. [`model`]: names resolved into a typed model and a petgraph graph;
//! 3. [`checks`]: one module per family of checks, each producing
//!    [`diag::Diagnostic`]s;
//! 4. [`access`]: the effective-access model behind `qpol test`;
//! 5. [`fmt`]: the canonical formatter;
//! 6. [`cli`]: the command line, a thin caller of the stages above.
//!
//! [`pipeline::Analysis`] runs stages 2-4 once per policy (sources, model,
//! access index, findings); `check`, `test` and `compile` share it.
//!
//! [`load`] reads a file or a folder of `*.qpol` files into one [`Policy`].

pub mod access;
pub mod backends;
pub mod checks;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod emulator;
pub mod fmt;
pub mod graph;
pub mod ide;
pub mod keywords;
pub mod live;
pub mod lsp;
pub mod memory;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod scaffold;
pub mod syntax;
pub mod synth;
pub mod text;

pub use policy::{load, Policy};

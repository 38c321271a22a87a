//! Syntax: the pest grammar (`grammar/qpol.pest`), the syntax tree with
//! spans, and a parser that recovers at the next statement after an error.

mod allow_help;
pub mod ast;
mod build;
mod fast;
mod hidden;
pub mod lexical;
mod parser;
mod recovery;
mod syntax_error;

pub use parser::{
    parse_file, parse_file_counting_fast, parse_file_pest_only, parse_file_reading, Parsed, Reader,
};

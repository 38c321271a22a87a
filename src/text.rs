//! Text of names and values, shared by the syntax tree and the model: short
//! ones (most) live inline, without a heap allocation of their own.

/// A name or string value.
pub type Text = compact_str::CompactString;

//! Memory layout of the types a large policy holds many of: a file's
//! statements are one vector (every slot as large as the largest kind),
//! so a rare, large kind is boxed.

use qpol::syntax::ast::{Declaration, Statement};
use std::mem::size_of;

#[test]
fn a_statement_slot_is_no_larger_than_a_declaration() {
    assert!(
        size_of::<Statement>() <= size_of::<Declaration>() + 8,
        "Statement is {} bytes, Declaration {}",
        size_of::<Statement>(),
        size_of::<Declaration>()
    );
}

#[test]
fn a_user_with_one_attribute_holds_room_for_one() {
    use qpol::model::{AttrMap, AttrValue, Located};
    let span = qpol::diag::Span::new(qpol::diag::FileId(0), 0, 1);
    let mut map = AttrMap::default();
    map.insert(
        "project".into(),
        Located::new(AttrValue::Str("ml".into()), span),
    );
    assert_eq!(map.capacity(), 1);
    map.insert(
        "team".into(),
        Located::new(AttrValue::Str("a".into()), span),
    );
    assert_eq!(map.capacity(), 2);
}

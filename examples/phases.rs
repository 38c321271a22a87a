//! Times each stage of `check` on a policy and shows the memory it holds:
//! `cargo run --release --example phases -- FILE`.
//!
//! Memory is shown as live heap bytes and allocations (counted by a wrapper
//! around the allocator the CLI uses) and as the process' resident size.
#![allow(clippy::unwrap_used)]
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_BLOCKS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to mimalloc, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Relaxed);
        LIVE_BLOCKS.fetch_add(1, Relaxed);
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Relaxed);
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn memory() -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .unwrap_or("")
            .split_whitespace()
            .nth(1)
            .unwrap_or("0")
            .parse::<u64>()
            .unwrap_or(0)
            / 1024
    };
    format!(
        "heap {} MB in {} blocks, rss {} MB, peak {} MB",
        LIVE_BYTES.load(Relaxed) >> 20,
        LIVE_BLOCKS.load(Relaxed),
        get("VmRSS:"),
        get("VmHWM:")
    )
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let policy = qpol::load(std::path::Path::new(&path)).unwrap();
    println!("parse   {:>8.3?}  {}", t.elapsed(), memory());
    let t = Instant::now();
    let (model, d) = qpol::model::lower(&policy);
    println!(
        "lower   {:>8.3?}  {} ({} diags)",
        t.elapsed(),
        memory(),
        d.len()
    );
    let t = Instant::now();
    let index = qpol::access::AccessIndex::build(&model);
    let access = qpol::access::Access::new(&model, &index);
    println!("access  {:>8.3?}  {}", t.elapsed(), memory());
    let t = Instant::now();
    let mut n = 0;
    for u in 0..model.users.len() {
        n += access.rule_memberships(u).len();
    }
    println!(
        "members {:>8.3?}  {} ({n} memberships)",
        t.elapsed(),
        memory()
    );
    drop(index);
    drop(model);
    let t = Instant::now();
    let r = qpol::checks::check(policy);
    println!(
        "check   {:>8.3?}  {} ({} diags; lowering again, then every check)",
        t.elapsed(),
        memory(),
        r.diagnostics.len(),
    );
}

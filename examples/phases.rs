//! Times each stage of `check` on a policy, on the path the CLI takes, and
//! shows the memory it holds: `cargo run --release --example phases -- FILE`.
//!
//! Stages: `load` (read and parse, as `qpol check` does: fast parser, pest
//! for what it gives up; users read as parsed), `lower`
//! (`model::lower_owned`, consuming the syntax trees as `Analysis::new`
//! does, with the same `memory` steps around it), `access` (the effective-access
//! index), `checks` (every check family: `checks::check` on the same input
//! minus its own load, lowering and access, which are measured above), and
//! `total` (`load` + `checks::check`, what `qpol check` spends before
//! printing). `pest-only` parses with the grammar alone, for comparison.
//!
//! Memory is shown as live heap bytes and allocations (counted by a wrapper
//! around the allocator the CLI uses; room reserved but never touched
//! counts), the most heap live at once during the stage, and the process'
//! resident size (now and peak).
#![allow(clippy::unwrap_used)]
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_BLOCKS: AtomicUsize = AtomicUsize::new(0);
/// The most bytes live at once since the last [`memory`] call.
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to mimalloc, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE_BYTES.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK_BYTES.fetch_max(live, Relaxed);
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
        "heap {} MB (peak {} MB) in {} blocks, rss {} MB, peak {} MB",
        LIVE_BYTES.load(Relaxed) >> 20,
        PEAK_BYTES.swap(LIVE_BYTES.load(Relaxed), Relaxed) >> 20,
        LIVE_BLOCKS.load(Relaxed),
        get("VmRSS:"),
        get("VmHWM:")
    )
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let path = std::path::Path::new(&path);
    let t = Instant::now();
    let policy = qpol::load(path).unwrap();
    let load = t.elapsed();
    println!("load      {load:>8.3?}  {}", memory());
    let text_bytes: usize = policy.sources.files().map(|(_, f)| f.text.len()).sum();
    qpol::memory::after_parse(text_bytes);
    // What `checks::check` lowers: the files' statements, consumed.
    let mut trees = Vec::new();
    let mut broken = Vec::new();
    for (_, parsed) in policy.files {
        broken.extend(parsed.broken);
        trees.push(parsed.file.statements);
    }
    let t = Instant::now();
    let (model, d) = qpol::model::lower_owned(trees, broken, policy.read_users);
    qpol::memory::after_lowering(text_bytes);
    let lower = t.elapsed();
    println!("lower     {lower:>8.3?}  {} ({} diags)", memory(), d.len());
    let t = Instant::now();
    let index = qpol::access::AccessIndex::build(&model);
    let access_time = t.elapsed();
    println!("access    {access_time:>8.3?}  {}", memory());
    let t = Instant::now();
    let mut diagnostics = d;
    qpol::checks::run(qpol::access::Access::new(&model, &index), &mut diagnostics);
    let families = t.elapsed();
    println!(
        "checks    {families:>8.3?}  {} ({} diags; every family, as `checks::run`)",
        memory(),
        diagnostics.len(),
    );
    drop((index, model, diagnostics));

    // Last, so that its memory does not count in the figures above.
    let text = std::fs::read_to_string(path).unwrap();
    let t = Instant::now();
    let reference = qpol::syntax::parse_file_pest_only(qpol::diag::FileId(0), &text);
    let pest_only = t.elapsed();
    drop(reference);

    let t = Instant::now();
    let policy = qpol::load(path).unwrap();
    let r = qpol::pipeline::Analysis::new(policy);
    println!(
        "total     {:>8.3?}  (load + Analysis::new, as `qpol check`; {} diags)",
        t.elapsed(),
        r.diagnostics.len()
    );
    println!(
        "pest-only {:>8.3?}  (the grammar alone, for comparison)",
        pest_only
    );
}

//! Times each stage of `check` on a policy: `cargo run --release --example phases -- FILE`.
#![allow(clippy::unwrap_used)]
use std::time::Instant;

fn rss() -> String {
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
    format!("rss {} MB, peak {} MB", get("VmRSS:"), get("VmHWM:"))
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let policy = qpol::load(std::path::Path::new(&path)).unwrap();
    println!("parse   {:?} {}", t.elapsed(), rss());
    let t = Instant::now();
    let (model, d) = qpol::model::lower(&policy);
    println!("lower   {:?} ({} diags) {}", t.elapsed(), d.len(), rss());
    let t = Instant::now();
    let access = qpol::access::Access::new(&model);
    println!("access  {:?} {}", t.elapsed(), rss());
    let t = Instant::now();
    let mut n = 0;
    for u in 0..model.users.len() {
        n += access.rule_memberships(u).len();
    }
    println!("members {:?} ({n}) {}", t.elapsed(), rss());
    let t = Instant::now();
    let r = qpol::checks::check(policy);
    println!(
        "check   {:?} ({} diags) {}",
        t.elapsed(),
        r.diagnostics.len(),
        rss()
    );
}

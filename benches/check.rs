//! `cargo bench --bench check`: checks synthetic organizations of 2,000
//! projects / 10,000 users and 20,000 projects / 100,000 users and prints
//! wall time (median of 3), throughput, peak memory and the growth ratio,
//! and verifies that every planted substring overlap is reported (Q201).
//!
//! Each measurement runs in a child process (this binary again, with
//! `QPOL_BENCH_FILE` set) so that its peak memory (VmHWM) is its own: the
//! child reads the policy file, checks it once and reports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::Code;
use qpol::synth::{generate, OrgSpec};
use std::process::Command;
use std::time::Instant;

const RUNS: usize = 3;

fn main() {
    if let Ok(file) = std::env::var("QPOL_BENCH_FILE") {
        child(&file);
        return;
    }
    let sizes = [
        ("2k/10k", OrgSpec::new(2_000, 10_000, 10)),
        ("20k/100k", OrgSpec::new(20_000, 100_000, 10)),
    ];
    let dir = std::env::temp_dir().join(format!("qpol-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "{:<10} {:>9} {:>8} {:>9} {:>9} {:>8} {:>9} {:>8} {:>11}",
        "org", "projects", "users", "input MB", "check s", "MB/s", "peak MB", "diags", "planted"
    );
    let mut times = Vec::new();
    let mut ok = true;
    for (label, spec) in sizes {
        let synthetic = generate(&spec);
        let path = dir.join(format!("{}.qpol", label.replace('/', "-")));
        std::fs::write(&path, &synthetic.text).unwrap();
        let planted: Vec<String> = synthetic
            .planted
            .iter()
            .map(|(v, p)| format!("{v}\t{p}"))
            .collect();
        let mut runs: Vec<(f64, f64, usize, usize)> = (0..RUNS)
            .map(|_| {
                let out = Command::new(std::env::current_exe().unwrap())
                    .env("QPOL_BENCH_FILE", &path)
                    .env("QPOL_BENCH_PLANTED", planted.join("\n"))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let line = String::from_utf8(out.stdout).unwrap();
                let f: Vec<&str> = line.split_whitespace().collect();
                (
                    f[0].parse().unwrap(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                )
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (secs, peak_mb, diagnostics, found) = runs[RUNS / 2];
        let mb = synthetic.text.len() as f64 / 1e6;
        let all_found = found == synthetic.planted.len();
        ok &= all_found;
        println!(
            "{label:<10} {:>9} {:>8} {mb:>9.1} {secs:>9.3} {:>8.1} {peak_mb:>9.1} {diagnostics:>8} {:>11}",
            spec.projects,
            spec.users,
            mb / secs,
            format!("{found}/{} {}", synthetic.planted.len(), if all_found { "FOUND" } else { "MISSING" })
        );
        times.push((secs, mb));
    }
    if let [(t1, m1), (t2, m2)] = times[..] {
        println!("growth: input x{:.1}, time x{:.1}", m2 / m1, t2 / t1);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !ok {
        eprintln!("some planted overlaps were not reported");
        std::process::exit(1);
    }
}

/// Read, check once; print `seconds peak_mb diagnostics planted_found`.
fn child(file: &str) {
    let started = Instant::now();
    let policy = qpol::load(std::path::Path::new(file)).unwrap();
    let result = qpol::checks::check(policy);
    let secs = started.elapsed().as_secs_f64();
    assert!(
        result.passed(),
        "the synthetic org must check without errors: {:?}",
        result.diagnostics.iter().find(|d| d.is_error())
    );
    let planted = std::env::var("QPOL_BENCH_PLANTED").unwrap_or_default();
    let found = planted
        .lines()
        .filter(|l| !l.is_empty())
        .filter(|line| {
            let (value, project) = line.split_once('\t').unwrap();
            let attacker = format!("contains \"{value}\"`");
            let victim = format!("(project {project})");
            result.diagnostics.iter().any(|d| {
                d.code == Code::OverlappingRule
                    && d.message.contains(&attacker)
                    && d.message.contains(&victim)
            })
        })
        .count();
    println!("{secs} {} {} {found}", peak_mb(), result.diagnostics.len());
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

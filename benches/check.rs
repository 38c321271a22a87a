//! `cargo bench --bench check`: runs the release `qpol check` binary on
//! synthetic organizations of 2,000 projects / 10,000 users and 20,000
//! projects / 100,000 users and prints wall time (median of 3), throughput,
//! peak memory (the child's max RSS) and the growth ratio, and verifies that
//! every planted substring overlap is reported (Q201); then `compile`, `graph`
//! and `fmt --check` / `fmt` figures (2k, 5k, 20k projects and a 50 MB file),
//! and `check` / `compile` of chains of 16,000 and 100,000 nested groups
//! (only those: `cargo bench --bench check -- chain`), and `check` of
//! chains of nested substrings, Q201's worst case (only those:
//! `cargo bench --bench check -- substrings`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::synth::{generate, OrgSpec};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

fn main() {
    let sizes = [
        ("2k/10k", OrgSpec::new(2_000, 10_000, 10)),
        ("20k/100k", OrgSpec::new(20_000, 100_000, 10)),
    ];
    let dir = std::env::temp_dir().join(format!("qpol-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if std::env::args().any(|a| a == "substrings") {
        substring_chain_figures(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    if std::env::args().any(|a| a == "chain") {
        deep_chain_figures(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
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
        let mut runs: Vec<(f64, f64, usize, usize)> =
            (0..RUNS).map(|_| run_check(&path, &planted)).collect();
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
    compile_figures(&dir, &sizes_for_compile());
    fmt_figures(&dir);
    deep_chain_figures(&dir);
    substring_chain_figures(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    if !ok {
        eprintln!("some planted overlaps were not reported");
        std::process::exit(1);
    }
}

/// Run `qpol check --format json FILE` once; return `(seconds, peak MB,
/// diagnostics, planted overlaps found)`.
#[allow(clippy::zombie_processes)] // reaped by `wait_with_peak` (wait4)
fn run_check(path: &std::path::Path, planted: &[String]) -> (f64, f64, usize, usize) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_qpol"))
        .args(["check", "--format", "json"])
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
    let (status, peak_kb) = wait_with_peak(pid);
    let secs = started.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    // The planted overlaps are warnings (the synthetic writer holds what
    // they give); the organization declares the limits it needs: no error.
    let errors = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .count();
    assert!(
        status == 0 && errors == 0,
        "the synthetic org must check without errors (exit {status}, {errors} errors)"
    );
    let found = planted
        .iter()
        .filter(|line| {
            let (value, project) = line.split_once('\t').unwrap();
            let attacker = format!("contains \"{value}\"`");
            let victim = format!("(project {project})");
            diagnostics.iter().any(|d| {
                let message = d["message"].as_str().unwrap_or("");
                d["code"] == "Q201" && message.contains(&attacker) && message.contains(&victim)
            })
        })
        .count();
    (secs, peak_kb as f64 / 1024.0, diagnostics.len(), found)
}

/// Wait for the child and return its exit code and its peak resident memory
/// in KB (`ru_maxrss` of `wait4`, which std's `Child::wait` does not expose).
fn wait_with_peak(pid: libc::pid_t) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss)
}

fn sizes_for_compile() -> Vec<(&'static str, usize)> {
    vec![("2k/10k", 2_000), ("20k/100k", 20_000)]
}

/// `qpol ARGS` with its output discarded, [`RUNS`] times: the median run's
/// `(seconds, peak MB)`. It must exit 0.
#[allow(clippy::zombie_processes)] // reaped by `wait_with_peak` (wait4)
fn median_run(args: &[&std::ffi::OsStr]) -> (f64, f64) {
    let mut runs: Vec<(f64, f64)> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let child = Command::new(env!("CARGO_BIN_EXE_qpol"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let (status, peak_kb) = wait_with_peak(child.id() as libc::pid_t);
            assert_eq!(status, 0, "qpol {args:?} failed");
            (started.elapsed().as_secs_f64(), peak_kb as f64 / 1024.0)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[RUNS / 2]
}

/// `qpol compile` for both targets on the organizations written above:
/// median wall time of 3, peak memory, output size, growth; then `qpol
/// graph` (DOT and Mermaid) of the same organizations.
fn compile_figures(dir: &std::path::Path, sizes: &[(&str, usize)]) {
    println!(
        "\n{:<10} {:<10} {:>9} {:>9} {:>10}",
        "org", "target", "compile s", "peak MB", "output MB"
    );
    for target in ["terraform", "ibm-api"] {
        let mut times = Vec::new();
        for (label, projects) in sizes {
            let input = dir.join(format!("{}.qpol", label.replace('/', "-")));
            let out = dir.join(format!("out-{target}-{projects}"));
            let args =
                ["--format", "json", "compile", "-t", target, "-o"].map(std::ffi::OsStr::new);
            let (secs, peak) =
                median_run(&[&args[..], &[out.as_os_str(), input.as_os_str()]].concat());
            let file = if target == "terraform" {
                out.join("main.tf.json")
            } else {
                out.clone()
            };
            let size = std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / 1e6;
            println!("{label:<10} {target:<10} {secs:>9.3} {peak:>9.1} {size:>10.1}");
            times.push(secs);
        }
        if let [t1, t2] = times[..] {
            println!("{target} growth for 10x projects: time x{:.1}", t2 / t1);
        }
    }
    println!(
        "\n{:<10} {:<10} {:>9} {:>9} {:>10}",
        "org", "graph", "graph s", "peak MB", "output MB"
    );
    for language in ["dot", "mermaid"] {
        for (label, projects) in sizes {
            let input = dir.join(format!("{}.qpol", label.replace('/', "-")));
            let out = dir.join(format!("graph-{projects}.{language}"));
            let args = ["graph", "--to", language, "-o"].map(std::ffi::OsStr::new);
            let (secs, peak) =
                median_run(&[&args[..], &[out.as_os_str(), input.as_os_str()]].concat());
            let size = std::fs::metadata(&out).map_or(0, |m| m.len()) as f64 / 1e6;
            println!("{label:<10} {language:<10} {secs:>9.3} {peak:>9.1} {size:>10.1}");
        }
    }
}

/// `qpol fmt --check` (diff of the unformatted synthetic org against its
/// formatting) and plain `qpol fmt -` (format to stdout): median wall time.
fn fmt_figures(dir: &std::path::Path) {
    println!(
        "\n{:<10} {:>9} {:>9} {:>14} {:>9}",
        "org", "projects", "input MB", "fmt --check s", "fmt s"
    );
    let sizes = [
        ("2k", OrgSpec::new(2_000, 10_000, 0)),
        ("5k", OrgSpec::new(5_000, 25_000, 0)),
        ("20k", OrgSpec::new(20_000, 100_000, 0)),
        ("50MB", OrgSpec::new(90_000, 450_000, 0)),
    ];
    for (label, spec) in sizes {
        let text = generate(&spec).text;
        let path = dir.join(format!("fmt-{label}.qpol"));
        std::fs::write(&path, &text).unwrap();
        let time = |args: &[&str], stdin: bool| {
            let mut runs: Vec<f64> = (0..RUNS)
                .map(|_| {
                    let started = Instant::now();
                    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qpol"));
                    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
                    if stdin {
                        cmd.arg("-").stdin(std::fs::File::open(&path).unwrap());
                    } else {
                        cmd.arg(&path);
                    }
                    let status = cmd.status().unwrap();
                    assert!(status.code().is_some_and(|c| c <= 1), "fmt failed");
                    started.elapsed().as_secs_f64()
                })
                .collect();
            runs.sort_by(|a, b| a.total_cmp(b));
            runs[RUNS / 2]
        };
        let check = time(&["fmt", "--check"], false);
        let plain = time(&["fmt"], true);
        println!(
            "{label:<10} {:>9} {:>9.1} {check:>14.3} {plain:>9.3}",
            spec.projects,
            text.len() as f64 / 1e6
        );
    }
}

/// `check` and `compile` of a chain `g0 { groups g1; } ... gN { projects p; }`
/// ending in one project: median wall time, peak memory, growth (linear
/// since nested groups' policies are merged bottom-up).
fn deep_chain_figures(dir: &std::path::Path) {
    println!(
        "\n{:<12} {:>9} {:>9} {:>11} {:>9}",
        "group chain", "check s", "peak MB", "compile s", "peak MB"
    );
    let mut times = Vec::new();
    for depth in [16_000, 100_000] {
        // One access group, policy and user per level: past IBM's account
        // limits, so the chain declares the raised limits it needs.
        let need = depth + 2;
        let mut text = format!(
            "account {{ limits {{ access_groups {need}; policies {need}; users {need}; }} }}\n\
             instance QR-a {{ plan standard; region us-east; }}\n\
             project p {{ instances QR-a; members user \"p@example.com\"; role reader; }}\n",
        );
        for i in 0..depth {
            text.push_str(&format!(
                "group g{i} {{ groups g{}; members user \"u{i}@example.com\"; }}\n",
                i + 1
            ));
        }
        text.push_str(&format!(
            "group g{depth} {{ projects p; members user \"u@example.com\"; }}\n"
        ));
        let path = dir.join(format!("chain-{depth}.qpol"));
        std::fs::write(&path, &text).unwrap();
        let out = dir.join(format!("chain-{depth}.tf.json"));
        let time = |args: &[&str]| {
            let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
            all.push(path.as_os_str());
            median_run(&all)
        };
        let (check, check_peak) = time(&["check"]);
        let (compile, compile_peak) = time(&["compile", "-o", out.to_str().unwrap()]);
        println!("{depth:<12} {check:>9.3} {check_peak:>9.1} {compile:>11.3} {compile_peak:>9.1}");
        times.push(compile);
    }
    if let [t1, t2] = times[..] {
        println!("compile growth for x6.25 depth: time x{:.1}", t2 / t1);
    }
}

/// `check` of a chain of substrings: project p_i `contains "a"` repeated i
/// times, so every value occurs O(i) times in each longer one (Q201's worst
/// case: N=1500, 1.2 MB, took 7 min 53 s before the distinct-substring scan).
fn substring_chain_figures(dir: &std::path::Path) {
    println!(
        "\n{:<16} {:>9} {:>9} {:>9}",
        "substring chain", "input MB", "check s", "peak MB"
    );
    for n in [400, 1_500] {
        // One access group per project: the raised limits declared.
        let mut text = format!(
            "account {{ limits {{ access_groups {n}; policies {n}; }} }}\n\
             idp org-users {{ kind appid; region us-south; attribute project; }}\n\
             instance QR-x {{ plan standard; region us-east; }}\n",
        );
        for i in 1..=n {
            text.push_str(&format!(
                "project p{i} {{ instances QR-x; members where project contains \"{}\"; role reader; }}\n",
                "a".repeat(i)
            ));
        }
        let path = dir.join(format!("substrings-{n}.qpol"));
        std::fs::write(&path, &text).unwrap();
        let (secs, peak) = median_run(&[std::ffi::OsStr::new("check"), path.as_os_str()]);
        let mb = text.len() as f64 / 1e6;
        println!("{n:<16} {mb:>9.1} {secs:>9.3} {peak:>9.1}");
    }
}

//! Writes a synthetic organization to stdout: `cargo run --release --example synth_org -- PROJECTS USERS [PLANTED]`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let spec = qpol::synth::OrgSpec::new(args[0], args[1], args.get(2).copied().unwrap_or(0));
    print!("{}", qpol::synth::generate(&spec).text);
}

//! The `qpol` binary: parse arguments, run the command, exit with its code.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    qpol::cli::main()
}

//! The `concierge` command for rule authors and operators: a small dispatcher over `cli`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    let cli = aurora_concierge::cli::Cli::parse();
    aurora_concierge::cli::run(cli)
}

#[cfg(target_arch = "wasm32")]
fn main() {}

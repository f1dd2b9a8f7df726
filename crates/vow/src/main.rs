use clap::Parser;

/// vow: a privacy policy that runs.
#[derive(Parser)]
#[command(name = "vow", version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}

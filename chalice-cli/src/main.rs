//! `chalice-rs`: the command line. Parsing only; the work is in the library's modules.

use std::path::PathBuf;
use std::process::ExitCode;

use chalice_cli::local::LocalOptions;
use chalice_cli::project::Project;
use chalice_cli::{Result, local, new_project};
use clap::{Parser, Subcommand};

/// Build, run locally, and deploy chalice-rs apps.
#[derive(Debug, Parser)]
#[command(name = "chalice-rs", version, about)]
struct Cli {
    /// The project directory (its Cargo package and `.chalice/config.json`).
    #[arg(long, global = true, default_value = ".")]
    project_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new project.
    NewProject {
        /// The project's (and app's) name.
        name: String,
    },
    /// Build the app and serve it locally, as API Gateway would.
    Local {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port; 0 picks a free one.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// The Chalice stage whose config applies.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// Refuse routes protected by IAM or existing Lambda authorizers instead of allowing them.
        #[arg(long)]
        deny_unemulated: bool,
    },
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::NewProject { name } => {
            let dir = new_project::create(&cli.project_dir, &name)?;
            println!(
                "Created {}. Try: chalice-rs --project-dir {} local",
                dir.display(),
                dir.display()
            );
            Ok(0)
        }
        Command::Local {
            host,
            port,
            stage,
            deny_unemulated,
        } => {
            let project = Project::open(&cli.project_dir)?;
            local::run(
                &project,
                &LocalOptions {
                    host,
                    port,
                    stage,
                    deny_unemulated,
                },
            )
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

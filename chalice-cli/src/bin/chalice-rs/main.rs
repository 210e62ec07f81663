//! `chalice-rs`: the command line. Parsing only; the work is in the library's modules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chalice_cli::local::LocalOptions;
use chalice_cli::openapi::{self, Uris};
use chalice_cli::package::{self, Format};
use chalice_cli::project::Project;
use chalice_cli::{Error, Result, local, new_project};
use clap::{Parser, Subcommand, ValueEnum};

use crate::aws::AwsCommand;

mod aws;

/// Build, run locally, and deploy chalice-rs apps.
#[derive(Debug, Parser)]
#[command(name = "chalice-rs", version, about)]
struct Cli {
    /// The project directory (its Cargo package and `.chalice/config.json`).
    #[arg(long, global = true, default_value = ".")]
    project_dir: PathBuf,
    /// On failure, print the whole error (AWS's full answer) rather than its summary.
    #[arg(long, global = true)]
    debug: bool,
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
        /// Build the app with `--release`: slower to build, several times faster to serve.
        #[arg(long)]
        release: bool,
        /// Do not rebuild and restart the app when its sources, Cargo.toml or
        /// .chalice/config.json change; the app then serves the port itself.
        #[arg(long)]
        no_autoreload: bool,
    },
    #[command(flatten)]
    Aws(AwsCommand),
    /// Build the app for Lambda and write deployment.zip and a SAM template (sam.json) or
    /// Terraform configuration (chalice.tf.json) into OUT, for your own deployment pipeline.
    Package {
        /// The directory to write into (created if needed).
        out: PathBuf,
        /// The Chalice stage whose config applies.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The template format.
        #[arg(long, value_enum, default_value_t = PkgFormat::Cloudformation)]
        pkg_format: PkgFormat,
    },
    /// Print the API definition generated from the app's routes and authorizers.
    GenerateOpenapi {
        /// The Chalice stage whose config applies (resource policy, VPC endpoints).
        #[arg(long, default_value = "dev")]
        stage: String,
        /// Swagger 2.0 (what API Gateway imports, as Chalice writes it) or OpenAPI 3.0;
        /// default swagger for a REST API, openapi3 for an HTTP API.
        #[arg(long, value_enum)]
        format: Option<SpecFormat>,
        /// How the Lambda URIs are written: `{..._lambda_arn}` placeholders (as Chalice's
        /// generate-models), CloudFormation Fn::Sub, or Terraform interpolations.
        #[arg(long, value_enum, default_value_t = UriStyle::Templated)]
        uris: UriStyle,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PkgFormat {
    Cloudformation,
    Terraform,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SpecFormat {
    Swagger,
    Openapi3,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum UriStyle {
    Templated,
    Cloudformation,
    Terraform,
}

/// The project in `dir`, saying first when `stage` is not declared in its config (the
/// top-level settings apply, as in Chalice).
fn open(dir: &Path, stage: &str) -> Result<Project> {
    let project = Project::open(dir)?;
    if let Some(note) = project.config().stage(stage)?.undeclared_note() {
        eprintln!("{note}");
    }
    Ok(project)
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
            release,
            no_autoreload,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            local::run(
                &project,
                &LocalOptions {
                    host,
                    port,
                    stage,
                    deny_unemulated,
                    release,
                    autoreload: !no_autoreload,
                },
            )
        }
        Command::Aws(command) => aws::run(&cli.project_dir, command),
        Command::Package {
            out,
            stage,
            pkg_format,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let format = match pkg_format {
                PkgFormat::Cloudformation => Format::CloudFormation,
                PkgFormat::Terraform => Format::Terraform,
            };
            let packaged = package::run(&project, &out, &stage, format)?;
            eprintln!("{}", packaged.build_note);
            println!(
                "Wrote {} and {}",
                packaged.template.display(),
                packaged.zip.display()
            );
            Ok(0)
        }
        Command::GenerateOpenapi {
            stage,
            format,
            uris,
            output,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let uris = match uris {
                UriStyle::Templated => Uris::Templated,
                UriStyle::Cloudformation => Uris::CloudFormation,
                UriStyle::Terraform => Uris::Terraform,
            };
            let definition = openapi::for_project(&project, &stage, &uris)?;
            let doc = definition.document(format.map(|format| match format {
                SpecFormat::Swagger => openapi::SpecFormat::Swagger,
                SpecFormat::Openapi3 => openapi::SpecFormat::Openapi3,
            }))?;
            match output {
                Some(path) => package::write_json(&path, &doc)?,
                None => {
                    let text = serde_json::to_string_pretty(&doc)
                        .map_err(|error| Error::new(format!("cannot serialize: {error}")))?;
                    println!("{text}");
                }
            }
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let debug = cli.debug;
    match run(cli) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("error: {error}");
            match error.detail() {
                Some(detail) if debug => eprintln!("the whole error: {detail}"),
                Some(_) => eprintln!("(--debug prints the whole error)"),
                None => {}
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    /// The one-line summary `--help` starts with names every command there is.
    #[test]
    fn the_help_summary_names_every_command() {
        let command = Cli::command();
        let about = command
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        for subcommand in command.get_subcommands() {
            let name = subcommand.get_name();
            assert!(about.contains(name), "`{name}` is missing from: {about}");
        }
    }
}

//! `chalice-rs`: the command line. Parsing only; the work is in the library's modules.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chalice_cli::deploy::{self, Aws};
use chalice_cli::deployed::DeployedFunction;
use chalice_cli::local::LocalOptions;
use chalice_cli::logs::{self, LogsOptions};
use chalice_cli::openapi::{self, Uris};
use chalice_cli::package::{self, Format};
use chalice_cli::project::Project;
use chalice_cli::{Error, Result, invoke, local, new_project};
use clap::{Parser, Subcommand, ValueEnum};

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
    },
    /// Build the app for Lambda and make the stage on AWS match it.
    Deploy {
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The AWS profile (else the standard credential chain).
        #[arg(long)]
        profile: Option<String>,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove everything the stage deployed.
    Delete {
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The AWS profile (else the standard credential chain).
        #[arg(long)]
        profile: Option<String>,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the stage's Rest API URL.
    Url {
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
    },
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
        /// Swagger 2.0 (what API Gateway imports, as Chalice writes it) or OpenAPI 3.0.
        #[arg(long, value_enum, default_value_t = SpecFormat::Swagger)]
        format: SpecFormat,
        /// How the Lambda URIs are written: `{..._lambda_arn}` placeholders (as Chalice's
        /// generate-models), CloudFormation Fn::Sub, or Terraform interpolations.
        #[arg(long, value_enum, default_value_t = UriStyle::Templated)]
        uris: UriStyle,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print a deployed function's CloudWatch log events, oldest first, as `chalice logs`.
    Logs {
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The function, by its name in the deployed record: `api_handler` (the app) or a
        /// built-in authorizer's name.
        #[arg(long, default_value = deploy::desired::API_HANDLER)]
        name: String,
        /// Keep polling for new events until interrupted.
        #[arg(long, short)]
        follow: bool,
        /// Start here: a time ago (`30s`, `10m`, `2h`, `1d`, `1w`) or an RFC 3339 date-time
        /// (`2026-12-05T06:00:00Z`). Default: the oldest event kept.
        #[arg(long)]
        since: Option<String>,
        /// Print at most this many events.
        #[arg(long)]
        num_entries: Option<usize>,
        /// Include Lambda's own START, END and REPORT lines.
        #[arg(long)]
        include_lambda_messages: bool,
        /// The AWS profile (else the standard credential chain).
        #[arg(long)]
        profile: Option<String>,
    },
    /// Send an event (JSON on standard input; none is `{}`) to a deployed function and print
    /// its answer, as `chalice invoke`; a function that fails prints its error and exits 1.
    Invoke {
        /// The function, by its name in the deployed record: `api_handler` (the app) or a
        /// built-in authorizer's name.
        #[arg(long, default_value = deploy::desired::API_HANDLER)]
        name: String,
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The AWS profile (else the standard credential chain).
        #[arg(long)]
        profile: Option<String>,
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

/// Clients from the standard AWS chain (profiles, AWS_REGION, AWS_ENDPOINT_URL).
fn aws(profile: Option<String>) -> Result<(tokio::runtime::Runtime, Aws)> {
    let (runtime, config) = sdk_config(profile)?;
    let aws = Aws::new(&config)?;
    Ok((runtime, aws))
}

/// The SDK's configuration from the standard AWS chain, and a runtime to run its calls on.
fn sdk_config(profile: Option<String>) -> Result<(tokio::runtime::Runtime, aws_config::SdkConfig)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::new(format!("cannot start the async runtime: {error}")))?;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    let config = runtime.block_on(loader.load());
    if config.region().is_none() {
        return Err(Error::new(
            "no AWS region: set AWS_REGION or a region in your AWS profile",
        ));
    }
    Ok((runtime, config))
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

fn print_progress(line: &str) {
    eprintln!("{line}");
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
                },
            )
        }
        Command::Deploy {
            stage,
            profile,
            dry_run,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let (runtime, aws) = aws(profile)?;
            let report = runtime.block_on(deploy::deploy(
                &project,
                &stage,
                &aws,
                dry_run,
                &mut print_progress,
            ))?;
            if dry_run {
                if report.steps.is_empty() {
                    println!("Nothing to change.");
                }
            } else {
                if report.steps.is_empty() {
                    eprintln!("Nothing changed: the stage already matches the app.");
                }
                println!("{}", report.resources_deployed());
            }
            Ok(0)
        }
        Command::Delete {
            stage,
            profile,
            dry_run,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let (runtime, aws) = aws(profile)?;
            let report = if dry_run {
                runtime.block_on(deploy::delete_dry_run(
                    &project,
                    &stage,
                    &aws,
                    &mut print_progress,
                ))?
            } else {
                runtime.block_on(deploy::delete(&project, &stage, &aws, &mut print_progress))?
            };
            let nothing = if dry_run {
                report.steps.is_empty()
            } else {
                report.deleted.is_empty()
            };
            if nothing {
                eprintln!("Nothing to delete: stage `{stage}` has no resources.");
            }
            Ok(0)
        }
        Command::Url { stage } => {
            let project = open(&cli.project_dir, &stage)?;
            println!("{}", deploy::url(&project, &stage)?);
            Ok(0)
        }
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
            let api = openapi::for_project(&project, &stage, &uris)?;
            let doc = match format {
                SpecFormat::Swagger => api.swagger(),
                SpecFormat::Openapi3 => api.openapi3(),
            };
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
        Command::Logs {
            stage,
            name,
            follow,
            since,
            num_entries,
            include_lambda_messages,
            profile,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let since_ms = since
                .map(|since| logs::since::parse(&since, now_ms()))
                .transpose()?;
            let function = DeployedFunction::find(&project, &stage, &name)?;
            let options = LogsOptions {
                since_ms,
                follow,
                include_lambda_messages,
                max_entries: num_entries,
                ..LogsOptions::default()
            };
            let (runtime, config) = sdk_config(profile)?;
            let client = aws_sdk_cloudwatchlogs::Client::new(&config);
            let mut stdout = std::io::stdout();
            let output = logs::Output {
                print: &mut |line| writeln!(stdout, "{line}").and_then(|()| stdout.flush()),
                note: &mut print_progress,
            };
            runtime.block_on(logs::show(&client, &function.log_group(), &options, output))?;
            Ok(0)
        }
        Command::Invoke {
            name,
            stage,
            profile,
        } => {
            let project = open(&cli.project_dir, &stage)?;
            let function = DeployedFunction::find(&project, &stage, &name)?;
            let mut input = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut input)
                .map_err(|error| Error::new(format!("cannot read standard input: {error}")))?;
            let event = invoke::event_from(&input)?;
            let (runtime, config) = sdk_config(profile)?;
            let client = aws_sdk_lambda::Client::new(&config);
            let answer = runtime.block_on(invoke::invoke(&client, &function, event))?;
            let mut stdout = std::io::stdout();
            stdout
                .write_all(&answer.payload)
                .and_then(|()| match answer.payload.last() {
                    Some(b'\n') | None => Ok(()),
                    Some(_) => stdout.write_all(b"\n"),
                })
                .and_then(|()| stdout.flush())
                .map_err(|error| Error::new(format!("cannot print the answer: {error}")))?;
            match answer.failure(&function) {
                Some(failure) => {
                    eprintln!("error: {failure}");
                    Ok(1)
                }
                None => Ok(0),
            }
        }
    }
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
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

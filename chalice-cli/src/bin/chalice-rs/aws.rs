//! The commands that talk to AWS: `deploy`, `delete`, `url`, `logs` and `invoke`. They need the
//! AWS SDK, chalice-cli's default feature `aws`; a CLI built without it (the README's first
//! command) still lists them and says what to install when one is run.

use std::path::Path;

use chalice_runtime::lambda::API_HANDLER;
use clap::Subcommand;

use chalice_cli::Result;

/// The AWS commands, flattened into the top-level command list.
#[derive(Debug, Subcommand)]
pub enum AwsCommand {
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
        /// Take over roles and functions of the stage's names that are not tagged for this
        /// app and stage (else the deploy refuses them), and tag them.
        #[arg(long)]
        adopt_untagged: bool,
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
    /// Print a deployed function's CloudWatch log events, oldest first, as `chalice logs`.
    Logs {
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The function, by its name in the deployed record: `api_handler` (the app) or a
        /// built-in authorizer's name.
        #[arg(long, default_value = API_HANDLER)]
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
        #[arg(long, default_value = API_HANDLER)]
        name: String,
        /// The Chalice stage.
        #[arg(long, default_value = "dev")]
        stage: String,
        /// The AWS profile (else the standard credential chain).
        #[arg(long)]
        profile: Option<String>,
    },
}

/// What the AWS commands say in a build without the SDK.
#[cfg(not(feature = "aws"))]
pub const WITHOUT_AWS: &str = "this chalice-rs was built without AWS support \
    (--no-default-features), which `deploy`, `delete`, `url`, `logs` and `invoke` need: install \
    the full CLI with `cargo install --path chalice-cli` (or run it with \
    `cargo run -p chalice-cli --`)";

/// Runs `command` on the project in `project_dir`.
#[cfg(not(feature = "aws"))]
pub fn run(_project_dir: &Path, _command: AwsCommand) -> Result<i32> {
    Err(chalice_cli::Error::new(WITHOUT_AWS))
}

/// Runs `command` on the project in `project_dir`.
#[cfg(feature = "aws")]
pub fn run(project_dir: &Path, command: AwsCommand) -> Result<i32> {
    use crate::open;
    match command {
        AwsCommand::Deploy {
            stage,
            profile,
            dry_run,
            adopt_untagged,
        } => {
            let adoption = if adopt_untagged {
                chalice_cli::deploy::Adoption::Untagged
            } else {
                chalice_cli::deploy::Adoption::TaggedOnly
            };
            let project = open(project_dir, &stage)?;
            sdk::deploy(&project, &stage, profile, adoption, dry_run)
        }
        AwsCommand::Delete {
            stage,
            profile,
            dry_run,
        } => sdk::delete(&open(project_dir, &stage)?, &stage, profile, dry_run),
        AwsCommand::Url { stage } => {
            let project = open(project_dir, &stage)?;
            println!("{}", chalice_cli::deploy::url(&project, &stage)?);
            Ok(0)
        }
        AwsCommand::Logs {
            stage,
            name,
            follow,
            since,
            num_entries,
            include_lambda_messages,
            profile,
        } => sdk::logs(
            &open(project_dir, &stage)?,
            &stage,
            &name,
            chalice_cli::logs::LogsOptions {
                since_ms: since
                    .map(|since| chalice_cli::logs::since::parse(&since, sdk::now_ms()))
                    .transpose()?,
                follow,
                include_lambda_messages,
                max_entries: num_entries,
                ..chalice_cli::logs::LogsOptions::default()
            },
            profile,
        ),
        AwsCommand::Invoke {
            name,
            stage,
            profile,
        } => sdk::invoke(&open(project_dir, &stage)?, &stage, &name, profile),
    }
}

/// The commands' work with the SDK's clients.
#[cfg(feature = "aws")]
mod sdk {
    use std::io::Write as _;

    use chalice_cli::deploy::{self, Aws};
    use chalice_cli::deployed::DeployedFunction;
    use chalice_cli::logs::{self, LogsOptions};
    use chalice_cli::project::Project;
    use chalice_cli::{Error, Result, invoke};

    /// The SDK's configuration from the standard AWS chain (profiles, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`), and a runtime to run its calls on.
    fn sdk_config(
        profile: Option<String>,
    ) -> Result<(tokio::runtime::Runtime, aws_config::SdkConfig)> {
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

    fn print_progress(line: &str) {
        eprintln!("{line}");
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            })
    }

    /// `deploy`: make the stage on AWS match the app, or print the plan (`--dry-run`).
    pub fn deploy(
        project: &Project,
        stage: &str,
        profile: Option<String>,
        adoption: deploy::Adoption,
        dry_run: bool,
    ) -> Result<i32> {
        let (runtime, config) = sdk_config(profile)?;
        let aws = Aws::new(&config)?;
        let report = runtime.block_on(deploy::deploy_with(
            project,
            stage,
            &aws,
            adoption,
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

    /// `delete`: remove what the stage deployed, or print the plan (`--dry-run`).
    pub fn delete(
        project: &Project,
        stage: &str,
        profile: Option<String>,
        dry_run: bool,
    ) -> Result<i32> {
        let (runtime, config) = sdk_config(profile)?;
        let aws = Aws::new(&config)?;
        let report = if dry_run {
            runtime.block_on(deploy::delete_dry_run(
                project,
                stage,
                &aws,
                &mut print_progress,
            ))?
        } else {
            runtime.block_on(deploy::delete(project, stage, &aws, &mut print_progress))?
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

    /// `logs`: the function's CloudWatch log events.
    pub fn logs(
        project: &Project,
        stage: &str,
        name: &str,
        options: LogsOptions,
        profile: Option<String>,
    ) -> Result<i32> {
        let function = DeployedFunction::find(project, stage, name)?;
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

    /// `invoke`: the event on standard input sent to the function, its answer printed.
    pub fn invoke(
        project: &Project,
        stage: &str,
        name: &str,
        profile: Option<String>,
    ) -> Result<i32> {
        let function = DeployedFunction::find(project, stage, name)?;
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

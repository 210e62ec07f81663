//! `chalice-rs logs` against moto: events put into a deployed function's log group (in two
//! log streams, as two execution environments write them) are read back through the real
//! binary, oldest first, as `chalice logs` prints them; `--since`, `--name`, `--num-entries`,
//! `--include-lambda-messages` and `--follow` each change what is printed.

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use chalice_cli::deploy::record::{self, Record};
use support::*;

const APP: &str = "logsapp";

/// The `chalice-rs` binary against moto, in `project`'s directory.
fn cli(project: &TestProject) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chalice-rs"));
    command
        .arg("--project-dir")
        .arg(&project.dir)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    command
}

/// Runs `chalice-rs logs ARGS`: its exit status, standard output and standard error.
fn logs(project: &TestProject, args: &[&str]) -> (bool, String, String) {
    let output = cli(project).arg("logs").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A project whose stage `stage` has a record naming the API handler and an authorizer, as a
/// deploy leaves it.
fn deployed_project(stage: &str) -> TestProject {
    let config = format!(r#"{{"app_name": "{APP}", "stages": {{"{stage}": {{}}}}}}"#);
    let project = TestProject::with_config(stage, &config);
    let mut record = Record::default();
    record.set_function(
        "api_handler",
        &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{APP}-{stage}"),
    );
    record.set_function(
        "demo_auth",
        &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{APP}-{stage}-demo_auth"),
    );
    record.save(&record::path(&project.dir, stage)).unwrap();
    project
}

async fn logs_client() -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await)
}

/// Makes `group` afresh with one stream per execution environment.
async fn make_group(client: &aws_sdk_cloudwatchlogs::Client, group: &str, streams: &[&str]) {
    let _ = client.delete_log_group().log_group_name(group).send().await;
    client
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    for stream in streams {
        client
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(*stream)
            .send()
            .await
            .unwrap();
    }
}

/// Puts `(timestamp ms, message)` events into one stream.
async fn put(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    events: &[(i64, &str)],
) {
    let events = events
        .iter()
        .map(|(timestamp, message)| {
            InputLogEvent::builder()
                .timestamp(*timestamp)
                .message(*message)
                .build()
                .unwrap()
        })
        .collect();
    let answer = client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
    assert!(answer.rejected_log_events_info().is_none(), "{answer:?}");
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A whole second `seconds_ago` before now, plus `millis` (never 0, so the fraction shows).
fn at(now: i64, seconds_ago: i64, millis: i64) -> i64 {
    (now / 1000 - seconds_ago) * 1000 + millis
}

/// The time as Chalice prints it (Python's `str` of a UTC datetime), made here from the SDK's
/// RFC 3339 form rather than by the code under test.
fn printed_time(timestamp_ms: i64) -> String {
    let rfc3339 = DateTime::from_millis(timestamp_ms)
        .fmt(Format::DateTime)
        .unwrap();
    let (seconds, fraction) = rfc3339.trim_end_matches('Z').split_once('.').unwrap();
    format!("{}.{fraction:0<6}", seconds.replace('T', " "))
}

/// Lines as printed: each ends with a newline.
fn printed(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

const ENV_A: &str = "2026/12/05/[$LATEST]aaaaaa111111";
const ENV_B: &str = "2026/12/05/[$LATEST]bbbbbb222222";

#[tokio::test(flavor = "multi_thread")]
async fn logs_prints_the_functions_events_oldest_first_as_chalice_does() {
    let stage = "logs1";
    let project = deployed_project(stage);
    let client = logs_client().await;
    let group = format!("/aws/lambda/{APP}-{stage}");
    make_group(&client, &group, &[ENV_A, ENV_B]).await;
    let now = now_ms();
    let (old, start, hello, other, end, report, late) = (
        at(now, 3 * 3600, 101),
        at(now, 1800, 102),
        at(now, 1800, 103),
        at(now, 1200, 104),
        at(now, 600, 105),
        at(now, 600, 106),
        at(now, 300, 107),
    );
    put(
        &client,
        &group,
        ENV_A,
        &[
            (old, "three hours ago\n"),
            (start, "START RequestId: 1f Version: $LATEST"),
            (hello, "  hello from A\n"),
            (end, "END RequestId: 1f"),
            (report, "REPORT RequestId: 1f\tDuration: 1.00 ms"),
        ],
    )
    .await;
    put(
        &client,
        &group,
        ENV_B,
        &[(other, "hello from B"), (late, "later from B")],
    )
    .await;

    let line = |timestamp: i64, env: &str, message: &str| {
        format!("{} {env} {message}", printed_time(timestamp))
    };
    let all = [
        line(old, "aaaaaa", "three hours ago"),
        line(hello, "aaaaaa", "hello from A"),
        line(other, "bbbbbb", "hello from B"),
        line(late, "bbbbbb", "later from B"),
    ];
    let (ok, stdout, stderr) = logs(&project, &["--stage", stage]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, printed(&all), "{stderr}");

    // --since: a time ago, or an RFC 3339 date-time.
    let (ok, stdout, stderr) = logs(&project, &["--stage", stage, "--since", "1h"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, printed(&all[1..]));
    let since = DateTime::from_millis(other).fmt(Format::DateTime).unwrap();
    let (ok, stdout, stderr) = logs(&project, &["--stage", stage, "--since", &since]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, printed(&all[2..]));

    // Lambda's own lines on request; at most --num-entries.
    let (ok, stdout, stderr) = logs(
        &project,
        &[
            "--stage",
            stage,
            "--include-lambda-messages",
            "--num-entries",
            "5",
        ],
    );
    assert!(ok, "{stderr}");
    let expected = [
        all[0].clone(),
        line(start, "aaaaaa", "START RequestId: 1f Version: $LATEST"),
        all[1].clone(),
        all[2].clone(),
        line(end, "aaaaaa", "END RequestId: 1f"),
    ];
    assert_eq!(stdout, printed(&expected));
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_of_another_function_or_of_none_deployed_say_so() {
    let stage = "logs2";
    let project = deployed_project(stage);
    let client = logs_client().await;
    let authorizer_group = format!("/aws/lambda/{APP}-{stage}-demo_auth");
    let _ = client
        .delete_log_group()
        .log_group_name(&authorizer_group)
        .send()
        .await;

    // A function that never ran has no log group: nothing to print, and a note why.
    let (ok, stdout, stderr) = logs(&project, &["--stage", stage, "--name", "demo_auth"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "No logs yet: the log group {authorizer_group} does not exist"
        )),
        "{stderr}"
    );

    // --name picks the function by its record name.
    make_group(&client, &authorizer_group, &[ENV_A]).await;
    let now = at(now_ms(), 10, 5);
    put(&client, &authorizer_group, ENV_A, &[(now, "authorized")]).await;
    let (ok, stdout, stderr) = logs(&project, &["--stage", stage, "--name", "demo_auth"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, format!("{} aaaaaa authorized\n", printed_time(now)));

    // What the record does not hold is refused before any AWS call, naming what it holds.
    let (ok, _, stderr) = logs(&project, &["--stage", stage, "--name", "nope"]);
    assert!(!ok);
    assert!(
        stderr.contains(
            "no function `nope` is deployed (the deployed functions: api_handler, demo_auth) in stage `logs2`"
        ),
        "{stderr}"
    );
    let (ok, _, stderr) = logs(&project, &["--stage", stage, "--since", "yesterday"]);
    assert!(!ok);
    assert!(
        stderr.contains("--since `yesterday`: expected a time ago"),
        "{stderr}"
    );
    std::fs::remove_file(record::path(&project.dir, stage)).unwrap();
    let (ok, _, stderr) = logs(&project, &["--stage", stage]);
    assert!(!ok);
    assert!(
        stderr.contains("stage `logs2` has not been deployed from ")
            && stderr.contains("run `chalice-rs deploy --stage logs2` first"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_follow_prints_new_events_as_they_arrive_and_each_once() {
    let stage = "logs3";
    let project = deployed_project(stage);
    let client = logs_client().await;
    let group = format!("/aws/lambda/{APP}-{stage}");
    make_group(&client, &group, &[ENV_A, ENV_B]).await;
    let first = at(now_ms(), 60, 1);
    put(&client, &group, ENV_A, &[(first, "before following")]).await;

    let mut child = cli(&project)
        .args(["logs", "--stage", stage, "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || received.recv_timeout(Duration::from_secs(30));
    assert_eq!(
        next().unwrap(),
        format!("{} aaaaaa before following", printed_time(first))
    );

    // A new event in another stream, and one in the same millisecond as the last shown.
    let second = at(now_ms(), 1, 2);
    put(&client, &group, ENV_B, &[(second, "while following")]).await;
    assert_eq!(
        next().unwrap(),
        format!("{} bbbbbb while following", printed_time(second))
    );
    put(&client, &group, ENV_A, &[(second, "same millisecond")]).await;
    assert_eq!(
        next().unwrap(),
        format!("{} aaaaaa same millisecond", printed_time(second))
    );

    // Nothing is printed twice over several polls.
    let again = received.recv_timeout(Duration::from_secs(5));
    assert!(again.is_err(), "printed again: {again:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

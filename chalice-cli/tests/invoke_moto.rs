//! `chalice-rs invoke` against moto. Without Docker, moto's Lambda runs no code: an invoke
//! answers with the event it was sent, or with the answers queued through moto's
//! `/moto-api/static/lambda-simple/response`, and never fails. So moto checks that the event
//! on standard input reaches the function the record names and that its answer is printed,
//! and the refusals made before any AWS call (a function the record lacks, an event that is
//! not JSON). What moto cannot answer (a function that failed, a recorded function that is
//! gone) is answered by a one-request stand-in for Lambda's Invoke API.

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use chalice_cli::bundle;
use chalice_cli::deploy::record::{self, Record};
use serde_json::json;
use support::*;

const APP: &str = "invokeapp";

/// Runs `chalice-rs invoke ARGS` in `project` against `endpoint`, with `stdin` as its input.
fn invoke(project: &TestProject, endpoint: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chalice-rs"))
        .arg("--project-dir")
        .arg(&project.dir)
        .arg("invoke")
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A project whose stage `stage` has a record naming the API handler (and an authorizer that
/// was never made), as a deploy leaves it.
fn deployed_project(stage: &str) -> TestProject {
    let config = format!(r#"{{"app_name": "{APP}", "stages": {{"{stage}": {{}}}}}}"#);
    let project = TestProject::with_config(stage, &config);
    let mut record = Record::default();
    record.set_function(
        "api_handler",
        &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{APP}-{stage}"),
    );
    record.set_function(
        "gone_auth",
        &format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{APP}-{stage}-gone_auth"),
    );
    record.save(&record::path(&project.dir, stage)).unwrap();
    project
}

/// Makes the function `name` in moto, afresh.
async fn make_function(clients: &Clients, name: &str) {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = match clients
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
    {
        Ok(made) => made.role().unwrap().arn().to_owned(),
        Err(_) => clients
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .unwrap()
            .role()
            .unwrap()
            .arn()
            .to_owned(),
    };
    let _ = clients
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await;
    let zip = bundle::zip_bootstrap(b"not run by moto").unwrap();
    clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Queues what moto's Lambda answers next in the test region.
async fn queue_answer(answer: &str) {
    let status = reqwest::Client::new()
        .post(format!(
            "{}/moto-api/static/lambda-simple/response",
            endpoint()
        ))
        .json(&json!({"results": [answer], "region": REGION, "account_id": ACCOUNT}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_sends_standard_input_to_the_recorded_function_and_prints_its_answer() {
    let stage = "invoke1";
    let project = deployed_project(stage);
    let clients = clients().await;
    make_function(&clients, &format!("{APP}-{stage}")).await;

    // moto answers with the event it was given: the event reached the function.
    let event = r#"{"path": "/hello", "httpMethod": "GET"}"#;
    let output = invoke(&project, &endpoint(), &["--stage", stage], event);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{event}\n"));

    // What the function answers is printed as it is.
    let answer = r#"{"statusCode":200,"body":"{\"hello\":\"world\"}"}"#;
    queue_answer(answer).await;
    let output = invoke(
        &project,
        &endpoint(),
        &["--stage", stage, "--name", "api_handler"],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{answer}\n"));
}

#[test]
fn invoke_refuses_what_it_cannot_send_and_names_what_is_missing() {
    let stage = "invoke2";
    let project = deployed_project(stage);

    // Recorded, but not on AWS (moto's Lambda without Docker answers even then, so the
    // stand-in gives Lambda's answer).
    let (endpoint, answered) = stand_in_lambda(
        "404 Not Found",
        "X-Amzn-ErrorType: ResourceNotFoundException\r\n",
        r#"{"Type":"User","Message":"Function not found"}"#,
    );
    let output = invoke(
        &project,
        &endpoint,
        &["--stage", stage, "--name", "gone_auth"],
        "{}",
    );
    let (path, _) = answered.join().unwrap();
    assert_eq!(
        path,
        format!("/2015-03-31/functions/{APP}-{stage}-gone_auth/invocations")
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "function `gone_auth` ({APP}-{stage}-gone_auth) is not on AWS though the record names it"
        )),
        "{stderr}"
    );

    // Refused before any AWS call: nothing listens at this endpoint, so a call would say so.
    let nowhere = "http://127.0.0.1:1";
    let output = invoke(&project, nowhere, &["--stage", stage], "{\"unclosed\": ");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the event on standard input is not JSON"),
        "{stderr}"
    );
    let output = invoke(
        &project,
        nowhere,
        &["--stage", stage, "--name", "other"],
        "{}",
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "no function `other` is deployed (the deployed functions: api_handler, gone_auth)"
        ),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// A stand-in for Lambda's Invoke API, for the answers moto's Lambda cannot give: answers one
/// request with `status`, `headers` (each ending in CRLF) and `body`. Returns its endpoint,
/// and the request's path and body once it has answered.
fn stand_in_lambda(
    status: &'static str,
    headers: &'static str,
    body: &'static str,
) -> (String, std::thread::JoinHandle<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let answered = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut request_body = vec![0; length];
        reader.read_exact(&mut request_body).unwrap();
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        (path, String::from_utf8(request_body).unwrap())
    });
    (endpoint, answered)
}

#[test]
fn invoke_prints_a_failed_functions_error_and_exits_non_zero() {
    let stage = "invoke3";
    let project = deployed_project(stage);
    let payload = r#"{"errorType":"&alloc::boxed::Box<dyn core::error::Error>","errorMessage":"no such order"}"#;
    let (endpoint, answered) = stand_in_lambda(
        "200 OK",
        "X-Amz-Function-Error: Unhandled\r\nX-Amz-Executed-Version: $LATEST\r\n",
        payload,
    );
    let output = invoke(&project, &endpoint, &["--stage", stage], r#"{"id": 7}"#);
    let (path, event) = answered.join().unwrap();
    assert_eq!(path, "/2015-03-31/functions/invokeapp-invoke3/invocations");
    assert_eq!(event, r#"{"id": 7}"#);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), format!("{payload}\n"));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "error: function `api_handler` (invokeapp-invoke3) failed (Unhandled error): \
             &alloc::boxed::Box<dyn core::error::Error>: no such order"
        ),
        "{stderr}"
    );
}

//! Authorizer answers API Gateway rejects (no `principalId` or `policyDocument`, a document that
//! is not an object, nested context values, an `Effect` other than `Allow`/`Deny`, ...): on
//! the gateway model and on Lambda each is a clear error naming the field at fault, and the
//! process goes on serving the next request.

use chalice_runtime::gateway::AuthDecision;
use chalice_runtime::lambda::{INVALID_AUTHORIZER_ANSWER, LambdaFunction, Output};
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

/// Each malformed answer, by token, with the words its error must contain.
fn cases() -> Vec<(&'static str, Value, &'static str)> {
    let allow_all = json!({"Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]});
    let with_statement = |statement: Value| json!({"Statement": [statement]});
    let answer = |document: Value| json!({"principalId": "u", "policyDocument": document});
    vec![
        ("null", Value::Null, "not a JSON object"),
        ("array", json!([allow_all]), "not a JSON object"),
        ("string", json!("Allow"), "not a JSON object"),
        (
            "no-principal",
            json!({"policyDocument": allow_all}),
            "no principalId",
        ),
        (
            "bool-principal",
            json!({"principalId": true, "policyDocument": allow_all}),
            "principalId must be a string",
        ),
        (
            "no-document",
            json!({"principalId": "u"}),
            "no policyDocument",
        ),
        (
            "array-document",
            answer(json!([])),
            "policyDocument must be",
        ),
        (
            "string-document",
            answer(json!("{}")),
            "policyDocument must be",
        ),
        (
            "null-document",
            answer(Value::Null),
            "policyDocument must be",
        ),
        (
            "nested-context",
            json!({"principalId": "u", "policyDocument": allow_all, "context": {"user": {"id": 1}}}),
            "context.user is an object",
        ),
        (
            "list-context",
            json!({"principalId": "u", "policyDocument": allow_all, "context": {"ids": [1]}}),
            "context.ids is an array",
        ),
        (
            "null-context-value",
            json!({"principalId": "u", "policyDocument": allow_all, "context": {"x": null}}),
            "context.x is null",
        ),
        (
            "context-not-object",
            json!({"principalId": "u", "policyDocument": allow_all, "context": "ctx"}),
            "context must be an object",
        ),
        (
            "no-statement",
            answer(json!({"Version": "2012-10-17"})),
            "Statement is missing",
        ),
        (
            "lowercase-effect",
            answer(with_statement(
                json!({"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}),
            )),
            "Statement[0].Effect must be \"Allow\" or \"Deny\"",
        ),
        (
            "no-effect",
            answer(with_statement(
                json!({"Action": "execute-api:Invoke", "Resource": "*"}),
            )),
            "Statement[0].Effect is missing",
        ),
        (
            "numeric-effect",
            answer(with_statement(
                json!({"Effect": 1, "Action": "execute-api:Invoke", "Resource": "*"}),
            )),
            "Statement[0].Effect must be",
        ),
        (
            "no-resource",
            answer(with_statement(
                json!({"Effect": "Allow", "Action": "execute-api:Invoke"}),
            )),
            "Statement[0].Resource is missing",
        ),
        (
            "numeric-action",
            answer(with_statement(
                json!({"Effect": "Allow", "Action": 1, "Resource": "*"}),
            )),
            "Statement[0].Action must be a string or an array of strings",
        ),
        (
            "statement-not-object",
            answer(json!({"Statement": ["Allow"]})),
            "Statement[0] must be an object",
        ),
    ]
}

#[app::authorizer]
fn malformed(auth: AuthRequest) -> Value {
    if auth.token == "valid" {
        return json!({"principalId": "u", "context": {"n": 1}, "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}});
    }
    cases()
        .into_iter()
        .find(|(token, _, _)| *token == auth.token)
        .map(|(_, answer, _)| answer)
        .unwrap_or(Value::Null)
}

#[app::authorizer]
fn bad_response(_auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], "u").context(json!(["not", "an", "object"]))
}

#[app::route("/guarded", authorizer = malformed)]
fn guarded(req: &Request) -> Value {
    json!({"principal": req.context.authorizer.fields["principalId"]})
}

#[app::route("/response", authorizer = bad_response)]
fn response_view() -> Value {
    json!({})
}

async fn valid_request_works(client: &Client) {
    let response = client
        .get("/guarded")
        .header("Authorization", "valid")
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), json!({"principal": "u"}));
}

/// On the gateway model: a 500 with API Gateway's body, a decision naming the field, and the
/// next request served.
#[tokio::test]
async fn gateway_answers_500_names_the_field_and_keeps_serving() {
    let client = Client::new(App::new("malformed"));
    for (token, _, expected) in cases() {
        let response = client
            .get("/guarded")
            .header("Authorization", token)
            .send()
            .await;
        assert_eq!(response.status, 500, "{token}: {}", response.text());
        assert_eq!(
            response.header("x-amzn-ErrorType"),
            Some("AuthorizerConfigurationException")
        );
        assert_eq!(response.text(), r#"{"message":null}"#);
        match &response.decision {
            AuthDecision::Failed(reason) => assert!(reason.contains(expected), "{token}: {reason}"),
            other => panic!("{token}: {other:?}"),
        }
        valid_request_works(&client).await;
    }
    let response = client.get("/response").send().await;
    assert_eq!(response.status, 401);
    let response = client
        .get("/response")
        .header("Authorization", "x")
        .send()
        .await;
    assert_eq!(response.status, 500);
    assert!(
        matches!(&response.decision, AuthDecision::Failed(reason) if reason.contains("context must be a JSON object")),
        "{:?}",
        response.decision
    );
}

/// On Lambda: an `InvalidAuthorizerAnswer` error naming the authorizer and the field, and the
/// next event answered.
#[tokio::test]
async fn lambda_errors_name_the_field_and_the_function_keeps_serving() {
    let registry = App::new("malformed").registry().unwrap();
    let function = LambdaFunction::new(registry, "malformed").unwrap();
    let event = |token: &str| {
        json!({"type": "TOKEN", "authorizationToken": token,
               "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/guarded"})
    };
    for (token, _, expected) in cases() {
        let error = function
            .invoke(&event(token).to_string())
            .await
            .unwrap_err();
        assert_eq!(error.error_type, INVALID_AUTHORIZER_ANSWER, "{token}");
        assert!(
            error
                .error_message
                .starts_with("authorizer `malformed` returned an answer API Gateway rejects: "),
            "{token}: {}",
            error.error_message
        );
        assert!(
            error.error_message.contains(expected),
            "{token}: {}",
            error.error_message
        );
        let answer = function.invoke(&event("valid").to_string()).await.unwrap();
        assert!(matches!(answer, Output::Authorizer(_)));
        assert_eq!(serde_json::to_value(&answer).unwrap()["principalId"], "u");
    }
    let function = LambdaFunction::new(registry, "bad_response").unwrap();
    let error = function.invoke(&event("x").to_string()).await.unwrap_err();
    assert!(
        error
            .error_message
            .contains("context must be a JSON object"),
        "{}",
        error.error_message
    );
}

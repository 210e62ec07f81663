//! Policy evaluation, differentially: the fuzzer chooses a method, a path under `/p` and the
//! authorizer's policy document; the gateway's answer must be the one the reference model
//! gives (resolve the resource, build the method ARN, evaluate with the reference IAM
//! evaluator): the view runs exactly when the policy allows that ARN.

#![no_main]

#[path = "../../chalice-runtime/tests/oracle/apigw.rs"]
mod apigw;
#[path = "../common/app.rs"]
mod app;
#[path = "../../chalice-runtime/tests/oracle/iam.rs"]
mod iam;

use chalice_runtime::gateway::{AuthDecision, Gateway, GatewayConfig, GatewayRequest};
use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["GET", "POST", "DELETE", "PUT", "get"];

fuzz_target!(|data: &[u8]| {
    // selector byte, path bytes, 0xFF, policy JSON.
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
    let path = String::from_utf8_lossy(&rest[..split]);
    let Ok(document) = serde_json::from_slice::<Value>(rest.get(split + 1..).unwrap_or(&[])) else {
        return;
    };
    let method = METHODS[usize::from(selector) % METHODS.len()];
    let target = format!("/p/{}", path.split('?').next().unwrap_or(""));
    app::CHOSEN.with(|chosen| {
        *chosen.borrow_mut() = Some(json!({"principalId": "p", "policyDocument": document}))
    });

    thread_local! {
        static GATEWAY: Gateway = Gateway::new(app::registry(), GatewayConfig::default());
    }
    let mut request = GatewayRequest::new(method, target.clone());
    request
        .headers
        .insert("authorization", HeaderValue::from_static("t"));
    let _ = app::take_ran();
    let answer = GATEWAY.with(|gateway| app::block_on(gateway.handle(request)));
    let ran = app::take_ran();

    let routes = app::routes();
    let resources: Vec<&str> = routes.iter().map(|(path, _, _)| *path).collect();
    let expected = match apigw::resolve(&resources, &target) {
        Some((resource, path))
            if routes
                .iter()
                .any(|(p, m, _)| *p == resource && *m == method) =>
        {
            let arn = app::STAGE.method_arn(method, &path);
            Some((resource, iam::evaluate(&document, &arn), arn))
        }
        _ => None,
    };
    let status = answer.response.status_code();
    match (&expected, status, &answer.decision) {
        (None, 403, AuthDecision::NoRoute) => assert!(ran.is_none()),
        (Some((resource, Ok(iam::Verdict::Allow), _)), 200, _) => {
            assert_eq!(ran, Some((resource.to_string(), method.to_owned())));
        }
        (
            Some((_, Ok(iam::Verdict::ExplicitDeny | iam::Verdict::ImplicitDeny), _)),
            403,
            AuthDecision::Denied,
        )
        | (Some((_, Err(_), _)), 500, AuthDecision::Failed(_)) => assert!(ran.is_none()),
        _ => panic!(
            "{method} {target:?} with {document}: expected {expected:?}, got {status} {} (view ran: {ran:?})",
            answer.decision
        ),
    }
});

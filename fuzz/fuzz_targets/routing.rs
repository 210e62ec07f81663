//! Path matching and routing, differentially: the fuzzer chooses the method and the raw request
//! target; with a fixed policy the gateway must reach the resource the reference model resolves
//! (or none), and run a protected view only when the reference evaluator allows the method ARN.

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

const METHODS: [&str; 8] = [
    "GET", "POST", "DELETE", "PUT", "OPTIONS", "get", "HEAD", "Get",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let method = METHODS[usize::from(selector) % METHODS.len()];
    let target = String::from_utf8_lossy(rest).into_owned();

    thread_local! {
        static GATEWAY: Gateway = Gateway::new(app::registry(), GatewayConfig::default());
    }
    let mut request = GatewayRequest::new(method, target.clone());
    request
        .headers
        .insert("authorization", HeaderValue::from_static(app::FIXED_TOKEN));
    let _ = app::take_ran();
    let answer = GATEWAY.with(|gateway| app::block_on(gateway.handle(request)));
    let ran = app::take_ran();
    let status = answer.response.status_code();

    let raw_path = target.split('?').next().unwrap_or("");
    let routes = app::routes();
    let resources: Vec<&str> = routes.iter().map(|(path, _, _)| *path).collect();
    let resolved = apigw::resolve(&resources, raw_path);
    let route = resolved.as_ref().and_then(|(resource, path)| {
        let found = routes
            .iter()
            .find(|(p, m, _)| p == resource && *m == method)?;
        Some((found, path))
    });
    let Some(((resource, _, authorizer), path)) = route else {
        let cors_resource = resolved
            .as_ref()
            .is_some_and(|(resource, _)| *resource == "/open");
        let preflight = method == "OPTIONS"
            && cors_resource
            && matches!(answer.decision, AuthDecision::Preflight);
        assert!(
            preflight || (status == 403 && answer.decision == AuthDecision::NoRoute),
            "{method} {target:?} reaches no route in the model, got {status} {}",
            answer.decision
        );
        assert!(ran.is_none(), "{method} {target:?} ran {ran:?}");
        return;
    };
    let reached = Some((resource.to_string(), method.to_owned()));
    let allowed = match authorizer {
        None => true,
        Some("fixed_token") => {
            let arn = app::STAGE.method_arn(method, path);
            iam::evaluate(&app::fixed_policy(), &arn) == Ok(iam::Verdict::Allow)
        }
        // The REQUEST authorizer needs identity sources this target never sends.
        Some(_) => {
            assert_eq!(
                (status, &answer.decision),
                (401, &AuthDecision::Unauthorized)
            );
            false
        }
    };
    if allowed && ran.is_none() {
        // The only view that refuses its input here: a `{n}` that is not a `u32`.
        assert_eq!(
            (*resource, status),
            ("/num/{n}", 400),
            "{method} {target:?}"
        );
    } else if allowed {
        assert_eq!(
            ran, reached,
            "{method} {target:?}: {status} {}",
            answer.decision
        );
    } else {
        assert!(
            ran.is_none(),
            "{method} {target:?} ran {ran:?} against the policy"
        );
    }
});

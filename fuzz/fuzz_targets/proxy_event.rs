//! REST v1 proxy-event JSON, as Lambda delivers it, into the API handler: whatever the event,
//! the function answers with a proxy response or a Lambda error, never a panic, and a response
//! is one API Gateway can use.

#![no_main]

#[path = "../../chalice-runtime/tests/oracle/apigw.rs"]
mod apigw;
#[path = "../common/app.rs"]
mod app;

use chalice_runtime::lambda::{INVALID_EVENT, LambdaFunction, Output};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    // Lambda hands the function only valid JSON text.
    let Ok(event) = serde_json::from_slice::<&RawValue>(data) else {
        return;
    };
    let function = LambdaFunction::new(app::registry(), "api_handler").expect("api_handler");
    match app::block_on(function.invoke(event.get())) {
        Ok(Output::Api(response)) => {
            assert!(
                (100..=599).contains(&response.status_code),
                "status {}",
                response.status_code
            );
            serde_json::to_vec(&response).expect("the response serializes");
        }
        Ok(Output::Authorizer(answer)) => {
            panic!("the API handler answered as an authorizer: {answer:?}")
        }
        Ok(Output::HttpApi(response)) => {
            panic!("a REST API's handler answered as an HTTP API's: {response:?}")
        }
        Err(diagnostic) => assert_eq!(diagnostic.error_type, INVALID_EVENT, "{diagnostic:?}"),
    }
});

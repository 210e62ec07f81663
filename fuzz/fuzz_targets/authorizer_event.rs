//! TOKEN and REQUEST authorizer-event JSON, as Lambda delivers it, into each built-in
//! authorizer: every event ends in an answer API Gateway accepts or a Lambda error of a known
//! type, never a panic; `Unauthorized` is exactly the message API Gateway turns into a 401.

#![no_main]

#[path = "../../chalice-runtime/tests/oracle/apigw.rs"]
mod apigw;
#[path = "../common/app.rs"]
mod app;

use chalice_runtime::contract::AuthorizerOutput;
use chalice_runtime::lambda::{
    AUTHORIZER_ERROR, INVALID_AUTHORIZER_ANSWER, INVALID_EVENT, LambdaFunction, Output,
    UNAUTHORIZED,
};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    // Lambda hands the function only valid JSON text.
    let Ok(event) = serde_json::from_slice::<&RawValue>(json) else {
        return;
    };
    let name = ["fixed_token", "request_auth", "chosen_answer"][usize::from(selector % 3)];
    let function = LambdaFunction::new(app::registry(), name).expect("a built-in authorizer");
    app::CHOSEN.with(|chosen| *chosen.borrow_mut() = None);
    match app::block_on(function.invoke(event.get())) {
        Ok(Output::Authorizer(answer)) => {
            // The JSON written out, not the typed answer, is what API Gateway checks.
            let answer = answer.into_value();
            if let Err(reason) = AuthorizerOutput::parse(&answer) {
                panic!("{name} let through an answer API Gateway rejects ({reason}): {answer}");
            }
        }
        Ok(Output::Api(response)) => panic!("{name} answered as the API handler: {response:?}"),
        Ok(Output::HttpApi(response)) => {
            panic!("{name} answered as an HTTP API's handler: {response:?}")
        }
        Err(diagnostic) => {
            let known = [
                INVALID_EVENT,
                UNAUTHORIZED,
                AUTHORIZER_ERROR,
                INVALID_AUTHORIZER_ANSWER,
            ];
            assert!(
                known.contains(&diagnostic.error_type.as_str()),
                "{diagnostic:?}"
            );
            if diagnostic.error_type == UNAUTHORIZED {
                assert_eq!(diagnostic.error_message, UNAUTHORIZED);
            }
        }
    }
});

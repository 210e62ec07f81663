//! Sync and async views returning every kind of response.

use chalice_runtime::{App, Error, Response, app};
use serde_json::{Value, json};

#[app::route("/value")]
fn value() -> Value {
    json!({"hello": "world"})
}

#[app::route("/response")]
fn response() -> Response {
    Response::new("created")
        .with_status(201)
        .with_header("Content-Type", "text/plain")
}

#[app::route("/string")]
fn string() -> String {
    String::from("hello")
}

#[app::route("/str")]
fn static_str() -> &'static str {
    "hello"
}

#[app::route("/unit", methods = ["DELETE"])]
fn unit() {}

#[app::route("/result")]
fn result() -> Result<Value, Error> {
    Err(Error::not_found("nothing here"))
}

#[app::route("/async")]
async fn async_value() -> Value {
    json!({"async": true})
}

#[app::route("/async-result")]
async fn async_result() -> Result<Value, chalice_runtime::Error> {
    Ok(json!({}))
}

fn main() {
    let _ = App::new("x");
}

//! `{param}` arguments of any `FromStr` type, in any order, with and without `&Request`.

use chalice_runtime::{App, Request, app};
use serde_json::{Value, json};

#[app::route("/users/{id}")]
fn user(id: u32) -> Value {
    json!({ "id": id })
}

#[app::route("/orgs/{org}/users/{id}", methods = ["GET", "PUT"])]
fn org_user(id: u32, org: String, req: &Request) -> Value {
    json!({ "org": org, "id": id, "method": req.method })
}

#[app::route("/files/{name}")]
async fn file(req: &Request, name: String) -> String {
    format!("{} {name}", req.path)
}

#[app::route("/echo", methods = ["POST"])]
fn echo(req: &Request) -> Result<Value, chalice_runtime::Error> {
    req.json_body()
}

fn main() {
    let _ = App::new("x");
}

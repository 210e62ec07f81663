use chalice_runtime::app;

#[app::route("/")]
fn index() -> Result<serde_json::Value, String> {
    Err("nope".to_owned())
}

fn main() {}

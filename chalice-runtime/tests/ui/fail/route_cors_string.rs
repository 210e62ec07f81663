use chalice_runtime::app;

#[app::route("/", cors = "https://app.example")]
fn index() -> &'static str {
    "index"
}

fn main() {}

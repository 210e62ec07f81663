use chalice_runtime::app;

static ORIGIN: &str = "https://app.example";

#[app::route("/", cors = ORIGIN)]
fn index() -> &'static str {
    "index"
}

fn main() {}

use chalice_runtime::app;

#[app::route("/dup")]
fn first() -> &'static str {
    "first"
}

#[app::route("/dup", methods = ["GET"])]
fn second() -> &'static str {
    "second"
}

fn main() {}

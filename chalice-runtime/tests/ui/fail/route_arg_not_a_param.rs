use chalice_runtime::app;

#[app::route("/v")]
fn v(nope: String) -> String {
    nope
}

fn main() {}

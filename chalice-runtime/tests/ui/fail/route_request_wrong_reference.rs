use chalice_runtime::app;

#[app::route("/")]
fn index(req: &String) -> String {
    req.clone()
}

fn main() {}

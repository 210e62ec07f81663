use chalice_runtime::{Request, app};

#[app::route("/")]
fn index(req: Request) -> String {
    req.method
}

fn main() {}

use chalice_runtime::app;

struct User {
    name: String,
}

#[app::route("/user")]
fn user() -> User {
    User { name: "x".into() }
}

fn main() {}

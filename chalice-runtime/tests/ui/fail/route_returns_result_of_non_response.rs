use chalice_runtime::{Error, app};

struct User;

#[app::route("/user")]
fn user() -> Result<User, Error> {
    Ok(User)
}

fn main() {}

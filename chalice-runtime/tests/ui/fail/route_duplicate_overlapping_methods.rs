use chalice_runtime::app;

#[app::route("/users/{id}", methods = ["GET", "PUT"])]
fn user(id: u32) -> String {
    id.to_string()
}

#[app::route("/users/{id}", methods = ["DELETE", "PUT"])]
fn change_user(id: u32) -> String {
    id.to_string()
}

fn main() {}

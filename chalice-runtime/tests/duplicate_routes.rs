//! One method and path declared in two modules. rustc cannot see it (each module's guard item
//! is its own), so the registry refuses the app wherever it starts: the manifest the CLI reads,
//! the test client, the local server and Lambda all say which route and which two functions.

use chalice_runtime::App;
use chalice_runtime::test::Client;

mod users {
    use chalice_runtime::app;

    #[app::route("/users", methods = ["GET", "POST"])]
    fn list_users() -> &'static str {
        "list"
    }
}

mod admin {
    use chalice_runtime::app;

    #[app::route("/users")]
    fn all_users() -> &'static str {
        "all"
    }

    /// Another method of the same path is no conflict.
    #[app::route("/users", methods = ["DELETE"])]
    fn delete_users() -> &'static str {
        "deleted"
    }
}

/// The line of this file that starts with `prefix`.
fn line_of(prefix: &str) -> usize {
    include_str!("duplicate_routes.rs")
        .lines()
        .position(|line| line.trim_start().starts_with(prefix))
        .unwrap()
        + 1
}

/// The message names the method and path, then each function at its file and line, in source
/// order, and what to do.
fn assert_names_the_route_and_both_functions(message: &str) {
    let file = file!();
    let expected = format!(
        "duplicate route GET /users: declared by `list_users` at {file}:{} and by `all_users` at \
         {file}:{}; one function serves each method of a path, so remove one or change its path \
         or methods",
        line_of(r#"#[app::route("/users", methods = ["GET", "POST"])]"#),
        line_of(r#"#[app::route("/users")]"#),
    );
    assert!(
        message.ends_with(&expected),
        "{message}\nexpected: {expected}"
    );
}

#[test]
fn the_manifest_refuses_the_app_naming_the_route_and_both_functions() {
    let error = App::new("dup").manifest().unwrap_err().to_string();
    assert_names_the_route_and_both_functions(&error);
}

#[test]
fn the_test_client_refuses_the_app_naming_the_route_and_both_functions() {
    let panic = std::panic::catch_unwind(|| Client::new(App::new("dup"))).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.starts_with("app `dup` is not valid: "), "{message}");
    assert_names_the_route_and_both_functions(&message);
}

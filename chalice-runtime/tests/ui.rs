//! The compile errors users get from `#[app::route]` and `#[app::authorizer]`, pinned with
//! trybuild: each `fail` case must fail with exactly its `.stderr`, each `pass` case must build.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p chalice-runtime --test
//! ui`, then read every changed `.stderr`: the caret must sit on the token at fault.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}

//! What the end-to-end tests in `tests/` share: the `chalice-rs` binary of this checkout, run
//! against a project ([`cli`]), and a running `chalice-rs local` to talk to over HTTP
//! ([`local`]). The AWS emulator is testkit's [`chalice_testkit::moto::Moto`].

pub mod cli;
pub mod local;

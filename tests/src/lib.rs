//! What the end-to-end tests in `tests/` share: the `chalice-rs` binary of this checkout, run
//! against a project ([`cli`]), a running `chalice-rs local` to talk to over HTTP ([`local`]),
//! and copies of the examples with stages of their own ([`copy`]). The AWS emulator is
//! testkit's [`chalice_testkit::moto::Moto`].

pub mod cli;
pub mod copy;
pub mod local;

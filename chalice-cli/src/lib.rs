//! The library behind the `chalice-rs` command: each command is a module here, and the binary
//! is a thin shell that parses arguments and calls them.

pub mod bootstrap;
pub mod bundle;
pub mod config;
pub mod deploy;
pub mod deployed;
pub mod error;
pub mod invoke;
pub mod local;
pub mod logs;
pub mod model;
pub mod naming;
pub mod new_project;
pub mod openapi;
pub mod package;
pub mod project;
#[cfg(test)]
mod test_support;

pub use error::{Error, Result};

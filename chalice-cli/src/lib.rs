//! The library behind the `chalice-rs` command: each command is a module here, and the binary
//! is a thin shell that parses arguments and calls them.

pub mod bootstrap;
pub mod bundle;
pub mod config;
#[cfg(feature = "aws")]
pub mod deploy;
#[cfg(feature = "aws")]
pub mod deployed;
pub mod error;
#[cfg(feature = "aws")]
pub mod invoke;
pub mod lambda_build;
pub mod local;
#[cfg(feature = "aws")]
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

//! Errors gathered while checking one attribute, reported together: a user who made three
//! independent mistakes sees all three at once, each at its own span (serde's `Ctxt`).

use std::fmt::Display;

use proc_macro2::Span;

/// The errors found so far; [`Errors::finish`] turns them into one `syn::Error` that rustc
/// shows as one error per span.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn new() -> Self {
        Errors(None)
    }

    /// Adds an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds `message` at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// The value of a check that may fail, its error kept.
    pub(crate) fn check<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `Ok` when nothing was found.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_kept_in_order() {
        let mut errors = Errors::new();
        assert_eq!(errors.check(Ok::<_, syn::Error>(1)), Some(1));
        errors.at(Span::call_site(), "first");
        assert_eq!(
            errors.check::<()>(Err(syn::Error::new(Span::call_site(), "second"))),
            None
        );
        let messages: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
        assert!(Errors::new().finish().is_ok());
    }
}

//! A panic in the user's code is an answer, not a dropped connection: a view that panics is a
//! failed integration (API Gateway's 502) and an authorizer that panics a failed authorizer
//! (500), and the server goes on serving, connections pipelined behind it included.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `call`, turning a panic into its message.
pub(crate) fn catch<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(call)).map_err(message)
}

/// A future whose panics become its message. The user's futures are boxed already, so no pin
/// projection is needed.
pub(crate) struct CatchUnwind<F>(pub(crate) F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch(|| Pin::new(inner).poll(cx)) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(message) => Poll::Ready(Err(message)),
        }
    }
}

/// What `panic!` was given, when it is text.
fn message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "a panic".to_owned(), |text| (*text).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_a_value_passes_through() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(catch(|| -> u8 { panic!("boom") }), Err("boom".to_owned()));
        let code = 3;
        assert_eq!(
            catch(|| -> u8 { panic!("code {code}") }),
            Err("code 3".to_owned())
        );
    }

    #[tokio::test]
    async fn a_future_that_panics_while_polled_ends_with_the_message() {
        let ok: Pin<Box<dyn Future<Output = u8> + Send>> = Box::pin(async { 1 });
        assert_eq!(CatchUnwind(ok).await, Ok(1));
        let panics: Pin<Box<dyn Future<Output = u8> + Send>> = Box::pin(async {
            tokio::task::yield_now().await;
            panic!("later")
        });
        assert_eq!(CatchUnwind(panics).await, Err("later".to_owned()));
    }
}

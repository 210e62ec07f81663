//! From an event, as Lambda delivers it, to the user's function and back: the API handler
//! (REST v1 proxy events) and the built-in authorizers (TOKEN and REQUEST events).
//!
//! The in-process gateway and the Lambda runtime both come through here, so a view sees the
//! same request whichever front end called it.

mod api;
mod authorizer;

pub use api::handle_api_event;
pub use authorizer::{AuthorizerEvent, handle_authorizer_event, run_authorizer};

//! Errors a view returns, mapped to the status codes and bodies Chalice uses.

use std::fmt;

/// The Chalice error kinds a view can raise, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 `BadRequestError`.
    BadRequest,
    /// 401 `UnauthorizedError`.
    Unauthorized,
    /// 403 `ForbiddenError`.
    Forbidden,
    /// 404 `NotFoundError`.
    NotFound,
    /// 405 `MethodNotAllowedError`.
    MethodNotAllowed,
    /// 408 `RequestTimeoutError`.
    RequestTimeout,
    /// 409 `ConflictError`.
    Conflict,
    /// 413 `RequestEntityTooLargeError`.
    RequestEntityTooLarge,
    /// 422 `UnprocessableEntityError`.
    UnprocessableEntity,
    /// 429 `TooManyRequestsError`.
    TooManyRequests,
    /// 500 `ChaliceViewError`: a deliberate server error with a message for the client.
    View,
    /// 500 `InternalServerError`: anything else; the message stays in the logs.
    Internal,
}

impl ErrorKind {
    /// The HTTP status code Chalice answers with.
    pub fn status_code(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::Conflict => 409,
            ErrorKind::RequestEntityTooLarge => 413,
            ErrorKind::UnprocessableEntity => 422,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::View | ErrorKind::Internal => 500,
        }
    }

    /// The Python class name Chalice puts in the `Code` field.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequestError",
            ErrorKind::Unauthorized => "UnauthorizedError",
            ErrorKind::Forbidden => "ForbiddenError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::MethodNotAllowed => "MethodNotAllowedError",
            ErrorKind::RequestTimeout => "RequestTimeoutError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::RequestEntityTooLarge => "RequestEntityTooLargeError",
            ErrorKind::UnprocessableEntity => "UnprocessableEntityError",
            ErrorKind::TooManyRequests => "TooManyRequestsError",
            ErrorKind::View => "ChaliceViewError",
            ErrorKind::Internal => "InternalServerError",
        }
    }
}

/// An error returned by a view.
///
/// The named constructors are Chalice's error classes; any other error converts through `?`
/// into a 500 whose details are logged, never sent to the client.
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(message: impl Into<String>) -> Self {
                Self::new(ErrorKind::$kind, message)
            }
        )*
    };
}

impl Error {
    /// An error of the given kind with a message for the client.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    constructors! {
        /// 400 Bad Request.
        bad_request => BadRequest;
        /// 401 Unauthorized.
        unauthorized => Unauthorized;
        /// 403 Forbidden.
        forbidden => Forbidden;
        /// 404 Not Found.
        not_found => NotFound;
        /// 405 Method Not Allowed.
        method_not_allowed => MethodNotAllowed;
        /// 408 Request Timeout.
        request_timeout => RequestTimeout;
        /// 409 Conflict.
        conflict => Conflict;
        /// 413 Request Entity Too Large.
        request_entity_too_large => RequestEntityTooLarge;
        /// 422 Unprocessable Entity.
        unprocessable_entity => UnprocessableEntity;
        /// 429 Too Many Requests.
        too_many_requests => TooManyRequests;
        /// 500 with the message sent to the client (Chalice's `ChaliceViewError`).
        view => View;
    }

    /// The kind, which decides the status code.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message given at construction.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

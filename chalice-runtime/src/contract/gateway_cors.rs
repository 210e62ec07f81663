//! Which CORS headers API Gateway's own answers carry. The gateway answers some requests itself
//! (an authorizer's 401/403, a missing route's or API key's 403, a failed integration's 5xx);
//! a REST API's `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses and an HTTP API's
//! `CorsConfiguration` are API-wide, so when any route has CORS every such answer carries the
//! headers of one configuration, whichever route was asked for. The local gateway adds them
//! and the CLI deploys them from this one rule.

use std::fmt;

use crate::cors::CorsConfig;
use crate::response::Response;

/// Two CORS routes of one app with different configurations, which API-wide answers cannot
/// both honour (Chalice already refuses two on one path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConflict<R> {
    /// The first route with CORS.
    pub first: R,
    /// A later one whose configuration differs.
    pub second: R,
}

impl<R: fmt::Display> fmt::Display for CorsConflict<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} and {} have different CORS configurations: API Gateway's own answers (an \
             authorizer's 401/403, a missing route's 403, a failed integration's 5xx) carry one \
             API-wide set of CORS headers, so every CORS route of an app shares one \
             configuration (name one `static CorsConfig` on each)",
            self.first, self.second
        )
    }
}

impl<R: fmt::Debug + fmt::Display> std::error::Error for CorsConflict<R> {}

/// The configuration API Gateway's own answers carry, from every CORS route (a description of
/// the route, for errors, and its configuration): the one they share, `None` when no route has
/// CORS, or the first two that differ.
pub fn api_wide_cors<R, C: PartialEq>(
    cors_routes: impl IntoIterator<Item = (R, C)>,
) -> Result<Option<C>, CorsConflict<R>> {
    let mut shared: Option<(R, C)> = None;
    for (route, config) in cors_routes {
        shared = match shared {
            None => Some((route, config)),
            Some((first, known)) if known == config => Some((first, known)),
            Some((first, _)) => {
                return Err(CorsConflict {
                    first,
                    second: route,
                });
            }
        };
    }
    Ok(shared.map(|(_, config)| config))
}

/// One of API Gateway's own answers as it reaches the browser: with the API-wide CORS headers
/// (`gateway_cors`, see [`crate::Registry::gateway_cors`]) when the app has CORS.
pub(crate) fn gateway_answer(
    gateway_cors: Option<&CorsConfig>,
    mut response: Response,
) -> Response {
    if let Some(config) = gateway_cors {
        config.settings().add_to(response.headers_mut());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cors_route_means_no_api_wide_headers() {
        let none: [(&str, u8); 0] = [];
        assert_eq!(api_wide_cors(none), Ok(None));
    }

    #[test]
    fn routes_sharing_a_config_give_it() {
        assert_eq!(api_wide_cors([("a", 1), ("b", 1), ("c", 1)]), Ok(Some(1)));
    }

    #[test]
    fn the_first_two_routes_that_differ_are_named() {
        let conflict = api_wide_cors([("a", 1), ("b", 1), ("c", 2), ("d", 3)]).unwrap_err();
        assert_eq!(
            conflict,
            CorsConflict {
                first: "a",
                second: "c"
            }
        );
        let message = conflict.to_string();
        assert!(
            message.starts_with("a and c have different CORS configurations"),
            "{message}"
        );
    }
}

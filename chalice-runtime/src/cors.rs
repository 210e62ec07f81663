//! CORS headers, as Chalice's default `CORSConfig` (`cors=True`) sets them.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

/// `Access-Control-Allow-Origin` for `cors = true`.
pub const ALLOW_ORIGIN: &str = "*";
/// `Access-Control-Allow-Headers` for `cors = true`: Chalice's defaults.
pub const ALLOW_HEADERS: &str =
    "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key";

/// The CORS headers, name and value, every answer of a `cors = true` route carries: the
/// view's, and API Gateway's own (an authorizer's 401/403, a failed integration's 5xx), so a
/// browser can read each. The local gateway adds them; deploy and package put them on the
/// REST API's `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses.
pub const RESPONSE_HEADERS: [(&str, &str); 2] = [
    ("Access-Control-Allow-Origin", ALLOW_ORIGIN),
    ("Access-Control-Allow-Headers", ALLOW_HEADERS),
];

/// Adds the CORS headers a `cors = true` route answers with, keeping any the view set.
pub fn add_cors_headers(headers: &mut HeaderMap) {
    for (name, value) in RESPONSE_HEADERS {
        // `from_bytes` lowers the case; the names are valid, so the error arm is never taken.
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

/// The `Access-Control-Allow-Methods` of a preflight: the CORS methods of the path, then `OPTIONS`.
pub fn allow_methods<'a>(cors_methods: impl IntoIterator<Item = &'a str>) -> String {
    let mut methods: Vec<&str> = cors_methods.into_iter().collect();
    methods.sort_unstable();
    methods.dedup();
    methods.push("OPTIONS");
    methods.join(",")
}

/// An HTTP API's API-wide `AllowMethods`, from the methods of every `cors = true` route: an
/// HTTP API configures CORS once and answers every preflight from it, deployed (the CLI's
/// `CorsConfiguration`) and locally alike. `None` when no route asks for CORS; `*` when a CORS
/// route answers any method.
pub fn http_api_allow_methods<'a>(
    cors_methods: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let methods: Vec<&str> = cors_methods.into_iter().collect();
    if methods.is_empty() {
        return None;
    }
    if methods
        .iter()
        .any(|method| method.eq_ignore_ascii_case("ANY"))
    {
        return Some("*".to_owned());
    }
    Some(allow_methods(methods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_headers_win_over_defaults() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://a.example"),
        );
        add_cors_headers(&mut headers);
        assert_eq!(headers["access-control-allow-origin"], "https://a.example");
        assert_eq!(headers["access-control-allow-headers"], ALLOW_HEADERS);
    }

    #[test]
    fn every_response_header_is_added() {
        let mut headers = HeaderMap::new();
        add_cors_headers(&mut headers);
        assert_eq!(headers.len(), RESPONSE_HEADERS.len());
        for (name, value) in RESPONSE_HEADERS {
            assert_eq!(headers[name.to_ascii_lowercase().as_str()], value);
        }
    }

    #[test]
    fn preflight_lists_cors_methods_then_options() {
        assert_eq!(allow_methods(["POST"]), "POST,OPTIONS");
        assert_eq!(allow_methods(["PUT", "GET"]), "GET,PUT,OPTIONS");
    }

    #[test]
    fn an_http_api_allows_the_methods_of_every_cors_route() {
        assert_eq!(http_api_allow_methods([]), None);
        assert_eq!(
            http_api_allow_methods(["POST", "GET"]).as_deref(),
            Some("GET,POST,OPTIONS")
        );
        assert_eq!(http_api_allow_methods(["GET", "ANY"]).as_deref(), Some("*"));
    }
}

//! CORS as Chalice configures it: a route's [`CorsConfig`] (Chalice's `CORSConfig`; `cors =
//! true` is [`CorsConfig::DEFAULT`]), the headers it answers with ([`CorsSettings`], which the
//! manifest carries to the CLI), and the preflight's allowed methods.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Deserializer, Serialize};

/// `Access-Control-Allow-Origin` for `cors = true`.
pub const ALLOW_ORIGIN: &str = "*";

/// The request headers every CORS configuration allows (Chalice's required headers); a
/// configuration's own `allow_headers` are added to them.
pub const REQUIRED_HEADERS: [&str; 5] = [
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Api-Key",
];

/// `Access-Control-Allow-Headers` for `cors = true`: [`REQUIRED_HEADERS`], sorted.
pub const ALLOW_HEADERS: &str =
    "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key";

/// A route's CORS configuration, built in a `static` and named on routes with
/// `#[app::route(.., cors = CORS)]`:
///
/// ```
/// use chalice_runtime::cors::CorsConfig;
///
/// static CORS: CorsConfig = CorsConfig::new("https://app.example")
///     .allow_headers(&["X-Special"])
///     .expose_headers(&["X-Request-Id"])
///     .max_age(600)
///     .allow_credentials(true);
/// ```
///
/// Its answers, its path's preflight and API Gateway's own answers (an authorizer's 401/403,
/// a failed integration's 5xx) carry the headers of [`CorsSettings::response_headers`]. Two
/// configurations are equal when they answer with the same headers, as in Chalice.
#[derive(Debug, Clone, Copy)]
pub struct CorsConfig {
    allow_origin: &'static str,
    allow_headers: &'static [&'static str],
    expose_headers: &'static [&'static str],
    max_age: Option<u32>,
    allow_credentials: bool,
}

impl CorsConfig {
    /// `cors = true`: any origin, Chalice's required headers.
    pub const DEFAULT: CorsConfig = CorsConfig::new(ALLOW_ORIGIN);

    /// A configuration allowing `allow_origin` (`Access-Control-Allow-Origin`: one origin, or
    /// `*`), with Chalice's required headers and nothing else.
    pub const fn new(allow_origin: &'static str) -> Self {
        CorsConfig {
            allow_origin,
            allow_headers: &[],
            expose_headers: &[],
            max_age: None,
            allow_credentials: false,
        }
    }

    /// Request headers the browser may send besides [`REQUIRED_HEADERS`]
    /// (`Access-Control-Allow-Headers`).
    pub const fn allow_headers(mut self, headers: &'static [&'static str]) -> Self {
        self.allow_headers = headers;
        self
    }

    /// Response headers the browser lets scripts read (`Access-Control-Expose-Headers`).
    pub const fn expose_headers(mut self, headers: &'static [&'static str]) -> Self {
        self.expose_headers = headers;
        self
    }

    /// How long, in seconds, the browser may cache a preflight (`Access-Control-Max-Age`).
    pub const fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Whether the browser may send credentials (`Access-Control-Allow-Credentials: true`).
    pub const fn allow_credentials(mut self, allow: bool) -> Self {
        self.allow_credentials = allow;
        self
    }

    /// The configuration as data: what the manifest carries and what the headers are made of.
    pub fn settings(&self) -> CorsSettings {
        let mut allow_headers: Vec<String> = REQUIRED_HEADERS
            .iter()
            .chain(self.allow_headers)
            .map(|header| (*header).to_owned())
            .collect();
        // Chalice's order: sorted, each once.
        allow_headers.sort_unstable();
        allow_headers.dedup();
        CorsSettings {
            allow_origin: self.allow_origin.to_owned(),
            allow_headers,
            expose_headers: self
                .expose_headers
                .iter()
                .map(|header| (*header).to_owned())
                .collect(),
            max_age: self.max_age,
            allow_credentials: self.allow_credentials,
        }
    }
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig::DEFAULT
    }
}

impl PartialEq for CorsConfig {
    fn eq(&self, other: &Self) -> bool {
        self.settings() == other.settings()
    }
}

impl Eq for CorsConfig {}

/// A CORS configuration as data, with Chalice's required headers merged in: the manifest's
/// form of a [`CorsConfig`], which the CLI renders for API Gateway.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CorsSettings {
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: String,
    /// `Access-Control-Allow-Headers`, complete: sorted, each once.
    pub allow_headers: Vec<String>,
    /// `Access-Control-Expose-Headers`, when any.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age`, when set.
    #[serde(default)]
    pub max_age: Option<u32>,
    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    #[serde(default)]
    pub allow_credentials: bool,
}

impl Default for CorsSettings {
    /// `cors = true`.
    fn default() -> Self {
        CorsConfig::DEFAULT.settings()
    }
}

impl CorsSettings {
    /// The headers, name and value, that a CORS route's answers, its path's preflight and API
    /// Gateway's own answers carry, in Chalice's order; the optional ones only when set.
    pub fn response_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Access-Control-Allow-Origin", self.allow_origin.clone()),
            ("Access-Control-Allow-Headers", self.allow_headers.join(",")),
        ];
        if !self.expose_headers.is_empty() {
            headers.push((
                "Access-Control-Expose-Headers",
                self.expose_headers.join(","),
            ));
        }
        if let Some(seconds) = self.max_age {
            headers.push(("Access-Control-Max-Age", seconds.to_string()));
        }
        if self.allow_credentials {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
        headers
    }

    /// Adds the response headers, keeping any the view set.
    pub fn add_to(&self, headers: &mut HeaderMap) {
        for (name, value) in self.response_headers() {
            // `check` refuses values that are not valid headers when the app starts.
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) else {
                continue;
            };
            headers.entry(name).or_insert(value);
        }
    }

    /// What API Gateway could not carry: an origin that is not one origin (or `*`), a header
    /// name that is not one, or a `'` (API Gateway writes each value as a `'quoted'` literal).
    pub fn check(&self) -> Result<(), String> {
        let origin = &self.allow_origin;
        let origin_ok = !origin.is_empty()
            && origin
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b',' && byte != b'\'');
        if !origin_ok {
            return Err(format!(
                "allow_origin {origin:?} is not one origin: give `*` or one origin such as \
                 `https://app.example` (printable ASCII, no spaces, commas or quotes)"
            ));
        }
        for (what, names) in [
            ("allow_headers", &self.allow_headers),
            ("expose_headers", &self.expose_headers),
        ] {
            for name in names {
                let valid = !name.contains('\'') && HeaderName::from_bytes(name.as_bytes()).is_ok();
                if !valid {
                    return Err(format!("{what} has {name:?}, which is not a header name"));
                }
            }
        }
        Ok(())
    }
}

/// Reads a route's `cors` from a manifest: the settings, or `null`; `true` and `false` are how
/// manifests written before full CORS configurations said `cors = true` and no CORS.
pub fn deserialize_route_cors<'de, D>(deserializer: D) -> Result<Option<CorsSettings>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Flag(bool),
        Settings(Option<CorsSettings>),
    }
    Ok(match Written::deserialize(deserializer)? {
        Written::Flag(true) => Some(CorsSettings::default()),
        Written::Flag(false) => None,
        Written::Settings(settings) => settings,
    })
}

/// The `Access-Control-Allow-Methods` of a preflight: the CORS methods of the path, then `OPTIONS`.
pub fn allow_methods<'a>(cors_methods: impl IntoIterator<Item = &'a str>) -> String {
    let mut methods: Vec<&str> = cors_methods.into_iter().collect();
    methods.sort_unstable();
    methods.dedup();
    methods.push("OPTIONS");
    methods.join(",")
}

/// An HTTP API's API-wide `AllowMethods`, from the methods of every CORS route: an HTTP API
/// configures CORS once and answers every preflight from it, deployed (the CLI's
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

    static FULL: CorsConfig = CorsConfig::new("https://app.example")
        .allow_headers(&["X-Special", "Content-Type"])
        .expose_headers(&["X-Request-Id", "X-Trace"])
        .max_age(600)
        .allow_credentials(true);

    #[test]
    fn view_headers_win_over_the_configs() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://a.example"),
        );
        CorsSettings::default().add_to(&mut headers);
        assert_eq!(headers["access-control-allow-origin"], "https://a.example");
        assert_eq!(headers["access-control-allow-headers"], ALLOW_HEADERS);
    }

    #[test]
    fn the_default_config_answers_with_origin_and_required_headers_only() {
        assert_eq!(
            CorsSettings::default().response_headers(),
            [
                ("Access-Control-Allow-Origin", "*".to_owned()),
                ("Access-Control-Allow-Headers", ALLOW_HEADERS.to_owned()),
            ]
        );
        assert_eq!(CorsConfig::default(), CorsConfig::DEFAULT);
    }

    #[test]
    fn a_full_config_adds_its_headers_to_the_required_ones_and_sends_every_setting() {
        let settings = FULL.settings();
        assert_eq!(
            settings.response_headers(),
            [
                ("Access-Control-Allow-Origin", "https://app.example".to_owned()),
                (
                    "Access-Control-Allow-Headers",
                    "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key,X-Special"
                        .to_owned()
                ),
                (
                    "Access-Control-Expose-Headers",
                    "X-Request-Id,X-Trace".to_owned()
                ),
                ("Access-Control-Max-Age", "600".to_owned()),
                ("Access-Control-Allow-Credentials", "true".to_owned()),
            ]
        );
        let mut headers = HeaderMap::new();
        settings.add_to(&mut headers);
        assert_eq!(headers.len(), 5);
        assert_eq!(headers["access-control-max-age"], "600");
    }

    #[test]
    fn configs_are_equal_when_they_answer_alike() {
        static REORDERED: CorsConfig = CorsConfig::new("https://app.example")
            .allow_headers(&["Content-Type", "X-Special", "X-Special"])
            .expose_headers(&["X-Request-Id", "X-Trace"])
            .max_age(600)
            .allow_credentials(true);
        assert_eq!(FULL, REORDERED);
        assert_ne!(FULL, FULL.max_age(60));
        assert_ne!(FULL, FULL.allow_credentials(false));
        // Credentials off sends nothing, as does never setting them.
        assert_eq!(
            CorsConfig::DEFAULT.allow_credentials(false),
            CorsConfig::DEFAULT
        );
    }

    #[test]
    fn values_api_gateway_cannot_carry_are_refused_by_name() {
        assert_eq!(FULL.settings().check(), Ok(()));
        assert_eq!(CorsSettings::default().check(), Ok(()));
        for origin in ["", "https://a.example, https://b.example", "it's", "a b"] {
            let error = CorsConfig::new(origin).settings().check().unwrap_err();
            assert!(error.contains("allow_origin"), "{error}");
        }
        static BAD_HEADER: [&str; 1] = ["X Bad"];
        let error = CorsConfig::DEFAULT
            .allow_headers(&BAD_HEADER)
            .settings()
            .check()
            .unwrap_err();
        assert!(
            error.contains("allow_headers") && error.contains("X Bad"),
            "{error}"
        );
        let error = CorsConfig::DEFAULT
            .expose_headers(&["X-It's"])
            .settings()
            .check()
            .unwrap_err();
        assert!(error.contains("expose_headers"), "{error}");
    }

    #[test]
    fn a_manifest_cors_is_settings_null_or_the_old_flag() {
        #[derive(Deserialize)]
        struct Route {
            #[serde(deserialize_with = "deserialize_route_cors")]
            cors: Option<CorsSettings>,
        }
        let read = |json: &str| serde_json::from_str::<Route>(json).unwrap().cors;
        assert_eq!(read(r#"{"cors": true}"#), Some(CorsSettings::default()));
        assert_eq!(read(r#"{"cors": false}"#), None);
        assert_eq!(read(r#"{"cors": null}"#), None);
        let full = FULL.settings();
        let written = serde_json::json!({ "cors": full }).to_string();
        assert_eq!(read(&written), Some(full));
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

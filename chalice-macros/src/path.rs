//! Route paths: what API Gateway and Chalice accept, and the `{param}` names they declare.

use syn::LitStr;

/// Checks a route path and returns its `{param}` names in order.
pub(crate) fn parse(literal: &LitStr) -> syn::Result<Vec<String>> {
    let path = literal.value();
    let error = |message: String| syn::Error::new(literal.span(), message);
    if path.is_empty() {
        return Err(error(
            "route path cannot be the empty string; the root is `\"/\"`".into(),
        ));
    }
    if !path.starts_with('/') {
        return Err(error(format!("route path `{path}` must start with `/`")));
    }
    if path.len() > 1 && path.ends_with('/') {
        return Err(error(format!(
            "route path `{path}` cannot end with a trailing slash; use `{}`",
            path.trim_end_matches('/')
        )));
    }
    let mut params: Vec<String> = Vec::new();
    if path == "/" {
        return Ok(params);
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (index, segment) in segments.iter().copied().enumerate() {
        if segment.is_empty() {
            return Err(error(format!(
                "route path `{path}` has an empty segment (`//`)"
            )));
        }
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return Err(error(format!(
                    "`{segment}` in `{path}` is not a whole `{{param}}` segment"
                )));
            };
            // `{proxy+}`: API Gateway's greedy parameter, the rest of the path.
            let name = match name.strip_suffix('+') {
                Some(greedy) if index + 1 == segments.len() => greedy,
                Some(_) => {
                    return Err(error(format!(
                        "the greedy path parameter `{segment}` must be the last segment of `{path}`"
                    )));
                }
                None => name,
            };
            if !is_identifier(name) {
                return Err(error(format!(
                    "`{segment}` in `{path}`: a path parameter is named like a Rust identifier"
                )));
            }
            if params.iter().any(|p| p == name) {
                return Err(error(format!(
                    "path parameter `{{{name}}}` appears twice in `{path}`"
                )));
            }
            params.push(name.to_owned());
        } else if let Some(bad) = segment.chars().find(|c| !is_path_char(*c)) {
            return Err(error(format!(
                "route path `{path}` has the character {bad:?}, which API Gateway does not allow in a resource path"
            )));
        }
    }
    Ok(params)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The characters API Gateway accepts in a resource path part.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=".contains(c)
}

/// The name of the item the macro declares for one method of a route, so that a route declared
/// twice in one module fails to compile with rustc naming it: ``the name `GET_users__id` is
/// defined multiple times`` for `GET /users/{id}`, at both routes' paths.
///
/// It reads as the route: the method, then each segment after a `_` (standing for its `/`):
/// letters and digits as themselves, any other byte as `__` and two hex digits (`-` is `__2d`),
/// and a `{param}` as a second `_` and its name (`_` in it as `__5f`, a greedy `+` as `__2b`).
/// The encoding is injective (different routes get different names, a test checks it over many
/// paths): a `_` is a segment's start unless it starts an escape (`__` and a hex digit 2 to 7,
/// as every escaped byte is printable ASCII), and a segment's start followed by `_` is a
/// `{param}` unless an escape follows.
pub(crate) fn route_key(method: &str, path: &str) -> String {
    let mut key = method.to_owned();
    let segments = path.strip_prefix('/').unwrap_or(path);
    for segment in segments.split('/') {
        key.push('_');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                key.push('_');
                for byte in param.bytes() {
                    push_byte(&mut key, byte);
                }
            }
            None => {
                for byte in segment.bytes() {
                    push_byte(&mut key, byte);
                }
            }
        }
    }
    key
}

/// One byte of a segment: a letter or digit as itself, anything else escaped.
fn push_byte(key: &mut String, byte: u8) {
    if byte.is_ascii_alphanumeric() {
        key.push(char::from(byte));
    } else {
        key.push_str(&format!("__{byte:02x}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn check(path: &str) -> Result<Vec<String>, String> {
        parse(&LitStr::new(path, Span::call_site())).map_err(|e| e.to_string())
    }

    #[test]
    fn collects_params_in_order() {
        assert_eq!(check("/foo/{bar}/baz/{qux}").unwrap(), ["bar", "qux"]);
        assert_eq!(check("/").unwrap(), Vec::<String>::new());
        assert_eq!(check("/files/{id}/{path+}").unwrap(), ["id", "path"]);
    }

    #[test]
    fn rejects_what_chalice_and_api_gateway_reject() {
        for (path, expected) in [
            ("", "empty string"),
            ("/trailing-slash/", "trailing slash"),
            ("foo", "must start with `/`"),
            ("/a//b", "empty segment"),
            ("/a/{b", "not a whole"),
            ("/a/x{b}", "character '{'"),
            ("/{proxy+}/a", "must be the last segment"),
            ("/{+}", "Rust identifier"),
            ("/{a}/{a+}", "appears twice"),
            ("/{1x}", "Rust identifier"),
            ("/{a}/{a}", "appears twice"),
            ("/a b", "character ' '"),
            ("/a?b", "character '?'"),
        ] {
            let error = check(path).unwrap_err();
            assert!(error.contains(expected), "{path}: {error}");
        }
    }

    #[test]
    fn route_keys_read_as_the_route() {
        assert_eq!(route_key("GET", "/"), "GET_");
        assert_eq!(route_key("GET", "/dup"), "GET_dup");
        assert_eq!(route_key("PUT", "/users/{id}"), "PUT_users__id");
        assert_eq!(
            route_key("GET", "/users/{id}/orders"),
            "GET_users__id_orders"
        );
        assert_eq!(route_key("GET", "/files/{path+}"), "GET_files__path__2b");
        assert_eq!(route_key("GET", "/user-profile"), "GET_user__2dprofile");
        assert_eq!(route_key("GET", "/{user_id}"), "GET__user__5fid");
    }

    /// Every path of up to three segments from pieces chosen to look alike once encoded (`_`,
    /// escapes, hex digits, params with `_`): no two routes share a name, and each is an
    /// identifier.
    #[test]
    fn route_keys_are_injective() {
        let pieces = [
            "a", "_", "a_", "_a", "__", "-", "5f", "_5f", "2d", "a-b", "a_b", "x__2d", "7e", "{a}",
            "{_a}", "{a_}", "{a_b}", "{_5f}", "{a5f}", "{x+}", "{_+}",
        ];
        let mut paths = vec!["/".to_owned()];
        let mut shorter = vec![String::new()];
        for _ in 0..3 {
            let mut longer = Vec::new();
            for prefix in &shorter {
                for piece in pieces {
                    let path = format!("{prefix}/{piece}");
                    if check(&path).is_ok() {
                        paths.push(path.clone());
                        longer.push(path);
                    }
                }
            }
            shorter = longer;
        }
        assert!(paths.len() > 5000, "{}", paths.len());
        let mut seen = std::collections::HashMap::new();
        for path in &paths {
            for method in ["GET", "PUT"] {
                let key = route_key(method, path);
                assert!(syn::parse_str::<syn::Ident>(&key).is_ok(), "{key}");
                if let Some(other) = seen.insert(key.clone(), (method, path)) {
                    panic!("{method} {path} and {other:?} share {key}");
                }
            }
        }
    }
}

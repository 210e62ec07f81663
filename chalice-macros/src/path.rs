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

/// A name that is the same for the same path and method, and different otherwise: the macro
/// declares it as an item so that a duplicate route in the same module fails to compile, with
/// rustc saying "the name `route_GET_users` is defined multiple times".
///
/// It reads as the route: `route_` and the method, then the path with `/` as `_`, letters and
/// digits as themselves, and any other byte as `__` and two hex digits (`{id}` is `__7bid__7d`).
/// Two `_` never stand for two `/` (a checked path has no `//`) and an escape has a fixed length,
/// so different routes get different names.
pub(crate) fn route_key(method: &str, path: &str) -> String {
    let mut key = format!("route_{method}");
    for byte in path.bytes() {
        match byte {
            b'/' => key.push('_'),
            byte if byte.is_ascii_alphanumeric() => key.push(byte as char),
            byte => key.push_str(&format!("__{byte:02x}")),
        }
    }
    key
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
        assert_eq!(route_key("GET", "/"), "route_GET_");
        assert_eq!(route_key("GET", "/dup"), "route_GET_dup");
        assert_eq!(
            route_key("PUT", "/users/{id}"),
            "route_PUT_users___7bid__7d"
        );
    }

    #[test]
    fn route_keys_are_injective() {
        let paths = [
            "/", "/a", "/a/b", "/a_b", "/a-b", "/a/_b", "/a_/b", "/_", "/_/a", "/a/{b}", "/a/{b_}",
            "/a/{_b}", "/a/__2f", "/a/_2f", "/a/x5f", "/{a}/{b}", "/{a}/b", "/a/5f", "/a5f",
        ];
        let mut seen = std::collections::HashMap::new();
        for path in paths {
            check(path).unwrap();
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

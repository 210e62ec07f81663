//! A reference model of what API Gateway (REST, v1) does with a request before any authorizer:
//! which resource a raw path reaches and the method ARN the authorizer's policy is checked
//! against. The oracle of the bypass property tests and the routing fuzzer; it shares no code
//! with the runtime.
//!
//! The rules, as the project models API Gateway (see `gateway/routing.rs` docs for why):
//! a path starts with `/`; one trailing `/` is ignored; an empty segment, or a `.`/`..` segment
//! (also percent-encoded), reaches nothing; nothing is decoded or case-folded; a `{name}`
//! resource segment takes exactly one request segment; the most specific resource wins,
//! literal before parameter from the left. The method must be one the resource has, exactly.

#![allow(dead_code)]

/// The fixed parts of the method ARN: region, account, API id and stage.
#[derive(Debug, Clone, Copy)]
pub struct Stage<'a> {
    pub region: &'a str,
    pub account_id: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
}

impl Stage<'_> {
    /// `arn:aws:execute-api:region:account:api/stage/METHOD/path-without-leading-slash`.
    pub fn method_arn(&self, method: &str, canonical_path: &str) -> String {
        let mut arn = String::from("arn:aws:execute-api:");
        for part in [self.region, ":", self.account_id, ":", self.api_id, "/"] {
            arn.push_str(part);
        }
        for part in [self.stage, "/", method, "/", &canonical_path[1..]] {
            arn.push_str(part);
        }
        arn
    }
}

/// The request path API Gateway works with, or `None` when the path can reach no resource.
pub fn canonical_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') {
        return None;
    }
    if raw == "/" {
        return Some(raw.to_owned());
    }
    let trimmed = match raw.strip_suffix('/') {
        Some(rest) => rest,
        None => raw,
    };
    let segments: Vec<&str> = trimmed[1..].split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return None;
        }
        let decoded = percent_decode(segment);
        if decoded == b"." || decoded == b".." {
            return None;
        }
    }
    Some(trimmed.to_owned())
}

/// The resource a raw path reaches among `resources`, with the canonical path.
pub fn resolve<'r>(resources: &[&'r str], raw_path: &str) -> Option<(&'r str, String)> {
    let path = canonical_path(raw_path)?;
    let request: Vec<&str> = segments(&path);
    let mut best: Option<(&'r str, Vec<bool>)> = None;
    for &resource in resources {
        let wanted = segments(resource);
        if wanted.len() != request.len() {
            continue;
        }
        let mut literal_at = Vec::new();
        let mut fits = true;
        for (want, got) in wanted.iter().zip(&request) {
            let is_param = want.len() > 2 && want.starts_with('{') && want.ends_with('}');
            if !is_param && want != got {
                fits = false;
            }
            literal_at.push(!is_param);
        }
        // Literal beats parameter at the first position where two resources differ.
        if fits && best.as_ref().is_none_or(|(_, known)| literal_at > *known) {
            best = Some((resource, literal_at));
        }
    }
    best.map(|(resource, _)| (resource, path))
}

fn segments(path: &str) -> Vec<&str> {
    if path == "/" {
        Vec::new()
    } else {
        path[1..].split('/').collect()
    }
}

/// `%XX` escapes decoded to bytes; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The value API Gateway gives a query parameter in `queryStringParameters` (the last one),
/// decoded; `a` in `?a` is empty.
pub fn last_query_value(query: &str, name: &str) -> Option<String> {
    let mut found = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if String::from_utf8_lossy(&percent_decode(key)) == name {
            found = Some(String::from_utf8_lossy(&percent_decode(value)).into_owned());
        }
    }
    found
}

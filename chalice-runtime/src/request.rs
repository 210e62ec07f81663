//! What a view receives: [`Request`], built from the API Gateway proxy event.

use std::collections::HashMap;

use http::HeaderMap;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::contract::headers::last_value;
use crate::error::Error;
use crate::request_context::RequestContext;

/// A map from a name to one or more values, as Chalice's `MultiDict` for query strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiDict {
    entries: Vec<(String, Vec<String>)>,
}

impl MultiDict {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value under `name`, after any it already has.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        match self.entries.iter_mut().find(|(key, _)| *key == name) {
            Some((_, values)) => values.push(value.into()),
            None => self.entries.push((name, vec![value.into()])),
        }
    }

    /// The last value given for `name`, as API Gateway's `queryStringParameters` holds it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).last().map(String::as_str)
    }

    /// Every value given for `name`, in request order.
    pub fn get_all(&self, name: &str) -> &[String] {
        self.entries
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, values)| values.as_slice())
            .unwrap_or(&[])
    }

    /// The names and their values, in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .iter()
            .map(|(name, values)| (name.as_str(), values.as_slice()))
    }

    /// True when there are no names.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Serialize for MultiDict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, values) in &self.entries {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

/// The current request, as Chalice's `app.current_request`.
///
/// `context` is API Gateway's `requestContext`, the authorizer's output included
/// (`context.authorizer.fields["principalId"]`); it serializes as API Gateway sends it, so a
/// view can echo it with `json!({"context": req.context})`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The HTTP method, upper case.
    pub method: String,
    /// The route's resource path (`/users/{id}`), as Chalice's `request.path`.
    pub path: String,
    /// The request headers; lookups ignore case.
    pub headers: HeaderMap,
    /// The query string, decoded; `None` when the request had none.
    pub query_params: Option<MultiDict>,
    /// The values captured by the route's `{param}` segments.
    pub uri_params: HashMap<String, String>,
    /// The API Gateway stage variables.
    pub stage_vars: HashMap<String, String>,
    /// API Gateway's request context.
    pub context: RequestContext,
    /// The body, base64-decoded when API Gateway encoded it.
    pub raw_body: Vec<u8>,
}

impl Request {
    /// The body as JSON; an empty body is `null`, invalid JSON a 400 as in Chalice.
    pub fn json_body(&self) -> Result<Value, Error> {
        if self.raw_body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.raw_body).map_err(|_| Error::bad_request("Error Parsing JSON"))
    }

    /// The body as UTF-8 text, if it is.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.raw_body).ok()
    }

    /// The value of one header, if present and text; of a repeated header, the last value, as
    /// API Gateway's `headers` (and Chalice's `request.headers`) hold it, and as the
    /// authorizer read it.
    pub fn header(&self, name: &str) -> Option<&str> {
        last_value(&self.headers, name)
    }
}

/// Serializes as Chalice's `Request.to_dict()`: everything but the body.
impl Serialize for Request {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .keys()
            .filter_map(|name| {
                let value = last_value(&self.headers, name)?;
                Some((name.as_str().to_owned(), Value::String(value.to_owned())))
            })
            .collect();
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("query_params", &self.query_params)?;
        map.serialize_entry("headers", &headers)?;
        map.serialize_entry("uri_params", &self.uri_params)?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("context", &self.context)?;
        map.serialize_entry("stage_vars", &self.stage_vars)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multidict_get_is_the_last_value_and_get_all_every_value() {
        let mut query = MultiDict::new();
        query.append("a", "1");
        query.append("b", "");
        query.append("a", "2");
        assert_eq!(query.get("a"), Some("2"));
        assert_eq!(query.get_all("a"), ["1", "2"]);
        assert_eq!(query.get("b"), Some(""));
        assert_eq!(query.get("missing"), None);
        assert_eq!(
            serde_json::to_value(&query).unwrap(),
            serde_json::json!({"a": ["1", "2"], "b": [""]})
        );
    }
}

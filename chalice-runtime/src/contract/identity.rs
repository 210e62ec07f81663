//! A REQUEST authorizer's identity sources: what each names, and where API Gateway reads it.
//!
//! The in-process gateway resolves them on the request it is matching, and the Lambda
//! authorizer on the event API Gateway sent; both describe their request through
//! [`IdentityValues`] and resolve through [`identity_value`], so a source means the same thing
//! in both places.

use std::borrow::Cow;
use std::fmt;

/// One identity source, as `#[app::authorizer(identity_sources = [..])]` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdentitySource<'a> {
    /// `header.<name>`: the request header.
    Header(&'a str),
    /// `querystring.<name>`: the query parameter (its last value).
    Query(&'a str),
    /// `stageVariables.<name>`: the stage variable.
    StageVariable(&'a str),
    /// `context.<variable>`: a variable of the request context.
    Context(ContextVariable),
}

impl<'a> IdentitySource<'a> {
    /// Reads `kind.name`; an unknown kind or context variable is an error saying what is allowed.
    pub(crate) fn parse(source: &'a str) -> Result<Self, InvalidIdentitySource> {
        let invalid = || InvalidIdentitySource(source.to_owned());
        let (kind, name) = source.split_once('.').ok_or_else(invalid)?;
        if name.is_empty() {
            return Err(invalid());
        }
        Ok(match kind {
            "header" => IdentitySource::Header(name),
            "querystring" => IdentitySource::Query(name),
            "stageVariables" => IdentitySource::StageVariable(name),
            "context" => IdentitySource::Context(ContextVariable::parse(name).ok_or_else(invalid)?),
            _ => return Err(invalid()),
        })
    }
}

/// The request-context variables an identity source may name: those API Gateway puts in the
/// REQUEST authorizer's `requestContext`, so the Lambda authorizer can read each one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextVariable {
    AccountId,
    ApiId,
    HttpMethod,
    Path,
    RequestId,
    ResourceId,
    ResourcePath,
    SourceIp,
    Stage,
}

impl ContextVariable {
    /// Every variable, with its name after `context.`.
    pub(crate) const ALL: [(&'static str, ContextVariable); 9] = [
        ("accountId", ContextVariable::AccountId),
        ("apiId", ContextVariable::ApiId),
        ("httpMethod", ContextVariable::HttpMethod),
        ("path", ContextVariable::Path),
        ("requestId", ContextVariable::RequestId),
        ("resourceId", ContextVariable::ResourceId),
        ("resourcePath", ContextVariable::ResourcePath),
        ("identity.sourceIp", ContextVariable::SourceIp),
        ("stage", ContextVariable::Stage),
    ];

    fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, variable)| *variable)
    }

    /// Its name, which is also its path in `requestContext` (`identity.sourceIp`).
    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, variable)| *variable == self)
            .map_or("", |(name, _)| name)
    }
}

/// An identity source that names nothing API Gateway can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidIdentitySource(String);

impl fmt::Display for InvalidIdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variables: Vec<&str> = ContextVariable::ALL.iter().map(|(name, _)| *name).collect();
        write!(
            f,
            "identity source `{}` must be `header.<name>`, `querystring.<name>`, \
             `stageVariables.<name>` or `context.<variable>` with a variable of {}",
            self.0,
            variables.join(", ")
        )
    }
}

/// A request as an identity source reads it. Values borrow from the request (`'a`).
pub(crate) trait IdentityValues<'a> {
    /// The header's value.
    fn header(&self, name: &str) -> Option<&'a str>;
    /// The query parameter's last value, as `queryStringParameters` holds it.
    fn query(&self, name: &str) -> Option<&'a str>;
    /// The stage variable.
    fn stage_variable(&self, name: &str) -> Option<&'a str>;
    /// The request-context variable.
    fn context(&self, variable: ContextVariable) -> Option<Cow<'a, str>>;
}

/// The value of `source` in `request`, or `None` when it is missing or empty: API Gateway
/// answers 401 then, without running the authorizer. A source that does not parse names
/// nothing; the registry refuses such an authorizer when the app starts.
pub(crate) fn identity_value<'a>(
    request: &impl IdentityValues<'a>,
    source: &str,
) -> Option<Cow<'a, str>> {
    let value = match IdentitySource::parse(source).ok()? {
        IdentitySource::Header(name) => request.header(name).map(Cow::Borrowed),
        IdentitySource::Query(name) => request.query(name).map(Cow::Borrowed),
        IdentitySource::StageVariable(name) => request.stage_variable(name).map(Cow::Borrowed),
        IdentitySource::Context(variable) => request.context(variable),
    };
    value.filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl IdentityValues<'static> for Fixed {
        fn header(&self, name: &str) -> Option<&'static str> {
            (name == "X-Token")
                .then_some("t")
                .or((name == "Empty").then_some(""))
        }
        fn query(&self, name: &str) -> Option<&'static str> {
            (name == "key").then_some("k")
        }
        fn stage_variable(&self, name: &str) -> Option<&'static str> {
            (name == "env").then_some("dev")
        }
        fn context(&self, variable: ContextVariable) -> Option<Cow<'static, str>> {
            Some(Cow::Borrowed(variable.name()))
        }
    }

    #[test]
    fn each_kind_reads_its_own_part_of_the_request() {
        let value = |source| identity_value(&Fixed, source).map(Cow::into_owned);
        assert_eq!(value("header.X-Token").as_deref(), Some("t"));
        assert_eq!(value("querystring.key").as_deref(), Some("k"));
        assert_eq!(value("stageVariables.env").as_deref(), Some("dev"));
        assert_eq!(
            value("context.identity.sourceIp").as_deref(),
            Some("identity.sourceIp")
        );
        // Missing and empty are alike: API Gateway's 401.
        assert_eq!(value("header.Other"), None);
        assert_eq!(value("header.Empty"), None);
        assert_eq!(value("querystring.other"), None);
    }

    #[test]
    fn sources_that_name_nothing_are_refused_with_what_is_allowed() {
        for bad in [
            "header",
            "header.",
            "cookie.x",
            "context.nope",
            "context.identity",
            "",
        ] {
            let error = IdentitySource::parse(bad).unwrap_err().to_string();
            assert!(error.contains(&format!("`{bad}`")), "{error}");
            assert!(error.contains("identity.sourceIp"), "{error}");
            assert_eq!(identity_value(&Fixed, bad), None);
        }
        for (name, variable) in ContextVariable::ALL {
            assert_eq!(
                IdentitySource::parse(&format!("context.{name}")),
                Ok(IdentitySource::Context(variable))
            );
            assert_eq!(variable.name(), name);
        }
    }
}

//! Execute-api ARNs: the `methodArn` API Gateway sends to a TOKEN or REQUEST authorizer, and
//! the route ARNs of a policy built from an `AuthResponse`.

/// The parts of an execute-api ARN that are fixed for one deployed stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApiArn<'a> {
    pub(crate) region: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) api_id: &'a str,
    /// The API Gateway stage (`api_gateway_stage`), not the chalice stage.
    pub(crate) stage: &'a str,
}

impl ApiArn<'_> {
    /// `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/`: the part of every method ARN
    /// that one stage fixes, built once per gateway.
    pub(crate) fn stage_prefix(&self) -> String {
        [
            "arn:aws:execute-api:",
            self.region,
            ":",
            self.account_id,
            ":",
            self.api_id,
            "/",
            self.stage,
            "/",
        ]
        .concat()
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{path}` from the stage's
/// [`ApiArn::stage_prefix`], where `path` is `normalized_path` without its leading `/`; built
/// on every request.
///
/// The root is therefore `…/GET/` (one slash), unlike chalice local's `…/GET//`, and the stage
/// is the configured one rather than chalice local's fixed `api`. `normalized_path` must
/// already be in the form `RouteTable::normalize` returns (no query string, no trailing
/// slash); it is used verbatim, so percent-escapes and colons stay as they are. `method` is
/// used verbatim too (`GET`, or `*` in a policy resource).
pub(crate) fn method_arn_under(stage_prefix: &str, method: &str, normalized_path: &str) -> String {
    let path = normalized_path.strip_prefix('/').unwrap_or(normalized_path);
    let mut arn = String::with_capacity(stage_prefix.len() + method.len() + 1 + path.len());
    arn.push_str(stage_prefix);
    arn.push_str(method);
    arn.push('/');
    arn.push_str(path);
    arn
}

/// A request's method ARN by its parts. The stage prefix is the same for every request one
/// gateway sees, so the method and path tell two ARNs apart, and the text is written only when
/// an authorizer's event or a policy needs it: a request answered from the cache does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MethodArn<'a> {
    pub(crate) stage_prefix: &'a str,
    pub(crate) method: &'a str,
    /// In the form [`method_arn_under`] takes.
    pub(crate) path: &'a str,
}

impl MethodArn<'_> {
    /// The ARN as API Gateway writes it.
    pub(crate) fn text(&self) -> String {
        method_arn_under(self.stage_prefix, self.method, self.path)
    }
}

/// What every route ARN of a policy shares with the method ARN: `arn:aws:execute-api:region:
/// account:`, the API and the stage.
pub(crate) struct ApiOfArn<'a> {
    head: &'a str,
    api_id: &'a str,
    stage: &'a str,
}

impl<'a> ApiOfArn<'a> {
    /// The API and stage of `method_arn`; `None` when it is not an execute-api ARN.
    pub(crate) fn parse(method_arn: &'a str) -> Option<Self> {
        let resource = method_arn.splitn(6, ':').nth(5)?;
        let mut parts = resource.split('/');
        let (Some(api_id), Some(stage)) = (parts.next(), parts.next()) else {
            return None;
        };
        Some(ApiOfArn {
            head: &method_arn[..method_arn.len() - resource.len()],
            api_id,
            stage,
        })
    }

    /// The ARN that allows `method` on `path`.
    ///
    /// As Chalice: the first character of `path` is dropped (paths start with `/`), `*` alone
    /// means every path, and `{param}` segments are kept literally (use `*` to match any value).
    pub(crate) fn route_arn(&self, path: &str, method: &str) -> String {
        let rest = path.char_indices().nth(1).map_or("", |(i, _)| &path[i..]);
        let star = if path == "*" { "*" } else { "" };
        [
            self.head,
            self.api_id,
            "/",
            self.stage,
            "/",
            method,
            "/",
            rest,
            star,
        ]
        .concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method_arn(arn: &ApiArn<'_>, method: &str, path: &str) -> String {
        method_arn_under(&arn.stage_prefix(), method, path)
    }

    /// The values chalice local hard-codes, with the stage it always uses.
    const LOCAL: ApiArn<'static> = ApiArn {
        region: "mars-west-1",
        account_id: "123456789012",
        api_id: "ymy8tbxw7b",
        stage: "api",
    };

    // chalice-test-cases.md items 60-63 (TestArnBuilder).

    #[test]
    fn item_60_basic_arn() {
        assert_eq!(
            method_arn(&LOCAL, "GET", "/resource"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/resource"
        );
    }

    #[test]
    fn item_61_root_arn_has_a_single_slash() {
        // chalice local gives `.../api/GET//`; API Gateway (and chalice's own
        // test_root_resource) gives `.../GET/`.
        assert_eq!(
            method_arn(&LOCAL, "GET", "/"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/"
        );
    }

    #[test]
    fn item_62_multi_part_arn() {
        assert_eq!(
            method_arn(&LOCAL, "GET", "/path/to/resource"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/path/to/resource"
        );
    }

    #[test]
    fn item_63_glob_method_arn() {
        assert_eq!(
            method_arn(&LOCAL, "*", "/resource"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/*/resource"
        );
    }

    // Item 64 (query string stripped) belongs to the caller: the path given
    // here is already normalized and has no query.

    #[test]
    fn uses_the_configured_stage_region_account_and_api() {
        let arn = ApiArn {
            region: "us-west-2",
            account_id: "111122223333",
            api_id: "abcdef1234",
            stage: "dev",
        };
        assert_eq!(
            method_arn(&arn, "POST", "/users/42"),
            "arn:aws:execute-api:us-west-2:111122223333:abcdef1234/dev/POST/users/42"
        );
        assert_eq!(
            method_arn(&arn, "GET", "/"),
            "arn:aws:execute-api:us-west-2:111122223333:abcdef1234/dev/GET/"
        );
    }

    #[test]
    fn path_is_used_verbatim() {
        assert_eq!(
            method_arn(&LOCAL, "GET", "/users/abc%20def"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/users/abc%20def"
        );
        assert_eq!(
            method_arn(&LOCAL, "GET", "/foo/a:b:c:d"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/foo/a:b:c:d"
        );
        assert_eq!(
            method_arn(&LOCAL, "GET", "/Mixed/Case"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/Mixed/Case"
        );
    }

    #[test]
    fn only_one_leading_slash_is_dropped() {
        // Not a normalized path, but the function must not panic or guess.
        assert_eq!(
            method_arn(&LOCAL, "GET", "resource"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/resource"
        );
        assert_eq!(
            method_arn(&LOCAL, "GET", "//x"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET//x"
        );
        assert_eq!(
            method_arn(&LOCAL, "GET", ""),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/GET/"
        );
    }

    #[test]
    fn method_is_used_verbatim() {
        assert_eq!(
            method_arn(&LOCAL, "DELETE", "/x"),
            "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api/DELETE/x"
        );
    }
}

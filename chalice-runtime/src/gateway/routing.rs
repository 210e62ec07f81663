//! API Gateway (REST API, v1) resource matching.
//!
//! Real API Gateway matches a request path against the API's resource tree
//! segment by segment: literal segments are compared byte for byte, and a
//! `{name}` resource takes exactly one path segment. This module models that
//! with a tree (one node per segment), not with regexes, so that the most
//! specific resource wins and the matching cost is bounded by the size of the
//! tree rather than by the request.
//!
//! Where `chalice local` differs (it tries regexes in sorted order), this
//! follows API Gateway.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

/// The API's resources, as a tree of path segments.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteTable {
    root: Node,
}

/// The resource a request path matched, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteMatch<'a> {
    /// The resource path as registered, e.g. `/users/{id}`.
    pub(crate) resource_path: &'a str,
    /// `(name, raw value)` for each `{name}` segment, in path order. Values
    /// are not percent-decoded: API Gateway hands them to the proxy event
    /// as they appeared in the request.
    pub(crate) params: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// The registered resource path that ends at this node, if any.
    resource: Option<String>,
    literals: BTreeMap<String, Node>,
    /// `{name}` children. API Gateway allows at most one per level (it
    /// rejects a sibling with another name), but keeping them all, tried in
    /// registration order, means no registered resource is silently lost.
    params: Vec<(String, Node)>,
    /// A greedy `{name+}` child, which takes every remaining segment (one at least) and is
    /// tried last: `(name, resource path)`.
    greedy: Option<(String, String)>,
}

/// Work for the iterative depth-first search in [`RouteTable::match_path`].
enum Step<'t, 'p> {
    /// Try to match `segments[depth..]` below `node`.
    Visit(&'t Node, usize),
    /// Enter a `{name}` child having captured `value`.
    Capture(&'t str, &'p str, &'t Node, usize),
    /// Undo the matching `Capture` once its subtree failed.
    Release,
    /// Match a greedy `{name+}` resource with `segments[depth..]`.
    Greedy(&'t str, &'t str, usize),
}

impl RouteTable {
    /// Builds the table from resource paths such as `/`, `/users/{id}` or
    /// `/a/{x}/c`.
    ///
    /// A resource path that does not start with `/` or that has an empty
    /// segment (`/a//b`, `/a/`) could never match a normalized request, so
    /// it is skipped; rejecting such routes is the validator's job. The
    /// first registration of a duplicate path wins.
    pub(crate) fn new<'a>(resource_paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut table = Self::default();
        for path in resource_paths {
            let Some(segments) = resource_segments(path) else {
                continue;
            };
            let mut node = &mut table.root;
            for (index, segment) in segments.iter().copied().enumerate() {
                if let Some(name) = param_name(segment).and_then(|name| name.strip_suffix('+')) {
                    // Greedy: only as the last segment, as the macro requires.
                    if index + 1 == segments.len() && !name.is_empty() {
                        node.greedy
                            .get_or_insert_with(|| (name.to_owned(), path.to_owned()));
                    }
                    break;
                }
                node = match param_name(segment) {
                    Some(name) => {
                        let index = match node.params.iter().position(|(n, _)| n == name) {
                            Some(index) => index,
                            None => {
                                node.params.push((name.to_owned(), Node::default()));
                                node.params.len() - 1
                            }
                        };
                        &mut node.params[index].1
                    }
                    None => node.literals.entry(segment.to_owned()).or_default(),
                };
            }
            if is_greedy(path) {
                continue;
            }
            node.resource.get_or_insert_with(|| path.to_owned());
        }
        table
    }

    /// Finds the resource for a raw request path (without its query string).
    ///
    /// Literal children are preferred over `{param}` children at every
    /// level, backtracking when the literal branch dead-ends, so with
    /// `/a/b/c` and `/a/{x}/d` the path `/a/b/d` matches `/a/{x}/d`.
    pub(crate) fn match_path(&self, path: &str) -> Option<RouteMatch<'_>> {
        let normalized = Self::normalize(path)?;
        let segments = split_segments(normalized);

        // Each tree node sits at a fixed depth, so it is visited at most
        // once: the search is linear in the size of the tree. It is
        // iterative so that no request can exhaust the stack.
        let mut captured: Vec<(&str, &str)> = Vec::new();
        let mut stack = vec![Step::Visit(&self.root, 0)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Release => {
                    captured.pop();
                }
                Step::Capture(name, value, node, depth) => {
                    captured.push((name, value));
                    stack.push(Step::Release);
                    stack.push(Step::Visit(node, depth));
                }
                Step::Greedy(name, resource_path, depth) => {
                    let mut params: Vec<(String, String)> = captured
                        .iter()
                        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                        .collect();
                    params.push((name.to_owned(), segments[depth..].join("/")));
                    return Some(RouteMatch {
                        resource_path,
                        params,
                    });
                }
                Step::Visit(node, depth) => {
                    let Some(&segment) = segments.get(depth) else {
                        match &node.resource {
                            Some(resource_path) => {
                                return Some(RouteMatch {
                                    resource_path,
                                    params: captured
                                        .iter()
                                        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                                        .collect(),
                                });
                            }
                            None => continue,
                        }
                    };
                    // Pushed in reverse: the literal child is tried first,
                    // then the `{param}` children in registration order, then
                    // a greedy `{name+}`.
                    if let Some((name, resource_path)) = &node.greedy {
                        stack.push(Step::Greedy(name, resource_path, depth));
                    }
                    for (name, child) in node.params.iter().rev() {
                        stack.push(Step::Capture(name, segment, child, depth + 1));
                    }
                    if let Some(child) = node.literals.get(segment) {
                        stack.push(Step::Visit(child, depth + 1));
                    }
                }
            }
        }
        None
    }

    /// The canonical form of a raw request path, used both for matching and
    /// for the method ARN; `None` when API Gateway would match nothing.
    ///
    /// - The path must start with `/`.
    /// - One trailing `/` is dropped (`/foo/` is `/foo`), except for `/`.
    /// - Any empty segment (`//`, `/a//b`, `/foo//`) is rejected.
    /// - `.` and `..` segments, also percent-encoded (`%2e`, `.%2E`, …), are
    ///   rejected rather than resolved, so no path can reach a resource by
    ///   walking out of another one.
    /// - Nothing is percent-decoded or case-folded.
    pub(crate) fn normalize(path: &str) -> Option<&str> {
        if path == "/" {
            return Some(path);
        }
        let rest = path.strip_prefix('/')?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return None;
        }
        if rest.split('/').any(|s| s.is_empty() || is_dot_segment(s)) {
            return None;
        }
        Some(&path[..=rest.len()])
    }
}

/// The segments of a normalized path; the root has none.
fn split_segments(normalized: &str) -> Vec<&str> {
    match normalized.strip_prefix('/') {
        Some("") | None => Vec::new(),
        Some(rest) => rest.split('/').collect(),
    }
}

/// The segments of a registered resource path, or `None` if it is unusable.
fn resource_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    segments.iter().all(|s| !s.is_empty()).then_some(segments)
}

/// `Some(name)` for a whole-segment `{name}` with a non-empty name.
fn param_name(segment: &str) -> Option<&str> {
    segment
        .strip_prefix('{')?
        .strip_suffix('}')
        .filter(|name| !name.is_empty())
}

/// Whether a resource path ends in a greedy `{name+}` segment.
fn is_greedy(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .and_then(param_name)
        .is_some_and(|name| name.len() > 1 && name.ends_with('+'))
}

/// `.` or `..`, in any mix of literal and percent-encoded dots.
fn is_dot_segment(segment: &str) -> bool {
    // Cheap pre-check: a dot segment is at most `%2e%2e`.
    if segment.len() > 6 {
        return false;
    }
    let decoded = percent_decode_str(segment).collect::<Vec<u8>>();
    decoded == b"." || decoded == b".."
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chalice_table() -> RouteTable {
        RouteTable::new([
            "/foo",
            "/foo/{capture}",
            "/foo/bar",
            "/names/{capture}",
            "/a/{capture}/c",
            "/a/b/c",
        ])
    }

    fn resource<'t>(table: &'t RouteTable, path: &str) -> Option<&'t str> {
        table.match_path(path).map(|m| m.resource_path)
    }

    fn params(table: &RouteTable, path: &str) -> Vec<(String, String)> {
        table.match_path(path).map(|m| m.params).unwrap_or_default()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn a_greedy_parameter_takes_the_rest_of_the_path_and_loses_to_the_rest() {
        let table = RouteTable::new([
            "/files/{proxy+}",
            "/files/readme",
            "/files/{id}/meta",
            "/{all+}",
        ]);
        assert_eq!(resource(&table, "/files/readme"), Some("/files/readme"));
        assert_eq!(resource(&table, "/files/7/meta"), Some("/files/{id}/meta"));
        assert_eq!(resource(&table, "/files/a/b/c"), Some("/files/{proxy+}"));
        assert_eq!(params(&table, "/files/a/b/c"), [pair("proxy", "a/b/c")]);
        assert_eq!(params(&table, "/files/7"), [pair("proxy", "7")]);
        // One segment at least.
        assert_eq!(resource(&table, "/files"), Some("/{all+}"));
        assert_eq!(resource(&table, "/"), None);
        assert_eq!(params(&table, "/x/y"), [pair("all", "x/y")]);
    }

    // chalice-test-cases.md items 81-92 (test_can_match_exact_route).

    #[test]
    fn item_81_exact_literal() {
        assert_eq!(resource(&chalice_table(), "/foo"), Some("/foo"));
    }

    #[test]
    fn item_82_trailing_slash_ignored() {
        assert_eq!(resource(&chalice_table(), "/foo/"), Some("/foo"));
    }

    #[test]
    fn item_83_literal_child() {
        assert_eq!(resource(&chalice_table(), "/foo/bar"), Some("/foo/bar"));
    }

    #[test]
    fn item_84_param_child() {
        let table = chalice_table();
        assert_eq!(resource(&table, "/foo/other"), Some("/foo/{capture}"));
        assert_eq!(params(&table, "/foo/other"), [pair("capture", "other")]);
    }

    #[test]
    fn item_85_86_param_only_level() {
        let table = chalice_table();
        assert_eq!(resource(&table, "/names/foo"), Some("/names/{capture}"));
        assert_eq!(resource(&table, "/names/bar"), Some("/names/{capture}"));
        assert_eq!(params(&table, "/names/bar"), [pair("capture", "bar")]);
    }

    #[test]
    fn item_87_param_with_trailing_slash() {
        let table = chalice_table();
        assert_eq!(resource(&table, "/names/bar/"), Some("/names/{capture}"));
        assert_eq!(params(&table, "/names/bar/"), [pair("capture", "bar")]);
    }

    #[test]
    fn item_88_partial_path_does_not_match() {
        assert_eq!(resource(&chalice_table(), "/names/"), None);
        assert_eq!(resource(&chalice_table(), "/names"), None);
    }

    #[test]
    fn item_89_unknown_path() {
        assert_eq!(resource(&chalice_table(), "/nomatch"), None);
    }

    #[test]
    fn item_90_too_long() {
        assert_eq!(resource(&chalice_table(), "/names/bar/wrong"), None);
    }

    #[test]
    fn item_91_param_in_the_middle() {
        let table = chalice_table();
        assert_eq!(resource(&table, "/a/z/c"), Some("/a/{capture}/c"));
        assert_eq!(params(&table, "/a/z/c"), [pair("capture", "z")]);
    }

    #[test]
    fn item_92_literal_beats_param() {
        let table = chalice_table();
        assert_eq!(resource(&table, "/a/b/c"), Some("/a/b/c"));
        assert!(params(&table, "/a/b/c").is_empty());
    }

    // The rules.

    #[test]
    fn root_matches_root_only() {
        let table = RouteTable::new(["/", "/foo"]);
        assert_eq!(resource(&table, "/"), Some("/"));
        assert_eq!(resource(&table, "//"), None);
        assert_eq!(resource(&table, ""), None);
        assert_eq!(resource(&chalice_table(), "/"), None);
    }

    #[test]
    fn path_must_start_with_slash() {
        let table = RouteTable::new(["/foo"]);
        assert_eq!(resource(&table, "foo"), None);
        assert_eq!(resource(&table, "foo/"), None);
        assert_eq!(RouteTable::normalize("foo"), None);
        assert_eq!(RouteTable::normalize(""), None);
    }

    #[test]
    fn only_one_trailing_slash_is_ignored() {
        let table = RouteTable::new(["/foo", "/foo/{x}"]);
        assert_eq!(resource(&table, "/foo/"), Some("/foo"));
        assert_eq!(resource(&table, "/foo//"), None);
        assert_eq!(resource(&table, "/foo/bar/"), Some("/foo/{x}"));
        assert_eq!(resource(&table, "/foo/bar//"), None);
    }

    #[test]
    fn empty_segments_never_match() {
        let table = RouteTable::new(["/", "/a/b", "/a/{x}/b", "/{x}"]);
        for path in ["//", "///", "/a//b", "//a", "//a/b", "/a//", "/a/b//"] {
            assert_eq!(resource(&table, path), None, "{path}");
            assert_eq!(RouteTable::normalize(path), None, "{path}");
        }
    }

    #[test]
    fn dot_segments_never_match() {
        let table = RouteTable::new(["/", "/{x}", "/a/{x}", "/a/{x}/b", "/b"]);
        for path in [
            "/.",
            "/..",
            "/./",
            "/../",
            "/a/.",
            "/a/..",
            "/a/../b",
            "/a/./b",
            "/%2e",
            "/%2E",
            "/%2e%2e",
            "/%2E%2E",
            "/.%2e",
            "/%2e.",
            "/a/%2e%2E/b",
            "/a/%2e/",
        ] {
            assert_eq!(resource(&table, path), None, "{path}");
            assert_eq!(RouteTable::normalize(path), None, "{path}");
        }
    }

    #[test]
    fn dot_like_segments_are_ordinary() {
        let table = RouteTable::new(["/{x}"]);
        for path in ["/...", "/.a", "/a.", "/%2e%2e%2e", "/%252e", "/%2", "/%zz"] {
            let expected = path.trim_start_matches('/');
            assert_eq!(params(&table, path), [pair("x", expected)], "{path}");
        }
    }

    #[test]
    fn literals_are_byte_exact_and_case_sensitive() {
        let table = RouteTable::new(["/users", "/caf%C3%A9"]);
        assert_eq!(resource(&table, "/users"), Some("/users"));
        assert_eq!(resource(&table, "/Users"), None);
        assert_eq!(resource(&table, "/USERS"), None);
        assert_eq!(resource(&table, "/us%65rs"), None);
        assert_eq!(resource(&table, "/caf%C3%A9"), Some("/caf%C3%A9"));
        assert_eq!(resource(&table, "/caf%c3%a9"), None);
        assert_eq!(resource(&table, "/café"), None);
    }

    #[test]
    fn params_are_raw_and_take_exactly_one_segment() {
        let table = RouteTable::new(["/users/{id}"]);
        assert_eq!(
            params(&table, "/users/abc%20def"),
            [pair("id", "abc%20def")]
        );
        assert_eq!(params(&table, "/users/a%2Fb"), [pair("id", "a%2Fb")]);
        assert_eq!(params(&table, "/users/a:b+c"), [pair("id", "a:b+c")]);
        assert_eq!(resource(&table, "/users/a/b"), None);
        assert_eq!(resource(&table, "/users/"), None);
        assert_eq!(resource(&table, "/users"), None);
    }

    #[test]
    fn several_params_in_path_order() {
        let table = RouteTable::new(["/orgs/{org}/users/{user}/{item}"]);
        let m = table.match_path("/orgs/acme/users/42/x");
        assert_eq!(
            m,
            Some(RouteMatch {
                resource_path: "/orgs/{org}/users/{user}/{item}",
                params: vec![pair("org", "acme"), pair("user", "42"), pair("item", "x")],
            })
        );
    }

    #[test]
    fn literal_wins_regardless_of_registration_order() {
        let forward = RouteTable::new(["/foo/bar", "/foo/{x}"]);
        let backward = RouteTable::new(["/foo/{x}", "/foo/bar"]);
        for table in [forward, backward] {
            assert_eq!(resource(&table, "/foo/bar"), Some("/foo/bar"));
            assert_eq!(resource(&table, "/foo/baz"), Some("/foo/{x}"));
        }
    }

    #[test]
    fn backtracks_from_a_dead_end_literal() {
        let table = RouteTable::new(["/a/b/c", "/a/{x}/d"]);
        assert_eq!(resource(&table, "/a/b/d"), Some("/a/{x}/d"));
        assert_eq!(params(&table, "/a/b/d"), [pair("x", "b")]);
        assert_eq!(resource(&table, "/a/b/c"), Some("/a/b/c"));
        assert_eq!(resource(&table, "/a/b/e"), None);
    }

    #[test]
    fn backtracking_drops_captures_of_failed_branches() {
        let table = RouteTable::new(["/{a}/x/y", "/{a}/{b}/z", "/p/{c}/q"]);
        let m = table.match_path("/p/x/z").expect("matches");
        assert_eq!(m.resource_path, "/{a}/{b}/z");
        assert_eq!(m.params, [pair("a", "p"), pair("b", "x")]);
    }

    #[test]
    fn backtracks_when_literal_node_is_not_a_resource() {
        // `/a/b` exists only as an interior node.
        let table = RouteTable::new(["/a/b/c", "/a/{x}"]);
        assert_eq!(resource(&table, "/a/b"), Some("/a/{x}"));
    }

    #[test]
    fn backtracks_across_many_levels() {
        // The literal branch runs 40 levels deep before failing on its last
        // segment; the match is the all-param branch.
        let depth = 40;
        let literal = format!("{}/z", "/a".repeat(depth));
        let param: String = (0..depth).map(|i| format!("/{{p{i}}}")).collect();
        let param = format!("{param}/end");
        let table = RouteTable::new([literal.as_str(), param.as_str()]);
        let path = format!("{}/end", "/a".repeat(depth));
        let m = table.match_path(&path).expect("matches");
        assert_eq!(m.resource_path, param);
        assert_eq!(m.params.len(), depth);
        assert_eq!(m.params[depth - 1], pair("p39", "a"));
    }

    #[test]
    fn long_request_paths_are_harmless() {
        let table = RouteTable::new(["/{x}"]);
        let path = "/a".repeat(100_000);
        assert_eq!(resource(&table, &path), None);
        assert_eq!(RouteTable::normalize(&path), Some(path.as_str()));
    }

    #[test]
    fn differently_named_sibling_params_are_all_kept() {
        let table = RouteTable::new(["/a/{x}", "/a/{y}/b"]);
        assert_eq!(params(&table, "/a/1"), [pair("x", "1")]);
        assert_eq!(params(&table, "/a/1/b"), [pair("y", "1")]);
    }

    #[test]
    fn invalid_resource_paths_are_skipped() {
        let table = RouteTable::new(["", "foo", "/bar/", "/a//b", "/ok"]);
        assert_eq!(resource(&table, "/ok"), Some("/ok"));
        for path in ["/", "/foo", "/bar", "/bar/", "/a/b"] {
            assert_eq!(resource(&table, path), None, "{path}");
        }
    }

    #[test]
    fn duplicate_resource_paths_keep_the_first() {
        let table = RouteTable::new(["/x", "/x"]);
        assert_eq!(resource(&table, "/x"), Some("/x"));
    }

    #[test]
    fn braces_that_are_not_a_whole_param_are_literal() {
        let table = RouteTable::new(["/{}", "/a{b}", "/{c"]);
        assert_eq!(resource(&table, "/{}"), Some("/{}"));
        assert_eq!(resource(&table, "/a{b}"), Some("/a{b}"));
        assert_eq!(resource(&table, "/{c"), Some("/{c"));
        assert_eq!(resource(&table, "/other"), None);
    }

    #[test]
    fn empty_table_matches_nothing() {
        let table = RouteTable::new([]);
        assert_eq!(resource(&table, "/"), None);
        assert_eq!(resource(&table, "/a"), None);
    }

    #[test]
    fn normalize_canonical_forms() {
        let cases = [
            ("/", Some("/")),
            ("/foo", Some("/foo")),
            ("/foo/", Some("/foo")),
            ("/a/b/c/", Some("/a/b/c")),
            ("/a%2Fb/", Some("/a%2Fb")),
            ("/Foo%20Bar", Some("/Foo%20Bar")),
            ("/foo:bar", Some("/foo:bar")),
            ("//", None),
            ("/foo//", None),
            ("/a//b", None),
            ("foo/", None),
            ("", None),
        ];
        for (path, expected) in cases {
            assert_eq!(RouteTable::normalize(path), expected, "{path}");
        }
    }

    #[test]
    fn normalize_is_idempotent() {
        for path in ["/", "/foo/", "/a/b", "/x%2e/"] {
            let once = RouteTable::normalize(path).expect("valid");
            assert_eq!(RouteTable::normalize(once), Some(once));
        }
    }
}

//! The plan of an HTTP API (API Gateway v2): the difference between the desired and the
//! observed API as steps. A route or authorizer that changes is changed alone; what the app no
//! longer has goes once nothing uses it; the stage deploys itself, so there is no deployment.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::arns::{proxy_uri, target_uri};
use super::desired::Desired;
use super::desired_http::{
    DesiredHttpApi, DesiredHttpAuthorizer, DesiredRoute, HttpAuthorizerKind, INTEGRATION_TYPE,
    PAYLOAD_FORMAT_VERSION,
};
use super::observed::{Observed, Twin};
use super::observed_http::{ObservedHttpApi, ObservedHttpAuthorizer, ObservedRoute, ObservedStage};
use crate::model::http_api::{InvokeScope, execution_arn};

/// One change to an HTTP API.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpStep {
    /// Delete an HTTP API left over from a lost create.
    DeleteTwinApi { id: String },
    /// Delete an HTTP API of the stage (a delete, or the app became a REST API).
    DeleteApi { id: String },
    /// Create the HTTP API, with its tags.
    CreateApi,
    /// Make the API's tags the desired ones.
    SetApiTags { remove: Vec<String> },
    /// Set the API's CORS configuration (or remove it).
    SetCors,
    /// Create the `AWS_PROXY` integration (payload 2.0) with the API handler.
    CreateIntegration,
    /// Delete a route that changes or goes.
    DeleteRoute { key: String },
    /// Delete a route made twice.
    DeleteTwinRoute(Twin),
    /// Delete an authorizer that goes or is replaced (no route uses it by then).
    DeleteAuthorizer { name: String },
    /// Delete an authorizer made twice (no route uses it by then).
    DeleteTwinAuthorizer(Twin),
    /// Change an authorizer in place (its kind stays).
    UpdateAuthorizer(DesiredHttpAuthorizer),
    /// Create an authorizer.
    CreateAuthorizer(DesiredHttpAuthorizer),
    /// Create a route to the integration.
    CreateRoute { key: String, spec: DesiredRoute },
    /// Delete an integration no route uses any more.
    DeleteIntegration { id: String },
    /// Delete a stage.
    DeleteStage { name: String },
    /// Create the stage, deploying itself.
    CreateStage { name: String },
    /// Let the API (or one of its authorizers) invoke a function.
    AllowInvoke {
        function_name: String,
        authorizer: Option<String>,
    },
    /// Revoke a grant chalice-rs made to an API or authorizer the stage no longer has.
    RevokeInvoke {
        function_name: String,
        statement: String,
    },
}

impl fmt::Display for HttpStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpStep::DeleteTwinApi { id } => write!(f, "Deleting duplicate HTTP API: {id}"),
            HttpStep::DeleteApi { id } => write!(f, "Deleting HTTP API: {id}"),
            HttpStep::CreateApi => f.write_str("Creating HTTP API"),
            HttpStep::SetApiTags { .. } => f.write_str("Updating tags of HTTP API"),
            HttpStep::SetCors => f.write_str("Updating CORS configuration of HTTP API"),
            HttpStep::CreateIntegration => f.write_str("Creating integration: API handler"),
            HttpStep::DeleteRoute { key } => write!(f, "Deleting route: {key}"),
            HttpStep::DeleteTwinRoute(twin) => {
                write!(f, "Deleting duplicate route: {} ({})", twin.name, twin.id)
            }
            HttpStep::DeleteAuthorizer { name } => write!(f, "Deleting authorizer: {name}"),
            HttpStep::DeleteTwinAuthorizer(twin) => {
                write!(
                    f,
                    "Deleting duplicate authorizer: {} ({})",
                    twin.name, twin.id
                )
            }
            HttpStep::UpdateAuthorizer(authorizer) => {
                write!(f, "Updating authorizer: {}", authorizer.name)
            }
            HttpStep::CreateAuthorizer(authorizer) => {
                write!(f, "Creating authorizer: {}", authorizer.name)
            }
            HttpStep::CreateRoute { key, spec } => match &spec.authorizer {
                Some(authorizer) => write!(
                    f,
                    "Creating route: {key} ({} {authorizer})",
                    spec.authorization_type
                ),
                None => write!(f, "Creating route: {key} ({})", spec.authorization_type),
            },
            HttpStep::DeleteIntegration { id } => write!(f, "Deleting integration: {id}"),
            HttpStep::DeleteStage { name } => write!(f, "Deleting stage: {name}"),
            HttpStep::CreateStage { name } => write!(f, "Creating stage: {name}"),
            HttpStep::RevokeInvoke {
                function_name,
                statement,
            } => write!(
                f,
                "Revoking a stale grant to invoke: {function_name} ({statement})"
            ),
            HttpStep::AllowInvoke {
                function_name,
                authorizer: None,
            } => write!(f, "Allowing API Gateway to invoke: {function_name}"),
            HttpStep::AllowInvoke {
                function_name,
                authorizer: Some(name),
            } => write!(
                f,
                "Allowing API Gateway to invoke: {function_name} (authorizer {name})"
            ),
        }
    }
}

/// The SourceArn of the permission that lets HTTP API `api_id` invoke a function: any route
/// for the API handler, one authorizer for an authorizer's function.
pub fn http_source_arn(desired: &Desired, api_id: &str, authorizer_id: Option<&str>) -> String {
    let execution_arn = execution_arn(
        &desired.account.partition,
        &desired.region,
        &desired.account.id,
        api_id,
    );
    let scope = match authorizer_id {
        None => InvokeScope::AnyRoute,
        Some(_) => InvokeScope::Authorizer(String::new()),
    };
    scope.source_arn(&execution_arn, |_| {
        authorizer_id.unwrap_or_default().to_owned()
    })
}

/// The target of a route that calls integration `id`.
pub fn route_target(integration_id: &str) -> String {
    format!("integrations/{integration_id}")
}

/// Pushes the steps that turn the observed HTTP API into `api`.
pub fn plan_http_api(
    desired: &Desired,
    api: &DesiredHttpApi,
    observed: &Observed,
    steps: &mut Vec<HttpStep>,
) {
    let mut push = |step: HttpStep| steps.push(step);
    for id in &observed.twin_http_apis {
        push(HttpStep::DeleteTwinApi { id: id.clone() });
    }
    let empty = ObservedHttpApi::default();
    let actual = observed.http_api.as_ref().unwrap_or(&empty);
    match &observed.http_api {
        None => push(HttpStep::CreateApi),
        Some(found) => {
            if found.tags != api.tags {
                push(HttpStep::SetApiTags {
                    remove: found
                        .tags
                        .keys()
                        .filter(|key| !api.tags.contains_key(*key))
                        .cloned()
                        .collect(),
                });
            }
            if found.cors != api.cors {
                push(HttpStep::SetCors);
            }
        }
    }
    let integration = kept_integration(desired, actual);
    if integration.is_none() {
        push(HttpStep::CreateIntegration);
    }
    let target = integration.map(route_target);
    let authorizers = AuthorizerChanges::between(desired, api, actual);
    let mut creates = Vec::new();
    for (key, spec) in &api.routes {
        let current = actual.routes.get(key);
        let unchanged = current.is_some_and(|current| {
            same_route(spec, current, &authorizers.kept_names, target.as_deref())
        });
        if unchanged {
            continue;
        }
        if current.is_some() {
            push(HttpStep::DeleteRoute { key: key.clone() });
        }
        creates.push(HttpStep::CreateRoute {
            key: key.clone(),
            spec: spec.clone(),
        });
    }
    for key in actual
        .routes
        .keys()
        .filter(|k| !api.routes.contains_key(*k))
    {
        push(HttpStep::DeleteRoute { key: key.clone() });
    }
    for twin in &actual.twin_routes {
        push(HttpStep::DeleteTwinRoute(twin.clone()));
    }
    for name in &authorizers.deleted {
        push(HttpStep::DeleteAuthorizer { name: name.clone() });
    }
    for twin in &actual.twin_authorizers {
        push(HttpStep::DeleteTwinAuthorizer(twin.clone()));
    }
    for authorizer in &authorizers.updated {
        push(HttpStep::UpdateAuthorizer((*authorizer).clone()));
    }
    for authorizer in &authorizers.created {
        push(HttpStep::CreateAuthorizer((*authorizer).clone()));
    }
    creates.into_iter().for_each(&mut push);
    for found in &actual.integrations {
        if integration != Some(found.id.as_str()) {
            push(HttpStep::DeleteIntegration {
                id: found.id.clone(),
            });
        }
    }
    plan_stages(api, actual, &mut push);
    plan_http_permissions(desired, api, observed, &authorizers, &mut push);
}

/// The stage deploys itself, with the desired variables; one that does not is made again (a
/// stage holds nothing else), and other stages go (the config's stage was renamed).
fn plan_stages(api: &DesiredHttpApi, actual: &ObservedHttpApi, push: &mut impl FnMut(HttpStep)) {
    let wanted = ObservedStage {
        auto_deploy: true,
        variables: api.stage_variables.clone(),
    };
    for (name, stage) in &actual.stages {
        if *name != api.stage_name || *stage != wanted {
            push(HttpStep::DeleteStage { name: name.clone() });
        }
    }
    if actual.stages.get(&api.stage_name) != Some(&wanted) {
        push(HttpStep::CreateStage {
            name: api.stage_name.clone(),
        });
    }
}

/// The API handler may be invoked by any route; a built-in authorizer's function by its
/// authorizer only (whose id a new or replaced authorizer only has once made). Grants
/// chalice-rs made to anything else (an API or authorizer the stage no longer has) go.
fn plan_http_permissions(
    desired: &Desired,
    api: &DesiredHttpApi,
    observed: &Observed,
    authorizers: &AuthorizerChanges<'_>,
    push: &mut impl FnMut(HttpStep),
) {
    let api_id = observed.http_api.as_ref().map(|found| found.id.as_str());
    for function in desired.invoked_by_api() {
        let grants = observed
            .functions
            .get(&function.name)
            .map(|found| &found.api_grants);
        // The one source this function is to be invoked from, if known yet, with its grant.
        let (authorizer, wanted) = if function.is_api_handler() {
            (None, api_id.map(|id| http_source_arn(desired, id, None)))
        } else {
            let name = api
                .authorizers
                .iter()
                .find(|a| {
                    a.kind.target()
                        == Some(&super::desired::AuthorizerTarget::Function(
                            function.name.clone(),
                        ))
                })
                .map(|a| a.name.as_str());
            let kept = name.and_then(|name| authorizers.kept_ids.get(name).copied());
            let wanted = api_id
                .zip(kept)
                .map(|(id, kept)| http_source_arn(desired, id, Some(kept)));
            (name, wanted)
        };
        for (source, statement) in grants.into_iter().flatten() {
            if Some(source) != wanted.as_ref() && statement.starts_with(GRANT_PREFIX) {
                push(HttpStep::RevokeInvoke {
                    function_name: function.function_name.clone(),
                    statement: statement.clone(),
                });
            }
        }
        let granted = wanted
            .as_ref()
            .is_some_and(|wanted| grants.is_some_and(|g| g.contains_key(wanted)));
        if !granted {
            push(HttpStep::AllowInvoke {
                function_name: function.function_name.clone(),
                authorizer: authorizer.map(str::to_owned),
            });
        }
    }
}

/// How the ids of the statements chalice-rs grants API Gateway begin.
pub const GRANT_PREFIX: &str = "chalice-rs-apigateway-";

/// The integration the routes are to call: an `AWS_PROXY` one, payload 2.0, with the API
/// handler (of several, one a route calls).
pub fn kept_integration<'a>(desired: &Desired, actual: &'a ObservedHttpApi) -> Option<&'a str> {
    let uri = proxy_uri(desired).ok();
    let mut fitting = actual.integrations.iter().filter(|i| {
        i.integration_type == INTEGRATION_TYPE
            && i.uri == uri
            && i.payload_format_version.as_deref() == Some(PAYLOAD_FORMAT_VERSION)
    });
    let called: BTreeSet<&str> = actual
        .routes
        .values()
        .filter_map(|r| r.target.as_deref())
        .collect();
    let all: Vec<_> = fitting.by_ref().collect();
    all.iter()
        .find(|i| called.contains(route_target(&i.id).as_str()))
        .or(all.first())
        .map(|i| i.id.as_str())
}

/// How the authorizers change.
struct AuthorizerChanges<'a> {
    /// Ones to create: new, or replaced (their kind changed).
    created: Vec<&'a DesiredHttpAuthorizer>,
    /// Ones changed in place.
    updated: Vec<&'a DesiredHttpAuthorizer>,
    /// Existing ones that go: removed or replaced, by name.
    deleted: Vec<String>,
    /// The names of the existing ones that stay (as they are or updated), by id.
    kept_names: BTreeMap<&'a str, &'a str>,
    /// The ids of the existing ones that stay, by name.
    kept_ids: BTreeMap<&'a str, &'a str>,
}

impl<'a> AuthorizerChanges<'a> {
    fn between(
        desired: &Desired,
        api: &'a DesiredHttpApi,
        actual: &'a ObservedHttpApi,
    ) -> AuthorizerChanges<'a> {
        let mut changes = AuthorizerChanges {
            created: Vec::new(),
            updated: Vec::new(),
            deleted: Vec::new(),
            kept_names: BTreeMap::new(),
            kept_ids: BTreeMap::new(),
        };
        for wanted in &api.authorizers {
            let Some(existing) = actual.authorizers.get(&wanted.name) else {
                changes.created.push(wanted);
                continue;
            };
            if existing.authorizer_type != wanted.kind.authorizer_type() {
                changes.deleted.push(wanted.name.clone());
                changes.created.push(wanted);
                continue;
            }
            if !same_authorizer(desired, wanted, existing) {
                changes.updated.push(wanted);
            }
            changes
                .kept_names
                .insert(existing.id.as_str(), wanted.name.as_str());
            changes
                .kept_ids
                .insert(wanted.name.as_str(), existing.id.as_str());
        }
        for name in actual.authorizers.keys() {
            if api.authorizer(name).is_none() {
                changes.deleted.push(name.clone());
            }
        }
        changes
    }
}

/// Whether an existing authorizer is as desired.
fn same_authorizer(
    desired: &Desired,
    wanted: &DesiredHttpAuthorizer,
    actual: &ObservedHttpAuthorizer,
) -> bool {
    match &wanted.kind {
        HttpAuthorizerKind::Jwt {
            issuer,
            audiences,
            identity_source,
        } => {
            actual.issuer.as_ref() == Some(issuer)
                && actual.audiences == *audiences
                && actual.identity_sources == [identity_source.clone()]
        }
        HttpAuthorizerKind::Lambda {
            target,
            identity_sources,
            ttl_seconds,
            simple_responses,
            credentials,
        } => {
            actual.uri == target_uri(desired, target)
                && actual.identity_sources == *identity_sources
                && actual.ttl_seconds == Some(*ttl_seconds)
                && actual.simple_responses == *simple_responses
                && actual.payload_format_version.as_deref() == Some(PAYLOAD_FORMAT_VERSION)
                && actual.credentials == *credentials
        }
    }
}

/// Whether an existing route is as desired: same authorization, an authorizer that stays,
/// and the integration kept.
fn same_route(
    wanted: &DesiredRoute,
    actual: &ObservedRoute,
    authorizer_names: &BTreeMap<&str, &str>,
    target: Option<&str>,
) -> bool {
    let actual_authorizer = actual
        .authorizer_id
        .as_deref()
        .map(|id| authorizer_names.get(id).copied());
    let same_authorizer = match (&wanted.authorizer, actual_authorizer) {
        (None, None) => true,
        (Some(name), Some(Some(found))) => name == found,
        _ => false,
    };
    wanted.authorization_type == actual.authorization_type
        && same_authorizer
        && wanted.scopes == actual.scopes
        && target.is_some()
        && actual.target.as_deref() == target
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::desired::{self, Api, AuthorizerTarget};
    use crate::deploy::observed::ObservedFunction;
    use crate::deploy::observed_http::ObservedIntegration;
    use crate::test_support::{builtin, manifest, route};

    fn route_of(
        authorization_type: &str,
        authorizer: Option<&str>,
        scopes: &[&str],
    ) -> DesiredRoute {
        DesiredRoute {
            authorization_type: authorization_type.into(),
            authorizer: authorizer.map(str::to_owned),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn jwt(audience: &str) -> DesiredHttpAuthorizer {
        DesiredHttpAuthorizer {
            name: "jwt".into(),
            kind: HttpAuthorizerKind::Jwt {
                issuer: "https://issuer.example.com".into(),
                audiences: vec![audience.into()],
                identity_source: "$request.header.Authorization".into(),
            },
        }
    }

    fn gate() -> DesiredHttpAuthorizer {
        DesiredHttpAuthorizer {
            name: "gate".into(),
            kind: HttpAuthorizerKind::Lambda {
                target: AuthorizerTarget::Function("gate".into()),
                identity_sources: vec!["$request.header.X-Token".into()],
                ttl_seconds: 0,
                simple_responses: true,
                credentials: None,
            },
        }
    }

    /// The example's HTTP API: a JWT and a Lambda authorizer, an open and an IAM route.
    fn desired() -> Desired {
        let app = manifest(
            "httpapi1",
            vec![route("/", &["GET"])],
            vec![builtin("gate")],
        );
        let mut desired = desired::for_test(
            &app,
            r#"{"app_name": "httpapi1", "stages": {"dev": {}}}"#,
            "us-west-2",
            "aws",
        );
        desired.api = Api::Http(DesiredHttpApi {
            name: "httpapi1".into(),
            stage_name: "api".into(),
            stage_variables: [("mode".to_owned(), "test".to_owned())].into(),
            tags: desired.tags.clone(),
            cors: None,
            routes: [
                ("GET /admin", route_of("AWS_IAM", None, &[])),
                ("GET /health", route_of("NONE", None, &[])),
                (
                    "GET /orders/{id}",
                    route_of("JWT", Some("jwt"), &["orders/read"]),
                ),
                ("GET /profile", route_of("CUSTOM", Some("gate"), &[])),
            ]
            .into_iter()
            .map(|(key, spec)| (key.to_owned(), spec))
            .collect(),
            authorizers: vec![jwt("orders-api"), gate()],
        });
        desired
    }

    fn http(desired: &Desired) -> &DesiredHttpApi {
        desired.http_api().unwrap()
    }

    /// What a deploy of `desired` leaves.
    fn deployed(desired: &Desired) -> Observed {
        let mut observed = Observed::default();
        let api = http(desired);
        let mut found = ObservedHttpApi {
            id: "h1".into(),
            tags: api.tags.clone(),
            integrations: vec![ObservedIntegration {
                id: "i1".into(),
                integration_type: "AWS_PROXY".into(),
                uri: proxy_uri(desired).ok(),
                payload_format_version: Some("2.0".into()),
            }],
            stages: [(
                api.stage_name.clone(),
                ObservedStage {
                    auto_deploy: true,
                    variables: api.stage_variables.clone(),
                },
            )]
            .into(),
            ..ObservedHttpApi::default()
        };
        for (index, authorizer) in api.authorizers.iter().enumerate() {
            let mut observed = ObservedHttpAuthorizer {
                id: format!("a{index}"),
                authorizer_type: authorizer.kind.authorizer_type().into(),
                ..ObservedHttpAuthorizer::default()
            };
            match &authorizer.kind {
                HttpAuthorizerKind::Jwt {
                    issuer,
                    audiences,
                    identity_source,
                } => {
                    observed.issuer = Some(issuer.clone());
                    observed.audiences = audiences.clone();
                    observed.identity_sources = vec![identity_source.clone()];
                }
                HttpAuthorizerKind::Lambda {
                    target,
                    identity_sources,
                    ttl_seconds,
                    simple_responses,
                    credentials,
                } => {
                    observed.uri = target_uri(desired, target);
                    observed.identity_sources = identity_sources.clone();
                    observed.ttl_seconds = Some(*ttl_seconds);
                    observed.simple_responses = *simple_responses;
                    observed.payload_format_version = Some("2.0".into());
                    observed.credentials = credentials.clone();
                }
            }
            found.authorizers.insert(authorizer.name.clone(), observed);
        }
        for (index, (key, spec)) in api.routes.iter().enumerate() {
            found.routes.insert(
                key.clone(),
                ObservedRoute {
                    id: format!("r{index}"),
                    authorization_type: spec.authorization_type.clone(),
                    authorizer_id: spec
                        .authorizer
                        .as_ref()
                        .map(|name| found.authorizers[name].id.clone()),
                    scopes: spec.scopes.clone(),
                    target: Some("integrations/i1".into()),
                },
            );
        }
        for function in &desired.functions {
            let grants = match found.authorizers.get(&function.name) {
                Some(authorizer) => [(
                    http_source_arn(desired, "h1", Some(&authorizer.id)),
                    format!("{GRANT_PREFIX}h1-{}", authorizer.id),
                )]
                .into(),
                None => [(
                    http_source_arn(desired, "h1", None),
                    format!("{GRANT_PREFIX}h1"),
                )]
                .into(),
            };
            observed.functions.insert(
                function.name.clone(),
                ObservedFunction {
                    arn: crate::deploy::plan::function_arn(desired, &function.function_name),
                    handler: function.handler.clone(),
                    runtime: desired::RUNTIME.into(),
                    role: crate::deploy::plan::function_role_arn(desired, function),
                    memory_size: function.memory_size,
                    timeout: function.timeout,
                    environment: function.environment.clone(),
                    architecture: desired.architecture.as_str().into(),
                    code_sha256: desired.code_sha256.clone(),
                    layers: function.layers.clone(),
                    tags: function.tags.clone(),
                    reserved_concurrency: function.reserved_concurrency,
                    api_grants: grants,
                    ..ObservedFunction::default()
                },
            );
        }
        for role in &desired.roles {
            observed.roles.insert(
                role.resource_name.clone(),
                crate::deploy::observed::ObservedRole {
                    arn: crate::deploy::plan::role_arn(desired, &role.role_name),
                    policy: Some(role.policy.clone()),
                    tags: desired.tags.clone(),
                },
            );
        }
        observed.http_api = Some(found);
        observed
    }

    fn names(desired: &Desired, observed: &Observed) -> Vec<String> {
        crate::deploy::plan::plan(desired, observed)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_first_deploy_makes_the_api_then_its_parts_then_the_grants() {
        let desired = desired();
        assert_eq!(
            names(&desired, &Observed::default()),
            [
                "Creating IAM role: httpapi1-dev",
                "Creating lambda function: httpapi1-dev",
                "Creating lambda function: httpapi1-dev-gate",
                "Creating HTTP API",
                "Creating integration: API handler",
                "Creating authorizer: jwt",
                "Creating authorizer: gate",
                "Creating route: GET /admin (AWS_IAM)",
                "Creating route: GET /health (NONE)",
                "Creating route: GET /orders/{id} (JWT jwt)",
                "Creating route: GET /profile (CUSTOM gate)",
                "Creating stage: api",
                "Allowing API Gateway to invoke: httpapi1-dev",
                "Allowing API Gateway to invoke: httpapi1-dev-gate (authorizer gate)",
            ]
        );
    }

    #[test]
    fn nothing_changed_means_no_step() {
        let desired = desired();
        assert_eq!(names(&desired, &deployed(&desired)), Vec::<String>::new());
    }

    #[test]
    fn a_changed_route_is_made_again_alone() {
        let before = desired();
        let observed = deployed(&before);
        let mut changed = before.clone();
        let Api::Http(api) = &mut changed.api else {
            unreachable!()
        };
        api.routes.get_mut("GET /orders/{id}").unwrap().scopes = vec!["orders/admin".into()];
        assert_eq!(
            names(&changed, &observed),
            [
                "Deleting route: GET /orders/{id}",
                "Creating route: GET /orders/{id} (JWT jwt)"
            ]
        );
    }

    #[test]
    fn a_changed_authorizer_is_updated_in_place_and_its_routes_stay() {
        let before = desired();
        let observed = deployed(&before);
        let mut changed = before.clone();
        let Api::Http(api) = &mut changed.api else {
            unreachable!()
        };
        api.authorizers[0] = jwt("other-api");
        assert_eq!(names(&changed, &observed), ["Updating authorizer: jwt"]);
    }

    #[test]
    fn an_authorizer_of_another_kind_is_replaced_after_its_routes_go() {
        let before = desired();
        let observed = deployed(&before);
        let mut changed = before.clone();
        let Api::Http(api) = &mut changed.api else {
            unreachable!()
        };
        api.authorizers[1] = DesiredHttpAuthorizer {
            name: "gate".into(),
            ..jwt("orders-api")
        };
        api.routes
            .get_mut("GET /profile")
            .unwrap()
            .authorization_type = "JWT".into();
        assert_eq!(
            names(&changed, &observed),
            [
                "Deleting route: GET /profile",
                "Deleting authorizer: gate",
                "Creating authorizer: gate",
                "Creating route: GET /profile (JWT gate)",
            ]
        );
    }

    #[test]
    fn what_the_app_no_longer_has_goes_once_nothing_uses_it() {
        let before = desired();
        let mut observed = deployed(&before);
        let found = observed.http_api.as_mut().unwrap();
        found.integrations.push(ObservedIntegration {
            id: "old".into(),
            integration_type: "AWS_PROXY".into(),
            ..ObservedIntegration::default()
        });
        found.stages.insert("v0".into(), ObservedStage::default());
        found.twin_routes.push(Twin {
            name: "GET /health".into(),
            id: "r9".into(),
        });
        let mut changed = before.clone();
        let Api::Http(api) = &mut changed.api else {
            unreachable!()
        };
        api.routes.remove("GET /orders/{id}");
        api.authorizers.remove(0);
        assert_eq!(
            names(&changed, &observed),
            [
                "Deleting route: GET /orders/{id}",
                "Deleting duplicate route: GET /health (r9)",
                "Deleting authorizer: jwt",
                "Deleting integration: old",
                "Deleting stage: v0",
            ]
        );
    }

    #[test]
    fn a_lost_grant_a_new_handler_and_changed_tags_are_made_good() {
        let desired = desired();
        let mut observed = deployed(&desired);
        observed
            .functions
            .get_mut("gate")
            .unwrap()
            .api_grants
            .clear();
        let found = observed.http_api.as_mut().unwrap();
        found.tags.insert("extra".into(), "x".into());
        found.integrations[0].uri = Some("arn:elsewhere".into());
        assert_eq!(
            names(&desired, &observed),
            [
                "Updating tags of HTTP API",
                "Creating integration: API handler",
                "Deleting route: GET /admin",
                "Deleting route: GET /health",
                "Deleting route: GET /orders/{id}",
                "Deleting route: GET /profile",
                "Creating route: GET /admin (AWS_IAM)",
                "Creating route: GET /health (NONE)",
                "Creating route: GET /orders/{id} (JWT jwt)",
                "Creating route: GET /profile (CUSTOM gate)",
                "Deleting integration: i1",
                "Allowing API Gateway to invoke: httpapi1-dev-gate (authorizer gate)",
            ]
        );
    }

    #[test]
    fn grants_to_an_api_or_authorizer_the_stage_no_longer_has_are_revoked() {
        let desired = desired();
        let mut observed = deployed(&desired);
        let rest = "arn:aws:execute-api:us-west-2:123456789012:rest1/*";
        for function in observed.functions.values_mut() {
            function
                .api_grants
                .insert(rest.into(), format!("{GRANT_PREFIX}rest1"));
            function.api_grants.insert(
                "arn:aws:execute-api:us-west-2:123456789012:x/*".into(),
                "theirs".into(),
            );
        }
        observed.other_kind_apis.rest.push("rest1".into());
        assert_eq!(
            names(&desired, &observed),
            [
                "Revoking a stale grant to invoke: httpapi1-dev (chalice-rs-apigateway-rest1)",
                "Revoking a stale grant to invoke: httpapi1-dev-gate (chalice-rs-apigateway-rest1)",
                "Deleting Rest API: rest1",
            ]
        );
    }

    #[test]
    fn an_app_that_became_an_http_api_deletes_its_rest_api_last() {
        let desired = desired();
        let mut observed = deployed(&desired);
        observed.other_kind_apis.rest.push("rest1".into());
        observed.twin_http_apis.push("h2".into());
        assert_eq!(
            names(&desired, &observed),
            [
                "Deleting duplicate HTTP API: h2",
                "Deleting Rest API: rest1"
            ]
        );
    }

    #[test]
    fn changed_cors_is_set_and_changed_stage_variables_make_the_stage_again() {
        let before = desired();
        let observed = deployed(&before);
        let mut changed = before.clone();
        let Api::Http(api) = &mut changed.api else {
            unreachable!()
        };
        api.cors = Some(crate::model::http_api::Cors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["GET".into(), "OPTIONS".into()],
            allow_headers: vec!["Authorization".into()],
        });
        api.stage_variables.insert("extra".into(), "1".into());
        assert_eq!(
            names(&changed, &observed),
            [
                "Updating CORS configuration of HTTP API",
                "Deleting stage: api",
                "Creating stage: api"
            ]
        );
    }

    #[test]
    fn the_example_resolves_to_its_routes_and_authorizers() {
        let desired = desired::for_test(
            &crate::test_support::httpapi1(),
            r#"{"app_name": "httpapi1", "stages": {"dev": {}}}"#,
            "us-west-2",
            "aws",
        );
        let api = http(&desired);
        let routes: Vec<(&str, &str, Option<&str>)> = api
            .routes
            .iter()
            .map(|(key, r)| {
                (
                    key.as_str(),
                    r.authorization_type.as_str(),
                    r.authorizer.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            routes,
            [
                ("GET /admin", "AWS_IAM", None),
                ("GET /health", "NONE", None),
                ("GET /orders/{id}", "JWT", Some("jwt")),
                ("GET /profile", "CUSTOM", Some("gate")),
                ("POST /orders", "JWT", Some("jwt")),
            ]
        );
        assert_eq!(api.routes["GET /orders/{id}"].scopes, ["orders/read"]);
        let names: Vec<&str> = api.authorizers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["gate", "jwt"]);
        assert_eq!(
            api.authorizers[0].kind,
            HttpAuthorizerKind::Lambda {
                target: AuthorizerTarget::Function("gate".into()),
                identity_sources: vec!["$request.header.X-Token".into()],
                ttl_seconds: 300,
                simple_responses: true,
                credentials: None,
            }
        );
        let invoked: Vec<&str> = desired
            .invoked_by_api()
            .map(|f| f.function_name.as_str())
            .collect();
        assert_eq!(invoked, ["httpapi1-dev", "httpapi1-dev-gate"]);
    }

    #[test]
    fn grants_name_the_api_or_one_authorizer() {
        let desired = desired();
        assert_eq!(
            http_source_arn(&desired, "h1", None),
            "arn:aws:execute-api:us-west-2:123456789012:h1/*"
        );
        assert_eq!(
            http_source_arn(&desired, "h1", Some("a1")),
            "arn:aws:execute-api:us-west-2:123456789012:h1/authorizers/a1"
        );
        assert_eq!(route_target("i1"), "integrations/i1");
    }
}

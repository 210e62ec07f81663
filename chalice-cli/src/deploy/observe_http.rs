//! Reading an HTTP API (API Gateway v2) of a stage: by the record and by the app's and stage's
//! tags; its routes, integrations and stages by listing them, its authorizers by the ids the
//! record and the routes name. Only reads.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput;
use aws_sdk_apigatewayv2::types::{Integration, Route};

use super::client::{Aws, failed, unless_missing};
use super::desired_http::{Cors, HTTP_API};
use super::observed::Twin;
use super::observed_http::{
    ObservedHttpApi, ObservedHttpAuthorizer, ObservedIntegration, ObservedRoute, ObservedStage,
};
use super::record::Record;
use crate::error::Result;

/// The stage's HTTP API (the recorded one if it still exists, else the oldest tagged for the
/// stage) and the other tagged ones: twins a retried create left behind.
pub async fn find_http_api(
    aws: &Aws,
    app: &str,
    stage: &str,
    record: &Record,
) -> Result<(Option<String>, Vec<String>)> {
    let tagged = tagged_http_apis(aws, app, stage).await?;
    let mut chosen = None;
    // A recorded id is trusted only while its API is still tagged for the stage.
    if let Some(id) = record.value(HTTP_API, "http_api_id")
        && tagged.iter().any(|tagged| tagged == id)
    {
        chosen = Some(id.to_owned());
    }
    let chosen = chosen.or_else(|| tagged.first().cloned());
    let twins = tagged
        .into_iter()
        .filter(|id| Some(id) != chosen.as_ref())
        .collect();
    Ok((chosen, twins))
}

/// HTTP APIs tagged for this app and stage, oldest first.
pub async fn tagged_http_apis(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>> {
    let mut found: Vec<(i64, String)> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .apigatewayv2
            .get_apis()
            .max_results("500")
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failed("listing HTTP APIs", e))?;
        for api in page.items() {
            let tags = super::ownership::pairs(api.tags());
            if super::ownership::ours(tags, app, stage)
                && let Some(id) = api.api_id()
            {
                let created = api.created_date().map(|d| d.secs()).unwrap_or_default();
                found.push((created, id.to_owned()));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

/// Whether HTTP API `id` exists.
pub async fn http_api_exists(aws: &Aws, id: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigatewayv2.get_api().api_id(id).send().await,
        |e| e.is_not_found_exception(),
        || format!("reading HTTP API {id}"),
    )?;
    Ok(found.is_some())
}

/// HTTP API `id`: its tags, routes, integrations, stages, and the authorizers the record or a
/// route names. Of routes or authorizers made twice, one is kept and the others are twins.
pub async fn read_http_api(aws: &Aws, id: &str, record: &Record) -> Result<ObservedHttpApi> {
    let api = aws
        .apigatewayv2
        .get_api()
        .api_id(id)
        .send()
        .await
        .map_err(|e| failed(format!("reading HTTP API {id}"), e))?;
    let tags = api
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let cors = api.cors_configuration().map(|cors| Cors {
        allow_origins: cors.allow_origins().to_vec(),
        allow_methods: cors.allow_methods().to_vec(),
        allow_headers: cors.allow_headers().to_vec(),
    });
    let routes = list_routes(aws, id).await?;
    let (routes, twin_routes) = pick_routes(&routes);
    let mut ids: BTreeSet<String> = recorded_authorizers(record).into_values().collect();
    ids.extend(routes.values().filter_map(|r| r.authorizer_id.clone()));
    let mut listed = Vec::new();
    for authorizer_id in &ids {
        if let Some(found) = read_authorizer(aws, id, authorizer_id).await? {
            listed.push(found);
        }
    }
    let used: BTreeSet<&str> = routes
        .values()
        .filter_map(|r| r.authorizer_id.as_deref())
        .collect();
    let (authorizers, twin_authorizers) = pick_authorizers(listed, &used);
    let integrations = list_integrations(aws, id)
        .await?
        .iter()
        .map(observed_integration)
        .collect();
    let stages = aws
        .apigatewayv2
        .get_stages()
        .api_id(id)
        .max_results("500")
        .send()
        .await
        .map_err(|e| failed(format!("reading the stages of HTTP API {id}"), e))?
        .items()
        .iter()
        .filter_map(|s| {
            let stage = ObservedStage {
                auto_deploy: s.auto_deploy() == Some(true),
                variables: s
                    .stage_variables()
                    .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            };
            Some((s.stage_name()?.to_owned(), stage))
        })
        .collect();
    Ok(ObservedHttpApi {
        id: id.to_owned(),
        tags,
        cors,
        routes,
        twin_routes,
        authorizers,
        twin_authorizers,
        integrations,
        stages,
    })
}

/// The authorizer ids the record holds, by name.
pub fn recorded_authorizers(record: &Record) -> BTreeMap<String, String> {
    record
        .get(HTTP_API)
        .and_then(|entry| entry.get("authorizers"))
        .and_then(|value| value.as_object())
        .into_iter()
        .flatten()
        .filter_map(|(name, id)| Some((name.clone(), id.as_str()?.to_owned())))
        .collect()
}

/// Authorizer `authorizer_id` of HTTP API `id`, named, if it exists.
async fn read_authorizer(
    aws: &Aws,
    id: &str,
    authorizer_id: &str,
) -> Result<Option<(String, ObservedHttpAuthorizer)>> {
    let found = unless_missing(
        aws.apigatewayv2
            .get_authorizer()
            .api_id(id)
            .authorizer_id(authorizer_id)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading authorizer {authorizer_id} of HTTP API {id}"),
    )?;
    Ok(found.map(|found| {
        (
            found.name().unwrap_or_default().to_owned(),
            observed_authorizer(&found),
        )
    }))
}

/// An authorizer as API Gateway describes it.
fn observed_authorizer(authorizer: &GetAuthorizerOutput) -> ObservedHttpAuthorizer {
    let jwt = authorizer.jwt_configuration();
    ObservedHttpAuthorizer {
        id: authorizer.authorizer_id().unwrap_or_default().to_owned(),
        authorizer_type: authorizer
            .authorizer_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        identity_sources: authorizer.identity_source().to_vec(),
        issuer: jwt.and_then(|j| j.issuer()).map(str::to_owned),
        audiences: jwt.map(|j| j.audience().to_vec()).unwrap_or_default(),
        uri: authorizer.authorizer_uri().map(str::to_owned),
        ttl_seconds: authorizer
            .authorizer_result_ttl_in_seconds()
            .and_then(|t| u32::try_from(t).ok()),
        simple_responses: authorizer.enable_simple_responses() == Some(true),
        payload_format_version: authorizer
            .authorizer_payload_format_version()
            .map(str::to_owned),
        credentials: authorizer.authorizer_credentials_arn().map(str::to_owned),
    }
}

/// The authorizers by name, one of each name: of several alike, the one a route uses, else the
/// first; the others are twins.
fn pick_authorizers(
    listed: Vec<(String, ObservedHttpAuthorizer)>,
    used: &BTreeSet<&str>,
) -> (BTreeMap<String, ObservedHttpAuthorizer>, Vec<Twin>) {
    let mut kept: BTreeMap<String, ObservedHttpAuthorizer> = BTreeMap::new();
    let mut twins = Vec::new();
    for (name, authorizer) in listed {
        let replaces = kept.get(&name).is_none_or(|first| {
            used.contains(authorizer.id.as_str()) && !used.contains(first.id.as_str())
        });
        let twin = if replaces {
            kept.insert(name.clone(), authorizer)
        } else {
            Some(authorizer)
        };
        if let Some(twin) = twin {
            twins.push(Twin { name, id: twin.id });
        }
    }
    (kept, twins)
}

/// The routes by key, the first of each key kept; the others are twins.
fn pick_routes(routes: &[Route]) -> (BTreeMap<String, ObservedRoute>, Vec<Twin>) {
    let mut kept = BTreeMap::new();
    let mut twins = Vec::new();
    for route in routes {
        let (Some(key), Some(id)) = (route.route_key(), route.route_id()) else {
            continue;
        };
        if kept.contains_key(key) {
            twins.push(Twin {
                name: key.to_owned(),
                id: id.to_owned(),
            });
            continue;
        }
        kept.insert(key.to_owned(), observed_route(route));
    }
    (kept, twins)
}

/// A route as API Gateway describes it.
fn observed_route(route: &Route) -> ObservedRoute {
    ObservedRoute {
        id: route.route_id().unwrap_or_default().to_owned(),
        authorization_type: route
            .authorization_type()
            .map_or("NONE", |t| t.as_str())
            .to_owned(),
        authorizer_id: route
            .authorizer_id()
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
        scopes: route.authorization_scopes().to_vec(),
        target: route.target().map(str::to_owned),
    }
}

/// An integration as API Gateway describes it.
fn observed_integration(integration: &Integration) -> ObservedIntegration {
    ObservedIntegration {
        id: integration.integration_id().unwrap_or_default().to_owned(),
        integration_type: integration
            .integration_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        uri: integration.integration_uri().map(str::to_owned),
        payload_format_version: integration.payload_format_version().map(str::to_owned),
    }
}

/// Every route of HTTP API `id`.
pub async fn list_routes(aws: &Aws, id: &str) -> Result<Vec<Route>> {
    let mut routes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .apigatewayv2
            .get_routes()
            .api_id(id)
            .max_results("500")
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failed(format!("reading the routes of HTTP API {id}"), e))?;
        routes.extend(page.items().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(routes),
        }
    }
}

/// Every integration of HTTP API `id`.
pub async fn list_integrations(aws: &Aws, id: &str) -> Result<Vec<Integration>> {
    let mut integrations = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .apigatewayv2
            .get_integrations()
            .api_id(id)
            .max_results("500")
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failed(format!("reading the integrations of HTTP API {id}"), e))?;
        integrations.extend(page.items().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(integrations),
        }
    }
}

/// The id of the route `key` of HTTP API `id`: what a create whose answer was lost made.
pub async fn find_route(aws: &Aws, id: &str, key: &str) -> Result<Option<String>> {
    Ok(list_routes(aws, id)
        .await?
        .iter()
        .find(|r| r.route_key() == Some(key))
        .and_then(|r| r.route_id().map(str::to_owned)))
}

/// The id of an `AWS_PROXY` integration of HTTP API `id` with `uri`.
pub async fn find_integration(aws: &Aws, id: &str, uri: &str) -> Result<Option<String>> {
    Ok(list_integrations(aws, id)
        .await?
        .iter()
        .find(|i| i.integration_uri() == Some(uri))
        .and_then(|i| i.integration_id().map(str::to_owned)))
}

/// The id of the authorizer `name` of HTTP API `id`, if there is one.
pub async fn find_authorizer(aws: &Aws, id: &str, name: &str) -> Result<Option<String>> {
    let listed = aws
        .apigatewayv2
        .get_authorizers()
        .api_id(id)
        .max_results("500")
        .send()
        .await
        .map_err(|e| failed(format!("reading the authorizers of HTTP API {id}"), e))?;
    Ok(listed
        .items()
        .iter()
        .find(|a| a.name() == Some(name))
        .and_then(|a| a.authorizer_id().map(str::to_owned)))
}

/// Whether route `route` of HTTP API `id` exists.
pub async fn route_exists(aws: &Aws, id: &str, route: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigatewayv2
            .get_route()
            .api_id(id)
            .route_id(route)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading route {route} of HTTP API {id}"),
    )?;
    Ok(found.is_some())
}

/// Whether authorizer `authorizer` of HTTP API `id` exists.
pub async fn authorizer_exists(aws: &Aws, id: &str, authorizer: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigatewayv2
            .get_authorizer()
            .api_id(id)
            .authorizer_id(authorizer)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading authorizer {authorizer} of HTTP API {id}"),
    )?;
    Ok(found.is_some())
}

/// Whether integration `integration` of HTTP API `id` exists.
pub async fn integration_exists(aws: &Aws, id: &str, integration: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigatewayv2
            .get_integration()
            .api_id(id)
            .integration_id(integration)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading integration {integration} of HTTP API {id}"),
    )?;
    Ok(found.is_some())
}

/// Whether stage `stage` of HTTP API `id` exists.
pub async fn stage_exists(aws: &Aws, id: &str, stage: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigatewayv2
            .get_stage()
            .api_id(id)
            .stage_name(stage)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading stage {stage} of HTTP API {id}"),
    )?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use aws_sdk_apigatewayv2::types::{AuthorizationType, AuthorizerType, JwtConfiguration};

    use super::*;

    fn route(key: &str, id: &str) -> Route {
        Route::builder()
            .route_key(key)
            .route_id(id)
            .authorization_type(AuthorizationType::Jwt)
            .authorizer_id("a1")
            .authorization_scopes("orders/read")
            .target("integrations/i1")
            .build()
    }

    #[test]
    fn routes_are_read_by_key_and_a_second_of_one_key_is_a_twin() {
        let (kept, twins) = pick_routes(&[
            route("GET /orders/{id}", "r1"),
            route("GET /orders/{id}", "r2"),
            Route::builder()
                .route_key("GET /health")
                .route_id("r3")
                .build(),
        ]);
        assert_eq!(
            kept["GET /orders/{id}"],
            ObservedRoute {
                id: "r1".into(),
                authorization_type: "JWT".into(),
                authorizer_id: Some("a1".into()),
                scopes: vec!["orders/read".into()],
                target: Some("integrations/i1".into()),
            }
        );
        assert_eq!(kept["GET /health"].authorization_type, "NONE");
        assert_eq!(
            twins,
            [Twin {
                name: "GET /orders/{id}".into(),
                id: "r2".into()
            }]
        );
    }

    #[test]
    fn a_jwt_authorizer_is_read_with_its_configuration() {
        let authorizer = GetAuthorizerOutput::builder()
            .authorizer_id("a1")
            .name("jwt")
            .authorizer_type(AuthorizerType::Jwt)
            .identity_source("$request.header.Authorization")
            .jwt_configuration(
                JwtConfiguration::builder()
                    .issuer("https://issuer.example.com")
                    .audience("orders-api")
                    .build(),
            )
            .build();
        let observed = observed_authorizer(&authorizer);
        assert_eq!(
            observed,
            ObservedHttpAuthorizer {
                id: "a1".into(),
                authorizer_type: "JWT".into(),
                identity_sources: vec!["$request.header.Authorization".into()],
                issuer: Some("https://issuer.example.com".into()),
                audiences: vec!["orders-api".into()],
                ..ObservedHttpAuthorizer::default()
            }
        );
    }

    #[test]
    fn of_authorizers_of_one_name_the_one_a_route_uses_stays() {
        let authorizer = |id: &str| ObservedHttpAuthorizer {
            id: id.into(),
            ..ObservedHttpAuthorizer::default()
        };
        let (kept, twins) = pick_authorizers(
            vec![
                ("gate".into(), authorizer("a1")),
                ("gate".into(), authorizer("a2")),
            ],
            &BTreeSet::from(["a2"]),
        );
        assert_eq!(kept["gate"].id, "a2");
        assert_eq!(
            twins,
            [Twin {
                name: "gate".into(),
                id: "a1".into()
            }]
        );
    }

    #[test]
    fn the_record_names_authorizer_ids() {
        let mut record = Record::default();
        record.set(HTTP_API, HTTP_API, "http_api_id", "api1");
        assert!(recorded_authorizers(&record).is_empty());
        record.set_json(
            HTTP_API,
            HTTP_API,
            "authorizers",
            serde_json::json!({"jwt": "a1", "gate": "a2"}),
        );
        assert_eq!(
            recorded_authorizers(&record),
            BTreeMap::from([
                ("gate".to_owned(), "a2".to_owned()),
                ("jwt".to_owned(), "a1".to_owned())
            ])
        );
    }
}

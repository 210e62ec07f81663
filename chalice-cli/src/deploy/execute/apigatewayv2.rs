//! The steps on API Gateway v2: the HTTP API, its integration with the API handler, its
//! authorizers, routes and stage, its tags, and the grants that let it invoke the functions.
//! Creates are never repeated blindly (see [`create_or_adopt`]); changes are retried while API
//! Gateway is busy.

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{
    AuthorizationType, AuthorizerType, IntegrationType, JwtConfiguration, ProtocolType,
};
use serde_json::Value;

use super::lambda::statement_id;
use super::{Effect, Executor, gone_unless};
use crate::deploy::client::{busy_retried, create_or_adopt, delete_or_confirm, failed};
use crate::deploy::desired::Desired;
use crate::deploy::desired_http::{
    Cors, DesiredHttpAuthorizer, DesiredRoute, HTTP_API, HttpAuthorizerKind, INTEGRATION_METHOD,
    INTEGRATION_TYPE, PAYLOAD_FORMAT_VERSION,
};
use crate::deploy::observe_http;
use crate::deploy::observed::Observed;
use crate::deploy::plan::{proxy_uri, rest_api_url, target_uri};
use crate::deploy::plan_http::{HttpStep, http_source_arn, kept_integration, route_target};
use crate::deploy::record::Record;
use crate::error::{Error, Result};
use crate::model::http_api::PROTOCOL_TYPE;

/// The ids the executor knows of the HTTP API as it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct HttpIds {
    /// The API.
    pub(super) api: Option<String>,
    /// The integration the routes call.
    pub(super) integration: Option<String>,
    /// Authorizer ids by name.
    pub(super) authorizers: HashMap<String, String>,
    /// Route ids by route key.
    pub(super) routes: HashMap<String, String>,
}

impl HttpIds {
    /// The ids already known from the observed state; the integration is the one the plan
    /// keeps.
    pub(super) fn from_observed(desired: &Desired, observed: &Observed) -> HttpIds {
        let Some(api) = &observed.http_api else {
            return HttpIds::default();
        };
        HttpIds {
            api: Some(api.id.clone()),
            integration: kept_integration(desired, api).map(str::to_owned),
            authorizers: api
                .authorizers
                .iter()
                .map(|(name, a)| (name.clone(), a.id.clone()))
                .collect(),
            routes: api
                .routes
                .iter()
                .map(|(key, r)| (key.clone(), r.id.clone()))
                .collect(),
        }
    }

    fn api(&self) -> Result<&str> {
        self.api
            .as_deref()
            .ok_or_else(|| Error::new("internal: no HTTP API id at this step"))
    }
}

impl Executor<'_> {
    /// Applies one step on an HTTP API.
    pub(super) async fn apply_http(
        &mut self,
        step: &HttpStep,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        match step {
            HttpStep::DeleteTwinApi { id } | HttpStep::DeleteApi { id } => {
                self.delete_http_api(id, record, what).await
            }
            HttpStep::CreateApi => self.create_http_api(record, what).await,
            HttpStep::SetApiTags { remove } => self.set_http_api_tags(remove, what).await,
            HttpStep::SetCors => self.set_cors(what).await,
            HttpStep::CreateIntegration => self.create_integration(what).await,
            HttpStep::DeleteRoute { key } => {
                let id = self.http.routes.remove(key);
                self.delete_route_id(id, what).await
            }
            HttpStep::DeleteTwinRoute(twin) => {
                self.delete_route_id(Some(twin.id.clone()), what).await
            }
            HttpStep::DeleteAuthorizer { name } => {
                let id = self.http.authorizers.remove(name);
                forget_authorizer(record, name);
                self.delete_http_authorizer_id(id, what).await
            }
            HttpStep::DeleteTwinAuthorizer(twin) => {
                self.delete_http_authorizer_id(Some(twin.id.clone()), what)
                    .await
            }
            HttpStep::UpdateAuthorizer(authorizer) => {
                self.update_http_authorizer(authorizer, what).await
            }
            HttpStep::CreateAuthorizer(authorizer) => {
                self.create_http_authorizer(authorizer, record, what).await
            }
            HttpStep::CreateRoute { key, spec } => self.create_route(key, spec, what).await,
            HttpStep::DeleteIntegration { id } => self.delete_integration(id, what).await,
            HttpStep::DeleteStage { name } => self.delete_http_stage(name, what).await,
            HttpStep::CreateStage { name } => self.create_http_stage(name, record, what).await,
            HttpStep::RevokeInvoke {
                function_name,
                statement,
            } => self.revoke_api(function_name, statement, what).await,
            HttpStep::AllowInvoke {
                function_name,
                authorizer,
            } => {
                self.allow_http_invoke(function_name, authorizer.as_deref(), what)
                    .await
            }
        }
    }

    /// Deletes an HTTP API; one already gone is fine (looked for first: not every API Gateway
    /// says so). The record forgets it either way.
    async fn delete_http_api(&self, id: &str, record: &mut Record, what: &str) -> Result<Effect> {
        let v2 = &self.aws.apigatewayv2_once;
        let deleted = observe_http::http_api_exists(self.aws, id).await?
            && delete_or_confirm(
                what,
                || v2.delete_api().api_id(id).send(),
                |e| e.is_not_found_exception(),
                || observe_http::http_api_exists(self.aws, id),
            )
            .await?;
        if record.value(HTTP_API, "http_api_id") == Some(id) {
            record.remove(HTTP_API);
        }
        Ok(gone_unless(deleted))
    }

    async fn create_http_api(&mut self, record: &mut Record, what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = desired_http(desired, what)?;
        let create = self
            .aws
            .apigatewayv2_once
            .create_api()
            .name(&api.name)
            .protocol_type(ProtocolType::from(PROTOCOL_TYPE))
            .set_cors_configuration(api.cors.as_ref().map(cors_configuration))
            .set_tags(Some(api.tags.clone().into_iter().collect()));
        // Nothing was tagged for the stage when it was observed: one tagged now is this one's.
        let aws = self.aws;
        let id = create_or_adopt(
            what,
            || async { created(create.clone().send().await, |o| o.api_id()) },
            || async {
                Ok(
                    observe_http::tagged_http_apis(aws, &desired.app, &desired.stage)
                        .await?
                        .into_iter()
                        .next(),
                )
            },
        )
        .await?;
        record.set(HTTP_API, HTTP_API, "http_api_id", &id);
        self.http.api = Some(id);
        Ok(Effect::Changed)
    }

    async fn set_http_api_tags(&self, remove: &[String], what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = desired_http(desired, what)?;
        let arn = http_api_arn(desired, self.http.api()?);
        let v2 = &self.aws.apigatewayv2;
        if !remove.is_empty() {
            let untag = v2
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove.to_vec()));
            busy_retried(|| untag.clone().send())
                .await
                .map_err(|e| failed(what, e))?;
        }
        let tag = v2
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(api.tags.clone().into_iter().collect()));
        busy_retried(|| tag.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    /// Sets the API's CORS configuration, or removes it.
    async fn set_cors(&self, what: &str) -> Result<Effect> {
        let api = desired_http(self.desired(what)?, what)?;
        let id = self.http.api()?;
        let v2 = &self.aws.apigatewayv2;
        match &api.cors {
            Some(cors) => {
                let update = v2
                    .update_api()
                    .api_id(id)
                    .cors_configuration(cors_configuration(cors));
                busy_retried(|| update.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
            }
            None => {
                let delete = v2.delete_cors_configuration().api_id(id);
                busy_retried(|| delete.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
            }
        }
        Ok(Effect::Changed)
    }

    async fn create_integration(&mut self, what: &str) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.http.api()?;
        let uri = proxy_uri(desired).map_err(|error| Error::new(format!("{what}: {error}")))?;
        let create = self
            .aws
            .apigatewayv2_once
            .create_integration()
            .api_id(api)
            .integration_type(IntegrationType::from(INTEGRATION_TYPE))
            .integration_method(INTEGRATION_METHOD)
            .integration_uri(&uri)
            .payload_format_version(PAYLOAD_FORMAT_VERSION);
        let id = create_or_adopt(
            what,
            || async { created(create.clone().send().await, |o| o.integration_id()) },
            || observe_http::find_integration(self.aws, api, &uri),
        )
        .await?;
        self.http.integration = Some(id);
        Ok(Effect::Changed)
    }

    /// Deletes route `id` (none known: it is gone).
    async fn delete_route_id(&self, id: Option<String>, what: &str) -> Result<Effect> {
        let Some(id) = id else {
            return Ok(Effect::AlreadyGone);
        };
        let api = self.http.api()?;
        let delete = self
            .aws
            .apigatewayv2_once
            .delete_route()
            .api_id(api)
            .route_id(&id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe_http::route_exists(self.aws, api, &id),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    /// Deletes authorizer `id` (none known: it is gone).
    async fn delete_http_authorizer_id(&self, id: Option<String>, what: &str) -> Result<Effect> {
        let Some(id) = id else {
            return Ok(Effect::AlreadyGone);
        };
        let api = self.http.api()?;
        let delete = self
            .aws
            .apigatewayv2_once
            .delete_authorizer()
            .api_id(api)
            .authorizer_id(&id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe_http::authorizer_exists(self.aws, api, &id),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    async fn update_http_authorizer(
        &self,
        authorizer: &DesiredHttpAuthorizer,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.http.api()?;
        let id = self
            .http
            .authorizers
            .get(&authorizer.name)
            .ok_or_else(|| Error::new(format!("internal: {what}: no id for the authorizer")))?;
        let settings = AuthorizerSettings::of(desired, authorizer);
        let update = self
            .aws
            .apigatewayv2
            .update_authorizer()
            .api_id(api)
            .authorizer_id(id)
            .name(&authorizer.name)
            .authorizer_type(settings.authorizer_type)
            .set_identity_source(Some(settings.identity_sources))
            .set_jwt_configuration(settings.jwt)
            .set_authorizer_uri(settings.uri)
            .set_authorizer_payload_format_version(settings.payload_format_version)
            .set_authorizer_result_ttl_in_seconds(settings.ttl_seconds)
            .set_enable_simple_responses(settings.simple_responses)
            .set_authorizer_credentials_arn(settings.credentials);
        busy_retried(|| update.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn create_http_authorizer(
        &mut self,
        authorizer: &DesiredHttpAuthorizer,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.http.api()?;
        let settings = AuthorizerSettings::of(desired, authorizer);
        let create = self
            .aws
            .apigatewayv2_once
            .create_authorizer()
            .api_id(api)
            .name(&authorizer.name)
            .authorizer_type(settings.authorizer_type)
            .set_identity_source(Some(settings.identity_sources))
            .set_jwt_configuration(settings.jwt)
            .set_authorizer_uri(settings.uri)
            .set_authorizer_payload_format_version(settings.payload_format_version)
            .set_authorizer_result_ttl_in_seconds(settings.ttl_seconds)
            .set_enable_simple_responses(settings.simple_responses)
            .set_authorizer_credentials_arn(settings.credentials);
        let id = create_or_adopt(
            what,
            || async { created(create.clone().send().await, |o| o.authorizer_id()) },
            || observe_http::find_authorizer(self.aws, api, &authorizer.name),
        )
        .await?;
        remember_authorizer(record, &authorizer.name, &id);
        self.http.authorizers.insert(authorizer.name.clone(), id);
        Ok(Effect::Changed)
    }

    async fn create_route(&mut self, key: &str, spec: &DesiredRoute, what: &str) -> Result<Effect> {
        let api = self.http.api()?;
        let integration =
            self.http.integration.as_deref().ok_or_else(|| {
                Error::new(format!("internal: {what}: no integration to route to"))
            })?;
        let authorizer_id =
            match &spec.authorizer {
                Some(name) => Some(self.http.authorizers.get(name).cloned().ok_or_else(|| {
                    Error::new(format!("{what}: authorizer {name} was not created"))
                })?),
                None => None,
            };
        let create = self
            .aws
            .apigatewayv2_once
            .create_route()
            .api_id(api)
            .route_key(key)
            .target(route_target(integration))
            .authorization_type(AuthorizationType::from(spec.authorization_type.as_str()))
            .set_authorizer_id(authorizer_id)
            .set_authorization_scopes((!spec.scopes.is_empty()).then(|| spec.scopes.clone()));
        let id = create_or_adopt(
            what,
            || async { created(create.clone().send().await, |o| o.route_id()) },
            || observe_http::find_route(self.aws, api, key),
        )
        .await?;
        self.http.routes.insert(key.to_owned(), id);
        Ok(Effect::Changed)
    }

    async fn delete_integration(&self, id: &str, what: &str) -> Result<Effect> {
        let api = self.http.api()?;
        let delete = self
            .aws
            .apigatewayv2_once
            .delete_integration()
            .api_id(api)
            .integration_id(id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe_http::integration_exists(self.aws, api, id),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    async fn delete_http_stage(&self, name: &str, what: &str) -> Result<Effect> {
        let api = self.http.api()?;
        let delete = self
            .aws
            .apigatewayv2_once
            .delete_stage()
            .api_id(api)
            .stage_name(name);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe_http::stage_exists(self.aws, api, name),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    /// Creates the stage, deploying every change by itself; the record gets the API's URL.
    async fn create_http_stage(
        &self,
        name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.http.api()?;
        let create = self
            .aws
            .apigatewayv2_once
            .create_stage()
            .api_id(api)
            .stage_name(name)
            .auto_deploy(true)
            .set_stage_variables(Some(
                desired_http(desired, what)?
                    .stage_variables
                    .clone()
                    .into_iter()
                    .collect(),
            ));
        create_or_adopt(
            what,
            || async { created(create.clone().send().await, |o| o.stage_name()) },
            || async {
                let there = observe_http::stage_exists(self.aws, api, name).await?;
                Ok(there.then(|| name.to_owned()))
            },
        )
        .await?;
        record.set(HTTP_API, HTTP_API, "http_api_id", api);
        record.set(
            HTTP_API,
            HTTP_API,
            "http_api_url",
            &rest_api_url(&desired.region, api, name),
        );
        Ok(Effect::Changed)
    }

    /// Lets the API (any route), or one authorizer of it, invoke a function.
    async fn allow_http_invoke(
        &self,
        function_name: &str,
        authorizer: Option<&str>,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.http.api()?;
        let (statement, authorizer_id) = match authorizer {
            None => (statement_id(api), None),
            Some(name) => {
                let id = self.http.authorizers.get(name).ok_or_else(|| {
                    Error::new(format!("{what}: authorizer {name} was not created"))
                })?;
                (format!("{}-{id}", statement_id(api)), Some(id.as_str()))
            }
        };
        let source = http_source_arn(desired, api, authorizer_id);
        self.grant_api(function_name, statement, &source, what)
            .await
    }
}

/// The desired HTTP API of a deploy.
fn desired_http<'a>(
    desired: &'a Desired,
    what: &str,
) -> Result<&'a crate::deploy::desired_http::DesiredHttpApi> {
    desired
        .http_api()
        .ok_or_else(|| Error::new(format!("internal: {what}: the app has no HTTP API")))
}

/// A CORS configuration as API Gateway takes it.
fn cors_configuration(cors: &Cors) -> aws_sdk_apigatewayv2::types::Cors {
    aws_sdk_apigatewayv2::types::Cors::builder()
        .set_allow_origins(Some(cors.allow_origins.clone()))
        .set_allow_methods(Some(cors.allow_methods.clone()))
        .set_allow_headers(Some(cors.allow_headers.clone()))
        // Sent even when empty or off, so an update clears what an earlier configuration set.
        .set_expose_headers(Some(cors.expose_headers.clone()))
        .set_max_age(cors.max_age.and_then(|seconds| i32::try_from(seconds).ok()))
        .set_allow_credentials(Some(cors.allow_credentials))
        .build()
}

/// The ARN API Gateway tags an HTTP API by.
fn http_api_arn(desired: &Desired, api: &str) -> String {
    format!(
        "arn:{}:apigateway:{}::/apis/{api}",
        desired.account.partition, desired.region
    )
}

/// An authorizer's settings as the create and update calls take them.
#[derive(Debug, Clone, PartialEq)]
struct AuthorizerSettings {
    authorizer_type: AuthorizerType,
    identity_sources: Vec<String>,
    jwt: Option<JwtConfiguration>,
    uri: Option<String>,
    payload_format_version: Option<String>,
    ttl_seconds: Option<i32>,
    simple_responses: Option<bool>,
    credentials: Option<String>,
}

impl AuthorizerSettings {
    fn of(desired: &Desired, authorizer: &DesiredHttpAuthorizer) -> AuthorizerSettings {
        match &authorizer.kind {
            HttpAuthorizerKind::Jwt {
                issuer,
                audiences,
                identity_source,
            } => AuthorizerSettings {
                authorizer_type: AuthorizerType::Jwt,
                identity_sources: vec![identity_source.clone()],
                jwt: Some(
                    JwtConfiguration::builder()
                        .issuer(issuer)
                        .set_audience(Some(audiences.clone()))
                        .build(),
                ),
                uri: None,
                payload_format_version: None,
                ttl_seconds: None,
                simple_responses: None,
                credentials: None,
            },
            HttpAuthorizerKind::Lambda {
                target,
                identity_sources,
                ttl_seconds,
                simple_responses,
                credentials,
            } => AuthorizerSettings {
                authorizer_type: AuthorizerType::Request,
                identity_sources: identity_sources.clone(),
                jwt: None,
                uri: target_uri(desired, target),
                payload_format_version: Some(PAYLOAD_FORMAT_VERSION.to_owned()),
                ttl_seconds: Some(i32::try_from(*ttl_seconds).unwrap_or(i32::MAX)),
                simple_responses: Some(*simple_responses),
                credentials: credentials.clone(),
            },
        }
    }
}

/// Records an authorizer's id under the HTTP API's entry.
fn remember_authorizer(record: &mut Record, name: &str, id: &str) {
    let mut ids = recorded(record);
    ids.insert(name.to_owned(), Value::String(id.to_owned()));
    record.set_json(HTTP_API, HTTP_API, "authorizers", Value::Object(ids));
}

/// Drops an authorizer's id from the HTTP API's entry.
fn forget_authorizer(record: &mut Record, name: &str) {
    let mut ids = recorded(record);
    if ids.remove(name).is_some() {
        record.set_json(HTTP_API, HTTP_API, "authorizers", Value::Object(ids));
    }
}

fn recorded(record: &Record) -> serde_json::Map<String, Value> {
    record
        .get(HTTP_API)
        .and_then(|entry| entry.get("authorizers"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The id a create answered with.
fn created<O, E>(
    answer: std::result::Result<O, E>,
    id: impl Fn(&O) -> Option<&str>,
) -> std::result::Result<String, E> {
    answer.map(|output| id(&output).unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::desired::AuthorizerTarget;

    #[test]
    fn authorizer_ids_are_recorded_and_forgotten_by_name() {
        let mut record = Record::default();
        remember_authorizer(&mut record, "jwt", "a1");
        remember_authorizer(&mut record, "gate", "a2");
        assert_eq!(
            record.get(HTTP_API).unwrap()["authorizers"],
            serde_json::json!({"jwt": "a1", "gate": "a2"})
        );
        forget_authorizer(&mut record, "jwt");
        forget_authorizer(&mut record, "never");
        assert_eq!(
            observe_http::recorded_authorizers(&record),
            [("gate".to_owned(), "a2".to_owned())].into()
        );
    }

    #[test]
    fn a_jwt_authorizer_sends_its_configuration_and_a_lambda_one_payload_2() {
        let desired = super::super::tests::desired();
        let jwt = AuthorizerSettings::of(
            &desired,
            &DesiredHttpAuthorizer {
                name: "jwt".into(),
                kind: HttpAuthorizerKind::Jwt {
                    issuer: "https://issuer.example.com".into(),
                    audiences: vec!["orders-api".into()],
                    identity_source: "$request.header.Authorization".into(),
                },
            },
        );
        assert_eq!(jwt.authorizer_type, AuthorizerType::Jwt);
        let config = jwt.jwt.unwrap();
        assert_eq!(config.issuer(), Some("https://issuer.example.com"));
        assert_eq!(config.audience(), ["orders-api"]);
        assert_eq!(jwt.identity_sources, ["$request.header.Authorization"]);
        assert!(jwt.uri.is_none() && jwt.payload_format_version.is_none());
        let lambda = AuthorizerSettings::of(
            &desired,
            &DesiredHttpAuthorizer {
                name: "gate".into(),
                kind: HttpAuthorizerKind::Lambda {
                    target: AuthorizerTarget::Uri("arn:uri".into()),
                    identity_sources: vec!["$request.header.X-Token".into()],
                    ttl_seconds: 0,
                    simple_responses: true,
                    credentials: None,
                },
            },
        );
        assert_eq!(lambda.authorizer_type, AuthorizerType::Request);
        assert_eq!(lambda.uri.as_deref(), Some("arn:uri"));
        assert_eq!(lambda.payload_format_version.as_deref(), Some("2.0"));
        assert_eq!(
            (lambda.ttl_seconds, lambda.simple_responses),
            (Some(0), Some(true))
        );
    }

    #[test]
    fn an_http_api_is_tagged_by_its_arn() {
        let desired = super::super::tests::desired();
        assert_eq!(
            http_api_arn(&desired, "abc"),
            "arn:aws:apigateway:us-west-2::/apis/abc"
        );
    }
}

//! The steps on API Gateway: the REST API, its resources, methods and integrations, its
//! authorizers, and its deployment to the stage. Changes are retried while API Gateway is busy.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType as ApiEndpointType, GatewayResponseType,
    IntegrationType, Op, PatchOperation,
};

use super::{Effect, Executor, gone_unless};
use crate::config::EndpointType;
use crate::deploy::api_settings::{Patch, PatchOp};
use crate::deploy::client::{
    busy_retried, create_or_adopt, delete_or_confirm, failed, unless_missing,
};
use crate::deploy::desired::{
    AuthorizerTarget, DesiredAuthorizer, DesiredMethod, Integration, REST_API,
};
use crate::deploy::observe;
use crate::deploy::plan::{
    api_fingerprint, authorizer_uri, proxy_uri, response_header_parameter, rest_api_url,
};
use crate::deploy::record::Record;
use crate::error::{Error, Result};

impl Executor<'_> {
    pub(super) async fn delete_twin_api(&self, id: &str, what: &str) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        let deleted = unless_missing(
            busy_retried(|| apigateway.delete_rest_api().rest_api_id(id).send()).await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        Ok(gone_unless(deleted.is_some()))
    }

    /// Deletes a resource made twice (what hangs from it goes with it).
    pub(super) async fn delete_twin_resource(&self, id: &str, what: &str) -> Result<Effect> {
        self.delete_resource_id(id, what).await
    }

    /// Deletes an authorizer made twice (no method uses it by then).
    pub(super) async fn delete_twin_authorizer(&self, id: &str, what: &str) -> Result<Effect> {
        self.delete_authorizer_id(id, what).await
    }

    /// Deletes resource `id` (what hangs from it goes with it); one already gone is fine.
    async fn delete_resource_id(&self, id: &str, what: &str) -> Result<Effect> {
        let api = self.ids.api()?;
        let delete = self
            .aws
            .apigateway_once
            .delete_resource()
            .rest_api_id(api)
            .resource_id(id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe::resource_exists(self.aws, api, id),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    /// Deletes authorizer `id`; one already gone is fine.
    async fn delete_authorizer_id(&self, id: &str, what: &str) -> Result<Effect> {
        let api = self.ids.api()?;
        let delete = self
            .aws
            .apigateway_once
            .delete_authorizer()
            .rest_api_id(api)
            .authorizer_id(id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe::authorizer_exists(self.aws, api, id),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    /// Deletes a REST API; one already gone is fine. The record forgets it either way.
    pub(super) async fn delete_rest_api(
        &self,
        id: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        let found = unless_missing(
            apigateway.get_rest_api().rest_api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        if found.is_some() {
            // A retry of a delete whose answer was lost finds it gone.
            unless_missing(
                busy_retried(|| apigateway.delete_rest_api().rest_api_id(id).send()).await,
                |e| e.is_not_found_exception(),
                || what.to_owned(),
            )?;
        }
        if record.value(REST_API, "rest_api_id") == Some(id) {
            record.remove(REST_API);
        }
        Ok(gone_unless(found.is_some()))
    }

    pub(super) async fn create_rest_api(
        &mut self,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let rest = desired
            .rest_api()
            .ok_or_else(|| Error::new(format!("internal: {what}: the app has no REST API")))?;
        let aws = self.aws;
        let apigateway = &aws.apigateway;
        let settings = &rest.settings;
        let mut create = aws
            .apigateway_once
            .create_rest_api()
            .name(&rest.name)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(endpoint_type(rest.endpoint_type))
                    .set_vpc_endpoint_ids(
                        (!settings.vpce_ids.is_empty()).then(|| settings.vpce_ids.clone()),
                    )
                    .build(),
            )
            .set_policy(settings.policy_text())
            .set_minimum_compression_size(
                settings
                    .minimum_compression_size
                    .map(|size| i32::try_from(size).unwrap_or(i32::MAX)),
            );
        for (key, value) in &desired.tags {
            create = create.tags(key, value);
        }
        // Nothing was tagged for the stage when it was observed: one tagged now is this one's.
        let id = create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            || observe::find_tagged_api(aws, &desired.app, &desired.stage),
        )
        .await?;
        record.set(REST_API, "rest_api", "rest_api_id", &id);
        // The root resource is made with the API: the resources made next hang from it.
        let resources = apigateway
            .get_resources()
            .rest_api_id(&id)
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        for resource in resources.items() {
            if let (Some(path), Some(resource_id)) = (resource.path(), resource.id()) {
                self.ids
                    .resources
                    .insert(path.to_owned(), resource_id.to_owned());
            }
        }
        self.ids.api = Some(id);
        Ok(Effect::Changed)
    }

    /// Patches the REST API's own settings to the config's (see [`RestApiSettings`]).
    ///
    /// [`RestApiSettings`]: crate::deploy::api_settings::RestApiSettings
    pub(super) async fn update_rest_api(&self, patch: &[Patch], what: &str) -> Result<Effect> {
        let operations = patch
            .iter()
            .map(|patch| {
                PatchOperation::builder()
                    .op(match patch.op {
                        PatchOp::Add => Op::Add,
                        PatchOp::Remove => Op::Remove,
                        PatchOp::Replace => Op::Replace,
                    })
                    .path(&patch.path)
                    .value(&patch.value)
                    .build()
            })
            .collect();
        let update = self
            .aws
            .apigateway
            .update_rest_api()
            .rest_api_id(self.ids.api()?)
            .set_patch_operations(Some(operations));
        busy_retried(|| update.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    pub(super) async fn create_resource(&mut self, path: &str, what: &str) -> Result<Effect> {
        let (parent, part) = parent_and_part(path);
        let (api, parent_id) = (self.ids.api()?, self.ids.resource(parent)?);
        let create = self
            .aws
            .apigateway_once
            .create_resource()
            .rest_api_id(api)
            .parent_id(parent_id)
            .path_part(part);
        let id = create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            || observe::find_resource(self.aws, api, parent_id, path),
        )
        .await?;
        self.ids.resources.insert(path.to_owned(), id);
        Ok(Effect::Changed)
    }

    pub(super) async fn delete_method(
        &self,
        path: &str,
        method: &str,
        what: &str,
    ) -> Result<Effect> {
        let (api, resource) = (self.ids.api()?, self.ids.resource(path)?);
        let delete = self
            .aws
            .apigateway_once
            .delete_method()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || observe::method_exists(self.aws, api, resource, method),
        )
        .await?;
        Ok(gone_unless(deleted))
    }

    pub(super) async fn delete_authorizer(&mut self, name: &str, what: &str) -> Result<Effect> {
        let Some(id) = self.ids.authorizers.remove(name) else {
            return Ok(Effect::AlreadyGone);
        };
        self.delete_authorizer_id(&id, what).await
    }

    pub(super) async fn create_authorizer(
        &mut self,
        authorizer: &DesiredAuthorizer,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.ids.api()?;
        let mut create = self
            .aws
            .apigateway_once
            .create_authorizer()
            .rest_api_id(api)
            .name(&authorizer.name)
            .r#type(authorizer_type(&authorizer.authorizer_type))
            .identity_source(&authorizer.identity_source)
            .set_authorizer_uri(authorizer_uri(desired, authorizer))
            .set_authorizer_credentials(authorizer.credentials.clone())
            .set_provider_arns(
                (!authorizer.provider_arns.is_empty()).then(|| authorizer.provider_arns.clone()),
            );
        if authorizer.target != AuthorizerTarget::None {
            create = create.authorizer_result_ttl_in_seconds(
                i32::try_from(authorizer.ttl_seconds).unwrap_or(300),
            );
        }
        let id = create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            || observe::find_authorizer(self.aws, api, &authorizer.name),
        )
        .await?;
        self.ids.authorizers.insert(authorizer.name.clone(), id);
        Ok(Effect::Changed)
    }

    /// Puts a method, then its integration: a proxy to the API handler, or a CORS preflight.
    pub(super) async fn put_method(
        &self,
        path: &str,
        method: &str,
        spec: &DesiredMethod,
        what: &str,
    ) -> Result<Effect> {
        let authorizer_id =
            match &spec.authorizer {
                Some(name) => Some(self.ids.authorizers.get(name).cloned().ok_or_else(|| {
                    Error::new(format!("{what}: authorizer {name} was not created"))
                })?),
                None => None,
            };
        let put = self
            .aws
            .apigateway
            .put_method()
            .rest_api_id(self.ids.api()?)
            .resource_id(self.ids.resource(path)?)
            .http_method(method)
            .authorization_type(&spec.authorization_type)
            .set_authorizer_id(authorizer_id)
            .api_key_required(spec.api_key_required)
            .set_authorization_scopes((!spec.scopes.is_empty()).then(|| spec.scopes.clone()));
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        match &spec.integration {
            Integration::Proxy => self.put_proxy_integration(path, method, what).await?,
            Integration::CorsPreflight { headers } => {
                self.put_preflight_integration(path, method, headers, what)
                    .await?
            }
        }
        Ok(Effect::Changed)
    }

    /// Proxies a method to the API handler.
    async fn put_proxy_integration(&self, path: &str, method: &str, what: &str) -> Result<()> {
        let desired = self.desired(what)?;
        let uri = proxy_uri(desired).map_err(|error| Error::new(format!("{what}: {error}")))?;
        let put = self
            .aws
            .apigateway
            .put_integration()
            .rest_api_id(self.ids.api()?)
            .resource_id(self.ids.resource(path)?)
            .http_method(method)
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(uri);
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    /// Answers a CORS preflight from API Gateway itself (a `MOCK` integration) with the
    /// allowed methods and the path's CORS headers.
    async fn put_preflight_integration(
        &self,
        path: &str,
        method: &str,
        headers: &BTreeMap<String, String>,
        what: &str,
    ) -> Result<()> {
        let apigateway = &self.aws.apigateway;
        let (api, resource) = (self.ids.api()?, self.ids.resource(path)?);
        let put = apigateway
            .put_integration()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .r#type(IntegrationType::Mock)
            .request_templates("application/json", "{\"statusCode\": 200}");
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        let mut response = apigateway
            .put_method_response()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .status_code("200");
        let mut integration_response = apigateway
            .put_integration_response()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .status_code("200");
        for (header, value) in preflight_parameters(headers) {
            let parameter = response_header_parameter(header);
            response = response.response_parameters(&parameter, false);
            integration_response = integration_response.response_parameters(parameter, value);
        }
        busy_retried(|| response.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        busy_retried(|| integration_response.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    /// Sets the headers of one of API Gateway's own answers (a gateway response type).
    pub(super) async fn put_gateway_response(
        &self,
        response_type: &str,
        parameters: &BTreeMap<String, String>,
        what: &str,
    ) -> Result<Effect> {
        let put = self
            .aws
            .apigateway
            .put_gateway_response()
            .rest_api_id(self.ids.api()?)
            .response_type(GatewayResponseType::from(response_type))
            .set_response_parameters(Some(parameters.clone().into_iter().collect()));
        busy_retried(|| put.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    /// Resets a gateway response to API Gateway's default; one already default is fine.
    pub(super) async fn delete_gateway_response(
        &self,
        response_type: &str,
        what: &str,
    ) -> Result<Effect> {
        let delete = self
            .aws
            .apigateway
            .delete_gateway_response()
            .rest_api_id(self.ids.api()?)
            .response_type(GatewayResponseType::from(response_type));
        let deleted = unless_missing(
            busy_retried(|| delete.clone().send()).await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        Ok(gone_unless(deleted.is_some()))
    }

    /// Deletes a resource (its children go with it) and forgets their ids.
    pub(super) async fn delete_resource(&mut self, path: &str, what: &str) -> Result<Effect> {
        let mut effect = Effect::AlreadyGone;
        if let Some(id) = self.ids.resources.remove(path) {
            effect = self.delete_resource_id(&id, what).await?;
        }
        self.ids
            .resources
            .retain(|other, _| !other.starts_with(&format!("{path}/")));
        Ok(effect)
    }

    /// Deploys the API to its stage, the deployment described by the API's fingerprint.
    pub(super) async fn create_deployment(
        &self,
        stage: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let api = self.ids.api()?;
        let fingerprint = api_fingerprint(desired);
        let create = self
            .aws
            .apigateway_once
            .create_deployment()
            .rest_api_id(api)
            .stage_name(stage)
            .description(&fingerprint);
        // The stage is locked: if it serves another deployment than it did when observed, it
        // serves this one.
        let before = self.ids.deployment.as_deref();
        let find = || async move {
            let now = observe::stage_deployment(self.aws, api, stage).await?;
            Ok(now.filter(|now| Some(now.as_str()) != before))
        };
        create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            find,
        )
        .await?;
        record.set(REST_API, "rest_api", "rest_api_id", api);
        record.set(
            REST_API,
            "rest_api",
            "rest_api_url",
            &rest_api_url(&desired.region, api, stage),
        );
        Ok(Effect::Changed)
    }

    /// Writes and removes stage variables with one `UpdateStage`: setting a value twice or
    /// removing one already gone changes nothing, so a retry is safe.
    pub(super) async fn set_stage_variables(
        &self,
        stage: &str,
        set: &BTreeMap<String, String>,
        remove: &[String],
        what: &str,
    ) -> Result<Effect> {
        let api = self.ids.api()?;
        let operations = set
            .iter()
            .map(|(name, value)| {
                PatchOperation::builder()
                    .op(Op::Replace)
                    .path(format!("/variables/{name}"))
                    .value(value)
                    .build()
            })
            .chain(remove.iter().map(|name| {
                PatchOperation::builder()
                    .op(Op::Remove)
                    .path(format!("/variables/{name}"))
                    .build()
            }));
        let update = self
            .aws
            .apigateway
            .update_stage()
            .rest_api_id(api)
            .stage_name(stage)
            .set_patch_operations(Some(operations.collect()));
        busy_retried(|| update.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }
}

/// The id a create answered with.
pub(super) fn created_id<O, E>(
    answer: std::result::Result<O, E>,
    id: impl Fn(&O) -> Option<&str>,
) -> std::result::Result<String, E> {
    answer.map(|output| id(&output).unwrap_or_default().to_owned())
}

/// A resource's parent path and its own path part: `/users/{id}` is `{id}` under `/users`.
fn parent_and_part(path: &str) -> (&str, &str) {
    let (parent, part) = path.rsplit_once('/').unwrap_or(("", path));
    (if parent.is_empty() { "/" } else { parent }, part)
}

/// The headers a CORS preflight answers with, each value as API Gateway's quoted literal.
fn preflight_parameters(headers: &BTreeMap<String, String>) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), format!("'{value}'")))
        .collect()
}

fn endpoint_type(endpoint: EndpointType) -> ApiEndpointType {
    match endpoint {
        EndpointType::Edge => ApiEndpointType::Edge,
        EndpointType::Regional => ApiEndpointType::Regional,
        EndpointType::Private => ApiEndpointType::Private,
    }
}

/// API Gateway's authorizer type for the desired one's name (`TOKEN` unless it says otherwise).
fn authorizer_type(name: &str) -> AuthorizerType {
    match name {
        "REQUEST" => AuthorizerType::Request,
        "COGNITO_USER_POOLS" => AuthorizerType::CognitoUserPools,
        _ => AuthorizerType::Token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_and_authorizer_types_are_api_gateways() {
        assert_eq!(endpoint_type(EndpointType::Edge), ApiEndpointType::Edge);
        assert_eq!(
            endpoint_type(EndpointType::Regional),
            ApiEndpointType::Regional
        );
        assert_eq!(
            endpoint_type(EndpointType::Private),
            ApiEndpointType::Private
        );
        assert_eq!(authorizer_type("TOKEN"), AuthorizerType::Token);
        assert_eq!(authorizer_type("REQUEST"), AuthorizerType::Request);
        assert_eq!(
            authorizer_type("COGNITO_USER_POOLS"),
            AuthorizerType::CognitoUserPools
        );
    }

    #[test]
    fn a_resource_hangs_from_its_parent_path() {
        assert_eq!(parent_and_part("/users"), ("/", "users"));
        assert_eq!(parent_and_part("/users/{id}"), ("/users", "{id}"));
        assert_eq!(parent_and_part("/a/b/c"), ("/a/b", "c"));
    }

    #[test]
    fn a_preflight_answers_with_quoted_literals_read_back_by_their_parameter() {
        let desired = BTreeMap::from([
            (
                "Access-Control-Allow-Methods".to_owned(),
                "GET,OPTIONS".to_owned(),
            ),
            ("Access-Control-Max-Age".to_owned(), "600".to_owned()),
        ]);
        let headers = preflight_parameters(&desired);
        assert_eq!(
            headers[0],
            ("Access-Control-Allow-Methods", "'GET,OPTIONS'".to_owned())
        );
        assert_eq!(headers[1], ("Access-Control-Max-Age", "'600'".to_owned()));
        assert!(
            headers
                .iter()
                .all(|(_, value)| value.starts_with('\'') && value.ends_with('\''))
        );
        assert_eq!(
            response_header_parameter(headers[0].0),
            "method.response.header.Access-Control-Allow-Methods"
        );
    }
}

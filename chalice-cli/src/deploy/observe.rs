//! Reading what exists of a stage on AWS: by the record, by the names chalice-rs gives, and by
//! the app's and stage's tags. Only reads: nothing here changes AWS.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_apigateway::operation::get_method::GetMethodOutput;
use aws_sdk_apigateway::types::{Authorizer, GatewayResponseType};
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::types::TracingMode;
use serde_json::Value;

use super::api_settings::{RestApiSettings, observed_policy};
use super::client::{Aws, failed, unless_missing};
use super::desired::{Api, Desired, Function, REST_API};
use super::log_groups::ObservedLogGroups;
use super::observe_http;
use super::observed::{
    Observed, ObservedApi, ObservedAuthorizer, ObservedFunction, ObservedMethod, ObservedResource,
    ObservedRole, Tagged, Twin,
};
use super::ownership::{Foreign, ours, pairs};
use super::plan::{
    DomainStep, HttpStep, KeyStep, Step, function_name_of, parameter_header, source_arn,
};
use super::record::Record;
use crate::error::Result;

/// Reads what exists of the stage a deploy makes `desired`.
pub async fn observe(aws: &Aws, desired: &Desired, record: &Record) -> Result<Observed> {
    let mut observed = Observed::default();
    for role in &desired.roles {
        if let Some(found) = read_role(aws, &role.role_name).await? {
            observed.roles.insert(role.resource_name.clone(), found);
        }
    }
    let (app, stage) = (desired.app.as_str(), desired.stage.as_str());
    let mut rest_settings = None;
    let api_id = match &desired.api {
        Api::Rest(_) => {
            let (api_id, twins, settings) = find_api(aws, desired, record).await?;
            observed.twin_apis = twins;
            rest_settings = settings;
            observed.other_kind_apis.http = observe_http::tagged_http_apis(aws, app, stage).await?;
            api_id
        }
        Api::Http(_) => {
            let (api_id, twins) = observe_http::find_http_api(aws, app, stage, record).await?;
            observed.twin_http_apis = twins;
            observed.other_kind_apis.rest = tagged_apis(aws, app, stage).await?;
            api_id
        }
    };
    for function in &desired.functions {
        let found = read_function(aws, function, desired, api_id.as_deref()).await?;
        if let Some(found) = found {
            observed.functions.insert(function.name.clone(), found);
        }
    }
    if let Some(id) = api_id {
        match &desired.api {
            Api::Rest(api) => {
                let mut found = read_api(aws, &id, &api.stage_name).await?;
                found.settings = match rest_settings.take() {
                    Some(settings) => settings,
                    None => read_settings(aws, desired, &id).await?,
                };
                observed.api = Some(found);
            }
            Api::Http(_) => {
                observed.http_api = Some(observe_http::read_http_api(aws, &id, record).await?);
            }
        }
    }
    observed.log_groups = read_log_groups(aws, desired).await?;
    observed.keys = super::observe_usage_plan::observe_keys(aws, desired, record).await?;
    (observed.stale_functions, observed.stale_roles) = stale(desired, record);
    observed.foreign = foreign(desired, &observed);
    super::observe_domain::observe(aws, desired, record, &mut observed).await?;
    Ok(observed)
}

/// The roles and functions found by the stage's names that are not tagged for it.
fn foreign(desired: &Desired, observed: &Observed) -> Vec<Foreign> {
    let (app, stage) = (desired.app.as_str(), desired.stage.as_str());
    let untagged = |tags: &BTreeMap<String, String>| {
        !ours(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            app,
            stage,
        )
    };
    let roles = desired.roles.iter().filter_map(|role| {
        let found = observed.roles.get(&role.resource_name)?;
        untagged(&found.tags).then(|| Foreign {
            kind: "IAM role",
            name: role.role_name.clone(),
            tags: found.tags.clone(),
        })
    });
    let functions = desired.functions.iter().filter_map(|function| {
        let found = observed.functions.get(&function.name)?;
        untagged(&found.tags).then(|| Foreign {
            kind: "lambda function",
            name: found.arn.clone(),
            tags: found.tags.clone(),
        })
    });
    roles.chain(functions).collect()
}

/// What `delete` finds of the stage besides its record: the REST and HTTP APIs and functions
/// tagged for it, and the roles named and tagged for it, in that order.
pub async fn tagged(aws: &Aws, app: &str, stage: &str) -> Result<Tagged> {
    Ok(Tagged {
        apis: tagged_apis(aws, app, stage).await?,
        http_apis: observe_http::tagged_http_apis(aws, app, stage).await?,
        functions: tagged_functions(aws, app, stage).await?,
        roles: tagged_roles(aws, app, stage).await?,
        domains: super::observe_domain::tagged_domains(aws, app, stage).await?,
        usage_plans: super::observe_usage_plan::tagged_usage_plans(aws, app, stage)
            .await?
            .into_iter()
            .map(|plan| plan.id)
            .collect(),
        api_keys: super::observe_usage_plan::tagged_api_keys(aws, app, stage).await?,
    })
}

/// The resource a delete step would remove, if it exists and is not tagged for this app and
/// stage: a delete skips it rather than remove another app's resource of a colliding name.
pub async fn foreign_target(
    aws: &Aws,
    step: &Step,
    app: &str,
    stage: &str,
) -> Result<Option<Foreign>> {
    let found: Option<(&'static str, String, BTreeMap<String, String>)> = match step {
        Step::DeleteFunction { function_name, .. } => read_function_tags(aws, function_name)
            .await?
            .map(|tags| ("lambda function", function_name.clone(), tags)),
        Step::DeleteRole { role_name, .. } => read_role(aws, role_name)
            .await?
            .map(|role| ("IAM role", role_name.clone(), role.tags)),
        Step::DeleteRestApi { id } => unless_missing(
            aws.apigateway.get_rest_api().rest_api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || format!("reading Rest API {id}"),
        )?
        .map(|api| ("Rest API", id.clone(), owned(pairs(api.tags())))),
        Step::Http(HttpStep::DeleteApi { id }) => unless_missing(
            aws.apigatewayv2.get_api().api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || format!("reading HTTP API {id}"),
        )?
        .map(|api| ("HTTP API", id.clone(), owned(pairs(api.tags())))),
        Step::Domain(DomainStep::DeleteDomainName { domain_name }) => {
            super::observe_domain::domain_tags(aws, domain_name)
                .await?
                .map(|tags| (super::observe_domain::KIND, domain_name.clone(), tags))
        }
        Step::Keys(KeyStep::DeletePlan { id }) => super::observe_usage_plan::usage_plan(aws, id)
            .await?
            .map(|(tags, _)| ("usage plan", id.clone(), tags)),
        Step::Keys(KeyStep::DeleteKey { name, id }) => {
            super::observe_usage_plan::api_key_tags(aws, id)
                .await?
                .map(|tags| ("API key", format!("{name} ({id})"), tags))
        }
        _ => None,
    };
    Ok(found.and_then(|(kind, name, tags)| {
        let tagged = ours(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            app,
            stage,
        );
        (!tagged).then_some(Foreign { kind, name, tags })
    }))
}

/// The tags of function `function_name`, if it exists.
async fn read_function_tags(
    aws: &Aws,
    function_name: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    let output = unless_missing(
        aws.lambda
            .get_function()
            .function_name(function_name)
            .send()
            .await,
        |e| e.is_resource_not_found_exception(),
        || format!("reading lambda function {function_name}"),
    )?;
    Ok(output.map(|output| owned(pairs(output.tags()))))
}

/// Tag pairs as an owned map.
fn owned(pairs: Vec<(&str, &str)>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The recorded functions and roles the app no longer has (record name, AWS name).
type Stale = Vec<(String, String)>;

/// The functions and managed roles the record holds and `desired` no longer has.
fn stale(desired: &Desired, record: &Record) -> (Stale, Stale) {
    let field = |entry: &serde_json::Map<String, Value>, key: &str| {
        entry
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let functions = record
        .of_type("lambda_function")
        .map(|entry| (field(entry, "name"), field(entry, "lambda_arn")))
        .filter(|(name, arn)| !arn.is_empty() && !desired.functions.iter().any(|f| &f.name == name))
        .map(|(name, arn)| (name, function_name_of(&arn).to_owned()))
        .collect();
    let roles = record
        .of_type("iam_role")
        .map(|entry| (field(entry, "name"), field(entry, "role_name")))
        .filter(|(name, role_name)| {
            !role_name.is_empty() && !desired.roles.iter().any(|r| &r.resource_name == name)
        })
        .collect();
    (functions, roles)
}

async fn read_role(aws: &Aws, role_name: &str) -> Result<Option<ObservedRole>> {
    let role = unless_missing(
        aws.iam.get_role().role_name(role_name).send().await,
        |e| e.is_no_such_entity_exception(),
        || format!("reading IAM role {role_name}"),
    )?;
    let Some(role) = role else {
        return Ok(None);
    };
    let arn = role.role().map(|r| r.arn().to_owned()).unwrap_or_default();
    let tags = role
        .role()
        .map(|r| {
            r.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let policy = unless_missing(
        aws.iam
            .get_role_policy()
            .role_name(role_name)
            .policy_name(role_name)
            .send()
            .await,
        |e| e.is_no_such_entity_exception(),
        || format!("reading the policy of IAM role {role_name}"),
    )?
    .and_then(|output| parse_policy_document(output.policy_document()));
    Ok(Some(ObservedRole { arn, policy, tags }))
}

/// IAM returns inline policies URL-encoded; moto returns them as sent.
fn parse_policy_document(document: &str) -> Option<Value> {
    serde_json::from_str(document).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(document)
            .decode_utf8()
            .ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

async fn read_function(
    aws: &Aws,
    function: &Function,
    desired: &Desired,
    api_id: Option<&str>,
) -> Result<Option<ObservedFunction>> {
    let function_name = function.function_name.as_str();
    let output = unless_missing(
        aws.lambda
            .get_function()
            .function_name(function_name)
            .send()
            .await,
        |e| e.is_resource_not_found_exception(),
        || format!("reading lambda function {function_name}"),
    )?;
    let Some(output) = output.filter(|output| output.configuration().is_some()) else {
        return Ok(None);
    };
    // An HTTP API's deploy also revokes the grants of an API the stage no longer has.
    let api_grants = if api_id.is_some() || desired.http_api().is_some() {
        api_grants(aws, function_name).await?
    } else {
        BTreeMap::new()
    };
    let invokable_by_api =
        api_id.is_some_and(|id| api_grants.contains_key(&source_arn(desired, id, function)));
    let mut found = observed_function(&output, invokable_by_api);
    found.api_grants = api_grants;
    Ok(Some(found))
}

/// A function as Lambda describes it.
fn observed_function(output: &GetFunctionOutput, invokable_by_api: bool) -> ObservedFunction {
    let Some(config) = output.configuration() else {
        return ObservedFunction::default();
    };
    let vpc = config.vpc_config();
    ObservedFunction {
        arn: config.function_arn().unwrap_or_default().to_owned(),
        handler: config.handler().unwrap_or_default().to_owned(),
        runtime: config
            .runtime()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        role: config.role().unwrap_or_default().to_owned(),
        memory_size: config
            .memory_size()
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or_default(),
        timeout: config
            .timeout()
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or_default(),
        environment: config
            .environment()
            .and_then(|e| e.variables())
            .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        architecture: config
            .architectures()
            .first()
            .map_or("x86_64", |a| a.as_str())
            .to_owned(),
        code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
        layers: config
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect(),
        tags: output
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        reserved_concurrency: output
            .concurrency()
            .and_then(|c| c.reserved_concurrent_executions())
            .and_then(|n| u32::try_from(n).ok()),
        subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
        security_group_ids: vpc
            .map(|v| v.security_group_ids().to_vec())
            .unwrap_or_default(),
        xray: config
            .tracing_config()
            .and_then(|t| t.mode())
            .is_some_and(|m| *m == TracingMode::Active),
        invokable_by_api,
        api_grants: BTreeMap::new(),
    }
}

/// Whether API Gateway may invoke the function from `source_arn`.
pub async fn has_api_permission(aws: &Aws, function_name: &str, source_arn: &str) -> Result<bool> {
    Ok(api_grants(aws, function_name)
        .await?
        .contains_key(source_arn))
}

/// The statements of the function's resource policy that let API Gateway invoke it: statement
/// id by source ARN.
pub async fn api_grants(aws: &Aws, function_name: &str) -> Result<BTreeMap<String, String>> {
    let policy = unless_missing(
        aws.lambda
            .get_policy()
            .function_name(function_name)
            .send()
            .await,
        |e| e.is_resource_not_found_exception(),
        || format!("reading the policy of lambda function {function_name}"),
    )?;
    Ok(policy
        .map(|policy| granted_sources(policy.policy().unwrap_or_default()))
        .unwrap_or_default())
}

/// The statements of a function's resource policy that let API Gateway invoke it: statement id
/// by source ARN.
fn granted_sources(policy: &str) -> BTreeMap<String, String> {
    let policy: Value = serde_json::from_str(policy).unwrap_or(Value::Null);
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    statements
        .iter()
        .filter(|s| {
            s["Action"] == "lambda:InvokeFunction"
                && s["Principal"]["Service"] == "apigateway.amazonaws.com"
        })
        .filter_map(|s| {
            let source = s["Condition"]["ArnLike"]["AWS:SourceArn"].as_str()?;
            Some((
                source.to_owned(),
                s["Sid"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Whether a function's resource policy lets API Gateway invoke it from `source_arn`.
#[cfg(test)]
fn allows_api(policy: &str, source_arn: &str) -> bool {
    granted_sources(policy).contains_key(source_arn)
}

/// The stage's REST API (the recorded one if it still exists, else one tagged for the stage)
/// and any other tagged ones: twins a retried create left behind. Also the chosen one's own
/// settings, read from the same answers.
async fn find_api(
    aws: &Aws,
    desired: &Desired,
    record: &Record,
) -> Result<(Option<String>, Vec<String>, Option<RestApiSettings>)> {
    let listed = tagged_rest_apis(aws, &desired.app, &desired.stage).await?;
    let tagged: Vec<String> = listed
        .iter()
        .map(|api| api.id().unwrap_or_default().to_owned())
        .collect();
    let mut chosen = None;
    let mut settings = None;
    if let Some(id) = record.value(REST_API, "rest_api_id") {
        let found = unless_missing(
            aws.apigateway.get_rest_api().rest_api_id(id).send().await,
            |e| e.is_not_found_exception(),
            || format!("reading Rest API {id}"),
        )?;
        // A recorded id is trusted only while its API is still tagged for the stage.
        if let Some(api) = found.filter(|api| ours(pairs(api.tags()), &desired.app, &desired.stage))
        {
            let endpoint = api.endpoint_configuration();
            let size = api.minimum_compression_size();
            settings = Some(settings_of(desired, id, api.policy(), endpoint, size));
            chosen = Some(id.to_owned());
        }
    }
    // Without a record, the API that was deployed to the stage is the real one; twins from
    // a lost create never got that far.
    if chosen.is_none() {
        for id in &tagged {
            let staged = aws
                .apigateway
                .get_stage()
                .rest_api_id(id)
                .stage_name(desired.stage_name())
                .send()
                .await;
            if staged.is_ok() {
                chosen = Some(id.clone());
                break;
            }
        }
    }
    let chosen = chosen.or_else(|| tagged.first().cloned());
    if settings.is_none() {
        settings = listed
            .iter()
            .find(|api| api.id().is_some() && api.id() == chosen.as_deref())
            .map(|api| {
                let endpoint = api.endpoint_configuration();
                let size = api.minimum_compression_size();
                settings_of(
                    desired,
                    api.id().unwrap_or_default(),
                    api.policy(),
                    endpoint,
                    size,
                )
            });
    }
    let twins = tagged
        .into_iter()
        .filter(|id| Some(id) != chosen.as_ref())
        .collect();
    Ok((chosen, twins, settings))
}

/// The REST API `id`'s own settings (policy, VPC endpoints, compression), the policy read
/// back as it was written (see [`observed_policy`]).
async fn read_settings(aws: &Aws, desired: &Desired, id: &str) -> Result<RestApiSettings> {
    let found = aws
        .apigateway
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .map_err(|e| failed(format!("reading Rest API {id}"), e))?;
    let endpoint = found.endpoint_configuration();
    let size = found.minimum_compression_size();
    Ok(settings_of(desired, id, found.policy(), endpoint, size))
}

/// The settings of REST API `id` as API Gateway describes them.
fn settings_of(
    desired: &Desired,
    id: &str,
    policy: Option<&str>,
    endpoint: Option<&aws_sdk_apigateway::types::EndpointConfiguration>,
    minimum_compression_size: Option<i32>,
) -> RestApiSettings {
    let api_arn = super::arns::execute_api_arn(desired, id);
    let mut vpce_ids = endpoint
        .map(|e| e.vpc_endpoint_ids().to_vec())
        .unwrap_or_default();
    vpce_ids.sort();
    RestApiSettings {
        policy: observed_policy(policy, &api_arn),
        vpce_ids,
        minimum_compression_size: minimum_compression_size
            .and_then(|size| u32::try_from(size).ok()),
        endpoint_type: endpoint
            .and_then(|e| e.types().first())
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
    }
}

/// The log groups of the stage's functions that exist, with their retention: one listing of
/// the groups the function names share as a prefix (`/aws/lambda/<app>-<stage>`).
async fn read_log_groups(aws: &Aws, desired: &Desired) -> Result<ObservedLogGroups> {
    let names: BTreeSet<String> = desired
        .functions
        .iter()
        .map(Function::log_group_name)
        .collect();
    let Some(prefix) = common_prefix(names.iter().map(String::as_str)) else {
        return Ok(ObservedLogGroups::new());
    };
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed(format!("listing the log groups {prefix}*"), e))?;
    Ok(groups
        .iter()
        .filter_map(|group| {
            let name = group.log_group_name()?;
            names.contains(name).then(|| {
                let days = group
                    .retention_in_days()
                    .and_then(|days| u32::try_from(days).ok());
                (name.to_owned(), days)
            })
        })
        .collect())
}

/// The longest prefix all `names` share, if there is a name.
fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let first = names.next()?;
    let mut length = first.len();
    for name in names {
        length = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((at, a), _)| at + a.len_utf8())
            .min(length);
    }
    Some(&first[..length])
}

/// The ids of the REST APIs tagged for this app and stage, oldest first.
async fn tagged_apis(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>> {
    Ok(tagged_rest_apis(aws, app, stage)
        .await?
        .iter()
        .map(|api| api.id().unwrap_or_default().to_owned())
        .collect())
}

/// REST APIs tagged for this app and stage, oldest first.
async fn tagged_rest_apis(
    aws: &Aws,
    app: &str,
    stage: &str,
) -> Result<Vec<aws_sdk_apigateway::types::RestApi>> {
    let apis = aws
        .apigateway
        .get_rest_apis()
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing Rest APIs", e))?;
    let mut found: Vec<aws_sdk_apigateway::types::RestApi> = apis
        .into_iter()
        .filter(|api| ours(pairs(api.tags()), app, stage))
        .collect();
    // Oldest first; of APIs made in one second, by id, so the order is the same every time.
    found.sort_by_key(|api| {
        (
            api.created_date().map(|d| d.secs()).unwrap_or_default(),
            api.id().unwrap_or_default().to_owned(),
        )
    });
    Ok(found)
}

/// Functions tagged for this app and stage (found even when the record is lost).
async fn tagged_functions(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>> {
    let functions = aws
        .lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing lambda functions", e))?;
    let mut found = Vec::new();
    for function in &functions {
        let (Some(name), Some(arn)) = (function.function_name(), function.function_arn()) else {
            continue;
        };
        if !name.starts_with(&format!("{app}-{stage}")) {
            continue;
        }
        let tags = aws
            .lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| failed(format!("reading the tags of {name}"), e))?;
        if ours(pairs(tags.tags()), app, stage) {
            found.push(name.to_owned());
        }
    }
    Ok(found)
}

/// Roles named for this app and stage (`<app>-<stage>` and `<app>-<stage>-<function>`)
/// that carry its tags: found even when the record is lost.
async fn tagged_roles(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>> {
    let prefix = format!("{app}-{stage}");
    let roles = aws
        .iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing IAM roles", e))?;
    let named = roles
        .iter()
        .map(|role| role.role_name())
        .filter(|name| *name == prefix || name.starts_with(&format!("{prefix}-")));
    let mut found = Vec::new();
    for name in named {
        if role_is_ours(aws, name, app, stage).await? {
            found.push(name.to_owned());
        }
    }
    Ok(found)
}

/// Whether a role carries this app's and stage's tags.
async fn role_is_ours(aws: &Aws, role_name: &str, app: &str, stage: &str) -> Result<bool> {
    let output = unless_missing(
        aws.iam.get_role().role_name(role_name).send().await,
        |e| e.is_no_such_entity_exception(),
        || format!("reading IAM role {role_name}"),
    )?;
    Ok(output
        .and_then(|output| output.role().cloned())
        .is_some_and(|role| ours(role.tags().iter().map(|t| (t.key(), t.value())), app, stage)))
}

/// The REST API `id`: its resources and their methods, its authorizers, and what its stage
/// serves. Of resources or authorizers made twice, one is kept and the others are twins.
async fn read_api(aws: &Aws, id: &str, stage_name: &str) -> Result<ObservedApi> {
    let (resources, twin_resources) = read_resources(aws, id).await?;
    let authorizers = aws
        .apigateway
        .get_authorizers()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .map_err(|e| failed(format!("reading the authorizers of Rest API {id}"), e))?;
    let used: BTreeSet<&str> = resources
        .values()
        .flat_map(|resource| resource.methods.values())
        .filter_map(|method| method.authorizer_id.as_deref())
        .collect();
    let listed = authorizers
        .items()
        .iter()
        .filter_map(|authorizer| {
            Some((
                authorizer.name()?.to_owned(),
                observed_authorizer(authorizer),
            ))
        })
        .collect();
    let (authorizers, twin_authorizers) = pick_authorizers(listed, &used);
    let mut api = ObservedApi {
        id: id.to_owned(),
        resources,
        authorizers,
        twin_resources,
        twin_authorizers,
        ..ObservedApi::default()
    };
    api.gateway_responses = read_gateway_responses(aws, id).await?;
    if let Some(stage) = read_stage(aws, id, stage_name).await? {
        api.stage_deployment = stage.deployment_id().map(str::to_owned);
        api.stage_variables = stage
            .variables()
            .map(|variables| {
                variables
                    .iter()
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default();
    }
    if let Some(deployment) = &api.stage_deployment {
        api.deployed_fingerprint = unless_missing(
            aws.apigateway
                .get_deployment()
                .rest_api_id(id)
                .deployment_id(deployment)
                .send()
                .await,
            |e| e.is_not_found_exception(),
            || format!("reading deployment {deployment} of Rest API {id}"),
        )?
        .and_then(|found| found.description().map(str::to_owned));
    }
    Ok(api)
}

/// The gateway responses of REST API `id` of the types an app may set, those with parameters.
async fn read_gateway_responses(
    aws: &Aws,
    id: &str,
) -> Result<crate::deploy::desired::GatewayResponses> {
    let mut responses = crate::deploy::desired::GatewayResponses::new();
    for response_type in crate::model::api::CORS_GATEWAY_RESPONSE_TYPES {
        let found = unless_missing(
            aws.apigateway
                .get_gateway_response()
                .rest_api_id(id)
                .response_type(GatewayResponseType::from(response_type))
                .send()
                .await,
            |e| e.is_not_found_exception(),
            || format!("reading gateway response {response_type} of Rest API {id}"),
        )?;
        let parameters: BTreeMap<String, String> = found
            .and_then(|found| found.response_parameters)
            .unwrap_or_default()
            .into_iter()
            .collect();
        if !parameters.is_empty() {
            responses.insert(response_type.to_owned(), parameters);
        }
    }
    Ok(responses)
}

/// The deployment the stage of REST API `id` serves, if the stage exists.
pub async fn stage_deployment(aws: &Aws, id: &str, stage_name: &str) -> Result<Option<String>> {
    Ok(read_stage(aws, id, stage_name)
        .await?
        .and_then(|stage| stage.deployment_id().map(str::to_owned)))
}

/// Stage `stage_name` of REST API `id`, if it exists.
async fn read_stage(
    aws: &Aws,
    id: &str,
    stage_name: &str,
) -> Result<Option<aws_sdk_apigateway::operation::get_stage::GetStageOutput>> {
    unless_missing(
        aws.apigateway
            .get_stage()
            .rest_api_id(id)
            .stage_name(stage_name)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading stage {stage_name} of Rest API {id}"),
    )
}

/// The authorizers by name, one of each name: of several alike, the one a method uses, else
/// the first listed; the others are twins.
fn pick_authorizers(
    listed: Vec<(String, ObservedAuthorizer)>,
    used: &BTreeSet<&str>,
) -> (BTreeMap<String, ObservedAuthorizer>, Vec<Twin>) {
    let mut kept: BTreeMap<String, ObservedAuthorizer> = BTreeMap::new();
    let mut twins = Vec::new();
    for (name, authorizer) in listed {
        let replaces = match kept.get(&name) {
            None => true,
            Some(first) => {
                used.contains(authorizer.id.as_str()) && !used.contains(first.id.as_str())
            }
        };
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

/// A resource as listed: where it hangs and which methods it has.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    path: String,
    id: String,
    parent: Option<String>,
    methods: Vec<String>,
}

/// One resource per path, each under a kept parent: of several alike, the one with the most
/// methods, else the first listed; the others are twins (what hangs from a twin goes with it).
fn pick_resources(mut listed: Vec<Listed>) -> (Vec<Listed>, Vec<Twin>) {
    listed.sort_by_key(|resource| {
        resource.path.matches('/').count() - usize::from(resource.path == "/")
    });
    let mut kept: Vec<Listed> = Vec::new();
    let mut twins = Vec::new();
    for resource in listed {
        let under_kept = match &resource.parent {
            None => true,
            Some(parent) => kept.iter().any(|k| &k.id == parent),
        };
        if !under_kept {
            continue;
        }
        match kept.iter_mut().find(|k| k.path == resource.path) {
            None => kept.push(resource),
            Some(first) => {
                let twin = if resource.methods.len() > first.methods.len() {
                    std::mem::replace(first, resource)
                } else {
                    resource
                };
                twins.push(Twin {
                    name: twin.path,
                    id: twin.id,
                });
            }
        }
    }
    (kept, twins)
}

/// The resources of REST API `id` by path, each with its methods, and the twins.
async fn read_resources(
    aws: &Aws,
    id: &str,
) -> Result<(BTreeMap<String, ObservedResource>, Vec<Twin>)> {
    let items = aws
        .apigateway
        .get_resources()
        .rest_api_id(id)
        .limit(500)
        .embed("methods")
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed(format!("reading the resources of Rest API {id}"), e))?;
    let listed = items
        .iter()
        .filter_map(|resource| {
            Some(Listed {
                path: resource.path()?.to_owned(),
                id: resource.id()?.to_owned(),
                parent: resource.parent_id().map(str::to_owned),
                methods: resource
                    .resource_methods()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let (kept, twins) = pick_resources(listed);
    let mut resources = BTreeMap::new();
    for Listed {
        path,
        id: resource_id,
        methods,
        ..
    } in kept
    {
        let mut observed = ObservedResource {
            id: resource_id.clone(),
            methods: BTreeMap::new(),
        };
        for method in methods {
            let found = aws
                .apigateway
                .get_method()
                .rest_api_id(id)
                .resource_id(&resource_id)
                .http_method(&method)
                .send()
                .await
                .map_err(|e| {
                    failed(
                        format!("reading method {method} {path} of Rest API {id}"),
                        e,
                    )
                })?;
            observed.methods.insert(method, observed_method(&found));
        }
        resources.insert(path, observed);
    }
    Ok((resources, twins))
}

/// The id of the resource at `path` hanging from `parent` in REST API `id`, if there is one:
/// what a create whose answer was lost may have made.
pub async fn find_resource(
    aws: &Aws,
    id: &str,
    parent: &str,
    path: &str,
) -> Result<Option<String>> {
    let items = aws
        .apigateway
        .get_resources()
        .rest_api_id(id)
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed(format!("reading the resources of Rest API {id}"), e))?;
    Ok(items
        .iter()
        .find(|r| r.path() == Some(path) && r.parent_id() == Some(parent))
        .and_then(|r| r.id().map(str::to_owned)))
}

/// The id of the authorizer `name` of REST API `id`, if there is one.
pub async fn find_authorizer(aws: &Aws, id: &str, name: &str) -> Result<Option<String>> {
    let authorizers = aws
        .apigateway
        .get_authorizers()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .map_err(|e| failed(format!("reading the authorizers of Rest API {id}"), e))?;
    Ok(authorizers
        .items()
        .iter()
        .find(|a| a.name() == Some(name))
        .and_then(|a| a.id().map(str::to_owned)))
}

/// Whether authorizer `authorizer` of REST API `id` exists (a delete whose answer was lost
/// may have taken it).
pub async fn authorizer_exists(aws: &Aws, id: &str, authorizer: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigateway
            .get_authorizer()
            .rest_api_id(id)
            .authorizer_id(authorizer)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading authorizer {authorizer} of Rest API {id}"),
    )?;
    Ok(found.is_some())
}

/// Whether resource `resource` of REST API `id` exists.
pub async fn resource_exists(aws: &Aws, id: &str, resource: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigateway
            .get_resource()
            .rest_api_id(id)
            .resource_id(resource)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading resource {resource} of Rest API {id}"),
    )?;
    Ok(found.is_some())
}

/// Whether `method` of resource `resource` of REST API `id` exists.
pub async fn method_exists(aws: &Aws, id: &str, resource: &str, method: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigateway
            .get_method()
            .rest_api_id(id)
            .resource_id(resource)
            .http_method(method)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading method {method} of resource {resource} of Rest API {id}"),
    )?;
    Ok(found.is_some())
}

/// The oldest REST API tagged for this app and stage, if there is one.
pub async fn find_tagged_api(aws: &Aws, app: &str, stage: &str) -> Result<Option<String>> {
    Ok(tagged_apis(aws, app, stage).await?.into_iter().next())
}

/// A method and its integration as API Gateway describes them.
fn observed_method(found: &GetMethodOutput) -> ObservedMethod {
    let integration = found.method_integration();
    ObservedMethod {
        authorization_type: found.authorization_type().unwrap_or("NONE").to_owned(),
        authorizer_id: found.authorizer_id().map(str::to_owned),
        scopes: found.authorization_scopes().to_vec(),
        api_key_required: found.api_key_required().unwrap_or(false),
        integration_type: integration
            .and_then(|i| i.r#type())
            .map(|t| t.as_str().to_owned()),
        integration_uri: integration.and_then(|i| i.uri()).map(str::to_owned),
        preflight_headers: integration
            .and_then(|i| i.integration_responses())
            .and_then(|responses| responses.get("200"))
            .and_then(|response| response.response_parameters())
            .into_iter()
            .flatten()
            .filter_map(|(parameter, value)| {
                let header = parameter_header(parameter)?;
                Some((header.to_owned(), value.trim_matches('\'').to_owned()))
            })
            .collect(),
    }
}

/// An authorizer as API Gateway describes it.
fn observed_authorizer(authorizer: &Authorizer) -> ObservedAuthorizer {
    ObservedAuthorizer {
        id: authorizer.id().unwrap_or_default().to_owned(),
        authorizer_type: authorizer
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        uri: authorizer.authorizer_uri().map(str::to_owned),
        identity_source: authorizer.identity_source().map(str::to_owned),
        ttl_seconds: authorizer
            .authorizer_result_ttl_in_seconds()
            .and_then(|t| u32::try_from(t).ok()),
        credentials: authorizer.authorizer_credentials().map(str::to_owned),
        provider_arns: authorizer.provider_arns().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_apigateway::types::{Integration, IntegrationResponse, IntegrationType};
    use aws_sdk_lambda::types::{
        Architecture, Concurrency, EnvironmentResponse, FunctionConfiguration,
        TracingConfigResponse, VpcConfigResponse,
    };
    use serde_json::json;

    use super::*;
    use crate::deploy::desired;
    use crate::deploy::desired::APP_TAG;
    use crate::test_support::{manifest, route};

    fn desired() -> Desired {
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        desired::for_test(
            &app,
            r#"{"app_name": "app", "stages": {"dev": {}}}"#,
            "us-west-2",
            "aws",
        )
    }

    #[test]
    fn inline_policies_are_read_plain_or_url_encoded() {
        let policy = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(
            parse_policy_document(&policy.to_string()),
            Some(policy.clone())
        );
        let encoded = percent_encoding::utf8_percent_encode(
            &policy.to_string(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        assert_eq!(parse_policy_document(&encoded), Some(policy));
        assert_eq!(parse_policy_document("%7Bnot json"), None);
    }

    #[test]
    fn only_a_grant_to_api_gateway_from_this_api_counts() {
        let source = "arn:aws:execute-api:us-west-2:123456789012:abc/*";
        let policy = |action: &str, service: &str, arn: &str| {
            json!({"Statement": [{"Action": action, "Principal": {"Service": service},
                                  "Condition": {"ArnLike": {"AWS:SourceArn": arn}}}]})
            .to_string()
        };
        assert!(allows_api(
            &policy("lambda:InvokeFunction", "apigateway.amazonaws.com", source),
            source
        ));
        assert!(!allows_api(
            &policy(
                "lambda:InvokeFunction",
                "apigateway.amazonaws.com",
                "arn:aws:execute-api:us-west-2:123456789012:other/*"
            ),
            source
        ));
        assert!(!allows_api(
            &policy("lambda:InvokeFunction", "s3.amazonaws.com", source),
            source
        ));
        assert!(!allows_api(
            &policy("lambda:GetFunction", "apigateway.amazonaws.com", source),
            source
        ));
        assert!(!allows_api("not json", source));
    }

    #[test]
    fn the_log_groups_are_listed_by_the_prefix_their_names_share() {
        let names = ["/aws/lambda/app-dev", "/aws/lambda/app-dev-auth"];
        assert_eq!(
            common_prefix(names.into_iter()),
            Some("/aws/lambda/app-dev")
        );
        assert_eq!(
            common_prefix(["/aws/lambda/app-dev-b", "/aws/lambda/app-dev-a"].into_iter()),
            Some("/aws/lambda/app-dev-")
        );
        assert_eq!(common_prefix(["ab", "x"].into_iter()), Some(""));
        assert_eq!(common_prefix(std::iter::empty()), None);
    }

    #[test]
    fn a_function_is_read_from_lambdas_description() {
        let configuration = FunctionConfiguration::builder()
            .function_arn("arn:aws:lambda:us-west-2:123456789012:function:app-dev")
            .handler("api_handler")
            .runtime(aws_sdk_lambda::types::Runtime::from("provided.al2023"))
            .role("arn:aws:iam::123456789012:role/app-dev")
            .memory_size(128)
            .timeout(60)
            .environment(
                EnvironmentResponse::builder()
                    .variables("MODE", "test")
                    .build(),
            )
            .architectures(Architecture::Arm64)
            .code_sha256("sha")
            .vpc_config(
                VpcConfigResponse::builder()
                    .subnet_ids("subnet-1")
                    .security_group_ids("sg-1")
                    .build(),
            )
            .tracing_config(
                TracingConfigResponse::builder()
                    .mode(TracingMode::Active)
                    .build(),
            )
            .build();
        let output = GetFunctionOutput::builder()
            .configuration(configuration)
            .tags(APP_TAG, "app")
            .concurrency(
                Concurrency::builder()
                    .reserved_concurrent_executions(5)
                    .build(),
            )
            .build();
        let function = observed_function(&output, true);
        assert_eq!(
            function,
            ObservedFunction {
                arn: "arn:aws:lambda:us-west-2:123456789012:function:app-dev".into(),
                handler: "api_handler".into(),
                runtime: "provided.al2023".into(),
                role: "arn:aws:iam::123456789012:role/app-dev".into(),
                memory_size: 128,
                timeout: 60,
                environment: [("MODE".to_owned(), "test".to_owned())].into(),
                architecture: "arm64".into(),
                code_sha256: "sha".into(),
                layers: Vec::new(),
                tags: [(APP_TAG.to_owned(), "app".to_owned())].into(),
                reserved_concurrency: Some(5),
                subnet_ids: vec!["subnet-1".into()],
                security_group_ids: vec!["sg-1".into()],
                xray: true,
                invokable_by_api: true,
                api_grants: BTreeMap::new(),
            }
        );
        // What Lambda leaves out reads as the defaults: x86_64, no tracing, no concurrency.
        let bare = GetFunctionOutput::builder()
            .configuration(FunctionConfiguration::builder().build())
            .build();
        let function = observed_function(&bare, false);
        assert_eq!(function.architecture, "x86_64");
        assert!(!function.xray && function.reserved_concurrency.is_none());
    }

    #[test]
    fn a_preflights_allowed_methods_are_read_unquoted() {
        let response = IntegrationResponse::builder()
            .response_parameters(
                "method.response.header.Access-Control-Allow-Methods",
                "'GET,OPTIONS'",
            )
            .build();
        let found = GetMethodOutput::builder()
            .method_integration(
                Integration::builder()
                    .r#type(IntegrationType::Mock)
                    .integration_responses("200", response)
                    .build(),
            )
            .build();
        let method = observed_method(&found);
        assert_eq!(
            method.preflight_headers,
            BTreeMap::from([(
                "Access-Control-Allow-Methods".to_owned(),
                "GET,OPTIONS".to_owned()
            )])
        );
        assert_eq!(method.integration_type.as_deref(), Some("MOCK"));
        assert_eq!(method.authorization_type, "NONE");
        assert!(!method.api_key_required && method.integration_uri.is_none());
    }

    fn listed(path: &str, id: &str, parent: Option<&str>, methods: &[&str]) -> Listed {
        Listed {
            path: path.into(),
            id: id.into(),
            parent: parent.map(str::to_owned),
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    fn twin(name: &str, id: &str) -> Twin {
        Twin {
            name: name.into(),
            id: id.into(),
        }
    }

    #[test]
    fn of_resources_made_twice_the_one_with_methods_stays_and_a_twins_children_go_with_it() {
        let (kept, twins) = pick_resources(vec![
            listed("/users/{id}", "c1", Some("u1"), &["GET"]),
            listed("/users", "u1", Some("root"), &[]),
            listed("/users", "u2", Some("root"), &["GET"]),
            listed("/users/{id}", "c2", Some("u2"), &["GET", "PUT"]),
            listed("/", "root", None, &["GET"]),
            listed("/a", "a1", Some("root"), &[]),
            listed("/a", "a2", Some("root"), &[]),
        ]);
        let kept: Vec<(&str, &str)> = kept
            .iter()
            .map(|r| (r.path.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("/", "root"),
                ("/users", "u2"),
                ("/a", "a1"),
                ("/users/{id}", "c2")
            ]
        );
        // `c1` hangs from the twin `u1`: it goes when `u1` does.
        assert_eq!(twins, [twin("/users", "u1"), twin("/a", "a2")]);
        // Nothing made twice: nothing changes.
        let (kept, twins) = pick_resources(vec![
            listed("/", "root", None, &[]),
            listed("/b", "b", Some("root"), &["GET"]),
        ]);
        assert_eq!(kept.len(), 2);
        assert!(twins.is_empty());
    }

    #[test]
    fn of_authorizers_made_twice_the_one_a_method_uses_stays() {
        let authorizer = |id: &str| ObservedAuthorizer {
            id: id.into(),
            ..ObservedAuthorizer::default()
        };
        let listed = vec![
            ("auth".to_owned(), authorizer("a1")),
            ("auth".to_owned(), authorizer("a2")),
            ("other".to_owned(), authorizer("o1")),
            ("other".to_owned(), authorizer("o2")),
        ];
        let used = BTreeSet::from(["a2"]);
        let (kept, twins) = pick_authorizers(listed, &used);
        assert_eq!(kept["auth"].id, "a2");
        assert_eq!(kept["other"].id, "o1");
        assert_eq!(twins, [twin("auth", "a1"), twin("other", "o2")]);
    }

    #[test]
    fn recorded_functions_and_roles_the_app_no_longer_has_are_stale() {
        let desired = desired();
        let mut record = Record::default();
        record.set(
            "api_handler",
            "lambda_function",
            "lambda_arn",
            "arn:aws:lambda:us-west-2:123456789012:function:app-dev",
        );
        record.set(
            "old_auth",
            "lambda_function",
            "lambda_arn",
            "arn:aws:lambda:us-west-2:123456789012:function:app-dev-old_auth",
        );
        record.set("default-role", "iam_role", "role_name", "app-dev");
        record.set("old_auth_role", "iam_role", "role_name", "app-dev-old_auth");
        record.set("no_arn", "lambda_function", "handler", "x");
        let (functions, roles) = stale(&desired, &record);
        assert_eq!(
            functions,
            [("old_auth".to_owned(), "app-dev-old_auth".to_owned())]
        );
        assert_eq!(
            roles,
            [("old_auth_role".to_owned(), "app-dev-old_auth".to_owned())]
        );
    }
}

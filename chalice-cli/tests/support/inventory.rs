//! Everything of one app's stage that exists in moto, read through list and get calls (never
//! through the deployer), in a form two deploys can be compared by: generated ids and the
//! stage's name are replaced by placeholders, and lists are sorted.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Clients;

/// The stage's functions, roles, REST APIs and HTTP APIs as they exist now. Two deploys of the same app
/// to two stages give equal inventories; so do a clean deploy and a recovered one.
pub async fn inventory(clients: &Clients, app: &str, stage: &str) -> Value {
    let prefix = format!("{app}-{stage}");
    let ours = |name: &str| name == prefix || name.starts_with(&format!("{prefix}-"));
    let apis = apis(clients, app, stage).await;
    let mut functions = Map::new();
    let mut marker: Option<String> = None;
    loop {
        let page = clients
            .lambda
            .list_functions()
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        for function in page.functions() {
            let name = function.function_name().unwrap_or_default();
            if ours(name) {
                functions.insert(name.to_owned(), self::function(clients, name).await);
            }
        }
        match page.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    let mut roles = Map::new();
    let mut marker: Option<String> = None;
    loop {
        let page = clients
            .iam
            .list_roles()
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        for role in page.roles() {
            if ours(role.role_name()) {
                roles.insert(
                    role.role_name().to_owned(),
                    self::role(clients, role.role_name()).await,
                );
            }
        }
        match page.marker() {
            Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
            _ => break,
        }
    }
    let mut api_values = Vec::new();
    for id in &apis {
        api_values.push(api(clients, id).await);
    }
    let http_ids = http_apis(clients, app, stage).await;
    let mut http_values = Vec::new();
    let mut generated: Vec<(String, String)> = Vec::new();
    for id in &http_ids {
        let (value, ids) = http_api(clients, id).await;
        http_values.push(value);
        generated.extend(ids);
    }
    let found = json!({"functions": functions, "roles": roles, "apis": api_values,
                       "http_apis": http_values,
                       "usage_plans": usage_plans(clients, app, stage).await,
                       "api_keys": api_keys(clients, app, stage).await,
                       "log_groups": log_groups(clients, &prefix).await});
    let mut text = found.to_string();
    for id in apis.iter().chain(&http_ids) {
        text = text.replace(id.as_str(), "<api>");
    }
    // Authorizer ids (in grants' source ARNs and statement ids) by the authorizer's name.
    for (id, name) in &generated {
        text = text.replace(id.as_str(), &format!("<authorizer {name}>"));
    }
    // Stage names in these tests are distinctive enough to replace wherever they appear.
    text = text.replace(stage, "<stage>");
    serde_json::from_str(&text).unwrap()
}

/// Where two inventories differ: one line per differing path, with both values.
pub fn differences(got: &Value, want: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_differences(got, want, "", &mut found);
    found
}

fn collect_differences(got: &Value, want: &Value, path: &str, found: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                collect_differences(x, y, &format!("{path}.{key}"), found);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                collect_differences(x, y, &format!("{path}[{index}]"), found);
            }
        }
        _ if got != want => found.push(format!("{path}: got {got}, want {want}")),
        _ => {}
    }
}

/// Whether nothing of the stage is left (but its functions' log groups, which `delete`
/// leaves).
pub fn is_empty(inventory: &Value) -> bool {
    ["functions", "roles"]
        .iter()
        .all(|key| inventory[key].as_object().is_some_and(Map::is_empty))
        && ["apis", "http_apis", "usage_plans", "api_keys"]
            .iter()
            .all(|key| inventory[key].as_array().is_none_or(Vec::is_empty))
}

fn tagged_for(
    tags: Option<&std::collections::HashMap<String, String>>,
    app: &str,
    stage: &str,
) -> bool {
    tags.is_some_and(|tags| {
        tags.get("chalice-rs:app").map(String::as_str) == Some(app)
            && tags.get("chalice-rs:stage").map(String::as_str) == Some(stage)
    })
}

/// The usage plans tagged for the stage: name, the API stages they cover, the names of their
/// keys; sorted.
async fn usage_plans(clients: &Clients, app: &str, stage: &str) -> Vec<Value> {
    let plans = clients
        .apigateway
        .get_usage_plans()
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    for plan in plans
        .items()
        .iter()
        .filter(|p| tagged_for(p.tags(), app, stage))
    {
        let keys = clients
            .apigateway
            .get_usage_plan_keys()
            .usage_plan_id(plan.id().unwrap())
            .limit(500)
            .send()
            .await
            .unwrap();
        let mut names: Vec<&str> = keys.items().iter().filter_map(|k| k.name()).collect();
        names.sort();
        let mut stages: Vec<String> = plan
            .api_stages()
            .iter()
            .map(|s| {
                format!(
                    "{}:{}",
                    s.api_id().unwrap_or_default(),
                    s.stage().unwrap_or_default()
                )
            })
            .collect();
        stages.sort();
        found.push(json!({"name": plan.name(), "stages": stages, "keys": names}));
    }
    found.sort_by_key(Value::to_string);
    found
}

/// The API keys tagged for the stage: name and whether enabled, sorted.
async fn api_keys(clients: &Clients, app: &str, stage: &str) -> Vec<Value> {
    let keys = clients
        .apigateway
        .get_api_keys()
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut found: Vec<Value> = keys
        .items()
        .iter()
        .filter(|k| tagged_for(k.tags(), app, stage))
        .map(|k| json!({"name": k.name(), "enabled": k.enabled()}))
        .collect();
    found.sort_by_key(Value::to_string);
    found
}

/// The log groups of the stage's functions (`/aws/lambda/<prefix>...`) and their retention.
async fn log_groups(clients: &Clients, prefix: &str) -> Value {
    let groups = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{prefix}"))
        .send()
        .await
        .unwrap();
    let ours = |name: &str| {
        let function = name.strip_prefix("/aws/lambda/").unwrap_or_default();
        function == prefix || function.starts_with(&format!("{prefix}-"))
    };
    groups
        .log_groups()
        .iter()
        .filter_map(|g| Some((g.log_group_name()?, g.retention_in_days())))
        .filter(|(name, _)| ours(name))
        .map(|(name, days)| (name.to_owned(), json!(days)))
        .collect::<Map<String, Value>>()
        .into()
}

/// A record with the REST or HTTP API's id (and the HTTP API's authorizer ids, the usage
/// plan's and the API keys' ids) replaced,
/// comparable across stages.
pub fn normalized_record(record: &Value, stage: &str) -> Value {
    let mut text = record.to_string();
    let entries = record["resources"].as_array().into_iter().flatten();
    for entry in entries {
        for key in ["rest_api_id", "http_api_id"] {
            if let Some(id) = entry[key].as_str() {
                text = text.replace(id, "<api>");
            }
        }
        for key in ["usage_plan_id", "api_key_id"] {
            if let Some(id) = entry[key].as_str() {
                text = text.replace(&format!("\"{id}\""), &format!("\"<{key}>\""));
            }
        }
        for (name, id) in entry["authorizers"].as_object().into_iter().flatten() {
            if let Some(id) = id.as_str() {
                text = text.replace(&format!("\"{id}\""), &format!("\"<authorizer {name}>\""));
            }
        }
    }
    text = text.replace(stage, "<stage>");
    serde_json::from_str(&text).unwrap()
}

/// REST APIs tagged for the app and stage, by id.
async fn apis(clients: &Clients, app: &str, stage: &str) -> Vec<String> {
    let page = clients
        .apigateway
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    page.items()
        .iter()
        .filter(|api| {
            api.tags().is_some_and(|tags| {
                tags.get("chalice-rs:app").map(String::as_str) == Some(app)
                    && tags.get("chalice-rs:stage").map(String::as_str) == Some(stage)
            })
        })
        .filter_map(|api| api.id().map(str::to_owned))
        .collect()
}

async fn function(clients: &Clients, name: &str) -> Value {
    let found = clients
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .unwrap();
    let config = found.configuration().unwrap();
    let permissions = match clients.lambda.get_policy().function_name(name).send().await {
        Ok(policy) => {
            let policy: Value = serde_json::from_str(policy.policy().unwrap_or("{}")).unwrap();
            let mut statements: Vec<Value> = policy["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|s| {
                    json!({"sid": s["Sid"], "effect": s["Effect"], "action": s["Action"],
                           "principal": s["Principal"], "condition": s["Condition"]})
                })
                .collect();
            statements.sort_by_key(Value::to_string);
            statements
        }
        Err(_) => Vec::new(),
    };
    let tags: BTreeMap<String, String> = found
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let environment: BTreeMap<String, String> = config
        .environment()
        .and_then(|e| e.variables())
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    json!({
        "handler": config.handler(),
        "runtime": config.runtime().map(|r| r.as_str().to_owned()),
        "role": config.role(),
        "memory": config.memory_size(),
        "timeout": config.timeout(),
        "environment": environment,
        "architectures": config.architectures().iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>(),
        "code_sha256": config.code_sha256(),
        "tags": tags,
        "permissions": permissions,
    })
}

/// IAM documents come back URL-encoded (moto: as sent).
fn document(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| {
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .unwrap();
        serde_json::from_str(&decoded).unwrap()
    })
}

async fn role(clients: &Clients, name: &str) -> Value {
    let role = clients.iam.get_role().role_name(name).send().await.unwrap();
    let role = role.role().unwrap();
    let tags: BTreeMap<&str, &str> = role.tags().iter().map(|t| (t.key(), t.value())).collect();
    let names = clients
        .iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .unwrap();
    let mut policies = Map::new();
    for policy in names.policy_names() {
        let found = clients
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .unwrap();
        policies.insert(policy.clone(), document(found.policy_document()));
    }
    let attached = clients
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .unwrap();
    json!({
        "arn": role.arn(),
        "trust": role.assume_role_policy_document().map(document),
        "tags": tags,
        "policies": policies,
        "attached": attached.attached_policies().iter().map(|p| p.policy_arn().map(str::to_owned)).collect::<Vec<_>>(),
    })
}

async fn api(clients: &Clients, id: &str) -> Value {
    let api = clients
        .apigateway
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .unwrap();
    let authorizers = clients
        .apigateway
        .get_authorizers()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut authorizer_values: Vec<Value> = authorizers
        .items()
        .iter()
        .map(|a| {
            json!({
                "name": a.name(),
                "type": a.r#type().map(|t| t.as_str().to_owned()),
                "uri": a.authorizer_uri(),
                "identity_source": a.identity_source(),
                "ttl": a.authorizer_result_ttl_in_seconds(),
                "credentials": a.authorizer_credentials(),
                "providers": a.provider_arns(),
            })
        })
        .collect();
    authorizer_values.sort_by_key(Value::to_string);
    let paths = methods(clients, id).await;
    let stages = clients
        .apigateway
        .get_stages()
        .rest_api_id(id)
        .send()
        .await
        .unwrap();
    let deployments = clients
        .apigateway
        .get_deployments()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut stage_values: Vec<Value> = stages
        .item()
        .iter()
        .map(|stage| {
            let deployment = deployments
                .items()
                .iter()
                .find(|d| d.id() == stage.deployment_id());
            json!({"name": stage.stage_name(), "deployed": deployment.is_some(),
                   "description": deployment.and_then(|d| d.description())})
        })
        .collect();
    stage_values.sort_by_key(Value::to_string);
    let policy: Option<Value> = api
        .policy()
        .filter(|p| !p.is_empty())
        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| json!(p)));
    json!({
        "name": api.name(),
        "endpoint": api.endpoint_configuration().map(|e| e.types().iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>()),
        "vpce": api.endpoint_configuration().map(|e| e.vpc_endpoint_ids().to_vec()),
        "policy": policy,
        "compression": api.minimum_compression_size(),
        "resources": paths.into_iter().map(|(path, methods)| json!([path, methods])).collect::<Vec<_>>(),
        "authorizers": authorizer_values,
        "stages": stage_values,
    })
}

/// The methods of a REST API, resource by resource, sorted by path: each method's authorization
/// (type, authorizer name, scopes, API key) and integration (type, URI, CORS headers). A list, so
/// a resource made twice shows twice.
pub async fn methods(clients: &Clients, id: &str) -> Vec<(String, Value)> {
    let authorizers = clients
        .apigateway
        .get_authorizers()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .unwrap();
    let name_of = |authorizer_id: Option<&str>| {
        authorizers
            .items()
            .iter()
            .find(|a| a.id() == authorizer_id)
            .and_then(|a| a.name())
            .map(str::to_owned)
    };
    let resources = clients
        .apigateway
        .get_resources()
        .rest_api_id(id)
        .embed("methods")
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut paths: Vec<(String, Value)> = Vec::new();
    for resource in resources.items() {
        let mut methods = Map::new();
        let mut names: Vec<String> = resource
            .resource_methods()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        for method in names {
            let found = clients
                .apigateway
                .get_method()
                .rest_api_id(id)
                .resource_id(resource.id().unwrap())
                .http_method(&method)
                .send()
                .await
                .unwrap();
            let integration = found.method_integration();
            let cors = integration
                .and_then(|i| i.integration_responses())
                .and_then(|r| r.get("200"))
                .and_then(|r| r.response_parameters())
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<BTreeMap<_, _>>()
                });
            methods.insert(
                method,
                json!({
                    "auth": found.authorization_type(),
                    "authorizer": name_of(found.authorizer_id()),
                    "scopes": found.authorization_scopes(),
                    "api_key": found.api_key_required(),
                    "integration": integration.and_then(|i| i.r#type()).map(|t| t.as_str().to_owned()),
                    "uri": integration.and_then(|i| i.uri()),
                    "cors": cors,
                }),
            );
        }
        paths.push((
            resource.path().unwrap_or_default().to_owned(),
            Value::Object(methods),
        ));
    }
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    paths
}

/// HTTP APIs tagged for the app and stage, by id.
pub async fn http_apis(clients: &Clients, app: &str, stage: &str) -> Vec<String> {
    let page = clients
        .apigatewayv2
        .get_apis()
        .max_results("500")
        .send()
        .await
        .unwrap();
    page.items()
        .iter()
        .filter(|api| {
            api.tags().is_some_and(|tags| {
                tags.get("chalice-rs:app").map(String::as_str) == Some(app)
                    && tags.get("chalice-rs:stage").map(String::as_str) == Some(stage)
            })
        })
        .filter_map(|api| api.api_id().map(str::to_owned))
        .collect()
}

/// An HTTP API: its name, protocol, tags and CORS; its routes by key, each with its
/// authorization and the integration it calls; the authorizers routes name (moto cannot list
/// them); the integrations; the stages. Also the authorizers' generated ids with their names.
pub async fn http_api(clients: &Clients, id: &str) -> (Value, Vec<(String, String)>) {
    let v2 = &clients.apigatewayv2;
    let api = v2.get_api().api_id(id).send().await.unwrap();
    let integrations = v2.get_integrations().api_id(id).send().await.unwrap();
    let integration_of = |target: Option<&str>| {
        let integration = integrations.items().iter().find(|i| {
            target
                == Some(format!("integrations/{}", i.integration_id().unwrap_or_default()).as_str())
        })?;
        Some(
            json!({"type": integration.integration_type().map(|t| t.as_str().to_owned()),
                    "uri": integration.integration_uri(),
                    "payload": integration.payload_format_version()}),
        )
    };
    let routes = v2.get_routes().api_id(id).send().await.unwrap();
    let mut authorizer_ids: Vec<String> = routes
        .items()
        .iter()
        .filter_map(|r| r.authorizer_id().map(str::to_owned))
        .collect();
    authorizer_ids.sort();
    authorizer_ids.dedup();
    let mut authorizers = Map::new();
    let mut generated = Vec::new();
    for authorizer_id in authorizer_ids {
        let a = v2
            .get_authorizer()
            .api_id(id)
            .authorizer_id(&authorizer_id)
            .send()
            .await
            .unwrap();
        let name = a.name().unwrap_or_default().to_owned();
        generated.push((authorizer_id, name.clone()));
        authorizers.insert(
            name,
            json!({
                "type": a.authorizer_type().map(|t| t.as_str().to_owned()),
                "identity_source": a.identity_source(),
                "issuer": a.jwt_configuration().and_then(|j| j.issuer()),
                "audience": a.jwt_configuration().map(|j| j.audience().to_vec()),
                "uri": a.authorizer_uri(),
                "payload": a.authorizer_payload_format_version(),
                "simple": a.enable_simple_responses(),
                "ttl": a.authorizer_result_ttl_in_seconds(),
                "credentials": a.authorizer_credentials_arn(),
            }),
        );
    }
    let name_of = |authorizer_id: Option<&str>| {
        generated
            .iter()
            .find(|(known, _)| Some(known.as_str()) == authorizer_id)
            .map(|(_, name)| name.clone())
    };
    let mut route_values: Vec<Value> = routes
        .items()
        .iter()
        .map(|r| {
            json!({
                "key": r.route_key(),
                "auth": r.authorization_type().map(|t| t.as_str().to_owned()),
                "authorizer": name_of(r.authorizer_id()),
                "scopes": r.authorization_scopes(),
                "integration": integration_of(r.target()),
            })
        })
        .collect();
    route_values.sort_by_key(Value::to_string);
    let mut integration_values: Vec<Value> = integrations
        .items()
        .iter()
        .map(|i| {
            json!({"type": i.integration_type().map(|t| t.as_str().to_owned()),
                        "uri": i.integration_uri(), "payload": i.payload_format_version()})
        })
        .collect();
    integration_values.sort_by_key(Value::to_string);
    let stages = v2.get_stages().api_id(id).send().await.unwrap();
    let mut stage_values: Vec<Value> = stages
        .items()
        .iter()
        .map(|s| {
            json!({"name": s.stage_name(), "auto_deploy": s.auto_deploy(),
                        "variables": s.stage_variables()})
        })
        .collect();
    stage_values.sort_by_key(Value::to_string);
    let tags: BTreeMap<String, String> = api
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let value = json!({
        "name": api.name(),
        "protocol": api.protocol_type().map(|p| p.as_str().to_owned()),
        "tags": tags,
        "cors": api.cors_configuration().map(|c| json!({"origins": c.allow_origins(),
            "methods": c.allow_methods(), "headers": c.allow_headers()})),
        "routes": route_values,
        "authorizers": authorizers,
        "integrations": integration_values,
        "stages": stage_values,
    });
    (value, generated)
}

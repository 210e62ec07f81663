//! The plan of a `delete`: every resource of the stage, by its record and by its tags, as
//! delete steps in an order that is safe to stop at any point. The usage plan goes first (it
//! covers the API's stage), then the REST or HTTP API (nothing invokes the functions then),
//! then the API keys, then the functions (the API handler last, as Chalice deletes in
//! reverse record order), then the roles (no function uses them then). Each step drops its
//! record entry, so a delete that dies is finished by the next one; tags find what the record
//! never held. The functions' log groups stay (see [`super::log_groups`] for why).

use serde_json::{Map, Value};

use super::desired::{HTTP_API, REST_API};
use super::observed::Tagged;
use super::plan::{DomainStep, HttpStep, KeyStep, Step, function_name_of};
use super::plan_domain::CUSTOM_DOMAIN;
use super::record::Record;
use super::usage_plan;

/// The steps that remove everything of the stage the record lists or `tagged` found.
pub fn delete_plan(record: &Record, tagged: &Tagged) -> Vec<Step> {
    let mut steps = Vec::new();
    let (plan, keys) = usage_plan::recorded(record);
    // The usage plan first: it covers the API's stage.
    let mut plans: Vec<String> = plan.into_iter().collect();
    for id in &tagged.usage_plans {
        if !plans.contains(id) {
            plans.push(id.clone());
        }
    }
    steps.extend(
        plans
            .into_iter()
            .map(|id| Step::Keys(KeyStep::DeletePlan { id })),
    );

    // The custom domain first: its mapping names the REST API.
    let mut domains: Vec<&str> = record
        .value(CUSTOM_DOMAIN, "domain_name")
        .into_iter()
        .collect();
    for name in &tagged.domains {
        if !domains.contains(&name.as_str()) {
            domains.push(name);
        }
    }
    steps.extend(domains.into_iter().map(|name| {
        Step::Domain(DomainStep::DeleteDomainName {
            domain_name: name.to_owned(),
        })
    }));

    let mut apis: Vec<&str> = record.value(REST_API, "rest_api_id").into_iter().collect();
    for id in &tagged.apis {
        if !apis.contains(&id.as_str()) {
            apis.push(id);
        }
    }
    steps.extend(
        apis.into_iter()
            .map(|id| Step::DeleteRestApi { id: id.to_owned() }),
    );
    let mut http_apis: Vec<&str> = record.value(HTTP_API, "http_api_id").into_iter().collect();
    for id in &tagged.http_apis {
        if !http_apis.contains(&id.as_str()) {
            http_apis.push(id);
        }
    }
    steps.extend(
        http_apis
            .into_iter()
            .map(|id| Step::Http(HttpStep::DeleteApi { id: id.to_owned() })),
    );
    let mut api_keys = keys;
    for (name, id) in &tagged.api_keys {
        if !api_keys.iter().any(|(_, known)| known == id) {
            api_keys.push((name.clone(), id.clone()));
        }
    }
    steps.extend(
        api_keys
            .into_iter()
            .map(|(name, id)| Step::Keys(KeyStep::DeleteKey { name, id })),
    );

    let mut functions: Vec<(Option<String>, String)> = record
        .of_type("lambda_function")
        .filter_map(|entry| {
            let arn = field(entry, "lambda_arn")?;
            Some((field(entry, "name"), function_name_of(&arn).to_owned()))
        })
        .collect();
    for function_name in &tagged.functions {
        if !functions.iter().any(|(_, name)| name == function_name) {
            functions.push((None, function_name.clone()));
        }
    }
    functions.reverse();
    steps.extend(functions.into_iter().map(|(resource_name, function_name)| {
        Step::DeleteFunction {
            resource_name,
            function_name,
        }
    }));

    let mut roles: Vec<(Option<String>, String)> = record
        .of_type("iam_role")
        .filter_map(|entry| Some((Some(field(entry, "name")?), field(entry, "role_name")?)))
        .collect();
    for role_name in &tagged.roles {
        if !roles.iter().any(|(_, name)| name == role_name) {
            roles.push((None, role_name.clone()));
        }
    }
    steps.extend(
        roles
            .into_iter()
            .map(|(resource_name, role_name)| Step::DeleteRole {
                resource_name,
                role_name,
            }),
    );
    steps
}

/// A string field of a record entry.
fn field(entry: &Map<String, Value>, key: &str) -> Option<String> {
    entry.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record a deploy of an app with one authorizer leaves.
    fn deployed() -> Record {
        let mut record = Record::default();
        record.set(
            "default-role",
            "iam_role",
            "role_arn",
            "arn:aws:iam::123456789012:role/app-dev",
        );
        record.set("default-role", "iam_role", "role_name", "app-dev");
        record.set(
            "api_handler",
            "lambda_function",
            "lambda_arn",
            "arn:aws:lambda:us-west-2:123456789012:function:app-dev",
        );
        record.set(
            "auth",
            "lambda_function",
            "lambda_arn",
            "arn:aws:lambda:us-west-2:123456789012:function:app-dev-auth",
        );
        record.set("rest_api", "rest_api", "rest_api_id", "api1");
        record.set(
            "rest_api",
            "rest_api",
            "rest_api_url",
            "https://api1.execute-api.us-west-2.amazonaws.com/api/",
        );
        record
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_recorded_stage_is_deleted_api_first_functions_in_reverse_then_roles() {
        let steps = delete_plan(&deployed(), &Tagged::default());
        assert_eq!(
            names(&steps),
            [
                "Deleting Rest API: api1",
                "Deleting function: app-dev-auth",
                "Deleting function: app-dev",
                "Deleting IAM role: app-dev",
            ]
        );
        // Each step names the record entry it drops.
        assert_eq!(
            steps[1],
            Step::DeleteFunction {
                resource_name: Some("auth".into()),
                function_name: "app-dev-auth".into(),
            }
        );
        assert_eq!(
            steps[3],
            Step::DeleteRole {
                resource_name: Some("default-role".into()),
                role_name: "app-dev".into(),
            }
        );
    }

    #[test]
    fn what_only_tags_found_is_deleted_too_without_a_record_entry() {
        let tagged = Tagged {
            apis: vec!["old".into(), "twin".into()],
            http_apis: vec!["h1".into()],
            functions: vec!["app-dev".into(), "app-dev-auth".into()],
            roles: vec!["app-dev".into(), "app-dev-auth".into()],
            ..Tagged::default()
        };
        let steps = delete_plan(&Record::default(), &tagged);
        assert_eq!(
            names(&steps),
            [
                "Deleting Rest API: old",
                "Deleting Rest API: twin",
                "Deleting HTTP API: h1",
                "Deleting function: app-dev-auth",
                "Deleting function: app-dev",
                "Deleting IAM role: app-dev",
                "Deleting IAM role: app-dev-auth",
            ]
        );
        assert!(steps.iter().all(|step| matches!(
            step,
            Step::DeleteRestApi { .. }
                | Step::Http(HttpStep::DeleteApi { .. })
                | Step::DeleteFunction {
                    resource_name: None,
                    ..
                }
                | Step::DeleteRole {
                    resource_name: None,
                    ..
                }
        )));
    }

    #[test]
    fn the_record_and_the_tags_are_merged_without_deleting_anything_twice() {
        // A twin API and a function whose create answer was lost carry the tags; the rest is
        // both recorded and tagged.
        let tagged = Tagged {
            apis: vec!["twin".into(), "api1".into()],
            http_apis: Vec::new(),
            functions: vec![
                "app-dev".into(),
                "app-dev-auth".into(),
                "app-dev-lost".into(),
            ],
            roles: vec!["app-dev-lost".into(), "app-dev".into()],
            ..Tagged::default()
        };
        assert_eq!(
            names(&delete_plan(&deployed(), &tagged)),
            [
                "Deleting Rest API: api1",
                "Deleting Rest API: twin",
                "Deleting function: app-dev-lost",
                "Deleting function: app-dev-auth",
                "Deleting function: app-dev",
                "Deleting IAM role: app-dev",
                "Deleting IAM role: app-dev-lost",
            ]
        );
    }

    #[test]
    fn the_usage_plan_goes_before_the_api_and_the_keys_after_it() {
        let mut record = deployed();
        record.set("usage_plan", "usage_plan", "usage_plan_id", "p1");
        record.set("app-dev-key-1", "api_key", "api_key_id", "k1");
        let tagged = Tagged {
            usage_plans: vec!["p1".into(), "p2".into()],
            api_keys: vec![
                ("app-dev-key-1".into(), "k1".into()),
                ("app-dev-key-1".into(), "k2".into()),
            ],
            ..Tagged::default()
        };
        assert_eq!(
            names(&delete_plan(&record, &tagged))[..6],
            [
                "Deleting usage plan: p1",
                "Deleting usage plan: p2",
                "Deleting Rest API: api1",
                "Deleting API key: app-dev-key-1 (k1)",
                "Deleting API key: app-dev-key-1 (k2)",
                "Deleting function: app-dev-auth",
            ]
        );
    }

    #[test]
    fn nothing_recorded_or_tagged_is_an_empty_plan() {
        assert_eq!(delete_plan(&Record::default(), &Tagged::default()), []);
        // Entries without the AWS name a delete needs are not planned (the record is cleared
        // at the end anyway).
        let mut record = Record::default();
        record.set("auth", "lambda_function", "handler", "auth");
        record.set(
            "default-role",
            "iam_role",
            "role_arn",
            "arn:aws:iam::1:role/x",
        );
        assert_eq!(delete_plan(&record, &Tagged::default()), []);
    }

    #[test]
    fn the_custom_domain_goes_first_by_record_and_by_tags_once_each() {
        let mut record = deployed();
        record.set(
            CUSTOM_DOMAIN,
            "domain_name",
            "domain_name",
            "api.example.com",
        );
        let tagged = Tagged {
            domains: vec!["api.example.com".into(), "old.example.com".into()],
            ..Tagged::default()
        };
        let steps = delete_plan(&record, &tagged);
        assert_eq!(
            names(&steps)[..3],
            [
                "Deleting custom domain name: api.example.com",
                "Deleting custom domain name: old.example.com",
                "Deleting Rest API: api1",
            ]
        );
        assert_eq!(
            names(&steps)
                .iter()
                .filter(|name| name.contains("domain"))
                .count(),
            2
        );
    }
}

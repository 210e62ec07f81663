//! A deploy adopts only what is tagged for its app and stage: an untagged role or function of
//! a colliding name stops it, naming the resource, before any change; `--adopt-untagged` takes
//! it over and tags it; a delete never removes what is not tagged for the stage.

mod support;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use chalice_cli::deploy::{self, Adoption, record::Record};
use chalice_cli::model::role::trust_policy;
use support::*;

const APP: &str = "demoauth1";

/// Makes an untagged role `name`, as another app (or a person) would.
async fn foreign_role(clients: &Clients, name: &str) -> String {
    let _ = clients.iam.delete_role().role_name(name).send().await;
    let made = clients
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy().to_string())
        .send()
        .await
        .unwrap();
    made.role().unwrap().arn().to_owned()
}

/// Makes an untagged function `name` running as `role`.
async fn foreign_function(clients: &Clients, name: &str, role: &str) -> String {
    let _ = clients
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await;
    let made = clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(bundle_of("demoauth").zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
    made.function_arn().unwrap().to_owned()
}

async fn deploy_adopting(
    project: &TestProject,
    stage: &str,
    clients: &Clients,
    adoption: Adoption,
) -> Result<deploy::DeployReport, String> {
    let bundle = bundle_of("demoauth");
    deploy::deploy_bundle_with(
        &project.project(),
        stage,
        &clients.aws,
        &bundle,
        adoption,
        false,
        &mut |_| {},
    )
    .await
    .map_err(|e| e.to_string())
}

async fn function_tags(clients: &Clients, name: &str) -> Vec<(String, String)> {
    let found = clients
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = found
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.sort();
    tags
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_function_of_the_stages_name_is_refused_then_adopted_only_when_asked() {
    let stage = "adopt1";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let function_name = format!("{APP}-{stage}");
    let role = foreign_role(&clients, &format!("other-owner-{stage}")).await;
    let arn = foreign_function(&clients, &function_name, &role).await;
    clients.calls.take();

    let error = deploy_adopting(&project, stage, &clients, Adoption::TaggedOnly)
        .await
        .unwrap_err();
    assert!(
        error.contains(&format!("lambda function {arn} (tags: none)")),
        "{error}"
    );
    assert!(error.contains("--adopt-untagged"), "{error}");
    let calls = clients.calls.take();
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
    assert!(function_tags(&clients, &function_name).await.is_empty());

    // A delete whose record names the foreign function leaves it alone, and says so.
    let mut record = Record::default();
    record.set_function("api_handler", &arn);
    record
        .save(&deploy::record::path(&project.dir, stage))
        .unwrap();
    let mut lines = Vec::new();
    deploy::delete(&project.project(), stage, &clients.aws, &mut |line| {
        lines.push(line.to_owned())
    })
    .await
    .unwrap();
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&format!("Skipped lambda function {function_name}"))),
        "{lines:?}"
    );
    assert!(function_tags(&clients, &function_name).await.is_empty());

    // Asked to, the deploy takes it over and tags it; it is the stage's from then on.
    deploy_adopting(&project, stage, &clients, Adoption::Untagged)
        .await
        .unwrap();
    let tags = function_tags(&clients, &function_name).await;
    assert!(
        tags.contains(&("chalice-rs:app".to_owned(), APP.to_owned()))
            && tags.contains(&("chalice-rs:stage".to_owned(), stage.to_owned())),
        "{tags:?}"
    );
    deploy_adopting(&project, stage, &clients, Adoption::TaggedOnly)
        .await
        .unwrap();
    project.clean(&clients, &[stage]).await;
    let gone = clients
        .lambda
        .get_function()
        .function_name(&function_name)
        .send()
        .await;
    assert!(
        gone.is_err(),
        "the adopted function is the stage's to delete"
    );
    let _ = clients
        .iam
        .delete_role()
        .role_name(format!("other-owner-{stage}"))
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_role_of_the_stages_name_is_refused_then_adopted_and_tagged() {
    let stage = "adopt2";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let role_name = format!("{APP}-{stage}");
    foreign_role(&clients, &role_name).await;
    clients.calls.take();

    let error = deploy_adopting(&project, stage, &clients, Adoption::TaggedOnly)
        .await
        .unwrap_err();
    assert!(
        error.contains(&format!("IAM role {role_name} (tags: none)")),
        "{error}"
    );
    let calls = clients.calls.take();
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");

    // A recorded Rest API not tagged for the stage is not trusted: the deploy makes its own.
    let foreign_api = clients
        .apigateway
        .create_rest_api()
        .name("someone-elses")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let mut record = Record::default();
    record.set("rest_api", "rest_api", "rest_api_id", &foreign_api);
    record
        .save(&deploy::record::path(&project.dir, stage))
        .unwrap();

    deploy_adopting(&project, stage, &clients, Adoption::Untagged)
        .await
        .unwrap();
    let role = clients
        .iam
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = role
        .role()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert!(tags.contains(&("chalice-rs:app", APP)), "{tags:?}");
    assert!(tags.contains(&("chalice-rs:stage", stage)), "{tags:?}");
    let recorded = project.record(stage);
    let api_id = recorded.value("rest_api", "rest_api_id").unwrap();
    assert_ne!(api_id, foreign_api);

    // A delete whose record names the foreign API skips it.
    let mut record = project.record(stage);
    record.set("rest_api", "rest_api", "rest_api_id", &foreign_api);
    record
        .save(&deploy::record::path(&project.dir, stage))
        .unwrap();
    let mut lines = Vec::new();
    deploy::delete(&project.project(), stage, &clients.aws, &mut |line| {
        lines.push(line.to_owned())
    })
    .await
    .unwrap();
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&format!("Skipped Rest API {foreign_api}"))),
        "{lines:?}"
    );
    let resources = clients
        .apigateway
        .get_rest_api()
        .rest_api_id(&foreign_api)
        .send()
        .await;
    assert!(resources.is_ok(), "the foreign API is left alone");
    project.clean(&clients, &[stage]).await;
    let _ = clients
        .apigateway
        .delete_rest_api()
        .rest_api_id(&foreign_api)
        .send()
        .await;
}

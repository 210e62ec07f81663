//! Chalice's `tests/unit/test_package.py` for authorizers (reference test cases, section J) and
//! per-function config (section I), over hand-built manifests; whole templates of the guide's
//! app pinned key for key.

use std::path::{Path, PathBuf};

use chalice_runtime::manifest::{Manifest, ManifestAuthorizer};
use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::test_support::{assert_json, authorized, builtin, demoauth, manifest, route};

/// A scratch project directory with `.chalice/` files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(files: &[(&str, &str)]) -> Scratch {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chalice-rs-package-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join(".chalice")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(".chalice").join(name), text).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn deployment_in(dir: &Path, manifest: &Manifest, config: Value, stage: &str) -> Result<Model> {
    let config = Config::parse(&config.to_string(), &dir.join(crate::config::CONFIG_PATH)).unwrap();
    resolve(manifest, &config.stage(stage).unwrap(), dir)
}

fn deployment(manifest: &Manifest, config: Value, stage: &str) -> Model {
    let scratch = Scratch::new(&[]);
    deployment_in(&scratch.0, manifest, config, stage).unwrap()
}

fn demo_config() -> Value {
    json!({"version": "2.0", "app_name": "demoauth1", "stages": {"dev": {"api_gateway_stage": "api"}}})
}

fn sample_app_with_auth() -> Manifest {
    manifest(
        "sampleauth",
        vec![authorized("/", &["GET"], "myauth", &[])],
        vec![builtin("myauth")],
    )
}

/// The guide's app: the whole SAM template, checked by hand against reference §4.6 and
/// Chalice's `SAMTemplateGenerator` (renamed API handler after the API, permissions last).
#[test]
fn demoauth_sam_template() {
    let template = sam::template(&deployment(&demoauth(), demo_config(), "dev")).unwrap();
    let mut resources = template["Resources"].clone();
    let body = resources["RestAPI"]["Properties"]
        .as_object_mut()
        .unwrap()
        .insert(
            "DefinitionBody".into(),
            json!("<swagger, see openapi tests>"),
        )
        .unwrap();
    assert_eq!(
        body["securityDefinitions"]["demo_auth"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${DemoAuth.Arn}/invocations"})
    );
    // The handler may be invoked by the API's methods only, the authorizer by its authorizers.
    let source_arn = |scope: &str| {
        json!({"Fn::Sub": [
            format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{RestAPIId}}{scope}"),
            {"RestAPIId": {"Ref": "RestAPI"}}
        ]})
    };
    let function = |handler: &str| {
        json!({"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "provided.al2023",
            "Handler": handler,
            "CodeUri": "./deployment.zip",
            "Tags": {"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev"},
            "Tracing": "PassThrough",
            "Timeout": 60,
            "MemorySize": 128,
            "Architectures": ["x86_64"],
            "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}
        }})
    };
    let mut expected = template.clone();
    expected["Resources"] = json!({
        "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "", "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:*:logs:*:*:*"}]},
                "PolicyName": "DefaultRolePolicy"}]
        }},
        "DemoAuth": function("demo_auth"),
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {
            "EndpointConfiguration": "EDGE",
            "StageName": "api",
            "DefinitionBody": "<swagger, see openapi tests>"
        }},
        "APIHandler": function("api_handler"),
        "APIHandlerInvokePermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "APIHandler"},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": source_arn("/*/*/*")
        }},
        "DemoAuthInvokePermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Fn::GetAtt": ["DemoAuth", "Arn"]},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": source_arn("/authorizers/*")
        }}
    });
    let mut actual = template.clone();
    actual["Resources"] = resources;
    assert_json(
        &actual,
        &json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Outputs": {
                "RestAPIId": {"Value": {"Ref": "RestAPI"}},
                "APIHandlerName": {"Value": {"Ref": "APIHandler"}},
                "APIHandlerArn": {"Value": {"Fn::GetAtt": ["APIHandler", "Arn"]}},
                "EndpointURL": {"Value": {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"}}
            },
            "Resources": expected["Resources"]
        }),
    );
}

// 204, 205
#[test]
fn sam_rest_api_with_and_without_compression() {
    let with = sam::template(&deployment(
        &sample_app_with_auth(),
        json!({"app_name": "sampleauth", "stages": {"dev": {"minimum_compression_size": 100}}}),
        "dev",
    ))
    .unwrap();
    assert_eq!(
        with["Resources"]["APIHandler"]["Type"],
        "AWS::Serverless::Function"
    );
    assert_eq!(
        with["Resources"]["Myauth"]["Type"],
        "AWS::Serverless::Function"
    );
    assert_eq!(with["Resources"]["RestAPI"]["Type"], "AWS::Serverless::Api");
    assert_eq!(
        with["Resources"]["RestAPI"]["Properties"]["MinimumCompressionSize"],
        100
    );
    assert_eq!(
        with["Resources"]["MyauthInvokePermission"]["Properties"]["FunctionName"],
        json!({"Fn::GetAtt": ["Myauth", "Arn"]})
    );
    let source = |id: &str| {
        with["Resources"][id]["Properties"]["SourceArn"]["Fn::Sub"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(source("APIHandlerInvokePermission").ends_with("${RestAPIId}/*/*/*"));
    assert!(source("MyauthInvokePermission").ends_with("${RestAPIId}/authorizers/*"));
    let keys: Vec<&String> = with["Outputs"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "RestAPIId",
            "APIHandlerName",
            "APIHandlerArn",
            "EndpointURL"
        ]
    );

    let without = sam::template(&deployment(
        &sample_app_with_auth(),
        json!({"app_name": "sampleauth", "stages": {"dev": {}}}),
        "dev",
    ))
    .unwrap();
    assert!(
        without["Resources"]["RestAPI"]["Properties"]
            .get("MinimumCompressionSize")
            .is_none()
    );
}

/// The guide's app: the whole Terraform configuration.
#[test]
fn demoauth_terraform_configuration() {
    let template = terraform::template(&deployment(&demoauth(), demo_config(), "dev")).unwrap();
    let swagger: Value =
        serde_json::from_str(template["locals"]["chalice_api_swagger"].as_str().unwrap()).unwrap();
    assert_eq!(
        swagger["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["uri"],
        "${aws_lambda_function.api_handler.invoke_arn}"
    );
    assert_eq!(
        swagger["securityDefinitions"]["demo_auth"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
        "${aws_lambda_function.demo_auth.invoke_arn}"
    );
    let mut actual = template.clone();
    actual["locals"]["chalice_api_swagger"] = json!("<swagger>");
    let function = |name: &str, handler: &str| {
        json!({
            "function_name": name,
            "runtime": "provided.al2023",
            "handler": handler,
            "memory_size": 128,
            "tags": {"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev"},
            "timeout": 60,
            "source_code_hash": "${filebase64sha256(\"${path.module}/deployment.zip\")}",
            "filename": "${path.module}/deployment.zip",
            "architectures": ["x86_64"],
            "role": "${aws_iam_role.default-role.arn}"
        })
    };
    let permission = |function: &str, scope: &str| {
        json!({
            "function_name": format!("${{aws_lambda_function.{function}.arn}}"),
            "action": "lambda:InvokeFunction",
            "principal": "apigateway.amazonaws.com",
            "source_arn": format!("${{aws_api_gateway_rest_api.rest_api.execution_arn}}{scope}")
        })
    };
    assert_json(
        &actual,
        &json!({
            "resource": {
                "aws_iam_role": {"default-role": {
                    "name": "demoauth1-dev",
                    "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"
                }},
                "aws_iam_role_policy": {"default-role": {
                    "name": "default-rolePolicy",
                    "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"logs:CreateLogGroup\",\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":\"arn:*:logs:*:*:*\"}]}",
                    "role": "${aws_iam_role.default-role.id}"
                }},
                "aws_lambda_function": {
                    "api_handler": function("demoauth1-dev", "api_handler"),
                    "demo_auth": function("demoauth1-dev-demo_auth", "demo_auth")
                },
                "aws_api_gateway_rest_api": {"rest_api": {
                    "body": "${local.chalice_api_swagger}",
                    "name": "demoauth1",
                    "binary_media_types": crate::model::api::DEFAULT_BINARY_TYPES,
                    "endpoint_configuration": {"types": ["EDGE"]}
                }},
                "aws_api_gateway_deployment": {"rest_api": {
                    "rest_api_id": "${aws_api_gateway_rest_api.rest_api.id}",
                    "triggers": {"redeployment": "${md5(local.chalice_api_swagger)}"},
                    "lifecycle": {"create_before_destroy": true}
                }},
                "aws_api_gateway_stage": {"rest_api": {
                    "rest_api_id": "${aws_api_gateway_rest_api.rest_api.id}",
                    "deployment_id": "${aws_api_gateway_deployment.rest_api.id}",
                    "stage_name": "api"
                }},
                "aws_lambda_permission": {
                    "rest_api_invoke": permission("api_handler", "/*/*/*"),
                    "demo_auth_invoke": permission("demo_auth", "/authorizers/*")
                }
            },
            "locals": {"chalice_api_swagger": "<swagger>"},
            "terraform": {
                "required_version": ">= 1.0",
                "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.26"}}
            },
            "output": {
                "EndpointURL": {"value": "${aws_api_gateway_stage.rest_api.invoke_url}"},
                "RestAPIId": {"value": "${aws_api_gateway_rest_api.rest_api.id}"}
            }
        }),
    );
}

// 206
#[test]
fn terraform_private_api_with_vpce() {
    let template = terraform::template(&deployment(
        &sample_app_with_auth(),
        json!({"app_name": "sampleauth", "stages": {"dev": {
            "api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": ["vpce-1", "vpce-2"]}}}),
        "dev",
    ))
    .unwrap();
    let rest_api = &template["resource"]["aws_api_gateway_rest_api"]["rest_api"];
    assert_eq!(
        rest_api["endpoint_configuration"],
        json!({"types": ["PRIVATE"]})
    );
    let policy: Value = serde_json::from_str(rest_api["policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["aws:SourceVpce"],
        json!(["vpce-1", "vpce-2"])
    );
    assert_eq!(
        template["resource"]["aws_lambda_permission"]["myauth_invoke"]["function_name"],
        "${aws_lambda_function.myauth.arn}"
    );
    let swagger: Value =
        serde_json::from_str(template["locals"]["chalice_api_swagger"].as_str().unwrap()).unwrap();
    assert_eq!(
        swagger["x-amazon-apigateway-endpoint-configuration"],
        json!({"vpcEndpointIds": ["vpce-1", "vpce-2"]})
    );
}

fn variants_config() -> Value {
    // examples/authz-variants/.chalice/config.json
    json!({
        "version": "2.0",
        "app_name": "authz-variants",
        "environment_variables": {"GLOBAL_VAR": "global"},
        "lambda_functions": {"header_auth": {"lambda_timeout": 7}},
        "stages": {
            "dev": {
                "api_gateway_stage": "api",
                "lambda_timeout": 30,
                "lambda_memory_size": 256,
                "environment_variables": {"STAGE_VAR": "dev"},
                "lambda_functions": {"rich_auth": {
                    "lambda_memory_size": 512,
                    "lambda_timeout": 5,
                    "environment_variables": {"AUTH_ONLY_VAR": "yes"}
                }}
            },
            "prod": {
                "api_gateway_stage": "v1",
                "environment_variables": {"STAGE_VAR": "prod"},
                "lambda_functions": {"rich_auth": {
                    "iam_role_arn": "arn:aws:iam::123456789012:role/rich-auth"}}
            }
        }
    })
}

fn variants_manifest() -> Manifest {
    manifest(
        "authz-variants",
        vec![
            authorized("/admin", &["GET"], "rich_auth", &[]),
            authorized("/header", &["GET"], "header_auth", &[]),
        ],
        vec![builtin("header_auth"), builtin("rich_auth")],
    )
}

/// Reference §6, quirks confirmed by `chalice package`: per-function settings, the stage's
/// generic key beating a top-level per-function one, and a stage's per-function role.
#[test]
fn per_function_config_as_chalice_looks_it_up() {
    let dev = sam::template(&deployment(&variants_manifest(), variants_config(), "dev")).unwrap();
    let props = |template: &Value, id: &str| template["Resources"][id]["Properties"].clone();
    let rich = props(&dev, "RichAuth");
    assert_eq!(
        (rich["MemorySize"].clone(), rich["Timeout"].clone()),
        (json!(512), json!(5))
    );
    assert_json(
        &rich["Environment"],
        &json!({"Variables": {"AUTH_ONLY_VAR": "yes", "GLOBAL_VAR": "global", "STAGE_VAR": "dev"}}),
    );
    let header = props(&dev, "HeaderAuth");
    assert_eq!(
        (header["MemorySize"].clone(), header["Timeout"].clone()),
        (json!(256), json!(30))
    );
    let handler = props(&dev, "APIHandler");
    assert_json(
        &handler["Environment"],
        &json!({"Variables": {"GLOBAL_VAR": "global", "STAGE_VAR": "dev"}}),
    );
    assert_eq!(handler["Timeout"], 30);

    let prod = sam::template(&deployment(&variants_manifest(), variants_config(), "prod")).unwrap();
    assert_eq!(props(&prod, "HeaderAuth")["Timeout"], 7);
    assert_eq!(props(&prod, "APIHandler")["Timeout"], 60);
    assert_eq!(
        props(&prod, "RichAuth")["Role"],
        "arn:aws:iam::123456789012:role/rich-auth"
    );
    assert_eq!(
        props(&prod, "HeaderAuth")["Role"],
        json!({"Fn::GetAtt": ["DefaultRole", "Arn"]})
    );
    assert_eq!(
        prod["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"],
        "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1/"
    );
    assert_eq!(
        prod["Resources"]["RestAPI"]["Properties"]["StageName"],
        "v1"
    );
}

#[test]
fn config_tags_and_chalice_rs_tags() {
    let d = deployment(
        &demoauth(),
        json!({"app_name": "demoauth1", "tags": {"team": "auth"},
               "stages": {"dev": {"lambda_functions": {"demo_auth": {"tags": {"cost": "low"}}}}}}),
        "dev",
    );
    assert_json(
        &json!(d.functions[1].tags),
        &json!({"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev", "cost": "low", "team": "auth"}),
    );
    assert_json(
        &json!(d.functions[0].tags),
        &json!({"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev", "team": "auth"}),
    );
}

#[test]
fn no_managed_role_when_every_function_has_one() {
    for config in [
        json!({"app_name": "demoauth1", "stages": {"dev": {
            "iam_role_arn": "arn:aws:iam::123456789012:role/mine"}}}),
        json!({"app_name": "demoauth1", "stages": {"dev": {
            "manage_iam_role": false, "iam_role_arn": "arn:aws:iam::123456789012:role/mine"}}}),
    ] {
        let d = deployment(&demoauth(), config, "dev");
        assert!(d.roles.is_empty());
        let sam = sam::template(&d).unwrap();
        assert!(sam["Resources"].get("DefaultRole").is_none());
        assert_eq!(
            sam["Resources"]["DemoAuth"]["Properties"]["Role"],
            "arn:aws:iam::123456789012:role/mine"
        );
        let tf = terraform::template(&d).unwrap();
        assert!(tf["resource"].get("aws_iam_role").is_none());
        assert_eq!(
            tf["resource"]["aws_lambda_function"]["api_handler"]["role"],
            "arn:aws:iam::123456789012:role/mine"
        );
    }
}

/// `autogen_policy: false`: a role per function, its policy from `.chalice/` (Chalice's
/// `_create_role_reference`).
#[test]
fn autogen_policy_false_gives_each_function_its_own_role() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}"#;
    let scratch = Scratch::new(&[
        ("policy-dev.json", policy),
        ("auth.json", r#"{"Statement": []}"#),
    ]);
    let d = deployment_in(
        &scratch.0,
        &demoauth(),
        json!({"app_name": "demoauth1", "stages": {"dev": {
            "autogen_policy": false,
            "lambda_functions": {"demo_auth": {"iam_policy_file": "auth.json"}}}}}),
        "dev",
    )
    .unwrap();
    let sam = sam::template(&d).unwrap();
    let ids: Vec<&String> = sam["Resources"].as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        [
            "ApiHandlerRole",
            "DemoAuthRole",
            "DemoAuth",
            "RestAPI",
            "APIHandler",
            "APIHandlerInvokePermission",
            "DemoAuthInvokePermission"
        ]
    );
    assert_eq!(
        sam["Resources"]["DemoAuthRole"]["Properties"]["Policies"],
        json!([{"PolicyDocument": {"Statement": []}, "PolicyName": "DemoAuthRolePolicy"}])
    );
    assert_eq!(
        sam["Resources"]["APIHandler"]["Properties"]["Role"],
        json!({"Fn::GetAtt": ["ApiHandlerRole", "Arn"]})
    );
    let tf = terraform::template(&d).unwrap();
    assert_eq!(
        tf["resource"]["aws_iam_role"]["demo_auth_role"]["name"],
        "demoauth1-dev-demo_auth"
    );
    // IAM policy variables survive Terraform's template syntax.
    let tf_policy = tf["resource"]["aws_iam_role_policy"]["api_handler_role"]["policy"]
        .as_str()
        .unwrap();
    assert!(tf_policy.contains("b/$${aws:username}/*"), "{tf_policy}");

    let missing = deployment_in(
        &scratch.0,
        &demoauth(),
        json!({"app_name": "demoauth1", "stages": {"prod": {"autogen_policy": false}}}),
        "prod",
    )
    .unwrap_err()
    .to_string();
    assert!(
        missing.contains("policy-prod.json") && missing.contains("`api_handler`"),
        "{missing}"
    );
}

#[test]
fn settings_chalice_maps_to_template_properties() {
    let d = deployment(
        &demoauth(),
        json!({"app_name": "demoauth1", "stages": {"dev": {
            "lambda_architecture": "arm64",
            "xray": true,
            "subnet_ids": ["subnet-1"],
            "security_group_ids": ["sg-1"],
            "layers": ["arn:aws:lambda:us-west-2:123456789012:layer:l:1"],
            "log_retention_in_days": 14,
            "environment_variables": {"TEMPLATE": "${not-terraform}"},
            "lambda_functions": {"demo_auth": {"reserved_concurrency": 5}}}}}),
        "dev",
    );
    let sam = sam::template(&d).unwrap();
    let resources = &sam["Resources"];
    let ids: Vec<&String> = resources.as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        [
            "DefaultRole",
            "ApiHandlerLogGroup",
            "DemoAuthLogGroup",
            "DemoAuth",
            "RestAPI",
            "APIHandler",
            "APIHandlerInvokePermission",
            "DemoAuthInvokePermission"
        ]
    );
    // Chalice points the API handler's log group at `${ApiHandler}`, which is not in the
    // template after the rename; this one names the function that exists.
    assert_eq!(
        resources["ApiHandlerLogGroup"]["Properties"],
        json!({"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"}, "RetentionInDays": 14})
    );
    let auth = &resources["DemoAuth"]["Properties"];
    assert_json(
        auth,
        &json!({
            "Runtime": "provided.al2023",
            "Handler": "demo_auth",
            "CodeUri": "./deployment.zip",
            "Tags": {"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev"},
            "Tracing": "Active",
            "Timeout": 60,
            "MemorySize": 128,
            "Architectures": ["arm64"],
            "Environment": {"Variables": {"TEMPLATE": "${not-terraform}"}},
            "VpcConfig": {"SecurityGroupIds": ["sg-1"], "SubnetIds": ["subnet-1"]},
            "ReservedConcurrentExecutions": 5,
            "Layers": ["arn:aws:lambda:us-west-2:123456789012:layer:l:1"],
            "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}
        }),
    );
    let statements =
        &resources["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(statements.as_array().unwrap().len(), 3);

    let tf = terraform::template(&d).unwrap();
    let function = &tf["resource"]["aws_lambda_function"]["demo_auth"];
    assert_eq!(function["architectures"], json!(["arm64"]));
    assert_eq!(function["tracing_config"], json!({"mode": "Active"}));
    assert_eq!(function["reserved_concurrent_executions"], 5);
    assert_eq!(
        function["vpc_config"],
        json!({"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]})
    );
    assert_eq!(
        function["environment"]["variables"]["TEMPLATE"],
        "$${not-terraform}"
    );
    assert_eq!(
        tf["resource"]["aws_cloudwatch_log_group"]["demo_auth-log-group"],
        json!({"name": "/aws/lambda/demoauth1-dev-demo_auth", "retention_in_days": 14})
    );
}

#[test]
fn every_builtin_authorizer_gets_a_function_even_unused() {
    let d = deployment(
        &manifest(
            "app",
            vec![route("/", &["GET"])],
            vec![
                builtin("unused"),
                ManifestAuthorizer::Iam {
                    name: "sigv4".into(),
                },
            ],
        ),
        json!({"app_name": "app", "stages": {"dev": {}}}),
        "dev",
    );
    let names: Vec<&str> = d
        .functions
        .iter()
        .map(|f| f.function_name.as_str())
        .collect();
    assert_eq!(names, ["app-dev", "app-dev-unused"]);
    let sam = sam::template(&d).unwrap();
    assert!(sam["Resources"]["UnusedInvokePermission"].is_object());
    assert!(
        sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
            .get("securityDefinitions")
            .is_none()
    );
}

#[test]
fn an_app_without_routes_has_nothing_to_package() {
    let scratch = Scratch::new(&[]);
    let error = deployment_in(
        &scratch.0,
        &manifest("app", vec![], vec![builtin("a")]),
        json!({"app_name": "app", "stages": {"dev": {}}}),
        "dev",
    )
    .unwrap_err();
    assert!(error.to_string().contains("no routes"), "{error}");
}

#[test]
fn names_that_collide_in_a_template_are_errors() {
    let config = json!({"app_name": "app", "stages": {"dev": {}}});
    let sam_clash = deployment(
        &manifest(
            "app",
            vec![authorized("/", &["GET"], "demo-auth", &[])],
            vec![builtin("demo-auth"), builtin("demo_auth")],
        ),
        config.clone(),
        "dev",
    );
    let error = sam::template(&sam_clash).unwrap_err().to_string();
    assert!(error.contains("`DemoAuth`"), "{error}");

    let role_clash = deployment(
        &manifest(
            "app",
            vec![route("/", &["GET"])],
            vec![builtin("default_role")],
        ),
        config.clone(),
        "dev",
    );
    let error = sam::template(&role_clash).unwrap_err().to_string();
    assert!(error.contains("`DefaultRole`"), "{error}");

    let tf_clash = deployment(
        &manifest("app", vec![route("/", &["GET"])], vec![builtin("rest_api")]),
        config.clone(),
        "dev",
    );
    let error = terraform::template(&tf_clash).unwrap_err().to_string();
    assert!(error.contains("`rest_api_invoke`"), "{error}");

    let tf_name = deployment(
        &manifest("app", vec![route("/", &["GET"])], vec![builtin("1st")]),
        config.clone(),
        "dev",
    );
    let error = terraform::template(&tf_name).unwrap_err().to_string();
    assert!(error.contains("`1st`"), "{error}");

    // A name too long for Lambda is refused before either template is written.
    let long = "a".repeat(60);
    let scratch = Scratch::new(&[]);
    let error = deployment_in(
        &scratch.0,
        &manifest("app", vec![route("/", &["GET"])], vec![builtin(&long)]),
        config,
        "dev",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(&format!("`app-dev-{long}`")) && error.contains("64"),
        "{error}"
    );
}

#[test]
fn templates_are_deterministic() {
    let first = deployment(&variants_manifest(), variants_config(), "dev");
    let second = deployment(&variants_manifest(), variants_config(), "dev");
    assert_eq!(
        serde_json::to_string(&sam::template(&first).unwrap()).unwrap(),
        serde_json::to_string(&sam::template(&second).unwrap()).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&terraform::template(&first).unwrap()).unwrap(),
        serde_json::to_string(&terraform::template(&second).unwrap()).unwrap()
    );
}

fn keyed_config() -> Value {
    json!({"version": "2.0", "app_name": "demoauth1",
           "stages": {"dev": {"api_gateway_stage": "v1", "api_keys": ["local-secret-1", "local-secret-2"]}}})
}

#[test]
fn sam_usage_plan_and_generated_keys_pass_cfn_lint_when_the_config_names_keys() {
    let template = sam::template(&deployment(&demoauth(), keyed_config(), "dev")).unwrap();
    let resources = &template["Resources"];
    assert_json(
        &resources["UsagePlan"],
        &json!({"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "UsagePlanName": "demoauth1-dev",
            "ApiStages": [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}]
        }}),
    );
    for n in [1, 2] {
        assert_json(
            &resources[format!("ApiKey{n}")],
            &json!({"Type": "AWS::ApiGateway::ApiKey",
                    "Properties": {"Name": format!("demoauth1-dev-key-{n}"), "Enabled": true}}),
        );
        assert_json(
            &resources[format!("ApiKey{n}UsagePlanKey")],
            &json!({"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
                "KeyId": {"Ref": format!("ApiKey{n}")}, "KeyType": "API_KEY",
                "UsagePlanId": {"Ref": "UsagePlan"}
            }}),
        );
    }
    assert!(!template.to_string().contains("local-secret"));
    crate::test_support::assert_tool_passes("cfn-lint", "keyed.sam.json", &template);
}

#[test]
fn terraform_usage_plan_and_generated_keys_when_the_config_names_keys() {
    let template = terraform::template(&deployment(&demoauth(), keyed_config(), "dev")).unwrap();
    let resource = &template["resource"];
    assert_json(
        &resource["aws_api_gateway_usage_plan"],
        &json!({"rest_api": {"name": "demoauth1-dev", "api_stages": [{
            "api_id": "${aws_api_gateway_rest_api.rest_api.id}",
            "stage": "${aws_api_gateway_stage.rest_api.stage_name}"
        }]}}),
    );
    assert_json(
        &resource["aws_api_gateway_api_key"],
        &json!({"key_1": {"name": "demoauth1-dev-key-1", "enabled": true},
                "key_2": {"name": "demoauth1-dev-key-2", "enabled": true}}),
    );
    assert_json(
        &resource["aws_api_gateway_usage_plan_key"]["key_2"],
        &json!({"key_id": "${aws_api_gateway_api_key.key_2.id}", "key_type": "API_KEY",
                "usage_plan_id": "${aws_api_gateway_usage_plan.rest_api.id}"}),
    );
    assert!(!template.to_string().contains("local-secret"));
}

#[test]
fn no_usage_plan_without_configured_keys() {
    let sam = sam::template(&deployment(&demoauth(), demo_config(), "dev")).unwrap();
    assert!(sam["Resources"].get("UsagePlan").is_none());
    let tf = terraform::template(&deployment(&demoauth(), demo_config(), "dev")).unwrap();
    assert!(tf["resource"].get("aws_api_gateway_usage_plan").is_none());
}

/// A REST app with a CORS route behind an authorizer: the authorizer's 401/403 must carry
/// the CORS headers deployed as locally, so the template holds the 4xx/5xx gateway responses.
fn cors_app() -> Manifest {
    let mut cors = authorized("/cors", &["GET", "POST"], "myauth", &[]);
    cors.cors = true;
    manifest(
        "corsapp",
        vec![cors, route("/plain", &["GET"])],
        vec![builtin("myauth")],
    )
}

#[test]
fn a_cors_apps_sam_template_passes_cfn_lint_and_matches_its_snapshot() {
    let config = json!({"app_name": "corsapp", "stages": {"dev": {}}});
    let template = sam::template(&deployment(&cors_app(), config, "dev")).unwrap();
    let responses = &template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"];
    for response_type in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        assert_json(
            &responses[response_type],
            &json!({"responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Headers":
                    "'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'",
                "gatewayresponse.header.Access-Control-Allow-Origin": "'*'"
            }}),
        );
    }
    crate::test_support::assert_snapshot("src/package/snapshots", "cors-rest.sam.json", &template);
    crate::test_support::assert_tool_passes("cfn-lint", "cors-rest.sam.json", &template);
}

#[test]
fn a_cors_apps_terraform_body_carries_the_gateway_responses() {
    let config = json!({"app_name": "corsapp", "stages": {"dev": {}}});
    let tf = terraform::template(&deployment(&cors_app(), config, "dev")).unwrap();
    let swagger: Value =
        serde_json::from_str(tf["locals"]["chalice_api_swagger"].as_str().unwrap()).unwrap();
    assert_eq!(
        swagger["x-amazon-apigateway-gateway-responses"]["DEFAULT_4XX"]["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"],
        "'*'"
    );
}

/// A REST API's stage variables are the stage's in both templates (issue 17, finding 12), and
/// Terraform keeps a `${…}` in a value literal.
#[test]
fn rest_stage_variables_are_set_on_the_stage() {
    let config = json!({"app_name": "demoauth1", "stages": {
        "dev": {"stage_variables": {"env": "dev", "templ": "${x}"}}, "bare": {}}});
    let dev = deployment(&demoauth(), config.clone(), "dev");
    let sam = sam::template(&dev).unwrap();
    assert_eq!(
        sam["Resources"]["RestAPI"]["Properties"]["Variables"],
        json!({"env": "dev", "templ": "${x}"})
    );
    let terraform = terraform::template(&dev).unwrap();
    assert_eq!(
        terraform["resource"]["aws_api_gateway_stage"]["rest_api"]["variables"],
        json!({"env": "dev", "templ": "$${x}"})
    );
    let bare = deployment(&demoauth(), config, "bare");
    let sam = sam::template(&bare).unwrap();
    assert!(
        sam["Resources"]["RestAPI"]["Properties"]
            .get("Variables")
            .is_none()
    );
    let terraform = terraform::template(&bare).unwrap();
    assert!(
        terraform["resource"]["aws_api_gateway_stage"]["rest_api"]
            .get("variables")
            .is_none()
    );
}

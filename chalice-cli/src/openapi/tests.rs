//! Chalice's `tests/unit/deploy/test_swagger.py` (reference test cases, section D), restated
//! over the manifest, plus the shapes chalice-rs adds (REQUEST authorizers, OpenAPI 3).

use chalice_runtime::manifest::ManifestAuthorizer;
use serde_json::{Value, json};

use super::*;
use crate::model::api::DEFAULT_BINARY_TYPES;
use crate::test_support::{assert_json, authorized, builtin, demoauth, manifest, route};

const HANDLER_ARN: &str = "arn:aws:lambda:mars-west-1:123456789:function:lambda_arn";

/// Chalice's test generator: `SwaggerGenerator('us-west-2', {api_handler_arn, lambda_functions})`.
fn arns() -> Uris {
    Uris::Arns {
        region: "us-west-2".into(),
        api_handler: HANDLER_ARN.into(),
        authorizers: vec![(
            "myauth".into(),
            "arn:aws:lambda:mars-west-1:123456789:function:auth_arn".into(),
        )],
    }
}

fn swagger(manifest: &Manifest, uris: &Uris) -> Value {
    Api::new(manifest, uris, ApiSettings::chalice_defaults())
        .unwrap()
        .swagger()
}

fn custom(name: &str, invoke_role_arn: Option<&str>) -> ManifestAuthorizer {
    ManifestAuthorizer::Custom {
        name: name.into(),
        authorizer_uri: "auth-uri".into(),
        auth_type: "TOKEN".into(),
        header: "Authorization".into(),
        ttl_seconds: 300,
        invoke_role_arn: invoke_role_arn.map(str::to_owned),
        identity_sources: Vec::new(),
        scopes: Vec::new(),
        simple_responses: false,
    }
}

fn cognito() -> ManifestAuthorizer {
    ManifestAuthorizer::CognitoUserPools {
        name: "MyUserPool".into(),
        provider_arns: vec!["myarn".into()],
        header: "Authorization".into(),
        scopes: Vec::new(),
    }
}

fn builtin_myauth(header: &str) -> ManifestAuthorizer {
    ManifestAuthorizer::Builtin {
        name: "myauth".into(),
        function: "myauth".into(),
        auth_type: "TOKEN".into(),
        header: header.into(),
        ttl_seconds: Some(10),
        execution_role: Some("arn:role".into()),
        identity_sources: Vec::new(),
        simple_responses: false,
    }
}

// 104
#[test]
fn can_produce_swagger_top_level_keys() {
    let doc = swagger(
        &manifest("sample", vec![route("/", &["GET"])], vec![]),
        &arns(),
    );
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(doc["info"]["title"], "sample");
    assert_eq!(doc["schemes"], json!(["https"]));
    assert!(doc["paths"]["/"]["get"].is_object());
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "swagger",
            "info",
            "schemes",
            "paths",
            "definitions",
            "x-amazon-apigateway-binary-media-types"
        ]
    );
}

// 105, 106: the whole method, key order included.
#[test]
fn can_produce_doc_for_method_with_its_integration() {
    let doc = swagger(
        &manifest("sample", vec![route("/", &["GET"])], vec![]),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/"]["get"],
        &json!({
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "responses": {"200": {"description": "200 response",
                                  "schema": {"$ref": "#/definitions/Empty"}}},
            "x-amazon-apigateway-integration": {
                "responses": {"default": {"statusCode": "200"}},
                "uri": "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:mars-west-1:123456789:function:lambda_arn/invocations",
                "passthroughBehavior": "when_no_match",
                "httpMethod": "POST",
                "contentHandling": "CONVERT_TO_TEXT",
                "type": "aws_proxy"
            }
        }),
    );
}

// 107
#[test]
fn can_add_url_captures_to_params() {
    let doc = swagger(
        &manifest("sample", vec![route("/path/{capture}", &["GET"])], vec![]),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/path/{capture}"]["get"]["parameters"],
        &json!([{"name": "capture", "in": "path", "required": true, "type": "string"}]),
    );
}

// 108
#[test]
fn can_add_multiple_http_methods_and_views_on_one_path() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![route("/", &["GET", "POST"]), route("/", &["PUT"])],
            vec![],
        ),
        &arns(),
    );
    let path = doc["paths"]["/"].as_object().unwrap();
    assert_eq!(path.keys().collect::<Vec<_>>(), ["get", "post", "put"]);
    assert_eq!(path["get"], path["post"]);
    assert_eq!(path["get"], path["put"]);
}

#[test]
fn two_views_for_one_method_are_an_error() {
    let error = Api::new(
        &manifest(
            "sample",
            vec![route("/", &["GET"]), route("/", &["GET"])],
            vec![],
        ),
        &arns(),
        ApiSettings::chalice_defaults(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("GET /"), "{error}");
}

// 109
#[test]
fn adds_chalices_binary_media_types() {
    let doc = swagger(
        &manifest("sample", vec![route("/", &["GET"])], vec![]),
        &arns(),
    );
    assert_eq!(
        doc["x-amazon-apigateway-binary-media-types"],
        json!(DEFAULT_BINARY_TYPES)
    );
    assert_eq!(
        doc["x-amazon-apigateway-binary-media-types"][0],
        "application/octet-stream"
    );
}

// 110
#[test]
fn can_add_api_key() {
    let mut keyed = route("/", &["GET"]);
    keyed.api_key_required = true;
    let doc = swagger(&manifest("sample", vec![keyed], vec![]), &arns());
    assert_json(
        &doc["paths"]["/"]["get"]["security"],
        &json!([{"api_key": []}]),
    );
    assert_json(
        &doc["securityDefinitions"],
        &json!({"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}),
    );
}

// 111
#[test]
fn can_use_authorizer_object() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/auth", &["GET"], "MyAuth", &[])],
            vec![custom("MyAuth", None)],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/auth"]["get"]["security"],
        &json!([{"MyAuth": []}]),
    );
    assert_json(
        &doc["securityDefinitions"]["MyAuth"],
        &json!({
            "in": "header",
            "type": "apiKey",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "auth-uri",
                "authorizerResultTtlInSeconds": 300
            }
        }),
    );
}

// 112
#[test]
fn can_use_authorizer_object_with_role_arn() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/auth", &["GET"], "MyAuth", &[])],
            vec![custom("MyAuth", Some("role-arn"))],
        ),
        &arns(),
    );
    assert_json(
        &doc["securityDefinitions"]["MyAuth"]["x-amazon-apigateway-authorizer"],
        &json!({
            "type": "token",
            "authorizerUri": "auth-uri",
            "authorizerResultTtlInSeconds": 300,
            "authorizerCredentials": "role-arn"
        }),
    );
}

// 113, 114: scopes go in the route's security only.
#[test]
fn can_use_authorizer_object_scopes() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized(
                "/auth",
                &["GET"],
                "MyAuth",
                &["write:test", "read:test"],
            )],
            vec![custom("MyAuth", None)],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/auth"]["get"]["security"],
        &json!([{"MyAuth": ["write:test", "read:test"]}]),
    );
    assert!(
        !doc["securityDefinitions"]["MyAuth"]
            .to_string()
            .contains("write:test")
    );
}

// 115, 116
#[test]
fn can_use_api_key_and_authorizers_with_scopes() {
    let mut both = authorized("/auth", &["GET"], "MyAuth", &["write:test", "read:test"]);
    both.api_key_required = true;
    let doc = swagger(
        &manifest("sample", vec![both], vec![custom("MyAuth", None)]),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/auth"]["get"]["security"],
        &json!([{"api_key": []}, {"MyAuth": ["write:test", "read:test"]}]),
    );
    let names: Vec<&String> = doc["securityDefinitions"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["MyAuth", "api_key"]);
}

// 117
#[test]
fn can_use_iam_authorizer_object() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/iam", &["GET"], "sigv4", &[])],
            vec![ManifestAuthorizer::Iam {
                name: "sigv4".into(),
            }],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/iam"]["get"]["security"],
        &json!([{"sigv4": []}]),
    );
    assert_json(
        &doc["securityDefinitions"]["sigv4"],
        &json!({"in": "header", "type": "apiKey", "name": "Authorization",
                "x-amazon-apigateway-authtype": "awsSigv4"}),
    );
}

// 118, 119
#[test]
fn can_use_cognito_auth_object_with_and_without_scopes() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![
                authorized("/a", &["GET"], "MyUserPool", &[]),
                authorized("/b", &["GET"], "MyUserPool", &["write:test", "read:test"]),
            ],
            vec![cognito()],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/a"]["get"]["security"],
        &json!([{"MyUserPool": []}]),
    );
    assert_json(
        &doc["paths"]["/b"]["get"]["security"],
        &json!([{"MyUserPool": ["write:test", "read:test"]}]),
    );
    assert_json(
        &doc["securityDefinitions"],
        &json!({"MyUserPool": {
            "in": "header",
            "type": "apiKey",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": ["myarn"]}
        }}),
    );
}

// 120
#[test]
fn auth_defined_for_multiple_methods_once() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![
                authorized("/pool1", &["GET"], "MyUserPool", &[]),
                authorized("/pool2", &["GET", "POST"], "MyUserPool", &[]),
            ],
            vec![cognito()],
        ),
        &arns(),
    );
    assert_eq!(doc["securityDefinitions"].as_object().unwrap().len(), 1);
}

#[test]
fn no_security_definitions_without_security() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![route("/", &["GET"])],
            vec![builtin("unused")],
        ),
        &arns(),
    );
    assert!(doc.get("securityDefinitions").is_none());
}

// 121, 124: the ARN of the authorizer's Lambda, found by the authorizer's name.
#[test]
fn builtin_auth() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/auth", &["GET"], "myauth", &[])],
            vec![builtin_myauth("Authorization")],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/auth"]["get"]["security"],
        &json!([{"myauth": []}]),
    );
    assert_json(
        &doc["securityDefinitions"]["myauth"],
        &json!({
            "in": "header",
            "type": "apiKey",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:mars-west-1:123456789:function:auth_arn/invocations",
                "authorizerCredentials": "arn:role",
                "authorizerResultTtlInSeconds": 10
            }
        }),
    );
}

// 122
#[test]
fn builtin_auth_with_custom_header() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/auth", &["GET"], "myauth", &[])],
            vec![builtin_myauth("FOO")],
        ),
        &arns(),
    );
    assert_eq!(doc["securityDefinitions"]["myauth"]["name"], "FOO");
}

// 123
#[test]
fn builtin_auth_with_scopes() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized(
                "/auth",
                &["GET"],
                "myauth",
                &["write:test", "read:test"],
            )],
            vec![builtin_myauth("Authorization")],
        ),
        &arns(),
    );
    assert_json(
        &doc["paths"]["/auth"]["get"]["security"],
        &json!([{"myauth": ["write:test", "read:test"]}]),
    );
}

#[test]
fn an_unknown_authorizer_arn_is_an_error() {
    let error = Api::new(
        &manifest(
            "sample",
            vec![authorized("/", &["GET"], "auth", &[])],
            vec![builtin("auth")],
        ),
        &arns(),
        ApiSettings::chalice_defaults(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("`auth`"), "{error}");
}

#[test]
fn a_route_naming_an_undeclared_authorizer_is_an_error() {
    let error = Api::new(
        &manifest(
            "sample",
            vec![authorized("/x", &["GET"], "ghost", &[])],
            vec![],
        ),
        &arns(),
        ApiSettings::chalice_defaults(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("`ghost`") && error.to_string().contains("/x"),
        "{error}"
    );
}

// 125
#[test]
fn builtin_auth_with_cfn() {
    let mut auth = builtin_myauth("Authorization");
    if let ManifestAuthorizer::Builtin { name, .. } = &mut auth {
        *name = "auth".into();
    }
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/", &["GET"], "auth", &[])],
            vec![auth],
        ),
        &Uris::CloudFormation,
    );
    assert_json(
        &doc["securityDefinitions"]["auth"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
        &json!({"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Auth.Arn}/invocations"}),
    );
    assert_json(
        &doc["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["uri"],
        &json!({"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandler.Arn}/invocations"}),
    );
}

// 126
#[test]
fn builtin_auth_with_tf() {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/", &["GET"], "auth", &[])],
            vec![builtin("auth")],
        ),
        &Uris::Terraform,
    );
    assert_eq!(
        doc["securityDefinitions"]["auth"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
        "${aws_lambda_function.auth.invoke_arn}"
    );
    assert_eq!(
        doc["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["uri"],
        "${aws_lambda_function.api_handler.invoke_arn}"
    );
}

#[test]
fn templated_uris_as_chalice_generate_models() {
    let doc = swagger(&demoauth(), &Uris::Templated);
    assert_eq!(
        doc["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["uri"],
        "arn:{partition}:apigateway:{region_name}:lambda:path/2015-03-31/functions/{api_handler_lambda_arn}/invocations"
    );
    assert_eq!(
        doc["securityDefinitions"]["demo_auth"]["x-amazon-apigateway-authorizer"]["authorizerUri"],
        "arn:{partition}:apigateway:{region_name}:lambda:path/2015-03-31/functions/{demo_auth_lambda_arn}/invocations"
    );
}

// 127
#[test]
fn resource_policy_and_vpc_endpoints() {
    let settings = ApiSettings {
        policy: Some(json!({"Statement": []})),
        vpce_ids: vec!["vpce-1".into()],
        ..ApiSettings::chalice_defaults()
    };
    let doc = Api::new(&demoauth(), &Uris::CloudFormation, settings)
        .unwrap()
        .swagger();
    assert_eq!(doc["x-amazon-apigateway-policy"], json!({"Statement": []}));
    assert_eq!(
        doc["x-amazon-apigateway-endpoint-configuration"],
        json!({"vpcEndpointIds": ["vpce-1"]})
    );
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys[5..],
        [
            "x-amazon-apigateway-binary-media-types",
            "securityDefinitions",
            "x-amazon-apigateway-policy",
            "x-amazon-apigateway-endpoint-configuration"
        ]
    );
}

/// The guide's app, as `chalice package` writes its DefinitionBody (reference §3, §4.6).
#[test]
fn demoauth_definition_body() {
    let mut doc = swagger(&demoauth(), &Uris::CloudFormation);
    doc.as_object_mut().unwrap().insert(
        "x-amazon-apigateway-binary-media-types".into(),
        json!(["..."]),
    );
    let uri = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandler.Arn}/invocations";
    assert_json(
        &doc,
        &json!({
            "swagger": "2.0",
            "info": {"version": "1.0", "title": "demoauth1"},
            "schemes": ["https"],
            "paths": {"/": {"get": {
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "responses": {"200": {"description": "200 response",
                                      "schema": {"$ref": "#/definitions/Empty"}}},
                "x-amazon-apigateway-integration": {
                    "responses": {"default": {"statusCode": "200"}},
                    "uri": {"Fn::Sub": uri},
                    "passthroughBehavior": "when_no_match",
                    "httpMethod": "POST",
                    "contentHandling": "CONVERT_TO_TEXT",
                    "type": "aws_proxy"
                },
                "security": [{"demo_auth": []}]
            }}},
            "definitions": {"Empty": {"type": "object", "title": "Empty Schema"}},
            "x-amazon-apigateway-binary-media-types": ["..."],
            "securityDefinitions": {"demo_auth": {
                "in": "header",
                "type": "apiKey",
                "name": "Authorization",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${DemoAuth.Arn}/invocations"}
                }
            }}
        }),
    );
}

#[test]
fn builtin_ttl_zero_is_kept_and_none_is_left_out() {
    let mut header_auth = builtin("header_auth");
    if let ManifestAuthorizer::Builtin {
        header,
        ttl_seconds,
        ..
    } = &mut header_auth
    {
        *header = "X-Api-Token".into();
        *ttl_seconds = Some(0);
    }
    let doc = swagger(
        &manifest(
            "authz-variants",
            vec![authorized("/header", &["GET"], "header_auth", &[])],
            vec![header_auth],
        ),
        &Uris::Terraform,
    );
    assert_json(
        &doc["securityDefinitions"]["header_auth"],
        &json!({
            "in": "header",
            "type": "apiKey",
            "name": "X-Api-Token",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "${aws_lambda_function.header_auth.invoke_arn}",
                "authorizerResultTtlInSeconds": 0
            }
        }),
    );
}

fn request_builtin(sources: &[&str]) -> ManifestAuthorizer {
    ManifestAuthorizer::Builtin {
        name: "tenant_auth".into(),
        function: "tenant_auth".into(),
        auth_type: "REQUEST".into(),
        header: "Authorization".into(),
        ttl_seconds: None,
        execution_role: None,
        identity_sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        simple_responses: false,
    }
}

fn request_scheme(sources: &[&str]) -> Value {
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/t", &["GET"], "tenant_auth", &[])],
            vec![request_builtin(sources)],
        ),
        &Uris::Terraform,
    );
    doc["securityDefinitions"]["tenant_auth"].clone()
}

#[test]
fn request_authorizers_list_their_identity_sources() {
    assert_json(
        &request_scheme(&["header.X-Tenant", "querystring.key"]),
        &json!({
            "in": "header",
            "type": "apiKey",
            "name": "Unused",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "authorizerUri": "${aws_lambda_function.tenant_auth.invoke_arn}",
                "identitySource": "method.request.header.X-Tenant,method.request.querystring.key"
            }
        }),
    );
    let one_header = request_scheme(&["header.X-Tenant"]);
    assert_eq!(
        (&one_header["in"], &one_header["name"]),
        (&json!("header"), &json!("X-Tenant"))
    );
    let one_query = request_scheme(&["querystring.key"]);
    assert_eq!(
        (&one_query["in"], &one_query["name"]),
        (&json!("query"), &json!("key"))
    );
    let stage_var = request_scheme(&["stageVariables.tier"]);
    assert_eq!(
        (&stage_var["in"], &stage_var["name"]),
        (&json!("header"), &json!("Unused"))
    );
    assert_eq!(
        stage_var["x-amazon-apigateway-authorizer"]["identitySource"],
        "stageVariables.tier"
    );
}

#[test]
fn request_custom_authorizer() {
    let external = ManifestAuthorizer::Custom {
        name: "Ext".into(),
        authorizer_uri: "auth-uri".into(),
        auth_type: "REQUEST".into(),
        header: "Authorization".into(),
        ttl_seconds: 0,
        invoke_role_arn: Some("role-arn".into()),
        identity_sources: vec!["context.identity.sourceIp".into()],
        scopes: Vec::new(),
        simple_responses: false,
    };
    let doc = swagger(
        &manifest(
            "sample",
            vec![authorized("/", &["GET"], "Ext", &[])],
            vec![external],
        ),
        &arns(),
    );
    assert_json(
        &doc["securityDefinitions"]["Ext"]["x-amazon-apigateway-authorizer"],
        &json!({
            "type": "request",
            "authorizerUri": "auth-uri",
            "authorizerResultTtlInSeconds": 0,
            "authorizerCredentials": "role-arn",
            "identitySource": "context.identity.sourceIp"
        }),
    );
}

#[test]
fn a_request_authorizer_without_sources_or_an_unknown_type_is_an_error() {
    for (auth, expected) in [
        (request_builtin(&[]), "without identity sources"),
        (
            ManifestAuthorizer::Builtin {
                name: "tenant_auth".into(),
                function: "tenant_auth".into(),
                auth_type: "COOKIE".into(),
                header: "Authorization".into(),
                ttl_seconds: None,
                execution_role: None,
                identity_sources: Vec::new(),
                simple_responses: false,
            },
            "\"COOKIE\"",
        ),
    ] {
        let error = Api::new(
            &manifest(
                "s",
                vec![authorized("/", &["GET"], "tenant_auth", &[])],
                vec![auth],
            ),
            &Uris::Terraform,
            ApiSettings::chalice_defaults(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`tenant_auth`") && error.contains(expected),
            "{error}"
        );
    }
}

fn cors_manifest() -> Manifest {
    let mut get_post = authorized("/cors", &["GET", "POST"], "MyUserPool", &[]);
    get_post.cors = Some(chalice_runtime::cors::CorsSettings::default());
    manifest(
        "sample",
        vec![get_post, route("/cors", &["DELETE"])],
        vec![cognito()],
    )
}

#[test]
fn cors_preflight_is_a_mock_without_security() {
    let doc = swagger(&cors_manifest(), &Uris::Terraform);
    let path = doc["paths"]["/cors"].as_object().unwrap();
    assert_eq!(
        path.keys().collect::<Vec<_>>(),
        ["get", "post", "delete", "options"]
    );
    assert_json(
        &path["options"],
        &json!({
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "responses": {"200": {
                "description": "200 response",
                "schema": {"$ref": "#/definitions/Empty"},
                "headers": {
                    "Access-Control-Allow-Methods": {"type": "string"},
                    "Access-Control-Allow-Origin": {"type": "string"},
                    "Access-Control-Allow-Headers": {"type": "string"}
                }
            }},
            "x-amazon-apigateway-integration": {
                "responses": {"default": {
                    "statusCode": "200",
                    "responseParameters": {
                        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                        "method.response.header.Access-Control-Allow-Origin": "'*'",
                        "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'"
                    }
                }},
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "passthroughBehavior": "when_no_match",
                "type": "mock",
                "contentHandling": "CONVERT_TO_TEXT"
            }
        }),
    );
}

#[test]
fn a_cors_api_answers_its_own_4xx_and_5xx_with_the_cors_headers() {
    let doc = swagger(&cors_manifest(), &Uris::Terraform);
    let parameters = json!({"responseParameters": {
        "gatewayresponse.header.Access-Control-Allow-Headers":
            "'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'",
        "gatewayresponse.header.Access-Control-Allow-Origin": "'*'"
    }});
    assert_json(
        &doc["x-amazon-apigateway-gateway-responses"],
        &json!({"DEFAULT_4XX": parameters, "DEFAULT_5XX": parameters}),
    );
    let plain = swagger(
        &manifest("s", vec![route("/", &["GET"])], vec![]),
        &Uris::Terraform,
    );
    assert!(plain.get("x-amazon-apigateway-gateway-responses").is_none());
}

#[test]
fn openapi3_carries_the_same_operations() {
    let api = Api::new(
        &cors_manifest(),
        &Uris::Terraform,
        ApiSettings::chalice_defaults(),
    )
    .unwrap();
    let swagger = api.swagger();
    let doc = api.openapi3();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "openapi",
            "info",
            "paths",
            "components",
            "x-amazon-apigateway-binary-media-types",
            "x-amazon-apigateway-gateway-responses"
        ]
    );
    assert_eq!(
        doc["x-amazon-apigateway-gateway-responses"],
        swagger["x-amazon-apigateway-gateway-responses"]
    );
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(
        doc["components"]["securitySchemes"],
        swagger["securityDefinitions"]
    );
    let get = &doc["paths"]["/cors"]["get"];
    assert_json(
        get,
        &json!({
            "responses": {"200": {"description": "200 response", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}}}},
            "security": [{"MyUserPool": []}],
            "x-amazon-apigateway-integration":
                swagger["paths"]["/cors"]["get"]["x-amazon-apigateway-integration"].clone()
        }),
    );
    let options = &doc["paths"]["/cors"]["options"];
    assert_eq!(
        options["responses"]["200"]["headers"]["Access-Control-Allow-Origin"],
        json!({"schema": {"type": "string"}})
    );
    assert_eq!(
        options["x-amazon-apigateway-integration"],
        swagger["paths"]["/cors"]["options"]["x-amazon-apigateway-integration"]
    );
    assert!(options.get("security").is_none());
}

#[test]
fn openapi3_path_parameters_have_schemas() {
    let doc = Api::new(
        &manifest("s", vec![route("/items/{id}", &["GET"])], vec![]),
        &Uris::Terraform,
        ApiSettings::chalice_defaults(),
    )
    .unwrap()
    .openapi3();
    assert_json(
        &doc["paths"]["/items/{id}"]["get"]["parameters"],
        &json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]),
    );
}

#[test]
fn invocation_uris_need_lambda_arns() {
    assert_eq!(
        invocation_uri("cn-north-1", "arn:aws-cn:lambda:cn-north-1:1:function:f").unwrap(),
        "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:1:function:f/invocations"
    );
    let error = invocation_uri("us-west-2", "my-function").unwrap_err();
    assert!(error.to_string().contains("\"my-function\""), "{error}");
}

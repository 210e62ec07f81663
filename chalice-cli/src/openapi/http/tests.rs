//! The HTTP API's OpenAPI 3.0 document: the example's pinned in `snapshots/` and validated by
//! `openapi-spec-validator`, each authorizer kind's scheme key for key, and the URIs of each
//! place the document goes.

use serde_json::json;

use super::*;
use crate::model::http_api::HttpSettings;
use crate::test_support::{
    assert_json, assert_snapshot, assert_tool_passes, http_variants, httpapi1,
};

const SNAPSHOTS: &str = "src/openapi/snapshots";

fn settings() -> HttpSettings {
    HttpSettings {
        stage_name: "api".into(),
        stage_variables: Default::default(),
        tags: Default::default(),
    }
}

fn definition(manifest: &chalice_runtime::manifest::Manifest, uris: &Uris) -> Value {
    let api = HttpApi::new(manifest, settings()).unwrap();
    HttpDefinition::of(&api, uris).unwrap().openapi3()
}

fn arns() -> Uris {
    Uris::Arns {
        region: "us-west-2".into(),
        api_handler: "arn:aws:lambda:us-west-2:123456789012:function:httpapi1-dev".into(),
        authorizers: vec![(
            "gate".into(),
            "arn:aws:lambda:us-west-2:123456789012:function:httpapi1-dev-gate".into(),
        )],
    }
}

#[test]
fn the_examples_document_validates_and_matches_its_snapshot() {
    let doc = definition(&httpapi1(), &Uris::Templated);
    assert_snapshot(SNAPSHOTS, "httpapi1.openapi3.json", &doc);
    assert_tool_passes("openapi-spec-validator", "httpapi1.openapi3.json", &doc);
}

#[test]
fn the_variants_document_validates_and_matches_its_snapshot() {
    let doc = definition(&http_variants(), &Uris::CloudFormation);
    assert_snapshot(SNAPSHOTS, "variants-http.openapi3.json", &doc);
    assert_tool_passes(
        "openapi-spec-validator",
        "variants-http.openapi3.json",
        &doc,
    );
    // An ANY route is API Gateway's any-method operation; CORS is the API's.
    assert!(doc["paths"]["/ext/{proxy+}"][ANY_METHOD].is_object());
    assert_eq!(
        doc["x-amazon-apigateway-cors"]["allowMethods"],
        json!(["GET", "PUT", "OPTIONS"])
    );
    // Every setting of the app's CORS configuration.
    let cors = &doc["x-amazon-apigateway-cors"];
    assert_eq!(cors["allowOrigins"], json!(["https://app.example"]));
    assert_eq!(cors["exposeHeaders"], json!(["X-Request-Id"]));
    assert_eq!(cors["maxAge"], 600);
    assert_eq!(cors["allowCredentials"], true);
}

#[test]
fn a_jwt_authorizer_is_an_oauth2_scheme_and_routes_ask_for_their_scopes() {
    let doc = definition(&httpapi1(), &arns());
    assert_json(
        &doc["components"]["securitySchemes"]["jwt"],
        &json!({
            "type": "oauth2",
            "flows": {},
            "x-amazon-apigateway-authorizer": {
                "type": "jwt",
                "jwtConfiguration": {"issuer": "https://issuer.example.com", "audience": ["orders-api"]},
                "identitySource": "$request.header.Authorization"
            }
        }),
    );
    assert_eq!(
        doc["paths"]["/orders/{id}"]["get"]["security"],
        json!([{"jwt": ["orders/read"]}])
    );
    assert_eq!(
        doc["paths"]["/orders"]["post"]["security"],
        json!([{"jwt": ["orders/write"]}])
    );
    assert!(doc["paths"]["/health"]["get"].get("security").is_none());
}

#[test]
fn a_lambda_authorizer_is_a_payload_2_request_scheme() {
    let doc = definition(&httpapi1(), &arns());
    assert_json(
        &doc["components"]["securitySchemes"]["gate"],
        &json!({
            "type": "apiKey",
            "name": "X-Token",
            "in": "header",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "identitySource": "$request.header.X-Token",
                "authorizerUri": "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:httpapi1-dev-gate/invocations",
                "authorizerPayloadFormatVersion": "2.0",
                "authorizerResultTtlInSeconds": 300,
                "enableSimpleResponses": true
            }
        }),
    );
    assert_eq!(
        doc["paths"]["/profile"]["get"]["security"],
        json!([{"gate": []}])
    );
    let variants = definition(&http_variants(), &Uris::Terraform);
    let ext = &variants["components"]["securitySchemes"]["ext"];
    assert_eq!(
        (&ext["in"], &ext["name"]),
        (&json!("header"), &json!("Unused"))
    );
    let authorizer = &ext["x-amazon-apigateway-authorizer"];
    assert_eq!(
        authorizer["identitySource"],
        "$request.querystring.key,$context.identity.sourceIp"
    );
    assert_eq!(
        authorizer["authorizerCredentials"],
        "arn:aws:iam::123456789012:role/invoke"
    );
    assert_eq!(
        variants["components"]["securitySchemes"]["policy_auth"]["x-amazon-apigateway-authorizer"]
            ["authorizerUri"],
        "${aws_lambda_function.policy_auth.invoke_arn}"
    );
    // Scopes on a Lambda-authorized route are not API Gateway's to check.
    assert_eq!(
        variants["paths"]["/ext/{proxy+}"][ANY_METHOD]["security"],
        json!([{"ext": []}])
    );
}

#[test]
fn iam_routes_use_the_sigv4_scheme_and_every_route_is_a_payload_2_proxy() {
    let doc = definition(&httpapi1(), &arns());
    assert_json(
        &doc["components"]["securitySchemes"]["sigv4"],
        &json!({"type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "awsSigv4"}),
    );
    assert_json(
        &doc["paths"]["/orders/{id}"]["get"],
        &json!({
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"default": {"description": "Default response"}},
            "security": [{"jwt": ["orders/read"]}],
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:httpapi1-dev/invocations",
                "payloadFormatVersion": "2.0"
            }
        }),
    );
}

#[test]
fn an_http_api_is_openapi3_by_default_and_refuses_swagger() {
    let api = crate::model::Api::Http(HttpApi::new(&httpapi1(), settings()).unwrap());
    let definition = crate::openapi::Definition::of(&api, &Uris::Templated).unwrap();
    assert_eq!(definition.document(None).unwrap()["openapi"], "3.0.1");
    let error = definition
        .document(Some(crate::openapi::SpecFormat::Swagger))
        .unwrap_err()
        .to_string();
    assert!(error.contains("--format openapi3"), "{error}");
}

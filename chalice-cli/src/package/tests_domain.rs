//! The custom domain (`api_gateway_custom_domain`) in both templates: the domain name with the
//! certificate in the field its endpoint type takes, the security policy, the base path
//! mapping to the API's stage, and the alias target DNS should point at.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::test_support::{assert_json, assert_snapshot, assert_tool_passes, demoauth};

const EDGE_CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/edge";
const REGIONAL_CERT: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/regional";

fn model(stage: Value) -> Model {
    let config = json!({"version": "2.0", "app_name": "demoauth1", "stages": {"dev": stage}});
    let config = Config::parse(&config.to_string(), Path::new(".chalice/config.json")).unwrap();
    let read = |file: &str| -> Result<Value> { Err(Error::new(format!("{file}: not here"))) };
    Model::resolve_with(&demoauth(), &config.stage("dev").unwrap(), &read).unwrap()
}

fn edge() -> Model {
    model(json!({"api_gateway_custom_domain": {
        "domain_name": "api.example.com", "certificate_arn": EDGE_CERT, "tags": {"team": "web"}}}))
}

fn regional() -> Model {
    model(
        json!({"api_gateway_endpoint_type": "REGIONAL", "api_gateway_stage": "v1",
        "api_gateway_custom_domain": {"domain_name": "shop.example.com",
        "certificate_arn": REGIONAL_CERT, "url_prefix": "orders", "tls_version": "TLS_1_0"}}),
    )
}

#[test]
fn sam_an_edge_domain_takes_certificate_arn_and_maps_the_root_to_the_stage() {
    let template = sam::template(&edge()).unwrap();
    let resources = &template["Resources"];
    assert_json(
        &resources["ApiGatewayCustomDomain"],
        &json!({"Type": "AWS::ApiGateway::DomainName", "Properties": {
            "DomainName": "api.example.com",
            "EndpointConfiguration": {"Types": ["EDGE"]},
            "CertificateArn": EDGE_CERT,
            "SecurityPolicy": "TLS_1_2",
            "Tags": [
                {"Key": "chalice-rs:app", "Value": "demoauth1"},
                {"Key": "chalice-rs:stage", "Value": "dev"},
                {"Key": "team", "Value": "web"}
            ]
        }}),
    );
    assert_json(
        &resources["ApiGatewayCustomDomainMapping"],
        &json!({"Type": "AWS::ApiGateway::BasePathMapping", "Properties": {
            "DomainName": {"Ref": "ApiGatewayCustomDomain"},
            "RestApiId": {"Ref": "RestAPI"},
            "Stage": {"Ref": "RestAPI.Stage"}
        }}),
    );
    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["AliasDomainName"],
        json!({"Value": {"Fn::GetAtt": ["ApiGatewayCustomDomain", "DistributionDomainName"]}})
    );
    assert_eq!(
        outputs["HostedZoneId"],
        json!({"Value": {"Fn::GetAtt": ["ApiGatewayCustomDomain", "DistributionHostedZoneId"]}})
    );
    assert_eq!(
        outputs["CustomDomainURL"],
        json!({"Value": "https://api.example.com/"})
    );
    assert_snapshot("src/package/snapshots", "domain-edge.sam.json", &template);
    assert_tool_passes("cfn-lint", "domain-edge.sam.json", &template);
}

#[test]
fn sam_a_regional_domain_takes_regional_certificate_arn_its_policy_and_base_path() {
    let template = sam::template(&regional()).unwrap();
    let properties = &template["Resources"]["ApiGatewayCustomDomain"]["Properties"];
    assert_eq!(properties["RegionalCertificateArn"], REGIONAL_CERT);
    assert!(properties.get("CertificateArn").is_none());
    assert_eq!(
        properties["EndpointConfiguration"],
        json!({"Types": ["REGIONAL"]})
    );
    assert_eq!(properties["SecurityPolicy"], "TLS_1_0");
    assert_eq!(
        template["Resources"]["ApiGatewayCustomDomainMapping"]["Properties"]["BasePath"],
        "orders"
    );
    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["AliasDomainName"]["Value"]["Fn::GetAtt"],
        json!(["ApiGatewayCustomDomain", "RegionalDomainName"])
    );
    assert_eq!(
        outputs["HostedZoneId"]["Value"]["Fn::GetAtt"],
        json!(["ApiGatewayCustomDomain", "RegionalHostedZoneId"])
    );
    assert_eq!(
        outputs["CustomDomainURL"]["Value"],
        "https://shop.example.com/orders/"
    );
    assert_tool_passes("cfn-lint", "domain-regional.sam.json", &template);
}

#[test]
fn terraform_a_regional_domain_and_its_mapping_to_the_stage() {
    let template = terraform::template(&regional()).unwrap();
    let resource = &template["resource"];
    assert_json(
        &resource["aws_api_gateway_domain_name"],
        &json!({"api_gateway_custom_domain": {
            "domain_name": "shop.example.com",
            "endpoint_configuration": {"types": ["REGIONAL"]},
            "regional_certificate_arn": REGIONAL_CERT,
            "security_policy": "TLS_1_0",
            "tags": {"chalice-rs:app": "demoauth1", "chalice-rs:stage": "dev"}
        }}),
    );
    assert_json(
        &resource["aws_api_gateway_base_path_mapping"],
        &json!({"api_gateway_custom_domain_mapping": {
            "api_id": "${aws_api_gateway_rest_api.rest_api.id}",
            "stage_name": "${aws_api_gateway_stage.rest_api.stage_name}",
            "domain_name": "${aws_api_gateway_domain_name.api_gateway_custom_domain.domain_name}",
            "base_path": "orders"
        }}),
    );
    let output = &template["output"];
    assert_eq!(
        output["AliasDomainName"]["value"],
        "${aws_api_gateway_domain_name.api_gateway_custom_domain.regional_domain_name}"
    );
    assert_eq!(
        output["HostedZoneId"]["value"],
        "${aws_api_gateway_domain_name.api_gateway_custom_domain.regional_zone_id}"
    );
    assert_snapshot(
        "src/package/snapshots",
        "domain-regional.tf.json",
        &template,
    );
}

#[test]
fn terraform_an_edge_domain_takes_certificate_arn_and_points_dns_at_cloudfront() {
    let template = terraform::template(&edge()).unwrap();
    let domain = &template["resource"]["aws_api_gateway_domain_name"]["api_gateway_custom_domain"];
    assert_eq!(domain["certificate_arn"], EDGE_CERT);
    assert!(domain.get("regional_certificate_arn").is_none());
    assert_eq!(domain["security_policy"], "TLS_1_2");
    assert!(
        template["resource"]["aws_api_gateway_base_path_mapping"]["api_gateway_custom_domain_mapping"]
            .get("base_path")
            .is_none()
    );
    assert_eq!(
        template["output"]["AliasDomainName"]["value"],
        "${aws_api_gateway_domain_name.api_gateway_custom_domain.cloudfront_domain_name}"
    );
    assert_eq!(
        template["output"]["HostedZoneId"]["value"],
        "${aws_api_gateway_domain_name.api_gateway_custom_domain.cloudfront_zone_id}"
    );
}

#[test]
fn no_custom_domain_no_domain_resources_nor_outputs() {
    let plain = model(json!({}));
    let sam = sam::template(&plain).unwrap();
    assert!(sam["Resources"].get("ApiGatewayCustomDomain").is_none());
    assert!(sam["Outputs"].get("AliasDomainName").is_none());
    let tf = terraform::template(&plain).unwrap();
    assert!(tf["resource"].get("aws_api_gateway_domain_name").is_none());
    assert!(tf["output"].get("AliasDomainName").is_none());
}

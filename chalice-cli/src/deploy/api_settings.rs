//! The REST API's own settings from the stage's config, as the model resolves them
//! ([`ApiSettings`]): the resource policy (`api_gateway_policy_file`, or Chalice's policy for
//! a PRIVATE API's `api_gateway_endpoint_vpce`), the VPC endpoints and
//! `minimum_compression_size`, and its endpoint type. `package` writes the same from the same
//! model; `deploy` gives them to CreateRestApi and, on a redeploy, patches what differs with
//! UpdateRestApi.

use std::fmt;

use serde_json::Value;

use crate::model::ApiSettings;

/// The settings a REST API carries itself (not its stage or methods).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestApiSettings {
    /// The resource policy, if any.
    pub policy: Option<Value>,
    /// The VPC endpoints of a PRIVATE API, sorted (API Gateway keeps them as a set).
    pub vpce_ids: Vec<String>,
    /// The smallest body API Gateway compresses, in bytes; none disables compression.
    pub minimum_compression_size: Option<u32>,
    /// `EDGE`, `REGIONAL` or `PRIVATE` (empty when not known).
    pub endpoint_type: String,
}

impl RestApiSettings {
    /// The settings the model resolved for the stage.
    pub fn of(settings: &ApiSettings) -> RestApiSettings {
        let mut vpce_ids = settings.vpce_ids.clone();
        vpce_ids.sort();
        vpce_ids.dedup();
        RestApiSettings {
            policy: settings.policy.clone(),
            vpce_ids,
            minimum_compression_size: settings.minimum_compression_size,
            endpoint_type: settings.endpoint_type.as_str().to_owned(),
        }
    }

    /// Whether no policy, VPC endpoint or compression is set (API Gateway's defaults; every API
    /// has an endpoint type).
    pub fn is_default(&self) -> bool {
        self.policy.is_none() && self.vpce_ids.is_empty() && self.minimum_compression_size.is_none()
    }

    /// The policy as the text API Gateway takes.
    pub fn policy_text(&self) -> Option<String> {
        self.policy.as_ref().map(Value::to_string)
    }

    /// The UpdateRestApi operations that turn an API with `actual` settings into one with
    /// these: none when they are alike.
    pub fn patch_from(&self, actual: &RestApiSettings) -> Vec<Patch> {
        let mut patch = Vec::new();
        if self.policy != actual.policy {
            // An empty policy removes it.
            patch.push(Patch::replace(
                POLICY,
                self.policy_text().unwrap_or_default(),
            ));
        }
        if self.minimum_compression_size != actual.minimum_compression_size {
            // An empty size turns compression off.
            let size = self
                .minimum_compression_size
                .map_or_else(String::new, |size| size.to_string());
            patch.push(Patch::replace(COMPRESSION, size));
        }
        // Endpoints go while the API is still PRIVATE, and come once it is.
        for gone in actual
            .vpce_ids
            .iter()
            .filter(|id| !self.vpce_ids.contains(id))
        {
            patch.push(Patch {
                op: PatchOp::Remove,
                path: VPCE.to_owned(),
                value: gone.clone(),
            });
        }
        let (wanted, had) = (&self.endpoint_type, &actual.endpoint_type);
        if wanted != had && !wanted.is_empty() && !had.is_empty() {
            patch.push(Patch::replace(
                &format!("{ENDPOINT_TYPES}{had}"),
                wanted.clone(),
            ));
        }
        for new in self
            .vpce_ids
            .iter()
            .filter(|id| !actual.vpce_ids.contains(id))
        {
            patch.push(Patch {
                op: PatchOp::Add,
                path: VPCE.to_owned(),
                value: new.clone(),
            });
        }
        patch
    }
}

/// UpdateRestApi's path of the resource policy.
pub const POLICY: &str = "/policy";
/// UpdateRestApi's path of the minimum compression size.
pub const COMPRESSION: &str = "/minimumCompressionSize";
/// UpdateRestApi's path of a PRIVATE API's VPC endpoints.
pub const VPCE: &str = "/endpointConfiguration/vpcEndpointIds";
/// UpdateRestApi's path of an endpoint type, followed by the type it replaces.
pub const ENDPOINT_TYPES: &str = "/endpointConfiguration/types/";

/// A patch operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    /// Add a value to a set.
    Add,
    /// Remove a value from a set.
    Remove,
    /// Set a value (empty clears it).
    Replace,
}

/// One UpdateRestApi patch operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The verb.
    pub op: PatchOp,
    /// What it changes.
    pub path: String,
    /// The value.
    pub value: String,
}

impl Patch {
    fn replace(path: &str, value: String) -> Patch {
        Patch {
            op: PatchOp::Replace,
            path: path.to_owned(),
            value,
        }
    }

    /// What a setting the operation changes is called, for the plan's line.
    pub fn setting(&self) -> &'static str {
        match self.path.as_str() {
            POLICY => "resource policy",
            COMPRESSION => "minimum compression size",
            VPCE => "VPC endpoints",
            _ => "endpoint type",
        }
    }
}

impl fmt::Display for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.setting())
    }
}

/// The resource policy API Gateway answers with, as JSON: AWS sends the document as text with
/// its quotes escaped (moto as it was given), and writes the API's own ARN where the document
/// said `execute-api:/`; that is read back as written, so an unchanged policy reads unchanged.
pub fn observed_policy(text: Option<&str>, api_arn: &str) -> Option<Value> {
    let text = text.filter(|text| !text.is_empty())?;
    let parsed = serde_json::from_str::<Value>(text).ok().or_else(|| {
        let unescaped: String = serde_json::from_str(&format!("\"{text}\"")).ok()?;
        serde_json::from_str(&unescaped).ok()
    });
    let Some(mut policy) = parsed else {
        // Not JSON: kept as text, so that it differs from any policy and is replaced.
        return Some(Value::String(text.to_owned()));
    };
    unexpand_api_arn(&mut policy, &format!("{api_arn}/"));
    Some(policy)
}

/// Writes `execute-api:/` back where API Gateway expanded it to the API's ARN (`prefix`).
fn unexpand_api_arn(value: &mut Value, prefix: &str) {
    match value {
        Value::String(text) => {
            if let Some(rest) = text.strip_prefix(prefix) {
                *text = format!("execute-api:/{rest}");
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| unexpand_api_arn(item, prefix)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| unexpand_api_arn(item, prefix)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings(policy: Option<Value>, vpce: &[&str], size: Option<u32>) -> RestApiSettings {
        RestApiSettings {
            policy,
            vpce_ids: vpce.iter().map(|id| (*id).to_owned()).collect(),
            minimum_compression_size: size,
            endpoint_type: "PRIVATE".into(),
        }
    }

    #[test]
    fn the_models_settings_are_taken_with_endpoints_as_a_set() {
        let model = ApiSettings {
            policy: Some(json!({"Statement": []})),
            vpce_ids: vec!["vpce-2".into(), "vpce-1".into(), "vpce-2".into()],
            minimum_compression_size: Some(0),
            ..ApiSettings::chalice_defaults()
        };
        let taken = RestApiSettings::of(&model);
        assert_eq!(taken.vpce_ids, ["vpce-1", "vpce-2"]);
        assert_eq!(taken.minimum_compression_size, Some(0));
        assert_eq!(taken.policy_text().unwrap(), r#"{"Statement":[]}"#);
        assert!(!taken.is_default());
        assert!(RestApiSettings::of(&ApiSettings::chalice_defaults()).is_default());
    }

    #[test]
    fn alike_settings_need_no_patch_and_each_difference_is_one_operation() {
        let policy = json!({"Statement": [{"Effect": "Allow"}]});
        let wanted = settings(Some(policy.clone()), &["vpce-1", "vpce-2"], Some(1024));
        assert_eq!(wanted.patch_from(&wanted), []);
        let actual = settings(None, &["vpce-0", "vpce-1"], Some(10));
        let patch = wanted.patch_from(&actual);
        assert_eq!(
            patch,
            [
                Patch::replace(POLICY, policy.to_string()),
                Patch::replace(COMPRESSION, "1024".into()),
                Patch {
                    op: PatchOp::Remove,
                    path: VPCE.into(),
                    value: "vpce-0".into()
                },
                Patch {
                    op: PatchOp::Add,
                    path: VPCE.into(),
                    value: "vpce-2".into()
                },
            ]
        );
        let names: Vec<String> = patch.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "resource policy",
                "minimum compression size",
                "VPC endpoints",
                "VPC endpoints"
            ]
        );
    }

    #[test]
    fn a_new_endpoint_type_replaces_the_old_between_the_endpoints_going_and_coming() {
        let regional = RestApiSettings {
            endpoint_type: "REGIONAL".into(),
            ..settings(None, &["vpce-1"], None)
        };
        let private = settings(None, &["vpce-2"], None);
        let to_private = private.patch_from(&regional);
        assert_eq!(
            to_private
                .iter()
                .map(|p| (p.op, p.path.as_str(), p.value.as_str()))
                .collect::<Vec<_>>(),
            [
                (PatchOp::Remove, VPCE, "vpce-1"),
                (
                    PatchOp::Replace,
                    "/endpointConfiguration/types/REGIONAL",
                    "PRIVATE"
                ),
                (PatchOp::Add, VPCE, "vpce-2"),
            ]
        );
        assert_eq!(to_private[1].setting(), "endpoint type");
        // A type not read is left alone.
        let unknown = RestApiSettings {
            endpoint_type: String::new(),
            ..private.clone()
        };
        assert_eq!(private.patch_from(&unknown), []);
    }

    #[test]
    fn a_removed_policy_or_size_is_replaced_by_nothing() {
        let actual = settings(Some(json!({"Statement": []})), &[], Some(10));
        assert_eq!(
            RestApiSettings::default().patch_from(&actual),
            [
                Patch::replace(POLICY, String::new()),
                Patch::replace(COMPRESSION, String::new())
            ]
        );
    }

    #[test]
    fn a_policy_is_read_plain_escaped_or_with_the_apis_arn_written_back() {
        let arn = "arn:aws:execute-api:us-west-2:123456789012:abc";
        let policy =
            json!({"Statement": [{"Resource": ["execute-api:/*", "arn:*:execute-api:*:*:*"]}]});
        assert_eq!(
            observed_policy(Some(&policy.to_string()), arn),
            Some(policy.clone())
        );
        let escaped = policy.to_string().replace('"', "\\\"");
        assert_eq!(observed_policy(Some(&escaped), arn), Some(policy.clone()));
        let expanded =
            json!({"Statement": [{"Resource": [format!("{arn}/*"), "arn:*:execute-api:*:*:*"]}]});
        assert_eq!(
            observed_policy(Some(&expanded.to_string()), arn),
            Some(policy)
        );
        assert_eq!(observed_policy(None, arn), None);
        assert_eq!(observed_policy(Some(""), arn), None);
        assert_eq!(
            observed_policy(Some("{not json"), arn),
            Some(Value::String("{not json".into()))
        );
    }
}

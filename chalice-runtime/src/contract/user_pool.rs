//! A Cognito user pool authorizer's providers: API Gateway accepts only user-pool ARNs, and a
//! token is accepted when its issuer is one of those pools.

/// The issuer of the tokens of the user pool `provider_arn` names
/// (`arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`); `None` when it names none.
pub(crate) fn issuer(provider_arn: &str) -> Option<String> {
    let fields: Vec<&str> = provider_arn.splitn(6, ':').collect();
    let ["arn", partition, "cognito-idp", region, account, resource] = fields[..] else {
        return None;
    };
    let pool = resource.strip_prefix("userpool/")?;
    let is_id = |text: &str| {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if partition.is_empty() || !is_id(region) || !is_id(account) || !is_id(pool) {
        return None;
    }
    Some(format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

/// Checks an authorizer's providers as API Gateway does when the authorizer is created: at
/// least one, each a user-pool ARN. An error names the value at fault.
pub(crate) fn check_providers(provider_arns: &[&str]) -> Result<(), String> {
    if provider_arns.is_empty() {
        return Err("it names no user pool; give at least one user-pool ARN".into());
    }
    for arn in provider_arns {
        if issuer(arn).is_none() {
            return Err(format!(
                "`{arn}` is not a user-pool ARN \
                 (arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc";

    #[test]
    fn a_user_pool_arn_gives_its_issuer() {
        assert_eq!(
            issuer(POOL).as_deref(),
            Some("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc")
        );
        assert_eq!(check_providers(&[POOL]), Ok(()));
    }

    #[test]
    fn anything_else_is_refused_naming_the_value() {
        for bad in [
            "MyPool",
            "arn:aws:cognito-idp:us-west-2:123456789012:identitypool/x",
            "arn:aws:lambda:us-west-2:123456789012:function:f",
            "arn:aws:cognito-idp:us-west-2:123456789012:userpool/",
            "arn:aws:cognito-idp:us-west-2:123456789012:userpool/a/../b",
        ] {
            assert_eq!(issuer(bad), None, "{bad}");
            let error = check_providers(&[POOL, bad]).unwrap_err();
            assert!(error.contains(&format!("`{bad}`")), "{error}");
        }
        assert!(check_providers(&[]).unwrap_err().contains("no user pool"));
    }
}

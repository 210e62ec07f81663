//! Whose a resource found by name is: a deploy adopts (updates or deletes) only what carries
//! this app's and stage's tags, so another app whose `<app>-<stage>` names collide is never
//! rewritten or deleted by accident. Anything else is refused, naming it, before any change,
//! unless the user asks to adopt it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::desired::{APP_TAG, STAGE_TAG};
use crate::error::Error;

/// Whether `tags` are this app's and stage's.
pub(super) fn ours<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    app: &str,
    stage: &str,
) -> bool {
    let tags: BTreeMap<&str, &str> = tags.into_iter().collect();
    tags.get(APP_TAG) == Some(&app) && tags.get(STAGE_TAG) == Some(&stage)
}

/// The pairs of a tag map, as the SDKs answer it.
pub(super) fn pairs(tags: Option<&HashMap<String, String>>) -> Vec<(&str, &str)> {
    tags.into_iter()
        .flatten()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect()
}

/// Whether a deploy may take over what it finds by name without this stage's tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Adoption {
    /// Only resources tagged for this app and stage are adopted; others stop the deploy.
    #[default]
    TaggedOnly,
    /// Untagged (or otherwise tagged) resources of the stage's names are adopted and tagged
    /// (`deploy --adopt-untagged`).
    Untagged,
}

/// A resource of one of the stage's names that is not tagged for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// What it is: `IAM role`, `lambda function`.
    pub kind: &'static str,
    /// Its name or ARN.
    pub name: String,
    /// The tags it carries.
    pub tags: BTreeMap<String, String>,
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (tags: ", self.kind, self.name)?;
        if self.tags.is_empty() {
            write!(f, "none")?;
        }
        let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{})", tags.join(", "))
    }
}

/// The error a deploy stops with when names of the stage are taken by resources not tagged
/// for it.
pub fn refusal(foreign: &[Foreign], app: &str, stage: &str) -> Error {
    let list: Vec<String> = foreign.iter().map(|f| format!("  - {f}")).collect();
    Error::new(format!(
        "refusing to deploy stage `{stage}` of app `{app}`: these resources have its names but \
         not its tags (chalice-rs:app={app}, chalice-rs:stage={stage}), so they may belong to \
         another app; nothing was changed:\n{}\nRename the app or stage, or pass \
         --adopt-untagged to take them over and tag them",
        list.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_means_both_tags_of_this_app_and_stage() {
        let tags = [(APP_TAG, "app"), (STAGE_TAG, "dev"), ("team", "x")];
        assert!(ours(tags, "app", "dev"));
        assert!(!ours(tags, "app", "prod"));
        assert!(!ours(tags, "other", "dev"));
        assert!(!ours([(APP_TAG, "app")], "app", "dev"));
        let map: HashMap<String, String> = HashMap::from([
            (APP_TAG.to_owned(), "app".to_owned()),
            (STAGE_TAG.to_owned(), "dev".to_owned()),
        ]);
        assert!(ours(pairs(Some(&map)), "app", "dev"));
        assert!(!ours(pairs(None), "app", "dev"));
    }

    #[test]
    fn the_refusal_names_each_resource_and_its_tags() {
        let foreign = [
            Foreign {
                kind: "lambda function",
                name: "a-b-c".into(),
                tags: BTreeMap::new(),
            },
            Foreign {
                kind: "IAM role",
                name: "a-b-c".into(),
                tags: [("chalice-rs:app".to_owned(), "a".to_owned())].into(),
            },
        ];
        let message = refusal(&foreign, "a-b", "c").to_string();
        assert!(
            message.contains("lambda function a-b-c (tags: none)"),
            "{message}"
        );
        assert!(
            message.contains("IAM role a-b-c (tags: chalice-rs:app=a)"),
            "{message}"
        );
        assert!(message.contains("--adopt-untagged"), "{message}");
    }
}

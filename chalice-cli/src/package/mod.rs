//! `chalice-rs package`: the app built for Lambda (`deployment.zip`) and a template that
//! deploys it with the user's own tools: SAM/CloudFormation (`sam.json`) or Terraform
//! (`chalice.tf.json`), shaped as Chalice's `chalice package` writes them.
//!
//! What to deploy is the stage's [`Model`]; the template modules only spell it in their
//! format.

pub mod sam;
pub mod terraform;

use std::path::{Path, PathBuf};

use chalice_runtime::manifest::Manifest;
use serde_json::Value;

use crate::bundle;
use crate::config::Stage;
use crate::error::{Error, Result};
use crate::model::{ApiSettings, CustomDomain, Model};
use crate::project::Project;

/// The deployment package's file name, beside the template.
pub const DEPLOYMENT_ZIP: &str = "deployment.zip";

/// The template format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SAM (`sam.json`).
    CloudFormation,
    /// Terraform JSON (`chalice.tf.json`).
    Terraform,
}

impl Format {
    /// The template's file name, as Chalice names it.
    pub fn template_file(self) -> &'static str {
        match self {
            Format::CloudFormation => "sam.json",
            Format::Terraform => "chalice.tf.json",
        }
    }
}

/// What `package` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// The template.
    pub template: PathBuf,
    /// The zip.
    pub zip: PathBuf,
    /// How the app was built.
    pub build_note: String,
}

/// Builds the app for Lambda and writes the zip and the template for `stage` into `out`.
pub fn run(project: &Project, out: &Path, stage: &str, format: Format) -> Result<Packaged> {
    let stage = project.config().stage(stage)?;
    if out.exists() && !out.is_dir() {
        return Err(Error::new(format!(
            "{}: exists and is not a directory; give `package` a directory to write into",
            out.display()
        )));
    }
    // Config mistakes are reported before the (slow) release build.
    let settings = ApiSettings::for_stage(&stage, project.dir())?;
    CustomDomain::of(&stage, project.config().app_name(), &settings)?;
    let bundle = bundle::build(project, stage.architecture())?;
    let model = resolve(&bundle.app.manifest, &stage, project.dir())?;
    let template = match format {
        Format::CloudFormation => sam::template(&model)?,
        Format::Terraform => terraform::template(&model)?,
    };
    std::fs::create_dir_all(out)
        .map_err(|error| Error::new(format!("{}: cannot create: {error}", out.display())))?;
    let zip = out.join(DEPLOYMENT_ZIP);
    bundle::write_zip(&bundle, &zip)?;
    let template_path = out.join(format.template_file());
    write_json(&template_path, &template)?;
    Ok(Packaged {
        template: template_path,
        zip,
        build_note: bundle.build_note,
    })
}

/// Writes `doc` as Chalice's `serialize_to_json` does: two-space indent, newline at the end.
pub fn write_json(path: &Path, doc: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(doc)
        .map_err(|error| Error::new(format!("cannot serialize {}: {error}", path.display())))?;
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|error| Error::new(format!("{}: cannot write: {error}", path.display())))
}

/// The model of `manifest` on `stage`, policy files read from the project's `.chalice/`; an
/// app without routes has no API, so nothing to package.
pub fn resolve(manifest: &Manifest, stage: &Stage<'_>, project_dir: &Path) -> Result<Model> {
    if manifest.routes.is_empty() {
        return Err(Error::new(format!(
            "the app `{}` has no routes, so there is no {} to package",
            manifest.app_name, manifest.api_kind
        )));
    }
    Model::resolve(manifest, stage, project_dir)
}

/// Inserts a resource under a name not taken yet; two app names that map to one template
/// name (`demo-auth` and `demo_auth` both give `DemoAuth`) are an error, as in Chalice.
fn insert_unique(
    resources: &mut serde_json::Map<String, Value>,
    name: String,
    resource: Value,
    what: &str,
) -> Result<()> {
    if resources.contains_key(&name) {
        return Err(Error::new(format!(
            "two resources of the {what} are named `{name}`; rename the built-in authorizer that gives it"
        )));
    }
    resources.insert(name, resource);
    Ok(())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_domain;
#[cfg(test)]
mod tests_http;

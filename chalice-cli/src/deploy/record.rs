//! The deployed record, `.chalice/deployed/<stage>.json`, in Chalice's schema 2.0 layout.
//!
//! It is rewritten after every step, atomically (a temporary file renamed over it), so a deploy
//! that dies leaves a record of everything it made, never a half-written file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::ManagedRole;

/// The record of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The resources, in the order they were first recorded.
    pub resources: Vec<Map<String, Value>>,
    /// Always `2.0`.
    pub schema_version: String,
    /// Always `api`.
    pub backend: String,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            resources: Vec::new(),
            schema_version: "2.0".into(),
            backend: "api".into(),
        }
    }
}

/// Where a stage's record lives.
pub fn path(project_dir: &Path, stage: &str) -> PathBuf {
    project_dir
        .join(".chalice")
        .join("deployed")
        .join(format!("{stage}.json"))
}

impl Record {
    /// Reads a stage's record; no file is an empty record.
    pub fn load(path: &Path) -> Result<Record> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Record::default());
            }
            Err(error) => {
                return Err(Error::new(format!(
                    "{}: cannot read: {error}",
                    path.display()
                )));
            }
        };
        let record: Record = serde_json::from_str(&text).map_err(|error| {
            Error::new(format!(
                "{}: not a deployed record: {error}",
                path.display()
            ))
        })?;
        if record.schema_version != "2.0" {
            return Err(Error::new(format!(
                "{}: unsupported schema_version \"{}\" (expected \"2.0\")",
                path.display(),
                record.schema_version
            )));
        }
        Ok(record)
    }

    /// Writes the record atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|error| Error::new(format!("cannot create {}: {error}", dir.display())))?;
        let mut text =
            serde_json::to_string_pretty(self).map_err(|error| Error::new(error.to_string()))?;
        text.push('\n');
        let temporary = path.with_extension(format!("json.tmp{}", std::process::id()));
        write_durably(&temporary, text.as_bytes())
            .and_then(|()| std::fs::rename(&temporary, path))
            .and_then(|()| sync_directory(dir))
            .map_err(|error| {
                let _ = std::fs::remove_file(&temporary);
                Error::new(format!("cannot write {}: {error}", path.display()))
            })
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Map<String, Value>> {
        self.resources
            .iter()
            .find(|entry| entry.get("name").and_then(Value::as_str) == Some(name))
    }

    /// A string field of the entry named `name`.
    pub fn value(&self, name: &str, field: &str) -> Option<&str> {
        self.get(name)?.get(field)?.as_str()
    }

    /// Records a managed role's ARN and name.
    pub fn set_role(&mut self, role: &ManagedRole, arn: &str) {
        self.set(&role.resource_name, "iam_role", "role_arn", arn);
        self.set(
            &role.resource_name,
            "iam_role",
            "role_name",
            &role.role_name,
        );
    }

    /// Records the ARN of function `name` (its record name).
    pub fn set_function(&mut self, name: &str, arn: &str) {
        self.set(name, "lambda_function", "lambda_arn", arn);
    }

    /// Sets a field of the entry `name` of `resource_type`, adding the entry at the end when new.
    pub fn set(&mut self, name: &str, resource_type: &str, field: &str, value: &str) {
        self.set_json(name, resource_type, field, Value::String(value.to_owned()));
    }

    /// [`Record::set`] with any JSON value.
    pub fn set_json(&mut self, name: &str, resource_type: &str, field: &str, value: Value) {
        let position = self
            .resources
            .iter()
            .position(|entry| entry.get("name").and_then(Value::as_str) == Some(name));
        let entry = match position {
            Some(index) => &mut self.resources[index],
            None => {
                let mut entry = Map::new();
                entry.insert("name".into(), Value::String(name.to_owned()));
                entry.insert(
                    "resource_type".into(),
                    Value::String(resource_type.to_owned()),
                );
                self.resources.push(entry);
                self.resources.last_mut().expect("just pushed")
            }
        };
        entry.insert(field.to_owned(), value);
    }

    /// Drops the entry named `name`.
    pub fn remove(&mut self, name: &str) {
        self.resources
            .retain(|entry| entry.get("name").and_then(Value::as_str) != Some(name));
    }

    /// The entries of one type, by name.
    pub fn of_type<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
        self.resources.iter().filter(move |entry| {
            entry.get("resource_type").and_then(Value::as_str) == Some(resource_type)
        })
    }
}

/// Writes `bytes` to a new file at `path` and flushes it to disk, so the rename that follows
/// never publishes a record whose contents a crash could still lose.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a directory's entries (the rename), where the platform allows opening a directory.
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_in_chalices_layout() {
        let mut record = Record::default();
        record.set(
            "default-role",
            "iam_role",
            "role_arn",
            "arn:aws:iam::123456789012:role/demoauth1-dev",
        );
        record.set("default-role", "iam_role", "role_name", "demoauth1-dev");
        record.set("api_handler", "lambda_function", "lambda_arn", "arn:fn");
        record.set("rest_api", "rest_api", "rest_api_id", "abc");
        record.set(
            "rest_api",
            "rest_api",
            "rest_api_url",
            "https://abc.execute-api.us-west-2.amazonaws.com/api/",
        );
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({"resources": [
                {"name": "default-role", "resource_type": "iam_role",
                 "role_arn": "arn:aws:iam::123456789012:role/demoauth1-dev", "role_name": "demoauth1-dev"},
                {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:fn"},
                {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc",
                 "rest_api_url": "https://abc.execute-api.us-west-2.amazonaws.com/api/"}],
             "schema_version": "2.0", "backend": "api"})
        );
    }

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = std::env::temp_dir().join(format!("chalice-rs-record-{}", std::process::id()));
        let file = path(&dir, "dev");
        assert_eq!(Record::load(&file).unwrap(), Record::default());
        let mut record = Record::default();
        record.set("api_handler", "lambda_function", "lambda_arn", "arn:fn");
        record.save(&file).unwrap();
        assert_eq!(Record::load(&file).unwrap(), record);
        let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        std::fs::write(
            &file,
            "{\"resources\": [], \"schema_version\": \"1.0\", \"backend\": \"api\"}",
        )
        .unwrap();
        assert!(
            Record::load(&file)
                .unwrap_err()
                .to_string()
                .contains("unsupported schema_version")
        );
        std::fs::write(&file, "{trunc").unwrap();
        assert!(
            Record::load(&file)
                .unwrap_err()
                .to_string()
                .contains("not a deployed record")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[test]
    fn the_temporary_file_and_the_directory_are_flushed_or_the_save_fails() {
        let dir = std::env::temp_dir().join(format!("chalice-rs-durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.json");
        write_durably(&file, b"{}").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"{}");
        sync_directory(&dir).unwrap();
        assert!(sync_directory(&dir.join("missing")).is_err());
        assert!(write_durably(&dir.join("missing").join("x.json"), b"{}").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Every Rust snippet of the README is code CI builds: the demo app's source, or a file that
//! `new-project` writes (which `local.rs` builds, serves and tests). A snippet edited in the
//! README alone, or code changed without its snippet, fails here.

use chalice_rs_tests::cli::{chalice_rs, succeed, workspace};

/// The README's ```rust blocks, each with the line it starts on.
fn rust_snippets(readme: &str) -> Vec<(usize, String)> {
    let mut snippets = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in readme.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_start().starts_with("```rust") => {
                current = Some((number + 1, String::new()));
            }
            None => {}
            Some(_) if line.trim_start().starts_with("```") => {
                snippets.extend(current.take());
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    snippets
}

#[test]
fn every_rust_snippet_is_built_code() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let parent = std::env::temp_dir().join(format!("chalice-rs-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&parent).unwrap();
    succeed(chalice_rs(&parent).args(["new-project", "hello"]));
    let project = parent.join("hello");
    let sources: Vec<(String, String)> = [
        workspace().join("examples/demoauth/src/main.rs"),
        workspace().join("examples/http-api/src/lib.rs"),
        project.join("src/lib.rs"),
        project.join("src/main.rs"),
        project.join("tests/api.rs"),
    ]
    .into_iter()
    .map(|path| {
        let text = std::fs::read_to_string(&path).unwrap();
        (path.display().to_string(), text)
    })
    .collect();

    let snippets = rust_snippets(&readme);
    assert!(
        snippets.len() >= 2,
        "the README's Rust snippets were not found"
    );
    for (line, snippet) in snippets {
        assert!(
            sources.iter().any(|(_, text)| text.contains(&snippet)),
            "README.md line {line}: this snippet is in none of {:?}:\n{snippet}",
            sources.iter().map(|(path, _)| path).collect::<Vec<_>>()
        );
    }
    std::fs::remove_dir_all(&parent).unwrap();
}

#[test]
fn snippets_are_found_with_their_start_line() {
    let snippets =
        rust_snippets("text\n```rust\nfn a() {}\n```\n```sh\nls\n```\n```rust,no_run\nb\n```\n");
    assert_eq!(
        snippets,
        [(2, "fn a() {}\n".to_owned()), (8, "b\n".to_owned())]
    );
}

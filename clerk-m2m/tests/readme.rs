//! The workspace README shows the same Rust programs as this crate's README, which are compiled
//! as doctests: a snippet edited in one place only fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;

fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(String::new()),
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_workspace_readme_snippets_are_the_compiled_ones() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace_readme = crate_dir.join("../README.md");
    if !crate_dir.join("../Cargo.toml").exists() {
        // A packaged crate outside the workspace: there is no workspace README to compare.
        return;
    }
    let compiled = rust_blocks(&std::fs::read_to_string(crate_dir.join("README.md")).unwrap());
    let shown = rust_blocks(&std::fs::read_to_string(workspace_readme).unwrap());
    assert!(!shown.is_empty(), "the workspace README has Rust snippets");
    for snippet in &shown {
        assert!(
            compiled.contains(snippet),
            "a Rust snippet of the workspace README is not in clerk-m2m/README.md, where it would be compiled:\n{snippet}"
        );
    }
}

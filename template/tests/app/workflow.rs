//! The GitHub workflow (.github/workflows/ci.yml) runs what `just audit` runs: the same commands,
//! in the same order, after installing the npm packages as `just setup` does (the app's, and
//! those of the test servers in `tests/`). Edit one, and this
//! test says where the other differs.

const JUSTFILE: &str = include_str!("../../Justfile");
const WORKFLOW: &str = include_str!("../../.github/workflows/ci.yml");

/// The commands of a Justfile recipe: its dependencies as `just NAME`, then its lines.
fn recipe(name: &str) -> Vec<String> {
    let mut lines = JUSTFILE.lines();
    let header = lines
        .by_ref()
        .find(|line| line.split([':', ' ']).next() == Some(name) && line.contains(':'))
        .unwrap_or_else(|| panic!("no recipe {name} in the Justfile"));
    let (_, dependencies) = header.split_once(':').unwrap();
    let mut commands: Vec<String> = dependencies
        .split_whitespace()
        .map(|dependency| format!("just {dependency}"))
        .collect();
    commands.extend(
        lines
            .take_while(|line| line.starts_with("    "))
            .map(|line| line.trim().to_owned()),
    );
    commands
}

/// The `run:` commands of the workflow, in order.
fn workflow_commands() -> Vec<String> {
    WORKFLOW
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- run:"))
        .map(|command| command.trim().to_owned())
        .collect()
}

#[test]
fn the_workflow_runs_the_commands_of_just_audit() {
    let mut expected: Vec<String> = recipe("setup")
        .into_iter()
        .filter(|command| command.contains("npm ci"))
        .collect();
    assert!(
        !expected.is_empty(),
        "`just setup` installs the npm packages"
    );
    expected.extend(recipe("audit"));

    assert_eq!(workflow_commands(), expected);
}

#[test]
fn the_recipe_reader_reads_the_justfile() {
    assert_eq!(
        recipe("audit"),
        [
            "just assets",
            "cargo fmt --all --check",
            "cargo clippy --workspace --all-targets -- -D warnings",
            "cargo test --workspace",
        ]
    );
}

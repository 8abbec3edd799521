//! Everything a generator will do, decided before anything is written: the files it creates and
//! the lines it adds to existing ones. Applied whole or not at all, or only printed (`--dry-run`).

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, Result, bail};

use crate::{app::App, text::alphabetical_place};

#[derive(Debug, Default)]
pub struct Plan {
    creates: Vec<(String, String)>,
    edits: Vec<Edit>,
    /// What to tell the user once it is written (what to run next, what to finish by hand).
    pub next_steps: Vec<String>,
}

/// A line added to an existing file, and the file's whole text with it (and with every line
/// added before it).
#[derive(Debug)]
struct Edit {
    path: String,
    line: String,
    after: String,
}

impl Plan {
    /// Creates `path` (relative to the app's root), which must not exist.
    pub fn create(&mut self, app: &App, path: String, contents: String) -> Result<()> {
        if app.exists(&path) || self.creates.iter().any(|(planned, _)| *planned == path) {
            bail!("{path} exists already: nothing was written");
        }
        self.creates.push((path, contents));
        Ok(())
    }

    /// Adds `line` to the file at `path` after the last line for which `after` is true (given
    /// each line trimmed), or fails with `missing` when none is.
    pub fn add_line(
        &mut self,
        app: &App,
        path: &str,
        line: &str,
        after: impl Fn(&str) -> bool,
        missing: &str,
    ) -> Result<()> {
        self.insert_line(app, path, line, |lines| {
            lines
                .iter()
                .rposition(|candidate| after(candidate.trim()))
                .map(|at| at + 1)
        })
        .with_context(|| format!("{path}: {missing}; nothing was written"))
    }

    /// Inserts `line` into the file at `path` at the index `place` chooses among its lines,
    /// indented as the line before it.
    pub fn insert_line(
        &mut self,
        app: &App,
        path: &str,
        line: &str,
        place: impl Fn(&[&str]) -> Option<usize>,
    ) -> Result<()> {
        let before = self.planned_text(app, path)?;
        let lines: Vec<&str> = before.lines().collect();
        let at = place(&lines).context("no place for the line")?;
        let indent: String = at
            .checked_sub(1)
            .map(|previous| {
                lines[previous]
                    .chars()
                    .take_while(|c| c.is_whitespace())
                    .collect()
            })
            .unwrap_or_default();
        let mut after_lines: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
        after_lines.insert(at, format!("{indent}{line}"));
        let mut after_text = after_lines.join("\n");
        if before.ends_with('\n') || before.is_empty() {
            after_text.push('\n');
        }
        self.edits.push(Edit {
            path: path.to_owned(),
            line: line.to_owned(),
            after: after_text,
        });
        Ok(())
    }

    /// Declares `{prefix}{module};` in the file `list`, in alphabetical order among its other
    /// declarations. The first one goes under the comment that announces them (a line that names
    /// `just g`), set apart from a module's documentation by a blank line, or at the end.
    pub fn declare_module(
        &mut self,
        app: &App,
        list: &str,
        prefix: &str,
        module: &str,
    ) -> Result<()> {
        let line = format!("{prefix}{module};");
        let text = self.planned_text(app, list)?;
        let lines: Vec<&str> = text.lines().collect();
        // A module named like something the file already uses (`session`, `tenshu_queue`) would
        // shadow it.
        let used = lines
            .iter()
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(|line| line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .any(|word| word == module);
        if used {
            bail!("`{module}` is a name {list} uses already: choose another; nothing was written");
        }
        let first = !lines.iter().any(|candidate| candidate.starts_with(prefix));
        let announced = lines
            .iter()
            .position(|candidate| candidate.contains("`just g"));
        let line = match announced {
            Some(at) if first && lines[at].starts_with("//!") => format!("\n{line}"),
            _ => line,
        };
        self.insert_line(app, list, &line, |lines| match announced {
            Some(at) if first => Some(at + 1),
            _ => alphabetical_place(lines, line.trim_start(), prefix),
        })
    }

    /// The text of the file at `path` as the plan leaves it so far.
    fn planned_text(&self, app: &App, path: &str) -> Result<String> {
        match self.edits.iter().rev().find(|edit| edit.path == path) {
            Some(edit) => Ok(edit.after.clone()),
            None => app.read(path),
        }
    }

    /// Creates the test module `tests/app/{module}.rs` and declares it in `tests/app/main.rs`.
    pub fn create_test(&mut self, app: &App, module: &str, contents: String) -> Result<()> {
        self.create(app, format!("tests/app/{module}.rs"), contents)?;
        self.declare_module(app, "tests/app/main.rs", "mod ", module)
    }

    /// Prints what `apply` would do, with the new files' contents.
    pub fn print_dry_run(&self) {
        for (path, contents) in &self.creates {
            println!("would create {path}:\n{contents}");
        }
        for edit in &self.edits {
            println!("would add to {}: {}", edit.path, edit.line.trim());
        }
        println!("(--dry-run: nothing was written)");
    }

    /// Writes every file, formats the new Rust ones with rustfmt, and puts everything back as it
    /// was if any step fails.
    pub fn apply(&self, app: &App) -> Result<()> {
        let mut written = Written::default();
        let result = self.write(app, &mut written);
        if result.is_err() {
            written.undo();
        }
        result?;
        for (path, _) in &self.creates {
            // Counted as rustfmt left it.
            let lines = app
                .read(path)
                .map_or(0, |contents| contents.lines().count());
            println!("created {path} ({lines} lines)");
        }
        for edit in &self.edits {
            println!("added to {}: {}", edit.path, edit.line.trim());
        }
        for step in &self.next_steps {
            println!("{step}");
        }
        Ok(())
    }

    fn write(&self, app: &App, written: &mut Written) -> Result<()> {
        for (path, contents) in &self.creates {
            let full = app.path(path);
            if let Some(folder) = full.parent() {
                written.create_folder(folder)?;
            }
            // `create_new`: a file that appeared since the plan was made is never overwritten.
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&full)
                .with_context(|| format!("creating {path}"))?;
            written.created.push(full);
            std::io::Write::write_all(&mut file, contents.as_bytes())
                .with_context(|| format!("writing {path}"))?;
        }
        // The last edit of a file holds every line added to it.
        let mut edited: Vec<&str> = Vec::new();
        for edit in self.edits.iter().rev() {
            if edited.contains(&edit.path.as_str()) {
                continue;
            }
            edited.push(&edit.path);
            let path = app.path(&edit.path);
            written.edited.push((path.clone(), app.read(&edit.path)?));
            fs::write(&path, &edit.after).with_context(|| format!("writing {}", edit.path))?;
        }
        // The new files, and the edited ones: an added line may need wrapping.
        let rust_files: Vec<PathBuf> = self
            .creates
            .iter()
            .map(|(path, _)| path.as_str())
            .chain(edited)
            .filter(|path| path.ends_with(".rs"))
            .map(|path| app.path(path))
            .collect();
        if !rust_files.is_empty() {
            rustfmt(&rust_files)?;
        }
        Ok(())
    }
}

/// Runs rustfmt on `files` with the app's `rustfmt.toml`; a template that renders code rustfmt
/// cannot parse fails here, before anything is kept.
fn rustfmt(files: &[PathBuf]) -> Result<()> {
    let output = Command::new("rustfmt")
        // Only these files, not the modules they declare.
        .args(["--edition", "2024", "--config", "skip_children=true"])
        .args(files)
        .output()
        .context("running rustfmt (rustup component add rustfmt)")?;
    if !output.status.success() {
        bail!(
            "the generated code does not parse (was a template in generate/templates/ edited?); \
             nothing was written:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// What has been written so far, to undo it.
#[derive(Default)]
struct Written {
    created: Vec<PathBuf>,
    edited: Vec<(PathBuf, String)>,
    /// Folders made for new files, innermost last.
    folders: Vec<PathBuf>,
}

impl Written {
    fn create_folder(&mut self, folder: &Path) -> Result<()> {
        let mut missing: Vec<PathBuf> = folder
            .ancestors()
            .take_while(|ancestor| !ancestor.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        for folder in missing {
            fs::create_dir(&folder).with_context(|| format!("creating {}", folder.display()))?;
            self.folders.push(folder);
        }
        Ok(())
    }

    fn undo(&self) {
        for path in &self.created {
            let _ = fs::remove_file(path);
        }
        for (path, contents) in &self.edited {
            let _ = fs::write(path, contents);
        }
        for folder in self.folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest tree `App::at` accepts, with a module list to add to.
    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        for (path, contents) in [
            ("Cargo.toml", "[workspace]\n"),
            ("migration/src/lib.rs", "mod m1;\n"),
            ("src/lib.rs", "pub mod models;\n"),
            (
                "src/models.rs",
                "//! Models.\n\npub mod author;\npub mod user;\n",
            ),
        ] {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        let app = App::at(dir.path()).unwrap();
        (dir, app)
    }

    fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            for entry in fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files.push((path.clone(), String::new()));
                    pending.push(path);
                } else {
                    let contents = fs::read_to_string(&path).unwrap();
                    files.push((path, contents));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_plan_writes_its_files_and_lines_formatted() {
        let (dir, app) = app();
        let mut plan = Plan::default();
        plan.create(
            &app,
            "src/models/book.rs".into(),
            "pub struct   Book;\n".into(),
        )
        .unwrap();
        plan.add_line(
            &app,
            "src/models.rs",
            "pub mod book;",
            |line| line == "pub mod author;",
            "",
        )
        .unwrap();
        plan.apply(&app).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("src/models/book.rs")).unwrap(),
            "pub struct Book;\n"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("src/models.rs")).unwrap(),
            "//! Models.\n\npub mod author;\npub mod book;\npub mod user;\n"
        );
    }

    #[test]
    fn a_plan_that_fails_halfway_leaves_the_tree_as_it_was() {
        let (dir, app) = app();
        let before = tree(dir.path());
        let mut plan = Plan::default();
        plan.create(
            &app,
            "src/views/books/list.rs".into(),
            "fn ok() {}\n".into(),
        )
        .unwrap();
        plan.add_line(
            &app,
            "src/models.rs",
            "pub mod book;",
            |line| line.starts_with("pub mod"),
            "",
        )
        .unwrap();
        // rustfmt cannot parse this: the failure comes after every file is written.
        plan.create(&app, "src/models/book.rs".into(), "fn (\n".into())
            .unwrap();
        let error = plan.apply(&app).unwrap_err();
        assert!(format!("{error:#}").contains("does not parse"), "{error:#}");
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn a_file_that_exists_or_a_missing_place_refuses_the_plan() {
        let (_dir, app) = app();
        let mut plan = Plan::default();
        assert!(
            plan.create(&app, "src/models.rs".into(), String::new())
                .is_err()
        );
        let error = plan
            .add_line(
                &app,
                "src/lib.rs",
                "mod x;",
                |line| line == "mod nowhere;",
                "no place",
            )
            .unwrap_err();
        assert!(format!("{error:#}").contains("no place"), "{error:#}");
    }
}

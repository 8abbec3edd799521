//! What the generators read of the app they write into: where it is, which tables and models it
//! has, and its migrations.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context as _, Result, bail};

/// The app's root folder (the one with the workspace's `Cargo.toml`), and what is in it.
#[derive(Debug)]
pub struct App {
    pub root: PathBuf,
}

impl App {
    /// The app around `root`, which must be its root folder (`just g` runs there).
    pub fn at(root: &Path) -> Result<Self> {
        for expected in [
            "Cargo.toml",
            "migration/src/lib.rs",
            "src/lib.rs",
            "src/models.rs",
        ] {
            if !root.join(expected).is_file() {
                bail!(
                    "{} has no {expected}: run the generators from the app's root folder \
                     (`just g …` does)",
                    root.display()
                );
            }
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path(relative).exists()
    }

    pub fn read(&self, relative: &str) -> Result<String> {
        fs::read_to_string(self.path(relative)).with_context(|| format!("reading {relative}"))
    }

    /// Every table the migrations of the app and of its engines create (or alter), by name.
    pub fn tables(&self) -> Result<BTreeSet<String>> {
        let mut tables = BTreeSet::new();
        for file in self.rust_files(&["migration/src", "crates"])? {
            let source = fs::read_to_string(&file)?;
            // `.table(Books::Table)`: the identifier enums of sea-orm-migration name tables.
            for (index, _) in source.match_indices("::Table)") {
                let before = &source[..index];
                let start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |at| at + 1);
                if before[..start].ends_with(".table(") {
                    tables.insert(cruet::to_snake_case(&before[start..]));
                }
            }
        }
        tables.extend(self.models()?.into_keys());
        // sea-orm's record of the migrations applied.
        tables.insert("seaql_migrations".to_owned());
        Ok(tables)
    }

    /// The entities of `src/models/`: table name → module name.
    pub fn models(&self) -> Result<BTreeMap<String, String>> {
        let mut models = BTreeMap::new();
        for file in self.rust_files(&["src/models"])? {
            let source = fs::read_to_string(&file)?;
            let Some(table) = source
                .split("table_name = \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            else {
                continue;
            };
            let module = file
                .file_stem()
                .and_then(|stem| stem.to_str())
                .context("a model's file name")?;
            models.insert(table.to_owned(), module.to_owned());
        }
        Ok(models)
    }

    /// The columns of the entity of `table` in `src/models/`, when it has one: its `Model`'s
    /// fields.
    pub fn columns_of_model(&self, table: &str) -> Result<Option<Vec<String>>> {
        let Some(module) = self.models()?.get(table).cloned() else {
            return Ok(None);
        };
        let source = self.read(&format!("src/models/{module}.rs"))?;
        let Some(model) = source.split("pub struct Model {").nth(1) else {
            return Ok(None);
        };
        let body = model.split('}').next().unwrap_or_default();
        Ok(Some(
            body.lines()
                .filter_map(|line| line.trim().strip_prefix("pub ")?.split(':').next())
                .map(str::to_owned)
                .collect(),
        ))
    }

    /// The names of the migrations in `migration/src/` (`m20260101_000001_create_sessions`).
    pub fn migrations(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(self.path("migration/src"))?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with('m') && name.ends_with(".rs"))
            .map(|name| name.trim_end_matches(".rs").to_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn rust_files(&self, folders: &[&str]) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        let mut pending: Vec<PathBuf> = folders.iter().map(|folder| self.path(folder)).collect();
        while let Some(folder) = pending.pop() {
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries {
                let path = entry?.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|ext| ext == "rs") {
                    files.push(path);
                }
            }
        }
        files.sort();
        Ok(files)
    }
}

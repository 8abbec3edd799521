//! The name of what is generated, in each form the code needs: `blog_post` is the module,
//! `blog_posts` the table, `BlogPost` the type, `/blog-posts` the URL.

use anyhow::{Result, bail};
use serde::Serialize;

/// Words Rust reserves (2024 edition, strict and reserved): never a module, field or column name.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Checks that `name` can be a Rust identifier, a column and a file name as it is: snake case
/// ASCII, starting with a letter, not a keyword.
pub fn check_snake_case(name: &str, what: &str) -> Result<()> {
    let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !well_formed {
        bail!(
            "{what} `{name}` is not snake_case: lowercase ASCII letters, digits and single \
             underscores, starting with a letter (for example `blog_post`)"
        );
    }
    if RUST_KEYWORDS.contains(&name) {
        bail!("{what} `{name}` is a Rust keyword: choose another name");
    }
    Ok(())
}

/// A resource's name in every form.
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    /// `blog_post`: the module, and what one row is called in code.
    pub singular: String,
    /// `blog_posts`: the table.
    pub plural: String,
    /// `BlogPost`: a type.
    pub pascal: String,
    /// `BlogPosts`: the table's identifier in migrations.
    pub plural_pascal: String,
    /// `blog-post`: a page's URL.
    pub kebab: String,
    /// `blog-posts`: a resource's URL.
    pub kebab_plural: String,
    /// `blog post`: in sentences.
    pub human: String,
    /// `blog posts`
    pub human_plural: String,
}

impl Names {
    /// The names of the resource called `singular`, which must be singular snake case.
    pub fn of_resource(singular: &str) -> Result<Self> {
        check_snake_case(singular, "the name")?;
        let names = Self::from_singular(singular);
        check_snake_case(&names.plural, "the plural")?;
        let one = cruet::to_singular(singular);
        if one != singular && (cruet::to_plural(&one) == singular || names.plural == singular) {
            bail!(
                "`{singular}` reads as a plural: name one row, for example `{}`",
                cruet::to_singular(singular)
            );
        }
        Ok(names)
    }

    /// The names of something that has no plural (a task, a page, an email): `name` as it is,
    /// refused when it would clash with `taken` (the types the kind's files already name).
    pub fn of_name(name: &str, taken: &[&str]) -> Result<Self> {
        check_snake_case(name, "the name")?;
        let pascal = cruet::to_pascal_case(name);
        if ["std", "core", "alloc"].contains(&name) || taken.contains(&pascal.as_str()) {
            bail!(
                "`{name}` would clash with a name the generated code uses already: choose another"
            );
        }
        Ok(Self::from_singular(name))
    }

    /// The names of the table `plural` (as in `create_blog_posts`).
    pub fn of_table(plural: &str) -> Result<Self> {
        check_snake_case(plural, "the table")?;
        let mut names = Self::from_singular(&cruet::to_singular(plural));
        // Keep the table as written, even where the inflection rules would plural it otherwise.
        names.plural = plural.to_owned();
        names.plural_pascal = cruet::to_pascal_case(plural);
        names.kebab_plural = plural.replace('_', "-");
        names.human_plural = plural.replace('_', " ");
        Ok(names)
    }

    fn from_singular(singular: &str) -> Self {
        let plural = cruet::to_plural(singular);
        Self {
            pascal: cruet::to_pascal_case(singular),
            plural_pascal: cruet::to_pascal_case(&plural),
            kebab: singular.replace('_', "-"),
            kebab_plural: plural.replace('_', "-"),
            human: singular.replace('_', " "),
            human_plural: plural.replace('_', " "),
            singular: singular.to_owned(),
            plural,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_is_named_in_every_form() {
        let names = Names::of_resource("blog_post").unwrap();
        assert_eq!(names.plural, "blog_posts");
        assert_eq!(names.pascal, "BlogPost");
        assert_eq!(names.plural_pascal, "BlogPosts");
        assert_eq!(names.kebab_plural, "blog-posts");
        assert_eq!(Names::of_resource("person").unwrap().plural, "people");
        assert_eq!(Names::of_resource("category").unwrap().plural, "categories");
    }

    #[test]
    fn a_table_keeps_its_name_and_finds_its_singular() {
        let names = Names::of_table("categories").unwrap();
        assert_eq!(names.singular, "category");
        assert_eq!(names.plural, "categories");
        assert_eq!(names.plural_pascal, "Categories");
    }

    #[test]
    fn names_that_cannot_be_code_are_refused() {
        for name in [
            "Book",
            "book-shelf",
            "2books",
            "_book",
            "book_",
            "blog__post",
            "",
            "type",
            "crate",
            "bööks",
        ] {
            assert!(Names::of_resource(name).is_err(), "{name} was accepted");
        }
        // `a` is refused for its plural, `as`.
        assert!(Names::of_resource("a").is_err(), "a was accepted");
        for plural in ["books", "categories", "mice"] {
            assert!(
                Names::of_resource(plural).is_err(),
                "the plural {plural} was accepted"
            );
        }
        for singular in [
            "status", "news", "series", "analysis", "bus", "address", "person",
        ] {
            assert!(
                Names::of_resource(singular).is_ok(),
                "the singular {singular} was refused"
            );
        }
    }
}

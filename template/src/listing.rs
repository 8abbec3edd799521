//! Lists of rows: what a list page's URL asks for (`?q=tolkien&sort=-title&page=2`), read and
//! checked in one place, and the page of rows it selects. The lists `just g scaffold` writes use
//! it; [`crate::views::components::list`] draws the search box, the sort links and the pager.
//!
//! ```ignore
//! let query = ListQuery::read::<book::Entity>(&pairs)?;
//! let select = book::Entity::find()
//!     .filter(listing::search_in(&[book::Column::Title], &query.search, app.backend));
//! let books = listing::fetch(query.order(select), &app.db, query.page).await?;
//! ```

use std::str::FromStr as _;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable as _, Order,
    PaginatorTrait as _, QueryOrder as _, Select,
    sea_query::{Expr, Func, LikeExpr},
};

use crate::{db::Backend, error::AppError};

/// Rows on one page of a list.
pub const PER_PAGE: u64 = 20;
/// The longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A list's page, order and search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// From 1; a page past the last shows the last.
    pub page: u64,
    /// A column's name, and whether the order is descending (`-title` in the URL).
    pub sort: Option<(String, bool)>,
    /// What to look for, trimmed; empty for everything.
    pub search: String,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            page: 1,
            sort: None,
            search: String::new(),
        }
    }
}

impl ListQuery {
    /// Reads `?q=…&sort=…&page=…` for a list of `E`'s rows, which may be sorted by any of its
    /// columns. A value that makes no sense is a 400 saying which; other parameters are ignored.
    pub fn read<E: EntityTrait>(pairs: &[(String, String)]) -> Result<Self, AppError> {
        let refuse = |message: &str| Err(AppError::BadRequest(message.to_owned()));
        let mut query = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "page" => match value.parse::<u64>() {
                    Ok(page) if page >= 1 => query.page = page,
                    _ => return refuse("The page must be a whole number from 1."),
                },
                "sort" if !value.is_empty() => {
                    let (column, descending) = match value.strip_prefix('-') {
                        Some(column) => (column, true),
                        None => (value.as_str(), false),
                    };
                    if E::Column::from_str(column).is_err() {
                        return refuse("The list cannot be sorted that way.");
                    }
                    query.sort = Some((column.to_owned(), descending));
                }
                "q" => {
                    let search = value.trim();
                    if search.chars().count() > MAX_SEARCH_CHARS
                        || search.chars().any(char::is_control)
                    {
                        return Err(AppError::BadRequest(format!(
                            "Search for at most {MAX_SEARCH_CHARS} characters, on one line."
                        )));
                    }
                    query.search = search.to_owned();
                }
                _ => {}
            }
        }
        Ok(query)
    }

    /// `select` in this query's order, then by id; newest first when it asks for none.
    pub fn order<E: EntityTrait>(&self, select: Select<E>) -> Select<E> {
        let sorted = self.sort.as_ref().and_then(|(name, descending)| {
            let column = E::Column::from_str(name).ok()?;
            Some((column, if *descending { Order::Desc } else { Order::Asc }))
        });
        let id = E::Column::iter().next();
        match (sorted, id) {
            (Some((column, order)), Some(id)) => {
                select.order_by(column, order).order_by(id, Order::Asc)
            }
            (Some((column, order)), None) => select.order_by(column, order),
            (None, Some(id)) => select.order_by(id, Order::Desc),
            (None, None) => select,
        }
    }

    /// This list at `base` (its path): `/books?q=tolkien&sort=-title&page=2`, leaving out what
    /// is as by default.
    pub fn href(&self, base: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.search.is_empty() {
            query.append_pair("q", &self.search);
        }
        if let Some(sort) = self.sort_param() {
            query.append_pair("sort", &sort);
        }
        if self.page > 1 {
            query.append_pair("page", &self.page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{query}")
        }
    }

    /// The `sort` parameter of this order: `title`, or `-title` for the reverse.
    pub fn sort_param(&self) -> Option<String> {
        self.sort.as_ref().map(|(name, descending)| {
            if *descending {
                format!("-{name}")
            } else {
                name.clone()
            }
        })
    }

    /// The same list on page `page`.
    #[must_use]
    pub fn at_page(&self, page: u64) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// The same search sorted by `column` from its first page: ascending, or descending when it
    /// is ascending already (what a column header links to).
    #[must_use]
    pub fn sorted_by(&self, column: &str) -> Self {
        let descending = self.order_of(column) == "ascending";
        Self {
            page: 1,
            sort: Some((column.to_owned(), descending)),
            search: self.search.clone(),
        }
    }

    /// How the list is sorted by `column`, as `aria-sort` says it: `ascending`, `descending`
    /// or `none`.
    pub fn order_of(&self, column: &str) -> &'static str {
        match &self.sort {
            Some((name, false)) if name == column => "ascending",
            Some((name, true)) if name == column => "descending",
            _ => "none",
        }
    }
}

/// Rows where any of `columns` holds `search`, ignoring case as far as `backend` can: both sides
/// are lower-cased, every letter on Postgres, ASCII letters on SQLite (whose `lower()` knows no
/// others: `Émile` finds `Émile` and `ÉMILE`, not `émile`). `%` and `_` are searched for as
/// themselves. No condition when the search is empty.
pub fn search_in<C: ColumnTrait>(columns: &[C], search: &str, backend: Backend) -> Condition {
    if search.is_empty() {
        return Condition::all();
    }
    let lowered = match backend {
        Backend::Postgres => search.to_lowercase(),
        Backend::Sqlite => search.to_ascii_lowercase(),
    };
    let escaped = lowered
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |any, column| {
        let lowered = Expr::expr(Func::lower(Expr::col(column.as_column_ref())));
        any.add(sea_orm::sea_query::ExprTrait::like(
            lowered,
            LikeExpr::new(&pattern).escape('\\'),
        ))
    })
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Listing<M> {
    pub rows: Vec<M>,
    /// Rows in the whole list.
    pub total: u64,
    /// The page shown: the one asked for, or the last when it asked for one past it.
    pub page: u64,
    /// Pages in the whole list (at least 1).
    pub pages: u64,
}

/// Page `page` of `select`, [`PER_PAGE`] rows long; a page past the end gives the last.
pub async fn fetch<E, C>(select: Select<E>, db: &C, page: u64) -> Result<Listing<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let paginator = select.paginate(db, PER_PAGE);
    let counted = paginator.num_items_and_pages().await?;
    let pages = counted.number_of_pages.max(1);
    let page = page.clamp(1, pages);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Listing {
        rows,
        total: counted.number_of_items,
        page,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table to read queries for.
    mod book {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "books")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub title: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    fn read(query: &str) -> Result<ListQuery, AppError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        ListQuery::read::<book::Entity>(&pairs)
    }

    #[test]
    fn a_query_is_read_and_written_back_the_same() {
        let query = read("q=+ann+&sort=-title&page=3&other=1").unwrap();
        assert_eq!(query.search, "ann");
        assert_eq!(query.sort, Some(("title".to_owned(), true)));
        assert_eq!(query.page, 3);
        assert_eq!(query.href("/books"), "/books?q=ann&sort=-title&page=3");
        assert_eq!(read("").unwrap().href("/books"), "/books");
    }

    #[test]
    fn a_header_link_sorts_ascending_then_descending_from_page_one() {
        let query = read("sort=title&page=4").unwrap();
        assert_eq!(query.order_of("title"), "ascending");
        assert_eq!(query.order_of("id"), "none");
        let again = query.sorted_by("title");
        assert_eq!(
            (again.sort_param().unwrap().as_str(), again.page),
            ("-title", 1)
        );
        assert_eq!(again.sorted_by("title").sort_param().unwrap(), "title");
    }

    #[test]
    fn nonsense_is_refused() {
        for query in [
            "page=0",
            "page=-1",
            "page=two",
            "page=99999999999999999999999",
            "sort=title;drop",
            "sort=-",
            "sort=Title",
            "q=%00",
            "q=a%0Ab",
        ] {
            assert!(
                matches!(read(query), Err(AppError::BadRequest(_))),
                "{query} was accepted"
            );
        }
        let long = format!("q={}", "a".repeat(MAX_SEARCH_CHARS + 1));
        assert!(read(&long).is_err());
    }
}

//! [`Admin`]: a sea-orm entity in the admin area, described by its own column metadata, and
//! [`Resource`], what the admin pages need of it whatever its entity.

use std::{collections::BTreeMap, future::Future, pin::Pin};

use async_trait::async_trait;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait as _, Condition, DatabaseConnection, DbErr,
    EntityTrait, IdenStatic as _, Identity, IntoActiveModel, Iterable as _, ModelTrait, Order,
    PaginatorTrait as _, PrimaryKeyToColumn as _, PrimaryKeyTrait, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, RelationTrait as _, SqlErr, Value,
    sea_query::{ArrayType, Expr, Func, LikeExpr, TableRef},
};

use crate::{
    BadQuery, Context, FieldErrors,
    field::{Field, Rule, Timestamp, Widget},
};

/// Rows per page of a list, unless it asks for another number (`?per_page=`)…
pub const PER_PAGE: u64 = 25;
/// …of at most this many.
pub const MAX_PER_PAGE: u64 = 100;
/// The longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// What the list page asks for: a page, an order, a search, filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// From 1; a page past the last shows the last.
    pub page: u64,
    /// From 1 to [`MAX_PER_PAGE`].
    pub per_page: u64,
    /// A field name, and whether the order is descending.
    pub sort: Option<(String, bool)>,
    pub search: String,
    /// Field name → value, for boolean and choice fields.
    pub filters: BTreeMap<String, String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: PER_PAGE,
            sort: None,
            search: String::new(),
            filters: BTreeMap::new(),
        }
    }
}

impl ListQuery {
    /// Reads `?page=2&per_page=50&sort=-email&q=ann&is_admin=true`. A value that makes no sense
    /// (a page that is not a number, a sort by a column the list lacks, a filter value the
    /// column cannot hold, a search too long or holding control characters) is refused with a
    /// 400 saying which; other parameters are ignored.
    pub fn from_pairs(pairs: &[(String, String)], fields: &[Field]) -> Result<Self, BadQuery> {
        let refuse = |message: &str| Err(BadQuery(message.to_owned()));
        let mut query = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "page" => match value.parse::<u64>() {
                    Ok(page) if page >= 1 => query.page = page,
                    _ => return refuse("The page must be a whole number from 1."),
                },
                "per_page" => match value.parse::<u64>() {
                    Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => query.per_page = n,
                    _ => {
                        return Err(BadQuery(format!(
                            "Rows per page must be a whole number from 1 to {MAX_PER_PAGE}."
                        )));
                    }
                },
                "sort" => {
                    let (name, descending) = match value.strip_prefix('-') {
                        Some(name) => (name, true),
                        None => (value.as_str(), false),
                    };
                    if !fields.iter().any(|f| f.name == name && f.is_listed()) {
                        return refuse("The list cannot be sorted that way.");
                    }
                    query.sort = Some((name.to_owned(), descending));
                }
                "q" => {
                    let search = value.trim();
                    if search.chars().count() > MAX_SEARCH_CHARS
                        || search.chars().any(char::is_control)
                    {
                        return Err(BadQuery(format!(
                            "Search for at most {MAX_SEARCH_CHARS} characters, on one line."
                        )));
                    }
                    query.search = search.to_owned();
                }
                _ if value.is_empty() => {}
                _ => {
                    let Some(field) = fields.iter().find(|f| f.name == name && f.is_filterable())
                    else {
                        continue;
                    };
                    if field.filter_value(value).is_none() {
                        return refuse("A filter has a value its column cannot hold.");
                    }
                    query.filters.insert(name.clone(), value.clone());
                }
            }
        }
        Ok(query)
    }

    /// The `sort` parameter of this order: `email`, or `-email` for the reverse.
    pub fn sort_param(&self) -> Option<String> {
        self.sort.as_ref().map(|(name, descending)| {
            if *descending {
                format!("-{name}")
            } else {
                name.clone()
            }
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Each row's id, and its listed fields' values as shown.
    pub rows: Vec<(i64, Vec<String>)>,
    pub total: u64,
    /// The page shown: the one asked for, or the last when it asked for one past it.
    pub page: u64,
    pub pages: u64,
}

/// Why a form was not saved; `E` is the app's error.
#[derive(Debug)]
pub enum SaveError<E> {
    /// What to tell the person who filled it in, by field.
    Invalid(FieldErrors),
    NotFound,
    Failed(E),
}

impl<E: From<DbErr>> From<DbErr> for SaveError<E> {
    fn from(error: DbErr) -> Self {
        Self::Failed(error.into())
    }
}

/// Something an admin can do to one row, besides editing it (`users`: mark verified…).
pub struct Action<C: Context> {
    /// In the URL: `/admin/users/7/actions/verify`.
    pub name: &'static str,
    pub label: &'static str,
    /// Runs the action; says what was done, for a flash message.
    pub run: ActionFn<C>,
}

/// An action: the app, the acting admin's id and the row's id in; a message for the admin out.
pub type ActionFn<C> = for<'a> fn(&'a C, i64, i64) -> ActionFuture<'a, <C as Context>::Error>;

/// What an action returns.
pub type ActionFuture<'a, E> = Pin<Box<dyn Future<Output = Result<String, E>> + Send + 'a>>;

/// A line of a row's page that the app computes, for what other tables say of the row (a user's
/// two-factor sign-in, an order's total…).
pub struct Detail<C: Context> {
    pub label: &'static str,
    /// Gives the line's text.
    pub show: DetailFn<C>,
}

/// A detail: the app and the row's id in; the text to show out.
pub type DetailFn<C> = for<'a> fn(&'a C, i64) -> ActionFuture<'a, <C as Context>::Error>;

/// What the admin pages need of a registered entity. [`Admin`] implements it for any sea-orm
/// entity with an `i64` primary key.
#[async_trait]
pub trait Resource<C: Context>: Send + Sync {
    /// In URLs: `/admin/users`.
    fn key(&self) -> &'static str;
    fn label(&self) -> &str;
    fn table(&self) -> &str;
    fn fields(&self) -> &[Field];
    fn actions(&self) -> &[Action<C>];
    /// The lines the app adds to a row's page, after its fields.
    fn details(&self) -> &[Detail<C>];
    /// What names a row, from its values (in the order of [`Resource::fields`]).
    fn title_of(&self, id: i64, values: &[Value]) -> String;
    async fn count(&self, db: &DatabaseConnection) -> Result<u64, DbErr>;
    async fn list(&self, db: &DatabaseConnection, query: &ListQuery) -> Result<Listing, DbErr>;
    /// The row's values, in the order of [`Resource::fields`].
    async fn find(&self, db: &DatabaseConnection, id: i64) -> Result<Option<Vec<Value>>, DbErr>;
    /// Creates a row (`id` None) or updates one from what a form sent; returns its id.
    async fn save(
        &self,
        context: &C,
        id: Option<i64>,
        sent: &BTreeMap<String, String>,
    ) -> Result<i64, SaveError<C::Error>>;
    /// Whether a row was deleted.
    async fn delete(&self, db: &DatabaseConnection, id: i64) -> Result<bool, DbErr>;
    /// Each row's id and title, for the select of a field that refers to this table.
    async fn choices(&self, db: &DatabaseConnection) -> Result<Vec<(i64, String)>, DbErr>;
}

/// A reference field offers at most this many rows in its select.
const MAX_CHOICES: u64 = 500;

/// An entity in the admin area. The app builds one per table it registers:
///
/// ```ignore
/// Admin::<App, post::Entity>::new("posts", "Posts") // App: the app's state, a `Context`
///     .title(post::Column::Title)
///     .read_only(post::Column::CreatedAt)
/// ```
pub struct Admin<C: Context, E: EntityTrait> {
    key: &'static str,
    label: String,
    /// Every column, in the entity's order…
    columns: Vec<E::Column>,
    /// …and its field, in the same order.
    fields: Vec<Field>,
    primary_key: E::Column,
    /// Names a row in selects and titles.
    title: E::Column,
    actions: Vec<Action<C>>,
    details: Vec<Detail<C>>,
}

impl<C, E> Admin<C, E>
where
    C: Context,
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = i64>,
{
    /// The entity's columns as fields: widgets from their types, nullability and uniqueness from
    /// their definitions, references from the entity's `belongs_to` relations.
    pub fn new(key: &'static str, label: &str) -> Self {
        let primary_key = E::PrimaryKey::iter()
            .next()
            .expect("an entity has a primary key")
            .into_column();
        let own_table = E::default().table_name();
        // `belongs_to` relations: from a column of this table to another table.
        let references: Vec<(String, String)> = E::Relation::iter()
            .map(|relation| relation.def())
            .filter(|def| table_name(&def.from_tbl).as_deref() == Some(own_table))
            .filter_map(|def| {
                let Identity::Unary(column) = &def.from_col else {
                    return None;
                };
                Some((column.to_string(), table_name(&def.to_tbl)?))
            })
            .collect();
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let fields = columns
            .iter()
            .map(|column| {
                let def = column.def();
                let mut field = Field::new(
                    column.as_str(),
                    def.get_column_type().clone(),
                    def.is_null(),
                    def.is_unique(),
                );
                field.primary_key = column.as_str() == primary_key.as_str();
                // Values the forms cannot build (chrono's times, decimals, UUIDs…) are shown,
                // not edited.
                if !is_editable_type(&<E::Model as ModelTrait>::get_value_type(*column)) {
                    field.read_only = true;
                }
                if let Some((_, table)) = references.iter().find(|(c, _)| c == column.as_str()) {
                    field.widget = Widget::Reference {
                        table: table.clone(),
                    };
                }
                field
            })
            .collect();
        Self {
            key,
            label: label.to_owned(),
            columns,
            fields,
            primary_key,
            title: primary_key,
            actions: Vec::new(),
            details: Vec::new(),
        }
    }

    fn field_mut(&mut self, column: E::Column) -> &mut Field {
        let name = column.as_str();
        self.fields
            .iter_mut()
            .find(|field| field.name == name)
            .expect("a column of the entity")
    }

    /// The column that names a row (default: its id).
    pub fn title(mut self, column: E::Column) -> Self {
        self.title = column;
        self
    }

    pub fn label(mut self, column: E::Column, label: &str) -> Self {
        self.field_mut(column).label = label.to_owned();
        self
    }

    /// Neither shown nor edited.
    pub fn hidden(mut self, column: E::Column) -> Self {
        self.field_mut(column).hidden = true;
        self
    }

    /// Shown, never edited.
    pub fn read_only(mut self, column: E::Column) -> Self {
        self.field_mut(column).read_only = true;
        self
    }

    /// Checks and shapes what a form sends for the column before it is stored.
    pub fn rule(mut self, column: E::Column, rule: Rule) -> Self {
        self.field_mut(column).rule = Some(rule);
        self
    }

    /// Never shown; changed only when a new value is entered.
    pub fn sensitive(mut self, column: E::Column) -> Self {
        self.field_mut(column).sensitive = true;
        self
    }

    /// Edited with another widget than its column type's.
    pub fn widget(mut self, column: E::Column, widget: Widget) -> Self {
        let field = self.field_mut(column);
        field.sensitive |= widget == Widget::Password;
        field.widget = widget;
        self
    }

    /// Set to the current time by the app: when a row is created, or whenever it is saved.
    pub fn timestamp(mut self, column: E::Column, when: Timestamp) -> Self {
        self.field_mut(column).timestamp = Some(when);
        self
    }

    /// Something to do to a row, as a button on its page.
    pub fn action(mut self, name: &'static str, label: &'static str, run: ActionFn<C>) -> Self {
        self.actions.push(Action { name, label, run });
        self
    }

    /// Adds a line to each row's page, computed by `show` (see [`Detail`]).
    pub fn detail(mut self, label: &'static str, show: DetailFn<C>) -> Self {
        self.details.push(Detail { label, show });
        self
    }
}

/// The name of a plain table reference.
fn table_name(table: &TableRef) -> Option<String> {
    match table {
        TableRef::Table(name, _) => Some(name.1.to_string()),
        _ => None,
    }
}

/// Whether [`Field::parse`] builds values of this Rust type: the `time` crate's for dates and
/// times, as every model of the app uses.
fn is_editable_type(value_type: &ArrayType) -> bool {
    matches!(
        value_type,
        ArrayType::Bool
            | ArrayType::TinyInt
            | ArrayType::SmallInt
            | ArrayType::Int
            | ArrayType::BigInt
            | ArrayType::TinyUnsigned
            | ArrayType::SmallUnsigned
            | ArrayType::Unsigned
            | ArrayType::BigUnsigned
            | ArrayType::Float
            | ArrayType::Double
            | ArrayType::String
            | ArrayType::Bytes
            | ArrayType::Json
            | ArrayType::TimeDate
            | ArrayType::TimeDateTime
            | ArrayType::TimeDateTimeWithTimeZone
    )
}

/// Escapes the wildcards of LIKE in what someone searches for.
fn like_pattern(search: &str) -> String {
    let escaped = search
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The field a unique-constraint message names (SQLite: `UNIQUE constraint failed: users.email`;
/// Postgres: `… constraint "users_email_key" …`).
fn field_named_in<'a>(message: &str, fields: impl Iterator<Item = &'a Field>) -> Option<&'a str> {
    fields.map(|field| field.name).find(|name| {
        message.contains(&format!(".{name}")) || message.contains(&format!("_{name}_"))
    })
}

#[async_trait]
impl<C, E> Resource<C> for Admin<C, E>
where
    C: Context,
    E: EntityTrait + Sync,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send + Sync,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = i64>,
    E::Column: Send + Sync,
{
    fn key(&self) -> &'static str {
        self.key
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn table(&self) -> &str {
        E::default().table_name()
    }

    fn fields(&self) -> &[Field] {
        &self.fields
    }

    fn actions(&self) -> &[Action<C>] {
        &self.actions
    }

    fn details(&self) -> &[Detail<C>] {
        &self.details
    }

    fn title_of(&self, id: i64, values: &[Value]) -> String {
        let title = self.title.as_str();
        self.fields
            .iter()
            .zip(values)
            .find(|(field, _)| field.name == title && !field.primary_key)
            .map_or_else(|| format!("#{id}"), |(field, value)| field.display(value))
    }

    async fn count(&self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        E::find().count(db).await
    }

    async fn list(&self, db: &DatabaseConnection, query: &ListQuery) -> Result<Listing, DbErr> {
        let mut select = E::find();
        if !query.search.is_empty() {
            let pattern = like_pattern(&query.search);
            let mut any = Condition::any();
            for (column, _) in self.columns().filter(|(_, f)| f.is_searchable()) {
                let lowered = Expr::expr(Func::lower(Expr::col((E::default(), column))));
                any = any.add(sea_orm::sea_query::ExprTrait::like(
                    lowered,
                    LikeExpr::new(&pattern).escape('\\'),
                ));
            }
            select = select.filter(any);
        }
        for (column, field) in self.columns() {
            if let Some(value) = query.filters.get(field.name) {
                select = match field.filter_value(value) {
                    Some(value) => select.filter(column.eq(value)),
                    // A value the column cannot hold matches nothing.
                    None => select.filter(Expr::val(false)),
                };
            }
        }
        let sorted = query.sort.as_ref().and_then(|(name, descending)| {
            self.columns()
                .find(|(_, f)| f.name == name)
                .map(|(column, _)| (column, if *descending { Order::Desc } else { Order::Asc }))
        });
        select = match sorted {
            Some((column, order)) => select
                .order_by(column, order)
                .order_by(self.primary_key, Order::Asc),
            // Newest first.
            None => select.order_by(self.primary_key, Order::Desc),
        };
        let pages = select.paginate(db, query.per_page.clamp(1, MAX_PER_PAGE));
        let counted = pages.num_items_and_pages().await?;
        let last = counted.number_of_pages.max(1);
        let page = query.page.clamp(1, last);
        let models = pages.fetch_page(page - 1).await?;
        let rows = models
            .iter()
            .map(|model| {
                let cells = self
                    .columns()
                    .filter(|(_, f)| f.is_listed())
                    .map(|(column, field)| field.display(&model.get(column)))
                    .collect();
                (id_of(&model.get(self.primary_key)), cells)
            })
            .collect();
        Ok(Listing {
            rows,
            total: counted.number_of_items,
            page,
            pages: last,
        })
    }

    async fn find(&self, db: &DatabaseConnection, id: i64) -> Result<Option<Vec<Value>>, DbErr> {
        let model = E::find_by_id(id).one(db).await?;
        Ok(model.map(|model| {
            self.columns
                .iter()
                .map(|column| model.get(*column))
                .collect()
        }))
    }

    async fn save(
        &self,
        context: &C,
        id: Option<i64>,
        sent: &BTreeMap<String, String>,
    ) -> Result<i64, SaveError<C::Error>> {
        let db = context.db();
        let mut row: E::ActiveModel = match id {
            Some(id) => E::find_by_id(id)
                .one(db)
                .await?
                .ok_or(SaveError::NotFound)?
                .into_active_model(),
            None => E::ActiveModel::new(),
        };
        let mut errors = FieldErrors::new();
        for (column, field) in self.columns() {
            if let Some(when) = field.timestamp {
                if id.is_none() || when == Timestamp::OnUpdate {
                    row.try_set(column, field.now())?;
                }
                continue;
            }
            if !field.is_editable() {
                continue;
            }
            let mut sent = sent.get(field.name).map(String::as_str);
            let shaped;
            if let (Some(rule), Some(text)) = (field.rule, sent)
                && !text.trim().is_empty()
            {
                match rule(text) {
                    Ok(text) => {
                        shaped = text;
                        sent = Some(&shaped);
                    }
                    Err(message) => {
                        errors.insert(field.name.to_owned(), message.to_owned());
                        continue;
                    }
                }
            }
            let value = if field.sensitive {
                // Unchanged unless a new value is entered.
                match sent.filter(|text| !text.is_empty()) {
                    None if id.is_some() || field.nullable => continue,
                    None => Err("This field is required.".to_owned()),
                    Some(new) if field.widget == Widget::Password => context
                        .hash_password(new)
                        .await
                        .map_err(SaveError::Failed)?
                        .map(|hash| Value::String(Some(hash))),
                    Some(new) => field.parse(Some(new)),
                }
            } else {
                field.parse(sent)
            };
            match value {
                Ok(value) => row.try_set(column, value)?,
                Err(message) => {
                    errors.insert(field.name.to_owned(), message);
                }
            }
        }
        if !errors.is_empty() {
            return Err(SaveError::Invalid(errors));
        }
        let saved = if id.is_some() {
            row.update(db).await
        } else {
            row.insert(db).await
        };
        match saved {
            Ok(model) => Ok(id_of(&model.get(self.primary_key))),
            Err(error) => Err(self.explain(error)),
        }
    }

    async fn delete(&self, db: &DatabaseConnection, id: i64) -> Result<bool, DbErr> {
        let deleted = E::delete_by_id(id).exec(db).await?;
        Ok(deleted.rows_affected > 0)
    }

    async fn choices(&self, db: &DatabaseConnection) -> Result<Vec<(i64, String)>, DbErr> {
        let title = self
            .columns()
            .find(|(column, _)| column.as_str() == self.title.as_str())
            .map(|(_, field)| field)
            .expect("the title is a column");
        let models = E::find()
            .order_by(self.title, Order::Asc)
            .limit(MAX_CHOICES)
            .all(db)
            .await?;
        Ok(models
            .iter()
            .map(|model| {
                let id = id_of(&model.get(self.primary_key));
                (id, title.display(&model.get(self.title)))
            })
            .collect())
    }
}

impl<C, E> Admin<C, E>
where
    C: Context,
    E: EntityTrait,
{
    /// Each column with its field.
    fn columns(&self) -> impl Iterator<Item = (E::Column, &Field)> {
        self.columns.iter().copied().zip(&self.fields)
    }

    /// A database error on save, as form errors when the person can fix it.
    fn explain(&self, error: DbErr) -> SaveError<C::Error> {
        let fields = self.fields.iter();
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                let unique = fields.filter(|f| f.unique && f.is_editable());
                let name = field_named_in(&message, unique).unwrap_or("");
                SaveError::Invalid(FieldErrors::from([(
                    name.to_owned(),
                    "Another row already has this value: it must be unique.".to_owned(),
                )]))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(message)) => {
                let references = fields.filter(|f| matches!(f.widget, Widget::Reference { .. }));
                let name = field_named_in(&message, references).unwrap_or("");
                SaveError::Invalid(FieldErrors::from([(
                    name.to_owned(),
                    "There is no such row to refer to.".to_owned(),
                )]))
            }
            _ => SaveError::Failed(error.into()),
        }
    }
}

fn id_of(value: &Value) -> i64 {
    match value {
        Value::BigInt(Some(id)) => *id,
        Value::Int(Some(id)) => i64::from(*id),
        _ => 0,
    }
}

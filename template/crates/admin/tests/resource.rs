//! [`Admin`] over a table with a column of every kind the admin area edits: long text, integer,
//! decimal, date, JSON, a choice, a reference to another table. Each test gets a SQLite file of
//! its own, with the tables made from the entities below. How each database server's refusals
//! (unique values, foreign keys) become field errors is tested by the app on its own database
//! (`tests/app/admin_resource.rs`).

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ConnectionTrait as _, Database, DatabaseConnection,
    DbErr, Schema, Value,
};
use tempfile::TempDir;
use tenshu_admin::{Admin, Context, ListQuery, Resource, SaveError, Widget};

mod owner {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "owners")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub email: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod gadget {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "gadgets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub name: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        pub count: i32,
        pub price: f64,
        pub active: bool,
        pub kind: String,
        /// `time`'s date (the prelude's `Date` is chrono's when its feature is on).
        pub made_on: Option<time::Date>,
        #[sea_orm(column_type = "Json", nullable)]
        pub data: Option<Json>,
        pub owner_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::owner::Entity",
            from = "Column::OwnerId",
            to = "super::owner::Column::Id"
        )]
        Owner,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// What the engine runs with, as an app's state: a database of its own.
struct TestAdmin {
    db: DatabaseConnection,
    /// Holds the SQLite file; deleted on drop.
    _folder: TempDir,
}

impl Context for TestAdmin {
    type Error = DbErr;

    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Not a real hash: these tables have no password.
    async fn hash_password(&self, password: &str) -> Result<Result<String, String>, DbErr> {
        Ok(Ok(format!("hashed {password}")))
    }
}

/// A fresh database with the owners and gadgets tables, and the gadgets' resource.
async fn gadgets() -> (TestAdmin, Admin<TestAdmin, gadget::Entity>) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}/admin.db?mode=rwc", folder.path().display());
    let db = Database::connect(&url).await.expect("connected");
    let schema = Schema::new(db.get_database_backend());
    for table in [
        schema.create_table_from_entity(owner::Entity),
        schema.create_table_from_entity(gadget::Entity),
    ] {
        db.execute(&table).await.expect("a table");
    }
    let resource = Admin::<TestAdmin, gadget::Entity>::new("gadgets", "Gadgets")
        .title(gadget::Column::Name)
        .widget(
            gadget::Column::Kind,
            Widget::Choice(vec!["tool".to_owned(), "toy".to_owned()]),
        );
    (
        TestAdmin {
            db,
            _folder: folder,
        },
        resource,
    )
}

fn form(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn widget_of<'a>(resource: &'a dyn Resource<TestAdmin>, name: &str) -> &'a Widget {
    &resource
        .fields()
        .iter()
        .find(|field| field.name == name)
        .expect("a field")
        .widget
}

const VALID: &[(&str, &str)] = &[
    ("name", "Hammer"),
    ("notes", "Heavy.\nUse with care."),
    ("count", "3"),
    ("price", "12.5"),
    ("active", "on"),
    ("kind", "tool"),
    ("made_on", "2026-11-21"),
    ("data", r#"{"colour": "red"}"#),
    ("owner_id", ""),
];

#[tokio::test]
async fn each_column_type_gets_its_widget() {
    let (_, resource) = gadgets().await;

    let widgets = [
        ("name", Widget::Text),
        ("notes", Widget::LongText),
        ("count", Widget::Integer),
        ("price", Widget::Decimal),
        ("active", Widget::Boolean),
        ("made_on", Widget::Date),
        ("data", Widget::Json),
        (
            "owner_id",
            Widget::Reference {
                table: "owners".to_owned(),
            },
        ),
    ];
    for (name, widget) in widgets {
        assert_eq!(widget_of(&resource, name), &widget, "{name}");
    }
    let notes = resource
        .fields()
        .iter()
        .find(|f| f.name == "notes")
        .unwrap();
    assert!(notes.nullable);
}

#[tokio::test]
async fn a_row_is_saved_from_form_text_and_shown_again() {
    let (admin, resource) = gadgets().await;
    let owner = owner::ActiveModel {
        email: Set("ann@example.com".to_owned()),
        ..Default::default()
    }
    .insert(admin.db())
    .await
    .expect("an owner");
    let mut sent = form(VALID);
    let owner_id = owner.id.to_string();
    sent.insert("owner_id".to_owned(), owner_id.clone());

    let id = resource.save(&admin, None, &sent).await.expect("saved");

    let values = resource
        .find(admin.db(), id)
        .await
        .unwrap()
        .expect("the row");
    let shown: BTreeMap<&str, String> = resource
        .fields()
        .iter()
        .zip(&values)
        .map(|(field, value)| (field.name, field.input_value(value)))
        .collect();
    assert_eq!(shown["name"], "Hammer");
    assert_eq!(shown["notes"], "Heavy.\nUse with care.");
    assert_eq!(shown["count"], "3");
    assert_eq!(shown["price"], "12.5");
    assert_eq!(shown["active"], "true");
    assert_eq!(shown["made_on"], "2026-11-21");
    assert_eq!(shown["data"], "{\n  \"colour\": \"red\"\n}");
    assert_eq!(shown["owner_id"], owner_id);
    assert_eq!(resource.title_of(id, &values), "Hammer");

    // The reference's select offers the owners, by their title.
    let owners =
        Admin::<TestAdmin, owner::Entity>::new("owners", "Owners").title(owner::Column::Email);
    let choices = owners.choices(admin.db()).await.unwrap();
    assert_eq!(choices, [(owner.id, "ann@example.com".to_owned())]);

    // Emptied nullable fields become NULL.
    let mut emptied = form(VALID);
    emptied.insert("notes".to_owned(), String::new());
    emptied.insert("made_on".to_owned(), String::new());
    emptied.insert("data".to_owned(), String::new());
    resource
        .save(&admin, Some(id), &emptied)
        .await
        .expect("saved");
    let values = resource.find(admin.db(), id).await.unwrap().unwrap();
    let notes = resource
        .fields()
        .iter()
        .position(|f| f.name == "notes")
        .unwrap();
    assert_eq!(values[notes], Value::String(None));
}

#[tokio::test]
async fn each_widget_explains_what_it_could_not_read() {
    let (admin, resource) = gadgets().await;
    let mut sent = form(VALID);
    for (name, value) in [
        ("name", ""),
        ("count", "three"),
        ("price", "cheap"),
        ("kind", "weapon"),
        ("made_on", "21/11/2026"),
        ("data", "{colour: red}"),
    ] {
        sent.insert(name.to_owned(), value.to_owned());
    }

    let Err(SaveError::Invalid(errors)) = resource.save(&admin, None, &sent).await else {
        panic!("refused");
    };

    assert_eq!(errors.get("name").unwrap(), "This field is required.");
    assert_eq!(errors.get("count").unwrap(), "Enter a whole number.");
    assert_eq!(
        errors.get("price").unwrap(),
        "Enter a number, such as 12.5."
    );
    assert_eq!(errors.get("kind").unwrap(), "Choose one of: tool, toy.");
    assert_eq!(
        errors.get("made_on").unwrap(),
        "Enter a date, such as 2026-11-21."
    );
    assert!(
        errors
            .get("data")
            .unwrap()
            .starts_with("This is not valid JSON")
    );
    assert_eq!(resource.count(admin.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_before_the_database_sees_it() {
    let (admin, resource) = gadgets().await;
    let mut sent = form(VALID);
    sent.insert("name".to_owned(), "Ham\0mer".to_owned());
    sent.insert("notes".to_owned(), "\0".to_owned());
    sent.insert("data".to_owned(), r#"{"a": "\u0000"}"#.to_owned());

    let Err(SaveError::Invalid(errors)) = resource.save(&admin, None, &sent).await else {
        panic!("refused");
    };

    for field in ["name", "notes", "data"] {
        assert!(
            errors.get(field).unwrap().contains("NUL character"),
            "{field}"
        );
    }
    assert_eq!(resource.count(admin.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_list_filters_on_choices_and_booleans_and_sorts_by_any_column() {
    let (admin, resource) = gadgets().await;
    for (name, kind, price, active) in [
        ("Hammer", "tool", "12.5", true),
        ("Kite", "toy", "30", true),
        ("Yo-yo", "toy", "2", false),
    ] {
        let mut sent = form(VALID);
        sent.insert("name".to_owned(), name.to_owned());
        sent.insert("kind".to_owned(), kind.to_owned());
        sent.insert("price".to_owned(), price.to_owned());
        if !active {
            sent.remove("active");
        }
        resource.save(&admin, None, &sent).await.expect("saved");
    }
    assert_eq!(
        names(&resource, &admin, &[("kind", "toy"), ("sort", "name")]).await,
        ["Kite", "Yo-yo"]
    );
    assert_eq!(
        names(&resource, &admin, &[("active", "false")]).await,
        ["Yo-yo"]
    );
    assert_eq!(
        names(&resource, &admin, &[("sort", "-price")]).await,
        ["Kite", "Hammer", "Yo-yo"]
    );
    // Long text is searched too, though not listed.
    assert_eq!(
        names(&resource, &admin, &[("q", "with CARE"), ("sort", "name")])
            .await
            .len(),
        3
    );
    assert_eq!(names(&resource, &admin, &[("q", "yo-")]).await, ["Yo-yo"]);
}

/// The names (the second column) of the rows the list shows for `query`.
async fn names(
    resource: &dyn Resource<TestAdmin>,
    admin: &TestAdmin,
    query: &[(&str, &str)],
) -> Vec<String> {
    let pairs: Vec<(String, String)> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let query = ListQuery::from_pairs(&pairs, resource.fields()).expect("a valid query");
    let listing = resource.list(admin.db(), &query).await.unwrap();
    listing
        .rows
        .into_iter()
        .map(|(_, cells)| cells[1].clone())
        .collect()
}

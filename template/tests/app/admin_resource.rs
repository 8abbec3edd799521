//! `tenshu_admin::Admin` over a table with a column of every kind the admin area edits, beyond
//! what the app's own tables have: long text, integer, decimal, date, JSON, a choice, a
//! reference to another table. The table is made for each test from the entity below.

use std::collections::BTreeMap;

use leptos::prelude::*;
use scraper::Html;
use sea_orm::{ColumnType, ConnectionTrait as _, Schema, Value};
use tenshu_admin::{Admin, Field, ListQuery, Resource, SaveError, Widget};

use crate::{
    app::{
        admin,
        app::AppState,
        views::{
            self,
            components::form::FormErrors,
            pages::admin::{FormField, RowForm, RowFormCard},
        },
    },
    helpers::TestApp,
    injection::{PAYLOADS, assert_inert, field_value},
};

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
            belongs_to = "crate::app::models::user::Entity",
            from = "Column::OwnerId",
            to = "crate::app::models::user::Column::Id"
        )]
        Owner,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The app, with the gadgets table and its admin resource.
async fn gadgets() -> (TestApp, Admin<AppState, gadget::Entity>) {
    let app = TestApp::spawn().await;
    let schema = Schema::new(app.db().get_database_backend());
    app.db()
        .execute(&schema.create_table_from_entity(gadget::Entity))
        .await
        .expect("the gadgets table");
    let resource = Admin::<AppState, gadget::Entity>::new("gadgets", "Gadgets")
        .title(gadget::Column::Name)
        .widget(
            gadget::Column::Kind,
            Widget::Choice(vec!["tool".to_owned(), "toy".to_owned()]),
        );
    (app, resource)
}

fn form(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn widget_of<'a>(resource: &'a dyn Resource<AppState>, name: &str) -> &'a Widget {
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
                table: "users".to_owned(),
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
    let (app, resource) = gadgets().await;
    let owner = app
        .create_user("ann@example.com", "correct horse battery staple", false)
        .await;
    let mut sent = form(VALID);
    let owner_id = owner.id.to_string();
    sent.insert("owner_id".to_owned(), owner_id.clone());

    let id = resource.save(&app.state, None, &sent).await.expect("saved");

    let values = resource.find(app.db(), id).await.unwrap().expect("the row");
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

    // The reference's select offers the users, by their title.
    let users = admin::registry()
        .for_table("users")
        .expect("users are registered");
    let choices = users.choices(app.db()).await.unwrap();
    assert_eq!(choices, [(owner.id, "ann@example.com".to_owned())]);

    // Emptied nullable fields become NULL.
    let mut emptied = form(VALID);
    emptied.insert("notes".to_owned(), String::new());
    emptied.insert("made_on".to_owned(), String::new());
    emptied.insert("data".to_owned(), String::new());
    resource
        .save(&app.state, Some(id), &emptied)
        .await
        .expect("saved");
    let values = resource.find(app.db(), id).await.unwrap().unwrap();
    let notes = resource
        .fields()
        .iter()
        .position(|f| f.name == "notes")
        .unwrap();
    assert_eq!(values[notes], Value::String(None));
}

#[tokio::test]
async fn each_widget_explains_what_it_could_not_read() {
    let (app, resource) = gadgets().await;
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

    let Err(SaveError::Invalid(errors)) = resource.save(&app.state, None, &sent).await else {
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
    assert_eq!(resource.count(app.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_before_the_database_sees_it() {
    let (app, resource) = gadgets().await;
    let mut sent = form(VALID);
    sent.insert("name".to_owned(), "Ham\0mer".to_owned());
    sent.insert("notes".to_owned(), "\0".to_owned());
    sent.insert("data".to_owned(), r#"{"a": "\u0000"}"#.to_owned());

    let Err(SaveError::Invalid(errors)) = resource.save(&app.state, None, &sent).await else {
        panic!("refused");
    };

    for field in ["name", "notes", "data"] {
        assert!(
            errors.get(field).unwrap().contains("NUL character"),
            "{field}"
        );
    }
    assert_eq!(resource.count(app.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_database_refusals_become_field_errors() {
    let (app, resource) = gadgets().await;
    resource
        .save(&app.state, None, &form(VALID))
        .await
        .expect("saved");

    // The same name again: unique.
    let Err(SaveError::Invalid(errors)) = resource.save(&app.state, None, &form(VALID)).await
    else {
        panic!("refused");
    };
    assert_eq!(
        errors.get("name").unwrap(),
        "Another row already has this value: it must be unique."
    );

    // An owner that does not exist: the foreign key.
    let mut sent = form(VALID);
    sent.insert("name".to_owned(), "Saw".to_owned());
    sent.insert("owner_id".to_owned(), "999".to_owned());
    let Err(SaveError::Invalid(errors)) = resource.save(&app.state, None, &sent).await else {
        panic!("refused");
    };
    let message = "There is no such row to refer to.";
    assert!(
        errors.get("owner_id").map(String::as_str) == Some(message)
            || errors.get("").map(String::as_str) == Some(message),
        "{errors:?}"
    );
}

#[tokio::test]
async fn the_list_filters_on_choices_and_booleans_and_sorts_by_any_column() {
    let (app, resource) = gadgets().await;
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
        resource.save(&app.state, None, &sent).await.expect("saved");
    }
    assert_eq!(
        names(&resource, &app, &[("kind", "toy"), ("sort", "name")]).await,
        ["Kite", "Yo-yo"]
    );
    assert_eq!(
        names(&resource, &app, &[("active", "false")]).await,
        ["Yo-yo"]
    );
    assert_eq!(
        names(&resource, &app, &[("sort", "-price")]).await,
        ["Kite", "Hammer", "Yo-yo"]
    );
    // Long text is searched too, though not listed.
    assert_eq!(
        names(&resource, &app, &[("q", "with CARE"), ("sort", "name")])
            .await
            .len(),
        3
    );
    assert_eq!(names(&resource, &app, &[("q", "yo-")]).await, ["Yo-yo"]);
}

/// The names (the second column) of the rows the list shows for `query`.
async fn names(
    resource: &dyn Resource<AppState>,
    app: &TestApp,
    query: &[(&str, &str)],
) -> Vec<String> {
    let pairs: Vec<(String, String)> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let query = ListQuery::from_pairs(&pairs, resource.fields()).expect("a valid query");
    let listing = resource.list(app.db(), &query).await.unwrap();
    listing
        .rows
        .into_iter()
        .map(|(_, cells)| cells[1].clone())
        .collect()
}

#[test]
fn hostile_text_in_every_widget_comes_back_as_text() {
    // Every widget, with the kinds of value a form can send back to it.
    let widgets = [
        ("text", Widget::Text, true),
        ("long_text", Widget::LongText, true),
        ("integer", Widget::Integer, true),
        ("decimal", Widget::Decimal, true),
        ("date_time", Widget::DateTime, true),
        ("date", Widget::Date, true),
        ("json", Widget::Json, true),
        ("binary", Widget::Binary, true),
        // These show no text of their own: a choice among their options, or nothing.
        ("boolean", Widget::Boolean, false),
        ("choice", Widget::Choice(vec!["a".to_owned()]), false),
        (
            "reference",
            Widget::Reference {
                table: "users".to_owned(),
            },
            false,
        ),
        ("password", Widget::Password, false),
    ];
    for payload in PAYLOADS {
        let mut errors = FormErrors::default();
        let fields = widgets
            .iter()
            .map(|(name, widget, _)| {
                let mut field = Field::new(name, ColumnType::Text, true, false);
                field.widget = widget.clone();
                field.label = (*payload).to_owned();
                errors.add(name, *payload);
                FormField {
                    field,
                    value: (*payload).to_owned(),
                    choices: vec![(1, (*payload).to_owned())],
                }
            })
            .collect::<Vec<_>>();
        let heading = (*payload).to_owned();
        let form = views::render(view! {
            <RowFormCard heading>
                <RowForm action="/admin/gadgets/1".to_owned() csrf="token".to_owned() fields
                    errors editing=true />
            </RowFormCard>
        });

        let document = Html::parse_fragment(&form);
        assert_inert(&document, payload);
        for (name, _, shows_text) in &widgets {
            if *shows_text {
                assert_eq!(field_value(&document, name), *payload, "{name}");
            }
        }
    }
}

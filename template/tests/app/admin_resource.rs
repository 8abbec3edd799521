//! `tenshu_admin::Admin` in the app: its database's refusals (a unique value, a missing row to
//! refer to) become field errors on SQLite and Postgres alike, and the admin's form shows hostile
//! text in every widget as text. The engine's own behaviour is tested in its crate
//! (`crates/admin/tests`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use scraper::Html;
use sea_orm::{ColumnType, ConnectionTrait as _, Schema};
use tenshu_admin::{Admin, Field, Resource as _, SaveError, Widget};

use crate::{
    app::{
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

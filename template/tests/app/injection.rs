//! Hostile text in the form fields that come back on the page: it must come back as text, exactly
//! as typed, and never as HTML. Each payload tries to end the element or attribute it lands in
//! (`</textarea>`, `</title>`, `">`) and to add an element of its own, marked `data-pwned`, or
//! attributes that would run (`onerror`) or make htmx post (`hx-post` with `hx-trigger=load`).
//!
//! The helpers here serve the other modules' tests of their own forms (accounts, admin, files).

use std::fmt::Display;

use axum::http::StatusCode;
use scraper::Html;

use crate::{
    app::paths,
    helpers::{TestApp, html, select},
};

/// What a hostile visitor types into a field that comes back on the page.
pub const PAYLOADS: &[&str] = &[
    "</textarea><img src=x onerror=alert(1) data-pwned>",
    "</textarea><div data-pwned hx-post=\"/logout\" hx-trigger=\"load\"></div>",
    "</title><script data-pwned>alert(1)</script>",
    "\"><script data-pwned>alert(1)</script>",
    "'><b data-pwned onmouseover=alert(1)>x</b>",
    "<div data-pwned data-hx-post=\"/logout\" data-hx-trigger=\"load\"></div>",
    "Tom &amp; Jerry &lt;3 &#60;b&#62; <!> -->",
    "\nstarts with a line break\n\nand keeps its others",
];

/// Fails the test, saying `context`, when `document` holds an element or an attribute that a
/// payload added.
pub fn assert_inert(document: &Html, context: &str) {
    assert!(
        select(document, "[data-pwned]").is_empty(),
        "{context}: an injected element is in the page"
    );
    for element in select(document, "*") {
        for (name, value) in element.value().attrs() {
            // The app writes htmx attributes as data-hx-*: a bare hx-* one was injected.
            assert!(
                !name.starts_with("on") && !name.starts_with("hx-"),
                "{context}: an injected attribute {name}={value:?} on <{}>",
                element.value().name()
            );
            assert!(
                !(name == "data-hx-trigger" && value.contains("load")),
                "{context}: an htmx request triggered on load"
            );
        }
    }
    for script in select(document, "script") {
        let source = script.attr("src").unwrap_or_default();
        assert!(
            source.starts_with(paths::STATIC_PREFIX),
            "{context}: a script that is not one of the app's files"
        );
    }
}

/// What the field `name` of the page holds, as a browser shows it: an input's value, or a text
/// area's text.
pub fn field_value(document: &Html, name: &str) -> String {
    if let Some(area) = select(document, &format!("textarea[name={name}]")).first() {
        return area.text().collect();
    }
    select(document, &format!("input[name={name}]"))
        .first()
        .unwrap_or_else(|| panic!("a field named {name}"))
        .attr("value")
        .unwrap_or_default()
        .to_owned()
}

/// Posts `fields` with `payload` in `field` to `action`, a form of `form_page` that refuses them,
/// and checks the page that comes back: a 422, nothing injected, the payload in the field
/// exactly as sent.
pub async fn assert_comes_back_as_text(
    app: &TestApp,
    (form_page, action): (impl Display, impl Display),
    fields: &[(&str, &str)],
    field: &str,
    payload: &str,
) {
    let mut sent: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(name, _)| *name != field)
        .copied()
        .collect();
    sent.push((field, payload));
    let context = format!("{action} {field}={payload:?}");
    let response = app.submit(form_page, action, &sent).await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&response);
    assert_inert(&page, &context);
    assert_eq!(field_value(&page, field), payload, "{context}");
}

#[tokio::test]
async fn hostile_text_in_the_contact_form_comes_back_as_text() {
    let app = TestApp::spawn().await;
    // The email is refused, so the form comes back with what was typed.
    let refused = [("name", "Ada"), ("email", "bad"), ("message", "Hello")];

    for payload in PAYLOADS {
        for field in ["name", "email", "message"] {
            let form = (paths::Contact, paths::Contact);
            assert_comes_back_as_text(&app, form, &refused, field, payload).await;
        }
    }
}

#[tokio::test]
async fn no_form_writes_a_text_area_but_the_one_component_that_escapes_it() {
    // leptos leaves a textarea's text unescaped: `TextBox` escapes it, so every textarea must be
    // written by it (src/views/components/form.rs).
    let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut found = Vec::new();
    let mut folders = vec![std::path::PathBuf::from(sources)];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src/ can be read") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if std::fs::read_to_string(&path).is_ok_and(|text| {
                text.lines()
                    .any(|line| !line.trim_start().starts_with("//") && line.contains("<textarea"))
            }) {
                found.push(path.strip_prefix(sources).unwrap().display().to_string());
            }
        }
    }

    assert_eq!(found, ["views/components/form.rs"]);
}

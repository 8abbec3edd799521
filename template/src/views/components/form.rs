//! Form pieces: the errors of a submitted form, a form that htmx posts and replaces, labelled
//! fields (inputs, text areas, checkboxes, selects) with their error next to them, the CSRF
//! field, a form-level alert.
//!
//! Errors are tied to their field for screen readers (`aria-invalid`, `aria-describedby`).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use leptos::prelude::*;

use crate::csrf;

/// Error messages by field name, shown next to each field; `""` holds the form's own message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FormErrors(BTreeMap<String, String>);

impl FormErrors {
    /// The first message for each field of a failed validation.
    pub fn from_report(report: &garde::Report) -> Self {
        let mut errors = Self::default();
        for (path, error) in report.iter() {
            errors
                .0
                .entry(path.to_string())
                .or_insert_with(|| error.message().to_owned());
        }
        errors
    }

    /// Errors with one message for `field` (`""` for the whole form).
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.0.insert(field.to_owned(), message.into());
        errors
    }

    /// Adds a message for `field` (`""` for the whole form), after any it has.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// The value `read` gave `field`, or `None` with its message kept for the form.
    pub fn check<T>(&mut self, field: &str, read: Result<T, String>) -> Option<T> {
        read.map_err(|message| self.add(field, message)).ok()
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.0.get(field).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The status of a page showing the form: 422 when it comes back with errors.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// A form that htmx posts and replaces with the server's answer (errors shown in place);
/// without JavaScript, the browser posts it and gets the whole page back.
#[component]
pub fn HxForm(action: String, children: Children) -> impl IntoView {
    view! {
        <form
            method="post"
            action=action.clone()
            data-hx-post=action
            data-hx-target="this"
            data-hx-swap="outerHTML"
            data-hx-disabled-elt="find button"
            class="flex flex-col gap-2"
            novalidate
        >
            {children()}
        </form>
    }
}

/// A labelled input. `value` is what the visitor typed (kept when the form comes back with
/// errors); `error` is shown under the field. Its id is `field-{name}`, or `id` when two forms
/// of one page have a field of the same name.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] id: Option<&'static str>,
    /// Marks it for screen readers; the form's `novalidate` leaves the check to the server.
    #[prop(optional)]
    required: bool,
    /// The keyboard a phone shows: `numeric`, `decimal`…
    #[prop(optional)]
    inputmode: &'static str,
) -> impl IntoView {
    let id = id.map_or_else(|| format!("field-{name}"), str::to_owned);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match (error.is_some(), hint.is_some()) {
        (true, true) => Some(format!("{error_id} {hint_id}")),
        (true, false) => Some(error_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    let invalid = error.is_some();
    view! {
        <div class="fieldset">
            <label class="fieldset-legend" for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                class="input w-full"
                class:input-error=invalid
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                autofocus=autofocus
                required=required
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|hint| view! { <p id=hint_id class="label whitespace-normal">{hint}</p> })}
            {error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
        </div>
    }
}

/// The hidden field carrying the CSRF token (see [`crate::csrf`]).
#[component]
pub fn CsrfField(token: String) -> impl IntoView {
    view! { <input type="hidden" name=csrf::FIELD value=token /> }
}

/// A message about the whole form (wrong password, expired link…), announced to screen readers.
#[component]
pub fn FormAlert(message: Option<String>) -> impl IntoView {
    message.map(|message| {
        view! {
            <div role="alert" class="alert alert-error alert-soft">
                <span>{message}</span>
            </div>
        }
    })
}

/// A labelled text area for longer text; like [`Field`], it keeps what was typed and shows its
/// error underneath.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(default = 6)] rows: u32,
    #[prop(optional)] required: bool,
    #[prop(optional)] monospace: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    view! {
        <div class="fieldset">
            <label class="fieldset-legend" for=id.clone()>{label}</label>
            <TextBox
                id
                name
                text=value
                rows
                required
                monospace
                invalid
                described_by=invalid.then(|| error_id.clone())
            />
            {error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
        </div>
    }
}

/// A labelled checkbox that sends `true` when ticked (and nothing otherwise).
#[component]
pub fn Checkbox(
    name: &'static str,
    label: &'static str,
    checked: bool,
    #[prop(default = None)] error: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    let label_for = id.clone();
    view! {
        <div class="fieldset">
            <label class="label gap-2 text-base-content" for=label_for>
                <input
                    id=id
                    name=name
                    type="checkbox"
                    value="true"
                    checked=checked
                    class="checkbox"
                    aria-invalid=invalid.then_some("true")
                    aria-describedby=invalid.then(|| error_id.clone())
                />
                {label}
            </label>
            {error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
        </div>
    }
}

/// A labelled `<select>` of `options` (value, label), with `selected` chosen. `blank` is the
/// label of an empty first option ("Choose…", or "—" for a field that may stay empty).
#[component]
pub fn Select(
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    selected: String,
    #[prop(optional)] blank: Option<&'static str>,
    #[prop(default = None)] error: Option<String>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    let blank_selected = selected.is_empty();
    view! {
        <div class="fieldset">
            <label class="fieldset-legend" for=id.clone()>{label}</label>
            <select
                id=id
                name=name
                class="select w-full"
                class:select-error=invalid
                required=required
                aria-invalid=invalid.then_some("true")
                aria-describedby=invalid.then(|| error_id.clone())
            >
                {blank.map(|blank| view! { <option value="" selected=blank_selected>{blank}</option> })}
                {select_options(options, &selected)}
            </select>
            {error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
        </div>
    }
}

/// The `<option>`s of a `<select>`: (value, label) pairs, the one whose value is `selected`
/// chosen.
pub fn select_options(options: Vec<(String, String)>, selected: &str) -> impl IntoView + use<> {
    options
        .into_iter()
        .map(|(value, label)| {
            let chosen = value == selected;
            view! { <option value=value selected=chosen>{label}</option> }
        })
        .collect_view()
}

/// A `<textarea>` holding `text`: the one place the app writes a textarea, so write every one
/// with it.
///
/// leptos writes a textarea's children as they are, unescaped, as it does a `<script>`'s: text
/// holding `</textarea><img …>` would close the element and add its own HTML to the page. So the
/// text is escaped here (the browser decodes `&lt;` and `&amp;` inside a textarea), after a line
/// break, because browsers drop one line break that opens a textarea: text that starts with one
/// comes back whole.
#[component]
pub fn TextBox(
    id: String,
    name: &'static str,
    text: String,
    #[prop(default = 6)] rows: u32,
    #[prop(optional)] monospace: bool,
    #[prop(optional)] invalid: bool,
    #[prop(optional)] required: bool,
    #[prop(default = None)] described_by: Option<String>,
) -> impl IntoView {
    let escaped = format!("\n{}", html_escape::encode_text(&text));
    view! {
        <textarea
            id=id
            name=name
            rows=rows
            class="textarea w-full"
            class:font-mono=monospace
            class:textarea-error=invalid
            required=required
            aria-invalid=invalid.then_some("true")
            aria-describedby=described_by
        >
            {escaped}
        </textarea>
    }
}

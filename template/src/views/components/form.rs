//! Form pieces: labelled fields with their error next to them, the CSRF field, a form-level alert.
//!
//! Errors are tied to their field for screen readers (`aria-invalid`, `aria-describedby`).

use leptos::prelude::*;

use crate::csrf;

/// A labelled input. `value` is what the visitor typed (kept when the form comes back with
/// errors); `error` is shown under the field.
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
) -> impl IntoView {
    let id = format!("field-{name}");
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
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|hint| view! { <p id=hint_id class="label">{hint}</p> })}
            {error.map(|message| view! { <p id=error_id class="label text-error">{message}</p> })}
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

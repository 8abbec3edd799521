//! Choosing a new password, from the link of the reset email.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

#[component]
pub fn ResetPasswordForm(
    csrf: String,
    token: String,
    errors: FormErrors,
    password_hint: String,
) -> impl IntoView {
    view! {
        <HxForm action=paths::ResetPassword.to_string()>
            <CsrfField token=csrf />
            <input type="hidden" name="token" value=token />
            <FormAlert message=errors.get("") />
            <Field name="password" label="New password" kind="password" error=errors.get("password")
                autocomplete="new-password" hint=password_hint autofocus=true />
            <button type="submit" class="btn btn-primary mt-4">"Save my new password"</button>
        </HxForm>
    }
}

//! Registration: an email and a password.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

#[component]
pub fn RegisterForm(
    csrf: String,
    email: String,
    errors: FormErrors,
    password_hint: String,
) -> impl IntoView {
    view! {
        <HxForm action=paths::Register.to_string()>
            <CsrfField token=csrf />
            <FormAlert message=errors.get("") />
            <Field name="email" label="Email" kind="email" value=email error=errors.get("email")
                autocomplete="email" autofocus=true />
            <Field name="password" label="Password" kind="password" error=errors.get("password")
                autocomplete="new-password" hint=password_hint />
            <button type="submit" class="btn btn-primary mt-4">"Create account"</button>
        </HxForm>
    }
}

#[component]
pub fn RegisterLinks() -> impl IntoView {
    view! {
        <p class="text-sm">
            "Already have an account? " <a class="link" href=paths::SignIn.to_string()>"Sign in"</a>
        </p>
    }
}

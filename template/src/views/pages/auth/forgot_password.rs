//! Asking for a password reset link.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormErrors, HxForm},
};

#[component]
pub fn ForgotPasswordForm(csrf: String, email: String, errors: FormErrors) -> impl IntoView {
    view! {
        <HxForm action=paths::ForgotPassword.to_string()>
            <CsrfField token=csrf />
            <Field name="email" label="Email" kind="email" value=email error=errors.get("email")
                autocomplete="email" autofocus=true />
            <button type="submit" class="btn btn-primary mt-4">"Send me a reset link"</button>
        </HxForm>
    }
}

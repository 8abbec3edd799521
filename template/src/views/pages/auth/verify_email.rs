//! Confirming an address: the link from the email opens this form, which asks for the password
//! too, so only the person who registered can confirm (and is signed in at once).

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

#[component]
pub fn VerifyEmailForm(
    csrf: String,
    token: String,
    email: String,
    errors: FormErrors,
) -> impl IntoView {
    view! {
        <HxForm action=paths::VerifyEmail.to_string()>
            <CsrfField token=csrf />
            <input type="hidden" name="token" value=token />
            <FormAlert message=errors.get("") />
            <div class="fieldset">
                <span class="fieldset-legend">"Email"</span>
                <p class="font-medium" data-testid="verify-email">{email}</p>
            </div>
            <Field name="password" label="Password" kind="password" error=errors.get("password")
                autocomplete="current-password" autofocus=true />
            <button type="submit" class="btn btn-primary mt-4">"Confirm and sign in"</button>
        </HxForm>
    }
}

/// The form asking for a new confirmation link.
#[component]
pub fn ResendVerificationForm(csrf: String, email: String, errors: FormErrors) -> impl IntoView {
    view! {
        <HxForm action=paths::ResendVerification.to_string()>
            <CsrfField token=csrf />
            <Field name="email" label="Email" kind="email" value=email error=errors.get("email")
                autocomplete="email" autofocus=true />
            <button type="submit" class="btn btn-primary mt-4">"Send a new link"</button>
        </HxForm>
    }
}

//! Signing in by email: the form asking for a link (on the sign-in page and on its own), and the
//! page the link opens, whose button signs in. Opening the link alone does nothing: mail
//! scanners that follow links must not use it up, or sign anyone in.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormErrors, HxForm},
};

/// "Email me a sign-in link". Its field has an id of its own: on the sign-in page, it sits below
/// the password form's email field.
#[component]
pub fn SignInLinkForm(
    csrf: String,
    email: String,
    errors: FormErrors,
    /// Whether the field takes the focus (on its own page, not under the password form).
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    view! {
        <HxForm action=paths::SignInLink.to_string()>
            <CsrfField token=csrf />
            <Field name="email" id="field-link-email" label="Email" kind="email" value=email
                error=errors.get("email") autocomplete="username" autofocus=autofocus />
            <button type="submit" class="btn btn-outline mt-2">"Email me a sign-in link"</button>
        </HxForm>
    }
}

/// Where the link leads: who is signing in, "remember me", and the button.
#[component]
pub fn OpenSignInLinkForm(csrf: String, token: String, email: String) -> impl IntoView {
    view! {
        <HxForm action=paths::OpenSignInLink.to_string()>
            <CsrfField token=csrf />
            <input type="hidden" name="token" value=token />
            <div class="fieldset">
                <span class="fieldset-legend">"Email"</span>
                <p class="font-medium" data-testid="sign-in-link-email">{email}</p>
            </div>
            <label class="label mt-2 gap-2">
                <input type="checkbox" name="remember" class="checkbox checkbox-sm" />
                "Remember me on this device"
            </label>
            <button type="submit" class="btn btn-primary mt-4">"Sign in"</button>
        </HxForm>
    }
}

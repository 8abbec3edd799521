//! Signing in: email, password, "remember me", and where to go afterwards.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

#[component]
pub fn SignInForm(
    csrf: String,
    email: String,
    remember: bool,
    next: Option<String>,
    errors: FormErrors,
    /// Set when the account exists but its address is not confirmed yet.
    #[prop(optional)]
    unverified: bool,
) -> impl IntoView {
    view! {
        <HxForm action=paths::SignIn.to_string()>
            <CsrfField token=csrf />
            {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
            <FormAlert message=errors.get("") />
            {unverified.then(|| view! {
                <p class="text-sm">
                    "No email? "
                    <a class="link" href=paths::ResendVerification.to_string()>"Send a new confirmation link"</a>
                </p>
            })}
            <Field name="email" label="Email" kind="email" value=email error=errors.get("email")
                autocomplete="username webauthn" autofocus=true />
            <Field name="password" label="Password" kind="password" error=errors.get("password")
                autocomplete="current-password" />
            <label class="label mt-2 gap-2">
                <input type="checkbox" name="remember" class="checkbox checkbox-sm" checked=remember />
                "Remember me on this device"
            </label>
            <button type="submit" class="btn btn-primary mt-4">"Sign in"</button>
        </HxForm>
    }
}

#[component]
pub fn SignInLinks() -> impl IntoView {
    view! {
        <div class="flex flex-col gap-1 text-sm">
            <a class="link" href=paths::ForgotPassword.to_string()>"Forgot your password?"</a>
            <p>"No account yet? " <a class="link" href=paths::Register.to_string()>"Create one"</a></p>
        </div>
    }
}

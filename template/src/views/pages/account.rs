//! The account page: who is signed in, and forms to change the password or the email address
//! (each asks for the current password).

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

#[component]
pub fn AccountPage(
    email: String,
    verified: bool,
    /// A new address asked for, waiting for the link sent there to be opened.
    pending_email: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="mx-auto flex max-w-xl flex-col gap-6" aria-labelledby="account-title">
            <header>
                <h1 id="account-title" class="text-3xl font-bold tracking-tight">"Your account"</h1>
                <p class="mt-2 text-base-content/80">
                    "Signed in as " <strong data-testid="account-email">{email}</strong>
                    {(!verified).then(|| view! { <span class="badge badge-warning ml-2">"not confirmed"</span> })}
                </p>
                {pending_email.map(|pending| view! {
                    <p class="mt-2 text-sm text-base-content/80" data-testid="pending-email">
                        "Waiting for you to open the link we sent to " <strong>{pending}</strong>
                        " to make it your address."
                    </p>
                })}
            </header>
            {children()}
        </section>
    }
}

#[component]
pub fn ChangePasswordForm(
    csrf: String,
    errors: FormErrors,
    password_hint: String,
) -> impl IntoView {
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h2 class="card-title">"Change your password"</h2>
                <p class="text-sm text-base-content/80">"Every other device you signed in on will be signed out."</p>
                <HxForm action=paths::AccountPassword.to_string()>
                    <CsrfField token=csrf />
                    <FormAlert message=errors.get("") />
                    <Field name="current_password" label="Current password" kind="password"
                        error=errors.get("current_password") autocomplete="current-password" />
                    <Field name="new_password" label="New password" kind="password"
                        error=errors.get("new_password") autocomplete="new-password" hint=password_hint />
                    <button type="submit" class="btn btn-primary mt-4">"Change password"</button>
                </HxForm>
            </div>
        </div>
    }
}

#[component]
pub fn ChangeEmailForm(csrf: String, email: String, errors: FormErrors) -> impl IntoView {
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h2 class="card-title">"Change your email address"</h2>
                <p class="text-sm text-base-content/80">"We will send a confirmation link to the new address."</p>
                <HxForm action=paths::AccountEmail.to_string()>
                    <CsrfField token=csrf />
                    <FormAlert message=errors.get("") />
                    <Field name="email" label="New email" kind="email" value=email
                        error=errors.get("email") autocomplete="email" />
                    // The password form above has a field of this name.
                    <Field name="current_password" label="Current password" kind="password"
                        id="email-current_password" error=errors.get("current_password")
                        autocomplete="current-password" />
                    <button type="submit" class="btn btn-primary mt-4">"Change email"</button>
                </HxForm>
            </div>
        </div>
    }
}

/// The page of the link sent to a new address: one button makes the change.
#[component]
pub fn ConfirmEmailChange(csrf: String, token: String, new_email: String) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-md bg-base-100 shadow-sm" aria-labelledby="confirm-title">
            <div class="card-body gap-4">
                <h1 id="confirm-title" class="card-title text-2xl">"Confirm your new address"</h1>
                <p>"Make " <strong data-testid="new-email">{new_email}</strong> " the address of your account?"</p>
                <form method="post" action=paths::AccountEmailConfirm.to_string()>
                    <CsrfField token=csrf />
                    <input type="hidden" name="token" value=token />
                    <button type="submit" class="btn btn-primary">"Use this address"</button>
                </form>
            </div>
        </section>
    }
}

/// A link that no longer works: why, and where to go.
#[component]
pub fn DeadLink() -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-md bg-base-100 shadow-sm" aria-labelledby="dead-link-title">
            <div class="card-body gap-4">
                <h1 id="dead-link-title" class="card-title text-2xl">"This link no longer works"</h1>
                <p>"It has expired, was already used, was replaced by a newer one, or belongs to another account."</p>
                <a class="btn btn-primary self-start" href=paths::Account.to_string()>"Go to your account"</a>
            </div>
        </section>
    }
}

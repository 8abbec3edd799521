//! Passkeys: the account's list (add, remove), and the buttons that sign in with one or pass the
//! second step. The forms marked `data-passkey` are driven by `static/js/passkeys.js`, which asks
//! the form's challenge URL, has the device answer, and sends the answer in `credential`.

use leptos::prelude::*;

use crate::{
    models::passkey,
    paths,
    views::components::{
        form::{CsrfField, Field, FormAlert, FormErrors},
        value::day,
    },
};

/// Where the script writes what went wrong on the device (an alert once it says something).
#[component]
fn PasskeyMessage() -> impl IntoView {
    view! { <p class="text-sm text-error" data-passkey-message hidden></p> }
}

/// "Sign in with a passkey", under the password form of the sign-in page.
#[component]
pub fn PasskeySignInForm(
    csrf: String,
    next: Option<String>,
    error: Option<String>,
) -> impl IntoView {
    view! {
        <form method="post" action=paths::SignInPasskey.to_string() class="flex flex-col gap-2"
            data-passkey="sign-in" data-passkey-challenge=paths::SignInPasskeyChallenge.to_string()>
            <CsrfField token=csrf />
            <input type="hidden" name="credential" value="" />
            <input type="hidden" name="remember" value="" />
            {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
            <FormAlert message=error />
            <PasskeyMessage />
            <button type="submit" class="btn btn-outline">"Sign in with a passkey"</button>
        </form>
    }
}

/// "Use a passkey" at the second step of signing in.
#[component]
pub fn PasskeySecondStepForm(csrf: String, error: Option<String>) -> impl IntoView {
    view! {
        <form method="post" action=paths::SignInTwoFactorPasskey.to_string() class="flex flex-col gap-2"
            data-passkey="second-step" data-passkey-challenge=paths::SignInTwoFactorPasskeyChallenge.to_string()>
            <CsrfField token=csrf />
            <input type="hidden" name="credential" value="" />
            <FormAlert message=error />
            <PasskeyMessage />
            <button type="submit" class="btn btn-outline">"Use a passkey"</button>
        </form>
    }
}

/// The account's passkeys, with a form to add one and, on each, one to remove it.
#[component]
pub fn PasskeysPage(
    csrf: String,
    passkeys: Vec<passkey::Model>,
    /// Whether the site can use passkeys: not when `public_url` names it by an IP address.
    enabled: bool,
    /// The name typed into the add form, kept when it comes back with errors.
    name: String,
    add_errors: FormErrors,
    /// The passkey whose removal came back with errors, and those errors.
    remove_errors: Option<(i64, FormErrors)>,
    /// Recovery codes left, when two-factor is on through passkeys alone (new ones are made here).
    recovery_codes_left: Option<u64>,
    codes_errors: FormErrors,
    /// Whether an administrator must have two-factor sign-in on, and this user has not.
    required: bool,
) -> impl IntoView {
    let codes_csrf = csrf.clone();
    let empty = passkeys.is_empty();
    let rows = passkeys
        .into_iter()
        .map(|key| {
            let errors = match &remove_errors {
                Some((id, errors)) if *id == key.id => errors.clone(),
                _ => FormErrors::default(),
            };
            view! { <PasskeyRow csrf=csrf.clone() key errors /> }
        })
        .collect_view();
    view! {
        <section class="mx-auto flex max-w-xl flex-col gap-6" aria-labelledby="passkeys-title">
            <header>
                <h1 id="passkeys-title" class="text-3xl font-bold tracking-tight">"Passkeys"</h1>
                <p class="mt-2 text-base-content/80">
                    "A passkey lives on your phone, computer or security key, behind its screen lock. "
                    "It signs you in without your password, and after your password it is your second step."
                </p>
            </header>
            {required.then(|| view! {
                <div role="status" class="alert alert-warning alert-soft">
                    <span>"Administrators must have two-factor sign-in: add a passkey or set up an authenticator app to reach the admin area."</span>
                </div>
            })}
            {if empty {
                view! { <p class="text-sm" data-testid="no-passkeys">"No passkeys yet."</p> }.into_any()
            } else {
                view! { <ul class="flex flex-col gap-3" data-testid="passkeys">{rows}</ul> }.into_any()
            }}
            {(!enabled).then(|| view! {
                <div role="status" class="alert alert-info alert-soft">
                    <span>"Passkeys are off on this site: its address (server.public_url) is an IP address, and passkeys belong to a domain name."</span>
                </div>
            })}
            <div class="card bg-base-100 shadow-sm" hidden=!enabled>
                <div class="card-body">
                    <h2 class="card-title">"Add a passkey"</h2>
                    <form method="post" action=paths::AccountPasskeys.to_string() class="flex flex-col gap-2" novalidate
                        data-passkey="add" data-passkey-challenge=paths::AccountPasskeyChallenge.to_string()>
                        <CsrfField token=csrf.clone() />
                        <input type="hidden" name="credential" value="" />
                        <FormAlert message=add_errors.get("") />
                        <PasskeyMessage />
                        <Field name="name" label="Name" value=name error=add_errors.get("name")
                            hint="Which device it is on: \"Phone\", \"Work laptop\"." required=true />
                        <Field name="current_password" label="Current password" kind="password"
                            id="add-current_password" error=add_errors.get("current_password")
                            autocomplete="current-password" required=true />
                        <button type="submit" class="btn btn-primary mt-4 self-start">"Add a passkey"</button>
                    </form>
                </div>
            </div>
            {recovery_codes_left.map(|left| view! {
                <div class="card bg-base-100 shadow-sm">
                    <div class="card-body">
                        <h2 class="card-title">"Recovery codes"</h2>
                        <p class="text-sm text-base-content/80" data-testid="recovery-codes-left">
                            {format!("{left} left, for when your passkeys are out of reach. New ones replace them all.")}
                        </p>
                        <form method="post" action=paths::AccountPasskeyRecoveryCodes.to_string() class="flex flex-col gap-2" novalidate>
                            <CsrfField token=codes_csrf />
                            <FormAlert message=codes_errors.get("") />
                            <Field name="current_password" label="Current password" kind="password"
                                id="codes-current_password" error=codes_errors.get("current_password")
                                autocomplete="current-password" required=true />
                            <button type="submit" class="btn btn-outline mt-4 self-start">"Make new recovery codes"</button>
                        </form>
                    </div>
                </div>
            })}
            <a class="link text-sm" href=paths::Account.to_string()>"Back to your account"</a>
        </section>
    }
}

#[component]
fn PasskeyRow(csrf: String, key: passkey::Model, errors: FormErrors) -> impl IntoView {
    let failed = !errors.is_empty();
    let password_id = format!("remove-{}-current_password", key.id);
    let error_id = format!("{password_id}-error");
    let password_error = errors.get("current_password");
    let invalid = password_error.is_some();
    view! {
        <li class="card bg-base-100 shadow-sm">
            <div class="card-body gap-1 py-4">
                <h2 class="card-title text-lg break-all">{key.name.clone()}</h2>
                <p class="text-sm text-base-content/80">
                    {format!("Added {}", day(key.created_at))}
                    {key.last_used_at.map(|used| format!(" · last used {}", day(used)))}
                </p>
                <details open=failed>
                    <summary class="link text-sm">"Remove"</summary>
                    <form method="post" action=paths::AccountPasskeyRemove { id: key.id }.to_string() class="mt-2 flex flex-col gap-2" novalidate>
                        <CsrfField token=csrf />
                        <FormAlert message=errors.get("") />
                        <div class="fieldset">
                            <label class="fieldset-legend" for=password_id.clone()>"Current password"</label>
                            <input id=password_id name="current_password" type="password" class="input w-full"
                                class:input-error=invalid autocomplete="current-password" required
                                aria-invalid=invalid.then_some("true")
                                aria-describedby=invalid.then(|| error_id.clone()) />
                            {password_error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
                        </div>
                        <button type="submit" class="btn btn-error btn-sm self-start">{format!("Remove {}", key.name)}</button>
                    </form>
                </details>
            </div>
        </li>
    }
}

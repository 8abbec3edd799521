//! Two-factor sign-in: the second step of signing in, the setup page (QR code and key), the page
//! that manages it once on, the recovery codes shown once, and the account page's card.
//!
//! The setup and management forms are plain forms (htmx boosts them): their answer is a whole
//! page, the recovery codes, not a form replacing itself.

use leptos::prelude::*;

use crate::{
    auth::two_factor::Status,
    paths,
    views::components::form::{CsrfField, Field, FormAlert, FormErrors, HxForm},
};

const CODE_HINT: &str =
    "The 6-digit code your authenticator app shows now, or one of your recovery codes.";

/// The second step of signing in: a code from the app or, without one, a recovery code.
#[component]
pub fn SecondStepForm(csrf: String, errors: FormErrors, authenticator_app: bool) -> impl IntoView {
    let (label, hint) = if authenticator_app {
        ("Code", CODE_HINT)
    } else {
        (
            "Recovery code",
            "One of the recovery codes you saved, if your passkeys are out of reach.",
        )
    };
    view! {
        <HxForm action=paths::SignInTwoFactor.to_string()>
            <CsrfField token=csrf />
            <FormAlert message=errors.get("") />
            <Field name="code" label error=errors.get("code") autocomplete="one-time-code"
                hint autofocus=authenticator_app required=true />
            <button type="submit" class="btn btn-primary mt-4">"Continue"</button>
        </HxForm>
    }
}

#[component]
pub fn SecondStepLinks() -> impl IntoView {
    view! {
        <p class="text-sm">
            "Not you, or no code at hand? "
            <a class="link" href=paths::SignIn.to_string()>"Start again"</a>
        </p>
    }
}

/// The account page's card: whether two-factor is on, with what, and where to change it.
#[component]
pub fn TwoFactorCard(status: Status) -> impl IntoView {
    let (on, authenticator_app, passkeys, recovery_codes_left) = match status {
        Status::Off => (false, false, 0, 0),
        Status::On {
            authenticator_app,
            passkeys,
            recovery_codes_left,
        } => (true, authenticator_app, passkeys, recovery_codes_left),
    };
    let summary = if on {
        let mut ways = Vec::new();
        if authenticator_app {
            ways.push("a code from your authenticator app".to_owned());
        }
        if passkeys > 0 {
            ways.push(match passkeys {
                1 => "your passkey".to_owned(),
                _ => format!("one of your {passkeys} passkeys"),
            });
        }
        format!(
            "Signing in with your password asks for {} too. {recovery_codes_left} recovery codes \
             left.",
            ways.join(" or ")
        )
    } else {
        "Ask for a code from an authenticator app or a passkey after your password: a stolen \
         password alone no longer opens your account. A passkey also signs you in without one."
            .to_owned()
    };
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h2 class="card-title">
                    "Two-factor sign-in"
                    <span class="badge" class:badge-success=on class:badge-ghost=!on data-testid="two-factor-status">
                        {if on { "on" } else { "off" }}
                    </span>
                </h2>
                <p class="text-sm text-base-content/80">{summary}</p>
                <div class="mt-2 flex flex-wrap gap-2">
                    <a class="btn btn-outline" href=paths::AccountTwoFactor.to_string()>
                        {if authenticator_app { "Manage the authenticator app" } else { "Set up an authenticator app" }}
                    </a>
                    <a class="btn btn-outline" href=paths::AccountPasskeys.to_string()>
                        {if passkeys > 0 { "Manage passkeys" } else { "Add a passkey" }}
                    </a>
                </div>
            </div>
        </div>
    }
}

/// Setting up: scan the QR code (or type the key), then confirm with a first code and the
/// password.
#[component]
pub fn SetupPage(
    csrf: String,
    qr_code: String,
    secret_text: String,
    errors: FormErrors,
    /// This administrator must turn it on before the admin area opens (`auth.admins_need_two_factor`).
    required: bool,
) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-xl bg-base-100 shadow-sm" aria-labelledby="two-factor-title">
            <div class="card-body gap-4">
                <h1 id="two-factor-title" class="card-title text-2xl">"Set up two-factor sign-in"</h1>
                {required.then(|| view! {
                    <div role="status" class="alert alert-warning alert-soft" data-testid="two-factor-required">
                        <span>
                            "Administrators need two-factor sign-in: set up an authenticator app below, or "
                            <a class="link" href=paths::AccountPasskeys.to_string()>"add a passkey"</a>
                            ", to open the admin area."
                        </span>
                    </div>
                })}
                <ol class="list-decimal space-y-4 pl-5">
                    <li>
                        <p>"Scan this code with an authenticator app (1Password, Google Authenticator, Aegis…)."</p>
                        <img class="mt-2 rounded bg-white p-2" src=qr_code width="200" height="200"
                            alt="QR code holding the key below, for your authenticator app" />
                        <p class="mt-2 text-sm">"Or type this key into the app:"</p>
                        <code class="block break-all font-mono text-sm" data-testid="totp-secret">{secret_text}</code>
                    </li>
                    <li>
                        <p>"Enter the code the app shows, and your password, to turn it on."</p>
                        <form method="post" action=paths::AccountTwoFactor.to_string() class="flex flex-col gap-2">
                            <CsrfField token=csrf />
                            <FormAlert message=errors.get("") />
                            <Field name="code" label="Code from the app" error=errors.get("code")
                                autocomplete="one-time-code" inputmode="numeric" required=true />
                            <Field name="current_password" label="Current password" kind="password"
                                error=errors.get("current_password") autocomplete="current-password" required=true />
                            <button type="submit" class="btn btn-primary mt-4 self-start">"Turn on two-factor sign-in"</button>
                        </form>
                    </li>
                </ol>
                <a class="link text-sm" href=paths::Account.to_string()>"Back to your account"</a>
            </div>
        </section>
    }
}

/// Two-factor is on: new recovery codes, or turning it off.
#[component]
pub fn ManagePage(
    csrf: String,
    recovery_codes_left: u64,
    /// How many a new set holds.
    recovery_codes: usize,
    /// The user's passkeys, which keep two-factor on without the app.
    passkeys: u64,
    codes_errors: FormErrors,
    disable_errors: FormErrors,
) -> impl IntoView {
    view! {
        <section class="mx-auto flex max-w-xl flex-col gap-6" aria-labelledby="two-factor-title">
            <header>
                <h1 id="two-factor-title" class="text-3xl font-bold tracking-tight">"Two-factor sign-in"</h1>
                <p class="mt-2 text-base-content/80">
                    {if passkeys > 0 {
                        "On: signing in asks for a code from your authenticator app, or a passkey, after your password."
                    } else {
                        "On: signing in asks for a code from your authenticator app after your password."
                    }}
                </p>
            </header>
            <div class="card bg-base-100 shadow-sm">
                <div class="card-body">
                    <h2 class="card-title">"Recovery codes"</h2>
                    <p class="text-sm text-base-content/80" data-testid="recovery-codes-left">
                        {format!("{recovery_codes_left} of {recovery_codes} left. ")}
                        "New ones replace them all."
                    </p>
                    <form method="post" action=paths::AccountRecoveryCodes.to_string() class="flex flex-col gap-2">
                        <CsrfField token=csrf.clone() />
                        <FormAlert message=codes_errors.get("") />
                        <Field name="current_password" label="Current password" kind="password"
                            id="codes-current_password" error=codes_errors.get("current_password")
                            autocomplete="current-password" required=true />
                        <Field name="code" label="Code" id="codes-code" error=codes_errors.get("code")
                            autocomplete="one-time-code" hint=CODE_HINT required=true />
                        <button type="submit" class="btn btn-outline mt-4 self-start">"Make new recovery codes"</button>
                    </form>
                </div>
            </div>
            <div class="card bg-base-100 shadow-sm">
                <div class="card-body">
                    <h2 class="card-title">
                        {if passkeys > 0 { "Remove the authenticator app" } else { "Turn off two-factor sign-in" }}
                    </h2>
                    <p class="text-sm text-base-content/80">
                        {if passkeys > 0 {
                            "Your passkeys will still be asked for after your password."
                        } else {
                            "Your password alone will open your account again."
                        }}
                    </p>
                    <form method="post" action=paths::AccountTwoFactorDisable.to_string() class="flex flex-col gap-2">
                        <CsrfField token=csrf />
                        <FormAlert message=disable_errors.get("") />
                        <Field name="current_password" label="Current password" kind="password"
                            id="disable-current_password" error=disable_errors.get("current_password")
                            autocomplete="current-password" required=true />
                        <Field name="code" label="Code" id="disable-code" error=disable_errors.get("code")
                            autocomplete="one-time-code" hint=CODE_HINT required=true />
                        <button type="submit" class="btn btn-error mt-4 self-start">"Turn off"</button>
                    </form>
                </div>
            </div>
            <a class="link text-sm" href=paths::Account.to_string()>"Back to your account"</a>
        </section>
    }
}

/// New recovery codes, shown this once.
#[component]
pub fn RecoveryCodesPage(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-xl bg-base-100 shadow-sm" aria-labelledby="codes-title">
            <div class="card-body gap-4">
                <h1 id="codes-title" class="card-title text-2xl">"Your recovery codes"</h1>
                <p>
                    "Each opens your account once if you lose your authenticator app or your passkeys. Keep them "
                    "somewhere safe, "
                    "apart from your password: "
                    <strong>"this page is the only time they are shown."</strong>
                </p>
                <ul class="grid grid-cols-2 gap-2 font-mono text-lg" data-testid="recovery-codes">
                    {codes.into_iter().map(|code| view! { <li>{code}</li> }).collect_view()}
                </ul>
                <a class="btn btn-primary self-start" href=paths::Account.to_string()>"I have saved them"</a>
            </div>
        </section>
    }
}

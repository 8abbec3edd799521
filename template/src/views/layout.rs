//! The document around every page.

use leptos::prelude::*;

{% if auth -%}
use crate::{
    assets, csrf,
    paths::{About, Account, Contact, Home, Register, SignIn, SignOut},
    views::components::{
        flash::{Flash, FlashMessages},
        form::CsrfField,
    },
};
{%- else -%}
use crate::{
    assets, csrf,
    paths::{About, Contact, Home},
    views::components::flash::{Flash, FlashMessages},
};
{%- endif %}

/// htmx settings (read by htmx from this meta tag):
/// - no inline `<style>` for indicators and no `eval`, so the Content-Security-Policy can forbid both;
/// - error responses are swapped too: a 422 re-renders the form in place, and other errors are sent
///   by the server to the flash region (`HX-Retarget`, see `crate::middleware::error_pages`).
pub const HTMX_CONFIG: &str = concat!(
    r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"#,
    r#""selfRequestsOnly":true,"historyRestoreAsHxRequest":false,"#,
    r#""responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},"#,
    r#"{"code":"422","swap":true},{"code":"[45]..","swap":true,"error":true}]}"#,
);

{% if auth -%}
/// Who is signed in, as the header shows them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub email: String,
    pub is_admin: bool,
}

{% endif -%}
/// What the layout shows around the page content.
#[derive(Debug, Clone)]
pub struct LayoutData {
    /// The app's name, from the configuration.
    pub app_name: String,
    /// The page's title; the document's `<title>` is "title · app name".
    pub title: String,
    /// The page's summary, for search engines and link previews.
    pub description: String,
    /// The requested path, which marks the current navigation link.
    pub path: String,
    pub flashes: Vec<Flash>,
{%- if auth %}
    /// Who is signed in, if anyone.
    pub user: Option<SignedIn>,
{%- endif %}
    /// The visitor's CSRF token, if the page has one: htmx sends it as a header.
    pub csrf: Option<String>,
    /// The page is the visitor's own (an account, a form token): htmx keeps no snapshot of it in
    /// the browser's storage for the back button.
    pub private: bool,
}

#[component]
pub fn Layout(data: LayoutData, children: Children) -> impl IntoView {
    let LayoutData {
        app_name,
        title,
        description,
        path,
        flashes,
{%- if auth %}
        user,
{%- endif %}
        csrf,
        private,
    } = data;
    // JSON for htmx's hx-headers attribute; the token is base64url, so it needs no escaping.
    let hx_headers = csrf
        .as_ref()
        .map(|token| ["{\"", csrf::HEADER, "\":\"", token, "\"}"].concat());
    let document_title = if title.is_empty() {
        app_name.clone()
    } else {
        format!("{title} · {app_name}")
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{document_title}</title>
                <meta name="description" content=description />
                <meta name="htmx-config" content=HTMX_CONFIG />
                <link rel="stylesheet" href=assets::url("/css/app.css") />
                <link rel="icon" href=assets::url("/favicon.svg") type="image/svg+xml" />
                <script src=assets::url("/js/htmx.min.js") defer></script>
{%- if auth %}
                <script src=assets::url("/js/passkeys.js") defer></script>
{%- endif %}
{%- if uploads %}
                <script src=assets::url("/js/upload-progress.js") defer></script>
{%- endif %}
                {cfg!(feature = "livereload")
                    .then(|| view! { <script src=assets::url("/js/dev-reload.js") defer></script> })}
            </head>
            <body class="flex min-h-screen flex-col bg-base-200 text-base-content" data-hx-boost="true" data-hx-headers=hx_headers>
                <a href="#main" class="skip-link btn btn-primary btn-sm">"Skip to content"</a>
{%- if auth %}
                <Header app_name=app_name.clone() path=path user csrf />
{%- else %}
                <Header app_name=app_name.clone() path=path />
{%- endif %}
                // On <main>, which boosted navigation swaps with the page, not on <body>, which stays.
                <main id="main" class="mx-auto w-full max-w-5xl flex-1 px-4 py-8 sm:px-6"
                    data-hx-history=private.then_some("false")>
                    <FlashMessages flashes />
                    {children()}
                </main>
                <Footer app_name />
            </body>
        </html>
    }
}

/// The links of the main navigation, in order (`just g scaffold … --nav` adds its list's).
fn navigation() -> Vec<(String, &'static str)> {
    vec![
        (Home.to_string(), "Home"),
        (About.to_string(), "About"),
        (Contact.to_string(), "Contact"),
    ]
}

{% if auth -%}
#[component]
fn Header(
    app_name: String,
    path: String,
    user: Option<SignedIn>,
    csrf: Option<String>,
) -> impl IntoView {
{%- else -%}
#[component]
fn Header(app_name: String, path: String) -> impl IntoView {
{%- endif %}
    view! {
        <header class="navbar gap-2 bg-base-100 px-4 shadow-sm sm:px-6">
            <div class="min-w-0 flex-1">
                <a href=Home.to_string() class="block truncate text-xl font-semibold tracking-tight">
                    {app_name}
                </a>
            </div>
            <nav aria-label="Main">
                // Narrow screens: the links behind a button, in a <details> that opens without
                // JavaScript.
                <details class="dropdown dropdown-end md:hidden">
                    <summary class="btn btn-ghost">"Menu"</summary>
                    <ul class="menu dropdown-content z-10 mt-2 w-56 rounded-box bg-base-100 p-2 shadow-lg">
{%- if auth %}
                        <NavLinks path=path.clone() user=user.clone() csrf=csrf.clone() />
{%- else %}
                        <NavLinks path=path.clone() />
{%- endif %}
                    </ul>
                </details>
                // Wider screens: the links in a row.
                <ul class="menu menu-horizontal hidden gap-1 px-1 md:flex">
{%- if auth %}
                    <NavLinks path user csrf />
{%- else %}
                    <NavLinks path />
{%- endif %}
                </ul>
            </nav>
        </header>
    }
}

/// The navigation's items{% if auth %}, the account's last{% endif %}, the current page marked.
{% if auth -%}
#[component]
fn NavLinks(path: String, user: Option<SignedIn>, csrf: Option<String>) -> impl IntoView {
{%- else -%}
#[component]
fn NavLinks(path: String) -> impl IntoView {
{%- endif %}
    view! {
        {navigation()
            .into_iter()
            .map(|(href, label)| {
                let current = (href == path).then_some("page");
                view! {
                    <li>
                        <a href=href aria-current=current class:menu-active=current.is_some()>
                            {label}
                        </a>
                    </li>
                }
            })
            .collect_view()}
{%- if auth %}
        <AccountMenu user csrf path />
{%- endif %}
    }
}
{% if auth %}
/// Sign-in and registration links, or the account link and the sign-out button.
#[component]
fn AccountMenu(user: Option<SignedIn>, csrf: Option<String>, path: String) -> impl IntoView {
    match (user, csrf) {
        (Some(user), Some(csrf)) => {
            let account = Account.to_string();
            let current = (account == path).then_some("page");
{%- if uploads %}
            let files = crate::paths::Files.to_string();
            let files_current = (files == path).then_some("page");
{%- endif %}
            view! {
{%- if admin %}
                {user.is_admin.then(|| {
                    let admin = crate::paths::AdminDashboard.to_string();
                    let current = path.starts_with(&admin).then_some("page");
                    view! {
                        <li>
                            <a href=admin aria-current=current class:menu-active=current.is_some()>
                                "Admin"
                            </a>
                        </li>
                    }
                })}
{%- endif %}
{%- if uploads %}
                <li>
                    <a href=files aria-current=files_current class:menu-active=files_current.is_some()>
                        "Files"
                    </a>
                </li>
{%- endif %}
                <li>
                    <a href=account aria-current=current class:menu-active=current.is_some() title=user.email>
                        "Account"
                    </a>
                </li>
                <li>
                    <form method="post" action=SignOut.to_string() class="p-0">
                        <CsrfField token=csrf />
                        <button type="submit" class="btn btn-ghost btn-sm">"Sign out"</button>
                    </form>
                </li>
            }
            .into_any()
        }
        // An error page rendered on the way out has no form token: the account, without the
        // sign-out button.
        (Some(_), None) => view! {
            <li><a href=Account.to_string()>"Account"</a></li>
        }
        .into_any(),
        (None, _) => view! {
            <li><a href=SignIn.to_string()>"Sign in"</a></li>
            <li><a href=Register.to_string() class="btn btn-primary btn-sm">"Register"</a></li>
        }
        .into_any(),
    }
}
{% endif %}
#[component]
fn Footer(app_name: String) -> impl IntoView {
    view! {
        <footer class="footer sm:footer-horizontal footer-center bg-base-100 p-6 text-sm text-base-content/70">
            <p>
                {app_name} " · built with Tenshu: axum, leptos, sea-orm and htmx"
            </p>
        </footer>
    }
}

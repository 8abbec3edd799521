//! The router: every route of the app, in groups, each group with the middleware it needs.
//!
//! | group | routes | its own middleware |
//! |---|---|---|
{%- if auth %}
//! | [`pages`], [`auth`], [`sign_in_link`], [`two_factor`], [`passkeys`],{% if oauth %} [`oauth`],{% endif %} [`account`] | HTML pages | page cache, sessions, flash messages, signed-in user, CSRF token check |
{%- else %}
//! | [`pages`] | HTML pages | page cache, sessions, flash messages, CSRF token check |
{%- endif %}
{%- if admin %}
//! | [`admin`]{% if tasks %}, [`task_monitor`]{% endif %} | `/admin…` | as pages; administrators only |
{%- endif %}
{%- if uploads %}
//! | [`files`] | `/files…` | as pages, with room in the body size limit for the largest upload |
{%- endif %}
//! | [`dev`] | `/dev/mail` | as pages; development only |
//! | [`health`] | `/health`, `/ready` | none: probes stay cheap |
//! | static files | `/static/…` ([`crate::assets`]) | long-lived caching |
//!
//! Around all of them, outermost first: request id → logging span → security headers →
//! compression → error pages → cross-site request refusal → timeout → panic catcher. Request
//! bodies are read under their group's size limit: `server.body_limit_bytes` for pages.
//!
//! To add a page: `just g page NAME` writes its path, its handler in a module of its own here
//! and its view. By hand: a path type in [`crate::paths`], a handler in [`pages`] taking that
//! type first, and one `.get(handler)` line in its `routes()`.

{% if auth -%}
pub mod account;
{% endif -%}
{% if admin -%}
pub mod admin;
{% endif -%}
{% if auth -%}
pub mod auth;
{% endif -%}
pub mod contact;
pub mod dev;
{% if uploads -%}
pub mod files;
{% endif -%}
pub mod health;
{% if oauth -%}
pub mod oauth;
{% endif -%}
pub mod pages;
{% if admin and tasks -%}
pub mod task_monitor;
{% endif -%}
{% if auth -%}
pub mod sign_in_link;
{% endif -%}
mod table;
{% if auth -%}
pub mod two_factor;
pub mod passkeys;
{% endif -%}

use std::sync::Arc;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    middleware::{from_fn, from_fn_with_state},
};
use axum_messages::MessagesManagerLayer;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    csrf::CsrfLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub use self::table::{RouteInfo, RouteTable, Routes};
use crate::{
    app::AppState,
    assets,
    config::{Config, Environment, MailTransport},
    csrf,
    error::AppError,
    middleware::{self, REQUEST_ID},
    paths, session,
};

/// The whole app as one router, ready to serve.
pub fn router(state: AppState) -> Router {
    router_with(state, Routes::new())
}

/// The app's router with `extra_pages` mounted beside the pages, under the same middleware.
/// The tests use it to reach failure paths that no page has (a panic, a slow handler).
pub fn router_with(state: AppState, extra_pages: Routes<AppState>) -> Router {
    let config = &state.config;
    let groups = Groups::of(config);
    // Each group reads bodies under its own size limit, which is in place before the CSRF check
    // reads a form.
    let csrf_cookie = csrf::CsrfCookie::new(config, state.session_key.clone());
    let forms = groups.pages.merge(extra_pages);
    let protection = csrf::Protection::new(&csrf_cookie, forms.table().methods_and_paths());
    let forms = forms
        .route_layer(from_fn_with_state(protection, csrf::protect))
        .layer(RequestBodyLimitLayer::new(config.server.body_limit_bytes));
{%- if uploads %}
    // Uploads: room for the largest file allowed and the form around it.
    let files = groups.files;
    let protection = csrf::Protection::new(&csrf_cookie, files.table().methods_and_paths());
    let forms = forms.merge(
        files
            .route_layer(from_fn_with_state(protection, csrf::protect))
            .layer(RequestBodyLimitLayer::new(
                config.uploads.request_limit_bytes(),
            )),
    );
{%- endif %}
    let (pages, _) = forms
        // Inside the session's layers: a 404 page shows who is signed in.
        .fallback(not_found)
{%- if auth %}
        // Layers run bottom to top: the session is loaded first, then the signed-in user, then
        // the flash messages (which the user's layer sees saved, to keep the session's lifetime).
        .layer(MessagesManagerLayer)
        .layer(from_fn_with_state(
            Arc::new(crate::auth::session::Accounts {
                db: state.db.clone(),
                users: state.users.clone(),
                remember_for: time::Duration::days(config.auth.remember_days),
            }),
            crate::auth::session::load_current_user,
        ))
{%- else %}
        // Layers run bottom to top: the session is loaded first, then the flash messages.
        .layer(MessagesManagerLayer)
{%- endif %}
        .layer(session::layer(
            &state.config,
            state.sessions.clone(),
            state.session_key.clone(),
        ))
        // Before any of it: pages kept for visitors without a session.
        .layer(from_fn_with_state(
            (state.cache.pages().clone(), session::cookie_name(config)),
            crate::cache::pages::serve_cached_pages,
        ))
        .into_parts();
    let (bare, _) = groups.bare.into_parts();

    let router = Router::new()
        .merge(pages)
        .merge(bare)
        .layer(
            ServiceBuilder::new()
                .layer(middleware::drop_unusable_request_ids())
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(middleware::request_span)
                        // One line per request, with its status and latency.
                        .on_response(DefaultOnResponse::new().level(Level::INFO))
                        // Failures are logged once, with their cause, by `error_pages`.
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::security_headers(state.config.server.hsts))
                .layer(from_fn(middleware::compression))
                .layer(from_fn_with_state(
                    Arc::new(state.config.clone()),
                    middleware::error_pages,
                ))
                // Refuses unsafe methods (POST…) sent by another site, from the browser's
                // Sec-Fetch-Site and Origin headers: a 403, rendered by `error_pages`.
                .layer(CsrfLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    state.config.server.request_timeout(),
                ))
                // Body limits are set per route group, above (axum's own default is off).
                .layer(DefaultBodyLimit::disable())
                .layer(CatchPanicLayer::custom(middleware::panic_response)),
        )
        .with_state(state);
    #[cfg(feature = "livereload")]
    let router = router.layer(live_reload());
    router
}

/// Development only (`just dev`): an event stream that open pages follow, to reload themselves
/// when the server restarts (see `static/js/dev-reload.js`, which the layout then includes).
/// tower-livereload's inline script injection is off: the Content-Security-Policy forbids it.
#[cfg(feature = "livereload")]
fn live_reload() -> tower_livereload::LiveReloadLayer<fn(&axum::extract::Request) -> bool> {
    let never_inject: fn(&axum::extract::Request) -> bool = |_| false;
    tower_livereload::LiveReloadLayer::new()
        .custom_prefix("/_dev/livereload")
        .request_predicate(never_inject)
}

/// Every route the router serves with `config`, for `app routes` and the tests.
pub fn table(config: &Config) -> RouteTable {
    let groups = Groups::of(config);
    let routes = groups.pages;
{%- if uploads %}
    let routes = routes.merge(groups.files);
{%- endif %}
    let (_, table) = routes.merge(groups.bare).into_parts();
    table
}

/// The routes, in the groups that [`router_with`] wraps each in its own middleware.
struct Groups {
    /// The HTML pages, with the development tools in development.
    pages: Routes<AppState>,
{%- if uploads %}
    /// The uploads: as pages, with room in the body limit for the largest file.
    files: Routes<AppState>,
{%- endif %}
    /// The probes and the static files: no session, no CSRF check.
    bare: Routes<AppState>,
}

impl Groups {
    fn of(config: &Config) -> Self {
        let dev_tools = config.environment == Environment::Development
            && config.mail.transport == MailTransport::Outbox;
        Self {
            pages: pages_routes().merge(if dev_tools {
                dev::routes()
            } else {
                Routes::new()
            }),
{%- if uploads %}
            files: files::routes(),
{%- endif %}
            bare: health::routes().merge(static_files()),
        }
    }
}

{% if auth -%}
/// The HTML pages: the site's own, the contact form, the account pages (`just g page` adds its
/// pages' at the end).
fn pages_routes() -> Routes<AppState> {
    pages::routes()
        .merge(contact::routes())
        .merge(auth::routes())
        .merge(sign_in_link::routes())
        .merge(two_factor::routes())
        .merge(passkeys::routes())
{%- if oauth %}
        .merge(oauth::routes())
{%- endif %}
        .merge(account::routes())
{%- if admin %}
        .merge(admin::routes())
{%- endif %}
{%- if admin and tasks %}
        .merge(task_monitor::routes())
{%- endif %}
}
{%- else -%}
/// The HTML pages: the site's own, the contact form (`just g page` adds its pages' at the end).
fn pages_routes() -> Routes<AppState> {
    pages::routes()
        // The contact form, with its own rate limit.
        .merge(contact::routes())
}
{%- endif %}

fn static_files() -> Routes<AppState> {
    Routes::new().nest_service(
        paths::STATIC_PREFIX,
        "assets::router (files of static/)",
        assets::router(),
    )
}

/// Anything no route matches.
async fn not_found() -> AppError {
    AppError::NotFound
}

//! [`Page`]: the page being answered. A handler takes it as an argument and ends with
//! `page.render("Title", view! { … })`; the page decides between a whole document and, for htmx,
//! just the fragment.
//!
//! ```ignore
//! async fn about(_: paths::About, page: Page) -> Response {
//!     page.render("About", view! { <AboutPage/> })
//! }
//! ```

use std::time::Duration;

use axum::{
    extract::FromRequestParts,
    http::{StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Response},
};
use axum_messages::{Level, Messages};
use leptos::prelude::*;

use crate::{
    app::AppState,
{%- if auth %}
    auth::session::CurrentUser,
{%- endif %}
    cache::pages::Cacheable,
    config::Config,
    csrf::{CsrfToken, TokenShown},
    htmx::{HxRequest, VARY_HTMX},
    views::{
        self,
        components::flash::{Flash, FlashLevel, FlashMessages},
{%- if auth %}
        layout::{Layout, LayoutData, SignedIn},
{%- else %}
        layout::{Layout, LayoutData},
{%- endif %}
    },
};

/// What the layout needs from the request, gathered by the extractor.
#[derive(Debug)]
pub struct Page {
    app_name: String,
    /// The page's summary for search engines and link previews (`description` of the
    /// configuration, unless [`Page::describe`] gives one).
    description: String,
    path: String,
    hx: HxRequest,
    /// Taken out only when the page is rendered: a handler that fails after extracting `Page`
    /// leaves them for the next page.
    messages: Option<Messages>,
{%- if auth %}
    /// The signed-in user, for the navigation.
    user: Option<CurrentUser>,
{%- endif %}
    /// The visitor's CSRF token, which htmx sends with every request: always when someone is
    /// signed in (the sign-out button posts it), otherwise once the visitor has one.
    csrf: Option<String>,
    /// Whether the handler put the token into the page too (a form).
    token_shown: Option<TokenShown>,
    /// Set by [`Page::cache_for`].
    cache_for: Option<Duration>,
}

impl Page {
    /// A page for a request that has no session.
    pub fn new(config: &Config, path: String, hx: HxRequest) -> Self {
        Self {
            app_name: config.name.clone(),
            description: config.description.clone(),
            path,
            hx,
            messages: None,
{%- if auth %}
            user: None,
{%- endif %}
            csrf: None,
            token_shown: None,
            cache_for: None,
        }
    }

{%- if auth %}
    /// A page for an error response, rendered by middleware after the handler: it shows who is
    /// signed in (the response carries them, see `crate::auth::session::load_current_user`).
    pub fn for_error(
        config: &Config,
        path: String,
        hx: HxRequest,
        response: &axum::http::Extensions,
    ) -> Self {
        Self {
            user: response.get::<CurrentUser>().cloned(),
            ..Self::new(config, path, hx)
        }
    }
{%- else %}
    /// A page for an error response, rendered by middleware after the handler (the same for
    /// everyone: the site has no accounts).
    pub fn for_error(
        config: &Config,
        path: String,
        hx: HxRequest,
        _response: &axum::http::Extensions,
    ) -> Self {
        Self::new(config, path, hx)
    }
{%- endif %}
{% if auth %}
    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&CurrentUser> {
        self.user.as_ref()
    }
{% endif %}
    /// What htmx said about the request.
    pub fn hx(&self) -> &HxRequest {
        &self.hx
    }

    /// The app's name, for pages that show it.
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// Sets the page's summary for search engines and link previews.
    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Lets the rendered page be served to visitors without a session for up to `ttl`, without
    /// running the handler again (see [`crate::cache::pages`]). Only for pages that depend on
    /// nothing but their URL. A visitor with a session never gets a kept page, nor has theirs
    /// kept.
    #[must_use]
    pub fn cache_for(mut self, ttl: Duration) -> Self {
        self.cache_for = Some(ttl);
        self
    }

    /// Renders `content` inside the layout, or alone (with any flash messages swapped out of band)
    /// when htmx asks for a fragment.
    pub fn render(self, title: impl Into<String>, content: impl IntoView + 'static) -> Response {
        let cacheable = self.cache_for.filter(|_| self.is_the_same_for_everyone());
        let mut response = (
            [(header::VARY, VARY_HTMX)],
            Html(self.render_to_string(title.into(), content)),
        )
            .into_response();
        if let Some(ttl) = cacheable {
            response.extensions_mut().insert(Cacheable(ttl));
        }
        response
    }

    /// Whether the page shows nothing of the visitor's own: no private page, no flash message.
    fn is_the_same_for_everyone(&self) -> bool {
        !self.is_private() && self.messages.as_ref().is_none_or(Messages::is_empty)
    }

    /// Whether the page holds what must stay in this visitor's browser tab alone: {% if auth %}an account
    /// or {% endif %}a form token. No cache keeps it (`Cache-Control: no-store`, set by the middleware) and
    /// htmx keeps no snapshot of it for the back button.
    fn is_private(&self) -> bool {
{%- if auth %}
        self.user.is_some()
            || self.csrf.is_some()
            || self.token_shown.as_ref().is_some_and(TokenShown::was_shown)
{%- else %}
        self.csrf.is_some() || self.token_shown.as_ref().is_some_and(TokenShown::was_shown)
{%- endif %}
    }

    /// Renders a page built around a form that replaces itself: htmx asked for the form alone
    /// (the form is its own `hx-target`), a browser gets `around(form)` in the layout. The status
    /// is 422 when the form comes back with errors.
    pub fn render_form(
        self,
        title: impl Into<String>,
        status: StatusCode,
        form: AnyView,
        around: impl FnOnce(AnyView) -> AnyView,
    ) -> Response {
        let content = if self.hx.wants_fragment() {
            form
        } else {
            around(form)
        };
        let mut response = self.render(title, content);
        *response.status_mut() = status;
        response
    }

    pub(crate) fn render_to_string(
        self,
        title: String,
        content: impl IntoView + 'static,
    ) -> String {
        let private = self.is_private();
        let Self {
            app_name,
            description,
            path,
            hx,
            messages,
{%- if auth %}
            user,
{%- endif %}
            csrf,
            token_shown: _,
            cache_for: _,
        } = self;
        let flashes: Vec<Flash> = messages
            .into_iter()
            .flatten()
            .map(flash_from_message)
            .collect();
        if hx.wants_fragment() {
            return views::render(view! {
                {content}
                {(!flashes.is_empty()).then(|| view! { <FlashMessages flashes out_of_band=true /> })}
            });
        }
        let data = LayoutData {
            app_name,
            title,
            description,
            path,
            flashes,
{%- if auth %}
            user: user.map(|user| SignedIn {
                email: user.email.clone(),
                is_admin: user.is_admin,
            }),
{%- endif %}
            csrf,
            private,
        };
        views::render(view! { <Layout data>{content}</Layout> })
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Route groups without a session have no flash messages: that is not an error.
        let messages = Messages::from_request_parts(parts, state).await.ok();
{%- if auth %}
        let user = parts.extensions.get::<CurrentUser>().cloned();
        // Made here only for the signed-in (the sign-out button posts it): a page that shows no
        // form sets no cookie for anyone else.
        let csrf = match &user {
            Some(_) => CsrfToken::of(parts).and_then(Result::ok),
            None => CsrfToken::existing(parts),
        };
{%- else %}
        // Not made here: a page that shows no form sets no cookie.
        let csrf = CsrfToken::existing(parts);
{%- endif %}
        Ok(Self {
            app_name: state.config.name.clone(),
            description: state.config.description.clone(),
            path: parts.uri.path().to_owned(),
            hx: HxRequest::from_headers(&parts.headers),
            messages,
{%- if auth %}
            user,
{%- endif %}
            csrf: csrf.map(|token| token.0),
            token_shown: TokenShown::of(parts),
            cache_for: None,
        })
    }
}

fn flash_from_message(message: axum_messages::Message) -> Flash {
    let level = match message.level {
        Level::Success => FlashLevel::Success,
        Level::Warning => FlashLevel::Warning,
        Level::Error => FlashLevel::Error,
        Level::Debug | Level::Info => FlashLevel::Info,
    };
    Flash::new(level, message.message)
}

//! Flash messages: one-time notices shown at the top of the next page ("Your changes were saved").
//! A handler adds them with `axum_messages::Messages`, which keeps them in the session (see
//! [`crate::session`]); [`crate::page::Page`] takes them out and the layout shows them here.

use leptos::prelude::*;

/// The id of the flash region. htmx error responses are swapped into it (see
/// [`crate::middleware::error_pages`]), and htmx fragments update it out of band.
pub const FLASH_REGION_ID: &str = "flash-messages";
/// [`FLASH_REGION_ID`] as a CSS selector, for the `HX-Retarget` header.
pub const FLASH_REGION_SELECTOR: &str = "#flash-messages";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    Success,
    Info,
    Warning,
    Error,
}

impl FlashLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

impl Flash {
    pub fn new(level: FlashLevel, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }
}

/// The region holding the flash messages of the current page, announced by screen readers.
///
/// `out_of_band` marks it for htmx to swap in place of the page's region when it comes with a
/// fragment (`hx-swap-oob`).
#[component]
pub fn FlashMessages(flashes: Vec<Flash>, #[prop(optional)] out_of_band: bool) -> impl IntoView {
    view! {
        <div
            id=FLASH_REGION_ID
            class="mb-6 flex flex-col gap-2 empty:hidden"
            aria-live="polite"
            data-hx-swap-oob=out_of_band.then_some("true")
        >
            {flashes.into_iter().map(|flash| view! { <FlashMessage flash/> }).collect_view()}
        </div>
    }
}

/// One message. Errors and warnings are `role="alert"` so they are read out at once.
#[component]
pub fn FlashMessage(flash: Flash) -> impl IntoView {
    let (class, role) = match flash.level {
        FlashLevel::Success => ("alert alert-success alert-soft", "status"),
        FlashLevel::Info => ("alert alert-info alert-soft", "status"),
        FlashLevel::Warning => ("alert alert-warning alert-soft", "alert"),
        FlashLevel::Error => ("alert alert-error alert-soft", "alert"),
    };
    view! {
        <div class=class role=role data-flash-level=flash.level.as_str()>
            <span>{flash.text}</span>
        </div>
    }
}

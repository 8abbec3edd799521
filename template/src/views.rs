//! HTML, written as leptos components and rendered to strings on the server (no WebAssembly).
//!
//! - [`layout`]: the document around every page: head, header, navigation, flash messages, footer.
//! - [`pages`]: one module per page, each a component taking plain data as props.
//! - [`components`]: pieces several pages share.
//!
//! Components take plain data (no database handles, no requests): handlers load what a page needs,
//! then render. That keeps views easy to test and ready to become interactive islands later.
//! Leptos escapes every string it inserts; never use `inner_html` with user data.

pub mod components;
pub mod layout;
pub mod pages;

use leptos::prelude::{IntoView, Owner, RenderHtml};

/// Renders a view to an HTML string.
///
/// Rendering happens inside a fresh reactive [`Owner`], which components need for context and
/// signals; it is cheap and dropped when the string is done.
pub fn render(view: impl IntoView + 'static) -> String {
    Owner::new().with(move || view.into_view().to_html())
}

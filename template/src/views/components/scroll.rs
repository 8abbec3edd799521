//! A box that scrolls sideways when what it holds (a table) is wider than the screen.

use leptos::prelude::*;

/// Scrolls its content sideways on narrow screens. Keyboard users can scroll it too (it takes
/// focus), and screen readers announce it by `label`.
#[component]
pub fn ScrollBox(
    label: &'static str,
    #[prop(default = "rounded-box bg-base-100 shadow-sm")] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=format!("overflow-x-auto {class}") tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
    }
}

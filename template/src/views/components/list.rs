//! The pieces of a list page (see [`crate::listing`]): a search box, column headers that sort,
//! and a pager. Each updates the list alone with htmx (the element whose id is `target`),
//! keeping the URL in the address bar; without JavaScript they are plain links and a plain form.

use leptos::prelude::*;

use crate::listing::{ListQuery, MAX_SEARCH_CHARS};

/// A search form for the list at `base`, keeping its order. htmx searches as one types.
#[component]
pub fn SearchForm(
    base: String,
    query: ListQuery,
    target: &'static str,
    /// What can be searched for, as the placeholder says it: "Search titles".
    placeholder: &'static str,
) -> impl IntoView {
    let target_id = format!("#{target}");
    view! {
        <form
            method="get"
            action=base.clone()
            role="search"
            class="flex flex-wrap items-end gap-2"
            data-hx-get=base
            data-hx-trigger="submit, input changed delay:300ms from:find input[type=search]"
            data-hx-target=target_id.clone()
            data-hx-select=target_id
            data-hx-swap="outerHTML"
            data-hx-push-url="true"
        >
            {query.sort_param().map(|sort| view! { <input type="hidden" name="sort" value=sort /> })}
            <label class="input input-sm">
                <span class="sr-only">{placeholder}</span>
                <input type="search" name="q" value=query.search placeholder=placeholder
                    maxlength=MAX_SEARCH_CHARS />
            </label>
            <button type="submit" class="btn btn-sm">"Search"</button>
        </form>
    }
}

/// A column's header, whose link sorts the list by it (and reverses the order when it is
/// sorted by it already). `class` hides it on narrow screens, as its cells.
#[component]
pub fn SortHeader(
    label: &'static str,
    column: &'static str,
    base: String,
    query: ListQuery,
    target: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let order = query.order_of(column);
    let href = query.sorted_by(column).href(&base);
    let target_id = format!("#{target}");
    let arrow = match order {
        "ascending" => " ↑",
        "descending" => " ↓",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=order class=(!class.is_empty()).then_some(class)>
            <a href=href.clone() class="link link-hover" data-hx-get=href
                data-hx-target=target_id.clone() data-hx-select=target_id data-hx-swap="outerHTML"
                data-hx-push-url="true">
                {label}{arrow}
            </a>
        </th>
    }
}

/// "12 books · page 1 of 2", and links to the previous and next pages.
#[component]
pub fn Pager(
    base: String,
    query: ListQuery,
    total: u64,
    pages: u64,
    target: &'static str,
    /// What the list counts: ("book", "books").
    noun: (&'static str, &'static str),
) -> impl IntoView {
    let page = query.page;
    let link = |page: u64, label: &'static str, rel: &'static str| {
        let href = query.at_page(page).href(&base);
        let target_id = format!("#{target}");
        view! {
            <a href=href.clone() class="btn btn-sm join-item" rel=rel data-hx-get=href
                data-hx-target=target_id.clone() data-hx-select=target_id data-hx-swap="outerHTML"
                data-hx-push-url="true">{label}</a>
        }
    };
    let counted = format!(
        "{total} {} · page {page} of {pages}",
        if total == 1 { noun.0 } else { noun.1 }
    );
    view! {
        <nav class="flex items-center justify-between gap-4 text-sm" aria-label="Pages">
            <span data-testid="total">{counted}</span>
            <div class="join">
                {(page > 1).then(|| link(page - 1, "Previous", "prev"))}
                {(page < pages).then(|| link(page + 1, "Next", "next"))}
            </div>
        </nav>
    }
}

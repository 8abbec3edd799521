//! The admin area's pages: a sidebar beside every page, the dashboard, a table's list, a row,
//! its form, the confirmation of a delete. They show whatever the resource's fields describe
//! (`tenshu_admin::Field`).

use leptos::prelude::*;
use tenshu_admin::{Field, MAX_SEARCH_CHARS, Widget};

use crate::views::components::{
    form::{CsrfField, FormAlert, FormErrors, HxForm, TextBox, select_options},
    scroll::ScrollBox,
};

/// A link of the sidebar.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[component]
pub fn AdminShell(nav: Vec<NavLink>, children: Children) -> impl IntoView {
    view! {
        <div class="flex flex-col gap-6 lg:flex-row" data-testid="admin">
            <nav class="shrink-0 lg:w-56" aria-label="Admin">
                <ul class="menu w-full rounded-box bg-base-100 shadow-sm">
                    <li class="menu-title text-base-content/80">"Admin"</li>
                    {nav
                        .into_iter()
                        .map(|link| {
                            let current = link.current.then_some("page");
                            view! {
                                <li>
                                    <a href=link.href aria-current=current class:menu-active=link.current>
                                        {link.label}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <div class="flex min-w-0 flex-1 flex-col gap-6">{children()}</div>
        </div>
    }
}

/// A table on the dashboard: its name, its link, how many rows it has.
#[derive(Debug, Clone)]
pub struct TableCount {
    pub href: String,
    pub label: String,
    pub count: u64,
}

#[component]
pub fn Dashboard(
    tables: Vec<TableCount>,
    /// Sessions not expired, counted at most once a minute (through the cache).
    open_sessions: u64,
    /// "SQLite" or "Postgres".
    database: &'static str,
    flush_action: String,
    csrf: String,
) -> impl IntoView {
    view! {
        <h1 class="text-3xl font-bold tracking-tight">"Dashboard"</h1>
        <div class="stats stats-vertical bg-base-100 shadow-sm sm:stats-horizontal" data-testid="counts">
            {tables
                .into_iter()
                .map(|table| view! {
                    <a class="stat" href=table.href>
                        <div class="stat-title">{table.label}</div>
                        <div class="stat-value">{table.count}</div>
                    </a>
                })
                .collect_view()}
        </div>
        <p class="text-sm text-base-content/80">
            "Database: " <span data-testid="database">{database}</span> " · "
            <span data-testid="open-sessions">{open_sessions}</span>
            {if open_sessions == 1 { " open session" } else { " open sessions" }}
        </p>
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h2 class="card-title">"Cache"</h2>
                <p class="text-sm text-base-content/80">
                    "Empties the cache: every value is computed again when it is next needed."
                </p>
                <form method="post" action=flush_action data-hx-confirm="Empty the whole cache?">
                    <CsrfField token=csrf />
                    <button type="submit" class="btn btn-outline btn-sm">"Empty the cache"</button>
                </form>
            </div>
        </div>
    }
}

/// A column header of the list: its label, the URL that sorts by it, and how it sorts now.
#[derive(Debug, Clone)]
pub struct Column {
    pub label: String,
    pub sort_href: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    pub sorted: &'static str,
}

/// A filter above the list: a select of values for one field.
#[derive(Debug, Clone)]
pub struct Filter {
    pub name: &'static str,
    pub label: String,
    /// (value, label); the first is "any".
    pub options: Vec<(String, String)>,
    pub selected: String,
}

/// Everything the list page shows.
#[derive(Debug, Clone)]
pub struct ListData {
    pub title: String,
    pub list_href: String,
    pub new_href: String,
    pub search: String,
    /// The sort to keep when searching or filtering (`-email`).
    pub sort: String,
    pub searchable: bool,
    pub filters: Vec<Filter>,
    pub columns: Vec<Column>,
    /// Each row's link and cells.
    pub rows: Vec<(String, Vec<String>)>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
}

/// The list: search and filters, then the table and its pager. htmx replaces only
/// `#admin-list` (and the address) when sorting, paging, searching or filtering; without
/// JavaScript each is an ordinary link or form.
#[component]
pub fn ListPage(data: ListData) -> impl IntoView {
    let ListData {
        title,
        list_href,
        new_href,
        search,
        sort,
        searchable,
        filters,
        columns,
        rows,
        total,
        page,
        pages,
        previous_href,
        next_href,
    } = data;
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-3xl font-bold tracking-tight">{title}</h1>
            <a href=new_href class="btn btn-primary btn-sm">"New"</a>
        </div>
        <form
            method="get"
            action=list_href.clone()
            role="search"
            class="flex flex-wrap items-end gap-3"
            data-hx-get=list_href
            data-hx-trigger="submit, input changed delay:300ms from:find input[type=search], change"
            data-hx-target="#admin-list"
            data-hx-select="#admin-list"
            data-hx-swap="outerHTML"
            data-hx-push-url="true"
        >
            {(!sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=sort /> })}
            {searchable.then(|| view! {
                <label class="input input-sm">
                    <span class="sr-only">"Search"</span>
                    <input type="search" name="q" value=search placeholder="Search"
                        maxlength=MAX_SEARCH_CHARS />
                </label>
            })}
            {filters
                .into_iter()
                .map(|filter| {
                    let id = format!("filter-{}", filter.name);
                    let label_for = id.clone();
                    view! {
                        <label class="flex items-center gap-2 text-sm" for=label_for>
                            {filter.label}
                            <select id=id name=filter.name class="select select-sm w-auto">
                                {filter
                                    .options
                                    .into_iter()
                                    .map(|(value, label)| {
                                        let selected = value == filter.selected;
                                        view! { <option value=value selected=selected>{label}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    }
                })
                .collect_view()}
            <button type="submit" class="btn btn-sm">"Apply"</button>
        </form>
        <div id="admin-list" class="flex flex-col gap-3">
            <ScrollBox label="Rows">
                <table class="table table-sm" data-testid="rows">
                    <thead>
                        <tr>
                            // On a phone, the first two columns: a row's page shows the rest.
                            {columns
                                .into_iter()
                                .enumerate()
                                .map(|(n, column)| view! {
                                    <th scope="col" aria-sort=column.sorted
                                        class=(n >= 2).then_some("hidden sm:table-cell")>
                                        <a href=column.sort_href.clone() class="link link-hover" data-hx-get=column.sort_href
                                            data-hx-target="#admin-list" data-hx-select="#admin-list" data-hx-swap="outerHTML" data-hx-push-url="true">
                                            {column.label}
                                            {match column.sorted {
                                                "ascending" => " ↑",
                                                "descending" => " ↓",
                                                _ => "",
                                            }}
                                        </a>
                                    </th>
                                })
                                .collect_view()}
                        </tr>
                    </thead>
                    // Rows hold what users wrote: htmx ignores any attribute in them (escaping
                    // already keeps their text from becoming HTML; this is a second wall).
                    <tbody data-hx-disable>
                        {rows
                            .into_iter()
                            .map(|(href, cells)| {
                                let mut cells = cells.into_iter();
                                let first = cells.next().unwrap_or_default();
                                view! {
                                    <tr>
                                        <td><a href=href class="link">{first}</a></td>
                                        {cells
                                            .enumerate()
                                            .map(|(n, cell)| view! {
                                                <td class={if n >= 1 {
                                                    "hidden whitespace-nowrap sm:table-cell"
                                                } else {
                                                    "whitespace-nowrap"
                                                }}>{cell}</td>
                                            })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </ScrollBox>
            <nav class="flex items-center justify-between gap-4 text-sm" aria-label="Pages">
                <span data-testid="total">{format!("{total} rows · page {page} of {pages}")}</span>
                <div class="join">
                    {previous_href.map(|href| view! { <PageLink href label="Previous" rel="prev" /> })}
                    {next_href.map(|href| view! { <PageLink href label="Next" rel="next" /> })}
                </div>
            </nav>
        </div>
    }
}

/// A link of the pager: htmx swaps the list alone.
#[component]
fn PageLink(href: String, label: &'static str, rel: &'static str) -> impl IntoView {
    view! {
        <a href=href.clone() class="btn btn-sm join-item" rel=rel data-hx-get=href data-hx-target="#admin-list"
            data-hx-select="#admin-list" data-hx-swap="outerHTML" data-hx-push-url="true">{label}</a>
    }
}

/// A button that runs an action on the row.
#[derive(Debug, Clone)]
pub struct ActionButton {
    pub href: String,
    pub label: String,
}

#[component]
pub fn RowPage(
    title: String,
    /// (label, value as shown)
    values: Vec<(String, String)>,
    edit_href: String,
    delete_href: String,
    actions: Vec<ActionButton>,
    csrf: String,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-3xl font-bold tracking-tight" data-testid="row-title">{title}</h1>
            <div class="flex gap-2">
                <a href=edit_href class="btn btn-primary btn-sm">"Edit"</a>
                <a href=delete_href class="btn btn-outline btn-error btn-sm">"Delete"</a>
            </div>
        </div>
        <div class="card bg-base-100 shadow-sm">
            // Values are what users wrote: htmx ignores any attribute in them.
            <dl class="card-body grid gap-x-6 gap-y-2 sm:grid-cols-[12rem_1fr]" data-testid="values"
                data-hx-disable>
                {values
                    .into_iter()
                    .map(|(label, value)| view! {
                        <dt class="font-semibold">{label}</dt>
                        <dd class="break-words">{value}</dd>
                    })
                    .collect_view()}
            </dl>
        </div>
        {(!actions.is_empty()).then(|| view! {
            <div class="flex flex-wrap gap-2" data-testid="actions">
                {actions
                    .into_iter()
                    .map(|action| view! {
                        <form method="post" action=action.href>
                            <CsrfField token=csrf.clone() />
                            <button type="submit" class="btn btn-sm">{action.label}</button>
                        </form>
                    })
                    .collect_view()}
            </div>
        })}
    }
}

/// A field of the form, with what it holds and its error.
#[derive(Debug, Clone)]
pub struct FormField {
    pub field: Field,
    pub value: String,
    /// For a reference: each row's id and title.
    pub choices: Vec<(i64, String)>,
}

/// The form of a row: what htmx swaps in place of itself when it comes back with errors.
#[component]
pub fn RowForm(
    action: String,
    csrf: String,
    fields: Vec<FormField>,
    errors: FormErrors,
    /// Whether the row exists already (sensitive fields may then stay empty).
    editing: bool,
) -> impl IntoView {
    view! {
        <HxForm action>
            <CsrfField token=csrf />
            <FormAlert message=errors.get("") />
            {fields
                .into_iter()
                .map(|field| {
                    let error = errors.get(field.field.name);
                    view! { <Input field error editing /> }
                })
                .collect_view()}
            <button type="submit" class="btn btn-primary mt-4 self-start">"Save"</button>
        </HxForm>
    }
}

/// The card around a row's form, with its heading.
#[component]
pub fn RowFormCard(heading: String, children: Children) -> impl IntoView {
    view! {
        <div class="card bg-base-100 shadow-sm">
            <div class="card-body">
                <h1 class="card-title text-2xl">{heading}</h1>
                {children()}
            </div>
        </div>
    }
}

/// One field's widget, labelled, with its error underneath.
#[component]
fn Input(field: FormField, error: Option<String>, editing: bool) -> impl IntoView {
    let FormField {
        field,
        value,
        choices,
    } = field;
    let name = field.name;
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    let described_by = invalid.then(|| error_id.clone());
    // Sensitive fields of an existing row stay as they are when left empty.
    let required = !(field.nullable || (field.sensitive && editing));
    let input = |kind: &'static str, step: Option<&'static str>| {
        view! {
            <input id=id.clone() name=name type=kind value=value.clone() step=step
                class="input w-full" class:input-error=invalid required=required
                aria-invalid=invalid.then_some("true") aria-describedby=described_by.clone() />
        }
        .into_any()
    };
    let widget = match &field.widget {
        Widget::Text => input("text", None),
        Widget::Integer => input("number", Some("1")),
        Widget::Decimal => input("number", Some("any")),
        Widget::DateTime => input("datetime-local", None),
        Widget::Date => input("date", None),
        Widget::Password => view! {
            <input id=id.clone() name=name type="password" autocomplete="new-password"
                class="input w-full" class:input-error=invalid
                placeholder=editing.then_some("unchanged")
                aria-invalid=invalid.then_some("true") aria-describedby=described_by.clone() />
        }
        .into_any(),
        Widget::LongText | Widget::Json | Widget::Binary => view! {
            <TextBox id=id.clone() name text=value.clone() monospace=field.widget == Widget::Json
                invalid required described_by=described_by.clone() />
        }
        .into_any(),
        Widget::Boolean if !field.nullable => view! {
            <input id=id.clone() name=name type="checkbox" class="checkbox" checked=value == "true"
                aria-describedby=described_by.clone() />
        }
        .into_any(),
        Widget::Boolean => options(
            &id,
            name,
            invalid,
            vec![
                ("true".to_owned(), "Yes".to_owned()),
                ("false".to_owned(), "No".to_owned()),
            ],
            &value,
            true,
        ),
        Widget::Choice(values) => options(
            &id,
            name,
            invalid,
            values.iter().map(|v| (v.clone(), v.clone())).collect(),
            &value,
            field.nullable,
        ),
        Widget::Reference { .. } => options(
            &id,
            name,
            invalid,
            choices
                .into_iter()
                .map(|(id, title)| (id.to_string(), format!("{title} (#{id})")))
                .collect(),
            &value,
            field.nullable,
        ),
    };
    view! {
        <div class="fieldset">
            <label class="fieldset-legend" for=id>{field.label}</label>
            {widget}
            {error.map(|message| view! { <p id=error_id class="label whitespace-normal text-error">{message}</p> })}
        </div>
    }
}

/// A select of `choices`, with an empty first option when none need be chosen.
fn options(
    id: &str,
    name: &'static str,
    invalid: bool,
    choices: Vec<(String, String)>,
    selected: &str,
    optional: bool,
) -> AnyView {
    view! {
        <select id=id.to_owned() name=name class="select w-full" class:select-error=invalid
            aria-invalid=invalid.then_some("true")>
            {optional.then(|| view! { <option value="">"—"</option> })}
            {select_options(choices, selected)}
        </select>
    }
    .into_any()
}

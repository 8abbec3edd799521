//! The admin area's pages (see [`crate::admin`]): administrators only; anyone else, signed in
//! or not, gets a 403.

use std::{collections::BTreeMap, time::Duration};

use axum::{
    Form,
    extract::{Query, State},
    response::Response,
};
use axum_messages::Messages;
use leptos::prelude::*;
use sea_orm::EntityName as _;
use tenshu_admin::{Field, FieldErrors, ListQuery, PER_PAGE, Resource, SaveError, Widget};

use super::Routes;
use crate::{
    admin,
    app::AppState,
    auth::guards::RequireAdmin,
    cache::Put,
    csrf::CsrfToken,
    error::AppError,
    htmx,
    models::user,
    page::Page,
    paths, session,
    views::{
        components::{confirm::ConfirmDelete, form::FormErrors},
        pages::admin::{
            ActionButton, AdminShell, Column, Dashboard, Filter, FormField, ListData, ListPage,
            NavLink, RowForm, RowFormCard, RowPage, TableCount,
        },
    },
};

/// How long the dashboard's count of open sessions is reused.
const OPEN_SESSIONS_TTL: Duration = Duration::from_secs(60);

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(dashboard)
        .post(flush_cache)
        .get(list)
        .post(create)
        .get(new)
        .get(show)
        .post(update)
        .get(edit)
        .get(confirm_delete)
        .post(delete)
        .post(run_action)
}

/// The registered table at `key`, or a 404.
fn resource(key: &str) -> Result<&'static dyn Resource<AppState>, AppError> {
    admin::registry().get(key).ok_or(AppError::NotFound)
}

/// The registered table at `key` and the values of its row `id`, or a 404.
async fn row(
    app: &AppState,
    key: &str,
    id: i64,
) -> Result<(&'static dyn Resource<AppState>, Vec<sea_orm::Value>), AppError> {
    let resource = resource(key)?;
    let values = resource
        .find(&app.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((resource, values))
}

/// Renders `content` beside the sidebar, whose link to `section` (a URL) is marked current.
pub fn render(page: Page, title: &str, section: &str, content: AnyView) -> Response {
    let dashboard = ("Dashboard".to_owned(), paths::AdminDashboard.to_string());
    let tables = admin::registry()
        .iter()
        .map(|resource| (resource.label().to_owned(), list_href(resource.key())));
    let pages = admin::pages()
        .into_iter()
        .map(|(label, href)| (label.to_owned(), href));
    let nav = std::iter::once(dashboard)
        .chain(tables)
        .chain(pages)
        .map(|(label, href)| NavLink {
            current: href == section,
            href,
            label,
        })
        .collect();
    page.render(
        format!("{title} · Admin"),
        view! { <AdminShell nav>{content}</AdminShell> },
    )
}

fn list_href(key: &str) -> String {
    paths::AdminList {
        resource: key.to_owned(),
    }
    .to_string()
}

fn row_href(key: &str, id: i64) -> String {
    paths::AdminRow {
        resource: key.to_owned(),
        id,
    }
    .to_string()
}

async fn dashboard(
    _: paths::AdminDashboard,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let mut tables = Vec::new();
    for resource in admin::registry().iter() {
        tables.push(TableCount {
            href: list_href(resource.key()),
            label: resource.label().to_owned(),
            count: resource.count(&app.db).await?,
        });
    }
    // Counted at most once a minute, however many administrators ask at once.
    let open_sessions = app
        .cache
        .get_or_compute("admin:open_sessions", Put::ttl(OPEN_SESSIONS_TTL), || {
            session::store::count_open(&app.db)
        })
        .await?;
    let database = app.backend.name();
    let flush_action = paths::AdminFlushCache.to_string();
    let content =
        view! { <Dashboard tables open_sessions database flush_action csrf /> }.into_any();
    let section = paths::AdminDashboard.to_string();
    Ok(render(page, "Dashboard", &section, content))
}

async fn flush_cache(
    _: paths::AdminFlushCache,
    RequireAdmin(admin): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    app.cache
        .flush()
        .await
        .map_err(|error| AppError::Unavailable(error.into()))?;
    tracing::info!(admin = admin.id, "the cache was emptied");
    messages.success("The cache is empty.");
    Ok(htmx::redirect(page.hx(), paths::AdminDashboard))
}

async fn list(
    paths::AdminList { resource: key }: paths::AdminList,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    page: Page,
) -> Result<Response, AppError> {
    let resource = resource(&key)?;
    let fields = resource.fields();
    let mut query = ListQuery::from_pairs(&pairs, fields)
        .map_err(|refused| AppError::BadRequest(refused.to_string()))?;
    let listing = resource.list(&app.db, &query).await?;
    // A page past the end showed the last: the links go on from there.
    query.page = listing.page;
    let base = list_href(&key);
    let href = |changes: &dyn Fn(&mut ListQuery)| {
        let mut changed = query.clone();
        changes(&mut changed);
        format!("{base}{}", query_string(&changed))
    };
    let columns = fields
        .iter()
        .filter(|field| field.is_listed())
        .map(|field| {
            let sorted = match &query.sort {
                Some((name, false)) if name == field.name => "ascending",
                Some((name, true)) if name == field.name => "descending",
                _ => "none",
            };
            let name = field.name.to_owned();
            Column {
                label: field.label.clone(),
                sort_href: href(&|q| {
                    q.sort = Some((name.clone(), sorted == "ascending"));
                    q.page = 1;
                }),
                sorted,
            }
        })
        .collect();
    let filters = fields
        .iter()
        .filter(|field| field.is_filterable())
        .map(|field| filter(field, &query))
        .collect();
    let data = ListData {
        title: resource.label().to_owned(),
        list_href: base.clone(),
        new_href: paths::AdminNew {
            resource: key.clone(),
        }
        .to_string(),
        search: query.search.clone(),
        sort: query.sort_param().unwrap_or_default(),
        searchable: fields.iter().any(Field::is_searchable),
        filters,
        columns,
        rows: listing
            .rows
            .into_iter()
            .map(|(id, cells)| (row_href(&key, id), cells))
            .collect(),
        total: listing.total,
        page: query.page,
        pages: listing.pages,
        previous_href: (query.page > 1).then(|| href(&|q| q.page -= 1)),
        next_href: (query.page < listing.pages).then(|| href(&|q| q.page += 1)),
    };
    let content = view! { <ListPage data /> }.into_any();
    Ok(render(
        page,
        resource.label(),
        &list_href(resource.key()),
        content,
    ))
}

/// The select of a boolean or choice filter.
fn filter(field: &Field, query: &ListQuery) -> Filter {
    let mut options = vec![(String::new(), "Any".to_owned())];
    match &field.widget {
        Widget::Choice(values) => options.extend(values.iter().map(|v| (v.clone(), v.clone()))),
        _ => options.extend([
            ("true".to_owned(), "Yes".to_owned()),
            ("false".to_owned(), "No".to_owned()),
        ]),
    }
    Filter {
        name: field.name,
        label: field.label.clone(),
        options,
        selected: query.filters.get(field.name).cloned().unwrap_or_default(),
    }
}

/// `?q=…&sort=…&page=…&filter=…`, leaving out what is at its default.
fn query_string(query: &ListQuery) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !query.search.is_empty() {
        out.append_pair("q", &query.search);
    }
    if let Some(sort) = query.sort_param() {
        out.append_pair("sort", &sort);
    }
    for (name, value) in &query.filters {
        out.append_pair(name, value);
    }
    if query.per_page != PER_PAGE {
        out.append_pair("per_page", &query.per_page.to_string());
    }
    if query.page > 1 {
        out.append_pair("page", &query.page.to_string());
    }
    let encoded = out.finish();
    if encoded.is_empty() {
        encoded
    } else {
        format!("?{encoded}")
    }
}

async fn show(
    paths::AdminRow { resource: key, id }: paths::AdminRow,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let (resource, values) = row(&app, &key, id).await?;
    let fields = resource.fields();
    let title = resource.title_of(id, &values);
    let mut shown: Vec<_> = fields
        .iter()
        .zip(&values)
        .filter(|(field, _)| !field.hidden)
        .map(|(field, value)| (field.label.clone(), field.display(value)))
        .collect();
    for detail in resource.details() {
        shown.push((detail.label.to_owned(), (detail.show)(&app, id).await?));
    }
    let actions = resource
        .actions()
        .iter()
        .map(|action| ActionButton {
            href: paths::AdminAction {
                resource: key.clone(),
                id,
                action: action.name.to_owned(),
            }
            .to_string(),
            label: action.label.to_owned(),
        })
        .collect();
    let edit_href = paths::AdminEdit {
        resource: key.clone(),
        id,
    }
    .to_string();
    let delete_href = paths::AdminDelete {
        resource: key.clone(),
        id,
    }
    .to_string();
    let content = view! {
        <RowPage title=title.clone() values=shown edit_href delete_href actions csrf />
    }
    .into_any();
    Ok(render(page, &title, &list_href(resource.key()), content))
}

async fn new(
    paths::AdminNew { resource: key }: paths::AdminNew,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let resource = resource(&key)?;
    let form = FormState::new(None, BTreeMap::new());
    render_form(page, &app, resource, csrf, form).await
}

async fn create(
    paths::AdminList { resource: key }: paths::AdminList,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(sent): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let resource = resource(&key)?;
    save(page, &app, resource, messages, csrf, None, sent).await
}

async fn edit(
    paths::AdminEdit { resource: key, id }: paths::AdminEdit,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let (resource, values) = row(&app, &key, id).await?;
    let current = resource
        .fields()
        .iter()
        .zip(&values)
        .map(|(field, value)| (field.name.to_owned(), field.input_value(value)))
        .collect();
    let form = FormState::new(Some((id, resource.title_of(id, &values))), current);
    render_form(page, &app, resource, csrf, form).await
}

async fn update(
    paths::AdminRow { resource: key, id }: paths::AdminRow,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    Form(sent): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (resource, values) = row(&app, &key, id).await?;
    let title = resource.title_of(id, &values);
    save(
        page,
        &app,
        resource,
        messages,
        csrf,
        Some((id, title)),
        sent,
    )
    .await
}

/// The form of a new row (`row` None) or of an existing one, as it is shown.
struct FormState {
    /// The row's id and title.
    row: Option<(i64, String)>,
    /// Field name → what the form holds.
    values: BTreeMap<String, String>,
    errors: FormErrors,
}

impl FormState {
    fn new(row: Option<(i64, String)>, values: BTreeMap<String, String>) -> Self {
        Self {
            row,
            values,
            errors: FormErrors::default(),
        }
    }
}

async fn save(
    page: Page,
    app: &AppState,
    resource: &'static dyn Resource<AppState>,
    messages: Messages,
    csrf: String,
    row: Option<(i64, String)>,
    sent: Vec<(String, String)>,
) -> Result<Response, AppError> {
    // The CSRF token travels with the fields: it is not one of them.
    let sent: BTreeMap<String, String> = sent
        .into_iter()
        .filter(|(name, _)| name != crate::csrf::FIELD)
        .collect();
    match resource
        .save(app, row.as_ref().map(|(id, _)| *id), &sent)
        .await
    {
        Ok(id) => {
            forget_if_user(app, resource, id).await;
            messages.success(if row.is_some() { "Saved." } else { "Created." });
            Ok(htmx::redirect(page.hx(), row_href(resource.key(), id)))
        }
        Err(SaveError::Invalid(errors)) => {
            let form = FormState {
                row,
                values: sent,
                errors: form_errors(errors),
            };
            render_form(page, app, resource, csrf, form).await
        }
        Err(SaveError::NotFound) => Err(AppError::NotFound),
        Err(SaveError::Failed(error)) => Err(error),
    }
}

/// After a user's row changed here: their next page reads it (`crate::auth::session::RecentUsers`).
async fn forget_if_user(app: &AppState, resource: &'static dyn Resource<AppState>, id: i64) {
    if resource.table() == user::Entity.table_name() {
        app.users.forget(id).await;
    }
}

/// The engine's errors by field, as the form shows them.
fn form_errors(errors: FieldErrors) -> FormErrors {
    let mut form = FormErrors::default();
    for (field, message) in errors {
        form.add(&field, message);
    }
    form
}

async fn render_form(
    page: Page,
    app: &AppState,
    resource: &'static dyn Resource<AppState>,
    csrf: String,
    form: FormState,
) -> Result<Response, AppError> {
    let FormState {
        row,
        values,
        errors,
    } = form;
    let mut fields = Vec::new();
    for field in resource.fields().iter().filter(|field| field.is_editable()) {
        let choices = match &field.widget {
            Widget::Reference { table } => match admin::registry().for_table(table) {
                Some(other) => other.choices(&app.db).await?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        fields.push(FormField {
            field: field.clone(),
            value: values.get(field.name).cloned().unwrap_or_default(),
            choices,
        });
    }
    let editing = row.is_some();
    let (heading, action) = match &row {
        Some((id, title)) => (format!("Edit {title}"), row_href(resource.key(), *id)),
        None => (
            format!("New row of {}", resource.label()),
            list_href(resource.key()),
        ),
    };
    let status = errors.status();
    let form = view! { <RowForm action csrf fields errors editing /> }.into_any();
    // htmx swaps the form alone in place of itself; a page has the card around it.
    let mut response = if page.hx().wants_fragment() {
        page.render(heading, form)
    } else {
        let card = view! { <RowFormCard heading=heading.clone()>{form}</RowFormCard> }.into_any();
        render(page, &heading, &list_href(resource.key()), card)
    };
    *response.status_mut() = status;
    Ok(response)
}

async fn confirm_delete(
    paths::AdminDelete { resource: key, id }: paths::AdminDelete,
    RequireAdmin(_): RequireAdmin,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    let (resource, values) = row(&app, &key, id).await?;
    let title = resource.title_of(id, &values);
    let action = paths::AdminDelete {
        resource: key.clone(),
        id,
    }
    .to_string();
    let cancel_href = row_href(&key, id);
    let content =
        view! { <ConfirmDelete title=title.clone() action cancel_href csrf /> }.into_any();
    Ok(render(
        page,
        &format!("Delete {title}"),
        &list_href(resource.key()),
        content,
    ))
}

async fn delete(
    paths::AdminDelete { resource: key, id }: paths::AdminDelete,
    RequireAdmin(admin): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    let (resource, values) = row(&app, &key, id).await?;
    let title = resource.title_of(id, &values);
    // An administrator deleting their own account could leave the app with none.
    if resource.table() == user::Entity.table_name() && id == admin.id {
        messages.error("You cannot delete your own account here.");
        return Ok(htmx::redirect(page.hx(), row_href(&key, id)));
    }
    match resource.delete(&app.db, id).await {
        Ok(_) => {
            forget_if_user(&app, resource, id).await;
            messages.success(format!("{title} is deleted."));
            Ok(htmx::redirect(page.hx(), list_href(&key)))
        }
        // Other rows still refer to it.
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
            ) =>
        {
            messages.error(format!(
                "{title} cannot be deleted: other rows refer to it."
            ));
            Ok(htmx::redirect(page.hx(), row_href(&key, id)))
        }
        Err(error) => Err(error.into()),
    }
}

async fn run_action(
    paths::AdminAction {
        resource: key,
        id,
        action,
    }: paths::AdminAction,
    RequireAdmin(admin): RequireAdmin,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    let resource = resource(&key)?;
    let action = resource
        .actions()
        .iter()
        .find(|candidate| candidate.name == action)
        .ok_or(AppError::NotFound)?;
    match (action.run)(&app, admin.id, id).await {
        Ok(done) => messages.success(done),
        Err(AppError::BadRequest(refused)) => messages.error(refused),
        Err(error) => return Err(error),
    };
    Ok(htmx::redirect(page.hx(), row_href(&key, id)))
}

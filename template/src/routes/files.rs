//! The signed-in user's files: upload, list, download, delete. See [`crate::uploads`] for how a
//! file is checked and stored.
//!
//! Rows and objects go together: a file is recorded only once its object is complete, and a
//! failed recording removes the object; deleting removes the object inside the transaction that
//! deletes the row, so a failure leaves both.

use anyhow::Context as _;
use axum::{
    Extension,
    extract::{Multipart, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use axum_messages::Messages;
use leptos::prelude::*;
use sea_orm::TransactionTrait as _;

use super::Routes;
use crate::{
    app::AppState,
    auth::{guards::RequireUser, session::CurrentUser},
    csrf::CsrfToken,
    error::AppError,
    htmx,
    models::file::{self, NewFile},
    page::Page,
    paths,
    uploads::{self, Rejected, Rules},
    views::pages::files::{FileItem, FilesPage, UploadForm},
};

pub fn routes() -> Routes<AppState> {
    Routes::new()
        .get(list)
        .post(upload)
        .get(download)
        .post(delete)
}

async fn list(
    _: paths::Files,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    page: Page,
) -> Result<Response, AppError> {
    render(page, &app, &user, csrf, None).await
}

/// A refused upload: the status, and what the form says about it.
type Refusal = (StatusCode, String);

/// The page, or the upload form alone for htmx, with `refusal` under the file field.
async fn render(
    page: Page,
    app: &AppState,
    user: &CurrentUser,
    csrf: String,
    refusal: Option<Refusal>,
) -> Result<Response, AppError> {
    let (status, error) = match refusal {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let rules = &app.config.uploads;
    let form = view! {
        <UploadForm
            action=crate::csrf::with_token(paths::Files, &csrf)
            error
            accept=rules.allowed_types.join(",")
            limits=describe_rules(&rules.allowed_types, rules.max_file_bytes)
        />
    }
    .into_any();
    // htmx swaps the form alone: the list is not needed.
    let files = if page.hx().wants_fragment() {
        Vec::new()
    } else {
        file::list_for_owner(&app.db, user.id)
            .await?
            .into_iter()
            .map(|file| item(file, &csrf))
            .collect()
    };
    Ok(page.render_form("Your files", status, form, move |form| {
        view! { <FilesPage form files /> }.into_any()
    }))
}

fn item(file: file::Model, csrf: &str) -> FileItem {
    let created = file.created_at;
    FileItem {
        download_url: paths::File {
            key: file.key.clone(),
        }
        .to_string(),
        delete_action: paths::DeleteFile { key: file.key }.to_string(),
        csrf: csrf.to_owned(),
        name: file.original_name,
        kind: type_label(&file.content_type),
        size: human_size(u64::try_from(file.size).unwrap_or_default()),
        uploaded: format!(
            "{:04}-{:02}-{:02}",
            created.year(),
            u8::from(created.month()),
            created.day()
        ),
        public: file.is_public,
    }
}

async fn upload(
    _: paths::Files,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    messages: Messages,
    CsrfToken(csrf): CsrfToken,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let config = &app.config.uploads;
    let rules = Rules {
        max_bytes: config.max_file_bytes,
        allowed_types: &config.allowed_types,
    };
    let mut received = None;
    let mut is_public = false;
    let outcome: Result<(), Rejected> = async {
        while let Some(field) = multipart.next_field().await? {
            match field.name() {
                Some("public") => is_public = true,
                // One file per upload: any other is left unread.
                Some("file") if received.is_none() => {
                    let name = uploads::clean_file_name(field.file_name().unwrap_or_default());
                    received = Some((name, uploads::receive(field, &app.storage, rules).await?));
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    if let Err(rejected) = outcome {
        if let Some((_, stored)) = &received {
            app.storage.delete(&stored.key).await?;
        }
        let refusal = refusal(rejected, config.max_file_bytes, &config.allowed_types)?;
        return render(page, &app, &user, csrf, Some(refusal)).await;
    }
    let Some((name, stored)) = received else {
        let refusal = refusal(
            Rejected::Empty,
            config.max_file_bytes,
            &config.allowed_types,
        )?;
        return render(page, &app, &user, csrf, Some(refusal)).await;
    };
    let new = NewFile {
        key: stored.key.clone(),
        owner_id: user.id,
        original_name: name.clone(),
        content_type: stored.content_type.to_owned(),
        size: i64::try_from(stored.size).context("a file size beyond i64")?,
        checksum: stored.checksum,
        is_public,
    };
    if let Err(error) = file::create(&app.db, new).await {
        app.storage.delete(&stored.key).await?;
        return Err(error.into());
    }
    messages.success(format!("{name} is uploaded."));
    Ok(htmx::redirect(page.hx(), paths::Files))
}

/// What the visitor is told about a refused file; a storage failure is ours, not theirs.
fn refusal(
    rejected: Rejected,
    max_bytes: u64,
    allowed_types: &[String],
) -> Result<Refusal, AppError> {
    let accepted = describe_rules(allowed_types, max_bytes);
    Ok(match rejected {
        Rejected::Empty => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file to upload.".to_owned(),
        ),
        Rejected::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("This file is too large. {accepted}"),
        ),
        Rejected::NotAllowed { found } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "This file is not accepted: its content is {}, whatever its name says. {accepted}",
                found.map_or_else(
                    || "of no type we recognise".to_owned(),
                    |extension| format!("a .{extension} file")
                )
            ),
        ),
        Rejected::Unreadable(_) => {
            return Err(AppError::BadRequest(
                "The upload was cut short or is not a form. Please try again.".to_owned(),
            ));
        }
        Rejected::Storage(error) => {
            return Err(AppError::Internal(error.context("storing an upload")));
        }
    })
}

/// "PNG, JPEG or PDF, up to 8 MB."
fn describe_rules(allowed_types: &[String], max_bytes: u64) -> String {
    let mut labels: Vec<String> = allowed_types.iter().map(|mime| type_label(mime)).collect();
    let last = labels.pop().unwrap_or_default();
    let kinds = if labels.is_empty() {
        last
    } else {
        format!("{} or {last}", labels.join(", "))
    };
    format!("{kinds}, up to {}.", human_size(max_bytes))
}

/// `image/png` → `PNG`.
fn type_label(mime: &str) -> String {
    mime.rsplit('/').next().unwrap_or(mime).to_uppercase()
}

/// 8388608 → "8 MB" (in powers of 1024, as file managers show them).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 || size >= 10.0 || size.fract() == 0.0 {
        format!("{size:.0} {}", UNITS[unit])
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

async fn download(
    paths::File { key }: paths::File,
    user: Option<Extension<CurrentUser>>,
    State(app): State<AppState>,
) -> Result<Response, AppError> {
    let viewer = user.map(|Extension(user)| user.id);
    // Someone else's private file is "not found", exactly like a key that does not exist.
    let file = file::find_by_key(&app.db, &key)
        .await?
        .filter(|file| file.is_visible_to(viewer))
        .ok_or(AppError::NotFound)?;
    let (size, body) = app.storage.read(&file.key).await?;
    let headers = [
        (header::CONTENT_TYPE, header_value(&file.content_type)?),
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
        (
            header::CONTENT_DISPOSITION,
            header_value(&uploads::content_disposition(&file.original_name))?,
        ),
        // A private file stays out of shared caches and off the disk of the browser's cache.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(if file.is_public {
                "no-cache"
            } else {
                "private, no-store"
            }),
        ),
    ];
    Ok((headers, body).into_response())
}

fn header_value(value: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(value)
        .with_context(|| format!("{value:?} is not a valid header value"))
        .map_err(AppError::Internal)
}

async fn delete(
    paths::DeleteFile { key }: paths::DeleteFile,
    RequireUser(user): RequireUser,
    State(app): State<AppState>,
    messages: Messages,
    page: Page,
) -> Result<Response, AppError> {
    let file = file::find_by_key(&app.db, &key)
        .await?
        .filter(|file| file.owner_id == user.id)
        .ok_or(AppError::NotFound)?;
    let transaction = app.db.begin().await?;
    file::delete(&transaction, file.id).await?;
    app.storage.delete(&file.key).await?;
    transaction.commit().await?;
    messages.success(format!("{} is deleted.", file.original_name));
    Ok(htmx::redirect(page.hx(), paths::Files))
}

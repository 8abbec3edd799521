//! The "Your files" page: an upload form (with a progress bar while htmx sends the file) and the
//! list of the user's files, each with a download link and a delete button.

use leptos::prelude::*;

use crate::views::components::{form::CsrfField, scroll::ScrollBox};

/// One file of the list, ready to show.
#[derive(Debug, Clone)]
pub struct FileItem {
    pub name: String,
    pub download_url: String,
    pub delete_action: String,
    pub csrf: String,
    /// `PNG`, `PDF`…
    pub kind: String,
    /// `1.5 MB`
    pub size: String,
    /// `2026-11-21`
    pub uploaded: String,
    pub public: bool,
}

#[component]
pub fn FilesPage(form: AnyView, files: Vec<FileItem>) -> impl IntoView {
    view! {
        <section class="flex flex-col gap-6" aria-labelledby="files-title">
            <h1 id="files-title" class="text-3xl font-bold tracking-tight">"Your files"</h1>
            <div class="card bg-base-100 shadow-sm">
                <div class="card-body">
                    <h2 class="card-title">"Upload a file"</h2>
                    {form}
                </div>
            </div>
            <FileList files />
        </section>
    }
}

/// The upload form. Its `action` carries the CSRF token (a multipart body is not read before the
/// handler: see `crate::csrf`). htmx posts it and swaps in the answer: the form again with an
/// error, or a redirect to the updated list.
#[component]
pub fn UploadForm(
    action: String,
    error: Option<String>,
    /// For the file picker: the accepted MIME types, comma-separated.
    accept: String,
    /// "PNG, JPEG or PDF, up to 8 MB."
    limits: String,
) -> impl IntoView {
    let invalid = error.is_some();
    view! {
        <form
            method="post"
            action=action.clone()
            data-hx-post=action
            enctype="multipart/form-data"
            data-hx-target="this"
            data-hx-swap="outerHTML"
            data-hx-disabled-elt="find button"
            class="flex flex-col gap-3"
            novalidate
        >
            <div class="fieldset">
                <label class="fieldset-legend" for="field-file">"File"</label>
                <input
                    id="field-file"
                    name="file"
                    type="file"
                    accept=accept
                    class="file-input w-full"
                    class:file-input-error=invalid
                    aria-invalid=invalid.then_some("true")
                    aria-describedby=if invalid { "field-file-error field-file-hint" } else { "field-file-hint" }
                />
                <p id="field-file-hint" class="label whitespace-normal">{limits}</p>
                {error.map(|message| view! {
                    <p id="field-file-error" role="alert" class="label whitespace-normal text-error">{message}</p>
                })}
            </div>
            <label class="label">
                <input type="checkbox" name="public" class="checkbox checkbox-sm" />
                "Anyone with the link can download it"
            </label>
            // Shown and moved along by static/js/upload-progress.js while htmx sends the file.
            <progress class="progress progress-primary w-full" value="0" max="100" hidden
                data-upload-progress aria-label="Upload progress"></progress>
            <button type="submit" class="btn btn-primary self-start">"Upload"</button>
        </form>
    }
}

#[component]
fn FileList(files: Vec<FileItem>) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="text-base-content/70" data-testid="no-files">"No files yet."</p> }
            .into_any();
    }
    view! {
        <ScrollBox label="Your files">
            <table class="table" data-testid="files">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        // On a phone, the name's cell says these in a line of its own.
                        <th scope="col" class="hidden sm:table-cell">"Type"</th>
                        <th scope="col" class="hidden sm:table-cell">"Size"</th>
                        <th scope="col" class="hidden md:table-cell">"Uploaded"</th>
                        <th scope="col" class="hidden sm:table-cell">"Who can download"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {files.into_iter().map(|file| view! { <FileRow file /> }).collect_view()}
                </tbody>
            </table>
        </ScrollBox>
    }
    .into_any()
}

#[component]
fn FileRow(file: FileItem) -> impl IntoView {
    let confirm = format!("Delete {}?", file.name);
    view! {
        <tr>
            // The name is the uploader's: htmx ignores any attribute in it. And the link is a
            // download, not a page, which htmx's boost must not fetch.
            <td class="max-w-[12rem] truncate sm:max-w-xs" data-hx-disable>
                <a href=file.download_url class="link" download>{file.name.clone()}</a>
                <span class="block text-xs text-base-content/80 sm:hidden">
                    {format!("{} · {} · {}", file.kind, file.size, if file.public { "anyone with the link" } else { "only you" })}
                </span>
            </td>
            <td class="hidden sm:table-cell">{file.kind}</td>
            <td class="hidden whitespace-nowrap sm:table-cell">{file.size}</td>
            <td class="hidden whitespace-nowrap md:table-cell">{file.uploaded}</td>
            <td class="hidden sm:table-cell">
                {if file.public {
                    view! { <span class="badge badge-info badge-soft">"Anyone with the link"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-ghost">"Only you"</span> }.into_any()
                }}
            </td>
            <td class="text-right">
                <form method="post" action=file.delete_action data-hx-confirm=confirm>
                    <CsrfField token=file.csrf />
                    <button type="submit" class="btn btn-ghost btn-sm text-error">
                        "Delete" <span class="sr-only">{file.name}</span>
                    </button>
                </form>
            </td>
        </tr>
    }
}

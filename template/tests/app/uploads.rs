//! Uploads: the files page, on the test's own database and storage folder. What is checked is
//! the content, stored as sent; what is refused leaves nothing behind, neither row nor object.

use axum::http::{StatusCode, header};
use axum_test::{
    TestResponse,
    multipart::{MultipartForm, Part},
};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use sha2::{Digest as _, Sha256};

use crate::{
    app::{
        csrf,
        models::file::{self, Entity as Files},
        paths,
    },
    browser::{Browser, LiveApp},
    helpers::{TestApp, fragment, html, select, select_one, text_of},
    injection::{PAYLOADS, assert_inert},
};

const PASSWORD: &str = "correct horse battery staple";

/// A 1×1 PNG image.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Upload helpers, for these tests and the S3 ones.
impl TestApp {
    /// Creates an account and signs in with it.
    pub async fn signed_in_as(&self, email: &str) -> i64 {
        let user = self.create_user(email, PASSWORD, false).await;
        self.sign_in(email, PASSWORD).await;
        user.id
    }

    /// Posts the upload form as a browser without JavaScript does: the CSRF token in the
    /// action's query string, the file in a multipart body.
    pub async fn upload(&self, name: &str, bytes: &[u8], public: bool) -> TestResponse {
        let token = self.form_token(paths::Files).await;
        // The browser's claim is deliberately wrong: only the content counts.
        let part = Part::bytes(bytes.to_vec())
            .file_name(name)
            .mime_type("application/octet-stream");
        let mut form = MultipartForm::new();
        if public {
            form = form.add_text("public", "on");
        }
        self.server
            .post(&csrf::with_token(paths::Files, &token))
            .add_header("accept", "text/html")
            .multipart(form.add_part("file", part))
            .await
    }

    /// The only file in the `files` table.
    pub async fn the_file(&self) -> file::Model {
        let mut files = Files::find().all(self.db()).await.expect("files");
        assert_eq!(files.len(), 1, "one file was stored");
        files.remove(0)
    }
}

/// Rows in the `files` table.
async fn rows(app: &TestApp) -> u64 {
    Files::find().count(app.db()).await.expect("counted")
}

#[tokio::test]
async fn an_uploaded_file_is_listed_and_downloaded_as_it_was_sent() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_as("ann@example.com").await;

    let response = app.upload("holiday photo.png", PNG, false).await;

    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(response.header(header::LOCATION), "/files");
    let stored = app.the_file().await;
    assert_eq!(stored.owner_id, owner);
    assert_eq!(stored.original_name, "holiday photo.png");
    assert_eq!(
        stored.content_type, "image/png",
        "from the content, not the browser"
    );
    assert_eq!(stored.size, PNG.len() as i64);
    assert_eq!(stored.checksum, format!("{:x}", Sha256::digest(PNG)));
    assert!(!stored.is_public);
    assert_eq!(stored.key.len(), 22, "128 random bits");
    assert!(app.state.storage.exists(&stored.key).await.unwrap());

    let page = app.get(paths::Files).await;
    page.assert_status_ok();
    let document = html(&page);
    assert_eq!(
        text_of(&document, ".alert-success"),
        "holiday photo.png is uploaded."
    );
    let link = select_one(&document, "[data-testid=files] tbody a");
    assert_eq!(link.text().collect::<String>(), "holiday photo.png");
    let href = link.attr("href").unwrap().to_owned();
    assert_eq!(href, format!("/files/{}", stored.key));

    let download = app.get(&href).await;
    download.assert_status_ok();
    assert_eq!(download.as_bytes().as_ref(), PNG);
    assert_eq!(download.header(header::CONTENT_TYPE), "image/png");
    assert_eq!(
        download.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"holiday photo.png\"; filename*=UTF-8''holiday%20photo.png"
    );
    assert_eq!(download.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(download.header(header::CACHE_CONTROL), "private, no-store");
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_413_and_nothing_is_kept() {
    let app = TestApp::spawn_with(|config| config.uploads.max_file_bytes = 1024).await;
    app.signed_in_as("ann@example.com").await;
    let mut big = PNG.to_vec();
    big.resize(1025, 0);

    let response = app.upload("big.png", &big, false).await;

    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    let document = html(&response);
    assert_eq!(
        text_of(&document, "#field-file-error"),
        "This file is too large. PNG, JPEG, GIF, WEBP or PDF, up to 1 KB."
    );
    assert_eq!(rows(&app).await, 0);
    assert_eq!(objects_in_storage(&app), 0);

    // One byte less is fine.
    big.truncate(1024);
    app.upload("big.png", &big, false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_request_body_far_over_the_limit_is_refused_before_it_is_read() {
    let app = TestApp::spawn_with(|config| config.uploads.max_file_bytes = 1024).await;
    app.signed_in_as("ann@example.com").await;

    // The route's body limit (the file's plus room for the form) stops it.
    let huge = vec![0_u8; 1024 * 1024];
    let response = app.upload("huge.png", &huge, false).await;

    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(rows(&app).await, 0);
    assert_eq!(objects_in_storage(&app), 0);
}

#[tokio::test]
async fn content_of_a_type_not_allowed_is_refused_with_422_whatever_its_name() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;

    // Text, which has no magic bytes; a script; a real type that is not allowed (a ZIP archive).
    let refusals = [
        (
            "notes.png",
            &b"just some words"[..],
            "of no type we recognise",
        ),
        ("cat.png", b"#!/bin/sh\nrm -rf /\n", "a .sh file"),
        (
            "report.pdf",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            "a .zip file",
        ),
    ];
    for (name, content, found) in refusals {
        let response = app.upload(name, content, false).await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            text_of(&html(&response), "#field-file-error"),
            format!(
                "This file is not accepted: its content is {found}, whatever its name says. \
                 PNG, JPEG, GIF, WEBP or PDF, up to 8 MB."
            )
        );
    }

    assert_eq!(rows(&app).await, 0);
    assert_eq!(objects_in_storage(&app), 0);
}

#[tokio::test]
async fn an_empty_form_asks_for_a_file() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;

    // What a browser sends when no file was chosen: an empty part without a name.
    let response = app.upload("", b"", false).await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text_of(&html(&response), "#field-file-error"),
        "Choose a file to upload."
    );
    assert_eq!(rows(&app).await, 0);
}

#[tokio::test]
async fn a_hostile_file_name_is_cleaned_and_never_used_as_a_path() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;

    let response = app
        .upload(
            "../../<img src=x onerror=alert(1)>\u{202E}gnp.exe",
            PNG,
            false,
        )
        .await;

    response.assert_status(StatusCode::SEE_OTHER);
    let stored = app.the_file().await;
    assert_eq!(stored.original_name, "img src=x onerror=alert(1)gnp.exe");
    // The object is named by its random key, inside the storage folder.
    assert!(app.state.storage.exists(&stored.key).await.unwrap());
    let page = app.get(paths::Files).await;
    assert!(!page.text().contains("<img src=x"), "escaped in the page");
    let download = app.get(paths::File { key: stored.key }).await;
    assert_eq!(
        download.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"img src=x onerror=alert(1)gnp.exe\"; \
         filename*=UTF-8''img%20src%3Dx%20onerror%3Dalert%281%29gnp.exe"
    );
}

#[tokio::test]
async fn someone_elses_private_file_is_not_found_and_a_public_one_is_served() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;
    app.upload("private.png", PNG, false).await;
    app.upload("public.pdf", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", true)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let files = Files::find().all(app.db()).await.unwrap();
    let private = files.iter().find(|f| !f.is_public).unwrap().key.clone();
    let public = files.iter().find(|f| f.is_public).unwrap().key.clone();

    let bob = app.second_client();
    bob.signed_in_as("bob@example.com").await;
    bob.get(paths::File {
        key: private.clone(),
    })
    .await
    .assert_status(StatusCode::NOT_FOUND);
    let token = bob.form_token(paths::Files).await;
    bob.post_with_token(
        paths::DeleteFile {
            key: private.clone(),
        },
        &token,
        &[],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert!(app.state.storage.exists(&private).await.unwrap());
    // Bob's own list is empty.
    let bobs_page = bob.get(paths::Files).await;
    assert_eq!(select(&html(&bobs_page), "[data-testid=no-files]").len(), 1);

    let visitor = app.second_client();
    visitor
        .get(paths::File { key: private })
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let download = visitor.get(paths::File { key: public }).await;
    download.assert_status_ok();
    assert_eq!(download.header(header::CONTENT_TYPE), "application/pdf");
    assert_eq!(download.header(header::CACHE_CONTROL), "no-cache");

    // A key that was never issued looks the same as someone else's file.
    app.get(paths::File {
        key: "AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
    })
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_removes_the_object_and_the_row() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;
    app.upload("photo.png", PNG, false).await;
    let stored = app.the_file().await;

    let token = app.csrf_token().await;
    let response = app
        .post_with_token(
            paths::DeleteFile {
                key: stored.key.clone(),
            },
            &token,
            &[],
        )
        .await;

    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(rows(&app).await, 0);
    assert!(!app.state.storage.exists(&stored.key).await.unwrap());
    assert_eq!(objects_in_storage(&app), 0);
    app.get(paths::File { key: stored.key })
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_files_page_needs_a_signed_in_user_and_uploads_need_the_csrf_token() {
    let app = TestApp::spawn().await;

    let page = app.get(paths::Files).await;
    page.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(page.header(header::LOCATION), "/login?next=%2Ffiles");

    app.signed_in_as("ann@example.com").await;
    let part = Part::bytes(PNG.to_vec()).file_name("photo.png");
    let response = app
        .server
        .post(&paths::Files.to_string())
        .add_header("accept", "text/html")
        .multipart(MultipartForm::new().add_part("file", part))
        .await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(rows(&app).await, 0);
}

#[tokio::test]
async fn htmx_gets_the_form_back_with_its_error_and_a_redirect_on_success() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;
    let token = app.csrf_token().await;
    let send = |bytes: &'static [u8]| {
        let part = Part::bytes(bytes.to_vec()).file_name("photo.png");
        app.server
            .post(&paths::Files.to_string())
            .add_header("hx-request", "true")
            .add_header(csrf::HEADER, &token)
            .multipart(MultipartForm::new().add_part("file", part))
    };

    let refused = send(b"not a picture").await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let form = fragment(&refused);
    assert_eq!(
        select(&form, "form[enctype='multipart/form-data']").len(),
        1
    );
    assert_eq!(select(&form, "progress[data-upload-progress]").len(), 1);
    assert_eq!(select(&form, "table").len(), 0, "the form alone");

    let accepted = send(PNG).await;
    accepted.assert_status_ok();
    assert_eq!(accepted.header("hx-redirect"), "/files");
}

/// Files in the test's storage folder (a rejected upload must leave none, not even a part).
fn objects_in_storage(app: &TestApp) -> usize {
    let root = &app.state.config.uploads.storage.local_dir;
    walk(root)
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|entry| entry.expect("a folder entry").path())
        .map(|path| if path.is_dir() { walk(&path) } else { 1 })
        .sum()
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn a_file_uploaded_in_the_browser_shows_its_progress_and_is_listed() {
    let app = LiveApp::start().await;
    app.app
        .create_user("ann@example.com", PASSWORD, false)
        .await;
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("scan.png");
    // A megabyte, so the upload takes a few progress events.
    let mut content = PNG.to_vec();
    content.resize(1024 * 1024, 0);
    std::fs::write(&path, &content).expect("written");
    let browser = Browser::open(&app.url).await;
    browser.sign_in("ann@example.com", PASSWORD).await;
    browser.wait_for_signed_in().await;

    browser.visit("/files").await;
    // Record the progress bar's last state where it outlives the page (htmx then loads the
    // list as a new page).
    browser
        .client
        .execute(
            "const bar = document.querySelector('progress[data-upload-progress]');
             new MutationObserver(() => sessionStorage.setItem('progress',
                 `${bar.hidden ? 'hidden' : 'shown'} ${bar.value}`))
                 .observe(bar, { attributes: true });",
            vec![],
        )
        .await
        .expect("ran a script");
    browser
        .wait_for("input[type=file]")
        .await
        .send_keys(&path.to_string_lossy())
        .await
        .expect("chose the file");
    browser
        .wait_for("main form[enctype='multipart/form-data'] button[type=submit]")
        .await
        .click()
        .await
        .expect("clicked");

    let link = browser.wait_for("[data-testid=files] tbody a").await;
    assert_eq!(link.text().await.expect("a text"), "scan.png");
    let progress = browser
        .client
        .execute("return sessionStorage.getItem('progress');", vec![])
        .await
        .expect("ran a script");
    assert_eq!(progress, serde_json::json!("shown 100"));
    let stored = app.app.the_file().await;
    assert_eq!(stored.size, 1024 * 1024);

    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn hostile_file_names_are_shown_as_text() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;

    for payload in PAYLOADS {
        // As browsers send a file name in a multipart header (the HTML standard's encoding).
        let name = payload
            .replace('"', "%22")
            .replace('\n', "%0A")
            .replace('\r', "%0D");
        let response = app.upload(&format!("{name}.png"), PNG, false).await;
        response.assert_status(StatusCode::SEE_OTHER);
    }

    let page = html(&app.get(paths::Files).await);
    assert_inert(&page, "the files page");
    assert_eq!(
        select(&page, "[data-testid=files] tbody tr").len(),
        PAYLOADS.len()
    );
}

#[tokio::test]
async fn a_key_the_app_never_makes_is_not_found_without_asking_the_database() {
    let app = TestApp::spawn().await;
    app.signed_in_as("ann@example.com").await;

    for key in ["%00", "a%00b", "..%2F..%2Fetc%2Fpasswd", &"a".repeat(300)] {
        app.get(format!("/files/{key}"))
            .await
            .assert_status_not_found();
    }
}

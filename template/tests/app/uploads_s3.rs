//! Uploads to an S3-compatible bucket: upload, download and delete as in `uploads.rs`, against a
//! real server speaking the S3 API. `cargo test` skips these (they need the server); run them
//! with one at hand, its URL and an existing bucket in the environment:
//!
//! ```text
//! TEST_S3_ENDPOINT=http://127.0.0.1:9000 TEST_S3_BUCKET=uploads-test \
//!     cargo test --test app uploads_s3 -- --ignored
//! ```
//!
//! `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are the credentials (default `test`). The
//! template's CI runs them against moto's S3 server.

use axum::http::StatusCode;
use sha2::{Digest as _, Sha256};

use crate::{
    app::{
        config::Config,
        paths,
        uploads::{Storage, StorageBackend},
    },
    helpers::TestApp,
    uploads::PNG,
};

fn in_the_bucket(config: &mut Config) {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let endpoint = std::env::var("TEST_S3_ENDPOINT").expect(
        "TEST_S3_ENDPOINT: the URL of an S3-compatible server (see this file's documentation)",
    );
    let storage = &mut config.uploads.storage;
    storage.backend = StorageBackend::S3;
    storage.s3.allow_http = endpoint.starts_with("http://");
    storage.s3.endpoint = endpoint;
    storage.s3.bucket = env("TEST_S3_BUCKET", "uploads-test");
    // Each test in a folder of its own: they run at the same time.
    storage.s3.prefix = format!("test-{}", uuid::Uuid::new_v4());
    storage.s3.region = env("AWS_REGION", "us-east-1");
    storage.s3.access_key_id = env("AWS_ACCESS_KEY_ID", "test");
    storage.s3.secret_access_key = env("AWS_SECRET_ACCESS_KEY", "test").into();
}

#[tokio::test]
#[ignore = "needs an S3-compatible server: see the documentation of tests/app/uploads_s3.rs"]
async fn files_go_to_the_bucket_come_back_and_are_deleted() {
    let app = TestApp::spawn_with(in_the_bucket).await;
    app.signed_in_as("ann@example.com").await;
    // One request for a small file; a multipart upload for one over the 5 MiB part size.
    let mut large = PNG.to_vec();
    large.resize(6 * 1024 * 1024 + 123, 7);

    for (name, content) in [("small.png", PNG), ("large.png", large.as_slice())] {
        app.upload(name, content, false)
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let stored = app.the_file().await;
        assert_eq!(stored.checksum, format!("{:x}", Sha256::digest(content)));
        assert!(app.state.storage.exists(&stored.key).await.unwrap());

        let download = app
            .get(paths::File {
                key: stored.key.clone(),
            })
            .await;
        download.assert_status_ok();
        assert_eq!(download.as_bytes().len(), content.len(), "{name}");
        assert!(
            download.as_bytes().as_ref() == content,
            "{name} comes back as sent"
        );

        let token = app.csrf_token().await;
        app.post_with_token(
            paths::DeleteFile {
                key: stored.key.clone(),
            },
            &token,
            &[],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
        assert!(!app.state.storage.exists(&stored.key).await.unwrap());
    }
}

#[tokio::test]
#[ignore = "needs an S3-compatible server: see the documentation of tests/app/uploads_s3.rs"]
async fn a_refused_upload_leaves_no_object_and_doctor_can_write_to_the_bucket() {
    let app = TestApp::spawn_with(|config| {
        in_the_bucket(config);
        config.uploads.max_file_bytes = 6 * 1024 * 1024;
    })
    .await;
    // Over a socket, the body comes in pieces: the first 5 MiB part goes to the bucket before the
    // limit is reached, and the multipart upload must then be aborted.
    let browser = app.socket_client();
    browser.signed_in_as("ann@example.com").await;
    let mut too_large = PNG.to_vec();
    too_large.resize(6 * 1024 * 1024 + 1, 7);

    browser
        .upload("too-large.png", &too_large, false)
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);

    assert!(app.state.storage.is_empty().await.unwrap());
    Storage::from_config(&app.state.config.uploads.storage)
        .unwrap()
        .check()
        .await
        .expect("an object can be written, read and deleted");
}

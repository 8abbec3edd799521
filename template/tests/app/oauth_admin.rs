//! The admin area shows which providers sign in to a user's account.

use axum::http::StatusCode;

use crate::{
    app::{models::user, paths},
    helpers::{html, text_of},
    oauth::{app_with, provider, through_the_provider},
    two_factor::sign_out,
};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn a_users_page_in_the_admin_area_lists_their_connected_providers() {
    let app = app_with(provider()).await;
    // Her account opened by the provider, then a sign-in with it.
    for _ in 0..2 {
        through_the_provider(&app, "nina@example.com")
            .await
            .assert_status(StatusCode::SEE_OTHER);
        sign_out(&app).await;
    }
    let nina = user::find_by_email(app.db(), "nina@example.com")
        .await
        .unwrap()
        .unwrap();
    let root = app.create_user("root@example.com", PASSWORD, true).await;
    app.sign_in("root@example.com", PASSWORD).await;

    let row = |id| paths::AdminRow {
        resource: "users".to_owned(),
        id,
    };
    let page = text_of(&html(&app.get(row(nina.id)).await), "main");
    assert!(
        page.contains("Connected accountsTest ID (nina@example.com), connected "),
        "{page}"
    );
    assert!(page.contains(", last used "), "{page}");
    let page = text_of(&html(&app.get(row(root.id)).await), "main");
    assert!(page.contains("Connected accountsNone"), "{page}");
}

//! The admin area, on the test's own database: who may enter, the list (pages, order, search,
//! filters), a row, its form (widgets, errors in place, unique values, sensitive fields), delete,
//! the users' actions and the cache.

use std::time::Duration;

use axum::http::{StatusCode, header};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _,
};
use secrecy::SecretString;

use crate::{
    app::{
        cache::Put,
        models::user::{self, Entity as Users},
        paths,
    },
    browser::{Browser, LiveApp},
    helpers::{TestApp, html, select, select_one, text_of},
    injection::{PAYLOADS, assert_inert},
    two_factor::{code_of, enable_two_factor, is_signed_in, location, read_setup_key},
};

const PASSWORD: &str = "correct horse battery staple";

/// The app with an administrator signed in; returns the admin's id.
async fn as_admin() -> (TestApp, i64) {
    let app = TestApp::spawn().await;
    let admin = app.create_user("root@example.com", PASSWORD, true).await;
    app.sign_in("root@example.com", PASSWORD).await;
    (app, admin.id)
}

fn users() -> paths::AdminList {
    paths::AdminList {
        resource: "users".to_owned(),
    }
}

fn user_row(id: i64) -> paths::AdminRow {
    paths::AdminRow {
        resource: "users".to_owned(),
        id,
    }
}

async fn find_user(app: &TestApp, email: &str) -> user::Model {
    user::find_by_email(app.db(), email)
        .await
        .unwrap()
        .expect("the user exists")
}

#[tokio::test]
async fn only_administrators_enter_signed_out_visitors_and_users_get_403() {
    let app = TestApp::spawn().await;
    let someone = app.create_user("ann@example.com", PASSWORD, false).await;
    let pages = [
        paths::AdminDashboard.to_string(),
        users().to_string(),
        user_row(someone.id).to_string(),
        paths::AdminEdit {
            resource: "users".to_owned(),
            id: someone.id,
        }
        .to_string(),
    ];

    for page in &pages {
        app.get(page).await.assert_status(StatusCode::FORBIDDEN);
    }
    app.sign_in("ann@example.com", PASSWORD).await;
    for page in &pages {
        app.get(page).await.assert_status(StatusCode::FORBIDDEN);
    }
    // Posts with a valid CSRF token are refused too, and change nothing.
    let token = app.form_token("/account").await;
    let grant = paths::AdminAction {
        resource: "users".to_owned(),
        id: someone.id,
        action: "grant-admin".to_owned(),
    };
    app.post_with_token(grant, &token, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_with_token(paths::AdminFlushCache, &token, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert!(!find_user(&app, "ann@example.com").await.is_admin);
}

#[tokio::test]
async fn the_dashboard_counts_rows_and_empties_the_cache() {
    let (app, _) = as_admin().await;
    app.create_user("ann@example.com", PASSWORD, false).await;
    let put = Put::ttl(Duration::from_secs(60));
    app.state
        .cache
        .set("greeting", &"hello", put)
        .await
        .unwrap();

    let dashboard = app.get(paths::AdminDashboard).await;
    dashboard.assert_status_ok();
    let document = html(&dashboard);
    assert_eq!(
        text_of(
            &document,
            "[data-testid=counts] a[href='/admin/users'] .stat-value"
        ),
        "2"
    );
    assert_eq!(
        text_of(&document, "header nav > ul a[aria-current=page]"),
        "Admin",
        "the header links to the admin area, for admins"
    );

    let token = app.form_token(paths::AdminDashboard).await;
    let flushed = app
        .post_with_token(paths::AdminFlushCache, &token, &[])
        .await;
    flushed.assert_status(StatusCode::SEE_OTHER);
    let kept: Option<String> = app.state.cache.get("greeting").await.unwrap();
    assert_eq!(kept, None);
}

#[tokio::test]
async fn the_list_pages_sorts_searches_and_filters() {
    let (app, _) = as_admin().await;
    for n in 0..30 {
        app.create_user(&format!("user{n:02}@example.com"), PASSWORD, n % 10 == 0)
            .await;
    }
    app.create_user("Ann.Lee@example.com", PASSWORD, false)
        .await;

    let first = html(&app.get(users()).await);
    assert_eq!(select(&first, "[data-testid=rows] tbody tr").len(), 25);
    assert_eq!(
        text_of(&first, "[data-testid=total]"),
        "32 rows · page 1 of 2"
    );
    let next = select_one(&first, "a[rel=next]")
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(next, "/admin/users?page=2");
    let second = html(&app.get(&next).await);
    assert_eq!(select(&second, "[data-testid=rows] tbody tr").len(), 7);

    // Sorted by email, A to Z, then Z to A by following the header's link again.
    let sorted = html(&app.get("/admin/users?sort=email").await);
    let emails = column(&sorted, 2);
    assert_eq!(emails[0], "ann.lee@example.com");
    let header = select_one(&sorted, "th[aria-sort=ascending] a");
    assert_eq!(header.attr("href").unwrap(), "/admin/users?sort=-email");
    assert_eq!(header.attr("data-hx-target").unwrap(), "#admin-list");
    let reversed = html(&app.get("/admin/users?sort=-email").await);
    assert_eq!(column(&reversed, 2)[0], "user29@example.com");

    // Search: any part, any case; LIKE's wildcards are matched as themselves.
    let found = html(&app.get("/admin/users?q=ANN.L").await);
    assert_eq!(column(&found, 2), ["ann.lee@example.com"]);
    let none = html(&app.get("/admin/users?q=%25").await);
    assert_eq!(
        text_of(&none, "[data-testid=total]"),
        "0 rows · page 1 of 1"
    );

    // A filter on a boolean column: the three admins made above and root.
    let admins = html(&app.get("/admin/users?is_admin=true&sort=email").await);
    assert_eq!(
        column(&admins, 2),
        [
            "root@example.com",
            "user00@example.com",
            "user10@example.com",
            "user20@example.com"
        ]
    );
    // A page past the end shows the last one.
    let past = html(&app.get("/admin/users?page=18446744073709551615").await);
    assert_eq!(
        text_of(&past, "[data-testid=total]"),
        "32 rows · page 2 of 2"
    );
    assert_eq!(
        select_one(&past, "a[rel=prev]").attr("href").unwrap(),
        "/admin/users"
    );
    // Fewer rows a page, kept by the pager's links.
    let tens = html(&app.get("/admin/users?per_page=10").await);
    assert_eq!(select(&tens, "[data-testid=rows] tbody tr").len(), 10);
    assert_eq!(
        select_one(&tens, "a[rel=next]").attr("href").unwrap(),
        "/admin/users?per_page=10&page=2"
    );
}

#[tokio::test]
async fn extreme_and_malformed_list_parameters_get_a_clear_answer_never_an_error() {
    let (app, _) = as_admin().await;
    let numbers = [
        "0",
        "-1",
        "1.5",
        "1e3",
        "zero",
        "",
        "18446744073709551615",
        "18446744073709551616",
        "737869762948382065",
        "99999999999999999999999999999",
        "%00",
        "%FF",
        "%",
    ];
    let mut queries: Vec<String> = Vec::new();
    for value in numbers {
        for name in ["page", "per_page", "sort", "q", "is_admin", "email"] {
            queries.push(format!("{name}={value}"));
        }
    }
    let long = "a".repeat(5000);
    queries.extend([
        format!("q={long}"),
        format!("sort={long}"),
        "sort=-".to_owned(),
        "sort=--email".to_owned(),
        "sort=password_hash".to_owned(),
        "q=a%0Ab".to_owned(),
        "page=2&page=3".to_owned(),
        "is_admin=maybe".to_owned(),
        "per_page=101".to_owned(),
        "%=%".to_owned(),
        "&&&".to_owned(),
    ]);

    for query in &queries {
        let response = app.get(format!("{}?{query}", users())).await;
        let status = response.status_code();
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "?{query}: {status}"
        );
        if status == StatusCode::BAD_REQUEST {
            // The page says what was wrong, in the admin's words, not the parser's.
            let page = html(&response);
            assert_eq!(text_of(&page, "[data-testid=status]"), "400");
            assert!(
                !response.text().contains("Failed to deserialize"),
                "?{query}"
            );
        }
    }
    for refused in [
        "page=0",
        "page=zero",
        "per_page=0",
        "per_page=101",
        "sort=nope",
    ] {
        app.get(format!("{}?{refused}", users()))
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    let is_admin_maybe = app.get(format!("{}?is_admin=maybe", users())).await;
    is_admin_maybe.assert_status(StatusCode::BAD_REQUEST);
}

/// The cells of the list's `n`-th column (1 is the id).
fn column(document: &scraper::Html, n: usize) -> Vec<String> {
    select(
        document,
        &format!("[data-testid=rows] tbody td:nth-child({n})"),
    )
    .iter()
    .map(|cell| cell.text().collect::<String>().trim().to_owned())
    .collect()
}

#[tokio::test]
async fn a_row_shows_its_values_but_never_its_password_hash() {
    let (app, _) = as_admin().await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;

    let page = app.get(user_row(ann.id)).await;
    page.assert_status_ok();
    let document = html(&page);
    assert_eq!(
        text_of(&document, "[data-testid=row-title]"),
        "ann@example.com"
    );
    let texts = |selector: &str| -> Vec<String> {
        select(&document, selector)
            .iter()
            .map(|element| element.text().collect::<String>())
            .collect()
    };
    let shown: Vec<(String, String)> = texts("[data-testid=values] dt")
        .into_iter()
        .zip(texts("[data-testid=values] dd"))
        .collect();
    assert!(
        shown.contains(&("Password".to_owned(), "set".to_owned())),
        "{shown:?}"
    );
    assert!(shown.contains(&("Email".to_owned(), "ann@example.com".to_owned())));
    assert!(!page.text().contains("argon2"));

    let form = html(&app.get(format!("{}/edit", user_row(ann.id))).await);
    let password = select_one(&form, "input[name=password_hash]");
    assert_eq!(password.attr("type"), Some("password"));
    assert_eq!(password.attr("value"), None);
    assert_eq!(
        select_one(&form, "input[name=email]").attr("value"),
        Some("ann@example.com")
    );
    assert_eq!(
        select_one(&form, "input[name=email_verified_at]").attr("type"),
        Some("datetime-local")
    );
    // The role and the disabling change only through the actions.
    assert!(select(&form, "[name=is_admin]").is_empty());
    assert!(select(&form, "[name=disabled_at]").is_empty());
}

#[tokio::test]
async fn an_admin_creates_a_user_whose_password_is_hashed() {
    let (app, _) = as_admin().await;
    let token = app
        .form_token(paths::AdminNew {
            resource: "users".to_owned(),
        })
        .await;

    let created = app
        .post_with_token(
            users(),
            &token,
            &[
                ("email", "new@example.com"),
                ("password_hash", "a long enough password"),
                ("email_verified_at", "2026-11-21T09:30"),
            ],
        )
        .await;

    created.assert_status(StatusCode::SEE_OTHER);
    let new = find_user(&app, "new@example.com").await;
    assert_eq!(
        created.header(header::LOCATION),
        user_row(new.id).to_string()
    );
    assert!(!new.is_admin);
    assert_eq!(
        new.email_verified_at.unwrap().to_string(),
        "2026-11-21 9:30:00.0 +00:00:00"
    );
    assert!(
        app.state
            .passwords
            .verify(
                &SecretString::from("a long enough password"),
                Some(&new.password_hash)
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn mistakes_are_shown_next_to_their_field_and_nothing_is_saved() {
    let (app, _) = as_admin().await;
    app.create_user("taken@example.com", PASSWORD, false).await;
    let token = app.form_token(paths::AdminDashboard).await;

    let refused = app
        .post_with_token(
            users(),
            &token,
            &[
                ("email", ""),
                ("password_hash", "short"),
                ("email_verified_at", "yesterday"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let form = html(&refused);
    assert_eq!(
        text_of(&form, "#field-email-error"),
        "This field is required."
    );
    assert_eq!(
        text_of(&form, "#field-password_hash-error"),
        "Use at least 12 characters."
    );
    assert_eq!(
        text_of(&form, "#field-email_verified_at-error"),
        "Enter a date and time, such as 2026-11-21T09:30."
    );
    // What was typed stays (but not the password).
    assert_eq!(
        select_one(&form, "input[name=email_verified_at]").attr("value"),
        Some("yesterday")
    );

    // A unique column's taken value is the email field's error, not a 500.
    let taken = app
        .post_with_token(
            users(),
            &token,
            &[("email", "taken@example.com"), ("password_hash", PASSWORD)],
        )
        .await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text_of(&html(&taken), "#field-email-error"),
        "Another row already has this value: it must be unique."
    );
    assert_eq!(Users::find().count(app.db()).await.unwrap(), 2);
}

#[tokio::test]
async fn editing_keeps_the_password_hash_unless_a_new_password_is_entered() {
    let (app, _) = as_admin().await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;
    let token = app.form_token(paths::AdminDashboard).await;

    app.post_with_token(
        user_row(ann.id),
        &token,
        &[
            ("email", "ann.lee@example.com"),
            ("password_hash", ""),
            ("is_admin", "on"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let edited = find_user(&app, "ann.lee@example.com").await;
    assert_eq!(edited.password_hash, ann.password_hash);
    assert!(!edited.is_admin, "the role changes only through its action");
    assert!(edited.updated_at > ann.updated_at);
    assert_eq!(edited.created_at, ann.created_at);

    app.post_with_token(
        user_row(ann.id),
        &token,
        &[
            ("email", "ann.lee@example.com"),
            ("password_hash", "a brand new passphrase"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let edited = find_user(&app, "ann.lee@example.com").await;
    assert_ne!(edited.password_hash, ann.password_hash);

    // Taking another user's address is a field error here too.
    app.create_user("bob@example.com", PASSWORD, false).await;
    let taken = app
        .post_with_token(user_row(ann.id), &token, &[("email", "bob@example.com")])
        .await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(select(&html(&taken), "#field-email-error").len() == 1);
}

#[tokio::test]
async fn delete_asks_first_and_refuses_the_admins_own_account() {
    let (app, admin) = as_admin().await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;
    let delete = paths::AdminDelete {
        resource: "users".to_owned(),
        id: ann.id,
    };

    let confirm = html(&app.get(&delete).await);
    assert_eq!(text_of(&confirm, "main h1"), "Delete ann@example.com?");
    let token = app.form_token(&delete).await;
    app.post_with_token(&delete, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(user::find_by_id(app.db(), ann.id).await.unwrap().is_none());
    app.get(user_row(ann.id))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let own = paths::AdminDelete {
        resource: "users".to_owned(),
        id: admin,
    };
    app.post_with_token(&own, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(user::find_by_id(app.db(), admin).await.unwrap().is_some());
}

#[tokio::test]
async fn user_actions_verify_grant_revoke_sign_out_disable_and_enable() {
    let (app, admin) = as_admin().await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;
    let ann_browser = app.second_client();
    ann_browser.sign_in("ann@example.com", PASSWORD).await;
    ann_browser.get("/account").await.assert_status_ok();
    let token = app.form_token(user_row(ann.id)).await;
    let act = |action: &str, id: i64| paths::AdminAction {
        resource: "users".to_owned(),
        id,
        action: action.to_owned(),
    };

    // create_user verifies; make Ann unverified first, through the form.
    app.post_with_token(
        user_row(ann.id),
        &token,
        &[("email", "ann@example.com"), ("email_verified_at", "")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert!(!find_user(&app, "ann@example.com").await.is_verified());
    app.post_with_token(act("verify", ann.id), &token, &[])
        .await;
    assert!(find_user(&app, "ann@example.com").await.is_verified());

    // Ann's pages see each change at once, though her row was read a moment ago and is kept for
    // `session.cache_seconds`: the instance that changes a row forgets it.
    ann_browser
        .get("/admin")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_with_token(act("grant-admin", ann.id), &token, &[])
        .await;
    assert!(find_user(&app, "ann@example.com").await.is_admin);
    ann_browser.get("/admin").await.assert_status_ok();
    app.post_with_token(act("revoke-admin", ann.id), &token, &[])
        .await;
    assert!(!find_user(&app, "ann@example.com").await.is_admin);
    ann_browser
        .get("/admin")
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // Not one's own role: a message, and nothing changes.
    let own = app
        .post_with_token(act("revoke-admin", admin), &token, &[])
        .await;
    own.assert_status(StatusCode::SEE_OTHER);
    let shown = html(
        &app.get(own.header(header::LOCATION).to_str().unwrap())
            .await,
    );
    assert!(text_of(&shown, ".alert-error").contains("cannot remove your own"));
    assert!(find_user(&app, "root@example.com").await.is_admin);

    app.post_with_token(act("sign-out", ann.id), &token, &[])
        .await;
    ann_browser
        .get("/account")
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Disabled: signed out, and refused at the sign-in form until enabled again.
    ann_browser.sign_in("ann@example.com", PASSWORD).await;
    app.post_with_token(act("disable", ann.id), &token, &[])
        .await;
    assert!(find_user(&app, "ann@example.com").await.is_disabled());
    ann_browser
        .get("/account")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let refused = ann_browser.sign_in("ann@example.com", PASSWORD).await;
    assert!(text_of(&html(&refused), "[role=alert]").contains("This account is disabled"));
    app.post_with_token(act("disable", admin), &token, &[])
        .await;
    assert!(!find_user(&app, "root@example.com").await.is_disabled());
    app.post_with_token(act("enable", ann.id), &token, &[])
        .await;
    ann_browser
        .sign_in("ann@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    ann_browser.get("/account").await.assert_status_ok();

    app.post_with_token(act("no-such-action", ann.id), &token, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_resets_two_factor_for_someone_who_lost_their_app_and_codes() {
    let (app, admin) = as_admin().await;
    let ann_browser = app.second_client();
    enable_two_factor(&ann_browser, "ann@example.com").await;
    let ann = find_user(&app, "ann@example.com").await;
    let token = app.form_token(user_row(ann.id)).await;
    let act = |id: i64| paths::AdminAction {
        resource: "users".to_owned(),
        id,
        action: "reset-two-factor".to_owned(),
    };

    // A passkey too, which the reset removes with the app.
    crate::app::models::passkey::ActiveModel {
        user_id: Set(ann.id),
        credential_id: Set(b"ann's phone".to_vec()),
        user_handle: Set(vec![7; 16]),
        name: Set("Phone".to_owned()),
        credential: Set("{}".to_owned()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("stored a passkey");

    // The row's page says it is on, and with what.
    let row_page = app.get(user_row(ann.id)).await.text();
    assert!(
        row_page.contains("On (authenticator app and 1 passkey), with 10 recovery codes left"),
        "{row_page}"
    );

    let done = app.post_with_token(act(ann.id), &token, &[]).await;

    done.assert_status(StatusCode::SEE_OTHER);
    let shown = html(&app.get(location(&done)).await);
    assert!(text_of(&shown, ".alert-success").contains("two-factor sign-in off"));
    let row_page = text_of(&shown, "main");
    assert!(row_page.contains("Two-factor sign-inOff"), "{row_page}");
    let passkeys_left = crate::app::models::passkey::Entity::find()
        .filter(crate::app::models::passkey::Column::UserId.eq(ann.id))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(passkeys_left, 0);
    assert!(!is_signed_in(&ann_browser).await);
    // The notice of turning it on, and this one (in either order without the task queue).
    app.wait_for_mail("ann@example.com", 2).await;
    let notices = app.mail.to("ann@example.com");
    assert!(notices.iter().any(|mail| {
        mail.text()
            .contains("An administrator turned off two-factor")
    }));
    // The password alone signs in again.
    let signed_in = ann_browser.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(location(&signed_in), paths::Home.to_string());

    // Not one's own: that goes through the account page, with a code.
    let own = app.post_with_token(act(admin), &token, &[]).await;
    let shown = html(&app.get(location(&own)).await);
    assert!(text_of(&shown, ".alert-error").contains("from your account page"));
}

#[tokio::test]
async fn when_required_an_admin_without_two_factor_is_sent_to_set_it_up() {
    let app = TestApp::spawn_with(|config| config.auth.admins_need_two_factor = true).await;
    app.create_user("root@example.com", PASSWORD, true).await;
    app.sign_in("root@example.com", PASSWORD).await;

    let sent = app.get(paths::AdminDashboard).await;
    sent.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&sent), paths::AccountTwoFactor.to_string());
    let row = app.get(user_row(1)).await;
    assert_eq!(location(&row), paths::AccountTwoFactor.to_string());
    let json = app
        .server
        .get(&paths::AdminDashboard.to_string())
        .add_header("accept", "application/json")
        .await;
    json.assert_status(StatusCode::FORBIDDEN);

    // The setup page says why; once it is on, the admin area opens.
    let setup = html(&app.get(paths::AccountTwoFactor).await);
    assert!(text_of(&setup, "[data-testid=two-factor-required]").contains("Administrators"));
    let key = read_setup_key(&app).await;
    app.submit(
        paths::AccountTwoFactor,
        paths::AccountTwoFactor,
        &[("code", &code_of(&key, 0)), ("current_password", PASSWORD)],
    )
    .await
    .assert_status_ok();
    app.get(paths::AdminDashboard).await.assert_status_ok();

    // Everyone else is refused as before.
    let other = app.second_client();
    other.create_user("bo@example.com", PASSWORD, false).await;
    other.sign_in("bo@example.com", PASSWORD).await;
    other
        .get(paths::AdminDashboard)
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_tables_and_rows_are_404() {
    let (app, _) = as_admin().await;

    app.get("/admin/no-such-table")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.get(user_row(9999))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.get("/admin/users/not-a-number")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run with `just test-browser`"]
async fn an_admin_finds_a_user_in_the_browser_and_edits_them() {
    let app = LiveApp::start().await;
    app.app
        .create_user("root@example.com", PASSWORD, true)
        .await;
    for n in 0..30 {
        app.app
            .create_user(&format!("user{n:02}@example.com"), PASSWORD, false)
            .await;
    }
    let browser = Browser::open(&app.url).await;
    browser.sign_in("root@example.com", PASSWORD).await;
    browser.wait_for_signed_in().await;

    browser.visit("/admin/users").await;
    browser.fill("input[name=q]", "user17").await;
    // htmx replaces the list as the search is typed.
    browser
        .wait_for("[data-testid=rows] tbody tr:only-child a[href^='/admin/users/']")
        .await
        .click()
        .await
        .expect("opened the user");
    browser
        .wait_for("a[href$='/edit']")
        .await
        .click()
        .await
        .expect("opened the form");
    browser
        .fill("input[name=email]", "renamed@example.com")
        .await;
    browser
        .wait_for("main form button[type=submit]")
        .await
        .click()
        .await
        .expect("saved");

    let title = browser.wait_for("[data-testid=row-title]").await;
    assert_eq!(title.text().await.expect("a text"), "renamed@example.com");
    assert!(
        user::find_by_email(app.app.db(), "renamed@example.com")
            .await
            .unwrap()
            .is_some()
    );

    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn hostile_text_stored_in_a_table_is_shown_as_text_to_administrators() {
    let (app, _) = as_admin().await;
    // Written straight into the table, as anything that bypasses the forms could.
    let mut rows = Vec::new();
    for payload in PAYLOADS {
        rows.push((app.create_user(payload, PASSWORD, false).await.id, *payload));
    }

    let list = html(&app.get(users()).await);
    assert_inert(&list, "the list");
    let searched = html(&app.get(format!("{}?q=%3C%2Ftextarea", users())).await);
    assert_inert(&searched, "a search");
    for (id, payload) in rows {
        let row = html(&app.get(user_row(id)).await);
        assert_inert(&row, payload);
        let shown: String = row.root_element().text().collect();
        assert!(shown.contains(&user::normalize_email(payload)), "{payload}");
        let edit = paths::AdminEdit {
            resource: "users".to_owned(),
            id,
        };
        assert_inert(&html(&app.get(edit).await), payload);
    }
}

#[tokio::test]
async fn the_dashboard_counts_open_sessions_through_the_cache() {
    let (app, _) = as_admin().await;
    app.state
        .cache
        .set(
            "admin:open_sessions",
            &123_u64,
            Put::ttl(Duration::from_secs(60)),
        )
        .await
        .unwrap();

    let cached = html(&app.get(paths::AdminDashboard).await);
    app.state.cache.flush().await.unwrap();
    let counted = html(&app.get(paths::AdminDashboard).await);

    assert_eq!(text_of(&cached, "[data-testid=open-sessions]"), "123");
    // The administrator's own session, the only one of a fresh test database.
    assert_eq!(text_of(&counted, "[data-testid=open-sessions]"), "1");
    assert_eq!(
        text_of(&counted, "[data-testid=database]"),
        app.backend().name()
    );
}

#[tokio::test]
async fn an_email_written_by_an_admin_follows_the_registration_rule() {
    let (app, _) = as_admin().await;
    let token = app.form_token(paths::AdminDashboard).await;
    let create = async |email: &str| {
        app.post_with_token(
            users(),
            &token,
            &[
                ("email", email),
                ("password_hash", "a long enough password"),
            ],
        )
        .await
    };

    for hostile in [
        "<script>alert(1)</script>",
        "nul\0@example.com",
        "two words",
        "@",
    ] {
        let refused = create(hostile).await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            text_of(&html(&refused), "#field-email-error"),
            "Enter an email address like name@example.com."
        );
    }
    create(" CASE.x@EXAMPLE.COM ")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Stored as sign-in looks it up, and no twin in another case.
    find_user(&app, "case.x@example.com").await;
    create("case.x@example.com")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(Users::find().count(app.db()).await.unwrap(), 2);
}

#[tokio::test]
async fn htmx_gets_the_refused_form_alone_to_swap_in_place_of_itself() {
    let (app, _) = as_admin().await;
    let token = app.form_token(paths::AdminDashboard).await;

    let response = app
        .server
        .post(&users().to_string())
        .add_header("hx-request", "true")
        .form(&[("csrf_token", token.as_str()), ("email", "not an address")])
        .await;

    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let fragment = crate::helpers::fragment(&response);
    assert_eq!(select(&fragment, "form").len(), 1);
    // The card and heading around it stay on the page: no second of either inside the first.
    assert!(select(&fragment, ".card, h1").is_empty());
}

//! Sign-in with GitHub, which speaks OAuth 2 and its own API rather than OpenID Connect. GitHub
//! cannot run here, so a local server answers as GitHub's documentation says it does: the
//! authorization and token endpoints (with PKCE, and its `200` with an error object for a bad
//! code), `GET /user` and `GET /user/emails`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::EntityTrait as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    app::{
        auth::oauth::{Preset, ProviderConfig},
        models::user,
        paths,
    },
    helpers::TestApp,
    oauth::{come_back, identities_of, param, press, refusal, with_param},
    two_factor::{is_signed_in, location},
};

const CLIENT_ID: &str = "Iv1.tenshu-test";
const CLIENT_SECRET: &str = "tenshu-test-github-secret";

/// The person signed in at the fake GitHub, and what it has handed out.
#[derive(Default)]
struct GitHubState {
    emails: Vec<Value>,
    /// code → (PKCE challenge, redirect URI, used)
    codes: HashMap<String, (String, String, bool)>,
    tokens: Vec<String>,
    counter: u64,
}

type Shared = Arc<Mutex<GitHubState>>;

#[derive(Deserialize)]
struct Authorize {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
}

async fn authorize(State(github): State<Shared>, Query(query): Query<Authorize>) -> Response {
    assert_eq!(query.client_id, CLIENT_ID);
    assert_eq!(query.code_challenge_method, "S256");
    let mut github = github.lock().unwrap();
    github.counter += 1;
    let code = format!("code-{}", github.counter);
    github.codes.insert(
        code.clone(),
        (query.code_challenge, query.redirect_uri.clone(), false),
    );
    // GitHub asks the person first; this one always agrees.
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        query.redirect_uri, query.state
    ))
    .into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: String,
    client_secret: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

async fn access_token(State(github): State<Shared>, Form(form): Form<TokenRequest>) -> Json<Value> {
    let mut github = github.lock().unwrap();
    let refusal = json!({
        "error": "bad_verification_code",
        "error_description": "The code passed is incorrect or expired.",
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
    });
    assert_eq!(form.client_id, CLIENT_ID);
    assert_eq!(form.client_secret, CLIENT_SECRET);
    let Some((challenge, redirect_uri, used)) = github.codes.get_mut(&form.code) else {
        return Json(refusal);
    };
    let verified = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    if *used || verified != *challenge || form.redirect_uri != *redirect_uri {
        return Json(refusal);
    }
    *used = true;
    let token = format!("gho_token{}", github.counter);
    github.tokens.push(token.clone());
    Json(json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}))
}

fn authorized(github: &GitHubState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| github.tokens.iter().any(|known| known == token))
}

fn bad_credentials() -> Response {
    let body = json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

async fn the_user(State(github): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&github.lock().unwrap(), &headers) {
        return bad_credentials();
    }
    Json(json!({"login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==", "type": "User", "name": "The Octocat", "email": null})).into_response()
}

async fn the_emails(State(github): State<Shared>, headers: HeaderMap) -> Response {
    let github = github.lock().unwrap();
    if !authorized(&github, &headers) {
        return bad_credentials();
    }
    Json(Value::Array(github.emails.clone())).into_response()
}

/// A GitHub on a loopback port, signed in as octocat with these addresses; its URL.
async fn start_github(emails: Vec<Value>) -> String {
    let state = Arc::new(Mutex::new(GitHubState {
        emails,
        ..GitHubState::default()
    }));
    let router = Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(access_token))
        .route("/api/v3/user", get(the_user))
        .route("/api/v3/user/emails", get(the_emails))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

fn email(address: &str, primary: bool, verified: bool) -> Value {
    json!({"email": address, "primary": primary, "verified": verified, "visibility": "private"})
}

async fn app_with_github(emails: Vec<Value>) -> TestApp {
    let github = start_github(emails).await;
    TestApp::spawn_with(move |config| {
        config.oauth.providers.clear();
        config.oauth.providers.insert(
            "github".to_owned(),
            ProviderConfig {
                preset: Some(Preset::Github),
                // A GitHub Enterprise Server's address: the API under /api/v3.
                issuer: Some(github),
                api_url: None,
                tenant: None,
                label: None,
                client_id: CLIENT_ID.to_owned(),
                client_secret: CLIENT_SECRET.to_owned().into(),
                scopes: None,
            },
        );
    })
    .await
}

fn github() -> paths::SignInWith {
    paths::SignInWith {
        provider: "github".to_owned(),
    }
}

/// From the button to GitHub and back: the URL GitHub sends the browser to.
async fn to_github_and_back(app: &TestApp) -> String {
    let authorize = press(app, github()).await;
    let url = reqwest::Url::parse(&authorize).unwrap();
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["scope"], "read:user user:email");
    assert!(!query.contains_key("nonce"), "no OpenID Connect at GitHub");
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn github_signs_up_with_its_primary_verified_address_then_signs_in() {
    let app = app_with_github(vec![
        email("old@example.com", false, true),
        email("Octocat@Example.com", true, true),
    ])
    .await;
    let document = crate::helpers::html(&app.get(paths::SignIn).await);
    assert_eq!(
        crate::helpers::text_of(&document, "[data-testid=providers] button"),
        "Continue with GitHub"
    );

    let callback = to_github_and_back(&app).await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
    let user = user::find_by_email(app.db(), "octocat@example.com")
        .await
        .unwrap()
        .expect("an account for the primary address");
    let identities = identities_of(&app, user.id).await;
    assert_eq!(
        identities[0].subject, "583231",
        "GitHub's id, not the login"
    );
    assert_eq!(identities[0].provider, "github");

    // Its code under a new trip's state: GitHub refuses it (used, and another PKCE verifier),
    // with a 200 and an error object, which is a 400 here.
    crate::two_factor::sign_out(&app).await;
    let authorize = press(&app, github()).await;
    let replayed = with_param(&callback, "state", &param(&authorize, "state"));
    let response = come_back(&app, &replayed).await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert!(refusal(&response).contains("GitHub did not accept this sign-in"));

    // A new trip signs in to the same account.
    let callback = to_github_and_back(&app).await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&response), paths::Home.to_string());
    assert_eq!(user::Entity::find().all(app.db()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn github_without_a_verified_primary_address_opens_nothing() {
    let app = app_with_github(vec![
        email("octocat@example.com", true, false),
        email("other@example.com", false, true),
    ])
    .await;
    let callback = to_github_and_back(&app).await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert!(refusal(&response).contains("GitHub did not confirm an email address"));
    assert!(!is_signed_in(&app).await);
    assert!(user::Entity::find().all(app.db()).await.unwrap().is_empty());
}

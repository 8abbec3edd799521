//! Sign-in with another provider, against a real OpenID Connect provider: panva's oidc-provider
//! (`tests/oidc/provider.mjs`, installed by `just setup`), started once for these tests on a
//! loopback port. The tests walk through its login and consent pages as a browser would.

use std::{
    collections::BTreeMap,
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    sync::{Mutex, OnceLock, mpsc},
    time::Duration,
};

use axum::http::{StatusCode, header};
use axum_test::TestResponse;
use sea_orm::EntityTrait as _;

use crate::{
    app::{
        auth::oauth::{OAuth, OAuthConfig, Preset, ProviderConfig},
        config::Config,
        doctor,
        models::{identity, user},
        paths,
    },
    helpers::{TestApp, html, select, text_of},
    two_factor::{
        enable_two_factor, is_signed_in, location, passes_only_with_the_second_step, sign_out,
    },
};

const PASSWORD: &str = "correct horse battery staple";

/// Where the test configuration's `public_url` has the provider send visitors back.
const REDIRECT_URI: &str = "http://localhost:8000/login/oauth/test/callback";

/// A running provider: its issuer URL. It stops when this is dropped, or when the tests end (its
/// standard input closes).
pub struct Provider {
    pub issuer: String,
    _process: Mutex<Child>,
}

/// What a started provider publishes as its keys (see `tests/oidc/provider.mjs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Its own.
    Own,
    /// Others than those it signs with.
    Wrong,
    /// At first not the one it signs with, which appears when the keys are read again.
    Rotated,
}

/// Starts a provider whose client `tenshu-test` sends people back to `redirect_uri`.
pub fn start_provider(redirect_uri: &str, keys: Keys) -> Provider {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
    assert!(
        std::path::Path::new(dir).join("node_modules").exists(),
        "the test provider is not installed: run `just setup` (npm ci --prefix tests/oidc)"
    );
    let mut command = Command::new("node");
    command.arg(format!("{dir}/provider.mjs")).arg(redirect_uri);
    match keys {
        Keys::Own => {}
        Keys::Wrong => {
            command.arg("--wrong-keys");
        }
        Keys::Rotated => {
            command.arg("--rotated-keys");
        }
    }
    let mut process = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs (Node.js is needed for the tests, as for the assets)");
    let mut stdout = BufReader::new(process.stdout.take().expect("its output"));
    let (send_first_line, first_line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut issuer = String::new();
        let read = stdout.read_line(&mut issuer).map(|_| issuer);
        let _ = send_first_line.send(read);
        // Whatever it prints later is read and dropped: a closed pipe would stop it.
        std::io::copy(&mut stdout, &mut std::io::sink())
    });
    // A provider stuck starting fails its tests instead of holding up the whole run.
    let Ok(Ok(issuer)) = first_line.recv_timeout(Duration::from_secs(60)) else {
        let _ = process.kill();
        panic!("the provider did not say where it listens within a minute");
    };
    assert!(issuer.starts_with("http://"), "the provider did not start");
    Provider {
        issuer: issuer.trim().to_owned(),
        _process: Mutex::new(process),
    }
}

/// The provider of most tests, and one that signs with a key it does not publish.
pub fn provider() -> &'static str {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    &PROVIDER
        .get_or_init(|| start_provider(REDIRECT_URI, Keys::Own))
        .issuer
}

fn provider_with_wrong_keys() -> &'static str {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    &PROVIDER
        .get_or_init(|| start_provider(REDIRECT_URI, Keys::Wrong))
        .issuer
}

pub fn with_provider(config: &mut Config, issuer: &str) {
    config.oauth.providers.clear();
    config.oauth.providers.insert(
        "test".to_owned(),
        ProviderConfig {
            preset: None,
            issuer: Some(issuer.to_owned()),
            tenant: None,
            api_url: None,
            label: Some("Test ID".to_owned()),
            client_id: "tenshu-test".to_owned(),
            client_secret: "tenshu-test-secret".to_owned().into(),
            scopes: None,
        },
    );
}

pub async fn app_with(issuer: &str) -> TestApp {
    let issuer = issuer.to_owned();
    TestApp::spawn_with(move |config| with_provider(config, &issuer)).await
}

/// A browser at the provider's pages: follows its redirects and keeps its cookies.
#[derive(Default)]
struct AtTheProvider {
    cookies: BTreeMap<String, String>,
}

impl AtTheProvider {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = request
            .header(header::COOKIE, cookie)
            .send()
            .await
            .expect("the provider answers");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
        response
    }

    /// From the authorization URL to where the provider sends the browser back, signing in as
    /// `login` and consenting (or declining, when `decline`).
    async fn sign_in(&mut self, authorize: &str, login: &str, decline: bool) -> String {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut url = reqwest::Url::parse(authorize).unwrap();
        for _ in 0..10 {
            let response = self.send(http.get(url.clone())).await;
            if response.status().is_redirection() {
                let to = response.headers()[header::LOCATION].to_str().unwrap();
                let next = url.join(to).unwrap();
                if next.as_str().starts_with(REDIRECT_URI) {
                    return next.to_string();
                }
                url = next;
                continue;
            }
            assert_eq!(response.status(), 200, "an interaction page at {url}");
            let page = scraper::Html::parse_document(&response.text().await.unwrap());
            let form = page
                .select(&scraper::Selector::parse("form").unwrap())
                .next()
                .expect("the provider's form");
            let action = url.join(form.value().attr("action").unwrap()).unwrap();
            let prompt = page
                .select(&scraper::Selector::parse("input[name=prompt]").unwrap())
                .next()
                .and_then(|input| input.value().attr("value"))
                .unwrap()
                .to_owned();
            if decline {
                let abort = page
                    .select(&scraper::Selector::parse("a[href*=abort]").unwrap())
                    .next()
                    .expect("the provider's cancel link");
                url = url.join(abort.value().attr("href").unwrap()).unwrap();
                continue;
            }
            let fields: Vec<(&str, &str)> = if prompt == "login" {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            } else {
                vec![("prompt", "consent")]
            };
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            let request = http
                .post(action)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
            let response = self.send(request).await;
            assert!(
                response.status().is_redirection(),
                "the provider took the form"
            );
            let to = response.headers()[header::LOCATION].to_str().unwrap();
            url = url.join(to).unwrap();
        }
        panic!("the provider never sent the browser back");
    }
}

/// Presses a provider's button (`start`: sign in, or connect) as a browser without JavaScript,
/// returning the provider's authorization URL, which the page links to.
pub async fn press(app: &TestApp, start: impl std::fmt::Display) -> String {
    let token = app.csrf_token().await;
    let response = app.post_with_token(start, &token, &[]).await;
    response.assert_status_ok();
    let document = html(&response);
    let link = select(&document, "[data-testid=leave-for-provider]");
    link.first()
        .and_then(|link| link.attr("href"))
        .expect("a link to the provider")
        .to_owned()
}

/// The app's answer to the provider sending the browser back to `callback`.
pub async fn come_back(app: &TestApp, callback: &str) -> TestResponse {
    let path = callback.strip_prefix("http://localhost:8000").unwrap();
    app.server.get(path).add_header("accept", "text/html").await
}

fn sign_in_with() -> paths::SignInWith {
    paths::SignInWith {
        provider: "test".to_owned(),
    }
}

fn connect_test() -> paths::AccountConnect {
    paths::AccountConnect {
        provider: "test".to_owned(),
    }
}

/// Presses a provider's button (`start`) and signs in at the provider as `login`: the URL it
/// sends the browser back to.
async fn to_the_provider_and_back(
    app: &TestApp,
    start: impl std::fmt::Display,
    login: &str,
) -> String {
    let authorize = press(app, start).await;
    AtTheProvider::default()
        .sign_in(&authorize, login, false)
        .await
}

/// Signs in (or up) with the provider as `login`, from the sign-in page's button.
pub async fn through_the_provider(app: &TestApp, login: &str) -> TestResponse {
    let callback = to_the_provider_and_back(app, sign_in_with(), login).await;
    come_back(app, &callback).await
}

pub async fn identities_of(app: &TestApp, user_id: i64) -> Vec<identity::Model> {
    identity::of_user(app.db(), user_id).await.unwrap()
}

/// `url` with its query parameter `name` set to `value` (forging what a browser carries).
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut url = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, old)| {
            let new = if key == name {
                value.to_owned()
            } else {
                old.into_owned()
            };
            (key.into_owned(), new)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// The value of `url`'s query parameter `name`.
pub fn param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

pub fn refusal(response: &TestResponse) -> String {
    text_of(&html(response), "[data-testid=providers] [role=alert]")
}

#[tokio::test]
async fn the_sign_in_page_has_a_button_for_each_provider_with_credentials() {
    let app = app_with(provider()).await;
    let document = html(&app.get(paths::SignIn).await);
    let buttons = select(&document, "[data-testid=providers] form button");
    assert_eq!(buttons.len(), 1);
    assert_eq!(
        buttons[0].text().collect::<String>(),
        "Continue with Test ID"
    );

    // The presets of config/default.toml have no credentials: no buttons, no routes.
    let app = TestApp::spawn().await;
    assert!(app.state.oauth.providers().next().is_none());
    let document = html(&app.get(paths::SignIn).await);
    assert!(select(&document, "[data-testid=providers]").is_empty());
    let token = app.csrf_token().await;
    let google = paths::SignInWith {
        provider: "google".to_owned(),
    };
    app.post_with_token(google, &token, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_trip_carries_state_nonce_and_pkce_and_comes_back_to_public_url() {
    let app = app_with(provider()).await;
    let authorize = reqwest::Url::parse(&press(&app, sign_in_with()).await).unwrap();
    let query: BTreeMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["response_type"], "code");
    assert!(query["scope"].split(' ').any(|scope| scope == "openid"));
    for random in ["state", "nonce", "code_challenge"] {
        assert!(query[random].len() >= 22, "{random} is random and long");
    }
    // htmx (the button, with JavaScript) is sent on at once; the Host of the request does not
    // change where the provider sends visitors back.
    let token = app.csrf_token().await;
    let response = app
        .server
        .post(&sign_in_with().to_string())
        .add_header("host", "evil.example")
        .add_header("hx-request", "true")
        .form(&[("csrf_token", token.as_str())])
        .await;
    let to = response.headers()["hx-redirect"].to_str().unwrap();
    assert!(to.starts_with(&format!("{}/auth?", provider())), "{to}");
    assert!(
        to.contains("redirect_uri=http%3A%2F%2Flocalhost%3A8000%2F"),
        "{to}"
    );
}

#[tokio::test]
async fn a_new_person_with_a_verified_address_gets_an_account() {
    let app = app_with(provider()).await;
    let response = through_the_provider(&app, "nina@example.com").await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&response), paths::Home.to_string());
    assert!(is_signed_in(&app).await);

    let user = user::find_by_email(app.db(), "nina@example.com")
        .await
        .unwrap()
        .expect("an account");
    assert!(user.is_verified(), "the provider vouched for the address");
    let identities = identities_of(&app, user.id).await;
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "nina@example.com");
    assert_eq!(identities[0].provider, "test");
    // No password was made up for it: none signs in.
    sign_out(&app).await;
    app.sign_in("nina@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get(paths::Account).await;
    assert_ne!(page.status_code(), StatusCode::OK);

    // The provider signs in to it again.
    through_the_provider(&app, "nina@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
    let identities = identities_of(&app, user.id).await;
    assert!(identities[0].last_used_at.is_some());
    assert_eq!(user::Entity::find().all(app.db()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_existing_account_is_never_reached_by_its_address() {
    let app = app_with(provider()).await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;

    let response = through_the_provider(&app, "ann@example.com").await;
    response.assert_status(StatusCode::CONFLICT);
    assert!(refusal(&response).contains("exists already"));
    assert!(!is_signed_in(&app).await);
    assert!(identities_of(&app, ann.id).await.is_empty());
}

#[tokio::test]
async fn an_address_the_provider_does_not_vouch_for_opens_and_reaches_nothing() {
    let app = app_with(provider()).await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;

    for login in [
        "unverified-ann@example.com",
        "unverified-newcomer@example.com",
        "no-email-x",
    ] {
        let response = through_the_provider(&app, login).await;
        response.assert_status(StatusCode::FORBIDDEN);
        assert!(refusal(&response).contains("did not confirm an email address"));
        assert!(!is_signed_in(&app).await);
    }
    assert!(identities_of(&app, ann.id).await.is_empty());
    assert_eq!(user::Entity::find().all(app.db()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_owner_connects_a_provider_after_signing_in_and_it_signs_in_from_then_on() {
    let app = app_with(provider()).await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;
    app.sign_in("ann@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Even an identity whose address the provider does not vouch for: the owner signed in.
    let callback =
        to_the_provider_and_back(&app, connect_test(), "unverified-ann@example.com").await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(location(&response), paths::AccountConnections.to_string());
    let identities = identities_of(&app, ann.id).await;
    assert_eq!(identities.len(), 1);
    let page = html(&app.get(paths::AccountConnections).await);
    assert!(text_of(&page, "[data-testid=connections]").contains("Test ID"));
    let mail = app.wait_for_mail("ann@example.com", 1).await;
    assert!(mail.text().contains("Test ID was connected"));

    sign_out(&app).await;
    through_the_provider(&app, "unverified-ann@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
    let page = html(&app.get(paths::Account).await);
    assert_eq!(
        text_of(&page, "[data-testid=account-email]"),
        "ann@example.com"
    );

    // With a password left, the provider can go.
    let token = app.form_token(paths::AccountConnections).await;
    let remove = paths::AccountDisconnect {
        id: identities[0].id,
    };
    app.post_with_token(remove, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(identities_of(&app, ann.id).await.is_empty());
}

#[tokio::test]
async fn an_identity_connected_to_one_account_is_not_connected_to_another() {
    let app = app_with(provider()).await;
    through_the_provider(&app, "nina@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    sign_out(&app).await;
    let bob = app.create_user("bob@example.com", PASSWORD, false).await;
    app.sign_in("bob@example.com", PASSWORD).await;

    let callback = to_the_provider_and_back(&app, connect_test(), "nina@example.com").await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::CONFLICT);
    assert!(identities_of(&app, bob.id).await.is_empty());
}

#[tokio::test]
async fn the_last_way_in_cannot_be_disconnected() {
    let app = app_with(provider()).await;
    through_the_provider(&app, "nina@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let nina = user::find_by_email(app.db(), "nina@example.com")
        .await
        .unwrap()
        .unwrap();
    let identity = identities_of(&app, nina.id).await.remove(0);

    let token = app.form_token(paths::AccountConnections).await;
    let response = app
        .post_with_token(paths::AccountDisconnect { id: identity.id }, &token, &[])
        .await;
    response.assert_status(StatusCode::CONFLICT);
    assert!(text_of(&html(&response), "[role=alert]").contains("only way to sign in"));
    assert_eq!(identities_of(&app, nina.id).await.len(), 1);

    // Someone else's identity, or none: 404.
    let response = app
        .post_with_token(
            paths::AccountDisconnect {
                id: identity.id + 100,
            },
            &token,
            &[],
        )
        .await;
    response.assert_status(StatusCode::NOT_FOUND);

    // She sets a password through a link emailed to her address; then the provider can go.
    let page = html(&app.get(paths::AccountConnections).await);
    assert!(text_of(&page, "[data-testid=no-password]").contains("no password"));
    app.post_with_token(paths::AccountPasswordLink, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let link = app
        .wait_for_mail("nina@example.com", 1)
        .await
        .link_to(paths::ResetPassword);
    let reset_token = link.split("token=").nth(1).unwrap().to_owned();
    app.submit(
        &link,
        paths::ResetPassword,
        &[("token", &reset_token), ("password", PASSWORD)],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    // The reset signed her out everywhere; the new password signs in.
    app.sign_in("nina@example.com", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let token = app.form_token(paths::AccountConnections).await;
    app.post_with_token(paths::AccountDisconnect { id: identity.id }, &token, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(identities_of(&app, nina.id).await.is_empty());
}

#[tokio::test]
async fn two_factor_still_asks_for_its_second_step_after_the_provider() {
    let app = app_with(provider()).await;
    let enabled = enable_two_factor(&app, "ann@example.com").await;
    let callback = to_the_provider_and_back(&app, connect_test(), "ann@example.com").await;
    come_back(&app, &callback)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    sign_out(&app).await;

    let first_step = through_the_provider(&app, "ann@example.com").await;
    passes_only_with_the_second_step(&app, &first_step, &enabled).await;
}

#[tokio::test]
async fn a_tampered_state_is_refused_and_ends_the_trip() {
    let app = app_with(provider()).await;
    let authorize = press(&app, sign_in_with()).await;
    let callback = AtTheProvider::default()
        .sign_in(&authorize, "nina@example.com", false)
        .await;
    let forged = with_param(&callback, "state", "someone-elses-state");
    let response = come_back(&app, &forged).await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert!(refusal(&response).contains("expired, or was started in another browser"));
    // The trip is over: the genuine answer, after the forged one, is refused too.
    come_back(&app, &callback)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert!(!is_signed_in(&app).await);

    // An answer arriving in a session that started no trip (someone else's link).
    let other = app.second_client();
    let authorize = press(&app, sign_in_with()).await;
    let callback = AtTheProvider::default()
        .sign_in(&authorize, "nina@example.com", false)
        .await;
    come_back(&other, &callback)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert!(!is_signed_in(&other).await);
}

#[tokio::test]
async fn an_answer_used_once_signs_in_no_more() {
    let app = app_with(provider()).await;
    let authorize = press(&app, sign_in_with()).await;
    let callback = AtTheProvider::default()
        .sign_in(&authorize, "nina@example.com", false)
        .await;
    come_back(&app, &callback)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    sign_out(&app).await;

    // The same answer again: its trip is over.
    come_back(&app, &callback)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // Under a new trip's state: the provider refuses the code (used, and the new trip's PKCE
    // verifier is not the one it was issued for), and the refusal is a 400, not a 500.
    let authorize = press(&app, sign_in_with()).await;
    let replayed = with_param(&callback, "state", &param(&authorize, "state"));
    let response = come_back(&app, &replayed).await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert!(refusal(&response).contains("did not accept this sign-in"));
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn an_id_token_for_another_nonce_is_refused() {
    let app = app_with(provider()).await;
    let authorize = press(&app, sign_in_with()).await;
    let authorize = with_param(&authorize, "nonce", "a-nonce-of-another-trip");
    let callback = AtTheProvider::default()
        .sign_in(&authorize, "nina@example.com", false)
        .await;
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert!(refusal(&response).contains("did not pass our checks"));
    assert!(!is_signed_in(&app).await);
    assert!(user::Entity::find().all(app.db()).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused() {
    let app = app_with(provider_with_wrong_keys()).await;
    let response = through_the_provider(&app, "nina@example.com").await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert!(refusal(&response).contains("did not pass our checks"));
    assert!(!is_signed_in(&app).await);
    assert!(user::Entity::find().all(app.db()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_disabled_account_is_not_signed_in_by_its_provider() {
    let app = app_with(provider()).await;
    through_the_provider(&app, "nina@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    sign_out(&app).await;
    let nina = user::find_by_email(app.db(), "nina@example.com")
        .await
        .unwrap()
        .unwrap();
    let mut disabled: user::ActiveModel = nina.into();
    disabled.disabled_at = sea_orm::ActiveValue::Set(Some(time::OffsetDateTime::now_utc()));
    sea_orm::ActiveModelTrait::update(disabled, app.db())
        .await
        .unwrap();

    let response = through_the_provider(&app, "nina@example.com").await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert!(refusal(&response).contains("This account is disabled"));
    assert!(!is_signed_in(&app).await);
}

#[tokio::test]
async fn a_connection_started_by_someone_signed_out_since_connects_nothing() {
    let app = app_with(provider()).await;
    let ann = app.create_user("ann@example.com", PASSWORD, false).await;
    app.sign_in("ann@example.com", PASSWORD).await;
    let callback = to_the_provider_and_back(&app, connect_test(), "nina@example.com").await;
    // Signed out and in as bob meanwhile, in the same browser.
    sign_out(&app).await;
    app.create_user("bob@example.com", PASSWORD, false).await;
    app.sign_in("bob@example.com", PASSWORD).await;
    // The sign-out ended the session, and the trip with it.
    come_back(&app, &callback)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert!(identities_of(&app, ann.id).await.is_empty());
    let bob = user::find_by_email(app.db(), "bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(identities_of(&app, bob.id).await.is_empty());
}

#[tokio::test]
async fn next_is_followed_after_a_sign_in_by_provider_and_only_within_the_site() {
    let app = app_with(provider()).await;
    for (next, expected) in [
        ("/account", "/account"),
        ("https://evil.example/", "/"),
        ("/caf\u{e9}", "/"),
    ] {
        let token = app.csrf_token().await;
        let response = app
            .post_with_token(sign_in_with(), &token, &[("next", next)])
            .await;
        let document = html(&response);
        let authorize = select(&document, "[data-testid=leave-for-provider]")[0]
            .attr("href")
            .unwrap()
            .to_owned();
        let callback = AtTheProvider::default()
            .sign_in(&authorize, "nina@example.com", false)
            .await;
        let response = come_back(&app, &callback).await;
        response.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "{next}");
        sign_out(&app).await;
    }
}

#[tokio::test]
async fn a_key_the_provider_rotated_in_is_read_and_accepted() {
    // Its own provider: the key set changes once read.
    let provider = start_provider(REDIRECT_URI, Keys::Rotated);
    let app = app_with(&provider.issuer).await;
    through_the_provider(&app, "nina@example.com")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(is_signed_in(&app).await);
}

#[tokio::test]
async fn declining_at_the_provider_changes_nothing() {
    let app = app_with(provider()).await;
    let authorize = press(&app, sign_in_with()).await;
    let callback = AtTheProvider::default()
        .sign_in(&authorize, "nina@example.com", true)
        .await;
    assert!(callback.contains("error=access_denied"));
    let response = come_back(&app, &callback).await;
    response.assert_status(StatusCode::FORBIDDEN);
    assert!(refusal(&response).contains("You did not let Test ID"));
    assert!(user::Entity::find().all(app.db()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_provider_out_of_reach_is_a_clear_4xx_on_the_sign_in_page() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = app_with(&format!("http://127.0.0.1:{port}")).await;
    let token = app.csrf_token().await;
    let response = app.post_with_token(sign_in_with(), &token, &[]).await;
    response.assert_status(StatusCode::FAILED_DEPENDENCY);
    assert!(refusal(&response).contains("Test ID cannot be reached right now"));
    let body = response.text();
    assert!(
        !body.contains("127.0.0.1"),
        "no internal detail in the page"
    );

    // A return from it, with no trip under way, is refused without calling it.
    come_back(
        &app,
        "http://localhost:8000/login/oauth/test/callback?code=x&state=y",
    )
    .await
    .assert_status(StatusCode::BAD_REQUEST);
    // Garbage in the query is a 4xx too, never a 500.
    for garbage in [
        "code[]=1&state=%ff",
        "state=%C3%A9&error=%00",
        "code=&state=",
    ] {
        let response = app
            .server
            .get(&format!("/login/oauth/test/callback?{garbage}"))
            .await;
        assert!(
            response.status_code().is_client_error(),
            "{garbage}: {}",
            response.status_code()
        );
    }
}

#[tokio::test]
async fn settings_that_cannot_work_stop_the_app_with_the_key_to_fix() {
    let settings = |preset, issuer: Option<&str>| ProviderConfig {
        preset,
        issuer: issuer.map(str::to_owned),
        tenant: None,
        api_url: None,
        label: None,
        client_id: "id".to_owned(),
        client_secret: "secret".to_owned().into(),
        scopes: None,
    };
    let cases = [
        ("google", settings(Some(Preset::Google), None), None),
        (
            "entra",
            settings(Some(Preset::Microsoft), None),
            Some("needs `tenant`"),
        ),
        ("corp", settings(None, None), Some("give a `preset`")),
        (
            "corp",
            settings(None, Some("http://id.example.com")),
            Some("https://"),
        ),
        (
            "Bad Name",
            settings(Some(Preset::Google), None),
            Some("may only hold"),
        ),
    ];
    for (name, provider, problem) in cases {
        let config = OAuthConfig {
            providers: [(name.to_owned(), provider)].into(),
        };
        let result = OAuth::new(&config, "https://example.com");
        match problem {
            None => assert!(result.is_ok()),
            Some(problem) => {
                let error = format!("{:#}", result.unwrap_err());
                assert!(error.contains(problem), "{error}");
                assert!(
                    error.contains(&format!("oauth.providers.{name}")),
                    "{error}"
                );
            }
        }
    }
}

#[tokio::test]
async fn returns_from_a_provider_are_rate_limited() {
    let app = app_with(provider()).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = come_back(
            &app,
            "http://localhost:8000/login/oauth/test/callback?code=guess&state=guess",
        )
        .await;
        statuses.push(response.status_code());
    }
    assert_eq!(statuses[0], StatusCode::BAD_REQUEST);
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
}

#[tokio::test]
async fn doctor_reads_each_providers_discovery_document() {
    let app = app_with(provider()).await;
    let process = doctor::Process::current();
    let findings = doctor::examine(&app.state.config, &process).await;
    let seen: Vec<_> = findings
        .iter()
        .filter(|finding| finding.check == "oauth")
        .collect();
    assert_eq!(seen.len(), 1, "{findings:?}");
    let doctor::Verdict::Ok(seen) = &seen[0].verdict else {
        panic!("{findings:?}");
    };
    assert!(seen.contains("Test ID answered"), "{seen}");
    assert!(seen.contains(REDIRECT_URI), "{seen}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = app.state.config.clone();
    with_provider(&mut config, &format!("http://127.0.0.1:{port}"));
    let findings = doctor::examine(&config, &process).await;
    assert!(!doctor::passed(&findings));
    let problem = findings
        .iter()
        .find(|finding| finding.check == "oauth.providers")
        .expect("the provider out of reach is a problem");
    assert!(format!("{:?}", problem.verdict).contains("Test ID (test)"));
}

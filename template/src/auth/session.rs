//! Who is signed in: the user's id in the session, checked against the user's row on every request.
//!
//! - [`sign_in`] gives the visitor a new session id (one seen before signing in is worthless
//!   after, and so is the CSRF token: see `crate::csrf`), stores the user, and records the
//!   session's owner in `sessions.user_id` so that [`revoke_all`] can end every session of a
//!   user.
//! - "Remember me" is kept in the session: a remembered session lasts `auth.remember_days` after
//!   its last use, any other ends when the browser closes. Each time the session is saved, its
//!   cookie says so again (see [`load_current_user`]).
//! - Next to the id, the session keeps a fingerprint of the password hash. When the password
//!   changes, every older session stops matching and is signed out, even one the revocation
//!   missed (a request in flight that saves its session again).
//! - With two-factor on, a correct password only starts the second step
//!   ([`start_second_step`]): the session gets a new id and remembers who is half-way, for a few
//!   minutes, but no one is signed in until a code passes ([`pending_second_step`], then
//!   [`sign_in`]).
//! - [`sign_out`] deletes the session: data, flash messages and all.
//! - [`load_current_user`], a middleware, puts the [`CurrentUser`] into the request for the
//!   guards (`crate::auth::guards`) and the layout.
//! - The rows it reads are kept in memory for `session.cache_seconds`, like the sessions
//!   themselves ([`RecentUsers`]): reading pages reads no row. Forms and every other unsafe
//!   request read the row, and so does a refusal, so what is kept only ever lets a page be shown.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};
use moka::future::Cache as Moka;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    QueryFilter as _, sea_query::Expr,
};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};
use tower_sessions::{Expiry, Session};

use crate::{
    error::AppError,
    models::user,
    session::{
        DbSessionStore,
        entity::{Column as SessionColumn, Entity as Sessions},
    },
};

const USER_ID: &str = "auth.user_id";
const FINGERPRINT: &str = "auth.fingerprint";
/// Whether the visitor ticked "Remember me" when signing in.
const REMEMBER: &str = "auth.remember";
/// Unix seconds of the last renewal of the session.
pub const RENEWED_AT: &str = "auth.renewed_at";
/// Who passed the password step and has the second one to pass, and since when.
const PENDING: &str = "auth.second_step";

/// How long a visitor has between the password and the code.
pub const SECOND_STEP_WITHIN: Duration = Duration::minutes(10);

/// A signed-in session is renewed (its expiry, and a remembered one's cookie, pushed back) at
/// most this often, so reading pages does not write to the database on every request.
const RENEW_EVERY: Duration = Duration::days(1);

/// The signed-in user, for this request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<user::Model>);

impl std::ops::Deref for CurrentUser {
    type Target = user::Model;

    fn deref(&self) -> &user::Model {
        &self.0
    }
}

/// Signs `user` in on this session. With `remember`, the session lasts `remember` after its last
/// use; without, it ends when the browser closes.
pub async fn sign_in(
    session: &Session,
    db: &impl ConnectionTrait,
    user: &user::Model,
    remember: Option<Duration>,
) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.remove_value(PENDING).await?;
    session.insert(USER_ID, user.id).await?;
    session.insert(FINGERPRINT, fingerprint(user)).await?;
    session.insert(REMEMBER, remember.is_some()).await?;
    session
        .insert(RENEWED_AT, OffsetDateTime::now_utc().unix_timestamp())
        .await?;
    session.set_expiry(Some(lifetime(remember)));
    // Saved now, so that its row exists to be marked with its owner.
    session.save().await?;
    let id = session
        .id()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a saved session has no id")))?;
    Sessions::update_many()
        .col_expr(SessionColumn::UserId, Expr::value(user.id))
        .filter(SessionColumn::Id.eq(id.to_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// How long a signed-in session lasts: `remember` after its last use, or until the browser
/// closes (its row is then deleted two weeks after its last renewal at the latest, tower-sessions'
/// bound for such sessions).
fn lifetime(remember: Option<Duration>) -> Expiry {
    match remember {
        Some(lifetime) => Expiry::OnInactivity(lifetime),
        None => Expiry::OnSessionEnd,
    }
}

/// A visitor half-way through signing in: the password passed, the second step has not.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SecondStep {
    user_id: i64,
    /// Of the password hash: a change of password voids the second step too.
    fingerprint: String,
    remember: bool,
    next: Option<String>,
    /// Unix seconds.
    started_at: i64,
}

/// Who is at the second step, checked again: still there, enabled, same password, in time.
#[derive(Debug)]
pub struct PendingSignIn {
    pub user: user::Model,
    /// Whether "remember me" was ticked with the password.
    pub remember: bool,
    /// Where to go once signed in.
    pub next: Option<String>,
}

/// Records that `user` passed the password step on this session, which gets a new id (a privilege
/// changed). No one is signed in yet.
pub async fn start_second_step(
    session: &Session,
    user: &user::Model,
    remember: bool,
    next: Option<String>,
) -> Result<(), AppError> {
    session.cycle_id().await?;
    // Whoever was signed in on this session is not any more.
    session.remove_value(USER_ID).await?;
    session.remove_value(FINGERPRINT).await?;
    let step = SecondStep {
        user_id: user.id,
        fingerprint: fingerprint(user),
        remember,
        next,
        started_at: OffsetDateTime::now_utc().unix_timestamp(),
    };
    session.insert(PENDING, step).await?;
    Ok(())
}

/// The visitor at the second step, if any, and if it is still theirs to pass.
pub async fn pending_second_step(
    session: &Session,
    db: &impl ConnectionTrait,
) -> Result<Option<PendingSignIn>, AppError> {
    let Some(step) = session.get::<SecondStep>(PENDING).await? else {
        return Ok(None);
    };
    let age = OffsetDateTime::now_utc().unix_timestamp() - step.started_at;
    let user = user::find_by_id(db, step.user_id).await?.filter(|user| {
        (0..=SECOND_STEP_WITHIN.whole_seconds()).contains(&age)
            && !user.is_disabled()
            && fingerprint(user) == step.fingerprint
    });
    let Some(user) = user else {
        session.remove_value(PENDING).await?;
        return Ok(None);
    };
    Ok(Some(PendingSignIn {
        user,
        remember: step.remember,
        next: step.next,
    }))
}

/// Ends the session: its row, its data and its cookie.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    Ok(session.flush().await?)
}

/// Ends every session of the user but `keep` (the one making the change, if any), on this
/// instance at once (`sessions` forgets what it kept in memory) and on the others within
/// `session.cache_seconds`. A change of password or a disabled account is refused everywhere
/// at once anyway: every request checks the user's row.
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    sessions: &DbSessionStore,
    user_id: i64,
    keep: Option<&Session>,
) -> Result<(), DbErr> {
    let mut delete = Sessions::delete_many().filter(SessionColumn::UserId.eq(user_id));
    if let Some(id) = keep.and_then(Session::id) {
        delete = delete.filter(SessionColumn::Id.ne(id.to_string()));
    }
    delete.exec(db).await?;
    sessions.forget_all();
    Ok(())
}

/// Keeps the current session valid after its own user changed their password: the fingerprint
/// follows the new hash, while every other session is revoked.
pub async fn refresh_fingerprint(session: &Session, user: &user::Model) -> Result<(), AppError> {
    session
        .insert(FINGERPRINT, fingerprint(user))
        .await
        .map_err(AppError::from)
}

/// What [`load_current_user`] needs: the database, the rows of recent users, and how long
/// "remember me" keeps a session. Shared behind an `Arc`: the middleware gets its state anew for
/// every request.
#[derive(Debug)]
pub struct Accounts {
    pub db: DatabaseConnection,
    pub users: RecentUsers,
    pub remember_for: Duration,
}

/// Middleware: finds the signed-in user, if any, and puts a [`CurrentUser`] into the request. A
/// session whose user is gone, disabled or whose password changed is signed out.
///
/// After the handler, a session about to be saved gets its lifetime again: tower-sessions gives
/// each request's session the layer's default, which its cookie would otherwise carry.
pub async fn load_current_user(
    State(accounts): State<Arc<Accounts>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    // A page may be shown from a row read a few seconds ago; anything that changes data may not.
    let only_reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let signed_in = current_user(&accounts, &session, only_reads).await?;
    if let Some(user) = &signed_in {
        request.extensions_mut().insert(user.clone());
    }
    let mut response = next.run(request).await;
    if let Some(user) = signed_in {
        // What a signed-in user sees is theirs: no cache keeps it (a response may say otherwise).
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        // For an error page, rendered on the way out (`crate::middleware::error_pages`): it shows
        // who is signed in, as any page does.
        response.extensions_mut().insert(user);
    }
    // Only when it changed: setting the expiry of an unchanged session would save it.
    if session.is_modified()
        && let Some(remember) = session.get::<bool>(REMEMBER).await?
    {
        session.set_expiry(Some(lifetime(remember.then_some(accounts.remember_for))));
    }
    Ok(response)
}

async fn current_user(
    accounts: &Accounts,
    session: &Session,
    only_reads: bool,
) -> Result<Option<CurrentUser>, AppError> {
    // No session cookie: no database query.
    let Some(user_id) = session.get::<i64>(USER_ID).await? else {
        return Ok(None);
    };
    let stored_fingerprint = session.get::<String>(FINGERPRINT).await?;
    let still_theirs = |user: &user::Model| {
        !user.is_disabled() && stored_fingerprint.as_deref() == Some(&fingerprint(user))
    };
    let kept = if only_reads {
        accounts.users.kept(user_id).await
    } else {
        None
    };
    let user = match kept {
        Some(user) if still_theirs(&user) => Some(user),
        // Not kept, or kept and refused (this instance may have changed the row since): the
        // row decides.
        _ => accounts
            .users
            .read(&accounts.db, user_id)
            .await?
            .filter(|user| still_theirs(user)),
    };
    let Some(user) = user else {
        sign_out(session).await?;
        return Ok(None);
    };
    renew_if_due(session).await?;
    Ok(Some(CurrentUser(user)))
}

/// The rows of the users of recent requests, kept in memory for `session.cache_seconds` (0
/// keeps none), as the session store keeps their sessions (`crate::session`): a change made by
/// another instance (an account disabled, a password changed) is seen here within that bound,
/// as a sign-out there is. This instance forgets a row as soon as it changes it ([`forget`]).
///
/// [`forget`]: RecentUsers::forget
#[derive(Debug, Clone)]
pub struct RecentUsers(Option<Moka<i64, Arc<user::Model>>>);

impl RecentUsers {
    /// At most this many rows are kept; beyond, the least used are read again when needed.
    const CAPACITY: u64 = 10_000;

    pub fn remembering(bound: std::time::Duration) -> Self {
        Self((!bound.is_zero()).then(|| {
            Moka::builder()
                .max_capacity(Self::CAPACITY)
                // From when it was read, however often it is used since.
                .time_to_live(bound)
                .build()
        }))
    }

    /// The row of user `id` if it was read within the bound.
    async fn kept(&self, id: i64) -> Option<Arc<user::Model>> {
        self.0.as_ref()?.get(&id).await
    }

    /// The row of user `id`, read from the database now, and kept.
    async fn read(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> Result<Option<Arc<user::Model>>, DbErr> {
        let found = user::find_by_id(db, id).await?.map(Arc::new);
        if let Some(kept) = &self.0 {
            match &found {
                Some(user) => kept.insert(id, user.clone()).await,
                None => kept.invalidate(&id).await,
            }
        }
        Ok(found)
    }

    /// Forgets the row of user `id`, after this instance changed it: the next request reads it.
    pub async fn forget(&self, id: i64) {
        if let Some(kept) = &self.0 {
            kept.invalidate(&id).await;
        }
    }
}

/// Pushes back the expiry of a signed-in session, once a day at most.
async fn renew_if_due(session: &Session) -> Result<(), AppError> {
    let Some(renewed_at) = session.get::<i64>(RENEWED_AT).await? else {
        return Ok(());
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if now - renewed_at >= RENEW_EVERY.whole_seconds() {
        // Changing the session makes the layer save it, with a new expiry and a new cookie.
        session.insert(RENEWED_AT, now).await?;
    }
    Ok(())
}

/// A short digest of the password hash: it changes whenever the password does.
fn fingerprint(user: &user::Model) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(user.password_hash.as_bytes());
    digest[..16]
        .iter()
        .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]])
        .map(char::from)
        .collect()
}

//! What an admin sees of a user besides the row, and can do besides editing it: the details and
//! actions of the `users` resource (see `crate::admin::accounts`).

use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _};
use tenshu_admin::ActionFuture;
use time::OffsetDateTime;

use crate::{
    app::AppState,
    auth::{session as auth_session, tokens, two_factor},
    error::AppError,
    models::user,
    routes::two_factor::notify,
};

/// Whether two-factor sign-in is on, with which factors, and how many recovery codes are left.
pub fn two_factor_status(app: &AppState, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        Ok(match two_factor::status(&app.db, id).await? {
            two_factor::Status::Off => "Off".to_owned(),
            two_factor::Status::On {
                authenticator_app,
                passkeys,
                recovery_codes_left,
            } => {
                let mut factors = Vec::new();
                if authenticator_app {
                    factors.push("authenticator app".to_owned());
                }
                match passkeys {
                    0 => {}
                    1 => factors.push("1 passkey".to_owned()),
                    _ => factors.push(format!("{passkeys} passkeys")),
                }
                format!(
                    "On ({}), with {recovery_codes_left} recovery codes left",
                    factors.join(" and ")
                )
            }
        })
    })
}

/// The email address is taken as confirmed.
pub fn verify(app: &AppState, _: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        let user = find(app, id).await?;
        if user.is_verified() {
            return Ok(format!("{} was already verified.", user.email));
        }
        let email = update(app, user, |changed| {
            changed.email_verified_at = Set(Some(OffsetDateTime::now_utc()));
        })
        .await?;
        Ok(format!("{email} is verified."))
    })
}

pub fn grant_admin(app: &AppState, _: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move { set_admin(app, id, true).await })
}

/// Not for oneself: the last admin could lock everyone out.
pub fn revoke_admin(app: &AppState, acting: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        if acting == id {
            return Err(AppError::BadRequest(
                "You cannot remove your own administrator role: ask another administrator."
                    .to_owned(),
            ));
        }
        set_admin(app, id, false).await
    })
}

/// The account can no longer sign in: its sessions end and its emailed links die. Not for
/// oneself.
pub fn disable(app: &AppState, acting: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        if acting == id {
            return Err(AppError::BadRequest(
                "You cannot disable your own account.".to_owned(),
            ));
        }
        let user = find(app, id).await?;
        if user.is_disabled() {
            return Ok(format!("{} was already disabled.", user.email));
        }
        let email = update(app, user, |changed| {
            changed.disabled_at = Set(Some(OffsetDateTime::now_utc()));
        })
        .await?;
        sign_out(app, id).await?;
        Ok(format!("{email} is disabled and signed out everywhere."))
    })
}

/// The account may sign in again.
pub fn enable(app: &AppState, _: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        let user = find(app, id).await?;
        let email = update(app, user, |changed| changed.disabled_at = Set(None)).await?;
        Ok(format!("{email} may sign in again."))
    })
}

/// Ends every session of the user, and voids the links sent to them by email.
pub fn sign_out_everywhere(app: &AppState, _: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        let user = find(app, id).await?;
        sign_out(app, user.id).await?;
        Ok(format!("{} is signed out everywhere.", user.email))
    })
}

/// For someone who lost their authenticator app or passkeys and their recovery codes: two-factor
/// sign-in is turned off (key, passkeys and codes deleted), their sessions end, their emailed links die, and their
/// address is told. Not for oneself: one's own goes through the account page, with a code.
pub fn reset_two_factor(app: &AppState, acting: i64, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        if acting == id {
            return Err(AppError::BadRequest(
                "Turn your own two-factor sign-in off from your account page.".to_owned(),
            ));
        }
        let user = find(app, id).await?;
        if !two_factor::is_on(&app.db, id).await? {
            return Ok(format!(
                "{} has no two-factor sign-in to reset.",
                user.email
            ));
        }
        two_factor::disable(&app.db, id).await?;
        sign_out(app, id).await?;
        let what = "An administrator turned off two-factor sign-in for your account, and signed \
                    it out everywhere. Sign in with your password, then turn it on again.";
        notify(app, &user, what).await;
        Ok(format!(
            "{} has two-factor sign-in off now, and is signed out everywhere.",
            user.email
        ))
    })
}

async fn set_admin(app: &AppState, id: i64, admin: bool) -> Result<String, AppError> {
    let user = find(app, id).await?;
    let email = update(app, user, |changed| changed.is_admin = Set(admin)).await?;
    Ok(if admin {
        format!("{email} is an administrator.")
    } else {
        format!("{email} is no longer an administrator.")
    })
}

/// Saves `change` to the user's row, with a new `updated_at`; the user's email address.
async fn update(
    app: &AppState,
    user: user::Model,
    change: impl FnOnce(&mut user::ActiveModel),
) -> Result<String, AppError> {
    let email = user.email.clone();
    let mut changed = user.into_active_model();
    change(&mut changed);
    changed.updated_at = Set(OffsetDateTime::now_utc());
    let updated = changed.update(&app.db).await?;
    app.users.forget(updated.id).await;
    Ok(email)
}

/// Ends every session of the user and voids the links sent to them by email.
async fn sign_out(app: &AppState, id: i64) -> Result<(), AppError> {
    auth_session::revoke_all(&app.db, &app.sessions, id, None).await?;
    tokens::revoke_all(&app.db, id).await?;
    Ok(())
}

async fn find(app: &AppState, id: i64) -> Result<user::Model, AppError> {
    user::find_by_id(&app.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

//! One-time tokens for links sent by email (verify an address, reset a password, confirm a new
//! address, sign in).
//!
//! - 32 random bytes from the operating system, sent base64url-encoded in the link;
//! - only their SHA-256 is stored (`user_tokens.token_hash`), so the database alone opens nothing;
//! - each is bound to a purpose and to the address it was sent to (for a change of address, the
//!   new one, which it proves), and expires;
//! - redeeming deletes it, and issuing a new one deletes the older ones of the same purpose;
//! - [`revoke_all`] voids every token of a user, on a change of password or email.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    DbErr, EntityTrait as _, QueryFilter as _,
};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use crate::models::{
    user,
    user_token::{self, Column, Entity as UserTokens},
};

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Makes the address the link was sent to the user's new one.
    ChangeEmail,
    /// Signs in without the password (the second step still applies).
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::SignIn => "sign_in",
        }
    }
}

/// Creates a token for `user`, valid for `lifetime`, and returns the secret to put in the link
/// sent to their address.
pub async fn issue(
    db: &impl ConnectionTrait,
    user: &user::Model,
    purpose: Purpose,
    lifetime: Duration,
) -> anyhow::Result<String> {
    issue_to(db, user, &user.email, purpose, lifetime).await
}

/// Like [`issue`], for a link sent to `address` (a new address to confirm).
pub async fn issue_to(
    db: &impl ConnectionTrait,
    user: &user::Model,
    address: &str,
    purpose: Purpose,
    lifetime: Duration,
) -> anyhow::Result<String> {
    let secret = crate::random::bytes::<32>()?;
    let now = OffsetDateTime::now_utc();
    // Only the newest link of a kind works.
    UserTokens::delete_many()
        .filter(Column::UserId.eq(user.id))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .exec(db)
        .await?;
    user_token::ActiveModel {
        user_id: Set(user.id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(Sha256::digest(secret).to_vec()),
        sent_to: Set(address.to_owned()),
        expires_at: Set(now + lifetime),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// The user a valid token belongs to, leaving the token in place (to show a form first).
pub async fn peek(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    secret: &str,
) -> Result<Option<user::Model>, DbErr> {
    Ok(find_valid(db, purpose, secret).await?.map(|(_, user)| user))
}

/// The user a valid token belongs to; the token is deleted, so it works once.
pub async fn redeem(
    db: &DatabaseConnection,
    purpose: Purpose,
    secret: &str,
) -> Result<Option<user::Model>, DbErr> {
    Ok(redeem_sent(db, purpose, secret)
        .await?
        .map(|(user, _)| user))
}

/// Like [`redeem`], with the address the link was sent to.
pub async fn redeem_sent(
    db: &DatabaseConnection,
    purpose: Purpose,
    secret: &str,
) -> Result<Option<(user::Model, String)>, DbErr> {
    let Some(hash) = hash_of(secret) else {
        return Ok(None);
    };
    // Found and deleted in one statement: of two requests with the same link, only one gets the
    // row back, and SQLite has no read-then-write transaction to refuse when others write.
    let deleted = UserTokens::delete_many()
        .filter(Column::TokenHash.eq(hash))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
        .exec_with_returning(db)
        .await?;
    let Some(token) = deleted.into_iter().next() else {
        return Ok(None);
    };
    Ok(owner_of(db, purpose, token)
        .await?
        .map(|(token, user)| (user, token.sent_to)))
}

/// The address a valid token was sent to, leaving the token in place.
pub async fn peek_sent(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    secret: &str,
) -> Result<Option<(user::Model, String)>, DbErr> {
    Ok(find_valid(db, purpose, secret)
        .await?
        .map(|(token, user)| (user, token.sent_to)))
}

/// The new address waiting for its owner to open the link sent there, if any.
pub async fn pending_email_change(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<String>, DbErr> {
    let pending = UserTokens::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Purpose.eq(Purpose::ChangeEmail.as_str()))
        .filter(Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
        .one(db)
        .await?;
    Ok(pending.map(|token| token.sent_to))
}

/// Voids every token of the user: their password or email changed, so older links must not work.
pub async fn revoke_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    UserTokens::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn find_valid(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    secret: &str,
) -> Result<Option<(user_token::Model, user::Model)>, DbErr> {
    let Some(hash) = hash_of(secret) else {
        return Ok(None);
    };
    let Some(token) = UserTokens::find()
        .filter(Column::TokenHash.eq(hash))
        .filter(Column::Purpose.eq(purpose.as_str()))
        .filter(Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    owner_of(db, purpose, token).await
}

/// The SHA-256 a token is stored as; `None` for anything that is not 32 bytes of base64url,
/// which was never issued (no query needed).
fn hash_of(secret: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(secret)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .map(|secret| Sha256::digest(secret).to_vec())
}

/// The token with its user, if it still speaks for them.
async fn owner_of(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: user_token::Model,
) -> Result<Option<(user_token::Model, user::Model)>, DbErr> {
    let user = user::find_by_id(db, token.user_id).await?;
    Ok(match user {
        // A new address is confirmed by its own link (and any change of address since has voided
        // it: `revoke_all`).
        Some(user) if purpose == Purpose::ChangeEmail => Some((token, user)),
        // Any other token sent to an address the user no longer has is void.
        Some(user) if token.sent_to == user.email => Some((token, user)),
        _ => None,
    })
}

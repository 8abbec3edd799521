//! Two-factor sign-in: codes from an authenticator app (TOTP, RFC 6238, with `totp-rs`), passkeys
//! (`crate::auth::passkeys`), and recovery codes for when both are lost. It is on while the user
//! has either an authenticator app or a passkey; recovery codes come with the first of them and
//! go with the last.
//!
//! - **Setting up** makes a 160-bit secret, sealed (`crate::seal`) and kept in the session of the
//!   page that shows it ([`new_secret`], [`setup`]): no one else learns it, not even someone with
//!   another session of the same account. Two-factor is on only once a first code from the app
//!   matches ([`enable`]), which stores the sealed secret in `totp_secrets`: a key typed wrong or
//!   scanned badly locks no one out.
//! - **A code** is checked against the time steps before, at and after now (30 seconds each, for
//!   clocks that drift), and works once: the step of the last accepted code is kept, and only a
//!   later one passes. The check and the update are one `UPDATE … WHERE last_used_step < step`,
//!   so two requests racing with one code cannot both pass.
//! - **Recovery codes**: ten random codes of ten letters and digits (`abcde-23fgh`, 50 bits),
//!   shown once, stored as an HMAC keyed from `secret_key` (a copy of the table cannot be searched
//!   for them), deleted when used. Making new ones deletes the old set.
//!
//! The pages are in `crate::routes::two_factor`; the second step of signing in keeps its state in
//! the session (`crate::auth::session::start_second_step`).

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac as _};
use qrcode::{QrCode, render::svg};
use sea_orm::{
    ActiveModelTrait as _,
    ActiveValue::Set,
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, TransactionTrait as _,
    sea_query::{Expr, ExprTrait as _},
};
use secrecy::SecretString;
use sha2::Sha256;
use time::OffsetDateTime;
use totp_rs::{Builder, Totp};

use super::passkeys;
use crate::{
    db,
    models::{
        recovery_code::{self, Entity as RecoveryCodes},
        totp_secret::{self, Column, Entity as TotpSecrets},
        user,
    },
    seal::{self, Sealer},
};

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code: base32's lower-case alphabet (no 0, 1, 8 or 9).
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Characters of a recovery code, without its dash: 50 random bits.
const RECOVERY_CODE_CHARS: usize = 10;

/// Where two-factor sign-in stands for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    /// On, through an authenticator app, passkeys, or both.
    On {
        authenticator_app: bool,
        passkeys: u64,
        recovery_codes_left: u64,
    },
}

/// What the setup page shows: the secret as a QR code and as text.
#[derive(Debug)]
pub struct Setup {
    /// The secret in base32, grouped by four, for typing into an app by hand.
    pub secret_text: String,
    /// The `otpauth://` link as a QR code: an SVG image, as a `data:` URL.
    pub qr_code: String,
}

/// What came of a first code typed to turn two-factor on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enabled {
    /// On now, with these recovery codes to show once.
    On(Vec<String>),
    /// The code does not match the secret being set up (or that secret no longer opens).
    WrongCode,
    /// It was on already (the form was sent twice).
    AlreadyOn,
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A current code from the authenticator app, not used before.
    Code,
    /// One of the recovery codes, now used up; this many remain.
    RecoveryCode { left: u64 },
    /// Neither: wrong, expired, already used, or not a code at all.
    Refused,
}

/// The user's status.
pub async fn status(db: &impl ConnectionTrait, user_id: i64) -> Result<Status, DbErr> {
    let authenticator_app = has_authenticator_app(db, user_id).await?;
    let passkeys = passkeys::count(db, user_id).await?;
    if !authenticator_app && passkeys == 0 {
        return Ok(Status::Off);
    }
    let recovery_codes_left = RecoveryCodes::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(Status::On {
        authenticator_app,
        passkeys,
        recovery_codes_left,
    })
}

/// Whether signing in as this user with a password (or an emailed link) takes a second step.
pub async fn is_on(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    Ok(has_authenticator_app(db, user_id).await? || passkeys::any(db, user_id).await?)
}

/// Whether the user set up an authenticator app.
pub async fn has_authenticator_app(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    let rows = TotpSecrets::find_by_id(user_id).count(db).await?;
    Ok(rows > 0)
}

/// A new secret for `user_id` to set up, sealed: the setup page keeps it in its session.
pub fn new_secret(secret_key: &SecretString, user_id: i64) -> anyhow::Result<Vec<u8>> {
    let secret = crate::random::bytes::<20>()?;
    sealer(secret_key).seal(&secret, &context(user_id))
}

/// What the setup page shows of a secret from [`new_secret`]; `None` when it no longer opens
/// (`secret_key` changed, or it was made for another user), and a new one is needed.
/// `issuer` names the app in the authenticator.
pub fn setup(
    secret_key: &SecretString,
    issuer: &str,
    user: &user::Model,
    sealed: &[u8],
) -> anyhow::Result<Option<Setup>> {
    let Ok(secret) = sealer(secret_key).open(sealed, &context(user.id)) else {
        return Ok(None);
    };
    let totp = authenticator(secret, issuer, &user.email)?;
    let svg = QrCode::new(totp.to_url()?.as_bytes())?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let base32 = totp.secret().to_base32();
    let secret_text = base32
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Setup {
        secret_text,
        qr_code: format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)),
    }))
}

/// Turns the authenticator app on with the secret `sealed` by [`new_secret`] when `code` matches
/// it, and makes a new set of recovery codes.
pub async fn enable(
    db: &DatabaseConnection,
    secret_key: &SecretString,
    user_id: i64,
    sealed: &[u8],
    code: &str,
) -> anyhow::Result<Enabled> {
    // A secret that no longer opens (`secret_key` changed) matches no code: the setup page then
    // shows a new one.
    let Ok(secret) = sealer(secret_key).open(sealed, &context(user_id)) else {
        return Ok(Enabled::WrongCode);
    };
    let Some(step) = matching_step(secret, &normalize(code))? else {
        return Ok(Enabled::WrongCode);
    };
    let transaction = db.begin().await?;
    let inserted = totp_secret::ActiveModel {
        user_id: Set(user_id),
        secret_sealed: Set(sealed.to_vec()),
        last_used_step: Set(Some(step)),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(&transaction)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if db::is_unique_violation(&error) => return Ok(Enabled::AlreadyOn),
        Err(error) => return Err(error.into()),
    }
    let codes = replace_recovery_codes(&transaction, secret_key, user_id).await?;
    transaction.commit().await?;
    Ok(Enabled::On(codes))
}

/// Checks what the user typed at the second step (or to change two-factor): a code from the app,
/// or a recovery code, which is used up. Refused when two-factor is off (no app, no codes).
pub async fn check(
    db: &impl ConnectionTrait,
    secret_key: &SecretString,
    user_id: i64,
    typed: &str,
) -> anyhow::Result<Checked> {
    let typed = normalize(typed);
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        let Some(row) = TotpSecrets::find_by_id(user_id).one(db).await? else {
            return Ok(Checked::Refused);
        };
        return check_code(db, secret_key, row, &typed).await;
    }
    if typed.len() != RECOVERY_CODE_CHARS {
        return Ok(Checked::Refused);
    }
    let used = RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(recovery_hash(secret_key, user_id, &typed)))
        .exec(db)
        .await?;
    if used.rows_affected == 0 {
        return Ok(Checked::Refused);
    }
    let left = RecoveryCodes::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(Checked::RecoveryCode { left })
}

async fn check_code(
    db: &impl ConnectionTrait,
    secret_key: &SecretString,
    row: totp_secret::Model,
    code: &str,
) -> anyhow::Result<Checked> {
    let secret = sealer(secret_key).open(&row.secret_sealed, &context(row.user_id))?;
    let Some(step) = matching_step(secret, code)? else {
        return Ok(Checked::Refused);
    };
    // Accepted only if no code of this step or a later one was: once, and race-free.
    let accepted = TotpSecrets::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .filter(Column::UserId.eq(row.user_id))
        .filter(
            Expr::col(Column::LastUsedStep)
                .is_null()
                .or(Expr::col(Column::LastUsedStep).lt(step)),
        )
        .exec(db)
        .await?;
    Ok(if accepted.rows_affected == 1 {
        Checked::Code
    } else {
        Checked::Refused
    })
}

/// Makes a new set of recovery codes, voiding the old one, and returns them to show once.
pub async fn regenerate_recovery_codes(
    db: &DatabaseConnection,
    secret_key: &SecretString,
    user_id: i64,
) -> anyhow::Result<Vec<String>> {
    let transaction = db.begin().await?;
    let codes = replace_recovery_codes(&transaction, secret_key, user_id).await?;
    transaction.commit().await?;
    Ok(codes)
}

/// Turns two-factor off altogether: the authenticator app's secret, the passkeys and the recovery
/// codes are deleted (an administrator's reset, `user two-factor-off`).
pub async fn disable(db: &DatabaseConnection, user_id: i64) -> Result<(), DbErr> {
    let transaction = db.begin().await?;
    TotpSecrets::delete_by_id(user_id)
        .exec(&transaction)
        .await?;
    passkeys::remove_all(&transaction, user_id).await?;
    RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(&transaction)
        .await?;
    transaction.commit().await
}

/// Removes the authenticator app; two-factor stays on while a passkey is left.
pub async fn remove_authenticator_app(db: &DatabaseConnection, user_id: i64) -> Result<(), DbErr> {
    let transaction = db.begin().await?;
    TotpSecrets::delete_by_id(user_id)
        .exec(&transaction)
        .await?;
    forget_recovery_codes_if_off(&transaction, user_id).await?;
    transaction.commit().await
}

/// Deletes the recovery codes once neither an authenticator app nor a passkey is left: they would
/// be a way in that nothing else protects.
pub async fn forget_recovery_codes_if_off(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(), DbErr> {
    if !is_on(db, user_id).await? {
        RecoveryCodes::delete_many()
            .filter(recovery_code::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    secret_key: &SecretString,
    user_id: i64,
) -> anyhow::Result<Vec<String>> {
    RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let now = OffsetDateTime::now_utc();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut rows = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        // 256 is a multiple of 32: each letter is equally likely.
        let code: String = crate::random::bytes::<RECOVERY_CODE_CHARS>()?
            .iter()
            .map(|byte| char::from(RECOVERY_ALPHABET[usize::from(byte % 32)]))
            .collect();
        rows.push(recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(recovery_hash(secret_key, user_id, &code)),
            created_at: Set(now),
            ..Default::default()
        });
        let (first, second) = code.split_at(RECOVERY_CODE_CHARS / 2);
        codes.push(format!("{first}-{second}"));
    }
    RecoveryCodes::insert_many(rows).exec(db).await?;
    Ok(codes)
}

/// A code as typed, made comparable: no spaces or dashes, lower case.
fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_lowercase()
}

/// The time step `code` was made for, within one step of now; `None` when it matches none.
fn matching_step(secret: Vec<u8>, code: &str) -> anyhow::Result<Option<i64>> {
    let totp = Builder::new().with_secret(secret).build()?;
    let now = OffsetDateTime::now_utc().unix_timestamp().try_into()?;
    Ok(totp.check(code, now).map(i64::try_from).transpose()?)
}

/// The app's view of the authenticator: SHA-1, six digits, 30-second steps, which every app reads.
fn authenticator(secret: Vec<u8>, issuer: &str, account: &str) -> anyhow::Result<Totp> {
    // The otpauth link separates issuer and account with a colon: neither may hold one.
    let issuer = issuer.replace(':', " ");
    Ok(Builder::new()
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account.replace(':', " "))
        .build()?)
}

/// How a recovery code is stored: an HMAC-SHA256 of the user's id and the code, under a key
/// derived from `secret_key`. Fifty random bits are too few to survive a search of plain
/// digests; without the key, there is nothing to search.
fn recovery_hash(secret_key: &SecretString, user_id: i64, code: &str) -> Vec<u8> {
    let key = seal::derive_key(secret_key, b"auth: recovery codes");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(&user_id.to_be_bytes());
    mac.update(code.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn sealer(secret_key: &SecretString) -> Sealer {
    Sealer::new(secret_key, b"auth: authenticator secrets")
}

/// What a sealed secret is bound to: its user, so it cannot be moved to another account's row.
fn context(user_id: i64) -> [u8; 8] {
    user_id.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_compared_as_people_type_them() {
        assert_eq!(normalize(" ABCDE-fgh23 "), "abcdefgh23");
        assert_eq!(normalize("123 456"), "123456");
    }

    #[test]
    fn a_recovery_code_is_stored_under_the_key_and_for_its_user_only() {
        let key = SecretString::from("a secret key long enough for the tests of two-factor");
        let other_key = SecretString::from("another secret key, long enough for these tests too");
        let stored = recovery_hash(&key, 1, "abcdefgh23");

        assert_eq!(stored, recovery_hash(&key, 1, "abcdefgh23"));
        assert_ne!(stored, recovery_hash(&key, 2, "abcdefgh23"));
        assert_ne!(stored, recovery_hash(&other_key, 1, "abcdefgh23"));
    }

    #[test]
    fn a_secret_set_up_for_one_user_does_not_open_for_another() {
        let key = SecretString::from("a secret key long enough for the tests of two-factor");
        let user = |id| user::Model {
            id,
            email: "ann@example.com".to_owned(),
            password_hash: String::new(),
            is_admin: false,
            email_verified_at: None,
            disabled_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        let sealed = new_secret(&key, 1).unwrap();

        assert!(
            setup(&key, "Demo: App", &user(1), &sealed)
                .unwrap()
                .is_some()
        );
        assert!(
            setup(&key, "Demo: App", &user(2), &sealed)
                .unwrap()
                .is_none()
        );
    }
}

//! Two-factor sign-in: codes from an authenticator app (TOTP, RFC 6238, with `totp-rs`), and
//! recovery codes for when the app is lost.
//!
//! - **Setting up** ([`start_setup`]) makes a 160-bit secret, sealed into `totp_secrets`
//!   (`crate::seal`) with no `enabled_at` yet. The page shows it as a QR code and as text. Two-factor
//!   is on only once a first code from the app matches ([`enable`]): a secret typed wrong or
//!   scanned badly cannot lock anyone out.
//! - **A code** is checked against the time steps before, at and after now (30 seconds each, for
//!   clocks that drift), and works once: the step of the last accepted code is kept, and only a
//!   later one passes. The check and the update are one `UPDATE … WHERE last_used_step < step`,
//!   so two requests racing with one code cannot both pass.
//! - **Recovery codes**: ten random codes of ten letters and digits (`abcde-23fgh`), shown once,
//!   stored as SHA-256, deleted when used. Making new ones deletes the old set.
//!
//! The pages are in `crate::routes::two_factor`; the second step of signing in keeps its state in
//! the session (`crate::auth::session::start_second_step`).

use base64::{Engine as _, engine::general_purpose::STANDARD};
use qrcode::{QrCode, render::svg};
use sea_orm::{
    ActiveModelTrait as _,
    ActiveValue::Set,
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, TransactionTrait as _,
    sea_query::{Expr, ExprTrait as _},
};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use totp_rs::{Builder, Totp};

use crate::{
    models::{
        recovery_code::{self, Entity as RecoveryCodes},
        totp_secret::{self, Column, Entity as TotpSecrets},
        user,
    },
    seal::Sealer,
};

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
/// Letters of a recovery code: base32's lower-case alphabet, with no 0, 1, 8 or 9 to confuse.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Characters of a recovery code, without its dash: 50 random bits.
const RECOVERY_CODE_CHARS: usize = 10;

/// Where two-factor sign-in stands for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    /// On, with this many recovery codes left.
    On {
        recovery_codes_left: u64,
    },
}

impl Status {
    pub fn is_on(self) -> bool {
        matches!(self, Self::On { .. })
    }
}

/// What the setup page shows: the secret as a QR code and as text.
#[derive(Debug)]
pub struct Setup {
    /// The secret in base32, grouped by four, for typing into an app by hand.
    pub secret_text: String,
    /// The `otpauth://` link as a QR code: an SVG image, as a `data:` URL.
    pub qr_code: String,
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
    let enabled = TotpSecrets::find_by_id(user_id)
        .filter(Column::EnabledAt.is_not_null())
        .one(db)
        .await?
        .is_some();
    if !enabled {
        return Ok(Status::Off);
    }
    let recovery_codes_left = RecoveryCodes::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(Status::On {
        recovery_codes_left,
    })
}

/// Whether signing in as this user takes a second step.
pub async fn is_on(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    Ok(status(db, user_id).await?.is_on())
}

/// The secret being set up for `user`, made now or kept from an earlier visit of the setup page
/// (so that reloading it does not void a QR code already scanned). `issuer` names the app in the
/// authenticator.
pub async fn start_setup(
    db: &impl ConnectionTrait,
    secret_key: &SecretString,
    issuer: &str,
    user: &user::Model,
) -> anyhow::Result<Setup> {
    let sealer = sealer(secret_key);
    let pending = TotpSecrets::find_by_id(user.id)
        .filter(Column::EnabledAt.is_null())
        .one(db)
        .await?;
    let secret = match pending {
        Some(row) => sealer.open(&row.secret_sealed, &context(user.id))?,
        None => {
            let secret = crate::random::bytes::<20>()?.to_vec();
            // A row left by a failed setup, or by two-factor turned off, is replaced.
            TotpSecrets::delete_by_id(user.id).exec(db).await?;
            totp_secret::ActiveModel {
                user_id: Set(user.id),
                secret_sealed: Set(sealer.seal(&secret, &context(user.id))?),
                enabled_at: Set(None),
                last_used_step: Set(None),
                created_at: Set(OffsetDateTime::now_utc()),
            }
            .insert(db)
            .await?;
            secret
        }
    };
    let totp = authenticator(secret, issuer, &user.email)?;
    let link = totp.to_url()?;
    let svg = QrCode::new(link.as_bytes())?
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
    Ok(Setup {
        secret_text,
        qr_code: format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)),
    })
}

/// Turns two-factor on when `code` matches the secret being set up, and returns the first
/// recovery codes; `None` when the code does not match (or nothing is being set up).
pub async fn enable(
    db: &DatabaseConnection,
    secret_key: &SecretString,
    user_id: i64,
    code: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    let Some(pending) = TotpSecrets::find_by_id(user_id)
        .filter(Column::EnabledAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let secret = sealer(secret_key).open(&pending.secret_sealed, &context(user_id))?;
    let Some(step) = matching_step(secret, code)? else {
        return Ok(None);
    };
    let transaction = db.begin().await?;
    let turned_on = TotpSecrets::update_many()
        .col_expr(Column::EnabledAt, Expr::value(OffsetDateTime::now_utc()))
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::EnabledAt.is_null())
        .exec(&transaction)
        .await?;
    if turned_on.rows_affected != 1 {
        return Ok(None);
    }
    let codes = replace_recovery_codes(&transaction, user_id).await?;
    transaction.commit().await?;
    Ok(Some(codes))
}

/// Checks what the user typed at the second step (or to turn two-factor off): a code from the
/// app, or a recovery code, which is used up.
pub async fn check(
    db: &impl ConnectionTrait,
    secret_key: &SecretString,
    user_id: i64,
    typed: &str,
) -> anyhow::Result<Checked> {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_lowercase();
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        return check_code(db, secret_key, user_id, &typed).await;
    }
    if typed.len() != RECOVERY_CODE_CHARS {
        return Ok(Checked::Refused);
    }
    let used = RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(recovery_hash(&typed)))
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
    user_id: i64,
    code: &str,
) -> anyhow::Result<Checked> {
    let Some(row) = TotpSecrets::find_by_id(user_id)
        .filter(Column::EnabledAt.is_not_null())
        .one(db)
        .await?
    else {
        return Ok(Checked::Refused);
    };
    let secret = sealer(secret_key).open(&row.secret_sealed, &context(user_id))?;
    let Some(step) = matching_step(secret, code)? else {
        return Ok(Checked::Refused);
    };
    // Accepted only if no code of this step or a later one was: once, and race-free.
    let accepted = TotpSecrets::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::EnabledAt.is_not_null())
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
    user_id: i64,
) -> anyhow::Result<Vec<String>> {
    let transaction = db.begin().await?;
    let codes = replace_recovery_codes(&transaction, user_id).await?;
    transaction.commit().await?;
    Ok(codes)
}

/// Turns two-factor off: the secret and the recovery codes are deleted.
pub async fn disable(db: &DatabaseConnection, user_id: i64) -> Result<(), DbErr> {
    let transaction = db.begin().await?;
    TotpSecrets::delete_by_id(user_id)
        .exec(&transaction)
        .await?;
    RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(&transaction)
        .await?;
    transaction.commit().await
}

async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
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
        let random = crate::random::bytes::<RECOVERY_CODE_CHARS>()?;
        let code: String = random
            .iter()
            .map(|byte| char::from(RECOVERY_ALPHABET[usize::from(byte % 32)]))
            .collect();
        rows.push(recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(recovery_hash(&code)),
            created_at: Set(now),
            ..Default::default()
        });
        codes.push(format!("{}-{}", &code[..5], &code[5..]));
    }
    RecoveryCodes::insert_many(rows).exec(db).await?;
    Ok(codes)
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

fn recovery_hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}

fn sealer(secret_key: &SecretString) -> Sealer {
    Sealer::new(secret_key, b"auth: authenticator secrets")
}

/// What a sealed secret is bound to: its user, so it cannot be moved to another account's row.
fn context(user_id: i64) -> [u8; 8] {
    user_id.to_be_bytes()
}

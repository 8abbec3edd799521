//! Passkeys (WebAuthn, with `webauthn-rs`): a key pair made by the user's device (a phone, a
//! laptop, a security key) that signs in without a password, or serves as the second step.
//!
//! - **The site they belong to** is `server.public_url`: its host is the relying party id, the
//!   URL itself the only origin accepted ([`Passkeys::new`]). A passkey made on another address
//!   (or a page served under another one) is refused by the browser or here.
//! - **Every ceremony has two halves**: the server makes a challenge ([`Passkeys::start_adding`],
//!   [`Passkeys::start_sign_in`], [`Passkeys::start_second_step`]) and keeps its state in the
//!   session, the browser has the device sign it, and the answer is checked against that state
//!   ([`Passkeys::finish_adding`], …). The state is taken out of the session before the check, so
//!   an answer counts once, and it expires after [`CEREMONY_WITHIN`] ([`keep`], [`take`]).
//! - **Discoverable credentials** only: the device remembers the account, so a sign-in needs no
//!   address typed. It returns the user's handle, a random id kept with each passkey (never the
//!   row id or the address), which must match the credential's owner.
//! - **User verification is required** (a PIN, a fingerprint, a face): a passkey is something the
//!   user has and something they know or are, so signing in with one passes both steps.
//! - A passkey counts as two-factor sign-in being on (the two-factor module asks [`any`]): with
//!   one, a password alone no longer signs in. The first passkey of an account without
//!   two-factor brings recovery codes, and removing the last factor removes them.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DbErr,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::{
    db,
    error::AppError,
    models::passkey::{self, Column, Entity as PasskeyRows},
};

/// How long the browser has between a challenge and its answer.
pub const CEREMONY_WITHIN: Duration = Duration::minutes(5);

/// The longest name a passkey can have (the column's width).
pub const NAME_MAX_CHARS: usize = 64;

/// The relying party: checks what the devices sign. One for the app, built from `public_url`;
/// off when that names the site by an IP address, which passkeys cannot belong to.
#[derive(Clone)]
pub struct Passkeys {
    webauthn: Option<Arc<Webauthn>>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").finish_non_exhaustive()
    }
}

/// A new passkey's ceremony, as the session keeps it between its two halves.
#[derive(Debug, Serialize, Deserialize)]
pub struct Adding {
    state: PasskeyRegistration,
    /// The handle the device was given for the user.
    user_handle: Vec<u8>,
}

/// What came of a new passkey's answer.
#[derive(Debug)]
pub enum Added {
    /// Stored.
    Added(passkey::Model),
    /// The answer did not match the challenge, or was not one.
    NotAccepted,
    /// This device's passkey is already on an account.
    AlreadyRegistered,
}

impl Passkeys {
    /// The relying party of the site at `public_url`, shown to users as `app_name`. Off (with a
    /// warning) when the URL's host is not a domain name: `localhost` is one, `127.0.0.1` is not.
    pub fn new(public_url: &str, app_name: &str) -> anyhow::Result<Self> {
        let origin = Url::parse(public_url)?;
        let Some(rp_id) = origin.domain().map(str::to_owned) else {
            tracing::warn!(
                public_url,
                "passkeys are off: server.public_url names the site by an IP address, and \
                 passkeys belong to a domain name (use localhost in development)"
            );
            return Ok(Self { webauthn: None });
        };
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)?
            .rp_name(app_name)
            .build()?;
        Ok(Self {
            webauthn: Some(Arc::new(webauthn)),
        })
    }

    /// Whether the site can use passkeys (see [`Self::new`]).
    pub fn enabled(&self) -> bool {
        self.webauthn.is_some()
    }

    /// The relying party, or a 404 for the requests that need it while passkeys are off.
    fn relying_party(&self) -> Result<&Webauthn, AppError> {
        self.webauthn.as_deref().ok_or(AppError::NotFound)
    }

    /// The challenge for a new passkey of `user`: the browser makes a discoverable credential,
    /// and not a second one on a device that already has one of this account.
    pub async fn start_adding(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        email: &str,
    ) -> Result<(CreationChallengeResponse, Adding), AppError> {
        let existing = list(db, user_id).await?;
        let handle = match existing.first() {
            Some(row) => Uuid::from_slice(&row.user_handle).map_err(anyhow::Error::from)?,
            None => Uuid::from_bytes(crate::random::bytes::<16>()?),
        };
        let exclude = existing.into_iter().map(|row| row.credential_id).collect();
        let (mut challenge, state) = self
            .relying_party()?
            .start_passkey_registration(handle, email, email, Some(exclude))
            .map_err(anyhow::Error::from)?;
        // webauthn-rs leaves the choice to the device; signing in without an address needs the
        // device to remember the account.
        if let Some(selection) = challenge.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let adding = Adding {
            state,
            user_handle: handle.as_bytes().to_vec(),
        };
        Ok((challenge, adding))
    }

    /// Checks the browser's answer to [`Self::start_adding`] and stores the passkey as `name`.
    pub async fn finish_adding(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        name: &str,
        answer: &str,
        adding: Adding,
    ) -> Result<Added, AppError> {
        let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(answer) else {
            return Ok(Added::NotAccepted);
        };
        let Ok(relying_party) = self.relying_party() else {
            return Ok(Added::NotAccepted);
        };
        let key = match relying_party.finish_passkey_registration(&answer, &adding.state) {
            Ok(key) => key,
            Err(error) => {
                tracing::info!(%error, "a new passkey was not accepted");
                return Ok(Added::NotAccepted);
            }
        };
        let inserted = passkey::ActiveModel {
            user_id: Set(user_id),
            credential_id: Set(key.cred_id().clone()),
            user_handle: Set(adding.user_handle),
            name: Set(name.to_owned()),
            credential: Set(serde_json::to_string(&key).map_err(anyhow::Error::from)?),
            created_at: Set(OffsetDateTime::now_utc()),
            last_used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await;
        match inserted {
            Ok(passkey) => Ok(Added::Added(passkey)),
            Err(error) if db::is_unique_violation(&error) => Ok(Added::AlreadyRegistered),
            Err(error) => Err(error.into()),
        }
    }

    /// The challenge of a sign-in without an address: any passkey of this site may answer.
    pub fn start_sign_in(
        &self,
    ) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), AppError> {
        let (mut challenge, state) = self
            .relying_party()?
            .start_discoverable_authentication()
            .map_err(anyhow::Error::from)?;
        // The page chooses: a button asks at once, the email field's autofill waits.
        challenge.mediation = None;
        Ok((challenge, state))
    }

    /// The user whose passkey answered [`Self::start_sign_in`], if it checks out.
    pub async fn finish_sign_in(
        &self,
        db: &impl ConnectionTrait,
        answer: &str,
        state: DiscoverableAuthentication,
    ) -> Result<Option<i64>, AppError> {
        let (Ok(relying_party), Ok(answer)) = (
            self.relying_party(),
            serde_json::from_str::<PublicKeyCredential>(answer),
        ) else {
            return Ok(None);
        };
        let Ok((handle, credential_id)) =
            relying_party.identify_discoverable_authentication(&answer)
        else {
            return Ok(None);
        };
        let Some(row) = PasskeyRows::find()
            .filter(Column::CredentialId.eq(credential_id.to_vec()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        // The device says whose passkey it is; it must be the row's owner.
        if row.user_handle != handle.as_bytes() {
            return Ok(None);
        }
        let mut key = stored_key(&row)?;
        let checked = relying_party.finish_discoverable_authentication_v2(&answer, state, &key);
        let result = match checked {
            Ok(result) => result,
            Err(error) => {
                tracing::info!(%error, "a passkey sign-in was not accepted");
                return Ok(None);
            }
        };
        key.update_credential(&result);
        record_use(db, &row, &key).await?;
        Ok(Some(row.user_id))
    }

    /// The challenge of the second step, which one of the user's passkeys must answer; `None`
    /// when they have none.
    pub async fn start_second_step(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>, AppError> {
        let keys = list(db, user_id)
            .await?
            .iter()
            .map(stored_key)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Ok(None);
        }
        let started = self
            .relying_party()?
            .start_passkey_authentication(&keys)
            .map_err(anyhow::Error::from)?;
        Ok(Some(started))
    }

    /// Whether one of `user_id`'s passkeys answered [`Self::start_second_step`].
    pub async fn finish_second_step(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        answer: &str,
        state: &PasskeyAuthentication,
    ) -> Result<bool, AppError> {
        let (Ok(relying_party), Ok(answer)) = (
            self.relying_party(),
            serde_json::from_str::<PublicKeyCredential>(answer),
        ) else {
            return Ok(false);
        };
        let result = match relying_party.finish_passkey_authentication(&answer, state) {
            Ok(result) => result,
            Err(error) => {
                tracing::info!(%error, "a passkey second step was not accepted");
                return Ok(false);
            }
        };
        let Some(row) = PasskeyRows::find()
            .filter(Column::UserId.eq(user_id))
            .filter(Column::CredentialId.eq(result.cred_id().clone()))
            .one(db)
            .await?
        else {
            return Ok(false);
        };
        let mut key = stored_key(&row)?;
        key.update_credential(&result);
        record_use(db, &row, &key).await?;
        Ok(true)
    }
}

/// The user's passkeys, oldest first.
pub async fn list(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<passkey::Model>, DbErr> {
    PasskeyRows::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// How many passkeys the user has.
pub async fn count(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    PasskeyRows::find()
        .filter(Column::UserId.eq(user_id))
        .count(db)
        .await
}

/// Whether the user has a passkey.
pub async fn any(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    let found = PasskeyRows::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::UserId.eq(user_id))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Deletes the user's passkey `id`; `None` when they have no such passkey.
pub async fn remove(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> Result<Option<passkey::Model>, DbErr> {
    let Some(row) = PasskeyRows::find_by_id(id)
        .filter(Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let deleted = PasskeyRows::delete_by_id(row.id)
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok((deleted.rows_affected == 1).then_some(row))
}

/// Deletes every passkey of the user.
pub async fn remove_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    PasskeyRows::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await
        .map(drop)
}

/// A ceremony's state as the session keeps it, with when it started.
#[derive(Serialize, Deserialize)]
struct Ceremony<T> {
    state: T,
    started: i64,
}

/// Keeps a ceremony's `state` in the session, under `key`, replacing any earlier one.
pub async fn keep<T: Serialize>(session: &Session, key: &str, state: T) -> Result<(), AppError> {
    let started = OffsetDateTime::now_utc().unix_timestamp();
    session.insert(key, Ceremony { state, started }).await?;
    Ok(())
}

/// Takes the ceremony kept under `key` out of the session: `None` when there is none, when it
/// started more than [`CEREMONY_WITHIN`] ago, or when it no longer reads (kept by an earlier
/// version of the app).
pub async fn take<T: DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, AppError> {
    let Some(kept) = session.remove_value(key).await? else {
        return Ok(None);
    };
    let Ok(ceremony) = serde_json::from_value::<Ceremony<T>>(kept) else {
        return Ok(None);
    };
    let age = OffsetDateTime::now_utc().unix_timestamp() - ceremony.started;
    Ok((0..=CEREMONY_WITHIN.whole_seconds())
        .contains(&age)
        .then_some(ceremony.state))
}

fn stored_key(row: &passkey::Model) -> Result<Passkey, AppError> {
    Ok(serde_json::from_str(&row.credential).map_err(anyhow::Error::from)?)
}

/// Stores the passkey's new sign counter and when it was used (nothing, if it was removed
/// meanwhile).
async fn record_use(
    db: &impl ConnectionTrait,
    row: &passkey::Model,
    key: &Passkey,
) -> Result<(), AppError> {
    let credential = serde_json::to_string(key).map_err(anyhow::Error::from)?;
    PasskeyRows::update_many()
        .col_expr(Column::Credential, Expr::value(credential))
        .col_expr(
            Column::LastUsedAt,
            Expr::value(Some(OffsetDateTime::now_utc())),
        )
        .filter(Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

//! Passkeys: a user's authenticators (a phone, a laptop, a security key), each a public key that
//! signs in without a password. See `crate::auth::passkeys`.

use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The credential's id, as the authenticator names it at sign-in (unique).
    pub credential_id: Vec<u8>,
    /// The user's random handle, which the authenticator returns with a passkey sign-in.
    pub user_handle: Vec<u8>,
    /// What the user called it.
    pub name: String,
    /// webauthn-rs' `Passkey` as JSON: the public key and its sign counter.
    pub credential: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

impl ActiveModelBehavior for ActiveModel {}

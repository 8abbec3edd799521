//! A user's authenticator app: the secret both share, sealed. A row means two-factor sign-in is on.
//! See `crate::auth::two_factor`.

use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "totp_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The secret, sealed (`crate::seal`) and bound to the user's id.
    pub secret_sealed: Vec<u8>,
    /// The time step of the last accepted code: codes of this step or before are refused.
    pub last_used_step: Option<i64>,
    /// When two-factor was turned on.
    pub created_at: OffsetDateTime,
}

impl ActiveModelBehavior for ActiveModel {}

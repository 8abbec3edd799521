//! Recovery codes: the way in when the authenticator app is lost. Shown once, stored as an HMAC
//! keyed from `secret_key`, deleted when used. See `crate::auth::two_factor`.

use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// HMAC-SHA256 of the user's id and the code without its dash (`crate::auth::two_factor`).
    pub code_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
}

impl ActiveModelBehavior for ActiveModel {}

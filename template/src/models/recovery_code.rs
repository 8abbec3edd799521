//! Recovery codes: the way in when the authenticator app is lost. Shown once, stored as SHA-256,
//! deleted when used. See `crate::auth::two_factor`.

use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// SHA-256 of the code, as the user types it without its dash.
    pub code_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
}

impl ActiveModelBehavior for ActiveModel {}

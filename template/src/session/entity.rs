//! The `sessions` table (created by the first migration), as the session store and accounts
//! read it.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// The session id: random, and only ever sent to the browser signed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The session's data, as JSON.
    pub data: Vec<u8>,
    /// Unix time (seconds) after which the session is dead.
    pub expires_at: i64,
{%- if auth %}
    /// Whose session it is, once signed in: set by `crate::auth::session`, which signs out
    /// everywhere by this column; the store leaves it alone.
    pub user_id: Option<i64>,
{%- endif %}
}

impl ActiveModelBehavior for ActiveModel {}

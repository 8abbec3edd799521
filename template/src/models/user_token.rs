//! One-time tokens sent by email: a link to verify an address, reset a password, confirm a new
//! address or sign in.
//!
//! Only the SHA-256 of a token is stored, so a copy of the database gives no working link. See
//! `crate::auth::tokens` for how they are issued and redeemed.

use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// What the token allows: see `crate::auth::tokens::Purpose`.
    pub purpose: String,
    /// SHA-256 of the token.
    #[sea_orm(unique)]
    pub token_hash: Vec<u8>,
    /// The address the link went to: the token dies if the user's email changes.
    pub sent_to: String,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

impl ActiveModelBehavior for ActiveModel {}

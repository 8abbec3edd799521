//! A person with an account: their email (who they are), a password hash (how they prove it) and
//! whether they are an admin.

use std::fmt;

use sea_orm::{ActiveValue::Set, ConnectionTrait, entity::prelude::*};
use time::OffsetDateTime;

use crate::db;

// The classic entity form (a `Model` and a `Relation` enum) rather than `#[sea_orm::model]`,
// which would also need the derived `Debug` that the hand-written one below replaces.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased and trimmed: see [`normalize_email`].
    #[sea_orm(unique)]
    pub email: String,
    /// An argon2id PHC string (`$argon2id$v=19$m=…`); never shown, never logged.
    pub password_hash: String,
    pub is_admin: bool,
    /// When the user proved they own `email`; `None` until then, and again after a change of email.
    pub email_verified_at: Option<OffsetDateTime>,
    /// When an administrator disabled the account; `None` while it may sign in.
    pub disabled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Like the derived `Debug`, without the password hash: a user printed in a log or a panic
/// message gives nothing away.
impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .field("is_admin", &self.is_admin)
            .field("email_verified_at", &self.email_verified_at)
            .field("disabled_at", &self.disabled_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

impl Model {
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// The form in which emails are stored and compared: `" Ann@Example.COM "` is `ann@example.com`.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::Email.eq(normalize_email(email)))
        .one(db)
        .await
}

/// The user with this id: read on every signed-in request (see `db::find_unique`).
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    db::find_unique(Entity::find_by_id(id), db).await
}

/// What a new user starts with.
#[derive(Debug)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    /// Accounts made by an administrator (the `user create` command) need no verification.
    pub verified: bool,
}

/// Inserts a user. A taken email is a `DbErr` whose `sql_err()` is a unique-constraint violation.
pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<Model, DbErr> {
    let now = OffsetDateTime::now_utc();
    ActiveModel {
        email: Set(normalize_email(&new.email)),
        password_hash: Set(new.password_hash),
        is_admin: Set(new.is_admin),
        email_verified_at: Set(new.verified.then_some(now)),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

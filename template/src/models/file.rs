//! A file someone uploaded: who owns it, what it is, and where its bytes are (`key`, in the
//! object storage of `crate::uploads`). Rows and objects come and go together: see
//! `crate::routes::files`.

use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder as _, entity::prelude::*};
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Random: names the object in storage and the file in URLs.
    #[sea_orm(unique)]
    pub key: String,
    pub owner_id: i64,
    /// What the uploader called it, cleaned; never used as a path.
    pub original_name: String,
    /// Read from the content (its magic bytes), not from what the browser said.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// SHA-256 of the content, in hexadecimal.
    pub checksum: String,
    /// Public files are served to anyone with the link; private ones to their owner only.
    pub is_public: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether `user_id` (`None`: a visitor who is not signed in) may download this file.
    pub fn is_visible_to(&self, user_id: Option<i64>) -> bool {
        self.is_public || user_id == Some(self.owner_id)
    }
}

/// What a new row records about a stored object.
#[derive(Debug)]
pub struct NewFile {
    pub key: String,
    pub owner_id: i64,
    pub original_name: String,
    pub content_type: String,
    pub size: i64,
    pub checksum: String,
    pub is_public: bool,
}

pub async fn create(db: &impl ConnectionTrait, new: NewFile) -> Result<Model, DbErr> {
    ActiveModel {
        key: Set(new.key),
        owner_id: Set(new.owner_id),
        original_name: Set(new.original_name),
        content_type: Set(new.content_type),
        size: Set(new.size),
        checksum: Set(new.checksum),
        is_public: Set(new.is_public),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The file stored under `key`. A key this app never makes (they are base64url, 22 characters)
/// finds nothing without a query: Postgres would refuse some (a NUL byte) with an error.
pub async fn find_by_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<Model>, DbErr> {
    let could_be_ours = (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !could_be_ours {
        return Ok(None);
    }
    Entity::find().filter(Column::Key.eq(key)).one(db).await
}

/// A user's files, newest first.
pub async fn list_for_owner(db: &impl ConnectionTrait, owner_id: i64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OwnerId.eq(owner_id))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    Entity::delete_by_id(id).exec(db).await.map(drop)
}

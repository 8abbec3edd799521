//! A `tower_sessions::SessionStore` on SeaORM: the `sessions` table of the app database, so
//! sessions survive restarts and every app instance sees the same ones.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelBehavior as _, ActiveValue::Set, ColumnTrait as _, DatabaseConnection,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, sea_query::OnConflict,
};
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};

use super::entity::{ActiveModel, Column, Entity as Sessions};
use crate::db;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The row of `record`. Only the store's columns are set: the others (the signed-in user, with
/// accounts) belong to whoever writes them.
fn row(record: &Record) -> session_store::Result<ActiveModel> {
    let mut row = ActiveModel::new();
    row.id = Set(record.id.to_string());
    row.data =
        Set(serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?);
    row.expires_at = Set(record.expiry_date.unix_timestamp());
    Ok(row)
}

fn backend(error: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts a new session, drawing a new id in the (astronomically unlikely) case of a clash.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            match Sessions::insert(row(record)?).exec(&self.db).await {
                Ok(_) => return Ok(()),
                Err(error) if db::is_unique_violation(&error) => {
                    record.id = Id::default();
                }
                Err(error) => return Err(backend(error)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        Sessions::insert(row(record)?)
            .on_conflict(
                OnConflict::column(Column::Id)
                    .update_columns([Column::Data, Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(found) = Sessions::find_by_id(id.to_string())
            .filter(Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        serde_json::from_slice(&found.data)
            .map(Some)
            .map_err(|e| session_store::Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        Sessions::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let deleted = Sessions::delete_many()
            .filter(Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if deleted.rows_affected > 0 {
            tracing::debug!(count = deleted.rows_affected, "deleted expired sessions");
        }
        Ok(())
    }
}

/// How many sessions have not expired: visitors of the last `session.expiry_days`, roughly.
pub async fn count_open(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Sessions::find()
        .filter(Column::ExpiresAt.gt(now))
        .count(db)
        .await
}

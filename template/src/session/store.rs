//! A `tower_sessions::SessionStore` on SeaORM: the `sessions` table of the app database, so
//! sessions survive restarts and every app instance sees the same ones.
//!
//! The store can also keep the sessions it has just read or written in memory, for a few seconds
//! ([`DbSessionStore::remembering`]): a visitor going from page to page is then not a database
//! query per page. The price is a bound on how soon a session ended or changed by another
//! instance (signing out there) is seen here: at most that many seconds. This instance's own
//! changes are seen at once, and a session ended elsewhere is never written back (see `save`).

use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache as Moka;
use sea_orm::{
    ActiveModelBehavior as _, ActiveValue::Set, ColumnTrait as _, DatabaseConnection,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, sea_query::Expr,
};
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};

use super::entity::{ActiveModel, Column, Entity as Sessions};
use crate::db;

/// At most this many sessions are kept in memory; beyond, the least used are read again from the
/// database when they come back.
const REMEMBERED_SESSIONS: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    /// Sessions read or written in the last few seconds, by id.
    recent: Option<Moka<Id, Record>>,
}

impl DbSessionStore {
    /// A store that asks the database every time.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, recent: None }
    }

    /// A store that keeps each session it reads or writes in memory for `bound` (none when it is
    /// zero): another instance's sign-out is refused here `bound` later at most.
    pub fn remembering(db: DatabaseConnection, bound: Duration) -> Self {
        let recent = (!bound.is_zero()).then(|| {
            Moka::builder()
                .max_capacity(REMEMBERED_SESSIONS)
                // From when it was read or written, however often it is used since.
                .time_to_live(bound)
                .build()
        });
        Self { db, recent }
    }

    /// Forgets every session kept in memory, after sessions were ended in the database (all of a
    /// user's): the next request of each reads its session from the database again. Other
    /// instances forget theirs within their bound.
    pub fn forget_all(&self) {
        if let Some(recent) = &self.recent {
            recent.invalidate_all();
        }
    }

    async fn remember(&self, record: &Record) {
        if let Some(recent) = &self.recent {
            recent.insert(record.id, record.clone()).await;
        }
    }

    async fn forget(&self, id: &Id) {
        if let Some(recent) = &self.recent {
            recent.invalidate(id).await;
        }
    }
}

/// The row of `record`. Only the store's columns are set: the others (the signed-in user, with
/// accounts) belong to whoever writes them.
fn row(record: &Record) -> session_store::Result<ActiveModel> {
    let mut row = ActiveModel::new();
    row.id = Set(record.id.to_string());
    row.data = Set(encode(record)?);
    row.expires_at = Set(record.expiry_date.unix_timestamp());
    Ok(row)
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
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
                Ok(_) => {
                    self.remember(record).await;
                    return Ok(());
                }
                Err(error) if db::is_unique_violation(&error) => {
                    record.id = Id::default();
                }
                Err(error) => return Err(backend(error)),
            }
        }
    }

    /// Updates a session loaded by this request. One deleted meanwhile (signed out on another
    /// instance, revoked) stays deleted: an update, never an insert, so that a request still
    /// holding it cannot bring it back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let updated = Sessions::update_many()
            .col_expr(Column::Data, Expr::value(encode(record)?))
            .col_expr(
                Column::ExpiresAt,
                Expr::value(record.expiry_date.unix_timestamp()),
            )
            .filter(Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if updated.rows_affected == 0 {
            tracing::debug!("a session ended while a request used it: not saved");
            self.forget(&record.id).await;
        } else {
            self.remember(record).await;
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        if let Some(recent) = &self.recent
            && let Some(record) = recent.get(id).await
        {
            return Ok((record.expiry_date > now).then_some(record));
        }
        let expires_later = Column::ExpiresAt.gt(now.unix_timestamp());
        let live = Sessions::find_by_id(id.to_string()).filter(expires_later);
        let Some(found) = db::find_unique(live, &self.db).await.map_err(backend)? else {
            return Ok(None);
        };
        let record: Record = serde_json::from_slice(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        self.remember(&record).await;
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        Sessions::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        self.forget(id).await;
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

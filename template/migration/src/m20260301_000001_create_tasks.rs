//! The task queue's tables: one row per task, from enqueued to done or failed, and the last tick
//! each recurring schedule fired for. The queue owns their shape (`crates/queue/src/schema.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenshu_queue::schema::up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenshu_queue::schema::down(manager).await
    }
}

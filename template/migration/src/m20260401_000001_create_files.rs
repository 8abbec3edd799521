//! Uploads (see `src/uploads.rs`): one row per stored file, with its owner. The bytes themselves
//! are in the object storage, under the row's `key`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(big_pk_auto(Files::Id))
                    // Random, so URLs and storage paths say nothing about the file or its order.
                    .col(string(Files::Key).unique_key())
                    .col(big_integer(Files::OwnerId))
                    // As sent by the browser, cleaned (src/uploads/names.rs); shown and offered
                    // as the download's name, never used as a path.
                    .col(string(Files::OriginalName))
                    // Read from the file's first bytes, not from what the browser claimed.
                    .col(string(Files::ContentType))
                    .col(big_integer(Files::Size))
                    // SHA-256 of the content, in hexadecimal.
                    .col(string_len(Files::Checksum, 64))
                    // Private files are served to their owner only; public ones to anyone with
                    // the link.
                    .col(boolean(Files::IsPublic).default(false))
                    .col(timestamp_with_time_zone(Files::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_owner_id")
                    .table(Files::Table)
                    .col(Files::OwnerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Files::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    Key,
    OwnerId,
    OriginalName,
    ContentType,
    Size,
    Checksum,
    IsPublic,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

//! Two-factor sign-in (see `src/auth/two_factor.rs`): each user's authenticator secret, and their
//! recovery codes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TotpSecrets::Table)
                    // One authenticator per user; a row means two-factor sign-in is on (the secret
                    // being set up waits in the session of the page that shows it).
                    .col(big_integer(TotpSecrets::UserId).primary_key())
                    // Sealed with a key derived from `secret_key` (src/seal.rs): a copy of the
                    // table cannot compute codes.
                    .col(blob(TotpSecrets::SecretSealed))
                    // The time step of the last code accepted: a code works once.
                    .col(big_integer_null(TotpSecrets::LastUsedStep))
                    // When two-factor was turned on.
                    .col(timestamp_with_time_zone(TotpSecrets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TotpSecrets::Table, TotpSecrets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(big_pk_auto(RecoveryCodes::Id))
                    .col(big_integer(RecoveryCodes::UserId))
                    // HMAC-SHA256 of the code, under a key derived from `secret_key`: the codes
                    // themselves were shown once, to the user.
                    .col(binary_len(RecoveryCodes::CodeHash, 32))
                    .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user_id")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TotpSecrets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TotpSecrets {
    Table,
    UserId,
    SecretSealed,
    LastUsedStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

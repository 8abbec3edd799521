//! Identities (see `src/auth/oauth.rs`): the accounts at other providers (Google, GitLab…) that
//! sign in to a user's account here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Identities::Table)
                    .col(big_pk_auto(Identities::Id))
                    .col(big_integer(Identities::UserId))
                    // The provider's name in the app's settings (`[oauth.providers.NAME]`).
                    .col(string_len(Identities::Provider, 64))
                    // Who vouches for the person: the OpenID Connect issuer (GitHub: its API's
                    // root). A name pointed at another issuer reaches none of these rows.
                    .col(string_len(Identities::Issuer, 255))
                    // Who the person is at the issuer: its `sub`, which never changes (an
                    // address can).
                    .col(string_len(Identities::Subject, 255))
                    // The address the provider gave when the identity was connected, to show.
                    .col(string_len_null(Identities::Email, 320))
                    .col(timestamp_with_time_zone(Identities::CreatedAt))
                    .col(timestamp_with_time_zone_null(Identities::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Identities::Table, Identities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One person at an issuer signs in to one account only.
        manager
            .create_index(
                Index::create()
                    .name("idx_identities_issuer_subject")
                    .table(Identities::Table)
                    .col(Identities::Issuer)
                    .col(Identities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_identities_user_id")
                    .table(Identities::Table)
                    .col(Identities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Identities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Identities {
    Table,
    Id,
    UserId,
    Provider,
    Issuer,
    Subject,
    Email,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

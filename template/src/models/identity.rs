//! Identities: a user's accounts at other providers (Google, GitLab…), each of which signs in to
//! their account here. See `crate::auth::oauth`.

use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, entity::prelude::*, sea_query::Expr,
};
use time::OffsetDateTime;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The provider's name in the settings (`[oauth.providers.NAME]`).
    pub provider: String,
    /// Who vouches for the person: the issuer's URL (GitHub: its API's root).
    pub issuer: String,
    /// Who the person is at the issuer (its `sub`): unique with `issuer`.
    pub subject: String,
    /// The address the provider gave when the identity was connected.
    pub email: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

impl ActiveModelBehavior for ActiveModel {}

/// The identity of `subject` at `issuer`, if it signs in to an account here.
pub async fn find(
    db: &impl ConnectionTrait,
    issuer: &str,
    subject: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::Issuer.eq(issuer))
        .filter(Column::Subject.eq(subject))
        .one(db)
        .await
}

/// A user's identities, oldest first.
pub async fn of_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// Who a provider says someone is, as stored.
#[derive(Debug, Clone, Copy)]
pub struct NewIdentity<'a> {
    pub provider: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
}

/// Connects the identity to the user. Taken already (by anyone) is a `DbErr` whose `sql_err()`
/// is a unique-constraint violation.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i64,
    new: NewIdentity<'_>,
) -> Result<Model, DbErr> {
    ActiveModel {
        user_id: Set(user_id),
        provider: Set(new.provider.to_owned()),
        issuer: Set(new.issuer.to_owned()),
        subject: Set(new.subject.to_owned()),
        email: Set(new.email.map(str::to_owned)),
        created_at: Set(OffsetDateTime::now_utc()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Records a sign-in with the identity (nothing, if it was removed meanwhile).
pub async fn record_use(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(OffsetDateTime::now_utc()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes one of the user's identities; false when it is not theirs (or already gone).
pub async fn remove(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<bool, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

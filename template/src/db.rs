//! The database: one connection pool, SQLite or Postgres as the URL says.
//!
//! The same binary speaks both, so moving from SQLite to Postgres is a change of
//! `database.url` (and `migrate up` on the new database), not of code. Migrations live in the
//! `migration` crate and are written once for both.
//!
//! SQLite is tuned on every pooled connection (not once after connecting, which would configure
//! only the first one): write-ahead logging so readers never wait for the writer, a busy timeout
//! so concurrent writers queue instead of failing with "database is locked", foreign keys on, and
//! `synchronous = NORMAL`, which in WAL mode stays consistent and loses at most the last commits
//! on a power cut (never on an app crash).

use std::{
    path::Path,
    str::FromStr as _,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use migration::{MigrationStatus, Migrator, MigratorTrait as _};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    Select, SqlxSqliteConnector,
    sqlx::{
        self, Connection as _,
        postgres::{PgConnectOptions, PgConnection},
        sqlite::{SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    },
};
use secrecy::ExposeSecret as _;

use crate::config::DatabaseConfig;

/// How long a SQLite writer waits for another one before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("database.url must start with sqlite: or postgres:")
        }
    }

    /// The name to show people: "SQLite" or "Postgres".
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "Postgres",
        }
    }
}

/// The row a unique key finds, if any: `.one()` without its `LIMIT 1`, which sea-query binds as a
/// parameter. SQLite (3.51 here) prepares a statement whose LIMIT is a parameter again each time
/// it runs, a parse per query; a unique key needs no limit. For lookups on every request.
pub async fn find_unique<E: EntityTrait>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.pop())
}

/// Opens the pool, creating the database first when `create_if_missing` is set.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let url = config.url.expose_secret();
    let backend = Backend::of_url(url)?;
    if config.create_if_missing {
        match backend {
            Backend::Sqlite => create_sqlite_folder(url)?,
            Backend::Postgres => create_postgres_database(url).await?,
        }
    }

    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .connect_timeout(config.connect_timeout())
        .acquire_timeout(config.connect_timeout())
        // Statements are not logged one by one; enable `sqlx=debug` in the log filter to see them.
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        // A file on this machine: its connections cannot go stale, and pinging one before each
        // query is a round trip to its thread.
        options.test_before_acquire(false);
        let create = config.create_if_missing;
        options.map_sqlx_sqlite_opts(move |sqlite| {
            // Only ever adds creation: a URL with `?mode=rwc` creates the file either way.
            let sqlite = if create {
                sqlite.create_if_missing(true)
            } else {
                sqlite
            };
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    }
    Database::connect(options)
        .await
        .with_context(|| format!("could not open the {} database", backend.name()))
}

/// Creates the folder of a SQLite file (`sqlite://data/app.db` → `data/`).
fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(folder) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("could not create the folder {}", folder.display()))?;
    }
    Ok(())
}

/// Creates the Postgres database named in `url` unless it exists, through the server's
/// `postgres` maintenance database.
pub async fn create_postgres_database(url: &str) -> anyhow::Result<()> {
    let (mut server, name) = connect_postgres_server(url).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut server)
        .await
        .context("could not list the Postgres databases")?;
    if exists.is_none() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {}",
            quote_identifier(&name)
        )))
        .execute(&mut server)
        .await
        .with_context(|| format!("could not create the Postgres database {name}"))?;
        tracing::info!(database = %name, "created the Postgres database");
    }
    server.close().await.ok();
    Ok(())
}

/// Drops the Postgres database named in `url`, closing its connections (the tests use this).
pub async fn drop_postgres_database(url: &str) -> anyhow::Result<()> {
    let (mut server, name) = connect_postgres_server(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_identifier(&name)
    )))
    .execute(&mut server)
    .await
    .with_context(|| format!("could not drop the Postgres database {name}"))?;
    server.close().await.ok();
    Ok(())
}

/// Connects to the `postgres` database of the server in `url`; returns the database `url` names.
async fn connect_postgres_server(url: &str) -> anyhow::Result<(PgConnection, String)> {
    let options = PgConnectOptions::from_str(url).context("database.url is not a Postgres URL")?;
    let name = options
        .get_database()
        .context("database.url names no database")?
        .to_owned();
    let server = PgConnection::connect_with(&options.database("postgres"))
        .await
        .context("could not reach the Postgres server")?;
    Ok((server, name))
}

/// `my"db` → `"my""db"`: a name that SQL cannot mistake for anything else.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether `error` is a unique constraint's refusal: a value some other row has already.
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Whether `error` is a constraint's refusal of a write that was checked before: a unique value
/// taken, or a referenced row deleted, by another request in between.
pub fn is_conflict(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(
            sea_orm::SqlErr::UniqueConstraintViolation(_)
                | sea_orm::SqlErr::ForeignKeyConstraintViolation(_)
        )
    )
}

/// Whether a row of `E` other than `except` (a row's id) holds `value` in `column`: a value of a
/// unique column that is taken.
pub async fn is_taken<E>(
    db: &impl ConnectionTrait,
    column: E::Column,
    value: impl Into<sea_orm::Value>,
    except: Option<i64>,
) -> Result<bool, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{
        ColumnTrait as _, Iterable as _, PaginatorTrait as _, PrimaryKeyToColumn as _,
        QueryFilter as _,
    };

    let mut select = E::find().filter(column.eq(value));
    if let (Some(id), Some(key)) = (except, E::PrimaryKey::iter().next()) {
        select = select.filter(key.into_column().ne(id));
    }
    Ok(select.count(db).await? > 0)
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    on_a_connection_of_its_own(db, async |db| Migrator::up(db, None).await)
        .await
        .context("migrate up failed")
}

/// Reverts the last `steps` applied migrations.
pub async fn migrate_down(db: &DatabaseConnection, steps: u32) -> anyhow::Result<()> {
    on_a_connection_of_its_own(db, async |db| Migrator::down(db, Some(steps)).await)
        .await
        .context("migrate down failed")
}

/// Drops every table, then applies all migrations.
pub async fn migrate_fresh(db: &DatabaseConnection) -> anyhow::Result<()> {
    on_a_connection_of_its_own(db, async |db| Migrator::fresh(db).await)
        .await
        .context("migrate fresh failed")
}

/// Runs `migrate` on SQLite on a connection of its own, on Postgres as it is.
///
/// On SQLite, sea-orm runs a migration's statements one by one, outside a transaction, on
/// whichever pooled connection is free. A connection that has not yet read the schema another
/// changed refuses what depends on the change: `fresh` failed now and then with "index … already
/// exists" on a busy machine (2 runs in 36 of the tests; none in 90 once on one connection), and
/// dropping a column another connection had just added with "no such column" (1 test in 115).
async fn on_a_connection_of_its_own<T>(
    db: &DatabaseConnection,
    migrate: impl AsyncFnOnce(&DatabaseConnection) -> Result<T, sea_orm::DbErr>,
) -> anyhow::Result<T> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(migrate(db).await?);
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .context("could not open a connection for the migrations")?;
    let one_connection = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let result = migrate(&one_connection).await;
    one_connection.close().await.ok();
    Ok(result?)
}

/// Whether the database has every migration of this binary, for `/ready`
/// (`crate::routes::health`): a deploy may start the new version before `migrate up` ran. Once
/// they were all seen applied, the database is not asked again. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Migrations {
    all_applied: Arc<AtomicBool>,
}

impl Migrations {
    /// The migrations of this binary that the database lacks, by name.
    pub async fn pending(&self, db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
        if self.all_applied.load(Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let pending: Vec<String> = migration_status(db)
            .await?
            .into_iter()
            .filter(|(_, applied)| !applied)
            .map(|(name, _)| name)
            .collect();
        if pending.is_empty() {
            self.all_applied.store(true, Ordering::Relaxed);
        }
        Ok(pending)
    }
}

/// Every migration by name, oldest first, with `true` when it has been applied.
pub async fn migration_status(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, bool)>> {
    let migrations = Migrator::get_migration_with_status(db)
        .await
        .context("could not read the migration status")?;
    Ok(migrations
        .iter()
        .map(|m| (m.name().to_owned(), m.status() == MigrationStatus::Applied))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Backend::of_url("sqlite://data/app.db?mode=rwc").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("sqlite::memory:").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgres://localhost/app").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("postgresql://localhost/app").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::of_url("mysql://localhost/app").is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("app_test"), "\"app_test\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}

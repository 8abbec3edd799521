//! The migration crate's own command line (feature `cli`), used by `just new-migration NAME` to
//! write a new migration file. To apply migrations, use the app: `cargo run -- migrate up`.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}

//! `app user …`: accounts from the command line, for the first admin of a new deployment.

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Subcommand;
use secrecy::{ExposeSecret as _, SecretString};

use crate::{
    auth::{forms::email_address, password::Passwords},
    config::Config,
    db, models,
};

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create a confirmed account and print its random password (change it after signing in).
    Create {
        email: String,
        /// Give the account the admin role.
        #[arg(long)]
        admin: bool,
    },
}

pub async fn run(config: &Config, action: UserAction) -> anyhow::Result<()> {
    let UserAction::Create { email, admin } = action;
    let email = email_address(&email)
        .map_err(|problem| anyhow::anyhow!("{email:?} is not an email address: {problem}"))?;
    let password = {
        let mut bytes = [0_u8; 18];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
    };
    let password_hash = Passwords::new(&config.auth)?.hash(&password).await?;
    let db = db::connect(&config.database)
        .await
        .context("could not connect to the database")?;
    if config.database.migrate_on_start {
        db::migrate_up(&db).await?;
    }
    let created = models::user::create(
        &db,
        models::user::NewUser {
            email: email.clone(),
            password_hash,
            is_admin: admin,
            verified: true,
        },
    )
    .await;
    db.close().await.context("could not close the database")?;
    let user = match created {
        Ok(user) => user,
        Err(error) if db::is_unique_violation(&error) => {
            anyhow::bail!("an account with the email {email} exists already")
        }
        Err(error) => return Err(error).context("could not create the account"),
    };
    let role = if user.is_admin { "admin" } else { "user" };
    println!("created {role} {}", user.email);
    println!("password: {}", password.expose_secret());
    Ok(())
}

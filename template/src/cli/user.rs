//! `app user …`: accounts from the command line, for the first admin of a new deployment.

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Subcommand;
use secrecy::{ExposeSecret as _, SecretString};

use crate::{
    auth::{forms::email_address, password::Passwords, two_factor},
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
    /// Turn two-factor sign-in off for an account whose owner lost both their authenticator app
    /// and their recovery codes (after checking it is them), or after `secret_key` changed.
    TwoFactorOff { email: String },
}

pub async fn run(config: &Config, action: UserAction) -> anyhow::Result<()> {
    match action {
        UserAction::Create { email, admin } => create(config, &email, admin).await,
        UserAction::TwoFactorOff { email } => two_factor_off(config, &email).await,
    }
}

async fn create(config: &Config, email: &str, admin: bool) -> anyhow::Result<()> {
    let email = email_address(email)
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

async fn two_factor_off(config: &Config, email: &str) -> anyhow::Result<()> {
    let db = db::connect(&config.database)
        .await
        .context("could not connect to the database")?;
    let user = models::user::find_by_email(&db, email)
        .await?
        .with_context(|| format!("no account has the email {email}"))?;
    let was_on = two_factor::is_on(&db, user.id).await?;
    two_factor::disable(&db, user.id).await?;
    db.close().await.context("could not close the database")?;
    if was_on {
        println!(
            "two-factor sign-in is off for {} (authenticator app, passkeys and recovery codes \
             removed): their password alone signs them in",
            user.email
        );
    } else {
        println!("two-factor sign-in was not on for {}", user.email);
    }
    Ok(())
}

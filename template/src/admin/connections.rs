//! Which other providers sign in to a user's account (see `crate::auth::oauth`): a detail of the
//! `users` resource.

use tenshu_admin::ActionFuture;

use crate::{app::AppState, error::AppError, models::identity, views::components::value::day};

/// "GitHub (octocat@example.com), connected 4 December 2026, last used …", one per provider.
pub fn connected_accounts(app: &AppState, id: i64) -> ActionFuture<'_, AppError> {
    Box::pin(async move {
        let identities = identity::of_user(&app.db, id).await?;
        if identities.is_empty() {
            return Ok("None".to_owned());
        }
        let described = identities
            .into_iter()
            .map(|identity| {
                let mut text = app.oauth.label_of(&identity.provider).to_owned();
                if let Some(email) = &identity.email {
                    text.push_str(&format!(" ({email})"));
                }
                text.push_str(&format!(", connected {}", day(identity.created_at)));
                if let Some(used) = identity.last_used_at {
                    text.push_str(&format!(", last used {}", day(used)));
                }
                text
            })
            .collect::<Vec<_>>();
        Ok(described.join("; "))
    })
}

//! Probes for load balancers, orchestrators and uptime checks.
//!
//! - `/health` answers while the process runs (liveness): restart the app if it stops answering.
//! - `/ready` answers 200 only when the database does and has every migration of this version
//!   (readiness): send no traffic until it does. Before `migrate up`, it answers 503.

use std::time::Duration;

use anyhow::Context as _;
use axum::{Json, extract::State};
use serde::Serialize;

use super::Routes;
use crate::{app::AppState, error::AppError, paths};

pub fn routes() -> Routes<AppState> {
    Routes::new().get(health).get(ready)
}

#[derive(Debug, Serialize)]
struct Status {
    status: &'static str,
}

async fn health(_: paths::Health) -> Json<Status> {
    Json(Status { status: "ok" })
}

/// A probe must answer quickly even when every pooled connection is busy.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

async fn ready(_: paths::Ready, State(app): State<AppState>) -> Result<Json<Status>, AppError> {
    tokio::time::timeout(PING_TIMEOUT, app.db.ping())
        .await
        .context("the database did not answer in time")
        .and_then(|pinged| pinged.context("the database does not answer"))
        .map_err(AppError::Unavailable)?;
    let pending = app
        .migrations
        .pending(&app.db)
        .await
        .map_err(AppError::Unavailable)?;
    if !pending.is_empty() {
        return Err(AppError::Unavailable(anyhow::anyhow!(
            "{} migration(s) pending: run `migrate up`",
            pending.len()
        )));
    }
    Ok(Json(Status { status: "ready" }))
}

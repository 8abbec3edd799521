//! Graceful shutdown over a real socket: in-flight requests finish, new connections are refused,
//! and the wait is bounded.

use std::time::Duration;

use axum::{Router, routing::get};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

use crate::app::server;
use crate::helpers::raw_request;

/// A router whose only route answers after `delay`.
fn slow_router(delay: Duration) -> Router {
    Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(delay).await;
            "finished"
        }),
    )
}

/// `GET path` on a new connection to `address`; the whole response.
async fn request(address: std::net::SocketAddr, path: &str) -> String {
    let stream = TcpStream::connect(address).await.unwrap();
    raw_request(stream, "GET", path, "test").await
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_then_refuses_new_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(
        listener,
        slow_router(Duration::from_millis(500)),
        async move {
            stopped.await.ok();
        },
        Duration::from_secs(5),
    ));

    let in_flight = tokio::spawn(request(address, "/slow"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();

    let response = in_flight.await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("finished"), "{response}");
    let finished_in_time = serving.await.unwrap().unwrap();
    assert!(finished_in_time);
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn shutdown_stops_waiting_after_the_grace_period() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(
        listener,
        slow_router(Duration::from_secs(30)),
        async move {
            stopped.await.ok();
        },
        Duration::from_millis(200),
    ));

    let _stuck = tokio::spawn(request(address, "/slow"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();

    let outcome = tokio::time::timeout(Duration::from_secs(5), serving).await;
    let finished_in_time = outcome
        .expect("serve returns soon after the grace period")
        .unwrap()
        .unwrap();
    assert!(!finished_in_time, "the stuck request was cut off");
}

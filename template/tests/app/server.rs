//! Graceful shutdown over a real socket: in-flight requests finish, new connections are refused,
//! and the wait is bounded.

use std::time::Duration;

use axum::{Router, routing::get};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

use crate::app::server;

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

/// Sends a raw HTTP/1.1 request and returns the whole response as text.
async fn request(address: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
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

    let response = in_flight.await.unwrap().unwrap();
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

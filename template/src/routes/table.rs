//! [`Routes`]: an axum router that remembers what it serves, so `app routes` can print the table
//! and tests can walk it. Routes are added by path type, which ties each handler to its URL at
//! compile time.

use std::{any::type_name, convert::Infallible, fmt};

use axum::{Router, extract::Request, handler::Handler, response::IntoResponse, routing::Route};
use axum_extra::routing::{RouterExt as _, SecondElementIs, TypedPath};
use tower::{Layer, Service};

/// One line of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    /// The handler function, such as `routes::pages::about`.
    pub handler: String,
}

/// Every route of the app, printable as a table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable(pub Vec<RouteInfo>);

impl RouteTable {
    /// Each route's method and path pattern.
    pub fn methods_and_paths(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().map(|route| (route.method, route.path))
    }
}

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.0.iter().map(|r| r.path.len()).max().unwrap_or(0);
        for route in &self.0 {
            writeln!(
                f,
                "{:<6} {:<width$}  {}",
                route.method, route.path, route.handler
            )?;
        }
        Ok(())
    }
}

/// A router plus its table of routes.
#[derive(Debug)]
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<RouteInfo>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// `GET` (and `HEAD`) on the handler's path type `P`, its first argument.
    pub fn get<H, T, P>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: SecondElementIs<P> + 'static,
        P: TypedPath,
    {
        self.record::<H, P>("GET");
        self.router = self.router.typed_get(handler);
        self
    }

    /// `POST` on the handler's path type `P`, its first argument.
    pub fn post<H, T, P>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: SecondElementIs<P> + 'static,
        P: TypedPath,
    {
        self.record::<H, P>("POST");
        self.router = self.router.typed_post(handler);
        self
    }

    /// Serves everything under `prefix` with `service`, listed as one line (static files).
    pub fn nest_service<T>(mut self, prefix: &'static str, description: &str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        self.table.push(RouteInfo {
            method: "GET",
            path: prefix,
            handler: description.to_owned(),
        });
        self.router = self.router.nest_service(prefix, service);
        self
    }

    /// Adds another group's routes.
    pub fn merge(mut self, other: Self) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    /// Wraps the routes added so far (and only those) in a middleware layer.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// Like [`Routes::layer`], but the middleware runs only for requests whose path matches a
    /// route: an unknown path gets its plain 404. (A wrong method on a known path still passes
    /// through it: axum routes the 405 inside the path's own service.)
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.route_layer(layer);
        self
    }

    /// What answers a request that no route matches; layers added after it wrap it too.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    /// The table of the routes added so far.
    pub fn table(&self) -> RouteTable {
        RouteTable(self.table.clone())
    }

    pub fn into_parts(self) -> (Router<S>, RouteTable) {
        (self.router, RouteTable(self.table))
    }

    fn record<H, P: TypedPath>(&mut self, method: &'static str) {
        // `my_app::routes::pages::about` → `routes::pages::about`
        let name = type_name::<H>();
        let handler = name.split_once("::").map_or(name, |(_, rest)| rest);
        self.table.push(RouteInfo {
            method,
            path: P::PATH,
            handler: handler.to_owned(),
        });
    }
}

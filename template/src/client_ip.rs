//! The client's IP address, which rate limits count by: the connection's peer, or, when that
//! peer is a trusted reverse proxy, the address the proxy reports.
//!
//! Behind a proxy every connection comes from the proxy. Set `server.client_ip_header` to the
//! header it writes (`x-forwarded-for`, `x-real-ip`) and `server.trusted_proxies` to its addresses:
//! - the header is read only on connections from those addresses, so a client reaching the app
//!   directly cannot choose the address it is counted as;
//! - in `X-Forwarded-For`, where each hop appends the address it saw, the client is the last
//!   address that is not a trusted proxy: whatever the client wrote further left is ignored.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{HeaderMap, HeaderName, request::Parts},
};
use ipnet::IpNet;

/// The client's IP address (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Which peers are reverse proxies whose word on the client's address is taken, and where they
/// write it. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Proxies>);

#[derive(Debug, Default)]
struct Proxies {
    header: Option<HeaderName>,
    networks: Vec<IpNet>,
}

impl TrustedProxies {
    /// From `server.client_ip_header` (empty: none) and `server.trusted_proxies`.
    pub fn new(header: &str, networks: &[IpNet]) -> anyhow::Result<Self> {
        let header = if header.is_empty() {
            None
        } else {
            Some(HeaderName::try_from(header).map_err(|_| {
                anyhow::anyhow!("server.client_ip_header {header:?} is not a header name")
            })?)
        };
        Ok(Self(Arc::new(Proxies {
            header,
            networks: networks.to_vec(),
        })))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.networks.iter().any(|network| network.contains(&ip))
    }

    /// The client behind a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        let Some(header) = &self.0.header else {
            return peer;
        };
        if !self.trusts(peer) {
            return peer;
        }
        // Every line of the header, in order, then each line's hops: the nearest hop is last.
        let hops: Vec<&str> = headers
            .get_all(header)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            // A hop that is not an address ends the walk at the last proxy that wrote one.
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })?;
    Some(ip.to_canonical())
}

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        Ok(Self(match peer {
            Some(peer) => TrustedProxies::from_ref(state).client(peer, &parts.headers),
            // A request built in a test, without a connection: all such count as one client.
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    /// A load balancer at 10.0.0.5, in front of a proxy network 10.1.0.0/16.
    fn behind_proxies() -> TrustedProxies {
        let networks = [
            "10.0.0.5/32".parse().unwrap(),
            "10.1.0.0/16".parse().unwrap(),
        ];
        TrustedProxies::new("x-forwarded-for", &networks).unwrap()
    }

    #[test]
    fn without_a_header_setting_the_peer_is_the_client() {
        let direct = TrustedProxies::new("", &["10.0.0.5/32".parse().unwrap()]).unwrap();

        let client = direct.client(ip("10.0.0.5"), &forwarded(&["198.51.100.1"]));

        assert_eq!(client, ip("10.0.0.5"));
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address() {
        let client = behind_proxies().client(ip("203.0.113.9"), &forwarded(&["198.51.100.1"]));

        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn the_client_is_the_last_address_that_is_not_a_trusted_proxy() {
        // The client wrote 1.2.3.4 itself; the load balancer appended what it saw, then a proxy.
        let headers = forwarded(&["1.2.3.4, 198.51.100.1", "10.1.2.3"]);

        let client = behind_proxies().client(ip("10.0.0.5"), &headers);

        assert_eq!(client, ip("198.51.100.1"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_read() {
        let proxies = behind_proxies();
        let client = |hop: &str| proxies.client(ip("::ffff:10.0.0.5"), &forwarded(&[hop]));

        assert_eq!(client("198.51.100.1:4711"), ip("198.51.100.1"));
        assert_eq!(client("[2001:db8::7]:4711"), ip("2001:db8::7"));
        assert_eq!(client(" 2001:db8::7 "), ip("2001:db8::7"));
        assert_eq!(client("::ffff:198.51.100.1"), ip("198.51.100.1"));
    }

    #[test]
    fn garbage_in_the_header_leaves_the_nearest_proxy_as_the_client() {
        let client = behind_proxies().client(ip("10.0.0.5"), &forwarded(&["unknown"]));

        assert_eq!(client, ip("10.0.0.5"));
    }

    #[test]
    fn only_trusted_proxies_in_the_header_means_the_first_of_them() {
        let client = behind_proxies().client(ip("10.0.0.5"), &forwarded(&["10.1.0.1, 10.1.0.2"]));

        assert_eq!(client, ip("10.1.0.1"));
    }
}

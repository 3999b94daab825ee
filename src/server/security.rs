//! The guard in front of every route. The API starts processes, so: a `Host`
//! that is not a loopback name is refused (DNS rebinding), a state-changing
//! request from a foreign `Origin` is refused (CSRF), and when the server is
//! reachable from other machines every request needs the token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

const COOKIE: &str = "devloop_token";

#[derive(Debug, Clone)]
pub struct Guard {
    pub port: u16,
    /// Required on every request when set (non-loopback binds).
    pub token: Option<String>,
}

const LOOPBACK_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "::1", "[::1]"];

pub fn is_loopback_host(host: &str) -> bool {
    // `localhost.` is the same name, fully qualified.
    let host = host.strip_suffix('.').unwrap_or(host);
    LOOPBACK_NAMES.contains(&host)
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Splits `host[:port]` (including `[::1]:port`) into its parts.
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim().to_ascii_lowercase();
    let port = |p: &str| -> Option<Option<u16>> {
        match p {
            "" => Some(None),
            p => p.strip_prefix(':')?.parse().ok().map(Some),
        }
    };
    if let Some(rest) = value.strip_prefix('[') {
        let (h, tail) = rest.split_once(']')?;
        return Some((h.to_string(), port(tail)?));
    }
    let (h, p) = match value.find(':') {
        Some(i) => (&value[..i], port(&value[i..])?),
        None => (value.as_str(), None),
    };
    // A name or an IPv4 address, nothing that only starts like one.
    let plain = !h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    plain.then(|| (h.to_string(), p))
}

impl Guard {
    fn check(
        &self,
        method: &Method,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
    ) -> Result<bool, ApiError> {
        let forbidden = |m: &str| Err(ApiError::Forbidden(m.to_string()));
        let query_token = uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(str::to_string)
        });
        if let Some(token) = &self.token {
            let bearer = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let cookie = headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|kv| kv.trim().strip_prefix("devloop_token="));
            let given = [bearer, cookie, query_token.as_deref()];
            if !given
                .iter()
                .flatten()
                .any(|t| constant_time_eq(t.as_bytes(), token.as_bytes()))
            {
                return forbidden("a valid token is required: open the URL with ?token=... printed by `devloop serve`");
            }
        } else {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let loopback = split_host(host).is_some_and(|(name, _)| is_loopback_host(&name));
            if !loopback {
                return forbidden(
                    "requests must use a loopback host name (127.0.0.1 or localhost)",
                );
            }
        }
        let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
                // Only http: the page is served over plain HTTP.
                let authority = origin.strip_prefix("http://").unwrap_or("");
                let (name, port) = split_host(authority).unwrap_or_default();
                let host_header = headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let same_as_host = authority.eq_ignore_ascii_case(host_header);
                let local = is_loopback_host(&name) && port == Some(self.port);
                if !(same_as_host || local) {
                    return forbidden("cross-origin requests may not change anything");
                }
            }
            if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
                return forbidden("cross-site requests may not change anything");
            }
        }
        Ok(self.token.is_some() && query_token.is_some())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    match guard.check(req.method(), req.uri(), req.headers()) {
        Err(e) => {
            let mut resp = e.into_response();
            // A client that is refused gets no kept-alive connection to hold.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
        Ok(set_cookie) => {
            let mut resp = next.run(req).await;
            if set_cookie {
                if let Some(token) = &guard.token {
                    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
                    if let Ok(v) = HeaderValue::from_str(&cookie) {
                        resp.headers_mut().append(header::SET_COOKIE, v);
                    }
                }
            }
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_split_from_ports() {
        assert_eq!(
            split_host("127.0.0.1:8765"),
            Some(("127.0.0.1".into(), Some(8765)))
        );
        assert_eq!(split_host("[::1]:80"), Some(("::1".into(), Some(80))));
        assert_eq!(split_host("LocalHost"), Some(("localhost".into(), None)));
        for bad in [
            "127.0.0.1:80@evil.example",
            "localhost:80.evil.example",
            "localhost:notaport",
            "a/b",
            ":80",
            "[::1]x",
        ] {
            assert_eq!(split_host(bad), None, "{bad}");
        }
        assert!(!is_loopback_host("evil.com"));
        assert!(!is_loopback_host("127.0.0.1.evil.com"));
        assert!(is_loopback_host("127.0.0.2"));
        assert!(is_loopback_host("localhost."));
        assert!(!is_loopback_host("evil.com."));
    }
}

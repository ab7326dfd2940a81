//! A minimal HTTP/1.1 client for the pushes: one `POST` per connection over plain TCP,
//! the answer read to the end. A push needs no more than that, and the engine has no
//! HTTP client among its dependencies.

use std::io;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

/// How long a request may take, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Where requests go: an `http://` base URL, split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The host to connect to (an IPv6 address without brackets).
    host: String,
    port: u16,
    /// The `Host` header.
    authority: String,
    /// The base URL's path without its trailing `/`, put before every request's path.
    prefix: String,
}

impl Endpoint {
    /// Reads a base URL such as `http://127.0.0.1:8080` or `http://host/skillbrain/`.
    pub(crate) fn parse(base_url: &str) -> anyhow::Result<Endpoint> {
        let url = Url::parse(base_url).with_context(|| format!("bad base URL '{base_url}'"))?;
        anyhow::ensure!(
            url.scheme() == "http",
            "bad base URL '{base_url}': only http:// is supported"
        );
        let host = match url.host() {
            Some(Host::Ipv6(addr)) => addr.to_string(),
            Some(host) => host.to_string(),
            None => anyhow::bail!("bad base URL '{base_url}': no host"),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let shown = url.host_str().unwrap_or_default();
        let authority = match url.port() {
            Some(port) => format!("{shown}:{port}"),
            None => shown.to_owned(),
        };
        let prefix = url.path().trim_end_matches('/').to_owned();
        Ok(Endpoint {
            host,
            port,
            authority,
            prefix,
        })
    }

    /// The full URL of `path`, for messages.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}{path}", self.authority, self.prefix)
    }
}

/// An answer: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// Sends `body` to `path` (below the endpoint's prefix) and reads the answer.
pub(crate) async fn post(
    endpoint: &Endpoint,
    path: &str,
    content_type: &str,
    token: Option<&str>,
    body: &[u8],
) -> io::Result<Answer> {
    let exchange = async {
        let mut stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
        stream.set_nodelay(true)?;
        let mut head = format!(
            "POST {}{path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nAccept: application/json\r\nConnection: close\r\n\
             User-Agent: skillbrain-simulate\r\n",
            endpoint.prefix,
            endpoint.authority,
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        stream.flush().await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse_answer(&raw)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))?
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("bad HTTP answer: {what}"),
    )
}

/// Reads a whole HTTP/1.1 answer: the status line, the headers, and the body as
/// `Content-Length` or chunked transfer coding delimits it (else up to the end).
pub(crate) fn parse_answer(raw: &[u8]) -> io::Result<Answer> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| invalid("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| invalid("no status line"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| invalid("Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or_else(|| invalid("body shorter than Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Answer { status, body })
}

/// Decodes a chunked body (trailers ignored).
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("unterminated chunk size"))?;
        let line = std::str::from_utf8(&rest[..eol]).map_err(|_| invalid("chunk size"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid("chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or_else(|| invalid("short chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or_else(|| invalid("short chunk"))?;
    }
}

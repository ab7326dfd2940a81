//! The client's reading of base URLs and answers.

use crate::cli::simulate::client::{Endpoint, parse_answer};

#[test]
fn answers_are_read_with_a_length_or_in_chunks() {
    let plain = parse_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
    assert_eq!((plain.status, plain.body.as_slice()), (200, &b"{}"[..]));
    let chunked =
        b"HTTP/1.1 413 Payload Too Large\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
    let chunked = parse_answer(chunked).unwrap();
    assert_eq!(
        (chunked.status, chunked.body.as_slice()),
        (413, &b"abcde"[..])
    );
    assert!(parse_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}").is_err());
    assert!(parse_answer(b"garbage").is_err());
}

#[test]
fn base_urls_are_http_with_an_optional_path() {
    let e = Endpoint::parse("http://127.0.0.1:8080/").unwrap();
    assert_eq!(e.url("/v1/x"), "http://127.0.0.1:8080/v1/x");
    let e = Endpoint::parse("http://[::1]:9/api/").unwrap();
    assert_eq!(e.url("/v1/x"), "http://[::1]:9/api/v1/x");
    assert!(Endpoint::parse("https://example.org").is_err());
    assert!(Endpoint::parse("not a url").is_err());
}

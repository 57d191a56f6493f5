//! Security headers on every answer: no sniffing of content types, no framing (the
//! consent page must not be clickjacked), no referrer to other sites (OAuth codes and
//! `next` live in URLs), a content security policy that loads nothing from other
//! origins, and HSTS when Kho is served on https. A handler that sets one of them keeps
//! its own.
//!
//! The referrer policy is `same-origin`, not `no-referrer`: under `no-referrer` browsers
//! send `Origin: null` with a form's POST, and the sign-in and consent forms' same-origin
//! check (their CSRF defence) would refuse them. `same-origin` sends nothing to other
//! sites either.
//!
//! The pages still carry inline scripts and styles, so the policy allows
//! `'unsafe-inline'` for them; it names no other origin and forbids plugins and framing.
//! It has no `form-action`: browsers apply it to the redirect after a post too, and the
//! consent form's answer is a redirect to the requester's registered URI.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The content security policy of every answer.
pub const CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'";

/// Add the headers to every answer of `router`; HSTS only when `https`.
pub fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ];
    let mut router = router;
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router
}

//! Server-rendered pages (DESIGN.md §7): one layout for every page, Vietnamese by
//! default with an English switch (`?lang=en`), usable at phone width and by keyboard,
//! plain JavaScript only where it helps.
//!
//! | module | pages |
//! |---|---|
//! | [`verify`] | `GET /verify` (an officer checks a signed PDF), `GET /verify/qr` (a printout's QR code) |

pub mod verify;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn from_query(q: Option<&str>) -> Lang {
        if q == Some("en") { Lang::En } else { Lang::Vi }
    }

    /// The Vietnamese or the English text.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The shared layout: header with the site name and the language switch, main content.
pub fn layout(lang: Lang, path: &str, title: &str, body: &str) -> String {
    let (code, other, other_label) = match lang {
        Lang::Vi => ("vi", "en", "English"),
        Lang::En => ("en", "vi", "Tiếng Việt"),
    };
    format!(
        r#"<!doctype html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} · Kho</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:0 1rem;line-height:1.45}}
header{{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #ccc}}
nav a{{margin-left:1rem}}
.good{{color:#0a6b2d;font-weight:bold}} .bad{{color:#a4161a;font-weight:bold}}
th{{text-align:left;padding-right:1rem;vertical-align:top}}
button,input{{font-size:1rem;margin:.25rem 0}}
a:focus,button:focus,input:focus{{outline:3px solid #1d4ed8}}
</style>
</head>
<body>
<header><h1>Kho — {t}</h1><nav><a href="{path}?lang={other}" lang="{other}">{other_label}</a></nav></header>
<main>
{body}
</main>
</body>
</html>"#,
        t = esc(title)
    )
}

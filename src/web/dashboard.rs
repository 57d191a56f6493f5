//! The dashboards: `GET /staff` (the agency's day: pages and documents filed today,
//! held for review and since when, failed, waiting, and pages filed per hour over the
//! last day as a small server-drawn SVG chart), and the same for every agency at the
//! top of `/admin`, with the vault's size and the signing certificates' expiry dates.
//! "Today" is Vietnam's calendar day (UTC+7).

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};

use super::{Lang, LangQuery, MaybeSession, ms_to_time, page, render, signed_in};
use crate::app::App;
use crate::db::dashboard::{self, Figures, HOURS, Scope};

const HOUR_MS: i64 = 3_600_000;
const VIETNAM_MS: i64 = 7 * HOUR_MS;

/// The start of today in Vietnam, as Unix ms.
pub fn start_of_today(now: i64) -> i64 {
    (now + VIETNAM_MS).div_euclid(24 * HOUR_MS) * 24 * HOUR_MS - VIETNAM_MS
}

/// The figures of `scope` for today, now.
pub async fn today(app: &App, scope: Scope<'_>) -> Result<Figures, crate::db::DbError> {
    let now = crate::db::now_ms();
    dashboard::figures(&app.db, scope, start_of_today(now), now).await
}

/// One figure: its element id, label, value, and since when it waits (held documents).
struct Tile {
    id: &'static str,
    label: &'static str,
    value: i64,
    since: Option<String>,
}

/// Pages per hour as bars, oldest on the left, every sixth hour labelled in Vietnam's
/// time; each bar names its hour and count (a tooltip, and for screen readers).
struct Chart {
    width: i64,
    height: i64,
    base: i64,
    most: i64,
    summary: String,
    bars: Vec<Bar>,
}

struct Bar {
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    label: String,
    /// The hour written under the bar, every sixth bar.
    tick: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "parts/figures.html")]
struct FiguresPart {
    l: Lang,
    tiles: Vec<Tile>,
    chart: Chart,
}

/// The figures as a list of tiles, then the chart.
pub fn figures_section(l: Lang, f: &Figures, now: i64) -> String {
    let tile = |id, label, value, since| Tile {
        id,
        label,
        value,
        since,
    };
    let tiles = vec![
        tile(
            "pages-today",
            l.t("Trang đã lưu hôm nay", "Pages filed today"),
            f.pages,
            None,
        ),
        tile(
            "documents-today",
            l.t("Văn bản đã lưu hôm nay", "Documents filed today"),
            f.documents,
            None,
        ),
        tile(
            "held",
            l.t("Đang chờ duyệt", "Held for review"),
            f.held,
            f.oldest_held_at.map(ms_to_time),
        ),
        tile(
            "failed-today",
            l.t("Lỗi hôm nay", "Failed today"),
            f.failed,
            None,
        ),
        tile(
            "queued",
            l.t("Đang chờ xử lý", "Waiting for a worker"),
            f.queued,
            None,
        ),
        tile(
            "running",
            l.t("Đang xử lý", "Being processed"),
            f.running,
            None,
        ),
    ];
    render(&FiguresPart {
        l,
        tiles,
        chart: chart(l, &f.pages_per_hour, now),
    })
}

fn chart(l: Lang, per_hour: &[i64], now: i64) -> Chart {
    let (width, height, bar, top, base) = (480, 140, 20, 14, 116);
    let most = per_hour.iter().copied().max().unwrap_or(0).max(1);
    let first = now - HOURS as i64 * HOUR_MS;
    let bars = per_hour
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let tall = n * (base - top) / most;
            let at = first + i as i64 * HOUR_MS;
            let hour = ((at + VIETNAM_MS).div_euclid(HOUR_MS)).rem_euclid(24);
            Bar {
                x: i as i64 * bar + 2,
                y: base - tall,
                width: bar - 4,
                height: tall,
                label: match l {
                    Lang::Vi => format!("{hour:02}:00 — {n} trang"),
                    Lang::En => format!("{hour:02}:00 — {n} pages"),
                },
                tick: (i % 6 == 0).then_some(hour),
            }
        })
        .collect();
    let total: i64 = per_hour.iter().sum();
    let summary = match l {
        Lang::Vi => {
            format!("Biểu đồ: {total} trang trong 24 giờ qua, nhiều nhất {most} trang một giờ")
        }
        Lang::En => format!("Chart: {total} pages in the last 24 hours, at most {most} in an hour"),
    };
    Chart {
        width,
        height,
        base,
        most,
        summary,
        bars,
    }
}

#[derive(askama::Template)]
#[template(path = "pages/staff_home.html")]
struct StaffHome {
    l: Lang,
    figures: String,
    batches: Vec<dashboard::BatchProgress>,
}

/// A signing certificate in use and when it expires.
struct Expiry {
    whose: String,
    ends: i64,
    /// Within 90 days.
    soon: bool,
}

#[derive(askama::Template)]
#[template(path = "parts/admin_overview.html")]
struct AdminOverview {
    l: Lang,
    figures: String,
    busy: i64,
    scans: String,
    pdfs: String,
    keys: Vec<Expiry>,
}

/// `GET /staff`: the agency's day at a glance.
#[utoipa::path(get, path = "/staff", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML: the agency's figures for today and pages filed per hour", content_type = "text/html"),
              (status = 303, description = "not signed in: to /login"),
              (status = 403, description = "not records staff", content_type = "text/html")))]
pub async fn staff_home(
    State(app): State<App>,
    MaybeSession(s): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Result<Response, Response> {
    let l = Lang::from_query(q.lang.as_deref());
    let (s, agency) = signed_in(l, s, "/staff", super::staff::staff)?;
    let f = today(&app, Scope::Agency(&agency))
        .await
        .map_err(super::unavailable(l, &s))?;
    let recent = dashboard::batches(&app.db, &agency, 10)
        .await
        .map_err(super::unavailable(l, &s))?;
    let body = render(&StaffHome {
        l,
        figures: figures_section(l, &f, crate::db::now_ms()),
        batches: recent,
    });
    Ok(Html(page(
        l,
        "/staff",
        l.t("Tổng quan hôm nay", "Today at a glance"),
        &body,
        Some(&s),
    ))
    .into_response())
}

/// The top of `/admin`: every agency's day, the workers holding a job, the vault's
/// size, and when each signing certificate in use expires (soonest first).
pub async fn admin_overview(app: &App, l: Lang) -> anyhow::Result<String> {
    let now = crate::db::now_ms();
    let f = today(app, Scope::All).await?;
    let busy = dashboard::busy_workers(&app.db, now).await?;
    let (scans, pdfs) = dashboard::stored_bytes(&app.db).await?;
    let mut keys: Vec<Expiry> = Vec::new();
    for k in app.keys.list().await? {
        if k.retired_at.is_some() || k.revoked_at.is_some() {
            continue;
        }
        let Ok(cert) = crate::signing::certs::from_pem(&k.certificate_pem) else {
            continue;
        };
        let ends = cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_unix_duration()
            .as_secs() as i64;
        let whose = match (&k.agency, k.kind.as_str()) {
            (_, "root") => l.t("Gốc tin cậy của Kho", "Kho's root").to_owned(),
            (_, "tsa") => l.t("Dịch vụ dấu thời gian", "Timestamp service").to_owned(),
            (Some(a), "agency") => format!("{} — {a}", l.t("Con dấu", "Seal")),
            (Some(a), "office") => {
                format!("{} — {a}", l.t("Bộ phận số hóa", "Digitization office"))
            }
            _ => k.name.clone(),
        };
        keys.push(Expiry {
            whose,
            ends,
            soon: ends * 1000 - now < 90 * 24 * HOUR_MS,
        });
    }
    keys.sort_by_key(|k| k.ends);
    let mb = |b: i64| format!("{:.1} MB", b as f64 / 1_000_000.0);
    Ok(render(&AdminOverview {
        l,
        figures: figures_section(l, &f, now),
        busy,
        scans: mb(scans),
        pdfs: mb(pdfs),
        keys,
    }))
}

//! The dashboards: `GET /staff` (the agency's day: pages and documents filed today,
//! held for review and since when, failed, waiting, and pages filed per hour over the
//! last day as a small server-drawn SVG chart), and the same for every agency at the
//! top of `/admin`, with the vault's size and the signing certificates' expiry dates.
//! "Today" is Vietnam's calendar day (UTC+7).

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};

use super::{Lang, LangQuery, MaybeSession, esc, lang_q, ms_to_time, page, signed_in};
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

/// The figures as a list of tiles, then the chart.
pub fn figures_section(l: Lang, f: &Figures, now: i64) -> String {
    let oldest = f
        .oldest_held_at
        .map(|at| {
            format!(
                "<small>{} {}</small>",
                l.t("chờ từ", "waiting since"),
                ms_to_time(at)
            )
        })
        .unwrap_or_default();
    let tiles: String = [
        (
            "pages-today",
            l.t("Trang đã lưu hôm nay", "Pages filed today"),
            f.pages,
            "",
        ),
        (
            "documents-today",
            l.t("Văn bản đã lưu hôm nay", "Documents filed today"),
            f.documents,
            "",
        ),
        ("held", l.t("Đang chờ duyệt", "Held for review"), f.held, &oldest),
        ("failed-today", l.t("Lỗi hôm nay", "Failed today"), f.failed, ""),
        ("queued", l.t("Đang chờ xử lý", "Waiting for a worker"), f.queued, ""),
        ("running", l.t("Đang xử lý", "Being processed"), f.running, ""),
    ]
    .iter()
    .map(|(id, label, value, extra)| {
        format!(
            r#"<div class="tile" id="{id}"><dt>{}</dt><dd><strong>{value}</strong>{extra}</dd></div>"#,
            esc(label)
        )
    })
    .collect();
    format!(
        r#"<dl class="tiles">{tiles}</dl>
<h2>{chart_h}</h2>
{chart}"#,
        chart_h = l.t(
            "Số trang đã lưu mỗi giờ, 24 giờ qua",
            "Pages filed per hour, last 24 hours"
        ),
        chart = chart(l, &f.pages_per_hour, now),
    )
}

/// Pages per hour as bars, oldest on the left, every sixth hour labelled in Vietnam's
/// time; each bar names its hour and count (a tooltip, and for screen readers).
fn chart(l: Lang, per_hour: &[i64], now: i64) -> String {
    let (w, h, bar, top, base) = (480, 140, 20, 14, 116);
    let most = per_hour.iter().copied().max().unwrap_or(0).max(1);
    let first = now - HOURS as i64 * HOUR_MS;
    let mut bars = String::new();
    for (i, n) in per_hour.iter().enumerate() {
        let x = i as i64 * bar;
        let height = n * (base - top) / most;
        let at = first + i as i64 * HOUR_MS;
        let hour = ((at + VIETNAM_MS).div_euclid(HOUR_MS)).rem_euclid(24);
        let label = match l {
            Lang::Vi => format!("{hour:02}:00 — {n} trang"),
            Lang::En => format!("{hour:02}:00 — {n} pages"),
        };
        bars.push_str(&format!(
            r#"<rect x="{}" y="{}" width="{}" height="{height}" class="bar"><title>{label}</title></rect>"#,
            x + 2,
            base - height,
            bar - 4,
        ));
        if i % 6 == 0 {
            bars.push_str(&format!(
                r#"<text x="{}" y="{}" class="axis">{hour:02}h</text>"#,
                x + 2,
                h - 8
            ));
        }
    }
    let total: i64 = per_hour.iter().sum();
    let summary = match l {
        Lang::Vi => {
            format!("Biểu đồ: {total} trang trong 24 giờ qua, nhiều nhất {most} trang một giờ")
        }
        Lang::En => format!("Chart: {total} pages in the last 24 hours, at most {most} in an hour"),
    };
    format!(
        r#"<svg id="pages-per-hour" class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{summary}"><line x1="0" y1="{base}" x2="{w}" y2="{base}" class="axis-line"/><text x="{w}" y="10" text-anchor="end" class="axis">{most}</text>{bars}</svg>"#,
        summary = esc(&summary),
    )
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
    let rows: String = recent
        .iter()
        .map(|b| {
            let ended = b.documents - b.waiting;
            format!(
                r#"<tr data-batch-id="{id}"><td><a href="/staff/batches/{id}{q}">{name}</a></td><td>{when}</td><td><progress value="{ended}" max="{max}" aria-label="{name}"></progress> {ended}/{docs}</td><td>{filed}</td><td>{held}</td><td>{failed}</td></tr>"#,
                id = esc(&b.id),
                q = lang_q(l),
                name = esc(&b.name),
                when = ms_to_time(b.created_at),
                max = b.documents.max(1),
                docs = b.documents,
                filed = b.filed,
                held = b.held,
                failed = b.failed,
            )
        })
        .collect();
    let batches = super::or_empty(
        &rows,
        format!(
            r#"<div class="scroll" tabindex="0"><table id="recent-batches"><thead><tr><th>{name_h}</th><th>{when_h}</th><th>{progress_h}</th><th>{filed_h}</th><th>{held_h}</th><th>{failed_h}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
            name_h = l.t("Lô", "Batch"),
            when_h = l.t("Tạo lúc", "Created"),
            progress_h = l.t("Tiến độ", "Progress"),
            filed_h = l.t("Đã lưu", "Filed"),
            held_h = l.t("Chờ duyệt", "Held"),
            failed_h = l.t("Lỗi, bị từ chối", "Failed, refused"),
        ),
        l.t(
            "Chưa có lô nào: tải lên hộp hồ sơ đầu tiên bằng nút ở trên.",
            "No batches yet: upload the first box with the button above.",
        ),
    );
    let body = format!(
        r#"<p class="actions"><a class="button" href="/staff/batches{q}">{upload}</a> <a class="button" href="/staff/reviews{q}">{review}</a></p>
{figures}
<h2>{recent_h}</h2>
{batches}"#,
        recent_h = l.t("Các lô gần đây", "Recent batches"),
        q = lang_q(l),
        upload = l.t(
            "Tải lên lô mới và xem các lô",
            "Upload a batch, see the batches"
        ),
        review = l.t("Duyệt văn bản đang chờ", "Review held documents"),
        figures = figures_section(l, &f, crate::db::now_ms()),
    );
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
    let mut keys: Vec<(i64, String)> = Vec::new();
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
        let warn = if ends * 1000 - now < 90 * 24 * HOUR_MS {
            r#" class="warn""#
        } else {
            ""
        };
        keys.push((
            ends,
            format!(
                "<tr><td>{}</td><td{warn}>{}</td></tr>",
                esc(&whose),
                super::local_time(ends)
            ),
        ));
    }
    keys.sort();
    let rows: String = keys.into_iter().map(|(_, r)| r).collect();
    let mb = |b: i64| format!("{:.1} MB", b as f64 / 1_000_000.0);
    Ok(format!(
        r#"<h2 id="overview">{overview_h}</h2>
{figures}
<p id="workers">{workers_l}: {busy}</p>
<p id="storage">{storage_l}: {scans_l} {scans}, {pdfs_l} {pdfs}</p>
<h3>{keys_h}</h3>
<div class="scroll" tabindex="0"><table id="key-expiry"><thead><tr><th>{key_h}</th><th>{ends_h}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        overview_h = l.t("Tổng quan hôm nay (mọi cơ quan)", "Today, every agency"),
        figures = figures_section(l, &f, now),
        workers_l = l.t("Tiến trình đang xử lý một việc", "Workers holding a job"),
        storage_l = l.t("Dung lượng lưu trữ", "Stored"),
        scans_l = l.t("bản quét", "scans"),
        scans = mb(scans),
        pdfs_l = l.t("tệp PDF đã lưu", "filed PDFs"),
        pdfs = mb(pdfs),
        keys_h = l.t("Chứng thư ký số đang dùng", "Signing certificates in use"),
        key_h = l.t("Chứng thư", "Certificate"),
        ends_h = l.t("Hết hạn", "Expires"),
    ))
}

//! The officer's verification pages: upload a signed PDF (`/verify`) or a photo of a
//! printout (`/verify/qr`); the page sends it to the public API and shows the verdict.

use axum::extract::Query;
use axum::response::Html;

use super::{Lang, LangQuery, layout};

/// `GET /verify`: check a signed PDF.
#[utoipa::path(get, path = "/verify", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a signed PDF, see the verdict", content_type = "text/html")))]
pub async fn pdf_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = format!(
        r#"<form id="form">
<label for="file">{pick}</label><br>
<input id="file" name="file" type="file" accept="application/pdf,.pdf" required>
<button id="submit" type="submit">{check}</button>
</form>
<p id="verdict" role="status" aria-live="polite"></p>
<ul id="reasons"></ul>
<table id="signatures"></table>
<p id="vault"></p>
<p><a href="/verify/qr{lang}">{qr}</a></p>
<script>
const L = {{valid:"{valid}", not:"{not}", vault:"{vault}", same:"{same}", differs:"{differs}"}};
document.getElementById("form").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const f = document.getElementById("file").files[0];
  const v = document.getElementById("verdict");
  v.textContent = "…"; v.className = "";
  const r = await fetch("/api/v1/verify", {{method: "POST", body: f, headers: {{"Content-Type": "application/pdf"}}}});
  const j = await r.json();
  if (!r.ok) {{ v.textContent = j.error.message; v.className = "bad"; return; }}
  v.textContent = j.verdict + (j.verdict === "VALID" ? " — " + L.valid : " — " + L.not);
  v.className = j.verdict === "VALID" ? "good" : "bad";
  const ul = document.getElementById("reasons"); ul.innerHTML = "";
  for (const reason of j.reasons) {{ const li = document.createElement("li"); li.textContent = reason; ul.appendChild(li); }}
  const t = document.getElementById("signatures"); t.innerHTML = "";
  for (const s of j.signatures) {{
    const tr = document.createElement("tr");
    for (const x of [s.field, s.verdict, s.signer, s.claimed_time, s.covers]) {{ const td = document.createElement("td"); td.textContent = x ?? ""; tr.appendChild(td); }}
    t.appendChild(tr);
  }}
  document.getElementById("vault").textContent = j.vault
    ? L.vault + ": " + j.vault.status + " — " + (j.vault.identical ? L.same : L.differs) : "";
}});
</script>"#,
        pick = l.t("Chọn tệp PDF đã ký số", "Choose a signed PDF"),
        check = l.t("Kiểm tra", "Verify"),
        qr = l.t(
            "Kiểm tra mã QR trên bản in",
            "Check the QR code of a printout"
        ),
        lang = if l == Lang::En { "?lang=en" } else { "" },
        valid = l.t("chữ ký hợp lệ", "the signatures are valid"),
        not = l.t("không được chấp nhận", "not accepted"),
        vault = l.t("Kho dữ liệu", "Vault"),
        same = l.t("tệp trùng khớp bản lưu", "the file is the vault's copy"),
        differs = l.t("tệp KHÁC bản lưu", "the file DIFFERS from the vault's copy"),
    );
    Html(layout(
        l,
        "/verify",
        l.t("Kiểm tra văn bản ký số", "Verify a signed document"),
        &body,
    ))
}

/// `GET /verify/qr`: check a printout by the photo of its QR code.
#[utoipa::path(get, path = "/verify/qr", tag = "pages",
    params(("lang" = Option<String>, Query, description = "`en` for English")),
    responses((status = 200, description = "HTML page: upload a photo of a printout, see its status", content_type = "text/html")))]
pub async fn qr_page(Query(q): Query<LangQuery>) -> Html<String> {
    let l = Lang::from_query(q.lang.as_deref());
    let body = format!(
        r#"<form id="form">
<label for="file">{pick}</label><br>
<input id="file" name="file" type="file" accept="image/jpeg,image/png" capture="environment" required>
<button id="submit" type="submit">{check}</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<table id="record"></table>
<script>
const L = {{valid:"{valid}", notvalid:"{notvalid}", none:"{none}", title:"{title_l}", number:"{number_l}", issued:"{issued_l}", owner:"{owner_l}", reason:"{reason_l}"}};
const dayFirst = (d) => /^\d{{4}}-\d{{2}}-\d{{2}}$/.test(d || "") ? d.split("-").reverse().join("/") : d;
document.getElementById("form").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const f = document.getElementById("file").files[0];
  const s = document.getElementById("status");
  s.textContent = "…"; s.className = "";
  const r = await fetch("/api/v1/verify/qr", {{method: "POST", body: f, headers: {{"Content-Type": f.type || "image/jpeg"}}}});
  const j = await r.json();
  const t = document.getElementById("record"); t.innerHTML = "";
  if (!r.ok) {{ s.textContent = L.none + " (" + j.error.message + ")"; s.className = "bad"; return; }}
  s.textContent = j.status.toUpperCase() + " — " + (j.status === "valid" ? L.valid : L.notvalid);
  s.className = j.status === "valid" ? "good" : "bad";
  for (const [k, v] of [[L.title, j.title], [L.number, j.number], [L.issued, dayFirst(j.issued_on)], [L.owner, j.owner_masked], [L.reason, j.revocation_reason]]) {{
    if (!v) continue;
    const tr = document.createElement("tr"); const th = document.createElement("th"); const td = document.createElement("td");
    th.textContent = k; td.textContent = v; tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
  }}
}});
</script>"#,
        pick = l.t(
            "Chụp hoặc chọn ảnh bản in có mã QR",
            "Take or choose a photo of the printout's QR code"
        ),
        check = l.t("Tra cứu", "Look up"),
        title_l = l.t("Tên văn bản", "Title"),
        number_l = l.t("Số, ký hiệu", "Number"),
        issued_l = l.t("Ngày ban hành", "Date of issue"),
        owner_l = l.t("Chủ sở hữu", "Owner"),
        reason_l = l.t("Lý do thu hồi", "Reason for revocation"),
        valid = l.t("văn bản còn hiệu lực", "the document is valid"),
        notvalid = l.t("văn bản không còn hiệu lực", "the document is not valid"),
        none = l.t(
            "Không đọc được mã QR của Kho",
            "No Kho QR code could be read"
        ),
    );
    Html(layout(
        l,
        "/verify/qr",
        l.t("Kiểm tra bản in", "Verify a printout"),
        &body,
    ))
}

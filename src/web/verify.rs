//! The officer's verification pages: upload a signed PDF (`/verify`) or a photo of a
//! printout (`/verify/qr`); the page sends it to the public API and shows the verdict in
//! words: each signer by name and organization (not the certificate's DN), the signing
//! time in Vietnam's time day first, what each signature covers, whether the file carries
//! the revocation data to check it offline; the verifier's reasons in the page's language
//! (the English originals under the technical details); the verdict's code stays in
//! `data-verdict` for programs.

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
<details id="details" hidden><summary>{details}</summary><ul id="technical"></ul></details>
<div class="scroll"><table id="signatures" hidden><thead><tr><th>{who_h}</th><th>{when_h}</th><th>{stamp_h}</th><th>{covers_h}</th><th>{ltv_h}</th><th>{verdict_h}</th></tr></thead><tbody></tbody></table></div>
<p id="vault"></p>
<p><a href="/verify/qr{lang}">{qr}</a></p>
<script>
const L = {{same:"{same}", earlier:"{earlier}", differs:"{differs}", vault:"{vault}", whole:"{whole}", part:"{part}", docValid:"{doc_valid}", docNot:"{doc_not}",
  VALID:"{v_valid}", UNKNOWN_SIGNER:"{v_unknown}", REVOKED:"{v_revoked}", MODIFIED_AFTER_SIGNING:"{v_modified}", INVALID:"{v_invalid}",
  INDETERMINATE:"{v_indeterminate}", REVOKED_NO_POE:"{v_revoked_no_poe}", sigOk:"{sig_ok}", sigBad:"{sig_bad}", sigUndecided:"{sig_undecided}",
  ltvIn:"{ltv_in}", ltvOut:"{ltv_out}", sig:"{sig_word}", en:{en}, docStamp:"{doc_stamp}", rStamp:"{r_stamp}",
  rChanged:"{r_changed}", rModified:"{r_modified}", rUntrusted:"{r_untrusted}", rExpired:"{r_expired}",
  rRevoked:"{r_revoked}", rUnsupported:"{r_unsupported}", rNoSig:"{r_nosig}", rBroken:"{r_broken}", rOther:"{r_other}"}};
// The verifier's reasons (English, for programs) said in the page's language; the
// original stays under the technical details.
const REASONS = [
  [/imprint/, "rStamp"],
  [/digest does not match|signature does not verify|gap|\/Contents|\/ByteRange|CMS/, "rChanged"],
  [/after signing|well-formed revision/, "rModified"],
  [/does not chain to a trusted root/, "rUntrusted"],
  [/not valid at the (claimed|timestamped) signing time/, "rExpired"],
  [/revoked/, "rRevoked"],
  [/not supported/, "rUnsupported"],
  [/holds no signature/, "rNoSig"],
  [/well-formed PDF|cross-reference/, "rBroken"],
];
const say = (reason) => {{
  if (L.en) return reason;
  const m = /^(Sig|Signature)\s*(\d*):\s*(.*)$/.exec(reason);
  const rest = m ? m[3] : reason;
  const hit = REASONS.find(([re]) => re.test(rest));
  const text = L[hit ? hit[1] : "rOther"];
  return m ? L.sig + " " + (m[2] || "") + ": " + text : text;
}};
// The signer's name (CN) and organization (O), not the whole certificate subject.
const person = (dn) => {{
  if (!dn) return "";
  const part = (k) => (new RegExp("(?:^|,\\s*)" + k + "=([^,]+)").exec(dn) || [])[1];
  const cn = part("CN"), o = part("O");
  return cn ? (o && o !== cn ? cn + " — " + o : cn) : dn;
}};
// A PDF date (D:YYYYMMDDHHmmSS+07'00') as Vietnam's time, day first.
const when = (m) => {{
  const x = /^D:(\d{{4}})(\d{{2}})(\d{{2}})(\d{{2}})?(\d{{2}})?(\d{{2}})?(Z|[+-]\d{{2}}'?\d{{2}}'?)?/.exec(m || "");
  if (!x) return m || "";
  let t = Date.UTC(+x[1], +x[2] - 1, +x[3], +(x[4] || 0), +(x[5] || 0), +(x[6] || 0));
  const z = x[7];
  if (z && z !== "Z") {{ const h = +z.slice(1, 3), mi = +z.replace(/'/g, "").slice(3, 5); t -= (z[0] === "-" ? -1 : 1) * (h * 60 + mi) * 60000; }}
  const d = new Date(t + 7 * 3600000), p = (n) => String(n).padStart(2, "0");
  return p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes());
}};
// An RFC 3339 instant in the same form.
const whenIso = (s) => {{
  const t = Date.parse(s || ""); if (isNaN(t)) return s || "";
  const d = new Date(t + 7 * 3600000), p = (n) => String(n).padStart(2, "0");
  return p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes());
}};
const ltv = (s) => s.ltv === "CRL_IN_DOCUMENT" ? L.ltvIn + (s.revocation_data_issued ? " " + whenIso(s.revocation_data_issued) : "") : s.ltv === "NOT_IN_DOCUMENT" ? L.ltvOut : "—";
document.getElementById("form").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const f = document.getElementById("file").files[0];
  const v = document.getElementById("verdict");
  v.textContent = "…"; v.className = ""; delete v.dataset.verdict;
  const r = await fetch("/api/v1/verify", {{method: "POST", body: f, headers: {{"Content-Type": "application/pdf"}}}});
  const j = await r.json();
  if (!r.ok) {{ v.textContent = j.error.message; v.className = "bad"; return; }}
  v.dataset.verdict = j.verdict;
  const revokedNoPoe = j.signatures.some((s) => s.sub_indication === "REVOKED_NO_POE");
  v.textContent = j.verdict === "INDETERMINATE" && revokedNoPoe ? L.REVOKED_NO_POE : (L[j.verdict] || L.INVALID);
  v.className = j.verdict === "VALID" ? "good" : j.verdict === "INDETERMINATE" ? "warn" : "bad";
  const ul = document.getElementById("reasons"); ul.innerHTML = "";
  const tech = document.getElementById("technical"); tech.innerHTML = "";
  for (const reason of j.reasons) {{
    const li = document.createElement("li"); li.textContent = say(reason); ul.appendChild(li);
    const raw = document.createElement("li"); raw.textContent = reason; tech.appendChild(raw);
  }}
  document.getElementById("details").hidden = L.en || j.reasons.length === 0;
  const t = document.getElementById("signatures"); const body = t.querySelector("tbody"); body.innerHTML = "";
  for (const s of j.signatures) {{
    const tr = document.createElement("tr");
    const ok = s.verdict === "VALID", undecided = s.verdict === "INDETERMINATE";
    for (const x of [person(s.signer) + (s.document_timestamp ? " (" + L.docStamp + ")" : ""), s.document_timestamp ? "—" : when(s.claimed_time), s.timestamp ? whenIso(s.timestamp) : "—", s.covers === "the whole file" ? L.whole : L.part, ltv(s), ok ? L.sigOk : undecided ? L.sigUndecided : L.sigBad]) {{
      const td = document.createElement("td"); td.textContent = x; tr.appendChild(td);
    }}
    tr.lastChild.className = ok ? "good" : undecided ? "warn" : "bad";
    body.appendChild(tr);
  }}
  t.hidden = j.signatures.length === 0;
  document.getElementById("vault").textContent = j.vault
    ? L.vault + ": " + (j.vault.status === "valid" ? L.docValid : L.docNot) + " — " + (j.vault.identical ? L.same : j.vault.earlier_revision ? L.earlier : L.differs) : "";
}});
</script>"#,
        pick = l.t("Chọn tệp PDF đã ký số", "Choose a signed PDF"),
        check = l.t("Kiểm tra", "Verify"),
        qr = l.t(
            "Kiểm tra mã QR trên bản in",
            "Check the QR code of a printout"
        ),
        lang = if l == Lang::En { "?lang=en" } else { "" },
        who_h = l.t("Người ký", "Signed by"),
        when_h = l.t(
            "Thời điểm ký (theo người ký)",
            "Signed at (as the signer states)"
        ),
        covers_h = l.t("Phạm vi", "Covers"),
        stamp_h = l.t(
            "Thời điểm được chứng thực (dấu thời gian)",
            "Trusted time (timestamp)"
        ),
        doc_stamp = l.t("dấu thời gian của tệp", "document timestamp"),
        r_stamp = l.t(
            "dấu thời gian không khớp với nội dung tệp: nó được cấp cho một tệp khác",
            "the timestamp does not match the file: it was issued for other content"
        ),
        ltv_h = l.t("Dữ liệu thu hồi", "Revocation data"),
        ltv_in = l.t("có trong tệp, lập lúc", "in the file, issued"),
        ltv_out = l.t(
            "không có trong tệp: cần tra cứu trực tuyến",
            "not in the file: check online"
        ),
        v_revoked_no_poe = l.t(
            "Chưa kết luận được: chứng thư của người ký đã bị thu hồi (theo danh sách thu hồi trong tệp) và không có dấu thời gian chứng minh chữ ký có trước thời điểm đó",
            "Undecided: the signer's certificate was revoked (by the revocation list in the file) and no timestamp proves the signature came before that"
        ),
        verdict_h = l.t("Chữ ký", "Signature"),
        vault = l.t("Bản lưu trong Kho", "The vault's record"),
        same = l.t("tệp trùng khớp bản lưu", "the file is the vault's copy"),
        differs = l.t("tệp KHÁC bản lưu", "the file DIFFERS from the vault's copy"),
        earlier = l.t(
            "tệp là bản trước của bản lưu (bản lưu đã được bổ sung dữ liệu kiểm tra lâu dài sau đó)",
            "the file is an earlier revision of the vault's copy (long-term validation data was added to it since)"
        ),
        whole = l.t("toàn bộ tệp", "the whole file"),
        part = l.t(
            "tệp đến trước các phần thêm sau (như chữ ký kế tiếp)",
            "the file before later additions (such as the next signature)"
        ),
        doc_valid = l.t("văn bản còn hiệu lực", "the document is valid"),
        doc_not = l.t(
            "văn bản không còn hiệu lực",
            "the document is no longer valid"
        ),
        v_valid = l.t(
            "Hợp lệ: các chữ ký số đều đúng và tệp không bị sửa",
            "Valid: every signature is right and the file is unchanged"
        ),
        v_unknown = l.t(
            "Không xác định được người ký: chứng thư không thuộc nơi cấp được tin cậy",
            "Signer unknown: the certificate is not from a trusted issuer"
        ),
        v_revoked = l.t(
            "Chứng thư của người ký đã bị thu hồi",
            "The signer's certificate has been revoked"
        ),
        v_modified = l.t(
            "Tệp đã bị thay đổi sau khi ký",
            "The file was changed after signing"
        ),
        v_invalid = l.t(
            "Không hợp lệ: chữ ký số không khớp với tệp",
            "Not valid: a signature does not match the file"
        ),
        v_indeterminate = l.t(
            "Chưa kết luận được: Kho không kiểm tra được loại chữ ký số này, nên chưa thể coi văn bản là hợp lệ; hãy kiểm tra bằng công cụ của nơi cấp chứng thư",
            "Undecided: Kho cannot check this kind of signature, so the document cannot be taken as valid; check it with the certificate issuer's tool"
        ),
        sig_undecided = l.t("chưa kiểm tra được", "could not be checked"),
        details = l.t(
            "Chi tiết kỹ thuật (tiếng Anh, để gửi cho bộ phận kỹ thuật)",
            "Technical details"
        ),
        en = if l == Lang::En { "true" } else { "false" },
        sig_word = l.t("Chữ ký", "Signature"),
        r_changed = l.t(
            "nội dung đã ký bị thay đổi hoặc chữ ký bị hỏng",
            "the signed content was changed or the signature is damaged"
        ),
        r_modified = l.t(
            "tệp bị thêm hoặc sửa nội dung sau khi ký",
            "content was added or changed after signing"
        ),
        r_untrusted = l.t(
            "chứng thư của người ký không thuộc nơi cấp được tin cậy",
            "the signer's certificate is not from a trusted issuer"
        ),
        r_expired = l.t(
            "chứng thư không còn hiệu lực vào thời điểm ký",
            "the certificate was not valid when it signed"
        ),
        r_revoked = l.t("chứng thư đã bị thu hồi", "the certificate was revoked"),
        r_unsupported = l.t(
            "loại chữ ký số này chưa được hỗ trợ",
            "this kind of signature is not supported"
        ),
        r_nosig = l.t("tệp không có chữ ký số", "the file holds no signature"),
        r_broken = l.t("tệp PDF bị hỏng", "the PDF file is damaged"),
        r_other = l.t("chữ ký không kiểm tra được", "the signature could not be checked"),
        sig_ok = l.t("hợp lệ", "valid"),
        sig_bad = l.t("không hợp lệ", "not valid"),
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

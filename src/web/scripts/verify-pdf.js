const L = JSON.parse(document.getElementById("page-data").textContent);
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
const say = (reason) => {
  if (L.en) return reason;
  const m = /^(Sig|Signature)\s*(\d*):\s*(.*)$/.exec(reason);
  const rest = m ? m[3] : reason;
  const hit = REASONS.find(([re]) => re.test(rest));
  const text = L[hit ? hit[1] : "rOther"];
  return m ? L.sig + " " + (m[2] || "") + ": " + text : text;
};
// The signer's name (CN) and organization (O), not the whole certificate subject.
const person = (dn) => {
  if (!dn) return "";
  const part = (k) => (new RegExp("(?:^|,\\s*)" + k + "=([^,]+)").exec(dn) || [])[1];
  const cn = part("CN"), o = part("O");
  return cn ? (o && o !== cn ? cn + " — " + o : cn) : dn;
};
// A PDF date (D:YYYYMMDDHHmmSS+07'00') as Vietnam's time, day first.
const when = (m) => {
  const x = /^D:(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(m || "");
  if (!x) return m || "";
  let t = Date.UTC(+x[1], +x[2] - 1, +x[3], +(x[4] || 0), +(x[5] || 0), +(x[6] || 0));
  const z = x[7];
  if (z && z !== "Z") { const h = +z.slice(1, 3), mi = +z.replace(/'/g, "").slice(3, 5); t -= (z[0] === "-" ? -1 : 1) * (h * 60 + mi) * 60000; }
  const d = new Date(t + 7 * 3600000), p = (n) => String(n).padStart(2, "0");
  return p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes());
};
// An RFC 3339 instant in the same form.
const whenIso = (s) => {
  const t = Date.parse(s || ""); if (isNaN(t)) return s || "";
  const d = new Date(t + 7 * 3600000), p = (n) => String(n).padStart(2, "0");
  return p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + p(d.getUTCHours()) + ":" + p(d.getUTCMinutes());
};
const ltv = (s) => s.ltv === "CRL_IN_DOCUMENT" ? L.ltvIn + (s.revocation_data_issued ? " " + whenIso(s.revocation_data_issued) : "") : s.ltv === "NOT_IN_DOCUMENT" ? L.ltvOut : "—";
const v = document.getElementById("verdict");
const show = async (pdf) => {
  v.textContent = "…"; v.className = ""; delete v.dataset.verdict;
  const r = await fetch("/api/v1/verify", {method: "POST", body: pdf, headers: {"Content-Type": "application/pdf"}});
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    // Why the file was not checked, in the page's language, and what to do next.
    const code = { unsupported_media_type: "eNotPdf", payload_too_large: "eTooBig", empty_upload: "eNotPdf", busy: "eBusy" }[j.error?.code];
    v.textContent = L[code || "eOther"]; v.className = "bad"; return;
  }
  v.dataset.verdict = j.verdict;
  const revokedNoPoe = j.signatures.some((s) => s.sub_indication === "REVOKED_NO_POE");
  v.textContent = j.verdict === "INDETERMINATE" && revokedNoPoe ? L.REVOKED_NO_POE : (L[j.verdict] || L.INVALID);
  v.className = j.verdict === "VALID" ? "good" : j.verdict === "INDETERMINATE" ? "warn" : "bad";
  const ul = document.getElementById("reasons"); ul.innerHTML = "";
  const tech = document.getElementById("technical"); tech.innerHTML = "";
  for (const reason of j.reasons) {
    const li = document.createElement("li"); li.textContent = say(reason); ul.appendChild(li);
    const raw = document.createElement("li"); raw.textContent = reason; tech.appendChild(raw);
  }
  document.getElementById("details").hidden = L.en || j.reasons.length === 0;
  const t = document.getElementById("signatures"); const body = t.querySelector("tbody"); body.innerHTML = "";
  for (const s of j.signatures) {
    const tr = document.createElement("tr");
    const ok = s.verdict === "VALID", undecided = s.verdict === "INDETERMINATE";
    for (const x of [person(s.signer) + (s.document_timestamp ? " (" + L.docStamp + ")" : ""), s.document_timestamp ? "—" : when(s.claimed_time), s.timestamp ? whenIso(s.timestamp) : "—", s.covers === "the whole file" ? L.whole : L.part, ltv(s), ok ? L.sigOk : undecided ? L.sigUndecided : L.sigBad]) {
      const td = document.createElement("td"); td.textContent = x; tr.appendChild(td);
    }
    tr.lastChild.className = ok ? "good" : undecided ? "warn" : "bad";
    body.appendChild(tr);
  }
  t.hidden = j.signatures.length === 0;
  document.getElementById("vault").textContent = j.vault
    ? L.vault + ": " + (j.vault.status === "valid" ? L.docValid : L.docNot) + " — " + (j.vault.identical ? L.same : j.vault.earlier_revision ? L.earlier : L.differs) : "";
};
// The officer's page: the file chosen. A document's own page: its filed PDF, at once.
document.getElementById("form")?.addEventListener("submit", (e) => {
  e.preventDefault();
  show(document.getElementById("file").files[0]);
});
if (v.dataset.pdf) {
  fetch(v.dataset.pdf).then((r) => r.ok ? r.blob().then(show) : Promise.reject(r.status))
    .catch(() => { v.textContent = L.rOther; v.className = "bad"; });
}

const L = JSON.parse(document.getElementById("page-data").textContent);
const dayFirst = (d) => /^\d{4}-\d{2}-\d{2}$/.test(d || "") ? d.split("-").reverse().join("/") : d;
document.getElementById("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = document.getElementById("file").files[0];
  const s = document.getElementById("status");
  s.textContent = "…"; s.className = "";
  const r = await fetch("/api/v1/verify/qr", {method: "POST", body: f, headers: {"Content-Type": f.type || "image/jpeg"}});
  const j = await r.json().catch(() => ({}));
  const t = document.getElementById("record"); t.innerHTML = "";
  if (!r.ok) {
    // In the page's language, with what to do; the API's words as the tooltip.
    const code = j.error?.code || (r.status === 413 ? "payload_too_large" : r.status === 503 ? "busy" : "");
    s.textContent = code === "payload_too_large" ? L.tooBig : code === "busy" ? L.busy : L.none;
    s.title = j.error?.message || `HTTP ${r.status}`; s.className = "bad"; return;
  }
  s.textContent = j.status.toUpperCase() + " — " + (j.status === "valid" ? L.valid : L.notvalid);
  s.className = j.status === "valid" ? "good" : "bad";
  for (const [k, v] of [[L.title, j.title], [L.number, j.number], [L.issued, dayFirst(j.issued_on)], [L.owner, j.owner_masked], [L.reason, j.revocation_reason]]) {
    if (!v) continue;
    const tr = document.createElement("tr"); const th = document.createElement("th"); const td = document.createElement("td");
    th.textContent = k; td.textContent = v; tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
  }
});

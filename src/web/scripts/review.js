const data = JSON.parse(document.getElementById("page-data").textContent);
const id = document.getElementById("review").dataset.reviewId;
const result = document.getElementById("result");
const api = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf }, body: JSON.stringify(body) });
const problem = (r) => window.khoProblem(r, data);
const tell = window.khoTell;
const done = () => document.querySelectorAll("#approve-form button, #reject-form button").forEach((b) => (b.disabled = true));
// A likely correction goes into its field, for the reviewer to check and approve.
for (const b of document.querySelectorAll("button.suggestion")) {
  b.addEventListener("click", () => { const input = document.getElementById(b.dataset.field); if (input) { input.value = b.dataset.value; input.focus(); } });
}
document.getElementById("approve-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const fix = {};
  for (const input of e.target.querySelectorAll("input")) {
    const v = input.value.trim();
    if (v && v !== input.dataset.was) fix[input.name] = v;
  }
  const r = await api(`/api/v1/reviews/${id}/approve`, fix);
  if (!r.ok) { tell(result, await problem(r)); return; }
  const { document_id } = await r.json();
  result.textContent = `${data.approved} `;
  const code = document.createElement("code");
  code.id = "document-id";
  code.textContent = document_id;
  result.append(code);
  done();
});
document.getElementById("reject-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await api(`/api/v1/reviews/${id}/reject`, { reason: document.getElementById("reason").value });
  if (!r.ok) { tell(result, await problem(r)); return; }
  result.textContent = data.rejected;
  done();
});

const data = JSON.parse(document.getElementById("page-data").textContent);
const id = document.getElementById("batch-name").dataset.batchId;
const q = data.lang === "en" ? "?lang=en" : "";
const cell = (text) => { const td = document.createElement("td"); td.textContent = text ?? ""; return td; };
const draw = (p) => {
  const t = p.report.totals;
  const ended = t.documents - t.queued;
  const bar = document.getElementById("progress");
  bar.max = Math.max(t.documents, 1); bar.value = ended;
  document.getElementById("totals").textContent =
    `${ended}/${t.documents} ${data.documents} · ${data.states.filed}: ${t.filed} · ${data.states.review}: ${t.review} · ` +
    `${data.states.failed}: ${t.failed + t.refused} · ${t.pages} ${data.pages} · ${p.report.pages_per_second.toFixed(2)} ${data.perSecond}`;
  const body = document.querySelector("#documents tbody");
  body.replaceChildren(...p.report.documents.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.state = d.state;
    if (d.document_id) tr.dataset.documentId = d.document_id;
    // Page 1, small: as filed, or the draft waiting for review.
    const label = cell(d.label);
    const thumb = d.document_id ? `/api/v1/documents/${d.document_id}/thumbnail`
      : d.review_id ? `/api/v1/reviews/${d.review_id}/pages/1?width=240` : null;
    if (thumb) {
      const img = document.createElement("img");
      Object.assign(img, { className: "thumb", src: thumb, alt: "", width: 48, loading: "lazy" });
      label.prepend(img);
    }
    tr.append(label);
    const state = cell(data.states[d.state] || d.state);
    if (d.review_id) {
      const a = document.createElement("a");
      a.href = `/staff/reviews/${d.review_id}${q}`;
      a.textContent = ` (${data.open})`;
      state.append(a);
    }
    // Reasons in the page's language from the catalogue, by code; the words the
    // pipeline gave (English) stay as the cell's tooltip.
    const said = data.lang === "en" ? d.reasons
      : d.reasons.map((r, i) => data.reasons[d.reason_codes[i]] || data.reasons.other);
    const reasons = cell([...new Set(said)].join(" "));
    if (data.lang !== "en" && d.reasons.length) reasons.title = d.reasons.join("; ");
    reasons.className = "reasons";
    if (d.retryable) reasons.append(retryForm(d));
    tr.append(state, cell(d.owner), cell(d.pages), cell(d.number),
      cell(d.confidence == null ? "" : d.confidence.toFixed(0)), reasons);
    return tr;
  }));
  const state = document.getElementById("state");
  // Finished digitizing is not done: documents held for review still need a person.
  state.textContent = !p.finished ? data.running
    : t.review > 0 ? data.finishedHeld.replace("{n}", t.review) : data.finished;
  state.dataset.finished = String(p.finished);
};
// A refused document whose file Kho kept: give the owner it lacked and try again.
const retryForm = (d) => {
  const form = document.createElement("form");
  form.className = "retry";
  const label = document.createElement("label");
  const input = document.createElement("input");
  Object.assign(input, { id: `retry-owner-${d.position}`, name: "owner_id", inputMode: "numeric", maxLength: 14, autocomplete: "off" });
  Object.assign(label, { htmlFor: input.id, textContent: data.retryOwner });
  const button = document.createElement("button");
  Object.assign(button, { type: "submit", textContent: data.retry, className: "retry-button" });
  const said = document.createElement("span");
  said.setAttribute("role", "status");
  form.append(label, input, button, said);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    const owner = input.value.trim();
    const r = await fetch(`/api/v1/batches/${id}/items/${d.position}/retry`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf },
      body: JSON.stringify(owner ? { owner_id: owner } : {}),
    });
    if (!r.ok) { window.khoTell(said, await window.khoProblem(r, data)); button.disabled = false; return; }
    const p = await r.json();
    draw(p);
    if (!p.finished) follow();
  });
  return form;
};
// Live progress: a `progress` event each time a document moves on, until finished.
const follow = () => {
  const events = new EventSource(`/api/v1/batches/${id}/events`);
  events.addEventListener("progress", (e) => {
    const p = JSON.parse(e.data);
    draw(p);
    if (p.finished) events.close();
  });
};
follow();

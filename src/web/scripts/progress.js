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
    tr.append(cell(d.label));
    const state = cell(data.states[d.state] || d.state);
    if (d.review_id) {
      const a = document.createElement("a");
      a.href = `/staff/reviews/${d.review_id}${q}`;
      a.textContent = ` (${data.open})`;
      state.append(a);
    }
    tr.append(state, cell(d.owner), cell(d.pages), cell(d.number),
      cell(d.confidence == null ? "" : d.confidence.toFixed(0)), cell(d.reasons.join("; ")));
    return tr;
  }));
  const state = document.getElementById("state");
  state.textContent = p.finished ? data.finished : data.running;
  state.dataset.finished = String(p.finished);
};
const events = new EventSource(`/api/v1/batches/${id}/events`);
events.addEventListener("progress", (e) => {
  const p = JSON.parse(e.data);
  draw(p);
  if (p.finished) events.close();
});

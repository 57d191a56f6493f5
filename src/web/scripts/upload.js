const data = JSON.parse(document.getElementById("page-data").textContent);
const form = document.getElementById("new-batch");
const bar = document.getElementById("upload-progress");
const status = document.getElementById("upload-status");
const api = (path, init) => fetch(path, { ...init, headers: { ...(init.headers || {}), "X-CSRF-Token": data.csrf } });
const problem = (r) => window.khoProblem(r, data);
const tell = window.khoTell;
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = document.getElementById("upload");
  button.disabled = true;
  try {
    const manifestFile = document.getElementById("manifest").files[0];
    const body = { name: document.getElementById("name").value, split: document.getElementById("split").checked };
    const owner = document.getElementById("owner").value.trim();
    if (owner) body.owner = owner;
    if (manifestFile) body.manifest = await manifestFile.text();
    const created = await api("/api/v1/batches", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!created.ok) { tell(status, await problem(created)); return; }
    const { id } = await created.json();
    const files = [...document.getElementById("files").files];
    bar.hidden = false; bar.max = files.length; bar.value = 0;
    for (const [i, f] of files.entries()) {
      status.textContent = `${data.uploading} ${i + 1}/${files.length}: ${f.name}`;
      const fd = new FormData();
      fd.append("file", f, f.name);
      const sent = await api(`/api/v1/batches/${id}/files`, { method: "POST", body: fd });
      if (!sent.ok) { tell(status, await problem(sent), `${f.name}: `); return; }
      bar.value = i + 1;
    }
    location.href = `/staff/batches/${id}` + (data.lang === "en" ? "?lang=en" : "");
  } finally {
    button.disabled = false;
  }
});

// Shared by the staff pages' scripts (loaded before them): why the API said no, in the
// page's language from the page's error catalogue (data.errors, by the API's error
// code, or by the HTTP status where the body has none); the API's own words, English,
// become the tooltip.
window.khoProblem = async (r, data) => {
  let j = {};
  try { j = await r.json(); } catch { /* not JSON: the status says enough */ }
  const code = j.error?.code || { 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 503: "busy" }[r.status];
  const detail = j.error?.message || `HTTP ${r.status}`;
  return { text: data.lang === "en" ? detail : data.errors[code] || data.errors.internal, detail };
};
window.khoTell = (el, p, prefix = "") => { el.textContent = prefix + p.text; el.title = p.detail; };

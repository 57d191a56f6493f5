// Drives the records staff's pages in Debian's headless Chromium, then the owner's:
//   node staff_pages.mjs BASE_URL STAFF_USER OWNER_USER PASSWORD OWNER_ID FILE... -- SCREENSHOT_DIR RETRY_FILE RETRY_OWNER
// As staff: lands on the agency's dashboard, uploads a batch (the files, with OWNER_ID
// as the default owner), watches its live progress to the end with page-1 thumbnails,
// opens the document held for review from the queue (thumbnails too), checks its page
// image and text, corrects its fields and approves it; the dashboard counts the day.
// Then a batch with no owner: RETRY_FILE is refused, and retried from the batch page
// with RETRY_OWNER.
// As the owner, at phone width: finds it in the repository, opens its page (the PDF in
// a frame, its signature check beside it) and downloads the PDF. Every page is audited
// (audit.mjs). Prints one JSON object; the Rust test asserts on it.
import { chromium } from "playwright-core";
import { audit } from "./audit.mjs";

const args = process.argv.slice(2);
const [base, staffUser, ownerUser, password, ownerId] = args;
const files = args.slice(5, args.indexOf("--"));
const [shots, retryFile, retryOwner] = args.slice(args.indexOf("--") + 1);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const seen = {};

async function signIn(page, user) {
  await page.goto(`${base}/login`);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("#sign-in");
  await page.waitForLoadState("domcontentloaded");
}

// Records staff, at desktop width.
const staff = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await signIn(staff, staffUser);
seen.staffHome = new URL(staff.url()).pathname;
seen.dashboardBefore = await staff.textContent("#pages-today strong");
seen.dashboardEmpty = await staff.locator("main .empty").count();
await audit(staff, seen, "staff-dashboard");
await staff.goto(`${base}/staff/batches`);
await audit(staff, seen, "staff-batches-empty");
await staff.fill("#name", "Hộp 17 — thử nghiệm");
await staff.fill("#owner", ownerId);
await staff.setInputFiles("#files", files);
await staff.screenshot({ path: `${shots}/staff-upload.png`, fullPage: true });
await staff.click("#upload");
await staff.waitForURL(/\/staff\/batches\/[0-9a-f-]{36}$/, { timeout: 60000 });
// The progress bar moves while the batch runs; remember what it showed on the way.
seen.progressSeen = [];
const started = Date.now();
while (Date.now() - started < 300000) {
  const state = await staff.getAttribute("#state", "data-finished");
  const value = await staff.evaluate(() => {
    const bar = document.getElementById("progress");
    return `${bar.value}/${bar.max}`;
  });
  if (seen.progressSeen.at(-1) !== value) seen.progressSeen.push(value);
  if (state === "true") break;
  await staff.waitForTimeout(200);
}
seen.finished = await staff.getAttribute("#state", "data-finished");
seen.finishedSays = await staff.textContent("#state");
seen.totals = await staff.textContent("#totals");
seen.rows = await staff.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.state));
await staff.waitForFunction(() => [...document.querySelectorAll("#documents img.thumb")].every((i) => i.complete && i.naturalWidth > 0));
seen.batchThumbs = await staff.locator("#documents img.thumb").evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
await audit(staff, seen, "staff-batch");
await staff.screenshot({ path: `${shots}/staff-batch.png`, fullPage: true });

// The batch appears in the list of batches.
await staff.goto(`${base}/staff/batches`);
seen.batchesListed = await staff.locator("#batches tbody tr").count();
await audit(staff, seen, "staff-batches");

// The review queue lists the held document; open it.
await staff.goto(`${base}/staff/reviews`);
seen.queued = await staff.locator("#reviews tbody tr").count();
await staff.waitForFunction(() => [...document.querySelectorAll("#reviews img.thumb")].every((i) => i.complete && i.naturalWidth > 0));
seen.queueThumbs = await staff.locator("#reviews img.thumb").evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
await audit(staff, seen, "staff-reviews");
await staff.click("#reviews tbody tr a");
await staff.waitForURL(/\/staff\/reviews\/[0-9a-f-]{36}$/);
await staff.waitForFunction(() => [...document.querySelectorAll(".page img")].every((i) => i.complete && i.naturalWidth > 0));
seen.pageImages = await staff.locator(".page img").evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
seen.pageText = await staff.textContent(".text");
seen.reasons = await staff.locator("#reasons li").allTextContents();
await staff.fill("#doc_type", "Biên bản");
await staff.fill("#number", "12/BB-TDP");
await staff.fill("#issued_on", "2024-06-09");
await audit(staff, seen, "staff-review");
await staff.screenshot({ path: `${shots}/staff-review.png`, fullPage: true });
await staff.click("#approve");
await staff.waitForSelector("#document-id", { timeout: 60000 });
seen.approved = await staff.textContent("#document-id");
await staff.goto(`${base}/staff/reviews`);
seen.queuedAfter = await staff.locator("#reviews tbody tr").count();
await audit(staff, seen, "staff-reviews-empty");
// The keyboard reaches the language switch first.
await staff.keyboard.press("Tab");
seen.firstTab = await staff.evaluate(() => document.activeElement.textContent);
await staff.goto(`${base}/staff`);
seen.dashboard = {
  pages: await staff.textContent("#pages-today strong"),
  documents: await staff.textContent("#documents-today strong"),
  held: await staff.textContent("#held strong"),
  bars: await staff.locator("#pages-per-hour rect").count(),
  chartTotal: await staff.locator("#pages-per-hour rect title").evaluateAll((ts) => ts.reduce((n, t) => n + parseInt(t.textContent.split("— ")[1], 10), 0)),
  batches: await staff.locator("#recent-batches tbody tr").evaluateAll((rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent.trim()))),
};
await audit(staff, seen, "staff-dashboard-after");
await staff.screenshot({ path: `${shots}/staff-dashboard.png`, fullPage: true });

// No owner given: the file is refused and kept; give its owner on the batch page.
await staff.goto(`${base}/staff/batches`);
await staff.fill("#name", "Hộp 18 — chưa rõ chủ");
await staff.setInputFiles("#files", [retryFile]);
await staff.click("#upload");
await staff.waitForURL(/\/staff\/batches\/[0-9a-f-]{36}$/, { timeout: 60000 });
await staff.waitForSelector('#documents tr[data-state="refused"] form.retry', { timeout: 60000 });
seen.refusedReason = await staff.textContent("#documents tr[data-state=refused] td.reasons");
await audit(staff, seen, "staff-batch-refused");
await staff.screenshot({ path: `${shots}/staff-batch-refused.png`, fullPage: true });
await staff.fill("form.retry input", "12");
await staff.click("form.retry button");
await staff.waitForFunction(() => document.querySelector("form.retry [role=status]")?.textContent);
seen.retryWrongId = await staff.textContent("form.retry [role=status]");
await staff.fill("form.retry input", retryOwner);
await staff.click("form.retry button");
await staff.waitForFunction(() => document.getElementById("state").dataset.finished === "true"
  && !document.querySelector("#documents tr[data-state=refused]"), null, { timeout: 300000 });
seen.retriedRows = await staff.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.state));
await staff.screenshot({ path: `${shots}/staff-batch-retried.png`, fullPage: true });

// The owner, at phone width, in a browser of their own.
const owner = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
await signIn(owner, ownerUser);
seen.ownerHome = new URL(owner.url()).pathname;
seen.ownerDocuments = await owner.locator("#documents tbody tr").evaluateAll((rows) =>
  rows.map((r) => ({ id: r.dataset.docId, status: r.querySelector(".status").textContent, text: r.textContent })));
await audit(owner, seen, "owner-documents");
await owner.screenshot({ path: `${shots}/owner-after-review.png`, fullPage: true });
// Found by a search typed without diacritics.
await owner.fill("#q", "bien ban hop to dan pho");
await owner.click("#search");
await owner.waitForURL(/\/me\?q=/);
seen.ownerFound = await owner.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.docId));
// One document: the PDF in a frame, the signature check beside it, the download.
await owner.click(`#documents tr[data-doc-id="${seen.approved}"] td:first-child a`);
await owner.waitForURL(/\/me\/documents\//);
await owner.waitForFunction(() => document.getElementById("verdict").dataset.verdict, null, { timeout: 60000 });
const frame = owner.locator("#preview");
seen.preview = {
  src: await frame.getAttribute("src"),
  verdict: await owner.getAttribute("#verdict", "data-verdict"),
  words: await owner.textContent("#verdict"),
  vault: await owner.textContent("#vault"),
};
const framed = await owner.request.get(new URL(seen.preview.src, base).href);
seen.preview.type = framed.headers()["content-type"];
seen.preview.frameOptions = framed.headers()["x-frame-options"];
await audit(owner, seen, "owner-document");
await owner.screenshot({ path: `${shots}/owner-document.png`, fullPage: true });
// The download link's file, as the browser would name it (RFC 6266 filename*).
const link = await owner.getAttribute("a[download]", "href");
const disposition = (await owner.request.get(new URL(link, base).href)).headers()["content-disposition"] || "";
seen.downloadName = decodeURIComponent((/filename\*=UTF-8''([^;]+)/.exec(disposition) || [])[1] || "");

await browser.close();
console.log(JSON.stringify(seen));

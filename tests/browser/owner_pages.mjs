// Drives the owner's pages in Debian's headless Chromium as a citizen:
//   node owner_pages.mjs BASE_URL USERNAME PASSWORD AUTHORIZE_URL CLIENT_ID SECRET VERIFIER SCREENSHOT_DIR
// Signs in, searches without diacritics, consents on the consent page to the document
// found, then (as the requester) exchanges the code and pulls it, and reads the access
// log page. Prints one JSON object; the Rust test asserts on it.
import { chromium } from "playwright-core";
import { audit } from "./audit.mjs";

const [base, username, password, authorizeUrl, clientId, secret, verifier, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // phone width
const seen = {};

await page.goto(`${base}/me`);
seen.redirectedToLogin = new URL(page.url()).pathname === "/login";
await audit(page, seen, "login");
await page.fill("#username", username);
await page.fill("#password", password);
await page.click("#sign-in");
await page.waitForURL(`${base}/me`);
await audit(page, seen, "owner-documents");
await page.screenshot({ path: `${shots}/owner-documents.png`, fullPage: true });
seen.listed = await page.locator("#documents tbody tr").count();

await page.fill("#q", "giay chung nhan");
await page.click("#search");
await page.waitForURL(/\/me\?q=/);
seen.found = await page.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.docId));
await audit(page, seen, "owner-search");
await page.screenshot({ path: `${shots}/owner-search.png`, fullPage: true });

// The requester's callback is not served here: answer it in the browser.
await page.route("http://127.0.0.1:9/**", (route) => route.fulfill({ status: 200, contentType: "text/plain", body: "ok" }));
await page.goto(authorizeUrl);
seen.consentRequester = await page.textContent("#requester");
seen.consentPurpose = await page.textContent("#purpose");
for (const box of await page.locator('input[name="document"]').all()) {
  const id = await box.getAttribute("value");
  if (seen.found.includes(id)) await box.check(); else await box.uncheck();
}
await audit(page, seen, "consent");
await page.screenshot({ path: `${shots}/consent.png`, fullPage: true });
await page.click("#allow");
await page.waitForURL(/127\.0\.0\.1:9\/callback/);
const back = new URL(page.url());
seen.state = back.searchParams.get("state");
const code = back.searchParams.get("code");

// The requester, server side: exchange the code with the PKCE verifier, pull the PDF.
const tokenResponse = await fetch(`${base}/oauth/token`, {
  method: "POST",
  headers: {
    "Content-Type": "application/x-www-form-urlencoded",
    Authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
  },
  body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1:9/callback", code_verifier: verifier }),
});
const token = await tokenResponse.json();
seen.tokenStatus = tokenResponse.status;
const pulled = await fetch(`${base}/api/v1/documents/${seen.found[0]}/pdf`, { headers: { Authorization: `Bearer ${token.access_token}` } });
seen.pullStatus = pulled.status;

await page.goto(`${base}/me/access-log`);
seen.accessLog = await page.locator("#access-log tbody tr").evaluateAll((rows) =>
  rows.map((r) => ({ doc: r.dataset.docId, text: r.textContent })));
await audit(page, seen, "access-log");
await page.screenshot({ path: `${shots}/access-log.png`, fullPage: true });

// Keyboard: Tab from the top reaches the language switch, then the account menu.
await page.goto(`${base}/me/grants`);
seen.grants = await page.locator("#grants tbody tr").count();
await audit(page, seen, "grants");
await page.keyboard.press("Tab");
seen.firstTab = await page.evaluate(() => document.activeElement.textContent);
await page.goto(`${base}/help`);
await audit(page, seen, "help");

console.log(JSON.stringify(seen));
await browser.close();

// Drives the officer's verification pages in Debian's headless Chromium.
//   node verify_pages.mjs BASE_URL GOOD.pdf FORGED.pdf PHOTO.jpg SCREENSHOT_DIR
// From the home page, as an anonymous officer would. Every page is audited
// (audit.mjs). Prints one JSON object with what each page showed; the Rust test
// asserts on it.
import { chromium } from "playwright-core";
import { audit } from "./audit.mjs";

const [base, good, forged, photo, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // phone width
const seen = {};

async function verifyPdf(file, name) {
  if (new URL(page.url()).pathname !== "/verify") await page.goto(`${base}/verify`);
  await page.setInputFiles("#file", file);
  await page.click("#submit");
  await page.waitForFunction(() => {
    const t = document.getElementById("verdict").textContent;
    return t && t !== "…";
  });
  seen[name] = {
    verdict: await page.textContent("#verdict"),
    code: await page.getAttribute("#verdict", "data-verdict"),
    signatures: await page.locator("#signatures tbody tr").evaluateAll((rows) =>
      rows.map((r) => Array.from(r.cells, (c) => c.textContent))),
    reasons: await page.locator("#reasons li").allTextContents(),
    technical: await page.locator("#technical li").allTextContents(),
    vault: await page.textContent("#vault"),
  };
  await audit(page, seen, `verify-${name}`);
  await page.screenshot({ path: `${shots}/verify-${name}.png`, fullPage: true });
}

// The home page names the way in.
await page.goto(`${base}/`);
await audit(page, seen, "home");
await page.click('main a[href^="/verify"]:not([href^="/verify/qr"])');
await page.waitForURL(/\/verify$/);
seen.fromHome = new URL(page.url()).pathname;
await verifyPdf(good, "good");
await verifyPdf(forged, "forged");

await page.goto(`${base}/verify/qr?lang=en`);
seen.qrLang = await page.getAttribute("html", "lang");
await page.setInputFiles("#file", photo);
await page.click("#submit");
await page.waitForFunction(() => {
  const t = document.getElementById("status").textContent;
  return t && t !== "…";
});
seen.qr = {
  status: await page.textContent("#status"),
  record: await page.locator("#record td").allTextContents(),
  labels: await page.locator("#record th").allTextContents(),
};
await audit(page, seen, "verify-qr");
await page.screenshot({ path: `${shots}/verify-qr.png`, fullPage: true });

// Keyboard: Tab goes language switch → help → file input → button.
await page.goto(`${base}/verify`);
seen.tabbed = [];
for (let i = 0; i < 4; i++) {
  await page.keyboard.press("Tab");
  seen.tabbed.push(await page.evaluate(() => document.activeElement.id || document.activeElement.tagName));
}

await browser.close();
console.log(JSON.stringify(seen));

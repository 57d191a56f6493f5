// A fresh deployment's first minutes in Debian's headless Chromium:
//   node first_run.mjs BASE_URL SETUP_URL ADMIN PASSWORD STAFF_USER CITIZEN_USER CITIZEN_ID AGENCY SCREENSHOT_DIR
// The home page; the one-time setup link creates the first admin, who signs in and, on
// /admin, creates a records staff account for AGENCY and a citizen account for
// CITIZEN_ID. Every page is audited (audit.mjs). Prints one JSON object; the Rust test
// asserts on it.
import { chromium } from "playwright-core";
import { audit } from "./audit.mjs";

const [base, setupUrl, adminUser, password, staffUser, citizenUser, citizenId, agency, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const seen = {};
const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // phone width

const home = await page.goto(`${base}/`);
seen.homeStatus = home.status();
seen.homeLinks = await page.locator("main a").evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
await audit(page, seen, "home");
await page.screenshot({ path: `${shots}/first-run-home.png`, fullPage: true });

await page.goto(setupUrl);
await audit(page, seen, "setup");
await page.fill("#username", adminUser);
await page.fill("#name", "Quản trị viên");
await page.fill("#password", password);
await page.fill("#confirm", password);
await page.screenshot({ path: `${shots}/first-run-setup.png`, fullPage: true });
await page.click("#create-admin");
await page.waitForURL(/\/login/);
await audit(page, seen, "login");
await page.fill("#username", adminUser);
await page.fill("#password", password);
await page.click("#sign-in");
await page.waitForURL(/\/admin/);
seen.adminHome = new URL(page.url()).pathname;
seen.overview = await page.locator(".tiles .tile").count();
seen.keyExpiry = await page.locator("#key-expiry tbody tr").count();
await audit(page, seen, "admin");
await page.screenshot({ path: `${shots}/first-run-admin.png`, fullPage: true });

async function createAccount(user, role, fill) {
  await page.fill("#username", user);
  await page.selectOption("#role", role);
  await fill();
  await page.fill("#password", password);
  await page.fill("#confirm", password);
  await page.click("#create-account");
  await page.waitForLoadState("domcontentloaded");
  return page.textContent("main");
}
seen.staffCreated = (await createAccount(staffUser, "staff", () => page.selectOption("#agency", agency))).includes(staffUser);
seen.citizenCreated = (await createAccount(citizenUser, "citizen", () => page.fill("#subject", citizenId))).includes(citizenUser);
await audit(page, seen, "admin-after");
await page.screenshot({ path: `${shots}/first-run-accounts.png`, fullPage: true });

await browser.close();
console.log(JSON.stringify(seen));

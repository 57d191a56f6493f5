// Checks shared by the browser scripts: axe-core's accessibility rules (WCAG 2.1 A/AA)
// and the page's width, on each page a script visits.
//   import { audit } from "./audit.mjs";  await audit(page, seen, "label");
// Each call appends { page, path, width, viewport, violations } to seen.audit, where
// violations are the serious and critical ones only ("id: selector" strings).
// axe is evaluated through the DevTools protocol, which the pages' content security
// policy (script-src 'self') does not govern, so the pages are audited as served.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export async function audit(page, seen, label) {
  await page.waitForLoadState("load");
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return {
      violations: r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`)),
      width: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      // What sticks out past the viewport (the innermost elements), to say where to fix.
      wide: [...document.body.querySelectorAll("*")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5
          && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5)
          && !e.closest(".scroll"))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}: ${Math.round(e.getBoundingClientRect().right)}`),
    };
  });
  (seen.audit ??= []).push({ page: label, path: new URL(page.url()).pathname, ...result });
}

/**
 * Drives the status page in Chromium (Debian's, through playwright-core), run inside the
 * namespace whose monitor it opens. Prints `{"loaded":...}` once the page shows a live session
 * (with what the page drew from the monitor's history at once: points and axis labels),
 * then samples the throughput charts for `seconds` while the test makes traffic, saves a
 * screenshot and prints `{"samples":...}` as its last line.
 *
 *   status_page_probe.ts URL SCREENSHOT_PATH [seconds]
 */

import { chromium } from "playwright-core";

const [url, screenshot, seconds = "6"] = Deno.args;
if (url === undefined || screenshot === undefined) {
  throw new TypeError("usage: status_page_probe.ts URL SCREENSHOT_PATH [seconds]");
}

const profile = await Deno.makeTempDir({ prefix: "sssonector-chromium-" });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  viewport: { width: 1100, height: 640 },
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  const failed: string[] = [];
  page.on("requestfailed", (request) => failed.push(request.url()));
  page.on("request", (request) => {
    if (!request.url().startsWith(new URL(url).origin)) failed.push(`external: ${request.url()}`);
  });
  await page.goto(url);
  await page.locator("tr.session").first().waitFor({ timeout: 15_000 });
  const row = await page.locator("tr.session").first().innerText();
  // What the page shows as soon as it is open: the monitor's history, and the charts' axes.
  const atLoad = await page.evaluate(`(() => {
    const svg = document.getElementById("chart-in");
    const texts = (selector) => [...svg.querySelectorAll(selector + " text")]
      .map((node) => node.textContent);
    return {
      points: (svg.querySelector("polyline").getAttribute("points") || "").split(" ")
        .filter(Boolean).length,
      yLabels: texts(".y-axis"),
      xLabels: texts(".x-axis"),
      rateIn: document.getElementById("rate-in").textContent,
    };
  })()`);
  console.log(JSON.stringify({ loaded: true, row, atLoad }));
  const samples: Array<{ in: number; out: number; points: number }> = [];
  const until = Date.now() + Number(seconds) * 1000;
  while (Date.now() < until) {
    await page.waitForTimeout(500);
    // A string, so that this Deno module needs no DOM types; it runs in the page.
    samples.push(
      await page.evaluate(`(() => {
        const svg = (id) => document.getElementById(id);
        const points = svg("chart-in").querySelector("polyline").getAttribute("points") || "";
        return {
          in: Number(svg("chart-in").dataset.latest),
          out: Number(svg("chart-out").dataset.latest),
          points: points.split(" ").filter(Boolean).length,
        };
      })()`) as { in: number; out: number; points: number },
    );
  }
  const state = await page.locator("#state").innerText();
  const rateIn = await page.locator("#rate-in").innerText();
  const sessionRow = await page.locator("tr.session").first().innerText();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ samples, state, rateIn, sessionRow, failed }));
} finally {
  await context.close();
  await Deno.remove(profile, { recursive: true }).catch(() => {});
}

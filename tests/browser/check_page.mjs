// Opens a wasmload page in headless Chromium and checks that it rendered: every chart has
// data points, every listed table has rows, and the console shows no errors. Saves a
// screenshot. A live page gets up to 20 s for its data to arrive; MIN_POINTS (default 1)
// sets how many points every chart line must have.
// Usage: node check_page.mjs <url> <screenshot.png> <table-id>...
import { chromium } from "playwright-core";

const [url, screenshot, ...tables] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node check_page.mjs <url> <screenshot.png> <table-id>...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const minPoints = Number(process.env.MIN_POINTS || 1);
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(url, { waitUntil: "load" });
  await page
    .waitForFunction(
      ([ids, min]) => {
        const lines = [...document.querySelectorAll("svg.chart polyline")];
        const charted = lines.length > 0 && lines.every((line) => Number(line.dataset.points) >= min);
        return charted && ids.every((id) => document.querySelectorAll(`table#${id} tbody tr`).length > 0);
      },
      [tables, minPoints],
      { timeout: 20000 },
    )
    .catch(() => problems.push("the page never showed data in every chart and table"));

  const charts = await page.$$eval("svg.chart", (svgs) =>
    svgs.map((svg) => ({
      id: svg.id,
      points: [...svg.querySelectorAll("polyline")].map((line) => Number(line.dataset.points)),
    })),
  );
  if (charts.length === 0) problems.push("no charts");
  for (const chart of charts) {
    if (chart.points.length === 0 || chart.points.some((count) => !(count > 0))) {
      problems.push(`chart ${chart.id} has a series without data points: ${chart.points}`);
    }
  }
  for (const id of tables) {
    const rows = await page.$$eval(`table#${id} tbody tr`, (trs) => trs.length);
    if (rows === 0) problems.push(`table #${id} has no rows`);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`charts: ${charts.map((c) => `${c.id}=${c.points.join("/")}`).join(", ")}`);
} finally {
  await browser.close();
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}

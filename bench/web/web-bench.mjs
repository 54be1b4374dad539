// The page as a person gets it, against a running ChatAspire (started by `bench web`, which passes a config file):
// Lighthouse (performance, accessibility, best practices; its default mobile profile with simulated throttling) on the
// sign-in page and on signed-in channel pages, then the 10,000-message channel in Chromium: the time from a click on the
// channel to its newest message on screen, and the most message rows the page holds while scrolling to the first message.
// Prints one JSON object.
import { readFileSync } from "node:fs";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A page of the site with <session> (or none) in its storage, as a person who signed in before opens it. */
async function pageWith(session) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${config.url}/favicon.svg`);
  await page.evaluate((s) => {
    localStorage.clear();
    if (s) localStorage.setItem("chataspire.session", JSON.stringify(s));
  }, session);
  return page;
}

async function audit(name, session) {
  const page = await pageWith(session);
  const runs = [];
  for (let i = 0; i < config.lighthouseRuns; i++) {
    const result = await lighthouse(`${config.url}/`, {
      output: "json", logLevel: "error", disableStorageReset: true,
      onlyCategories: ["performance", "accessibility", "best-practices"],
    }, undefined, page);
    const c = result.lhr.categories;
    const a = result.lhr.audits;
    runs.push({
      performance: Math.round(c.performance.score * 100), accessibility: Math.round(c.accessibility.score * 100),
      bestPractices: Math.round(c["best-practices"].score * 100),
      fcp: Math.round(a["first-contentful-paint"].numericValue), lcp: Math.round(a["largest-contentful-paint"].numericValue),
      tbt: Math.round(a["total-blocking-time"].numericValue), cls: a["cumulative-layout-shift"].numericValue,
      failing: Object.values(a).filter((x) => x.score !== null && x.score < 0.9 && x.scoreDisplayMode === "binary").map((x) => x.id),
      // Where the performance score goes (for bench/results/web-profile.md): shifted elements, the LCP element, long tasks.
      shifts: (a["layout-shifts"]?.details?.items || []).map((i) => ({ score: i.score, node: i.node?.snippet, selector: i.node?.selector })),
      lcpElement: a["largest-contentful-paint-element"]?.details?.items?.[0]?.items?.[0]?.node?.snippet,
      lcpPhases: a["largest-contentful-paint-element"]?.details?.items?.[1]?.items,
      longTasks: (a["long-tasks"]?.details?.items || []).map((t) => ({ url: t.url, ms: Math.round(t.duration) })),
      bootup: (a["bootup-time"]?.details?.items || []).slice(0, 5).map((t) => ({ url: t.url, ms: Math.round(t.total) })),
    });
  }
  await page.browserContext().close();
  // The median run by performance (Lighthouse's own advice for a noisy machine).
  runs.sort((x, y) => x.performance - y.performance);
  return { name, ...runs[Math.floor(runs.length / 2)], runs: runs.map((r) => r.performance) };
}

async function bigChannel() {
  const page = await pageWith(config.big.session);
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(`${config.url}/`);
  await page.waitForFunction(() => document.getElementById("status").textContent === "Connected");
  // The page opens the big channel by itself; go to the other one, forget what was loaded, and time a cold open.
  await page.waitForFunction((name) => document.getElementById("channel-title").textContent === name, {}, config.big.channel);
  await page.evaluate((name) => [...document.querySelectorAll("#channel-list button")].find((b) => b.textContent.includes(name)).click(),
    config.big.otherChannel);
  await page.waitForFunction((name) => document.getElementById("channel-title").textContent === name && !window.__chat.opening, {},
    config.big.otherChannel);
  const result = await page.evaluate(async (channel, newest) => {
    const list = document.getElementById("messages");
    window.__chat.logs.clear();
    const started = performance.now();
    [...document.querySelectorAll("#channel-list button")].find((b) => b.textContent.includes(channel)).click();
    const shown = () => [...list.querySelectorAll("li.message")].some((li) => li.querySelector(".content")?.textContent.trim() === newest);
    while (!shown()) await new Promise((r) => requestAnimationFrame(r));
    const firstRender = performance.now() - started;
    let maxRows = list.querySelectorAll(":scope > li").length;
    const oldest = () => Number(list.querySelector("li[data-seq]").dataset.seq);
    const walkStarted = performance.now();
    while (!list.querySelector('li[data-seq="1"]')) {
      const before = oldest();
      list.scrollTop = 0;
      const until = performance.now() + 15000;
      while (oldest() === before && performance.now() < until) await new Promise((r) => requestAnimationFrame(r));
      if (oldest() === before) throw new Error(`stuck at seq ${before}`);
      maxRows = Math.max(maxRows, list.querySelectorAll(":scope > li").length);
    }
    return { firstRender: Math.round(firstRender), maxRows, walkSeconds: (performance.now() - walkStarted) / 1000, domNodes: document.getElementsByTagName("*").length };
  }, config.big.channel, config.big.newest);
  await page.browserContext().close();
  return result;
}

try {
  const login = await audit("login", null);
  const channel = await audit("channel", config.channel.session);
  const big = await audit("channel10k", config.big.session);
  const scroll = await bigChannel();
  console.log(JSON.stringify({ login, channel, big, scroll }));
} finally {
  await browser.close();
}

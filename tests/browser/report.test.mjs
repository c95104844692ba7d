// Opens a cbspec HTML report in headless Chromium (Debian's package) and
// walks it as a maintainer would: from a red matrix cell to the failing
// scenario's transcript. Usage: node report.test.mjs REPORT.html [SHOT.png]
// Exits non-zero, saying which step failed, when the page does not behave.
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { strict as assert } from 'node:assert';

const [, , report, shot] = process.argv;
if (!report) {
  console.error('usage: node report.test.mjs REPORT.html [SHOT.png]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // This machine has no network beyond loopback: keep Chromium from trying.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  for (const [name, options] of [
    ['desktop, light', { viewport: { width: 1280, height: 900 }, colorScheme: 'light' }],
    ['phone, dark', { viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true }],
  ]) {
    const page = await browser.newPage(options);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('file://' + resolve(report));

    // Passing scenarios are folded away at first.
    const passing = page.locator('details.scenario[data-verdict=pass]');
    if (await passing.count() > 0) {
      assert.equal(await passing.first().isHidden(), true, `${name}: a passing scenario is shown before any filter`);
    }

    // A red cell of the matrix: its count, its upload type and body type.
    const cell = page.locator('a.cell.fail').first();
    assert.ok(await cell.count() > 0, `${name}: the report has no failing matrix cell`);
    const expected = Number(await cell.innerText());
    const op = await cell.getAttribute('data-filter-op');
    const bt = await cell.getAttribute('data-filter-bt');
    await cell.click();

    // Exactly that cell's failing scenarios are listed, opened, with transcripts.
    const shown = page.locator('details.scenario:not(.hidden)');
    assert.equal(await shown.count(), expected, `${name}: the cell says ${expected}, the list shows another number`);
    for (let i = 0; i < expected; i += 1) {
      const row = shown.nth(i);
      assert.equal(await row.getAttribute('data-verdict'), 'fail', `${name}: a non-failing row is shown`);
      assert.equal(await row.getAttribute('data-op'), op);
      assert.equal(await row.getAttribute('data-bt'), bt);
    }
    const first = shown.first();
    const transcript = first.locator('pre.transcript');
    await transcript.waitFor({ state: 'visible', timeout: 5000 });
    const text = await transcript.innerText();
    assert.match(text, /upload:/, `${name}: the transcript does not show the upload`);
    // The mismatch names its requirement, with the requirement's text beside it.
    const mismatch = first.locator('.mismatch').first();
    assert.match(await mismatch.innerText(), /breaks CB-[A-Z0-9-]+ \[(MUST|SHOULD|IMPLEMENTATION-DEFINED)\]/);
    // Its requirement link leads to the per-requirement view.
    const href = await mismatch.locator('a').first().getAttribute('href');
    assert.ok(await page.locator(href).count() === 1, `${name}: ${href} is not an anchor on the page`);

    // The tag filter: every shown row carries the chosen tag.
    await page.locator('#filter-reset').click();
    const tag = 'validation';
    await page.locator('#filters input[name=verdict]').evaluateAll((boxes) => boxes.forEach((b) => { b.checked = true; }));
    await page.locator('#filters select[name=tag]').selectOption(tag);
    const tagged = page.locator('details.scenario:not(.hidden)');
    const taggedCount = await tagged.count();
    assert.ok(taggedCount > 0, `${name}: no scenario shown for tag ${tag}`);
    for (const tags of await tagged.evaluateAll((rows) => rows.map((r) => r.dataset.tags))) {
      assert.ok(tags.split(' ').includes(tag), `${name}: a row without tag ${tag} is shown`);
    }
    const all = await page.locator('details.scenario').evaluateAll(
      (rows, t) => rows.filter((r) => r.dataset.tags.split(' ').includes(t)).length, tag);
    assert.equal(taggedCount, all, `${name}: the tag filter hides rows that carry the tag`);

    // The phone layout does not scroll sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than the screen`);
    assert.deepEqual(errors, [], `${name}: script errors`);
    if (shot) {
      await page.screenshot({ path: shot.replace(/\.png$/, `-${name.replace(/[^a-z]+/g, '-')}.png`), fullPage: false });
    }
    console.log(`${name}: clicked the red cell ${op} · ${bt} (${expected}); ${expected} failing scenarios shown, the first's transcript visible; tag ${tag}: ${taggedCount} shown`);
    await page.close();
  }
} catch (e) {
  console.error(e.message);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

/**
 * SqueezeLens in Chinese: Chromium started with --lang=zh-CN (and LANGUAGE=zh_CN, which is what
 * Linux Chromium reads; Debian ships the zh-CN locale in chromium-l10n and the CJK glyphs in
 * fonts-noto-cjk, both installed by scripts/setup.sh). The menu items, the popup (state, panels,
 * numbers), a failing job's error sentence, the options page and the layer comparison of a
 * reconstruction must come out in Chinese, with
 * nothing wider than the popup. Screenshots: test-results/screenshots/zh-*.png.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';
import { menuAction, openFixturePage, openPopup, SCREENSHOTS, screenshot, waitForJob } from '../helpers/product.js';

const zh = JSON.parse(readFileSync(join(ROOT, 'src', '_locales', 'zh_CN', 'messages.json'), 'utf8')) as Record<
  string,
  { message: string }
>;
const msg = (key: string) => zh[key].message;

let ext: LaunchedExtension;
let sw: Worker;
let servers: FixtureServers;
let page: Page;
let popup: Page;

/** Nothing in the popup is wider than the popup (a long Chinese line that does not wrap, a cut button). */
async function overflowing(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width) out.push(`page ${document.documentElement.scrollWidth}px`);
    for (const el of document.querySelectorAll<HTMLElement>('#view *, #history *, #tools *, header *')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > width + 0.5) out.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${r.right}`);
      // Text cut inside its own box (buttons, chips): more content than room, without wrapping.
      if (
        ['BUTTON', 'A', 'SPAN', 'LABEL'].includes(el.tagName) &&
        el.scrollWidth > el.clientWidth + 1 &&
        getComputedStyle(el).overflow === 'hidden'
      )
        out.push(`${el.tagName.toLowerCase()} “${el.textContent}” is cut`);
    }
    return out;
  });
}

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchExtension({ webgpu: false, lang: 'zh-CN' });
  sw = ext.sw;
  popup = await openPopup(ext.context, ext.extensionId);
  page = await openFixturePage(ext.context, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

describe('SqueezeLens in Chinese (--lang=zh-CN)', () => {
  it('the browser runs in Chinese and the extension reads zh_CN', async () => {
    const ui = await sw.evaluate(() => ({
      language: chrome.i18n.getUILanguage(),
      menu: chrome.i18n.getMessage('menuClassify'),
      saliency: chrome.i18n.getMessage('menuSaliency'),
      description: chrome.i18n.getMessage('extDescription'),
    }));
    expect(ui.language).toMatch(/^zh/);
    expect(ui).toMatchObject({
      menu: msg('menuClassify'),
      saliency: msg('menuSaliency'),
      description: msg('extDescription'),
    });
    expect(ui.menu).toBe('这是什么？');
    expect(ui.saliency).toBe('显示显著图');
  });

  it('the empty popup', async () => {
    await popup.waitForSelector('[data-testid="empty"]');
    expect(await popup.textContent('[data-testid="empty"]')).toContain(msg('emptyMenu'));
    expect(await popup.getAttribute('html', 'lang')).toMatch(/^zh/);
    expect(await popup.textContent('header .settings')).toBe('设置');
    await screenshot(popup, 'zh-empty');
  });

  it('“这是什么？” on a photo: states, panel titles and numbers in Chinese', async () => {
    const id = await menuAction(sw, page, '#same');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('monarch'); // ImageNet class names stay English
    expect(await popup.textContent('[data-testid="state"]')).toBe(msg('stateDone'));
    expect(await popup.textContent('.status .kind')).toBe(msg('kindClassify'));
    expect(await popup.textContent('.panel-classification h2')).toBe(msg('classifyTitle'));
    expect(view.top1Prob).toMatch(/^\d+(\.\d)?%$/);
    expect(view.time).toMatch(/网络推理 .*(毫秒|秒)/);
    expect(await popup.textContent('[data-testid="progress"]')).toMatch(/^从点击到结果共/);
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-classify');
  });

  it('“显示显著图”: the saliency panel in Chinese', async () => {
    const id = await menuAction(sw, page, '#same', 'saliency');
    await waitForJob(popup, id, ['done'], 120_000);
    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]');
    expect(await popup.textContent('.panel-saliency h2')).toBe(msg('salTitle'));
    expect(await popup.textContent('[data-testid="saliency-method"]')).toBe(msg('mVanilla'));
    expect(await popup.textContent('[data-testid="saliency-sanity"]')).toBe(msg('sanityAsk'));
    expect(await popup.textContent('[data-testid="saliency-show-on-page"]')).toBe(msg('pageShow'));
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-saliency');
    // On the page: the overlay's label and its close button.
    await popup.click('[data-testid="saliency-show-on-page"]');
    await popup.waitForSelector('[data-testid="saliency-remove-from-page"]');
    expect(await popup.textContent('[data-testid="saliency-page-status"]')).toBe(msg('pageShown'));
    await page.bringToFront();
    await page.locator('#same').scrollIntoViewIfNeeded();
    const box = (await page.locator('#same').boundingBox())!;
    await page.screenshot({
      path: join(SCREENSHOTS, 'zh-overlay.png'),
      clip: { x: Math.max(0, box.x - 10), y: Math.max(0, box.y - 10), width: box.width + 20, height: box.height + 20 },
    });
    // The overlay lives in a closed shadow root: read it through DevTools (pierce).
    const cdp = await ext.context.newCDPSession(page);
    const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as {
      root: { nodeValue?: string; attributes?: string[]; children?: unknown[]; shadowRoots?: unknown[] };
    };
    const texts: string[] = [];
    const walk = (n: typeof root) => {
      if (n.nodeValue) texts.push(n.nodeValue);
      if (n.attributes) texts.push(...n.attributes);
      for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? [])]) walk(c as typeof root);
    };
    walk(root);
    await cdp.detach();
    const overlayTexts = texts;
    expect(overlayTexts).toContain(msg('overlayClose'));
    expect(overlayTexts).toContain(msg('overlayLabel'));
  });

  it('a failing job (404): the error sentence and the “之前” list in Chinese; the code stays', async () => {
    const id = await menuAction(sw, page, '#missing');
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('error');
    expect(view.errorCode).toBe('http');
    expect(view.error).toMatch(/^无法下载图像：服务器返回 HTTP 404/);
    expect(await popup.textContent('[data-testid="state"]')).toBe(msg('stateError'));
    expect(await popup.textContent('#history h2')).toBe(msg('historyTitle'));
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-error');
  });

  it('“生成对抗样本…”: the fooling form in Chinese', async () => {
    const id = await menuAction(sw, page, '#same', 'fool');
    await waitForJob(popup, id, ['done']);
    await popup.waitForSelector('[data-testid="fool-method"]');
    expect(await popup.textContent('.panel-fool h2')).toBe(msg('foolTitle'));
    expect(await popup.textContent('[data-testid="fool-least-likely"]')).toBe(msg('foolLeastLikely'));
    expect(await popup.getAttribute('[data-testid="fool-target-search"]', 'placeholder')).toBe(msg('foolSearch'));
    const options = await popup.$$eval('[data-testid="fool-confidence"] option', (os) => os.map((o) => o.textContent));
    expect(options).toEqual([msg('foolStopTop'), '置信度达到 50%', '置信度达到 90%']);
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-fool');
    // A class that does not exist, then gorilla, and the attack (CS231n's, the default).
    await popup.fill('[data-testid="fool-target-search"]', 'no such thing at all');
    expect(await popup.textContent('[data-testid="fool-target-results"]')).toBe(
      '没有与“no such thing at all”匹配的 ImageNet 类别',
    );
    await popup.fill('[data-testid="fool-target-search"]', 'gorilla');
    await popup.click('[data-testid="fool-target-results"] button[data-index="366"]');
    expect(await popup.textContent('[data-testid="fool-target"]')).toBe('gorilla');
    await popup.click('[data-testid="fool-start"]');
    await popup.waitForSelector('[data-testid="fool-result"]', { timeout: 90_000 });
    await popup.waitForSelector('[data-testid="fool-difference-10x"][data-ready="true"]');
    expect(await popup.textContent('[data-testid="fool-result"]')).toMatch(/^骗过了：SqueezeNet 现在看到的是“gorilla”/);
    expect(await popup.textContent('[data-testid="fool-numbers"]')).toMatch(
      /\d+ 步 · L∞ \d+\/255 · L2 \d+ · \d+% 的像素被改动/,
    );
    await popup.setViewportSize({ width: 380, height: 900 });
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-fool-result');
    await popup.setViewportSize({ width: 380, height: 600 });
  });

  it('the options page', async () => {
    const options = await ext.context.newPage();
    await options.setViewportSize({ width: 640, height: 720 });
    await options.goto(`chrome-extension://${ext.extensionId}/options.html`);
    await options.waitForFunction(() => document.querySelector('h1')?.textContent !== 'SqueezeLens settings');
    expect(await options.textContent('h1')).toBe(msg('optionsTitle'));
    expect(await options.title()).toBe(msg('optionsTitle'));
    expect(await options.textContent('legend')).toBe(msg('optionsLooksAt'));
    await options.screenshot({ path: join(SCREENSHOTS, 'zh-options.png'), fullPage: true });
    await options.close();
  });

  it('“由特征重建图像…”, then “逐层比较”: the layer comparison in Chinese', async () => {
    await sw.evaluate(() => chrome.storage.local.set({ settings: { synthesisIterations: 30 } })); // the least
    const id = await menuAction(sw, page, '#picture', 'invert');
    await waitForJob(popup, id, ['done'], 120_000);
    await popup.setViewportSize({ width: 380, height: 900 });
    expect(await popup.textContent('[data-testid="layers-start"]')).toBe(msg('layersStart'));
    expect(await popup.textContent('[data-testid="layers"] h3')).toBe(msg('layersTitle'));
    // the layers listed as Chinese lists them (Intl.ListFormat), not joined with English commas
    expect(await popup.textContent('[data-testid="layers-about"]')).toMatch(
      /^由 conv1、fire2、fire4、fire6和fire8 的特征/,
    );
    await popup.click('[data-testid="layers-start"]');
    await popup.waitForFunction(
      () =>
        // any layer's line: conv1's 30 steps (the forward pass stops at conv1) can end between two
        // throttled progress writes, so its own line may never be shown
        /^(conv1|fire2|fire4|fire6|fire8)：第 \d+ \/ 30 步$/.test(
          document.querySelector('[data-testid="layers-progress"]')?.textContent ?? '',
        ),
      undefined,
      { timeout: 60_000 },
    );
    expect(await popup.textContent('[data-testid="layers-running"] .state')).toBe(msg('layersForming'));
    await popup.waitForSelector('[data-testid="layers-pictures"]', { timeout: 240_000 });
    expect(await popup.textContent('[data-testid="layers-download-fire8"]')).toBe(msg('layersDownload'));
    expect(await popup.textContent('[data-testid="layers-result"]')).toMatch(
      /^每层 30 步 · 内容损失降低 [\d.]+× 至 [\d.]+× · /,
    );
    expect(await overflowing(popup)).toEqual([]);
    await screenshot(popup, 'zh-layers');
  });
});

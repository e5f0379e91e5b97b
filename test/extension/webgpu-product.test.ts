/**
 * One small case through the whole product on WebGPU: the user picks "Always WebGPU" on the options
 * page (this machine has only the SwiftShader software adapter, which `auto` rightly refuses), then
 * right-clicks a photo → "What is this?": the popup shows the right top-1 and says the WebGPU
 * software adapter ran it. Kept to one classification: SwiftShader is ~50× slower than WASM here.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';
import { menuAction, openFixturePage, openPopup, screenshot, waitForJob } from '../helpers/product.js';

let ext: LaunchedExtension;
let servers: FixtureServers;
let page: Page;

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchExtension({ webgpu: true });
  page = await openFixturePage(ext.context, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

describe('the product on WebGPU (software adapter)', () => {
  it('options → "Always WebGPU", then What is this? on a photo: monarch, on webgpu', async () => {
    const options = await ext.context.newPage();
    await options.goto(`chrome-extension://${ext.extensionId}/options.html`);
    await options.check('input[name="backend"][value="webgpu"]');
    await options.waitForFunction(
      async () =>
        ((await chrome.storage.local.get('settings')).settings as { backend?: string } | undefined)?.backend ===
        'webgpu',
      null,
      { polling: 50 },
    );
    await options.close();

    const popup = await openPopup(ext.context, ext.extensionId);
    await page.bringToFront();
    const id = await menuAction(ext.sw, page, '#same', 'classify');
    const view = await waitForJob(popup, id, undefined, 120_000);
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('monarch');
    expect(view.backend).toMatch(/^webgpu \(software adapter\)$/);
    await screenshot(popup, 'webgpu-classification');
  });
});

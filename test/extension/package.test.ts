/**
 * `npm run package`: one build, two store packages named with package.json's version — the Chrome
 * zip with Chrome's manifest, the Firefox zip with the generated gecko manifest — each with the
 * manifest at the archive's root, both languages, the model data and WASM files, and never the test
 * hook or the offscreen document in Firefox's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';
import { packageExtension } from '../../scripts/package.js';
import { readZip } from '../helpers/zip.js';

describe('npm run package', () => {
  it('writes the Chrome and Firefox zips from one build', async () => {
    const version = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string;
    const paths = await packageExtension();
    expect(paths).toEqual([
      join(ROOT, 'dist', `squeezelens-chrome-${version}.zip`),
      join(ROOT, 'dist', `squeezelens-firefox-${version}.zip`),
    ]);
    for (const [i, path] of paths.entries()) {
      const entries = readZip(await readFile(path));
      const file = (name: string) => entries.find((e) => e.name === name);
      const manifest = JSON.parse(file('manifest.json')!.read().toString('utf8'));
      expect(manifest.version).toBe(version);
      expect(manifest.name).toBe('__MSG_extName__');
      for (const name of [
        'background.js',
        'popup.js',
        'content.js',
        '_locales/en/messages.json',
        '_locales/zh_CN/messages.json',
        'models/imagenet_classes.json',
        'icons/icon128.png',
      ])
        expect(file(name), `${name} in ${path}`).toBeDefined();
      expect(entries.some((e) => e.name.startsWith('wasm/') && e.name.endsWith('.wasm'))).toBe(true);
      expect(file('background.js')!.read().toString('utf8')).not.toContain('__squeezelens');
      if (i === 0) {
        expect(manifest.background.service_worker).toBe('background.js');
        expect(file('offscreen.html')).toBeDefined();
      } else {
        expect(manifest.background.scripts).toEqual(['background.js']);
        expect(manifest.browser_specific_settings.gecko.id).toBeTruthy();
        expect(file('offscreen.html')).toBeUndefined();
        expect(file('background.js')!.read().toString('utf8')).not.toContain('chrome.offscreen');
      }
    }
  });
});

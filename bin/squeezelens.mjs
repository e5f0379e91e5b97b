#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so in a checkout the CLI is always the code in src/.
// Not shipped: the package's `bin` is the bundle `npm run build:cli` makes (no tsx at run time).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');

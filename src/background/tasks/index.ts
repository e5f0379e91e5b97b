/**
 * Every task of the worker, by kind: one file each. Adding a task = a file here (its spec), an
 * entry in this table, its request in ../../shared/messages.ts, its names and defaults in
 * ../../shared/catalog.ts, and a popup panel (README, "Adding a task").
 */
import type { TaskKind } from '../../shared/jobs.js';
import { channel } from './channel.js';
import { classify } from './classify.js';
import { dream } from './dream.js';
import { fool } from './fool.js';
import { invert } from './invert.js';
import { layers } from './layers.js';
import { noise } from './noise.js';
import { saliency } from './saliency.js';
import { sanity } from './sanity.js';
import { segment } from './segment.js';
import { style } from './style.js';
import { stylize } from './stylize.js';
import { texture } from './texture.js';
import type { TaskSpec } from './types.js';
import { visualize } from './visualize.js';

export const TASKS = {
  classify,
  saliency,
  sanity,
  fool,
  dream,
  visualize,
  style,
  invert,
  stylize,
  texture,
  channel,
  noise,
  segment,
  layers,
} satisfies { [K in TaskKind]: TaskSpec<K> };

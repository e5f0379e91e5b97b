/**
 * The popup's own state, one object for the whole popup (made once by the entry, reached through
 * the context): which job is pinned, the saliency viewer's choices, and per job the fooling form
 * and what the page was asked to show. Per-job state outlives the panels (going to another job in
 * "Earlier" and back keeps a chosen target or the "Restore original" button); it lasts as long as
 * the popup is open.
 */
import { type Signal, signal } from '@preact/signals';
import type { ColormapName } from '../render/colormap.js';
import { ATTACKS, type AttackMethod, DEFAULT_FOOL_CONFIDENCE } from '../shared/catalog.js';
import type { TargetChoice } from '../shared/task-results.js';

export interface ViewChoices {
  opacity: number;
  colormap: ColormapName;
  /** dim all but the top DEFAULT_MASK_KEEP of the map */
  mask: boolean;
  /** show the blurred map (raw gradients are speckled) */
  smooth: boolean;
}

/** A line under the page buttons: what the page did, or why it refused. */
export interface PageMessage {
  text: string;
  bad: boolean;
}

export interface FoolForm {
  target?: TargetChoice;
  /** the chip's text: a class name, "the least likely class", "a random class" */
  targetLabel?: string;
  method: AttackMethod;
  /** the budget field as typed (validated on start) */
  budget: string;
  confidence: number;
  query: string;
  /** the page shows the fooled image */
  replaced: boolean;
  pageMessage?: PageMessage;
  startError?: string;
}

export interface OverlayState {
  /** the saliency map is drawn over the image on the page */
  shown: boolean;
  message?: PageMessage;
}

export const newFoolForm = (): FoolForm => ({
  method: 'cs231n',
  budget: String(ATTACKS.cs231n.budget.default),
  confidence: DEFAULT_FOOL_CONFIDENCE,
  query: '',
  replaced: false,
});

function perJob<T>(map: Map<string, Signal<T>>, id: string, initial: () => T): Signal<T> {
  let s = map.get(id);
  if (!s) map.set(id, (s = signal(initial())));
  return s;
}

export class PopupUi {
  /** the job on screen; null: follow the newest */
  readonly pinned: Signal<string | null>;
  /** the viewer's choices, shared by every saliency map while the popup is open */
  readonly view = signal<ViewChoices>({ opacity: 0.7, colormap: 'inferno', mask: false, smooth: true });
  /** results that arrived before this were there when the popup opened: never scrolled to */
  readonly openedAt = Date.now();
  /** results already scrolled into view (each at most once) */
  readonly revealed = new Set<string>();

  private readonly foolForms = new Map<string, Signal<FoolForm>>();
  private readonly overlays = new Map<string, Signal<OverlayState>>();

  constructor(pinned: string | null) {
    this.pinned = signal(pinned);
  }

  foolForm(jobId: string): Signal<FoolForm> {
    return perJob(this.foolForms, jobId, newFoolForm);
  }

  overlay(jobId: string): Signal<OverlayState> {
    return perJob(this.overlays, jobId, () => ({ shown: false }));
  }
}

/**
 * The popup's shared objects — the storage store, its own UI state, the messaging and the style image —
 * handed to every component through one Preact context rather than module-level holders.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Actions } from './actions.js';
import type { SessionStore } from './store.js';
import type { StyleSource } from './style-source.js';
import type { PopupUi } from './ui-state.js';

export interface Popup {
  store: SessionStore;
  ui: PopupUi;
  actions: Actions;
  /** the style image kept in storage.local */
  style: StyleSource;
}

export const PopupContext = createContext<Popup | null>(null);

export function usePopup(): Popup {
  const popup = useContext(PopupContext);
  if (!popup) throw new Error('a popup component was rendered outside PopupContext');
  return popup;
}

/**
 * The popup's three shared objects — the storage store, its own UI state and the messaging —
 * handed to every component through one Preact context rather than module-level holders.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Actions } from './actions.js';
import type { SessionStore } from './store.js';
import type { PopupUi } from './ui-state.js';

export interface Popup {
  store: SessionStore;
  ui: PopupUi;
  actions: Actions;
}

export const PopupContext = createContext<Popup | null>(null);

export function usePopup(): Popup {
  const popup = useContext(PopupContext);
  if (!popup) throw new Error('a popup component was rendered outside PopupContext');
  return popup;
}

import { createStore } from './store';

/** Short confirmations and failures shown in a polite live region at the bottom of the page. */
export interface Notice {
  id: number;
  tone: 'success' | 'error' | 'info';
  text: string;
}

export const notices = createStore<Notice[]>([]);
let nextId = 1;

export function notify(text: string, tone: Notice['tone'] = 'success', ttlMs = 6000): void {
  const id = nextId++;
  notices.set((list) => [...list.slice(-3), { id, tone, text }]);
  setTimeout(() => dismiss(id), ttlMs);
}

export function dismiss(id: number): void {
  notices.set((list) => list.filter((n) => n.id !== id));
}

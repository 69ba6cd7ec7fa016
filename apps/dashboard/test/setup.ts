import { afterEach, inject } from 'vitest';
import { cleanup } from '@testing-library/react';
import { setApiBase } from '../src/api/client';
import { session } from '../src/api/session';

// The page "is" the broker's origin, as in production where the broker serves the dashboard.
const brokerUrl = inject('brokerUrl');
(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${brokerUrl}/`);
setApiBase('');

afterEach(() => {
  cleanup();
  session.signOut();
  sessionStorage.clear();
});

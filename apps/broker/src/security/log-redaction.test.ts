import { describe, expect, it } from 'vitest';
import { redactUrl, REDACTED } from './log-redaction.js';

const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6WyJhZG1pbiJdfQ.c2lnbmF0dXJlLXBhcnQ';

describe('redactUrl', () => {
  it('hides token-like query parameters and keeps the rest', () => {
    expect(redactUrl(`/v4/events?token=${jwt}&x=1`)).toBe(`/v4/events?token=${REDACTED}&x=1`);
    expect(redactUrl('/v4/buildClusters?access_token=abc&isActive=true')).toBe(
      `/v4/buildClusters?access_token=${REDACTED}&isActive=true`,
    );
    expect(redactUrl('/a?API_KEY=k&Signature=s&password=p')).toBe(
      `/a?API_KEY=${REDACTED}&Signature=${REDACTED}&password=${REDACTED}`,
    );
    expect(redactUrl('/a?%74oken=abc')).toBe(`/a?%74oken=${REDACTED}`);
  });

  it('hides a JWT wherever it is in the URL', () => {
    expect(redactUrl(`/v4/buildClusters/${jwt}`)).toBe(`/v4/buildClusters/${REDACTED}`);
    expect(redactUrl(`/x?q=${jwt}`)).toBe(`/x?q=${REDACTED}`);
  });

  it('leaves ordinary URLs alone, malformed escapes included', () => {
    for (const url of [
      '/v4/queues/alpha/poll',
      '/v4/buildClusters?isActive=true&managedBy=external',
      '/a?%ZZ=1',
      '/a?',
      '/a?flag',
    ]) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});

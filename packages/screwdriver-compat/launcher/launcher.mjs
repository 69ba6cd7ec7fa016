#!/usr/bin/env node
// The --exec command of the compatibility test's worker. For a `start` it talks to Screwdriver's API
// the way Screwdriver's launcher does, with nothing but the start message it got on stdin:
//   POST {apiUri}/v4/builds/{id}/token {buildTimeout}  the message's temporal token → a build token
//   GET  {apiUri}/v4/builds/{id} and /steps             what to run
//   PUT  {apiUri}/v4/builds/{id} {status: RUNNING}
//   PUT  {apiUri}/v4/builds/{id}/steps/{name}           {startTime}, then {endTime, code}
//   PUT  {apiUri}/v4/builds/{id} {status: SUCCESS}
// Jobs whose name starts with "hold" stop after starting their first step and wait to be stopped
// (SIGTERM from the worker), for at most HOLD_SECONDS. Jobs whose name starts with "pause" spend
// PAUSE_SECONDS in their first step, then go on to SUCCESS. A `stop` is only recorded.
// Everything it sees and every call's answer is written to $LAUNCHER_DIR/<buildId>-<type>-<attempt>.json.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HOLD_SECONDS = 150;
const PAUSE_SECONDS = 10;
const dir = process.env.LAUNCHER_DIR;
const type = process.env.MESSAGE_TYPE;
const buildId = Number(process.env.BUILD_ID);
const attempt = process.env.BUILD_ATTEMPT;
if (!dir || !type || !Number.isSafeInteger(buildId)) {
  process.stderr.write('launcher: LAUNCHER_DIR, MESSAGE_TYPE and BUILD_ID are required\n');
  process.exit(2);
}

const message = JSON.parse(readFileSync(0, 'utf8'));
const record = {
  type,
  attempt,
  buildId,
  message,
  tokenClaims: null,
  calls: [],
  outcome: 'running',
  startedAt: new Date().toISOString(),
};
const file = join(dir, `${buildId}-${type}-${attempt}.json`);

/** Written after every step, atomically, so the test can follow the build while it runs. */
function save() {
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${file}.tmp`, file);
}

function claimsOf(token) {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

async function call(method, path, token, body) {
  const url = `${String(message.apiUri).replace(/\/+$/, '')}${path}`;
  // Noted before it is sent (status null until answered): a stop may end the launcher mid-call.
  // `at` is when it was sent (the test orders builds by it), `answeredAt` when its answer came.
  const entry = { method, path, body, status: null, at: new Date().toISOString() };
  record.calls.push(entry);
  save();
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Kept as text.
  }
  entry.status = res.status;
  entry.answeredAt = new Date().toISOString();
  if (!res.ok) entry.answer = parsed;
  save();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return parsed;
}

function finish(outcome, code) {
  record.outcome = outcome;
  save();
  process.exit(code);
}

process.on('SIGTERM', () => finish('terminated', 0));

async function start() {
  record.tokenClaims = claimsOf(message.token);
  save();
  const minutes = Number(message.annotations?.['screwdriver.cd/timeout'] ?? 90);
  const { token } = await call('POST', `/v4/builds/${buildId}/token`, message.token, { buildTimeout: minutes });
  await call('GET', `/v4/builds/${buildId}`, token);
  const steps = await call('GET', `/v4/builds/${buildId}/steps`, token);
  await call('PUT', `/v4/builds/${buildId}`, token, { status: 'RUNNING' });
  // sd-setup-init is closed by the API itself when the build goes RUNNING.
  for (const step of steps.filter((s) => s.name !== 'sd-setup-init')) {
    await call('PUT', `/v4/builds/${buildId}/steps/${encodeURIComponent(step.name)}`, token, {
      startTime: new Date().toISOString(),
    });
    if (String(message.jobName).startsWith('hold') && !step.name.startsWith('sd-')) {
      record.outcome = 'holding';
      save();
      await new Promise((resolve) => setTimeout(resolve, HOLD_SECONDS * 1000));
      finish('never stopped', 1);
    }
    if (String(message.jobName).startsWith('pause') && !step.name.startsWith('sd-')) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_SECONDS * 1000));
    }
    await call('PUT', `/v4/builds/${buildId}/steps/${encodeURIComponent(step.name)}`, token, {
      endTime: new Date().toISOString(),
      code: 0,
    });
  }
  await call('PUT', `/v4/builds/${buildId}`, token, { status: 'SUCCESS' });
  finish('succeeded', 0);
}

if (type === 'stop') {
  finish('stop received', 0);
} else {
  start().catch((err) => {
    record.error = err.message;
    finish('failed', 1);
  });
}

#!/usr/bin/env node
// The CLI is compiled to dist/ from src/cli.ts (`pnpm build` at the repo root builds it).
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: an HTTP keep-alive socket or a stray timer must not keep a stopped worker alive.
process.exit(code);

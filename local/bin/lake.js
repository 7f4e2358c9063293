#!/usr/bin/env node
// The `lake` CLI runs the TypeScript sources directly through tsx: no build step between a clone and a running lake.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
import { runCli } from './main.js';

// Exit explicitly: an RPC provider or a worker must not keep a finished command alive (pipes are synchronous on Linux).
process.exit(await runCli(process.argv.slice(2)));

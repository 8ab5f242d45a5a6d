// scripts/contract: see the header of scripts/contract.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startWorker } from '../../tests/e2e/harness.mjs';
import { devVarsExample } from '../../tests/e2e/lib.mjs';

const TOKENS = devVarsExample();
const MAX_EXAMPLES = process.env.CONTRACT_MAX_EXAMPLES ?? '30';
const SEED = process.env.CONTRACT_SEED ?? '20261202';

async function main() {
  // Rate limits scaled far up: schemathesis sends thousands of requests from one client.
  const worker = await startWorker({ vars: { ...TOKENS, RATE_LIMIT_SCALE: '100000' }, logLevel: 'info' });
  let code = 1;
  try {
    const args = [
      'run', `${worker.url}/openapi.json`, '--url', worker.url,
      '--checks', 'all',
      '--max-examples', MAX_EXAMPLES, '--seed', SEED,
      '--workers', '1', '--request-timeout', '30',
      '--header', `Authorization: Bearer ${TOKENS.ADMIN_TOKEN}`,
      '--suppress-health-check', 'all',
      '--no-color',
      ...process.argv.slice(2),
    ];
    process.stderr.write(`contract: schemathesis ${args.join(' ').replace(TOKENS.ADMIN_TOKEN, '***')}\n`);
    code = await new Promise((resolve) => {
      const child = spawn(process.env.SCHEMATHESIS ?? 'schemathesis', args, { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: join(ROOT, 'scripts', 'lib') } });
      child.on('exit', (c) => resolve(c ?? 1));
      child.on('error', (e) => { process.stderr.write(`contract: ${e.message} (pip install schemathesis)\n`); resolve(1); });
    });
  } finally {
    await worker.stop();
  }
  process.exitCode = code;
}

main().catch((e) => { console.error(e); process.exitCode = 1; });

import { DEFAULT_APP_LIMITS } from '@mu/runtime';

/** The templates of `mu new`. */
export type TemplateName = 'http' | 'kv' | 'wasi-http';

/** Names of the templates, for help and validation. */
export const TEMPLATES: readonly TemplateName[] = ['http', 'kv', 'wasi-http'];

// QuickJS has no TextEncoder/TextDecoder: the templates carry small UTF-8 helpers (runtime README, guest notes).
const HELPERS = `function utf8(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function text(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return decodeURIComponent(escape(binary));
}

// No URL class in QuickJS: the path is what follows the origin, without the query.
function pathOf(url) {
  return url.replace(/^[a-z]+:\\/\\/[^/]*/, '').split('?')[0] || '/';
}
`;

const HTTP_APP = `// A Mu app (world mu:app/app in wit/mu.wit): \`handle\` answers one HTTP request.
// request: { method, url, headers: [[name, value]], body: Uint8Array }; return { status, headers, body }.
import { get } from 'mu:app/config@0.1.0';
import { log } from 'mu:app/log@0.1.0';

${HELPERS}
export function handle(request) {
  const path = pathOf(request.url);
  const greeting = get('GREETING') ?? 'hello';
  log('info', \`\${request.method} \${path}\`);
  if (request.method === 'POST') {
    return { status: 200, headers: [['content-type', 'text/plain; charset=utf-8']], body: utf8(\`you sent: \${text(request.body)}\`) };
  }
  return {
    status: 200,
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: utf8(\`\${greeting} from Mu: \${request.method} \${path}\`),
  };
}
`;

const KV_APP = `// A Mu app with MuDB (wasi:keyvalue 0.2.0-draft2): GET /count increments a counter,
// PUT /items/<key> stores the body, GET /items/<key> reads it back.
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { open } from 'wasi:keyvalue/store@0.2.0-draft2';

${HELPERS}
function json(status, value) {
  return { status, headers: [['content-type', 'application/json']], body: utf8(JSON.stringify(value)) };
}

export function handle(request) {
  const path = pathOf(request.url);
  const bucket = open('default');
  if (path === '/count') return json(200, { count: Number(increment(bucket, 'count', 1)) });
  const item = /^\\/items\\/(.+)$/.exec(path);
  if (item) {
    const key = decodeURIComponent(item[1]);
    if (request.method === 'PUT') {
      bucket.set(key, request.body);
      return json(200, { stored: key, bytes: request.body.length });
    }
    const value = bucket.get(key);
    return value === null || value === undefined ? json(404, { error: 'not found' }) : json(200, { key, value: text(value) });
  }
  return json(404, { error: 'try GET /count or PUT /items/<key>' });
}
`;

const WASI_HTTP_APP = `// A standard wasi:http/proxy app (StarlingMonkey, built with componentize-js): portable to other WASI hosts.
// Web APIs (Request, Response, URL, TextEncoder) are available; a fresh instance answers each request.
addEventListener('fetch', (event) => {
  event.respondWith(
    (async () => {
      const url = new URL(event.request.url);
      const body = await event.request.text();
      return new Response(\`hello from wasi:http: \${event.request.method} \${url.pathname} \${body.length}\`, {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    })(),
  );
});
`;

/** The files of a new project (paths relative to its folder), besides the copied WIT. */
export function templateFiles(template: TemplateName, name: string): Record<string, string> {
  const config = {
    name,
    entry: 'src/app.js',
    world: template === 'wasi-http' ? 'wasi-http' : 'mu',
    out: 'dist/app.wasm',
    env: template === 'http' ? { GREETING: 'hello' } : {},
    limits: { ...DEFAULT_APP_LIMITS },
    ...(template === 'kv' ? { kv: { quotaBytes: 10_485_760 } } : {}),
  };
  return {
    'mu.json': `${JSON.stringify(config, null, 2)}\n`,
    'src/app.js': template === 'http' ? HTTP_APP : template === 'kv' ? KV_APP : WASI_HTTP_APP,
    '.gitignore': 'dist/\n.mu/\n',
    'README.md': `# ${name}

A Mu app (template \`${template}\`). \`wit/\` is the world it targets (${template === 'wasi-http' ? 'wasi:http/proxy for StarlingMonkey' : "the Mu world, a copy of @mu/runtime's"}).

\`\`\`sh
mu build        # dist/app.wasm (componentize-qjs)
mu dev          # http://127.0.0.1:8787/, rebuilt on change
mu deploy --provider <addr> --region <name|id> --prepay 5 --code-url <where the provider fetches dist/app.wasm>
\`\`\`
`,
  };
}

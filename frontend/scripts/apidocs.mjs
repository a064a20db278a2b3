// Copies Swagger UI's files from swagger-ui-dist into the build
// (dist/apidocs), where the Go binary embeds them: the REST API's docs page
// (/api/docs, served by backend/restapi) loads them from the server, never
// from a CDN. Run by `npm run build` after vite.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const from = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const to = join(here, '..', 'dist', 'apidocs');
mkdirSync(to, { recursive: true });
for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE']) copyFileSync(join(from, f), join(to, f));

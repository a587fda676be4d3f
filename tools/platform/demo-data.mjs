// npm start's first ten minutes: a local development admin and a small demo catalog (a few thousand
// products in several categories, some with images), made once. Idempotent: the admin is registered
// only if missing, the catalog is seeded only while it is empty. Local development only: the chart
// never creates either.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DEMO_PRODUCTS = 3000;
const IMAGES = 6;

/** The admin's credentials, generated once into .local/dev-admin.json (mode 600). */
export function devAdmin(root) {
  const file = join(root, '.local', 'dev-admin.json');
  if (!existsSync(file)) {
    const admin = { email: 'admin@example.com', password: randomBytes(12).toString('base64url') };
    writeFileSync(file, `${JSON.stringify(admin, null, 2)}\n`, { mode: 0o600 });
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function call(lb, method, path, { body, token, form } = {}) {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
  const response = await fetch(`${lb}${path}`, { method, headers, body: form ?? (body ? JSON.stringify(body) : undefined), signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function adminToken(lb, admin) {
  const registered = await call(lb, 'POST', '/auth/register', { body: { ...admin, displayName: 'Dev Admin' } });
  if (registered.status !== 201 && registered.status !== 409) throw new Error(`registering the dev admin: HTTP ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await call(lb, 'POST', '/auth/login', { body: admin });
  if (login.status !== 200) throw new Error(`dev admin login: HTTP ${login.status} (delete .local/dev-admin.json and the user if the password changed)`);
  if (!login.body.user?.roles?.includes('admin')) throw new Error('admin@example.com exists without the admin role (registered before AUTH_ADMIN_EMAILS named it)');
  return login.body.accessToken;
}

/** A few solid-colour PNGs uploaded to media and attached to the newest products (thumbnails follow via Kafka). */
async function attachImages(lb, token) {
  const { default: sharp } = await import('sharp');
  const page = await call(lb, 'GET', `/catalog/products?limit=${IMAGES}`);
  const colours = ['#e4572e', '#29335c', '#f3a712', '#a8c686', '#669bbc', '#8e4162'];
  for (const [index, product] of (page.body.items ?? []).entries()) {
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: colours[index % colours.length] } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), `demo-${index + 1}.png`);
    const uploaded = await call(lb, 'POST', '/media/assets', { token, form });
    if (uploaded.status !== 202) throw new Error(`uploading a demo image: HTTP ${uploaded.status}`);
    const patched = await call(lb, 'PATCH', `/catalog/products/${product.id}`, { token, body: { imageAssetIds: [uploaded.body.id] } });
    if (patched.status !== 200) throw new Error(`attaching a demo image: HTTP ${patched.status}`);
  }
}

/** Makes sure the admin and the demo catalog exist; returns what the banner prints. */
export async function prepareDemo({ root, lb, log }) {
  const admin = devAdmin(root);
  const token = await adminToken(lb, admin);
  const first = await call(lb, 'GET', '/catalog/products?limit=1');
  if (first.status !== 200) throw new Error(`listing products: HTTP ${first.status}`);
  if (first.body.items.length === 0) {
    log(`seeding a demo catalog (${DEMO_PRODUCTS} products, ${IMAGES} with images)...`);
    await run('bash', [join(root, 'scripts/service-env.sh'), 'catalog', 'node', 'dist/apps/catalog/main.js', 'seed', '--products', String(DEMO_PRODUCTS)], { cwd: root });
    // The seed's event drops cached list pages; wait until the balancer shows the new products.
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await call(lb, 'GET', '/catalog/products?limit=1')).body.items.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await attachImages(lb, token);
  }
  const product = (await call(lb, 'GET', '/catalog/products?limit=1')).body.items[0];
  return { admin, productId: product?.id };
}

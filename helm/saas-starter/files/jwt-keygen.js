// Creates the Secret holding auth's JWT_SIGNING_KEYS (a JSON array with one private RSA JWK) if it
// does not exist yet; never replaces it, so issued tokens stay valid across upgrades. Runs in the auth
// image (Node.js 20) with a projected service-account token allowed to create that one Secret.
const { generateKeyPairSync, randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');

const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
const namespace = readFileSync(`${sa}/namespace`, 'utf8').trim();
const token = readFileSync(`${sa}/token`, 'utf8').trim();
const name = process.env.SECRET_NAME;
const base = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}/api/v1/namespaces/${namespace}/secrets`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function main() {
  const existing = await fetch(`${base}/${name}`, { headers });
  if (existing.status === 200) return console.log(`secret ${name} exists: keeping its signing keys`);
  if (existing.status !== 404) throw new Error(`GET secret ${name}: HTTP ${existing.status} ${await existing.text()}`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `k8s-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}` };
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: JSON.parse(process.env.SECRET_LABELS || '{}') },
    type: 'Opaque',
    stringData: { JWT_SIGNING_KEYS: JSON.stringify([jwk]) },
  };
  const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify(body) });
  if (created.status === 409) return console.log(`secret ${name} was created concurrently: keeping it`);
  if (created.status !== 201) throw new Error(`POST secret ${name}: HTTP ${created.status} ${await created.text()}`);
  console.log(`secret ${name} created with signing key ${jwk.kid}`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});

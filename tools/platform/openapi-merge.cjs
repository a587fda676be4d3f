// One OpenAPI document for the whole platform, made from the four services' own documents: what the
// balancer serves at /docs (the supervisor fetches each service's /<service>/docs/openapi.json from a
// running replica and merges them on request; see supervisor.mjs). CommonJS so the tests can require it.
'use strict';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Rewrites every `$ref` to a component schema through `rename` (deep copy). */
function renameRefs(value, rename) {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, rename));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/components/schemas/')) {
          return [key, `#/components/schemas/${rename(item.slice('#/components/schemas/'.length))}`];
        }
        return [key, renameRefs(item, rename)];
      }),
    );
  }
  return value;
}

/**
 * Merges `{ auth: document, catalog: document, ... }` into one OpenAPI 3.0 document. Paths are already
 * distinct (each carries its service prefix); a path served by two services is an error. Schemas with
 * the same name and the same content (ProblemDetails) are kept once; the same name with different
 * content is renamed `<service>.<Name>` in that service's part. Tags become `<service>: <tag>`.
 */
function mergeOpenApi(documents, { title = 'saas-starter API', version = '1' } = {}) {
  const services = Object.keys(documents);
  if (services.length === 0) throw new Error('nothing to merge: no service documents');
  const merged = {
    openapi: '3.0.0',
    info: { title, version, description: `Every service behind the balancer: ${services.map((s) => `/${s}`).join(', ')}.` },
    tags: [],
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  };
  const owner = {};
  for (const service of services) {
    const document = documents[service];
    if (!document || typeof document !== 'object' || typeof document.paths !== 'object' || !String(document.openapi ?? '').startsWith('3.')) {
      throw new Error(`${service}: not an OpenAPI 3 document`);
    }
    const schemas = document.components?.schemas ?? {};
    const names = {};
    for (const [name, schema] of Object.entries(schemas)) {
      const existing = merged.components.schemas[name];
      names[name] = existing === undefined || sameJson(existing, renameRefs(schema, (n) => n)) ? name : `${service}.${name}`;
    }
    const rename = (name) => names[name] ?? name;
    for (const [name, schema] of Object.entries(schemas)) merged.components.schemas[rename(name)] = renameRefs(schema, rename);
    for (const [name, scheme] of Object.entries(document.components?.securitySchemes ?? {})) {
      const existing = merged.components.securitySchemes[name];
      if (existing && !sameJson(existing, scheme)) throw new Error(`${service}: security scheme '${name}' differs from ${owner[`scheme:${name}`]}'s`);
      merged.components.securitySchemes[name] = scheme;
      owner[`scheme:${name}`] ??= service;
    }
    for (const [path, item] of Object.entries(document.paths)) {
      if (merged.paths[path]) throw new Error(`${service}: path ${path} is also served by ${owner[path]}`);
      owner[path] = service;
      const copy = renameRefs(item, rename);
      for (const method of METHODS) {
        if (copy[method]) copy[method].tags = (copy[method].tags?.length ? copy[method].tags : ['api']).map((tag) => `${service}: ${tag}`);
      }
      merged.paths[path] = copy;
    }
    const tags = new Set(Object.values(document.paths).flatMap((item) => METHODS.flatMap((method) => item[method]?.tags ?? [])));
    for (const tag of [...tags].sort()) merged.tags.push({ name: `${service}: ${tag}`, description: `${document.info?.title ?? service}` });
  }
  return merged;
}

module.exports = { mergeOpenApi };

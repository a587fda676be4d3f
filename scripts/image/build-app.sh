#!/usr/bin/env bash
# Builds one service into a self-contained, runnable directory: the webpack bundle plus only that
# service's production dependencies, at the versions of the root package-lock.json.
#
#   bash scripts/image/build-app.sh <auth|catalog|media|profile> <outdir>
#   cd <outdir> && node main.js            # serves (env: see tools/env-contract.ts)
#   cd <outdir> && node main.js migrate    # applies the service's migrations and exits
#
# The root Dockerfile runs exactly this script; CI runs it too (helm/__tests__/image-build.spec.ts) and
# starts the service from <outdir> outside the repository, so nothing resolves from the root node_modules.
set -euo pipefail

app="${1:-}"
out="${2:-}"
if [[ -z "$app" || -z "$out" ]]; then
  echo "usage: build-app.sh <app> <outdir>" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ ! "$app" =~ ^[a-z][a-z0-9-]*$ || ! -f "apps/$app/project.json" ]]; then
  echo "build-app.sh: unknown app '$app' (expected one of: $(ls apps | tr '\n' ' '))" >&2
  exit 2
fi
out="$(realpath -m "$out")"
case "$out/" in
  "$root/"*) echo "build-app.sh: <outdir> must be outside the repository ($root), or node would find its node_modules" >&2; exit 2 ;;
esac
mkdir -p "$out"
if [[ -n "$(ls -A "$out")" ]]; then
  echo "build-app.sh: $out is not empty" >&2
  exit 2
fi

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
echo "==> nx build $app" >&2
npx nx build "$app" --outputStyle=stream >&2

dist="dist/apps/$app"
for f in main.js package.json package-lock.json; do
  if [[ ! -f "$dist/$f" ]]; then
    echo "build-app.sh: $dist/$f is missing (the app's webpack config needs generatePackageJson: true)" >&2
    exit 1
  fi
done
cp -R "$dist"/. "$out"/

# Nx's generatePackageJson lists the packages this bundle imports and writes package-lock.json pruned
# from the root lockfile, so `npm ci` installs exactly the root's versions. Dev dependencies are
# omitted; install scripts are not run (argon2 and sharp ship prebuilt binaries in their packages).
echo "==> npm ci --omit=dev ($app)" >&2
(
  cd "$out"
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  # Keep the image small (k8s/image/README.md has the sizes): what node never loads at run time goes.
  # Source maps of dependencies, docs, TypeScript sources and declarations:
  find node_modules \( -name '*.md' -o -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \) -type f -delete 2>/dev/null || true
  # Each package's own tests, examples, benchmarks and CI files (directly under the package directory;
  # no remaining module requires them):
  find node_modules -name package.json -type f -printf '%h\n' | sort -u | while read -r pkg; do
    for dir in test tests __tests__ .github example examples bench benchmark benchmarks; do
      if [[ -d "$pkg/$dir" ]]; then rm -rf "${pkg:?}/$dir"; fi
    done
  done
  # typeorm's browser/react-native build (its package.json maps node to index.js / index.mjs):
  rm -rf node_modules/typeorm/browser
  # OpenTelemetry's ES-module mirrors: the bundle require()s these packages, which resolves to their
  # CommonJS builds (build/src, semantic-conventions' dist/*.cjs); the images test checks spans still leave.
  if [[ -d node_modules/@opentelemetry ]]; then
    rm -rf node_modules/@opentelemetry/*/build/esm node_modules/@opentelemetry/*/build/esnext
    find node_modules/@opentelemetry/semantic-conventions -name '*.mjs' -type f -delete
  fi
)
echo "$out"

# syntax=docker/dockerfile:1
# One image per service, chosen by a build argument:
#   docker build --build-arg APP=catalog -t saas-starter-catalog:0.1.0 .
#   npm run image -- build catalog      (podman/buildah, with a locally made base: k8s/image/README.md)
# The build stage runs scripts/image/build-app.sh — the same script CI runs and starts from its pruned
# output (helm/__tests__/image-build.spec.ts) — so what ships is what was tested: the webpack bundle
# plus only this service's production dependencies, at the root package-lock.json's versions.
#
# npm configuration (registry, auth, CA file) reaches npm only as build secrets, never as a layer:
#   --secret id=npmrc,src=<npmrc>  --secret id=npm_ca,src=<CA bundle>   (k8s/image/build.sh passes the
# machine's own; without them npm uses its defaults). NODE_IMAGE: the official image, or the local
# equivalent k8s/image/base-image.sh makes where no image registry is reachable.

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
# Dependencies first, before APP is declared: this layer is shared by every app and reused until the
# lockfile changes. `npm install` from the lock file rather than `npm ci`, as scripts/ensure-deps.sh
# does: npm 11's ci rejects the lock file over sass-embedded's optional platform packages.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm_ca \
    npm install --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" || { echo "--build-arg APP=<auth|catalog|media|profile> is required" >&2; exit 1; }
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm_ca \
    bash scripts/image/build-app.sh "$APP" /out

FROM ${NODE_IMAGE} AS runtime
# A fixed non-root user (uid/gid 10001) that matches the chart's runAsUser; the code is owned by root
# and read-only for it. The chart also mounts the root filesystem read-only with an emptyDir on /tmp.
# /var/lib/media is media's storage root (MEDIA_STORAGE_DIR): owned by the app user so a fresh Docker
# volume mounted there is writable (Kubernetes uses fsGroup instead).
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && mkdir -p /var/lib/media && chown 10001:10001 /var/lib/media
ARG APP
LABEL org.opencontainers.image.title="saas-starter-${APP}" \
      org.opencontainers.image.description="saas-starter ${APP} service (NestJS on Fastify)" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build --chown=root:root /out/ /app/
USER 10001:10001
EXPOSE 3001 3002 3003 3004
# Exec form: node is PID 1 and receives SIGTERM directly (readiness fails, the app drains, then exits).
# `docker run IMAGE migrate` (or Kubernetes args: ["migrate"]) applies the migrations and exits.
ENTRYPOINT ["node", "/app/main.js"]
CMD []

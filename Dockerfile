# syntax=docker/dockerfile:1
# One image per service, chosen by a build argument:
#   docker build --build-arg APP=catalog -t saas-starter-catalog:0.1.0 .
# The build stage runs scripts/image/build-app.sh — the same script CI runs and starts from its pruned
# output (helm/__tests__/image-build.spec.ts) — so what ships is what was tested: the webpack bundle
# plus only this service's production dependencies, at the root package-lock.json's versions.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
RUN test -n "$APP" || { echo "--build-arg APP=<auth|catalog|media|profile> is required" >&2; exit 1; }
WORKDIR /repo
# Dependencies first: this layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN --mount=type=cache,target=/root/.npm bash scripts/image/build-app.sh "$APP" /out

FROM ${NODE_IMAGE} AS runtime
ARG APP
LABEL org.opencontainers.image.title="saas-starter-${APP}" \
      org.opencontainers.image.description="saas-starter ${APP} service (NestJS on Fastify)" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
# A fixed non-root user (uid/gid 10001) that matches the chart's runAsUser; the code is owned by root
# and read-only for it. The chart also mounts the root filesystem read-only with an emptyDir on /tmp.
# /var/lib/media is media's storage root (MEDIA_STORAGE_DIR): owned by the app user so a fresh Docker
# volume mounted there is writable (Kubernetes uses fsGroup instead).
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && mkdir -p /var/lib/media && chown 10001:10001 /var/lib/media
WORKDIR /app
COPY --from=build --chown=root:root /out/ /app/
USER 10001:10001
EXPOSE 3001 3002 3003 3004
# Exec form: node is PID 1 and receives SIGTERM directly (readiness fails, the app drains, then exits).
# `docker run IMAGE migrate` (or Kubernetes args: ["migrate"]) applies the migrations and exits.
ENTRYPOINT ["node", "/app/main.js"]
CMD []

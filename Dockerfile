# Edgeway gateway image: multi-stage, Debian slim (glibc: the LevelDB and serialport prebuilds
# exist for linux amd64 and arm64), production dependencies only, non-root.
#
#   docker build --build-arg VERSION=0.1.0 -t edgeway:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=0.1.0 \
#     -t registry.example/edgeway:0.1.0 --push .
#   docker run -v $PWD/site:/app/config -v edgeway-data:/data -p 1883:1883 -p 9464:9464 edgeway:0.1.0
#
# Ports: 1883 embedded MQTT broker (site apps), 9464 ops HTTP (/metrics, /healthz, /readyz).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="edgeway" \
      org.opencontainers.image.description="Edge gateway: Modbus devices to a durable queue to a cloud MQTT broker" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# A 4 MB semi-space (V8's default grows to 16 MB) and two malloc arenas (glibc makes up to 8 per
# core, one per busy thread: LevelDB, libuv pool, GC helpers): lower RSS under load for about a
# percent of a core (docs/operations.md, Memory; `npm run bench -- scale`).
ENV NODE_OPTIONS=--max-semi-space-size=4 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY adapters ./adapters
COPY config/schema ./config/schema
COPY config/container.yaml ./config/site.yaml
RUN mkdir -p /data && chown -R node:node /data
USER node
# /app/config: the site config (site.yaml) and, optionally, site-specific models;
# /data: the durable queue and state (keep it on a volume so a restart loses nothing).
VOLUME ["/data", "/app/config"]
EXPOSE 1883 9464
# `edgeway health` asks the ops HTTP server (ops.http in the config, on in config/container.yaml)
# for /readyz and exits 0 when it answers 200. A config mounted at /app/config must keep ops.http on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/main.js", "health", "-c", "/app/config/site.yaml"]
ENTRYPOINT ["tini", "--", "node", "/app/dist/main.js"]
CMD ["run", "-c", "/app/config/site.yaml"]

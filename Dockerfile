# iprisk: the stream processor and the local IP Security API in one image.
#
#   docker build -t iprisk .
#   docker run --rm --read-only iprisk lookup 2.56.188.34
#
# Any Node 24 base with `node`, `npm` and a `node` user works; where no registry is reachable,
# scripts/docker/node-base.sh makes one locally (docs/container.md):
#   docker build --network host --build-arg NODE_IMAGE="$(scripts/docker/node-base.sh)" -t iprisk .
#
# Valid for the legacy builder and BuildKit alike: no RUN --mount, no heredocs, no COPY --chmod.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# --- build: dev dependencies and the TypeScript compiler; nothing from here ships but dist/src.
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here, and the install
# scripts of dev-only optional addons (ssh2's cpu-features, under testcontainers) are not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund --update-notifier=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && find dist -name '*.map' -delete

# --- deps: production dependencies only, installed apart so npm's cache stays out of the image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/iprisk
COPY package.json package-lock.json ./
# TypeScript sources, declarations and source maps are never loaded at run time and are half of
# node_modules by size (13 of 26 MB, measured).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --update-notifier=false \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \) -delete

# --- runtime
FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="iprisk" \
      org.opencontainers.image.description="Stream processor that enriches access and auth logs with IP threat intelligence (VPN, proxy, Tor, relay, attacker, cloud) from a local range index" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="docs/container.md" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"

# A container's loopback is its own: listen where the runtime's port mapping and the kubelet's
# probes reach (--host, serve.host and http.host still override). HEALTHCHECK_URLS: what the
# healthcheck asks, run's ops port (http.port, 9464) and serve's default port (8080).
ENV NODE_ENV=production \
    IPRISK_SERVE__HOST=0.0.0.0 \
    IPRISK_HTTP__HOST=0.0.0.0 \
    HEALTHCHECK_URLS="http://127.0.0.1:9464/healthz http://127.0.0.1:8080/healthz"

WORKDIR /opt/iprisk
# Owned by root and read-only to the node user: the process cannot change its own code.
COPY package.json ./
COPY --from=deps /opt/iprisk/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY bin ./bin
COPY schemas ./schemas
COPY config ./config
# The one writable place (a volume under --read-only): index snapshots, feed downloads and
# their state. The sample index needs none of it: it is compiled in memory from config/sample.
RUN ln -s /opt/iprisk/bin/iprisk.js /usr/local/bin/iprisk \
 && mkdir -p /var/lib/iprisk \
 && chown node:node /var/lib/iprisk
VOLUME ["/var/lib/iprisk"]
WORKDIR /var/lib/iprisk
USER node

# Smoke test at build time: the CLI loads and answers from the bundled sample index.
RUN ["iprisk", "lookup", "2.56.188.34"]

EXPOSE 8080 9464
# Healthy when any of $HEALTHCHECK_URLS answers 2xx. iprisk has no curl; node's fetch does.
# One-shot commands (lookup, enrich) end before the first check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "Promise.any(process.env.HEALTHCHECK_URLS.split(/\\s+/).filter(Boolean).map((u) => fetch(u, { signal: AbortSignal.timeout(4000) }).then((r) => { if (!r.ok) throw new Error(u + ': ' + r.status); }))).then(() => process.exit(0), () => process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself; run and serve handle it and exit 0.
ENTRYPOINT ["iprisk"]
CMD ["--help"]

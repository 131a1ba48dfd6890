# The server and the web app in one image: `node sync-server/dist/main.js` serves the PWA at /,
# the REST API, the sync relay, /healthz and /readyz, exactly as `pnpm start` does.
#
#   docker build -t tasks-server .
#   docker run -p 8080:8080 -v tasks-data:/data tasks-server          # one node, embedded PGlite
#   docker compose up                                                 # two nodes, see compose.yaml

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- manifests: pnpm and every package's manifest, shared by the two install stages ------------
FROM ${NODE_IMAGE} AS manifests
RUN npm install -g pnpm@12
WORKDIR /src
# Manifests first: the install layers are reused until a manifest or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
# pnpm applies these to dependencies as it installs them (postgres.js: see pnpm-workspace.yaml).
COPY patches/ patches/
COPY app/package.json app/
COPY crdt/package.json crdt/
COPY connectors/package.json connectors/
COPY sync-server/package.json sync-server/
COPY e2e/package.json e2e/

# ---- build: every dependency, every package built ----------------------------------------------
FROM manifests AS build
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build

# ---- production dependencies of the server and the packages it imports -------------------------
FROM manifests AS prod-deps
RUN pnpm install --frozen-lockfile --prod --filter "@tasks/sync-server..."

# ---- runtime: Node 20, the built output, production node_modules, no pnpm -----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /src/package.json ./
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=prod-deps /src/crdt/node_modules ./crdt/node_modules
COPY --from=prod-deps /src/connectors/node_modules ./connectors/node_modules
COPY --from=prod-deps /src/sync-server/node_modules ./sync-server/node_modules
COPY --from=build /src/crdt/package.json ./crdt/
COPY --from=build /src/crdt/dist ./crdt/dist
COPY --from=build /src/connectors/package.json ./connectors/
COPY --from=build /src/connectors/dist ./connectors/dist
COPY --from=build /src/sync-server/package.json ./sync-server/
COPY --from=build /src/sync-server/dist ./sync-server/dist
# The PWA: main.js serves ../../app/dist (relative to itself) when it holds an index.html.
COPY --from=build /src/app/dist ./app/dist
# The embedded database (without DATABASE_URL) and the generated secrets live in DATA_DIR.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# /readyz: 503 while the database (or, in a cluster, Redis) is unreachable or the node drains.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) drains sockets and commits pending writes: give it time
# (`stop_grace_period` in compose.yaml, `docker stop -t`).
STOPSIGNAL SIGTERM
CMD ["node", "sync-server/dist/main.js"]

# PilotHub GraphQL hub: multi-stage image on Node 24 LTS (Debian bookworm, glibc), base image pinned by digest.
#   docker build -t pilothub .
#   docker run -p 127.0.0.1:4000:4000 --env-file .env -e DATABASE_URL=mysql://user:pass@host:3306/pilothub pilothub
#   docker run --rm --env-file .env -e DATABASE_URL=… pilothub pilothub-admin migrate     (the admin commands)
# Without DATABASE_URL the hub uses an embedded SQLite file under /app/data (mount a volume there to keep it).
#
# NODE_IMAGE: node:24-bookworm-slim (Node 24.18.0) by its index digest, so a rebuild gets the same base. To move
# to a newer patch release: `docker buildx imagetools inspect node:24-bookworm-slim` (the "Digest:" line), put the
# digest here and its Node version in .ci/smoke-lts.sh (PILOTHUB_LTS_NODE), which builds and smoke-tests on it.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---- build: compile TypeScript and the better-sqlite3 native addon ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# better-sqlite3 falls back to node-gyp when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so this layer is reused while only the sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()'

# The rest of the context (see .dockerignore); copied whole so that an absent optional folder
# (connectors/ may be empty in a clone) cannot break the build. Only dist/, bin/ and web/dist/ leave this stage.
COPY . .
# tsc emits migrations to dist/src/database/migrations/<dialect>/*.js and copies the imported seed JSON, and the build
# copies the seed's catalogue (CSV, bin/copy-build-data.js); Vite builds
# the web console into web/dist (the `npm ci` above ran before the sources were copied, so it built nothing).
RUN npm run build \
 && npm run build:web \
 && test -f dist/src/seed/data/nghe-an-admin-units.json \
 && test -f dist/src/seed/data/catalogue-2024/Tasks.csv \
 && test -f dist/src/admin.js \
 && test -f web/dist/index.html \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled output only ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=4000

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/web/dist ./web/dist
# `pilothub-admin <command>` on the PATH (npm run db:migrate, seed, … call the same entry); a writable directory
# for the default SQLite database (SQLITE_PATH=./data/pilothub.sqlite).
RUN ln -s /app/bin/pilothub-admin.js /usr/local/bin/pilothub-admin \
 && mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 4000
# Healthy once /readyz answers 200: database reachable, migrations applied, scheduler running; 503 while it stops.
# The slim image has no curl: Node's own fetch, on the port the hub listens on.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 4000}/readyz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]

# PilotHub GraphQL hub: multi-stage image on Node 20 (Debian bookworm, glibc).
#   docker build -t pilothub .
#   docker run -p 4000:4000 -e DATABASE_URL=mysql://user:pass@host:3306/pilothub pilothub
# Without DATABASE_URL the hub uses an embedded SQLite file under /app/data (mount a volume there to keep it).

# ---- build: compile TypeScript and the better-sqlite3 native addon ----
FROM node:20-bookworm-slim AS build
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
# (connectors/ may be empty in a clone) cannot break the build. Only dist/ leaves this stage.
COPY . .
# tsc emits migrations to dist/src/database/migrations/<dialect>/*.js and copies the imported seed JSON.
RUN npm run build \
 && test -f dist/src/seed/data/nghe-an-admin-units.json \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled output only ----
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=4000

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Writable directory for the default SQLite database (SQLITE_PATH=./data/pilothub.sqlite).
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 4000
CMD ["node", "dist/src/main.js"]

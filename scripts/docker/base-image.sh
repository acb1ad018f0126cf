#!/usr/bin/env bash
# Prints the name of a Debian bookworm minbase image, making it first where it is missing.
#
# Where an image registry is reachable, builds start from official images and this is not
# needed. Where none is (air-gapped build hosts, this project's CI), the base is made locally:
# debootstrap writes a minbase root filesystem, cached as a tarball under ~/.cache/iprisk/docker,
# and `docker import` turns it into an image. The machine's CA bundle goes in with it, so npm,
# pip and apt inside a build trust whatever this machine trusts (NODE_EXTRA_CA_CERTS names it).
#
#   scripts/docker/base-image.sh            # -> iprisk-local/bookworm-minbase:12
#   IPRISK_BASE_IMAGE=name:tag scripts/docker/base-image.sh
set -euo pipefail

image="${IPRISK_BASE_IMAGE:-iprisk-local/bookworm-minbase:12}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/iprisk/docker"
tarball="$cache/bookworm-minbase.tar"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "base-image: debootstrap is needed (apt-get install -y debootstrap)" >&2; exit 1; }
  mkdir -p "$cache"
  rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs" "$tarball.tmp"' EXIT
  echo "base-image: debootstrap --variant=minbase bookworm (about 30 s, 200 MB) ..." >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { echo "base-image: debootstrap failed; see $cache/debootstrap.log" >&2; exit 1; }
  # Keep the image small and reproducible: no apt lists, caches or logs from the bootstrap.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*
  if [ -s "$ca_bundle" ]; then
    mkdir -p "$rootfs/etc/ssl/certs"
    cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  fi
  tar -C "$rootfs" -c . >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
fi

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["/bin/bash"]' \
  "$tarball" "$image" >/dev/null
echo "$image"

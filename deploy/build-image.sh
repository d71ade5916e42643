#!/usr/bin/env bash
# Builds the statbridge image with podman on a machine that cannot pull from a public image
# registry and runs no container daemon: both base images of deploy/Containerfile are made here
# from Debian's packages (debootstrap), then the Containerfile is built with them.
#
#   deploy/build-image.sh            build localhost/statbridge:0.1.0 (bases are made once, then reused)
#   deploy/build-image.sh --bases    only make the base images
#
#   STATBRIDGE_IMAGE     the image to build (default localhost/statbridge:0.1.0)
#   DEBIAN_MIRROR        the Debian mirror (default: the first in /etc/apt, else deb.debian.org)
#   CONTAINERS_CONF      podman's settings (default: deploy/podman/containers.conf, for a root host
#                        without systemd: runc, cgroupfs, host networking, no default ulimits)
#
# Needs, as root: podman, runc and debootstrap (Debian: apt-get install podman runc debootstrap).
# Where an image registry is reachable, plain `podman build -f deploy/Containerfile .` does the same
# with the public bases.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="${STATBRIDGE_IMAGE:-localhost/statbridge:0.1.0}"
suite=bookworm
build_base="localhost/statbridge-build-base:$suite"
runtime_base="localhost/statbridge-runtime-base:$suite"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/deploy/podman/containers.conf}"

fail() { echo "build-image: $*" >&2; exit 2; }

case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  ""|--bases) ;;
  *) fail "unknown argument '$1' (try --help)" ;;
esac

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and rootful podman need it)"
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is missing (Debian: apt-get install podman runc debootstrap)"
done

mirror="${DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | head -n 1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

# Makes localhost/NAME from Debian's minimal base plus the packages given, unless it exists.
make_base() {
  local name="$1" packages="$2" dir
  if podman image exists "$name"; then
    echo "build-image: $name is there"
    return
  fi
  dir="$(mktemp -d /var/tmp/statbridge-base.XXXXXX)"
  echo "build-image: making $name from $mirror ($suite, minbase + $packages) ..."
  debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror" >"$dir.log" 2>&1 \
    || { tail -n 20 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; fail "debootstrap of $name failed"; }
  rm -f "$dir.log"
  # What an image does not need: package lists and caches, documentation, manuals.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
  tar -C "$dir" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$name" >/dev/null
  rm -rf "$dir"
  echo "build-image: $name made"
}

make_base "$build_base" openjdk-17-jdk-headless,maven,ca-certificates
make_base "$runtime_base" openjdk-17-jre-headless
[ "${1:-}" = "--bases" ] && exit 0

# The build stage's Maven reads the host's local repository, so nothing it already has is
# downloaded again; anything missing comes from Maven Central over the host's network.
mkdir -p "${HOME}/.m2/repository"
echo "build-image: building $image ..."
podman build --network host --volume "${HOME}/.m2:/root/.m2" \
  --build-arg BUILD_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" \
  -f "$root/deploy/Containerfile" -t "$image" "$root"
# The build stage is of no use once the image is built (the next build starts from the sources again).
podman image prune --force >/dev/null
size="$(podman image inspect --format '{{.Size}}' "$image")"
echo "build-image: $image built, $((size / 1000000)) MB"

#!/usr/bin/env bash
# The tests that run containers (the Maven profile `containers`): builds the statbridge image with
# podman from local Debian bases (deploy/build-image.sh), serves podman's Docker-compatible API for
# Testcontainers, and runs the *InContainers tests: the image itself, the production topology in
# containers of it (two pipelines and two sinks as compose.yaml describes them, killed and restarted),
# and the test fixture's Testcontainers back-end. Extra arguments go to Maven.
#
# Needs, as root: podman, runc and debootstrap (Debian: apt-get install podman runc debootstrap).
# No container daemon is needed: `podman system service` runs for the length of the tests only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/deploy/podman/containers.conf}"

bash deploy/build-image.sh

socket_dir="$(mktemp -d /tmp/statbridge-podman.XXXXXX)"
podman system service --time=0 "unix://$socket_dir/podman.sock" >"$socket_dir/service.log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true; rm -rf "$socket_dir"' EXIT
for _ in $(seq 1 300); do
  [ -S "$socket_dir/podman.sock" ] && break
  kill -0 "$service" 2>/dev/null || { cat "$socket_dir/service.log" >&2; echo "test-in-containers: podman system service exited" >&2; exit 2; }
  sleep 0.1
done
[ -S "$socket_dir/podman.sock" ] || { echo "test-in-containers: podman's API socket did not appear" >&2; exit 2; }

# Testcontainers talks to podman's Docker-compatible API; Ryuk's image cannot be pulled here, and the
# fixture removes its own containers (test-support's testcontainers.properties).
export DOCKER_HOST="unix://$socket_dir/podman.sock" TESTCONTAINERS_RYUK_DISABLED=true
mvn -B verify -Pcontainers -pl embedded -am "$@"

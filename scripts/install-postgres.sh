#!/usr/bin/env bash
# Installs the native Postgres stack Parley's `native` engine and its tests use, on Debian/Ubuntu:
# Idempotent: what is already installed is left alone. Run as root.
#
# Where the distribution has no pgvector package for the installed server (Debian bookworm), it
# builds pgvector from Debian's own source package of a newer release (trixie) against
# postgresql-server-dev-<v>. Installing trixie's binary packages instead would upgrade libc, perl
# and dpkg, so only the source is taken from there.
set -euo pipefail

log() { printf '[install-postgres] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "install-postgres.sh must run as root (it uses apt-get)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres.sh supports Debian/Ubuntu (apt-get) only" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# 1. The server. Use the newest major version already installed, else the distribution's default.
PG_VERSION="${PG_VERSION:-}"
if [ -z "$PG_VERSION" ]; then
  PG_VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)
fi
if [ -z "$PG_VERSION" ]; then
  apt_update
  PG_VERSION=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
fi
if [ -z "$PG_VERSION" ]; then
  echo "could not determine a PostgreSQL version to install" >&2
  exit 1
fi
log "PostgreSQL major version: $PG_VERSION"

want=("postgresql-$PG_VERSION" "postgresql-contrib" "postgresql-$PG_VERSION-pgtap" "postgresql-$PG_VERSION-cron"
  "postgresql-$PG_VERSION-plpgsql-check")
missing=()
for p in "${want[@]}"; do
  if installed "$p"; then log "already installed: $p"; else missing+=("$p"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update
  log "installing: ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. pgvector: the distribution's package when it has one, else a build from Debian's source package.
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_CONFIG="$PG_BIN/pg_config"
share_dir=$("$PG_CONFIG" --sharedir)
if [ -f "$share_dir/extension/vector.control" ]; then
  log "already installed: pgvector ($(sed -n "s/^default_version = '\(.*\)'/\1/p" "$share_dir/extension/vector.control"))"
else
  apt_update
  if apt-cache show "postgresql-$PG_VERSION-pgvector" >/dev/null 2>&1; then
    log "installing: postgresql-$PG_VERSION-pgvector"
    apt-get install -y -qq --no-install-recommends "postgresql-$PG_VERSION-pgvector" >/dev/null
  else
    PGVECTOR_SUITE="${PGVECTOR_SUITE:-trixie}"
    log "no pgvector package for PostgreSQL $PG_VERSION: building it from Debian $PGVECTOR_SUITE's source package"
    src_list=/etc/apt/sources.list.d/parley-pgvector-src.list
    if [ ! -f "$src_list" ]; then
      echo "deb-src http://deb.debian.org/debian $PGVECTOR_SUITE main" >"$src_list"
      log "added $src_list (deb-src only: no binary package comes from $PGVECTOR_SUITE)"
      apt_updated=0
    fi
    apt_update
    build_deps=("postgresql-server-dev-$PG_VERSION" build-essential dpkg-dev)
    for p in "${build_deps[@]}"; do
      if ! installed "$p"; then
        log "installing build dependency: $p"
        apt-get install -y -qq --no-install-recommends "$p" >/dev/null
      fi
    done
    work=$(mktemp -d)
    chmod 755 "$work" # apt-get source downloads as the _apt user
    trap 'rm -rf "$work"' EXIT
    (
      cd "$work"
      apt-get source --download-only -qq pgvector >/dev/null
      tarball=$(ls pgvector_*.orig.tar.* | head -n 1)
      log "building $tarball against $PG_CONFIG"
      mkdir src
      tar -xf "$tarball" -C src --strip-components=1
      cd src
      make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
      make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    )
    log "installed pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$share_dir/extension/vector.control")"
  fi
fi

# 3. Summary.
log "server: $("$PG_BIN/postgres" --version)"
for ext in pgtap pg_cron plpgsql_check vector; do
  if [ -f "$share_dir/extension/$ext.control" ]; then
    log "extension $ext: $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$share_dir/extension/$ext.control")"
  else
    log "extension $ext: MISSING"
    exit 1
  fi
done
log "done"

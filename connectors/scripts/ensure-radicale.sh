#!/usr/bin/env bash
# CalDAV tests run against a real Radicale, Debian's python3-radicale, started by the test setup
# (src/caldav/radicale-server.ts). This installs it when the system Python cannot import it.
set -euo pipefail
if /usr/bin/python3 -c 'import radicale' 2>/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "connectors: Radicale is missing; install it with: sudo apt-get install -y python3-radicale" >&2
  exit 1
fi
echo "connectors: installing Debian's python3-radicale"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-radicale >/dev/null
if ! /usr/bin/python3 -c 'import radicale' 2>/dev/null; then
  echo "connectors: python3-radicale was installed but /usr/bin/python3 cannot import radicale" >&2
  exit 1
fi

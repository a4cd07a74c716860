#!/usr/bin/env bash
# Fetch etcd 3.5 (server + etcdctl) from a newer Debian suite into a private folder, beside the
# system's etcd 3.4. Nothing is installed: apt only downloads the .debs, with its own sources
# list, package lists and cache, and dpkg-deb unpacks them under the target folder.
#
# usage: scripts/fetch-etcd.sh [SUITE] [DEST]
#   SUITE  Debian suite to take etcd from (default trixie: 3.5.16; sid has 3.5.x newer)
#   DEST   folder to unpack into (default .cache/etcd-<suite> in the repository)
# Prints the path of the etcd binary on success. Idempotent: an existing unpack is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

suite="${1:-trixie}"
dest="${2:-$PWD/.cache/etcd-$suite}"
bin="$dest/usr/bin/etcd"

if [[ -x "$bin" && -x "$dest/usr/bin/etcdctl" ]]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/srvctl-fetch-etcd.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"

# The machine's own Debian source (URI and keyring), with only the suite changed. deb822
# .sources files are the Debian 12 default; a one-line sources.list is the fallback.
uri="" keyring=""
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -r "$f" ]] || continue
  while IFS= read -r line; do
    case "$line" in
      URIs:*) u="${line#URIs:}"; u="${u# }"; u="${u%% *}"
              # the first plain Debian archive (not -security, not a third-party repo)
              if [[ -z "$uri" && "$u" == */debian && "$u" != *security* ]]; then uri="$u"; cur=1; else cur=0; fi ;;
      Signed-By:*) if [[ "${cur:-0}" == 1 && -z "$keyring" ]]; then keyring="${line#Signed-By:}"; keyring="${keyring# }"; fi ;;
    esac
  done <"$f"
done
if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
  uri="$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
fi
[[ -n "$uri" ]] || { echo "fetch-etcd: no Debian archive URI found in /etc/apt" >&2; exit 1; }
keyring="${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"

cat >"$work/etcd.sources" <<SOURCES
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
SOURCES

apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Dir::State::status=/var/lib/dpkg/status"
  -o "APT::Get::List-Cleanup=false"
  -o "APT::Sandbox::User=root"
)
mkdir -p "$work/parts"
cp "$work/etcd.sources" "$work/parts/etcd.sources"

apt-get "${apt_opts[@]}" -qq update >&2
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download etcd-server etcd-client >&2)

rm -rf "$dest"
mkdir -p "$dest"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest"
done
[[ -x "$bin" ]] || { echo "fetch-etcd: $bin missing after unpack" >&2; exit 1; }
"$bin" --version >&2
echo "$bin"

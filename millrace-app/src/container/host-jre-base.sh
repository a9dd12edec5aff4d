#!/usr/bin/env bash
# Makes a container base image from this machine's own Java runtime, for Jib where no registry is reachable
# (eclipse-temurin:17-jre lives on Docker Hub): the JRE's bin, conf, lib and release under /opt/java, the shared
# libraries ldd says they load (glibc and its loader, zlib...), an /etc/passwd and a /tmp. podman imports that tree
# and saves it as a docker-archive tarball, which the container profile takes with -Djib.from.image=tar://OUT.
#   host-jre-base.sh OUT.tar [JAVA_HOME]
# Cached: OUT.tar is kept while it is newer than this script and than the JRE's release file (a package upgrade
# replaces it), so only the first run pays (about 6 s here). Ends by running java -version in the image, which is
# also how ./verify learns whether podman can run containers on this machine; exits non-zero if it cannot.
set -euo pipefail
out=$(realpath -m "$1")
java_home=${2:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
# The flags podman needs on these machines (containers in a container): runc rather than crun, no systemd cgroups.
podman=(podman --runtime runc --cgroup-manager cgroupfs)
tag=localhost/millrace-host-jre-base:latest

if [[ ! -s $out || $out -ot ${BASH_SOURCE[0]} || $out -ot $java_home/release ]]; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/opt/java" "$root/etc" "$root/tmp"
  chmod 1777 "$root/tmp"
  # Debian's JDK links files into /etc and /usr/share (java.security, tzdb.dat): copy what they point at. A link
  # to a package that is not installed (src.zip) is left out rather than failing the copy.
  (cd "$java_home" && find bin conf lib release -xtype l) > "$root/dangling"
  tar -C "$java_home" -ch --exclude-from="$root/dangling" bin conf lib release | tar -C "$root/opt/java" -x
  rm "$root/dangling"
  # Every library the launcher and the JDK's own .so files need, with the dynamic loader, at their host paths; but
  # not the desktop's (X11, GTK's accessibility bridge, sound), which a headless server never loads.
  { find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) \
      ! \( -name 'libawt_xawt.so' -o -name 'libsplashscreen.so' -o -name 'libjawt.so' -o -name 'libatk-wrapper*' \
      -o -name 'libjsound.so' \) -exec ldd {} + 2>/dev/null || true; } \
    | grep -o '/[^ ]*' | grep -v "^$root" | sort -u | while read -r lib; do
      if [[ -e $lib ]]; then cp -L --parents "$lib" "$root"; fi
    done
  # millrace (10001) is the user the image's server runs as (millrace-app's pom); named here only so that tools
  # show a name, since the image gives it by number.
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n%s\n' \
    'millrace:x:10001:10001:millrace:/nonexistent:/sbin/nologin' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nmillrace:x:10001:\n' > "$root/etc/group"
  tar -C "$root" -c . | "${podman[@]}" import --change 'ENV PATH=/opt/java/bin:/usr/bin:/bin' \
    --change 'ENV JAVA_HOME=/opt/java' - "$tag" >/dev/null
  mkdir -p "$(dirname "$out")"
  rm -f "$out"
  "${podman[@]}" save --format docker-archive -o "$out" "$tag" >/dev/null
fi

# Loaded again if podman's store lost it (a fresh machine with a kept target/): the check below runs the tag.
"${podman[@]}" image exists "$tag" || "${podman[@]}" load -q -i "$out" >/dev/null
"${podman[@]}" run --rm --network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "$tag" java -version

#!/bin/sh
# Builds akship's release binary: static (CGO_ENABLED=0, no libc, runs on
# any Linux of its architecture, from scratch or distroless images),
# -trimpath (no path of the build machine inside), stripped (-s -w), with
# the version and commit stamped for `akship --version`. The Dockerfile
# runs this script, and TestReleaseBuild builds with it and checks all of
# the above, so there is one build line.
#
# Usage: packaging/build.sh [OUTPUT]        (default ./akship)
#   VERSION  default: git describe --tags --always --dirty, else "dev"
#   COMMIT   default: git rev-parse HEAD, else "unknown"
#   GOOS, GOARCH select another platform as usual.
set -eu
out=${1:-akship}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
CGO_ENABLED=0 exec go build -trimpath \
	-ldflags "-s -w -X main.version=${version} -X main.commit=${commit}" \
	-o "$out" .

#!/usr/bin/env bash
# Builds the Go SDK adapters into drivers/go/bin/ from the pinned go.mod / go.sum.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GO="${GO:-go}"
if ! command -v "$GO" >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  GO=/usr/local/go/bin/go
fi
mkdir -p bin
# -buildvcs=false: the module sits inside the cbspec repository, and VCS stamping would make the
# build depend on git being usable here; the SDK versions come from go.mod either way.
"$GO" build -trimpath -buildvcs=false -o bin/go-v2-driver ./cmd/go-v2-driver
"$GO" build -trimpath -buildvcs=false -o bin/go-v1-driver ./cmd/go-v1-driver

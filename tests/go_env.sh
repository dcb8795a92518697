# Sourced from the repository root by tests/run.sh and tests/install_check.sh:
# Go builds offline (the module has no dependencies), with its caches under
# target/ so that CI needs nothing but the go command. Go 1.19 (Debian's
# golang-go) is the oldest supported; GOTOOLCHAIN=local keeps a newer go
# from fetching a toolchain.
GOCACHE="$PWD/target/go-cache"
GOPATH="$PWD/target/gopath"
GOPROXY=off
GOFLAGS=
GO111MODULE=on
GOTOOLCHAIN=local
CGO_ENABLED=1
export GOCACHE GOPATH GOPROXY GOFLAGS GO111MODULE GOTOOLCHAIN CGO_ENABLED

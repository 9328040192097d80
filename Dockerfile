# syntax=docker/dockerfile:1
#
# eastwest-guard webhook image: the release binary on distroless, as a numeric non-root user,
# with no shell or package manager at run time.
#
#   docker build -t eastwest-guard:0.1.0 \
#     --build-arg EASTWEST_GUARD_COMMIT="$(git rev-parse --short=7 HEAD)" \
#     --build-arg EASTWEST_GUARD_COMMIT_DATE="$(git log -1 --format=%cd --date=short)" .
#
# Pin both base images by digest (FROM image:tag@sha256:...) in your own registry mirror for
# reproducible builds; the tags here say which line of each image this is built against.

# Build stage: the Rust toolchain this repository is tested with (CI runs 1.95), on Debian 12,
# the same glibc as the runtime image below.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The whole crate: Cargo.toml may name benches, tests and examples, and cargo reads their
# paths even for a --bin build. .dockerignore keeps target/, .git and any key material out.
COPY . .
# --locked: exactly the dependency versions in Cargo.lock, or fail. The cache mounts keep
# the registry and target dir between builds (BuildKit) without putting them in a layer.
# Symbols stripped in the image only (16.6 MB -> 13.4 MB); local release builds keep them
# for profiling (BENCHMARKS.md).
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
# The commit `eastwest-guard --version` names: .git is not in the build context, so pass it
# (build.rs says `unknown` without it):
#   docker build --build-arg EASTWEST_GUARD_COMMIT="$(git rev-parse --short=7 HEAD)" \
#     --build-arg EASTWEST_GUARD_COMMIT_DATE="$(git log -1 --format=%cd --date=short)" .
ARG EASTWEST_GUARD_COMMIT=""
ARG EASTWEST_GUARD_COMMIT_DATE=""
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin eastwest-guard \
    && install -D -m 0755 target/release/eastwest-guard /out/eastwest-guard

# Runtime stage: glibc and libgcc (the binary links them dynamically), CA certificates and
# tzdata, nothing else: no shell, no package manager. "nonroot" is uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="eastwest-guard" \
      org.opencontainers.image.description="Admission guard for Tetrate east-west exposure" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/eastwest-guard /usr/local/bin/eastwest-guard
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 8443: the webhook (HTTPS); 8080: /healthz, /readyz, /metrics.
EXPOSE 8443 8080
# Exec form: the server is PID 1 and receives SIGTERM itself (it drains, then exits 0).
# Flags come from the pod's args (manifests/base/deployment.yaml) or EASTWEST_GUARD_* vars.
ENTRYPOINT ["/usr/local/bin/eastwest-guard", "serve"]

# Build: the fat profile (whole-program LTO, one codegen unit): slower to
# build than the README's release profile, what is shipped and benchmarked.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# The dependencies first, in a layer of their own (with an empty crate in
# place of ours): a change to our code does not build them again.
COPY Cargo.toml Cargo.lock rustfmt.toml ./
# How SQLite is compiled in (.cargo/config.toml): without it, a slower SQLite.
COPY .cargo .cargo
COPY entity entity
COPY migration migration
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo build --profile fat --locked \
 && rm -rf src
COPY src src
COPY assets assets
COPY demo demo
# Newer than the empty crate's build, whatever times the context carried.
RUN touch src/main.rs src/lib.rs \
 && cargo build --profile fat --locked && cp target/fat/xietong /usr/local/bin/xietong

# Run: a small image with the binary only.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/xietong --create-home xietong
COPY --from=build /usr/local/bin/xietong /usr/local/bin/xietong
USER xietong
WORKDIR /var/lib/xietong
# mimalloc commits its arenas as they are used, not at start: ~15 MB less
# resident when idle, no slower (BENCHMARKS.md). It reads this before main.
ENV XIETONG_BIND=0.0.0.0:8080 \
    XIETONG_LOG=info,sqlx=warn,sea_orm=warn \
    MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 8080
# The image has no curl: the binary asks /readyz itself (XIETONG_BIND's port).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["xietong", "healthcheck"]
ENTRYPOINT ["xietong"]
CMD ["serve"]

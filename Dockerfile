# The agnt2 binary in an image (used by docker-compose.yml). Build: docker build -t agnt2 .
FROM rust:1.94-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq libclang-dev >/dev/null
WORKDIR /src
COPY . .
RUN cargo build --release -p agnt2-node && cp target/release/agnt2 /usr/local/bin/agnt2

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/agnt2 /usr/local/bin/agnt2
EXPOSE 8545
ENTRYPOINT ["agnt2"]

# syntax=docker/dockerfile:1
# Build stage: cgo is needed for the embedded SQLite driver.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/pacte .

# Run stage: a small Debian with CA certificates; runs as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates wget \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data pacte && mkdir -p /data && chown pacte /data
COPY --from=build /out/pacte /usr/local/bin/pacte
USER pacte
ENV PACTE_ADDR=:8080 PACTE_DATA_DIR=/data PACTE_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD wget -qO- http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/pacte"]

# akship container image: a static binary on distroless (CA certificates,
# no shell, no package manager), running as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t akship .
#   docker run -d --name akship -v akship-state:/var/lib/akship \
#     -v $PWD/akship.yml:/etc/akship/akship.yml:ro -e AUTHENTIK_TOKEN -e ES_API_KEY akship
#
# The configuration must set state.path under /var/lib/akship (the volume)
# and http.listen (e.g. 127.0.0.1:9108; 0.0.0.0:9108 with
# http.allow_remote: true for Prometheus from outside), which the health
# check asks. The binary is built by packaging/build.sh, the same script
# TestReleaseBuild checks.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN VERSION="$VERSION" COMMIT="$COMMIT" sh packaging/build.sh /out/akship \
 && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/akship /usr/local/bin/akship
COPY --from=build --chown=65532:65532 /out/state /var/lib/akship
USER 65532:65532
VOLUME ["/var/lib/akship"]
WORKDIR /var/lib/akship
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/akship", "healthcheck", "-c", "/etc/akship/akship.yml"]
ENTRYPOINT ["/usr/local/bin/akship"]
CMD ["run", "-c", "/etc/akship/akship.yml"]

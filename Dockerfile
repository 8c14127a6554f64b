# polyarch's own image: the release (launcher and shaded jar) on a Java 21 runtime, with the docker CLI and buildx to
# drive an engine (a mounted socket, DOCKER_HOST, Docker-in-Docker). For CI systems that run each job in an image:
# GitLab CI, CodeBuild with a custom image, GitHub Actions container jobs. Built by polyarch itself, at the repository
# root:  ./polyarch run --to REGISTRY/polyarch   (polyarch.yaml: linux/amd64 and linux/arm64, each tested before push)
ARG BASE=debian:trixie-slim

# The jar is built once, on the build machine's own platform; it is the same for every architecture.
FROM --platform=$BUILDPLATFORM ${BASE} AS jar
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-21-jdk-headless ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src/main src/main
COPY src/build src/build
# Behind a TLS-intercepting proxy, give its CAs as a build secret (--secret id=extra-ca,src=PEM-FILE): trusted while
# Maven fetches the build's dependencies, in this stage only, never in the image.
RUN --mount=type=secret,id=extra-ca \
    if [ -s /run/secrets/extra-ca ]; then \
      awk '/-----BEGIN CERTIFICATE-----/ {n++} n {print > ("/usr/local/share/ca-certificates/extra-ca-" n ".crt")}' /run/secrets/extra-ca \
      && update-ca-certificates >/dev/null; fi \
 && ./mvnw -B -ntp -q -Dmaven.test.skip=true package \
 && mkdir -p /release/lib /release/scripts \
 && cp target/polyarch.jar /release/lib/polyarch.jar \
 && unzip -p target/polyarch.jar META-INF/MANIFEST.MF | tr -d '\r' | sed -n 's/^Implementation-Version: //p' > /release/lib/VERSION
COPY polyarch /release/polyarch
COPY scripts/jdk.sh /release/scripts/jdk.sh

FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-21-jre-headless docker-cli docker-buildx ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=jar /release /opt/polyarch
# start-up caches made now, where every user of the image finds them (GitHub's container jobs set another HOME)
ENV XDG_CACHE_HOME=/var/cache/polyarch
RUN ln -s /opt/polyarch/polyarch /usr/local/bin/polyarch \
 && polyarch --version && polyarch run --help >/dev/null && chmod -R a+rwX /var/cache/polyarch
ENTRYPOINT ["polyarch"]
CMD ["--help"]

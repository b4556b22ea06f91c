# syntax=docker/dockerfile:1
# On the current Node LTS (26; Node 20 reached end of life on 2026-04-30). CI runs the tiers on the
# same version (npm run test:lts, tools/test-lts.js); keep the two in step.
# Build stage: install everything, compile the apps and the operator's CLI to single bundles.
FROM node:26.12-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY tools ./tools
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the bundles only, as a non-root user.
FROM node:26.12-trixie-slim AS runtime
# jemalloc instead of glibc's malloc: V8's background threads (compilers, GC) each get a glibc
# arena that keeps what they freed; under full load the API's RSS is 10-15 MB lower with jemalloc,
# at no CPU cost (docs/BENCHMARKS.md). A fixed path, whatever the architecture's library folder.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2
# A young generation of 8 MB per semi-space instead of V8's 16-32 MB: under full load the API's
# RSS stays lower and a cached read costs less CPU (docs/BENCHMARKS.md). `npm start` and bench:read
# start the API with the same flags, and bench:read with jemalloc too (test/deploy.e2e-spec.ts).
# jemalloc hands freed pages back after 1 s instead of 10: what a burst (a cold catalogue read from
# MySQL) freed no longer lingers, 7-12 MB less RSS under the load that follows, at no CPU cost.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=8 LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:1000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
# Liveness, not readiness: a Redis blip makes every replica not ready, yet each still serves (from
# MySQL), and an orchestrator must not restart or drop them for it. Readiness (/health/ready) is for
# load balancers. fetch is built into Node, so no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/api/main.js"]

# syntax=docker/dockerfile:1
# One image for every Compass process: `compass bot`, `compass worker`, `compass simulator`, or any CLI command.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY simulator ./simulator
# The build's last step migrates the embedded database's template (scripts/build-embedded-template.mjs).
COPY scripts ./scripts
COPY migrations ./migrations
RUN npm run build

FROM node:20-bookworm-slim AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    COMPASS_DATA_DIR=/var/lib/compass
WORKDIR /app
# Charts are rasterized with the system's fonts (resvg); the slim image has none.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY data ./data
COPY migrations ./migrations
COPY templates ./templates
# Group 0 may write the data folder, so the image runs under any uid (docker compose's COMPASS_UID, OpenShift).
RUN mkdir -p /var/lib/compass && chown node:0 /var/lib/compass && chmod 0775 /var/lib/compass
USER node
ENTRYPOINT ["node", "bin/compass.js"]
CMD ["--help"]

# Build: compile TypeScript and keep production dependencies only (better-sqlite3 is compiled here).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Compile better-sqlite3 against the headers this image ships (/usr/local/include/node) instead of
# downloading a prebuilt binary from github.com or the headers from nodejs.org: the build then needs only
# the npm registry, so it works behind a registry mirror or a proxy that allows nothing else.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true
COPY package.json package-lock.json ./
# No install scripts but better-sqlite3's: the package's own `prepare` (a build) is `npm run build` below, once
# src/ is here.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js ./scripts/
COPY src ./src
# Keep the compiled module, drop what compiling it left (SQLite's sources, object files: about 25 MB).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && cd node_modules/better-sqlite3 \
 && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && rm -rf deps src

# Run: the compiled bot, its production dependencies and the course data, as the unprivileged `node` user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    COURSE_FILE=/app/data/course.yaml \
    STATE_DB=/var/lib/course-bot/course-bot.db \
    HTTP_PORT=8080 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY data ./data
RUN mkdir -p /var/lib/course-bot && chown node:node /var/lib/course-bot
USER node
VOLUME ["/var/lib/course-bot"]
# 8080: /healthz, /metrics and the calendar feed. 3000: Slack in HTTP mode (SLACK_SIGNING_SECRET without
# SLACK_APP_TOKEN) only; Socket Mode and Discord need no inbound port.
EXPOSE 8080 3000
# Healthy when every configured platform is connected and the state database is writable (no curl in
# the slim image: Node's own fetch).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, node directly: SIGTERM reaches the bot, not a shell or npm.
CMD ["node", "dist/cli.js", "start"]

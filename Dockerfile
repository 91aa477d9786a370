# syntax=docker/dockerfile:1
# Build: compile TypeScript and keep production dependencies only (better-sqlite3 is built here).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

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
# /healthz, /metrics and /calendar.ics.
EXPOSE 8080
# Healthy when every configured platform is connected and the state database is writable (no curl in
# the slim image: Node's own fetch).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, node directly: SIGTERM reaches the bot, not a shell or npm.
CMD ["node", "dist/cli.js", "start"]

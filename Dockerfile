# syntax=docker/dockerfile:1
# Phlebo's web site, scheduler and operator commands in one image; `phlebo` is the entry point:
#   docker run IMAGE web | scheduler | init-db | check-config | health --url ... | backup FILE
# compose.yaml runs it with PostgreSQL. Built from the repository alone.

# 1. The NHS.UK frontend (and axe-core, as `make assets` copies) from npm.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
    && mkdir -p vendor \
    && cp -r node_modules/nhsuk-frontend/dist/nhsuk vendor/nhsuk \
    && cp node_modules/axe-core/axe.min.js vendor/axe.min.js \
    && touch vendor/.installed

# 2. The Python environment, built by the same script the tests run.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY booking_web ./booking_web
COPY kiosk_app ./kiosk_app
COPY label_printer ./label_printer
COPY hardware_sim ./hardware_sim
COPY phlebo ./phlebo
COPY deploy/build-venv.sh ./deploy/build-venv.sh
COPY --from=assets /src/vendor ./booking_web/static/vendor
RUN deploy/build-venv.sh /opt/phlebo/venv /src

# 3. What runs: the environment, label fonts, time zones, and a user without privileges.
FROM python:3.11-slim-bookworm
# Fonts: names on labels in Latin, Greek and Cyrillic, and CJK fallbacks; tzdata: Europe/London.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-droid-fallback tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 phlebo \
    && useradd --system --uid 10001 --gid phlebo --home-dir /var/lib/phlebo --create-home \
       --shell /usr/sbin/nologin phlebo
COPY --from=build /opt/phlebo/venv /opt/phlebo/venv
ENV PATH=/opt/phlebo/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PHLEBO_ENV=production \
    PHLEBO_INSTANCE_DIR=/var/lib/phlebo \
    PHLEBO_BIND=0.0.0.0:8000 \
    PHLEBO_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/phlebo
VOLUME ["/var/lib/phlebo"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["phlebo", "health", "--url", "http://127.0.0.1:8000/readyz"]
ENTRYPOINT ["phlebo"]
CMD ["web"]

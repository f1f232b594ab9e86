# geogrid web app for deployment (see docker-compose.yml). Not built on the development
# machines (no Docker engine there); keep it in step with scripts/bootstrap.sh.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=geogrid.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends \
      gettext nodejs npm chromium fonts-noto-cjk postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY geogrid ./geogrid
COPY layers ./layers
COPY maps ./maps
COPY bench ./bench
RUN pip install --no-cache-dir .
COPY . .
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi \
    && python scripts/vendor_assets.py \
    && python manage.py compilemessages --ignore=node_modules \
    && DJANGO_SECRET_KEY=build GEOGRID_FIELD_KEY=build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn geogrid.wsgi -b 0.0.0.0:8000 -w ${WEB_WORKERS:-4}"]
